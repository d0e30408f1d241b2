//! Hostile SSH clients against `aiwatch-tui serve` (issue #14), written in
//! the test suite: garbage instead of a version line, a version line that
//! never ends, a client that stops in the middle of its handshake, a packet
//! longer than the protocol allows and the largest packets it does allow,
//! windows of 0x0 and 65,535x65,535, thousands of channel opens, and
//! environment requests with huge values. Each is refused or survived
//! within bounds: the server's threads and memory stay within a fixed
//! amount of where they were, it still serves another reader meanwhile and
//! after, and nothing is left behind once the client is gone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use russh::ChannelMsg;

#[path = "common/serve.rs"]
mod serve;
#[path = "common/ssh_client.rs"]
mod ssh_client;

use serve::{Server, TIMEOUT};
use ssh_client::{Reader, runtime};

/// How much the server's resident memory may grow over one hostile
/// client: far below what the client asks for, well above the noise of a
/// reader session (its frames, its library view).
const RSS_GROWTH_BOUND_KIB: u64 = 48 * 1024;

/// The server's resident memory in KiB, from /proc.
fn rss_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Reads from `stream` until the server closes it (or `limit` passes);
/// what was read, and whether it was closed.
fn read_to_close(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let start = Instant::now();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => return (bytes, true),
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (bytes, true),
        }
    }
    (bytes, false)
}

/// Writes `bytes` in pieces; stops quietly when the server has closed
/// the connection (which is what a hostile client should get).
fn write_until_refused(stream: &mut TcpStream, bytes: &[u8]) {
    for piece in bytes.chunks(16 * 1024) {
        if stream.write_all(piece).is_err() {
            return;
        }
    }
}

/// The server's threads, sockets and memory before a hostile client.
struct Baseline {
    threads: usize,
    sockets: usize,
    rss_kib: u64,
}

impl Baseline {
    fn of(server: &Server) -> Self {
        Self {
            threads: server.settled_threads(),
            sockets: server.sockets(),
            rss_kib: rss_kib(server),
        }
    }

    /// Memory has not followed what the client asked for.
    fn assert_memory_bounded(&self, server: &Server, what: &str) {
        let now = rss_kib(server);
        assert!(
            now < self.rss_kib + RSS_GROWTH_BOUND_KIB,
            "RSS went from {} to {now} KiB {what}",
            self.rss_kib
        );
    }

    /// Threads and sockets come back to where they were.
    fn wait_for(&self, server: &Server) {
        let start = Instant::now();
        while server.threads() > self.threads || server.sockets() > self.sockets {
            assert!(
                start.elapsed() < TIMEOUT,
                "threads {} (baseline {}), sockets {} (baseline {})",
                server.threads(),
                self.threads,
                server.sockets(),
                self.sockets
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Sends `bytes` on a new connection: the server must close it, having
/// said its version line, with its memory bounded; afterwards threads and
/// sockets come back and another reader is served.
fn refused(server: &Server, bytes: &[u8]) {
    let baseline = Baseline::of(server);
    let mut client = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write_until_refused(&mut client, bytes);
    let (said, closed) = read_to_close(&mut client, TIMEOUT);
    assert!(closed, "the connection stayed open");
    assert!(
        String::from_utf8_lossy(&said).starts_with("SSH-2.0-"),
        "{said:?}"
    );
    baseline.assert_memory_bounded(server, "under hostile bytes");
    drop(client);
    baseline.wait_for(server);
    another_reader_answers(server);
}

/// A reader still answers: a key, then its frame.
fn another_reader_answers(server: &Server) {
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        reader.send(b"d").await;
        reader.wait_for("Showing DeepSeek").await;
        reader.send(b"q").await;
        reader.until_closed().await;
    });
}

/// An HTTP request and then binary garbage where the version line should
/// be: the server ends the connection (having said its own version), its
/// memory and threads do not follow the garbage, and it serves the next
/// reader.
#[test]
fn garbage_instead_of_a_version_line_is_dropped() {
    let server = Server::start(&[], "[serve]\nauth_timeout = 5\n", &[]);
    let mut garbage = b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n".to_vec();
    // Bytes of every value, CR and LF among them, for 256 KiB.
    garbage.extend((0..256 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    refused(&server, &garbage);
}

/// `SSH-2.0-` followed by a megabyte without a line end: the line is cut
/// off at the protocol's bound, not buffered to the end.
#[test]
fn a_version_line_that_never_ends_is_cut_off() {
    let server = Server::start(&[], "[serve]\nauth_timeout = 5\n", &[]);
    let mut line = b"SSH-2.0-".to_vec();
    line.resize(1024 * 1024, b'a');
    refused(&server, &line);
}

/// A client that sends its version line and the first bytes of a packet,
/// then nothing: its end is decided at the login timeout, and since it
/// never reads the reason (russh waits for the rest of its packet), its
/// socket is shut after the closing wait: 2 + 10 s here, not never.
#[test]
fn a_client_that_stops_in_its_handshake_is_dropped_at_the_login_timeout() {
    let server = Server::start(&[], "[serve]\nauth_timeout = 2\n", &[]);
    let baseline = Baseline::of(&server);
    let mut client = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    // A packet announced as 4,096 bytes, of which 10 arrive.
    client
        .write_all(b"SSH-2.0-stalled\r\n\x00\x00\x10\x00\x0a\x14abcdefgh")
        .unwrap();
    let start = Instant::now();
    let (_, closed) = read_to_close(&mut client, TIMEOUT);
    assert!(closed, "the connection stayed open");
    assert!(
        start.elapsed() < Duration::from_secs(2 + 10 + 5),
        "dropped only after {:?}: {}",
        start.elapsed(),
        server.log()
    );
    server.wait_log("event=close");
    let log = server.log();
    let close = log.lines().find(|l| l.contains("event=close")).unwrap();
    assert!(close.contains("reason=login_timeout"), "{log}");
    assert!(
        log.lines()
            .any(|l| l.contains("event=disconnect") && l.contains("reason=login_timeout")),
        "{log}"
    );
    drop(client);
    baseline.wait_for(&server);
}

/// A packet announced as 2 GiB is refused without the server reserving
/// it; the largest packets the protocol allows, a bracketed paste of
/// 320 KB sent in 32 KB messages by a logged-in reader, are taken in
/// (the paste capped) and the session goes on.
#[test]
fn oversized_packets_are_refused_and_the_largest_allowed_are_served() {
    let server = Server::start(&[], "[serve]\nauth_timeout = 5\n", &[]);
    let mut huge = b"SSH-2.0-huge\r\n\x7f\xff\xff\xf0".to_vec();
    huge.extend(std::iter::repeat_n(0u8, 64 * 1024));
    refused(&server, &huge);

    let baseline = Baseline::of(&server);
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        reader.send(b"\x1b[200~").await;
        let chunk = vec![b'q'; 32 * 1024];
        for _ in 0..10 {
            reader.send(&chunk).await;
        }
        reader.send(b"\x1b[201~").await;
        // The paste's `q`s were text: the session is still there and
        // answers keys. Past its burst (64 KiB) a client's input is taken
        // at 16 KiB/s and keys over that are dropped (paste markers are
        // still followed): a key sent while the paste is still being
        // taken in may be dropped, and is sent again (a dropped key leaves
        // nothing behind).
        let start = Instant::now();
        loop {
            reader.send(b"d").await;
            let shown = reader
                .read_until(Duration::from_secs(1), |r| {
                    r.text().contains("Showing DeepSeek")
                })
                .await;
            if shown {
                break;
            }
            assert!(
                !reader.closed && start.elapsed() < TIMEOUT,
                "no answer to keys after the paste:\n{}",
                reader.text()
            );
        }
        assert!(!reader.closed);
        baseline.assert_memory_bounded(&server, "meanwhile");
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    baseline.wait_for(&server);
}

/// A terminal of 0x0 gets no frames and no panic; one that grows to
/// 65,535x65,535 is drawn at the server's clamp, said on screen, without
/// the memory a window of that size would take; back to 100x30 it is
/// drawn whole again.
#[test]
fn windows_of_zero_and_of_65535_are_survived() {
    let server = Server::start(&[], "", &[]);
    let baseline = Baseline::of(&server);
    runtime().block_on(async {
        let config = russh::client::Config::default();
        let mut reader = Reader::connect_with(server.port, config, (0, 0), None).await;
        reader.settle(Duration::from_millis(500)).await;
        assert!(!reader.closed);
        // The client's own screen stays 100x30: only the server is told.
        reader
            .screen
            .screen_mut()
            .set_size(30.try_into().unwrap(), 100.try_into().unwrap());
        reader
            .channel
            .window_change(65_535, 65_535, 0, 0)
            .await
            .unwrap();
        reader.read_until(TIMEOUT, |r| r.raw.len() > 1000).await;
        assert!(!reader.closed);
        baseline.assert_memory_bounded(&server, "at 65535x65535");
        tokio::time::sleep(Duration::from_millis(200)).await;
        reader.resize(100, 30).await;
        reader.wait_for("Showing all actors").await;
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    let log = server.log();
    assert!(log.contains("asked=65535x65535"), "{log}");
    assert!(log.contains("asked=0x0"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    baseline.wait_for(&server);
}

/// One connection opening 3,000 session channels: the first is served,
/// the rest refused, and past the request burst the client is dropped;
/// the server's threads never grow with the opens, and another reader is
/// served meanwhile and after.
#[test]
fn thousands_of_channel_opens_cost_no_threads() {
    let server = Server::start(&[], "", &[]);
    let baseline = Baseline::of(&server);
    let peak = runtime().block_on(async {
        let mut other = Reader::connect(server.port).await;
        let spammer = Reader::connect(server.port).await;
        let mut peak = 0;
        let mut opened = 0;
        let mut refused = 0;
        for _ in 0..3000 {
            match spammer.handle.channel_open_session().await {
                Ok(_) => opened += 1,
                Err(_) => refused += 1,
            }
            peak = peak.max(server.threads());
            if spammer.handle.is_closed() {
                break;
            }
        }
        assert_eq!(opened, 0, "a second session channel was opened");
        assert!(refused > 0);
        // The other reader was not disturbed.
        other.send(b"d").await;
        other.wait_for("Showing DeepSeek").await;
        other.send(b"q").await;
        other.until_closed().await;
        drop(spammer);
        peak
    });
    // Two readers' sessions above the baseline, and nothing per open.
    assert!(
        peak <= baseline.threads + 4,
        "threads went from {} to {peak} under channel opens",
        baseline.threads
    );
    let log = server.log();
    assert!(log.contains("reason=one_session_per_connection"), "{log}");
    assert!(
        log.matches("event=refuse").count() <= 200,
        "the log grew with the opens"
    );
    baseline.wait_for(&server);
    another_reader_answers(&server);
}

/// Environment requests with values of 30,000 characters (the largest a
/// packet carries) and hundreds of names: what is kept is capped (32
/// names, 256 characters each), a `LANG` that is garbage leaves the
/// reader in its default language, and the session is served.
#[test]
fn environment_requests_with_huge_values_are_capped() {
    let server = Server::start(&[], "", &[]);
    let baseline = Baseline::of(&server);
    runtime().block_on(async {
        let handle = russh::client::connect(
            std::sync::Arc::new(russh::client::Config::default()),
            ("127.0.0.1", server.port),
            ssh_client::Client,
        )
        .await
        .unwrap();
        let mut handle = handle;
        assert!(handle.authenticate_none("reader").await.unwrap().success());
        let channel = handle.channel_open_session().await.unwrap();
        let huge = "é".repeat(15_000);
        let mut answers = 0;
        channel.set_env(true, "LANG", &huge).await.unwrap();
        for i in 0..100 {
            channel
                .set_env(true, &format!("LC_X{i}"), &huge)
                .await
                .unwrap();
        }
        let mut channel = channel;
        while answers < 101 {
            match tokio::time::timeout(TIMEOUT, channel.wait()).await {
                Ok(Some(ChannelMsg::Success | ChannelMsg::Failure)) => answers += 1,
                Ok(Some(_)) => {}
                other => panic!("the env requests were not answered: {other:?}"),
            }
        }
        baseline.assert_memory_bounded(&server, "meanwhile");
        channel
            .request_pty(true, "xterm-256color", 100, 30, 0, 0, &[])
            .await
            .unwrap();
        channel.request_shell(true).await.unwrap();
        let mut screen = vt100::Parser::new(30.try_into().unwrap(), 100.try_into().unwrap(), 0);
        let start = Instant::now();
        while !screen.screen().contents().contains("Showing all actors") {
            assert!(start.elapsed() < TIMEOUT, "{}", screen.screen().contents());
            if let Ok(Some(ChannelMsg::Data { data })) =
                tokio::time::timeout(Duration::from_millis(200), channel.wait()).await
            {
                screen.process(&data);
            }
        }
        channel.data(&b"q"[..]).await.unwrap();
        while tokio::time::timeout(TIMEOUT, channel.wait())
            .await
            .ok()
            .flatten()
            .is_some()
        {}
    });
    let log = server.log();
    assert!(
        log.lines().all(|l| l.len() < 4096),
        "a log line carries the huge value"
    );
    baseline.wait_for(&server);
}
