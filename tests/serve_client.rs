//! `aiwatch-tui serve` driven by an SSH client written with russh, so it
//! runs everywhere (no OpenSSH needed): a session that lasts a minute, a
//! second shell refused, floods that leave the thread count fixed and
//! another reader responsive, refused clients that leave nothing behind,
//! and a panicking session that ends alone, its client's terminal restored.
//! The long tests run concurrently (the harness runs tests in parallel).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use russh::ChannelMsg;
use russh::client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "common/serve.rs"]
mod serve;
#[path = "common/ssh_client.rs"]
mod ssh_client;

use serve::{Server, TIMEOUT};
use ssh_client::{Client, Reader, runtime};

/// The terminal restored: alternate screen left, cursor shown, mouse and
/// bracketed paste off, attributes reset.
const RESTORE: &[u8] = b"\x1b[0m\x1b[?1006l\x1b[?1002l\x1b[?1000l\x1b[?2004l\x1b[?25h\x1b[?1049l";

/// A minute of reading, a key every few seconds, on a server whose login
/// timeout is 5 s: logging in ends the login watch, the session stays.
#[test]
fn a_reading_session_lasts_longer_than_the_login_timeout() {
    let server = Server::start(&[], "[serve]\nauth_timeout = 5\n", &[]);
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        let start = Instant::now();
        let mut presses = 0;
        while start.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let key: &[u8] = if presses % 2 == 0 { b"j" } else { b"k" };
            reader.key_to_frame(key).await;
            presses += 1;
        }
        assert!(!reader.closed);
        reader.send(b"d").await;
        reader.wait_for("Showing DeepSeek").await;
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    server.wait_log("reason=quit");
    let log = server.log();
    assert!(!log.contains("login_timeout"), "{log}");
}

/// A second shell (or pty) on a channel that runs one is refused; asking
/// again and again starts nothing.
#[test]
fn a_second_shell_is_refused_and_starts_no_thread() {
    let server = Server::start(&[], "", &[]);
    let baseline = server.settled_threads();
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        let with_one = server.settled_threads();
        for _ in 0..100 {
            reader.channel.request_shell(true).await.unwrap();
            assert!(matches!(
                reader.next_reply().await,
                Some(ChannelMsg::Failure)
            ));
        }
        reader
            .channel
            .request_pty(true, "xterm", 80, 24, 0, 0, &[])
            .await
            .unwrap();
        assert!(matches!(
            reader.next_reply().await,
            Some(ChannelMsg::Failure)
        ));
        assert_eq!(server.settled_threads(), with_one);
        assert!(with_one <= baseline + 1, "{baseline} -> {with_one}");
        // The one reader still answers.
        reader.send(b"m").await;
        reader.wait_for("Showing Musk").await;
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    server.wait_log("event=close");
    let start = Instant::now();
    while server.threads() > baseline {
        assert!(start.elapsed() < TIMEOUT, "threads stay above {baseline}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        server
            .log()
            .contains("request=shell reason=already_running")
    );
}

/// 2,000 `u` (each opens a section and asks for a read timer) and a
/// 50,000-character search line from one client: the server's threads
/// stay within a small fixed number of their count before, another
/// reader still answers within 100 ms, and the count comes back after.
#[test]
fn floods_cost_no_threads_and_slow_no_one_else() {
    let server = Server::start(&[], "", &[]);
    let baseline = server.settled_threads();
    let (peak, times) = runtime().block_on(async {
        let mut other = Reader::connect(server.port).await;
        let mut flood = Reader::connect(server.port).await;
        // The flooding client reads its frames between its bursts.
        let flooding = tokio::spawn(async move {
            for _ in 0..20 {
                flood.send(&[b'u'; 100]).await;
                flood.read_until(Duration::from_millis(10), |_| false).await;
            }
            flood.send(b"/").await;
            for _ in 0..50 {
                flood.send(&[b'x'; 1000]).await;
                flood.read_until(Duration::from_millis(10), |_| false).await;
            }
            flood
                .read_until(Duration::from_secs(5), |r| {
                    r.screen.screen().contents().contains("limited to")
                })
                .await;
            flood
        });
        let mut peak = 0;
        let mut times = Vec::new();
        while times.len() < 30 || !flooding.is_finished() {
            peak = peak.max(server.threads());
            let key: &[u8] = if times.len() % 2 == 0 { b"j" } else { b"k" };
            times.push(other.key_to_frame(key).await);
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        let mut flood = flooding.await.unwrap();
        assert!(!flood.closed, "the flooding client is slowed, not dropped");
        assert!(
            flood.screen.screen().contents().contains("limited to 200"),
            "the search cap is said:\n{}",
            flood.screen.screen().contents()
        );
        peak = peak.max(server.threads());
        // Its backlog taken (no frame for half a second), then Esc and,
        // past the Esc wait, q: sent while the server still works through
        // the flood they would arrive together, as Alt-q.
        loop {
            let before = flood.raw.len();
            flood
                .read_until(Duration::from_millis(500), |_| false)
                .await;
            if flood.raw.len() == before {
                break;
            }
        }
        flood.send(b"\x1b").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        flood.send(b"q").await;
        other.send(b"q").await;
        flood.until_closed().await;
        other.until_closed().await;
        (peak, times)
    });
    assert!(
        peak <= baseline + 4,
        "threads went from {baseline} to {peak} under a flood"
    );
    let mut sorted = times.clone();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    assert!(
        median < Duration::from_millis(100),
        "key->frame of the other reader: {times:?}"
    );
    let start = Instant::now();
    while server.threads() > baseline {
        assert!(
            start.elapsed() < TIMEOUT,
            "threads stay at {} above the baseline {baseline}",
            server.threads()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Refused clients (over the per-address limit) are told why in the SSH
/// protocol, and leave no entry behind in the per-address table.
#[test]
fn refused_clients_leave_the_address_table_empty() {
    let server = Server::start(&["--max-per-address", "1"], "", &[]);
    let held = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    server.wait_log("event=connect");
    for _ in 0..5 {
        let mut extra = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        extra
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut bytes = Vec::new();
        let _ = extra.read_to_end(&mut bytes);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("SSH-2.0-"), "{text:?}");
        assert!(
            text.contains("too many connections from your address"),
            "{text:?}"
        );
    }
    drop(held);
    server.wait_log("event=close");
    let log = server.log();
    let close = log.lines().rfind(|l| l.contains("event=close")).unwrap();
    assert!(close.contains("addresses=0"), "{log}");
    assert_eq!(log.matches("event=refuse").count(), 5, "{log}");
}

/// A 40 KB bracketed paste, split across many reads, is text, never keys:
/// its `q`s do not quit, and the keys after it work; a paste after `/`
/// goes into the search line.
#[test]
fn a_long_paste_is_never_commands() {
    let server = Server::start(&[], "", &[]);
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        let mut paste = b"\x1b[200~".to_vec();
        for _ in 0..40 {
            paste.extend_from_slice(&[b'x'; 1000]);
            paste.push(b'q');
        }
        paste.extend_from_slice(b"\x1b[201~");
        for piece in paste.chunks(997) {
            reader.send(piece).await;
        }
        reader.send(b"d").await;
        reader.wait_for("Showing DeepSeek").await;
        assert!(!reader.closed);
        reader.send(b"/\x1b[200~musk\x1b[201~").await;
        reader.wait_for("/musk").await;
        // Esc, then (a person's pause later, past the Esc wait) q.
        reader.leave_search_and_quit().await;
    });
    server.wait_log("reason=quit");
}

/// A session that panics (a test-only hook) ends alone: its client's
/// terminal is restored and told, the server and the other reader go on,
/// and the log says `reason=panic`.
#[test]
fn a_panicking_session_ends_alone_and_restores_its_client() {
    let server = Server::start(&[], "", &[("AIWATCH_TUI_TEST_PANIC_KEY", "Z")]);
    runtime().block_on(async {
        let mut other = Reader::connect(server.port).await;
        let mut doomed = Reader::connect(server.port).await;
        doomed.send(b"Z").await;
        doomed.until_closed().await;
        let tail = &doomed.raw[doomed.raw.len().saturating_sub(300)..];
        let text = String::from_utf8_lossy(tail);
        assert!(
            tail.windows(RESTORE.len()).any(|w| w == RESTORE),
            "the terminal is restored: {text:?}"
        );
        assert!(text.contains("This session failed"), "{text:?}");
        assert!(!doomed.screen.screen().alternate_screen());
        assert!(!doomed.screen.screen().hide_cursor());
        // The other reader goes on, and new ones are welcome.
        other.send(b"d").await;
        other.wait_for("Showing DeepSeek").await;
        let mut again = Reader::connect(server.port).await;
        again.send(b"q").await;
        again.until_closed().await;
        other.send(b"q").await;
        other.until_closed().await;
    });
    server.wait_log("reason=panic");
    let log = server.log();
    assert!(log.contains("event=panic"), "{log}");
    for line in log.lines() {
        assert!(
            line.starts_with("aiwatch-tui serve: event="),
            "not key=value: {line}"
        );
    }
}

/// Lines of an authorized-keys file that are not keys are logged with
/// their place; start-up errors name the path or address, exit 2.
#[test]
fn start_up_problems_name_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
            .arg("serve")
            .arg("--host-key")
            .arg(dir.path().join("key"))
            .args(args)
            .env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let missing = run(&["--authorized-keys", "/nonexistent/keys"]);
    assert_eq!(missing.status.code(), Some(2));
    let text = String::from_utf8_lossy(&missing.stderr);
    assert!(text.contains("/nonexistent/keys"), "{text}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let busy = run(&["--listen", &address]);
    assert_eq!(busy.status.code(), Some(2));
    let text = String::from_utf8_lossy(&busy.stderr);
    assert!(text.contains(&address), "{text}");
    // Nothing started: the failure is the only word.
    assert!(!text.contains("event=start"), "{text}");

    // A limit of 0 would refuse everyone: refused, naming the flag.
    for flag in ["--max-per-address", "--max-sessions", "--idle-timeout"] {
        let zero = run(&[flag, "0"]);
        assert_eq!(zero.status.code(), Some(2), "{flag}");
        let text = String::from_utf8_lossy(&zero.stderr);
        assert!(text.contains(flag), "{text}");
    }

    let bad = run(&["--listen", "nowhere.invalid:22"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nowhere.invalid:22"));

    let keys = dir.path().join("authorized_keys");
    let good = russh::keys::PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519)
        .unwrap()
        .public_key()
        .to_openssh()
        .unwrap();
    std::fs::write(&keys, format!("# mine\n  not a key at all\n{good}\n")).unwrap();
    let path = keys.to_str().unwrap();
    let server = Server::start(&["--authorized-keys", path], "", &[]);
    server.wait_log("event=authorized_keys_skip");
    assert!(server.log().contains("line=2 col=3"), "{}", server.log());
    assert!(
        server.log().contains("error=\"not a public key\""),
        "{}",
        server.log()
    );
    drop(server);
    let _ = Path::new(path);
}

/// A TCP relay to the server whose server-to-client direction can be
/// paused: a client that stops reading while it goes on typing.
async fn relay(port: u16) -> (u16, Arc<AtomicBool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap().port();
    let paused = Arc::new(AtomicBool::new(false));
    let pause = Arc::clone(&paused);
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.unwrap();
        let server = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let (mut from_client, mut to_client) = client.into_split();
        let (mut from_server, mut to_server) = server.into_split();
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
            let _ = to_server.shutdown().await;
        });
        let mut buf = vec![0u8; 4096];
        loop {
            while pause.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            match from_server.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to_client.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to_client.shutdown().await;
    });
    (local, paused)
}

/// A client that stops reading while it goes on typing fills its frame
/// queue (shortened here by a test-only hook) and is dropped (`overrun`);
/// its goodbye has a slot of its own, so once it reads again it gets its
/// terminal back and the reason.
#[test]
fn a_client_that_stops_reading_still_gets_its_terminal_back() {
    let server = Server::start(&[], "", &[("AIWATCH_TUI_TEST_FRAME_WAIT_MS", "2000")]);
    runtime().block_on(async {
        let (port, paused) = relay(server.port).await;
        // A small window: the server may send little before the client
        // has to read.
        let config = client::Config {
            window_size: 4096,
            ..Default::default()
        };
        let mut reader =
            Reader::connect_with(port, config, (100, 30), Some("Showing all actors")).await;
        paused.store(true, Ordering::SeqCst);
        let start = Instant::now();
        let mut presses = 0;
        while !server.log().contains("event=overrun") {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no overrun after {presses} keys:\n{}",
                server.log()
            );
            reader
                .send(if presses % 2 == 0 { b"d" } else { b"m" })
                .await;
            presses += 1;
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        paused.store(false, Ordering::SeqCst);
        reader.until_closed().await;
        let tail = &reader.raw[reader.raw.len().saturating_sub(400)..];
        let text = String::from_utf8_lossy(tail);
        assert!(
            tail.windows(RESTORE.len()).any(|w| w == RESTORE),
            "the terminal is restored: {text:?}"
        );
        assert!(text.contains("did not keep up"), "{text:?}");
        assert!(!reader.screen.screen().alternate_screen());
        assert!(!reader.screen.screen().hide_cursor());
    });
    server.wait_log("event=close");
    let log = server.log();
    assert!(
        log.contains("event=overrun") && log.contains("what=output"),
        "{log}"
    );
    assert!(
        log.contains("event=session_end") && log.contains("reason=overrun"),
        "{log}"
    );
    let close = log.lines().find(|l| l.contains("event=close")).unwrap();
    assert!(close.contains("reason=overrun"), "{log}");
}

/// The window-clamp notice: said when the window is larger than the
/// server draws, said again with the new numbers on a later clamp to
/// another size, and taken back when the window fits again.
#[test]
fn the_clamp_notice_follows_the_window() {
    let server = Server::start(&[], "[serve]\nmax_width = 90\nmax_height = 30\n", &[]);
    runtime().block_on(async {
        let mut reader = Reader::connect_with(
            server.port,
            client::Config::default(),
            (100, 30),
            Some("shown at 90x30"),
        )
        .await;
        // Larger again, other numbers: said with those.
        reader.resize(95, 24).await;
        reader.wait_for("shown at 90x24").await;
        // Within bounds: the notice goes, and is not said again.
        reader.resize(80, 24).await;
        let gone = reader
            .read_until(TIMEOUT, |r| {
                !r.screen.screen().contents().contains("shown at")
            })
            .await;
        assert!(gone, "{}", reader.screen.screen().contents());
        reader.resize(85, 20).await;
        reader.send(b"d").await;
        reader.wait_for("Showing DeepSeek").await;
        assert!(
            !reader.screen.screen().contents().contains("shown at"),
            "{}",
            reader.screen.screen().contents()
        );
        reader.send(b"q").await;
        reader.until_closed().await;
    });
}

/// A client whose terminal has no size (0x0) gets nothing, however many
/// keys it sends, until a window change gives it one.
#[test]
fn a_window_without_a_size_gets_no_frames_until_it_has_one() {
    let server = Server::start(&[], "", &[]);
    runtime().block_on(async {
        let mut reader =
            Reader::connect_with(server.port, client::Config::default(), (0, 0), None).await;
        for _ in 0..10 {
            reader.send(b"j").await;
        }
        reader
            .read_until(Duration::from_millis(800), |_| false)
            .await;
        assert!(!reader.closed);
        assert!(
            reader.raw.is_empty(),
            "sent {:?}",
            String::from_utf8_lossy(&reader.raw)
        );
        reader.resize(100, 30).await;
        reader.wait_for("Showing all actors").await;
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    server.wait_log("reason=quit");
}

/// A client connected to `port` and signed in without a key.
async fn signed_in(port: u16) -> client::Handle<Client> {
    let config = Arc::new(client::Config::default());
    let mut handle = client::connect(config, ("127.0.0.1", port), Client)
        .await
        .unwrap();
    assert!(handle.authenticate_none("reader").await.unwrap().success());
    handle
}

/// Runs `command` on `channel`: what came on stderr, and the exit status.
async fn run_command(
    channel: &mut russh::Channel<client::Msg>,
    command: &str,
) -> (Vec<u8>, Option<u32>) {
    channel.exec(true, command).await.unwrap();
    let mut stderr = Vec::new();
    let mut status = None;
    while let Ok(Some(msg)) = tokio::time::timeout(TIMEOUT, channel.wait()).await {
        match msg {
            ChannelMsg::ExtendedData { data, .. } => stderr.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    (stderr, status)
}

/// Each refusal is logged with its reason, and a connection that ran no
/// reader ends with `reason=refused`, not `client_gone`.
#[test]
fn refusals_say_why_in_the_log() {
    let server = Server::start(&[], "", &[]);
    runtime().block_on(async {
        let handle = signed_in(server.port).await;
        let channel = handle.channel_open_session().await.unwrap();
        let mut channel = channel;
        // A subsystem, X11 and agent forwarding: each answered with a failure.
        for which in 0..3 {
            match which {
                0 => channel.request_subsystem(true, "sftp").await.unwrap(),
                1 => channel
                    .request_x11(true, false, "MIT-MAGIC-COOKIE-1", "00ff", 0)
                    .await
                    .unwrap(),
                _ => channel.agent_forward(true).await.unwrap(),
            }
            loop {
                match tokio::time::timeout(TIMEOUT, channel.wait()).await.unwrap() {
                    Some(ChannelMsg::Failure) => break,
                    Some(ChannelMsg::Success) => panic!("request {which} was granted"),
                    Some(_) => {}
                    None => panic!("the channel closed without an answer"),
                }
            }
        }
        assert!(
            handle
                .channel_open_direct_tcpip("127.0.0.1", 22, "127.0.0.1", 5000)
                .await
                .is_err()
        );
        let (stderr, status) = run_command(&mut channel, "ls").await;
        assert_eq!(status, Some(1));
        assert!(String::from_utf8_lossy(&stderr).contains("runs no commands"));
        drop(channel);
        let _ = handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    });
    server.wait_log("event=close");
    let log = server.log();
    for request in [
        "subsystem name=sftp",
        "x11-forwarding",
        "agent-forwarding",
        "port-forwarding",
        "exec",
    ] {
        let line = log
            .lines()
            .find(|l| l.contains(&format!("request={request} ")))
            .unwrap_or_else(|| panic!("no refusal of {request}: {log}"));
        assert!(line.contains("reason="), "{line}");
    }
    let close = log.lines().find(|l| l.contains("event=close")).unwrap();
    assert!(close.contains("reason=refused"), "{log}");
}

/// `ssh host ls` from a German locale: the refusal on stderr is in the
/// client's language, as the session's goodbyes are.
#[test]
fn a_command_is_refused_in_the_clients_language() {
    let server = Server::start(&[], "", &[]);
    runtime().block_on(async {
        let handle = signed_in(server.port).await;
        let mut channel = handle.channel_open_session().await.unwrap();
        channel.set_env(true, "LANG", "de_DE.UTF-8").await.unwrap();
        let (stderr, status) = run_command(&mut channel, "ls").await;
        assert_eq!(status, Some(1));
        let said = String::from_utf8_lossy(&stderr);
        assert!(said.contains("führt keine Befehle aus"), "{said}");
    });
}

/// A paste start marker cut after its Esc (two packets) is still a paste:
/// the Esc waits for the rest without holding up the next read; a lone
/// Esc still works after the pause.
#[test]
fn a_paste_marker_split_after_its_escape_is_still_a_paste() {
    let server = Server::start(&[], "", &[]);
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        reader.send(b"/").await;
        reader.send(b"\x1b").await;
        reader.send(b"[200~musk\x1b[201~").await;
        reader.wait_for("/musk").await;
        // A lone Esc leaves the search line, then keys are commands.
        reader.send(b"\x1b").await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        reader.send(b"d").await;
        reader.wait_for("Showing DeepSeek").await;
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    server.wait_log("reason=quit");
}

/// Request spam (shells and environment variables, asked again and again
/// without waiting for answers) is cut off: past a burst the client is
/// dropped (`overrun`), the log stays short, and the server's threads come
/// back to where they were.
#[test]
fn request_spam_is_cut_off() {
    let server = Server::start(&[], "", &[]);
    let baseline = server.settled_threads();
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        for i in 0..2000 {
            let sent = if i % 2 == 0 {
                reader.channel.request_shell(false).await
            } else {
                reader.channel.set_env(false, "LC_SPAM", "x").await
            };
            if sent.is_err() {
                break;
            }
        }
        reader.until_closed().await;
    });
    server.wait_log("event=close");
    let log = server.log();
    assert!(
        log.contains("event=overrun") && log.contains("what=requests"),
        "{log}"
    );
    let close = log.lines().find(|l| l.contains("event=close")).unwrap();
    assert!(close.contains("reason=overrun"), "{log}");
    let refusals = log.matches("event=refuse").count();
    assert!(refusals <= 128, "{refusals} refusals logged");
    let start = Instant::now();
    while server.threads() > baseline {
        assert!(start.elapsed() < TIMEOUT, "threads stay above {baseline}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A client that connects and never sends its version line is dropped
/// within the login timeout, and its place is free again.
#[test]
fn a_silent_client_is_dropped_within_the_login_timeout() {
    let server = Server::start(
        &["--max-per-address", "1"],
        "[serve]\nauth_timeout = 2\n",
        &[],
    );
    let start = Instant::now();
    let mut silent = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut bytes = Vec::new();
    let _ = silent.read_to_end(&mut bytes);
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "still connected after {took:?}"
    );
    assert!(String::from_utf8_lossy(&bytes).starts_with("SSH-2.0-"));
    server.wait_log("event=close");
    let log = server.log();
    let close = log.lines().find(|l| l.contains("event=close")).unwrap();
    assert!(close.contains("reason=login_timeout"), "{log}");
    assert!(close.contains("addresses=0"), "{log}");
}

/// A client that sends its version line and then nothing: at the login
/// timeout its TCP connection is closed (not only logged as closed), and
/// the server holds no socket for it any more, so the per-address limit
/// counts every socket really open.
#[test]
fn a_login_timeout_closes_the_socket() {
    let server = Server::start(
        &["--max-per-address", "3"],
        "[serve]\nauth_timeout = 2\n",
        &[],
    );
    let baseline = server.sockets();
    let start = Instant::now();
    let mut clients: Vec<std::net::TcpStream> = (0..3)
        .map(|_| {
            let mut c = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            std::io::Write::write_all(&mut c, b"SSH-2.0-OpenSSH_9.2\r\n").unwrap();
            c.set_read_timeout(Some(Duration::from_secs(25))).unwrap();
            c
        })
        .collect();
    // Each is told (EOF after the reason) and closes its end.
    for mut client in clients.drain(..) {
        let mut bytes = Vec::new();
        let _ = client.read_to_end(&mut bytes);
    }
    let took = start.elapsed();
    // The login timeout, then at most the closing wait (10 s).
    assert!(
        took < Duration::from_secs(16),
        "still connected after {took:?}"
    );
    let log = server.log();
    assert_eq!(
        log.matches("event=disconnect peer=127.0.0.1").count(),
        3,
        "{log}"
    );
    // The server's side is gone too, within the bound it gives russh.
    let settled = Instant::now();
    while server.sockets() > baseline {
        assert!(
            settled.elapsed() < Duration::from_secs(6),
            "{} sockets open, {baseline} before the clients",
            server.sockets()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server.wait_log("event=close peer");
    assert_eq!(server.log().matches("reason=login_timeout").count(), 6);
    // And three more are admitted (nothing left counting against the address).
    let more: Vec<_> = (0..3)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    assert!(!server.log().contains("event=refuse"), "{}", server.log());
    drop(more);
}

/// 70,000 bytes typed at once into the search line (a paste without
/// bracketing, as `tmux paste-buffer` sends it): the burst is applied as a
/// whole, what is past the input burst is dropped, the search line stops
/// at its bound and says so, and the session goes on.
#[test]
fn a_huge_unbracketed_paste_into_search_keeps_the_session() {
    let server = Server::start(&[], "", &[]);
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        reader.send(b"/").await;
        let typed = vec![b'a'; 70_000];
        for piece in typed.chunks(32 * 1024) {
            reader.send(piece).await;
        }
        reader
            .wait_for("Search text is limited to 200 characters.")
            .await;
        // Well past the time a flood of frames would have filled the queue.
        let still = reader.read_until(Duration::from_secs(5), |_| false).await;
        assert!(!still && !reader.closed, "the session ended");
        reader.leave_search_and_quit().await;
    });
    server.wait_log("reason=quit");
    let log = server.log();
    assert!(!log.contains("overrun"), "{log}");
}

/// A bracketed paste longer than the input burst (70,000 bytes, as
/// `tmux paste-buffer -p` sends it): its end marker comes past the burst
/// and must still end the paste, or every later key would be taken as
/// pasted text and the session would seem frozen.
#[test]
fn a_bracketed_paste_longer_than_the_burst_still_ends() {
    let server = Server::start(&[], "", &[]);
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        reader.send(b"/").await;
        let mut pasted = b"\x1b[200~".to_vec();
        pasted.extend(std::iter::repeat_n(b'a', 70_000));
        pasted.extend_from_slice(b"\x1b[201~");
        for piece in pasted.chunks(32 * 1024) {
            reader.send(piece).await;
        }
        reader
            .wait_for("Search text is limited to 200 characters.")
            .await;
        // Keys work again (past the burst's refill): leave the search, quit.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        reader.leave_search_and_quit().await;
    });
    server.wait_log("reason=quit");
}

/// Durations past 30 days are refused at start with what set them (the
/// flag, or the config's place in the file), exit status 2, never a panic.
#[test]
fn durations_past_thirty_days_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], config: &str| serve::run_to_exit(dir.path(), args, config);
    for value in ["18446744073709551614", "9223372036854775807", "2592001"] {
        let out = run(&["--idle-timeout", value], "");
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {text}");
        assert!(text.contains("--idle-timeout"), "{text}");
        assert!(text.contains("at most 2592000 (30 days)"), "{text}");
        assert!(!text.contains("panicked"), "{text}");
    }
    let zero = run(&["--idle-timeout", "0"], "");
    let text = String::from_utf8_lossy(&zero.stderr);
    assert!(text.contains("expected 1 or more"), "{text}");
    for (key, value, unit) in [
        ("idle_timeout", "9223372036854775807", "seconds"),
        ("auth_timeout", "2592001", "seconds"),
        ("session_hours", "721", "hours"),
    ] {
        let out = run(&[], &format!("[serve]\n{key} = {value}\n"));
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{key}: {text}");
        let at = format!("config.toml:2:{}", key.len() + 4);
        assert!(text.contains(&at), "{at}: {text}");
        assert!(text.contains(&format!("{unit} (30 days)")), "{text}");
        assert!(!text.contains("panicked"), "{text}");
    }
}

/// Config warnings are the operator's: logged at start with their place,
/// never shown to the readers (who cannot act on the server's file).
#[test]
fn config_warnings_go_to_the_operator_not_the_readers() {
    let server = Server::start(&[], "langauge = \"en\"\n[serve]\nmax_sesions = 5\n", &[]);
    server.wait_log("event=config_warning");
    let log = server.log();
    let warnings: Vec<_> = log
        .lines()
        .filter(|l| l.contains("event=config_warning"))
        .collect();
    assert_eq!(warnings.len(), 2, "{log}");
    assert!(warnings[0].contains("config.toml:1:1"), "{log}");
    assert!(warnings[1].contains("config.toml:3:1"), "{log}");
    assert!(warnings[1].contains("max_sesions"), "{log}");
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        reader.send(b"!").await;
        let _ = reader.read_until(Duration::from_secs(1), |_| false).await;
        let screen = reader.screen.screen().contents();
        assert!(!screen.contains("warning"), "{screen}");
        assert!(!screen.contains("config.toml"), "{screen}");
    });
}
