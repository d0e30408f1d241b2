//! `aiwatch-tui serve` driven by an SSH client written with russh, so it
//! runs everywhere (no OpenSSH needed): a session that lasts a minute, a
//! second shell refused, floods that leave the thread count fixed and
//! another reader responsive, refused clients that leave nothing behind,
//! and a panicking session that ends alone, its client's terminal restored.
//! The long tests run concurrently (the harness runs tests in parallel).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::ChannelMsg;
use russh::client::{self, Msg};

const TIMEOUT: Duration = Duration::from_secs(20);

/// The terminal restored: alternate screen left, cursor shown, mouse and
/// bracketed paste off, attributes reset.
const RESTORE: &[u8] = b"\x1b[0m\x1b[?1006l\x1b[?1002l\x1b[?1000l\x1b[?2004l\x1b[?25h\x1b[?1049l";

struct Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(extra: &[&str], config: &str, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config_dir = dir.path().join("config").join("aiwatch-tui");
        std::fs::create_dir_all(&config_dir).unwrap();
        std::fs::write(config_dir.join("config.toml"), config).unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
            .args(["serve", "--listen", "127.0.0.1:0", "--host-key"])
            .arg(dir.path().join("host_key"))
            .args(extra)
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let start = Instant::now();
        let port = loop {
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            if let Some(port) = log
                .split("event=listening address=127.0.0.1:")
                .nth(1)
                .and_then(|r| r.lines().next())
                .and_then(|p| p.trim().parse().ok())
            {
                break port;
            }
            assert!(start.elapsed() < TIMEOUT, "the server did not start: {log}");
            std::thread::sleep(Duration::from_millis(50));
        };
        Self { child, port, dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The server's thread count, from /proc.
    fn threads(&self) -> usize {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("Threads:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// The thread count once it has settled (the index builder done).
    fn settled_threads(&self) -> usize {
        let mut last = self.threads();
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(100));
            let now = self.threads();
            if now == last {
                return now;
            }
            last = now;
        }
        last
    }

    fn wait_log(&self, text: &str) {
        let start = Instant::now();
        while !self.log().contains(text) {
            assert!(
                start.elapsed() < TIMEOUT,
                "no {text:?} in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

struct Client;

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// A logged-in reader with a terminal of 100x30, and what it has shown.
struct Reader {
    _handle: client::Handle<Client>,
    channel: russh::Channel<Msg>,
    screen: vt100::Parser,
    raw: Vec<u8>,
    closed: bool,
}

impl Reader {
    async fn connect(port: u16) -> Self {
        let config = Arc::new(client::Config::default());
        let mut handle = client::connect(config, ("127.0.0.1", port), Client)
            .await
            .unwrap();
        assert!(handle.authenticate_none("reader").await.unwrap().success());
        let channel = handle.channel_open_session().await.unwrap();
        channel
            .request_pty(true, "xterm-256color", 100, 30, 0, 0, &[])
            .await
            .unwrap();
        let mut reader = Self {
            _handle: handle,
            channel,
            screen: vt100::Parser::new(30.try_into().unwrap(), 100.try_into().unwrap(), 0),
            raw: Vec::new(),
            closed: false,
        };
        assert!(matches!(
            reader.next_reply().await,
            Some(ChannelMsg::Success)
        ));
        reader.channel.request_shell(true).await.unwrap();
        assert!(matches!(
            reader.next_reply().await,
            Some(ChannelMsg::Success)
        ));
        reader.wait_for("Showing all actors").await;
        reader
    }

    /// The next message that is not output (output is taken in).
    async fn next_reply(&mut self) -> Option<ChannelMsg> {
        loop {
            let msg = tokio::time::timeout(TIMEOUT, self.channel.wait())
                .await
                .ok()??;
            match msg {
                ChannelMsg::Data { data } => self.take(&data),
                ChannelMsg::WindowAdjusted { .. } => {}
                other => return Some(other),
            }
        }
    }

    fn take(&mut self, data: &[u8]) {
        self.screen.process(data);
        self.raw.extend_from_slice(data);
    }

    /// Reads output until `done` says so; `false` if the channel closed.
    async fn read_until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let start = Instant::now();
        while !done(self) {
            let left = limit.saturating_sub(start.elapsed());
            match tokio::time::timeout(left, self.channel.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => self.take(&data),
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close) | None) => {
                    self.closed = true;
                    return false;
                }
                Ok(Some(_)) => {}
                Err(_) => return false,
            }
        }
        true
    }

    async fn wait_for(&mut self, text: &str) {
        let found = self
            .read_until(TIMEOUT, |r| r.screen.screen().contents().contains(text))
            .await;
        assert!(
            found,
            "{text:?} not on the screen:\n{}",
            self.screen.screen().contents()
        );
    }

    async fn send(&self, bytes: &[u8]) {
        self.channel.data_bytes(bytes.to_vec()).await.unwrap();
    }

    /// Time from a key to the first output it causes.
    async fn key_to_frame(&mut self, key: &[u8]) -> Duration {
        let before = self.raw.len();
        let start = Instant::now();
        self.send(key).await;
        assert!(
            self.read_until(TIMEOUT, |r| r.raw.len() > before).await,
            "no frame after a key"
        );
        start.elapsed()
    }

    /// Reads until the channel closes; everything shown meanwhile.
    async fn until_closed(&mut self) {
        self.read_until(TIMEOUT, |_| false).await;
        assert!(self.closed, "the channel did not close");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

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
        flood.send(b"\x1b").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
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
        reader.send(b"\x1b").await;
        reader.send(b"q").await;
        reader.until_closed().await;
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
    assert!(String::from_utf8_lossy(&busy.stderr).contains(&address));

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
    drop(server);
    let _ = Path::new(path);
}
