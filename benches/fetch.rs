//! Fetching 200 feeds from local HTTP servers (ten loopback hosts,
//! 127.0.0.1-10) into a library store, 10% of them failing in every way
//! issue 13 names: never answering, one byte per second, an endless body,
//! a gzip bomb, a redirect loop, 500, 404, HTML instead of a feed,
//! garbage. Prints the wall time against the timeout, what was stored and
//! reported, and the peak memory. `cargo bench --bench fetch [-- TIMEOUT_SECS]`
//! (default 5 s).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a measuring tool fails loudly
#![allow(clippy::cast_precision_loss)] // figures for a table

#[path = "../tests/common/http.rs"]
mod http;
#[path = "support/measure.rs"]
mod measure;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aiwatch_tui::config::Config;
use aiwatch_tui::feeds::fetch::known_topics;
use aiwatch_tui::feeds::http::Limits;
use aiwatch_tui::feeds::run::{self, Context, Options, Status};
use aiwatch_tui::feeds::tag::Tagger;
use aiwatch_tui::library_store::LibraryStore;
use http::{Reply, Server};

const FEEDS: usize = 200;
const HOSTS: usize = 10;
const KINDS: [&str; 9] = [
    "hang", "trickle", "endless", "bomb", "loop", "500", "404", "html", "garbage",
];

fn main() {
    let timeout: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let servers = servers();
    // Failing feed k is number 10k + k % 10: two per host, of different kinds.
    let mut failing = vec![None; FEEDS];
    for k in 0..FEEDS / 10 {
        failing[10 * k + k % 10] = Some(KINDS[k % KINDS.len()]);
    }
    let mut text = String::new();
    for (i, fail) in failing.iter().enumerate() {
        let server = &servers[i % HOSTS];
        let path = fail.map_or_else(|| format!("/good{i}"), |kind| format!("/{kind}-{i}"));
        let _ = writeln!(
            text,
            "[[feeds]]\nurl = \"{}\"\nname = \"feed {i}\"",
            server.url(&path)
        );
    }
    let config = Config::load(Some(("bench.toml", &text))).unwrap();
    assert_eq!(config.feeds.len(), FEEDS);
    let dir = tempfile::tempdir().unwrap();
    let mut store = LibraryStore::open(&dir.path().join("library.sqlite"))
        .unwrap()
        .store;
    let tagger = Tagger::from_config(&config);
    let topics = known_topics(&config);
    let ctx = Context {
        tagger: &tagger,
        known_topics: &topics,
    };
    let options = Options {
        limits: Limits {
            timeout: Duration::from_secs(timeout),
            connect_timeout: Duration::from_secs(timeout),
            ..Limits::default()
        },
        ..Options::default()
    };
    // The good feeds alone first, into a store of their own: the time
    // that fetching, parsing and storing take without any failure.
    let good: Vec<_> = config
        .feeds
        .iter()
        .zip(&failing)
        .filter(|(_, f)| f.is_none())
        .map(|(feed, _)| feed.clone())
        .collect();
    let mut baseline_store = LibraryStore::open(&dir.path().join("baseline.sqlite"))
        .unwrap()
        .store;
    let started = Instant::now();
    run::run(&good, &mut baseline_store, &ctx, &options, &mut |_| {});
    let baseline = started.elapsed();
    let started = Instant::now();
    let reports = run::run(&config.feeds, &mut store, &ctx, &options, &mut |_| {});
    let took = started.elapsed();
    let fetched = reports
        .iter()
        .filter(|r| r.status == Status::Fetched)
        .count();
    let mut stored = 0;
    for (report, fail) in reports.iter().zip(&failing) {
        let status = store.feed_status(&report.url).unwrap();
        match (fail, &report.status) {
            (None, Status::Fetched) => {
                assert_eq!(status.items, 30, "{report:?}");
                stored += 1;
            }
            (Some(_), Status::Failed(_)) => {}
            (kind, status) => panic!("{kind:?}: {status:?} ({})", report.url),
        }
    }
    println!("feeds: {FEEDS} on {HOSTS} hosts, {} failing", FEEDS / 10);
    println!("fetched and stored: {fetched} ({stored} checked in the store, 30 items each)");
    print_failures(&reports);
    println!(
        "wall time: the 180 good feeds alone {:.2} s; all 200 {:.2} s: {:.2} s more (timeout {timeout} s; the slow feeds' timeouts summed: {} s)",
        baseline.as_secs_f64(),
        took.as_secs_f64(),
        took.as_secs_f64() - baseline.as_secs_f64(),
        timeout
            * failing
                .iter()
                .filter(|f| matches!(f, Some("hang" | "trickle")))
                .count() as u64
    );
    println!(
        "peak memory (server and client in one process): {:.1} MiB",
        measure::peak_memory_kib() as f64 / 1024.0
    );
}

/// Ten servers, one per loopback host; the path says how to answer
/// (`/good3`, `/hang-0`, ...).
fn servers() -> Vec<Server> {
    let bomb = Arc::new(http::gzip(&vec![0u8; 64 * 1024 * 1024]));
    (1..=HOSTS)
        .map(|h| {
            let bomb = Arc::clone(&bomb);
            Server::start_on(&format!("127.0.0.{h}"), move |req| {
                let path = req.path.trim_start_matches('/');
                match path.split_once('-').map_or(path, |(kind, _)| kind) {
                    "hang" => Reply::Hang,
                    "trickle" => Reply::Trickle {
                        headers: Vec::new(),
                        body: http::rss("slow", 20).into_bytes(),
                        every: Duration::from_secs(1),
                    },
                    "endless" => Reply::Endless,
                    "bomb" => Reply::ok(bomb.to_vec()).with_header("Content-Encoding", "gzip"),
                    "loop" => Reply::redirect(302, &format!("/loop-{}", path.len() % 2)),
                    "500" => Reply::status(500),
                    "404" => Reply::status(404),
                    "html" => Reply::ok("<!DOCTYPE html><html><body>home</body></html>")
                        .with_header("Content-Type", "text/html"),
                    "garbage" => Reply::ok(vec![0xffu8; 4096]),
                    _ => Reply::ok(http::gzip(http::rss(path, 30).as_bytes()))
                        .with_header("Content-Encoding", "gzip"),
                }
            })
        })
        .collect()
}

/// One line per way of failing: how many, and the first reason.
fn print_failures(reports: &[run::Report]) {
    for kind in KINDS {
        let reasons: Vec<&str> = reports
            .iter()
            .filter(|r| r.url.contains(&format!("/{kind}-")))
            .filter_map(|r| match &r.status {
                Status::Failed(reason) => Some(reason.as_str()),
                _ => None,
            })
            .collect();
        println!(
            "  {kind:8} {} failed: {}",
            reasons.len(),
            reasons.first().unwrap_or(&"")
        );
    }
}
