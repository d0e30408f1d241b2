//! Fetching over HTTP against a local server (tests/common/http.rs), no
//! outside network: conditional GET, compression, redirects, the body cap,
//! timeouts, Retry-After, failing servers, and a parallel run where one
//! feed failing does not stop the others.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/http.rs"]
mod http;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aiwatch_tui::config::Config;
use aiwatch_tui::feeds::fetch::known_topics;
use aiwatch_tui::feeds::http::{Client, HttpError, Limits};
use aiwatch_tui::feeds::ledger::{FeedLedger, MemoryLedger, Outcome, Validators};
use aiwatch_tui::feeds::run::{self, Context, Options, Progress, Report, Status};
use aiwatch_tui::feeds::tag::Tagger;
use http::{Reply, Server};

fn limits(timeout_ms: u64, max_body: u64) -> Limits {
    Limits {
        timeout: Duration::from_millis(timeout_ms),
        connect_timeout: Duration::from_millis(timeout_ms),
        max_body,
    }
}

fn client() -> Client {
    Client::new(limits(5_000, 1024 * 1024))
}

fn get(url: &str) -> Result<aiwatch_tui::feeds::http::Response, HttpError> {
    client().get(url, &Validators::default(), &mut |_| {})
}

fn config(urls: &[String]) -> Config {
    let mut text = String::new();
    for (i, u) in urls.iter().enumerate() {
        let _ = writeln!(text, "[[feeds]]\nurl = \"{u}\"\nname = \"feed{i}\"");
    }
    Config::load(Some(("c.toml", &text))).unwrap()
}

/// Runs every feed of `urls` into `ledger`; the reports in order.
fn fetch(urls: &[String], ledger: &mut MemoryLedger, limits: Limits) -> Vec<Report> {
    let config = config(urls);
    let tagger = Tagger::from_config(&config);
    let topics = known_topics(&config);
    let ctx = Context {
        tagger: &tagger,
        known_topics: &topics,
    };
    let options = Options {
        limits,
        ..Options::default()
    };
    run::run(&config.feeds, ledger, &ctx, &options, &mut |_| {})
}

fn failed(report: &Report) -> &str {
    match &report.status {
        Status::Failed(reason) => reason,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_304_keeps_items_and_validators() {
    let server = Server::start(|req| {
        if req.header("If-None-Match") == Some("\"v1\"") {
            Reply::status(304)
        } else {
            Reply::ok(http::rss("cond", 3))
                .with_header("ETag", "\"v1\"")
                .with_header("Last-Modified", "Mon, 27 Jan 2025 10:00:00 GMT")
        }
    });
    let urls = [server.url("/feed")];
    let mut ledger = MemoryLedger::default();
    let first = fetch(&urls, &mut ledger, limits(5_000, 1 << 20));
    assert_eq!(first[0].status, Status::Fetched);
    assert_eq!(first[0].items, 3);
    let second = fetch(&urls, &mut ledger, limits(5_000, 1 << 20));
    assert_eq!(second[0].status, Status::NotModified);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("If-None-Match"), None);
    assert_eq!(requests[1].header("If-None-Match"), Some("\"v1\""));
    assert_eq!(
        requests[1].header("If-Modified-Since"),
        Some("Mon, 27 Jan 2025 10:00:00 GMT")
    );
    let record = ledger.last(&urls[0]).unwrap().unwrap();
    assert_eq!(record.outcome, Outcome::NotModified);
    assert_eq!(record.validators.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        record.validators.last_modified.as_deref(),
        Some("Mon, 27 Jan 2025 10:00:00 GMT")
    );
    assert_eq!(ledger.items[&urls[0]].len(), 3);
    // A third fetch still sends them: kept across the 304.
    fetch(&urls, &mut ledger, limits(5_000, 1 << 20));
    assert_eq!(server.requests()[2].header("If-None-Match"), Some("\"v1\""));
}

#[test]
fn the_request_names_the_program_and_accepts_compression() {
    let server = Server::start(|_| Reply::ok(http::rss("ua", 1)));
    get(&server.url("/")).unwrap();
    let request = &server.requests()[0];
    let agent = request.header("User-Agent").unwrap();
    assert!(
        agent.starts_with(&format!("aiwatch-tui/{}", env!("CARGO_PKG_VERSION"))),
        "{agent}"
    );
    let accepted = request.header("Accept-Encoding").unwrap();
    for encoding in ["gzip", "deflate", "br"] {
        assert!(accepted.contains(encoding), "{accepted}");
    }
}

#[test]
fn gzip_deflate_and_brotli_bodies_are_decoded() {
    let feed = http::rss("packed", 5);
    let bodies = [
        ("gzip", http::gzip(feed.as_bytes())),
        ("deflate", http::zlib(feed.as_bytes())),
        ("deflate", http::raw_deflate(feed.as_bytes())),
        ("br", http::brotli_stored(feed.as_bytes())),
    ];
    for (encoding, body) in bodies {
        let server = Server::start(move |_| {
            Reply::ok(body.clone()).with_header("Content-Encoding", encoding)
        });
        let response = get(&server.url("/f")).unwrap();
        assert_eq!(
            response.body.as_deref(),
            Some(feed.as_bytes()),
            "{encoding}"
        );
        let mut ledger = MemoryLedger::default();
        let reports = fetch(&[server.url("/f")], &mut ledger, limits(5_000, 1 << 20));
        assert_eq!(reports[0].items, 5, "{encoding}: {:?}", reports[0]);
    }
}

#[test]
fn https_to_a_server_without_tls_fails_with_a_reason() {
    // rustls (with ring) is set up and reports the failed handshake: the
    // server answers plain HTTP at once instead of a TLS hello.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            use std::io::Write as _;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let url = format!("https://{addr}/");
    let e = get(&url).unwrap_err();
    assert!(matches!(e, HttpError::Transport(_)), "{e}");
    assert!(!e.to_string().is_empty());
}

#[test]
fn an_unknown_encoding_is_named() {
    let server = Server::start(|_| Reply::ok("x").with_header("Content-Encoding", "zstd"));
    let e = get(&server.url("/")).unwrap_err();
    assert!(e.to_string().contains("\"zstd\" is not supported"), "{e}");
}

/// `/hop/N` redirects to `/hop/N-1`; `/hop/0` is the feed.
fn hops(status: u16) -> Server {
    Server::start(move |req| {
        let n: usize = req.path.trim_start_matches("/hop/").parse().unwrap_or(0);
        if n == 0 {
            Reply::ok(http::rss("hops", 1))
        } else {
            Reply::redirect(status, &format!("/hop/{}", n - 1))
        }
    })
}

#[test]
fn five_redirects_are_followed_and_a_sixth_is_refused() {
    let server = hops(302);
    let response = get(&server.url("/hop/5")).unwrap();
    assert!(response.body.is_some());
    assert_eq!(response.moved_to, None, "302 is temporary");
    let e = get(&server.url("/hop/6")).unwrap_err();
    assert!(matches!(e, HttpError::TooManyRedirects(_)), "{e}");
    assert!(e.to_string().contains("more than 5 redirects"), "{e}");
}

#[test]
fn a_redirect_loop_fails_and_names_the_url() {
    let server = Server::start(|req| {
        if req.path == "/a" {
            Reply::redirect(302, "/b")
        } else {
            Reply::redirect(302, "/a")
        }
    });
    let e = get(&server.url("/a")).unwrap_err();
    assert!(matches!(e, HttpError::RedirectLoop(_)), "{e}");
    assert!(e.to_string().contains("/a was visited before"), "{e}");
}

#[test]
fn a_permanent_redirect_is_noted_for_the_config() {
    let server = hops(301);
    let mut ledger = MemoryLedger::default();
    let reports = fetch(&[server.url("/hop/2")], &mut ledger, limits(5_000, 1 << 20));
    assert_eq!(reports[0].status, Status::Fetched);
    assert_eq!(reports[0].moved_to, Some(server.url("/hop/0")));
    let record = ledger.last(&server.url("/hop/2")).unwrap().unwrap();
    assert_eq!(record.moved_to, Some(server.url("/hop/0")));
    // A 308 too; a permanent one followed by a temporary one moves the
    // feed only as far as the permanent one said.
    let mixed = Server::start(|req| match req.path.as_str() {
        "/old" => Reply::redirect(308, "/new"),
        "/new" => Reply::redirect(302, "/today"),
        _ => Reply::ok(http::rss("mixed", 1)),
    });
    let response = get(&mixed.url("/old")).unwrap();
    assert_eq!(response.moved_to, Some(mixed.url("/new")));
}

#[test]
fn a_redirect_to_a_local_file_is_refused() {
    let server = Server::start(|_| Reply::redirect(302, "file:///etc/passwd"));
    let e = get(&server.url("/")).unwrap_err();
    assert!(matches!(e, HttpError::BadRedirect(_)), "{e}");
}

#[test]
fn an_endless_body_stops_at_the_cap() {
    let server = Server::start(|_| Reply::Endless);
    let client = Client::new(limits(10_000, 256 * 1024));
    let started = Instant::now();
    let e = client
        .get(&server.url("/"), &Validators::default(), &mut |_| {})
        .unwrap_err();
    assert_eq!(e, HttpError::TooLarge(256 * 1024));
    assert_eq!(
        e.to_string(),
        "the body is larger than 256 KiB (after decompression)"
    );
    // Stopped by the cap, not by the clock.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_gzip_bomb_stops_at_the_cap() {
    let bomb = http::gzip(&vec![b' '; 8 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let server =
        Server::start(move |_| Reply::ok(bomb.clone()).with_header("Content-Encoding", "gzip"));
    let client = Client::new(limits(10_000, 1024 * 1024));
    let mut seen = 0;
    let e = client
        .get(&server.url("/"), &Validators::default(), &mut |n| seen = n)
        .unwrap_err();
    assert_eq!(e, HttpError::TooLarge(1024 * 1024));
    assert!(seen < 64 * 1024, "only compressed bytes come off the wire");
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = Server::start(|_| Reply::Hang);
    let client = Client::new(limits(1_000, 1 << 20));
    let started = Instant::now();
    let e = client
        .get(&server.url("/"), &Validators::default(), &mut |_| {})
        .unwrap_err();
    assert!(matches!(e, HttpError::Timeout(_)), "{e}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(8),
        "{took:?}"
    );
}

#[test]
fn one_byte_per_second_is_cut_by_the_total_timeout() {
    let body = http::rss("slow", 3).into_bytes();
    let server = Server::start(move |_| Reply::Trickle {
        headers: Vec::new(),
        body: body.clone(),
        every: Duration::from_millis(250),
    });
    let client = Client::new(limits(1_500, 1 << 20));
    let started = Instant::now();
    let e = client
        .get(&server.url("/"), &Validators::default(), &mut |_| {})
        .unwrap_err();
    assert!(matches!(e, HttpError::Timeout(_)), "{e}");
    assert_eq!(e.to_string(), "no complete answer within 1 s");
    // Each byte resets no clock: the whole answer is bounded.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn retry_after_is_recorded_and_respected() {
    let server = Server::start(|req| match req.path.as_str() {
        "/busy" => Reply::status(429).with_header("Retry-After", "120"),
        _ => Reply::status(503).with_header("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"),
    });
    let urls = [server.url("/busy"), server.url("/down")];
    let mut ledger = MemoryLedger::default();
    let before = chrono::Utc::now();
    let reports = fetch(&urls, &mut ledger, limits(5_000, 1 << 20));
    assert_eq!(failed(&reports[0]), "HTTP 429 Too Many Requests");
    assert_eq!(failed(&reports[1]), "HTTP 503 Service Unavailable");
    let busy = ledger.last(&urls[0]).unwrap().unwrap().retry_after.unwrap();
    let secs = (busy - before).num_seconds();
    assert!((119..=125).contains(&secs), "{secs}");
    // A date far ahead is cut to a week.
    let down = ledger.last(&urls[1]).unwrap().unwrap().retry_after.unwrap();
    let days = (down - before).num_days();
    assert!((6..=7).contains(&days), "{days}");
    // The next run asks nothing of either.
    let again = fetch(&urls, &mut ledger, limits(5_000, 1 << 20));
    assert!(matches!(again[0].status, Status::Waiting(_)), "{again:?}");
    assert!(matches!(again[1].status, Status::Waiting(_)));
    assert!(again[0].ok(), "waiting as asked is not a failure");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn server_errors_and_non_feeds_fail_and_keep_what_was_stored() {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let server = Server::start(move |req| {
        match req.path.as_str() {
        "/feed" if count.fetch_add(1, Ordering::SeqCst) == 0 => {
            Reply::ok(http::rss("kept", 2)).with_header("ETag", "\"e\"")
        }
        "/feed" => Reply::status(500),
        "/html" => Reply::ok("<!DOCTYPE html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>")
            .with_header("Content-Type", "text/html"),
        "/garbage" => Reply::ok(vec![0x00, 0xff, 0x13, 0x37, b'{', b'<']),
        _ => Reply::status(404),
    }
    });
    let mut ledger = MemoryLedger::default();
    let feed = [server.url("/feed")];
    fetch(&feed, &mut ledger, limits(5_000, 1 << 20));
    let reports = fetch(&feed, &mut ledger, limits(5_000, 1 << 20));
    assert_eq!(failed(&reports[0]), "HTTP 500 Internal Server Error");
    assert_eq!(ledger.items[&feed[0]].len(), 2, "items already stored stay");
    let record = ledger.last(&feed[0]).unwrap().unwrap();
    assert_eq!(record.validators.etag.as_deref(), Some("\"e\""));
    assert_eq!(record.retry_after, None);

    let others = [
        server.url("/missing"),
        server.url("/html"),
        server.url("/garbage"),
    ];
    let reports = fetch(&others, &mut ledger, limits(5_000, 1 << 20));
    assert_eq!(failed(&reports[0]), "HTTP 404 Not Found");
    assert!(
        failed(&reports[1]).starts_with("an HTML page, not a feed"),
        "{reports:?}"
    );
    assert!(
        failed(&reports[2]).starts_with("not a feed: "),
        "{reports:?}"
    );
    assert!(
        !failed(&reports[2]).contains("not a feed: not a feed"),
        "{reports:?}"
    );
}

#[test]
fn the_http_charset_decodes_the_body() {
    // 0xE4 is "δ" in ISO-8859-7 and "ä" in windows-1252 (the fallback).
    let mut body = b"<rss version=\"2.0\"><channel><title>T</title><item><title>".to_vec();
    body.push(0xE4);
    body.extend_from_slice(b"</title><guid>1</guid></item></channel></rss>");
    let server = Server::start(move |_| {
        Reply::ok(body.clone()).with_header(
            "Content-Type",
            "application/rss+xml; charset=\"ISO-8859-7\"",
        )
    });
    let mut ledger = MemoryLedger::default();
    let url = server.url("/");
    fetch(
        std::slice::from_ref(&url),
        &mut ledger,
        limits(5_000, 1 << 20),
    );
    assert_eq!(ledger.items[&url][0].article.title, "δ");
}

#[test]
fn one_failing_feed_does_not_stop_the_others_and_the_run_takes_one_timeout() {
    // Two hosts: 127.0.0.1 and 127.0.0.2 (both loopback).
    let good = Server::start(|req| Reply::ok(http::rss(req.path.trim_start_matches('/'), 2)));
    let hanging = Server::start_on("127.0.0.2", |req| {
        if req.path.starts_with("/hang") {
            Reply::Hang
        } else {
            Reply::ok(http::rss("other", 1))
        }
    });
    let mut urls: Vec<String> = (0..6).map(|i| good.url(&format!("/g{i}"))).collect();
    urls.push(hanging.url("/hang1"));
    urls.push(hanging.url("/hang2"));
    urls.push(hanging.url("/ok"));
    let config = config(&urls);
    let tagger = Tagger::from_config(&config);
    let topics = known_topics(&config);
    let ctx = Context {
        tagger: &tagger,
        known_topics: &topics,
    };
    let options = Options {
        limits: limits(1_500, 1 << 20),
        ..Options::default()
    };
    let mut ledger = MemoryLedger::default();
    let mut events = Vec::new();
    let mut in_flight_per_host = std::collections::HashMap::<String, i32>::new();
    let mut most_per_host = 0;
    let started = Instant::now();
    let reports = run::run(&config.feeds, &mut ledger, &ctx, &options, &mut |p| {
        let host = |i: usize| {
            url::Url::parse(&urls[i])
                .unwrap()
                .port()
                .unwrap()
                .to_string()
        };
        match p {
            Progress::Started { index } => {
                let n = in_flight_per_host.entry(host(*index)).or_default();
                *n += 1;
                most_per_host = most_per_host.max(*n);
            }
            Progress::Done { index, .. } => {
                *in_flight_per_host.entry(host(*index)).or_default() -= 1;
            }
            Progress::Bytes { .. } => {}
        }
        events.push(p.clone());
    });
    let took = started.elapsed();
    assert_eq!(reports.len(), 9);
    for r in &reports[..6] {
        assert_eq!(r.status, Status::Fetched, "{r:?}");
        assert_eq!(ledger.items[&r.url].len(), 2);
    }
    assert!(failed(&reports[6]).starts_with("no complete answer"));
    assert!(failed(&reports[7]).starts_with("no complete answer"));
    // The third feed of the slow host waits for one of the two hanging
    // ones (two at once per host), then is fetched.
    assert_eq!(reports[8].status, Status::Fetched);
    assert!(most_per_host <= 2, "{most_per_host}");
    // About one timeout for the hanging pair, one round for the waiting
    // feed: far below the sum of the timeouts of every feed.
    assert!(took < Duration::from_secs(6), "{took:?}");
    let done = events
        .iter()
        .filter(|e| matches!(e, Progress::Done { .. }))
        .count();
    assert_eq!(done, 9);
}

/// The refresh hint a report carries for `serve`'s schedule: the feed's
/// own `<ttl>` first, else the answer's `Cache-Control: max-age`, else
/// `Expires`; a 304 brings its headers' hint; a failure none.
#[test]
fn reports_carry_the_feed_s_refresh_hint() {
    let with_ttl = http::rss("t", 1).replace("<title>t</title>", "<title>t</title><ttl>30</ttl>");
    let server = Server::start(move |req| match req.path.as_str() {
        "/ttl" => Reply::ok(with_ttl.clone()).with_header("Cache-Control", "max-age=60"),
        "/max-age" => {
            Reply::ok(http::rss("m", 1)).with_header("Cache-Control", "public, max-age=900")
        }
        "/expires" => Reply::ok(http::rss("e", 1))
            .with_header("Date", "Mon, 27 Jan 2025 10:00:00 GMT")
            .with_header("Expires", "Mon, 27 Jan 2025 12:00:00 GMT"),
        "/304" => Reply::status(304).with_header("Cache-Control", "max-age=120"),
        "/plain" => Reply::ok(http::rss("p", 1)),
        _ => Reply::status(500).with_header("Cache-Control", "max-age=5"),
    });
    let paths = ["/ttl", "/max-age", "/expires", "/304", "/plain", "/broken"];
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let reports = fetch(&urls, &mut MemoryLedger::default(), limits(5_000, 1 << 20));
    let hints: Vec<Option<u64>> = reports
        .iter()
        .map(|r| r.hint.map(|h| h.as_secs()))
        .collect();
    assert_eq!(
        hints,
        [Some(1800), Some(900), Some(7200), Some(120), None, None],
        "{reports:?}"
    );
}

/// A file feed is not read again while it is unchanged (its size and
/// modification time, with the settings that shape its articles, stand in
/// for an ETag): the second run reports "not modified"; a changed file or a
/// changed setting is read again.
#[test]
fn an_unchanged_file_feed_is_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.rss");
    let rss = |titles: &[&str]| {
        let mut items = String::new();
        for (i, t) in titles.iter().enumerate() {
            let _ = write!(items, "<item><title>{t}</title><guid>g{i}</guid></item>");
        }
        format!("<rss version=\"2.0\"><channel><title>T</title>{items}</channel></rss>")
    };
    std::fs::write(&path, rss(&["Grok 3", "Nvidia"])).unwrap();
    let url = url::Url::from_file_path(&path).unwrap().to_string();
    let mut ledger = MemoryLedger::default();
    let run_with = |ledger: &mut MemoryLedger, text: &str| {
        let config = Config::load(Some(("c.toml", text))).unwrap();
        let tagger = Tagger::from_config(&config);
        let topics = known_topics(&config);
        let ctx = Context {
            tagger: &tagger,
            known_topics: &topics,
        };
        run::run(
            &config.feeds,
            ledger,
            &ctx,
            &Options::default(),
            &mut |_| {},
        )
    };
    let plain = format!("[[feeds]]\nurl = \"{url}\"\nname = \"f\"\n");
    let first = run_with(&mut ledger, &plain);
    assert_eq!((&first[0].status, first[0].items), (&Status::Fetched, 2));
    let stamp = ledger.validators(&url).unwrap().etag;
    assert!(
        stamp.as_deref().is_some_and(|s| s.starts_with("file-")),
        "{stamp:?}"
    );
    let again = run_with(&mut ledger, &plain);
    assert_eq!(again[0].status, Status::NotModified);
    assert_eq!(ledger.items[&url].len(), 2);
    // Another setting of the feed: read again.
    let with_topic = format!("{plain}topics = [\"Tech\"]\n");
    let changed = run_with(&mut ledger, &with_topic);
    assert_eq!(changed[0].status, Status::Fetched);
    assert_eq!(ledger.items[&url][0].article.topics, ["Tech"]);
    assert_eq!(
        run_with(&mut ledger, &with_topic)[0].status,
        Status::NotModified
    );
    // Another actor alias: read again.
    let with_alias =
        format!("{with_topic}[[actors]]\nname = \"Zeta Labs\"\naliases = [\"Zeta\"]\n");
    assert_eq!(
        run_with(&mut ledger, &with_alias)[0].status,
        Status::Fetched
    );
    // The file changed (another size): read again, the new item stored.
    std::fs::write(&path, rss(&["Grok 3", "Nvidia", "Third item"])).unwrap();
    let grown = run_with(&mut ledger, &with_alias);
    assert_eq!((&grown[0].status, grown[0].items), (&Status::Fetched, 3));
    assert_eq!(ledger.items[&url].len(), 3);
}
