//! `aiwatch-tui fetch` as cron runs it: the built binary against a local
//! HTTP server, its `key=value` lines, the failure lines on stderr, the
//! exit status, and what lands in the library store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/http.rs"]
mod http;

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aiwatch_tui::feeds::ledger::FeedLedger;
use aiwatch_tui::library_store::LibraryStore;
use http::{Reply, Server};

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    /// A config with these `(name, url)` feeds.
    fn new(feeds: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("# my feeds\n");
        for (name, url) in feeds {
            let _ = writeln!(text, "[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"");
        }
        fs::write(dir.path().join("config.toml"), text).unwrap();
        Self { dir }
    }

    fn library(&self) -> PathBuf {
        self.dir.path().join("library.sqlite")
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"));
        // The test server is local: no proxy of this machine in between.
        http::without_proxies(&mut cmd)
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--library")
            .arg(self.library())
            .arg("fetch")
            .args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("LANG", "en_US.UTF-8")
            .output()
            .unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The line of feed `name`.
fn line_of<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("feed={name} ")))
        .unwrap_or_else(|| panic!("no line for {name} in:\n{out}"))
}

fn server() -> Server {
    Server::start(|req| match req.path.as_str() {
        "/news" if req.header("If-None-Match") == Some("\"n1\"") => Reply::status(304),
        "/news" => Reply::ok(http::rss("news", 4)).with_header("ETag", "\"n1\""),
        "/old" => Reply::redirect(301, "/news"),
        "/busy" => Reply::status(429).with_header("Retry-After", "3600"),
        "/html" => Reply::ok("<html><body>home page</body></html>")
            .with_header("Content-Type", "text/html"),
        "/endless" => Reply::Endless,
        "/hang" => Reply::Hang,
        _ => Reply::status(404),
    })
}

#[test]
fn every_feed_fetched_is_exit_0_with_one_line_each_and_items_stored() {
    let server = server();
    let home = Home::new(&[("News", server.url("/news"))]);
    let first = home.run(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let out = stdout(&first);
    let line = line_of(&out, "News");
    let url = server.url("/news");
    assert!(
        line.starts_with(&format!("feed=News url={url} status=ok items=4 new=4 ms=")),
        "{line}"
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    // Stored: the next run is a conditional GET, answered 304.
    let second = home.run(&[]);
    assert_eq!(second.status.code(), Some(0));
    assert!(
        line_of(&stdout(&second), "News").contains("status=not-modified items=0"),
        "{}",
        stdout(&second)
    );
    let store = LibraryStore::open(&home.library()).unwrap().store;
    let record = store.last(&url).unwrap().unwrap();
    assert_eq!(record.validators.etag.as_deref(), Some("\"n1\""));
    assert_eq!(store.feed_status(&url).unwrap().items, 4);
}

#[test]
fn a_failure_is_exit_1_and_one_readable_line_and_the_others_are_fetched() {
    let server = server();
    let home = Home::new(&[
        ("News", server.url("/news")),
        ("Gone", server.url("/gone")),
        ("Home page", server.url("/html")),
    ]);
    let o = home.run(&[]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(line_of(&out, "News").contains("status=ok items=4"), "{out}");
    let gone = line_of(&out, "Gone");
    assert!(
        gone.contains("status=failed items=0") && gone.ends_with("reason=\"HTTP 404 Not Found\""),
        "{gone}"
    );
    assert!(
        out.contains("feed=\"Home page\" ") && out.contains("reason=\"an HTML page, not a feed"),
        "{out}"
    );
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "aiwatch-tui: Gone ({}) failed: HTTP 404 Not Found\n",
            server.url("/gone")
        )),
        "{err}"
    );
    assert!(err.contains("aiwatch-tui: Home page ("), "{err}");
}

#[test]
fn an_unknown_feed_name_is_exit_2_naming_it() {
    let server = server();
    let home = Home::new(&[("News", server.url("/news"))]);
    let o = home.run(&["--feed", "news", "--feed", "Nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "aiwatch-tui: no feed named \"Nope\"; subscribed: News\n"
    );
    assert!(server.requests().is_empty(), "nothing fetched");
    // By name in any case: only that feed.
    let home = Home::new(&[("News", server.url("/news")), ("Gone", server.url("/gone"))]);
    let o = home.run(&["--feed", "news"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1);
}

#[test]
fn configuration_errors_are_exit_2() {
    let home = Home::new(&[]);
    fs::write(
        home.dir.path().join("config.toml"),
        "[[feeds]]\nurl = \"ftp://x.org/f\"\n",
    )
    .unwrap();
    let o = home.run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("config.toml:2:7: error:"),
        "{}",
        stderr(&o)
    );
    let home = Home::new(&[]);
    let o = home.run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no feeds are subscribed"),
        "{}",
        stderr(&o)
    );
    let o = home.run(&["--max-body", "10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("expected a size from 1K to 1024M"));
}

#[test]
fn a_permanent_redirect_prints_a_hint_to_update_the_config() {
    let server = server();
    let home = Home::new(&[("Old", server.url("/old"))]);
    let o = home.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let line = line_of(&stdout(&o), "Old").to_owned();
    assert!(
        line.ends_with(&format!("moved_to={}", server.url("/news"))),
        "{line}"
    );
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "aiwatch-tui: Old has moved permanently to {}; change its url in ",
            server.url("/news")
        )),
        "{err}"
    );
}

#[test]
fn a_feed_that_asked_us_to_wait_is_skipped_with_a_line() {
    let server = server();
    let home = Home::new(&[("Busy", server.url("/busy"))]);
    let first = home.run(&[]);
    assert_eq!(first.status.code(), Some(1));
    assert!(stdout(&first).contains("reason=\"HTTP 429 Too Many Requests\""));
    let second = home.run(&[]);
    assert_eq!(
        second.status.code(),
        Some(0),
        "waiting as asked is no failure"
    );
    assert!(
        line_of(&stdout(&second), "Busy").contains("status=waiting"),
        "{}",
        stdout(&second)
    );
    assert!(
        stderr(&second).contains("aiwatch-tui: Busy skipped: its server asked us to wait until "),
        "{}",
        stderr(&second)
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn timeout_and_body_cap_flags_bound_the_run() {
    let server = server();
    let home = Home::new(&[
        ("Hang", server.url("/hang")),
        ("Endless", server.url("/endless")),
        ("News", server.url("/news")),
    ]);
    let started = Instant::now();
    let o = home.run(&["--timeout", "1", "--max-body", "64K"]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        line_of(&out, "Hang").contains("reason=\"no complete answer within 1 s\""),
        "{out}"
    );
    assert!(
        line_of(&out, "Endless")
            .contains("reason=\"the body is larger than 64 KiB (after decompression)\""),
        "{out}"
    );
    assert!(line_of(&out, "News").contains("status=ok"), "{out}");
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_file_url_feed_is_fetched_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.rss");
    fs::write(&path, http::rss("local", 2)).unwrap();
    let url = format!("file://{}", path.display());
    let home = Home::new(&[("Local", url)]);
    let o = home.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(line_of(&stdout(&o), "Local").contains("status=ok items=2 new=2"));
}

/// A config with one feed, "Local" (a file of two items beside the
/// config), fetched once into the store; the feed's URL.
fn fetched_local_feed() -> (Home, String) {
    let home = Home::new(&[]);
    let path = home.dir.path().join("local.rss");
    fs::write(&path, http::rss("local", 2)).unwrap();
    let url = format!("file://{}", path.display());
    fs::write(
        home.dir.path().join("config.toml"),
        format!("[[feeds]]\nname = \"Local\"\nurl = \"{url}\"\n"),
    )
    .unwrap();
    assert_eq!(home.run(&[]).status.code(), Some(0));
    (home, url)
}

/// A log left far past 64 MiB (a writer killed in a large put, or one
/// whose checkpoints never ran) is checkpointed and cut back by the next
/// `fetch`, which opens the store to write; the store's rows are kept.
#[test]
fn a_large_log_left_behind_is_cut_back_by_the_next_fetch() {
    let (home, url) = fetched_local_feed();
    // Another connection writes 72 MiB with its checkpoints off and stays
    // open, so that its close does not remove the log either.
    let writer = rusqlite::Connection::open(home.library()).unwrap();
    writer
        .execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = -1;")
        .unwrap();
    let value = "x".repeat(64 << 10);
    for i in 0..72 * 16 {
        writer
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                rusqlite::params![format!("scratch {i}"), value],
            )
            .unwrap();
    }
    writer
        .execute("DELETE FROM meta WHERE key LIKE 'scratch %'", [])
        .unwrap();
    let mut wal = home.library().into_os_string();
    wal.push("-wal");
    let size = || fs::metadata(&wal).unwrap().len();
    assert!(size() > 72 << 20, "{}", size());
    let o = home.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert!(size() < 1 << 20, "{}", size());
    let store = LibraryStore::open(&home.library()).unwrap().store;
    assert_eq!(store.feed_status(&url).unwrap().items, 2);
    drop(writer);
}

/// A reading-state table dropped by hand is made again by whichever
/// process opens the store first, here a `fetch` from cron: it says so on
/// stderr (once), and fetches as usual.
#[test]
fn a_dropped_reading_state_table_is_made_again_and_said_once() {
    let (home, _) = fetched_local_feed();
    rusqlite::Connection::open(home.library())
        .unwrap()
        .execute_batch("DROP TABLE read_marks")
        .unwrap();
    let o = home.run(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "aiwatch-tui: {}: library store: the table read_marks was missing and was re-created empty; the read marks it held are lost\n",
            home.library().display()
        )
    );
    line_of(&stdout(&o), "Local");
    let o = home.run(&[]);
    assert_eq!(stderr(&o), "");
}

/// A library path that can never hold a store (a pipe, another
/// program's database) is a setting to fix: exit 2, nothing fetched,
/// the path named; the pipe is not opened (a read would hang).
#[cfg(unix)]
#[test]
fn a_library_path_that_cannot_hold_a_store_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.rss");
    fs::write(&path, http::rss("local", 2)).unwrap();
    let home = Home::new(&[("Local", format!("file://{}", path.display()))]);
    assert!(
        Command::new("mkfifo")
            .arg(home.library())
            .status()
            .unwrap()
            .success()
    );
    let o = home.run(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("library.sqlite: cannot read the library store: not a regular file"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("nothing was fetched"), "{}", stderr(&o));
}

#[test]
fn the_proxy_comes_from_the_environment() {
    // The local server plays the proxy: asked to CONNECT to the feed's
    // host, then for the feed through that tunnel.
    let proxy = Server::start(|req| {
        if req.path == "/news" && req.header("Host") == Some("feeds.example") {
            Reply::ok(http::rss("proxied", 2))
        } else {
            Reply::status(404)
        }
    });
    let home = Home::new(&[("Proxied", "http://feeds.example/news".to_owned())]);
    let o = Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
        .arg("--config")
        .arg(home.dir.path().join("config.toml"))
        .arg("--library")
        .arg(home.library())
        .arg("fetch")
        .env("XDG_DATA_HOME", home.dir.path().join("data"))
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("http_proxy", format!("http://{}", proxy.addr))
        .env("HTTP_PROXY", format!("http://{}", proxy.addr))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        line_of(&stdout(&o), "Proxied").contains("status=ok items=2"),
        "{}",
        stdout(&o)
    );
    let requests = proxy.requests();
    assert_eq!(requests[0].method, "CONNECT");
    assert_eq!(requests[0].path, "feeds.example:80");
}
