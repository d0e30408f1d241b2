//! `aiwatch-tui serve` as an operator sees it: `/healthz` (syncing,
//! ready, draining), the drain on SIGTERM and SIGUSR1 (the listener
//! closed, every reader told, the goodbye after the grace or at a second
//! SIGTERM, an early end when everyone has left), `/metrics` (every
//! documented metric present and moving as sessions come and go), and the
//! bounds of the small HTTP listener (head size, slow clients, many
//! connections, no threads).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[path = "common/http.rs"]
mod http;
#[path = "common/serve.rs"]
mod serve;
#[path = "common/ssh_client.rs"]
mod ssh_client;

use serve::{Server, TIMEOUT};
use ssh_client::{Reader, runtime};

const OPS: &str = "event=ops_listening address=";

/// One request, the whole answer: status (0: none) and body.
fn request(port: u16, head: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    // A connection closed unanswered (the listener full) is status 0.
    let _ = s.write_all(head.as_bytes());
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn get(port: u16, path: &str) -> (u16, String) {
    request(port, &format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n"))
}

/// Waits (20 s at most) until `GET path` answers `status`.
fn wait_status(port: u16, path: &str, status: u16) -> String {
    let start = Instant::now();
    loop {
        let (got, body) = get(port, path);
        if got == status {
            return body;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "{path} still answers {got} {body:?}, not {status}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The reader is told the server is shutting down, and closed.
async fn said_goodbye(reader: &mut Reader) {
    reader.until_closed().await;
    let text = String::from_utf8_lossy(&reader.raw).into_owned();
    assert!(
        text.contains("The server is shutting down: goodbye."),
        "{text:?}"
    );
}

/// Waits (20 s at most) for the server to exit with success; its log.
fn exit_log(server: &mut Server) -> String {
    assert!(exited(server), "{}", server.log());
    server.log()
}

/// Waits (20 s at most) for the server to exit; whether it succeeded.
fn exited(server: &mut Server) -> bool {
    let start = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status.success();
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "the server still runs:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The value of one sample (`name` with its labels, as written).
fn sample(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in\n{text}"))
}

fn scrape(port: u16) -> String {
    let (status, body) = get(port, "/metrics");
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits (20 s at most) until `name` reads `value`.
fn wait_sample(port: u16, name: &str, value: u64) -> String {
    let start = Instant::now();
    loop {
        let text = scrape(port);
        if sample(&text, name) == value {
            return text;
        }
        assert!(start.elapsed() < TIMEOUT, "{name} is not {value}:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn health_says_syncing_until_the_server_listens_then_ready() {
    let dir = tempfile::tempdir().unwrap();
    let gate = dir.path().join("go");
    let mut server = Server::launch(
        &["--health", "127.0.0.1:0"],
        "",
        &[("AIWATCH_TUI_TEST_SYNC_GATE", gate.to_str().unwrap())],
    );
    let ops = server.wait_port(OPS);
    assert_eq!(get(ops, "/healthz"), (503, "syncing\n".to_owned()));
    assert!(
        !server.log().contains("event=listening"),
        "{}",
        server.log()
    );
    // Only the health path is served there.
    assert_eq!(get(ops, "/metrics").0, 404);
    std::fs::write(&gate, "").unwrap();
    server.port = server.wait_port("event=listening address=");
    assert_eq!(wait_status(ops, "/healthz", 200), "ready\n");
    server.signal("TERM");
    assert!(exited(&mut server), "{}", server.log());
}

#[test]
fn sigterm_drains_tells_every_reader_and_says_goodbye_after_the_grace() {
    let mut server = Server::start(&["--health", "127.0.0.1:0", "--drain-grace", "4"], "", &[]);
    let ops = server.wait_port(OPS);
    assert_eq!(get(ops, "/healthz"), (200, "ready\n".to_owned()));
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        server.signal("TERM");
        reader.wait_for("This server closes in").await;
        // Not ready, and no new SSH connections.
        assert_eq!(get(ops, "/healthz"), (503, "draining\n".to_owned()));
        assert!(
            TcpStream::connect(("127.0.0.1", server.port)).is_err(),
            "the SSH listener is closed during the drain"
        );
        said_goodbye(&mut reader).await;
    });
    let log = exit_log(&mut server);
    assert!(
        log.contains("event=drain signal=SIGTERM grace_s=4 sessions=1"),
        "{log}"
    );
    assert!(log.contains("event=drain_end reason=grace_over"), "{log}");
    assert!(log.contains("reason=server_shutdown"), "{log}");
}

#[test]
fn sigusr1_drains_the_same_and_ends_early_when_every_reader_has_left() {
    let mut server = Server::start(
        &["--health", "127.0.0.1:0", "--drain-grace", "600"],
        "",
        &[],
    );
    let ops = server.wait_port(OPS);
    runtime().block_on(async {
        let mut first = Reader::connect(server.port).await;
        let mut second = Reader::connect(server.port).await;
        server.signal("USR1");
        first.wait_for("This server closes in 10 min").await;
        second.wait_for("This server closes in 10 min").await;
        assert_eq!(get(ops, "/healthz"), (503, "draining\n".to_owned()));
        first.send(b"q").await;
        first.until_closed().await;
        second.send(b"q").await;
        second.until_closed().await;
    });
    let log = exit_log(&mut server);
    assert!(
        log.contains("event=drain signal=SIGUSR1 grace_s=600 sessions=2"),
        "{log}"
    );
    assert!(
        log.contains("event=drain_end reason=sessions_gone"),
        "{log}"
    );
    assert!(log.contains("event=shutdown sessions=0"), "{log}");
}

#[test]
fn a_second_sigterm_ends_the_drain_at_once() {
    let mut server = Server::start(&["--drain-grace", "600"], "", &[]);
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        server.signal("TERM");
        reader.wait_for("This server closes in 10 min").await;
        server.signal("TERM");
        said_goodbye(&mut reader).await;
    });
    let log = exit_log(&mut server);
    assert!(
        log.contains("event=drain_end reason=second_signal"),
        "{log}"
    );
}

/// Every metric docs/serve.md lists (a backticked `aiwatch_` or
/// `process_` name in its metrics table).
fn documented_metrics() -> Vec<String> {
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/serve.md"),
    )
    .unwrap();
    let mut names: Vec<String> = docs
        .lines()
        .filter(|l| l.starts_with("| `aiwatch_") || l.starts_with("| `process_"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_owned))
        .collect();
    names.dedup();
    assert!(names.len() > 10, "the metrics table: {names:?}");
    names
}

#[test]
fn metrics_list_every_documented_metric_and_move_with_sessions() {
    let server = Server::start(
        &["--health", "127.0.0.1:0", "--metrics", "127.0.0.1:0"],
        "",
        &[],
    );
    let ops = server.wait_port(OPS);
    assert!(
        server.log().contains("paths=/healthz,/metrics"),
        "one listener for both"
    );
    let before = scrape(ops);
    for name in documented_metrics() {
        assert!(
            before.contains(&format!("# TYPE {name} ")),
            "{name} is documented but not served:\n{before}"
        );
    }
    assert_eq!(sample(&before, "aiwatch_sessions_current"), 0);
    let (status, _) = request(ops, "POST /metrics HTTP/1.1\r\n\r\n");
    assert_eq!(status, 405);
    assert_eq!(get(ops, "/elsewhere").0, 404);
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        let during = wait_sample(ops, "aiwatch_sessions_current", 1);
        assert_eq!(sample(&during, "aiwatch_sessions_total"), 1);
        assert_eq!(
            sample(
                &during,
                "aiwatch_auth_total{method=\"none\",result=\"accept\"}"
            ),
            1
        );
        let sent_before = sample(&during, "aiwatch_sent_bytes_total");
        assert!(sent_before > 0, "the first frames were counted");
        // Each key changes the screen: its frame adds one latency. A lone
        // Esc (leaving the search line) counts after its pause.
        for key in [&b"j"[..], b"j", b"k", b"/", b"\x1b"] {
            let count = sample(&scrape(ops), "aiwatch_key_to_frame_seconds_count");
            reader.send(key).await;
            let start = Instant::now();
            while sample(&scrape(ops), "aiwatch_key_to_frame_seconds_count") < count + 1 {
                assert!(
                    start.elapsed() < TIMEOUT,
                    "no latency for a key:\n{}",
                    scrape(ops)
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let after = scrape(ops);
        assert!(sample(&after, "aiwatch_sent_bytes_total") > sent_before);
        assert!(sample(&after, "aiwatch_input_bytes_total") >= 3);
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    let after = wait_sample(ops, "aiwatch_sessions_current", 0);
    assert_eq!(
        sample(&after, "aiwatch_session_ends_total{reason=\"quit\"}"),
        1
    );
    let closed = wait_sample(ops, "aiwatch_connection_ends_total{reason=\"quit\"}", 1);
    assert_eq!(sample(&closed, "aiwatch_connections_total"), 1);
}

#[test]
fn refusals_are_counted_by_reason() {
    let server = Server::start(
        &["--metrics", "127.0.0.1:0", "--max-per-address", "1"],
        "",
        &[],
    );
    let ops = server.wait_port(OPS);
    runtime().block_on(async {
        let mut reader = Reader::connect(server.port).await;
        // A second connection from the address is refused before any
        // handshake.
        let mut second = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        second.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut told = Vec::new();
        let _ = second.read_to_end(&mut told);
        assert!(
            String::from_utf8_lossy(&told).contains("too many connections"),
            "{told:?}"
        );
        wait_sample(ops, "aiwatch_refusals_total{reason=\"per_address\"}", 1);
        reader.send(b"q").await;
        reader.until_closed().await;
    });
}

#[test]
fn the_http_listener_is_bounded() {
    let server = Server::start(&["--health", "127.0.0.1:0"], "", &[]);
    let ops = server.wait_port(OPS);
    let baseline = server.settled_threads();
    // A head past the cap: refused with 431, not read on.
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let mut s = TcpStream::connect(("127.0.0.1", ops)).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    let _ = s.write_all(huge.as_bytes());
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 431 "),
        "{:?}",
        String::from_utf8_lossy(&answer)
    );
    // A slow client (a byte, then nothing) is closed after the read
    // timeout, unanswered.
    let mut slow = TcpStream::connect(("127.0.0.1", ops)).unwrap();
    slow.set_read_timeout(Some(TIMEOUT)).unwrap();
    slow.write_all(b"G").unwrap();
    let mut rest = Vec::new();
    let read = slow.read_to_end(&mut rest);
    assert!(
        matches!(read, Ok(0)) || read.is_err() && rest.is_empty(),
        "the slow client was closed: {read:?} {rest:?}"
    );
    assert!(rest.is_empty(), "nothing answered to half a request");
    // Many idle connections at once: those past the cap are closed at
    // once (read end), the server's threads stay as they were.
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", ops)).unwrap())
        .collect();
    let mut closed = 0;
    for mut s in idle.iter().skip(40) {
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut buf = [0u8; 16];
        if matches!(s.read(&mut buf), Ok(0) | Err(_)) {
            closed += 1;
        }
    }
    assert_eq!(closed, 60, "every connection past the cap is closed");
    assert_eq!(server.threads(), baseline, "no thread per connection");
    drop(idle);
    // Once they are gone, the endpoint answers again.
    assert_eq!(wait_status(ops, "/healthz", 200), "ready\n");
    assert_eq!(server.settled_threads(), baseline);
}

#[test]
fn bad_endpoint_settings_are_start_up_errors() {
    let run = |args: &[&str], config: &str| {
        let mut server = Server::launch(args, config, &[]);
        let code = server.child.wait().unwrap().code();
        (code, server.log())
    };
    let (code, err) = run(&["--health", "nowhere"], "");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bad health address \"nowhere\""), "{err}");
    let (code, err) = run(&[], "[serve]\nmetrics = \"localhost\"\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(":2:11") && err.contains("[serve] \"metrics\": expected ADDRESS:PORT"),
        "{err}"
    );
    let (code, err) = run(&["--drain-grace", "3601"], "");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("at most 3600"), "{err}");
    let (code, err) = run(&[], "[serve]\ndrain_grace = 7200\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("[serve] \"drain_grace\": at most 3600"),
        "{err}"
    );
    // The health address taken: said, exit 2.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let at = taken.local_addr().unwrap().to_string();
    let (code, err) = run(&["--health", &at], "");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&format!("cannot listen on {at}")), "{err}");
}

#[test]
fn feed_fetches_and_store_writes_are_counted_by_result() {
    let web = http::Server::start(|req| match req.path.as_str() {
        "/good" => http::Reply::ok(http::rss("ops", 2)),
        _ => http::Reply::status(500),
    });
    let config = format!(
        "[[feeds]]\nname = \"good\"\nurl = \"{}\"\n[[feeds]]\nname = \"bad\"\nurl = \"{}\"\n",
        web.url("/good"),
        web.url("/bad")
    );
    let server = Server::start(
        &["--metrics", "127.0.0.1:0"],
        &config,
        &[("AIWATCH_TUI_TEST_FEED_INTERVAL_MS", "60000")],
    );
    let ops = server.wait_port(OPS);
    let text = wait_sample(ops, "aiwatch_feed_fetches_total{result=\"ok\"}", 1);
    assert!(
        sample(&text, "aiwatch_feed_fetches_total{result=\"failed\"}") >= 1,
        "{text}"
    );
    // The sync at start, then the round that stored the new items.
    let text = wait_sample(ops, "aiwatch_store_syncs_total{result=\"ok\"}", 2);
    assert_eq!(
        sample(&text, "aiwatch_store_syncs_total{result=\"failed\"}"),
        0,
        "{text}\n{}",
        server.log()
    );
}
