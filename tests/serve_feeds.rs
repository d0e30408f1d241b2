//! `aiwatch-tui serve` fetching feeds in the background: from a local
//! HTTP server on a short interval (the debug-only
//! `AIWATCH_TUI_TEST_FEED_INTERVAL_MS`), a connected reader sees a new
//! item arrive without pressing anything, its selection unchanged; a
//! reader that connects later sees it too; a failing feed is logged and
//! stops no other; a feed that never answers does not hold up SIGTERM;
//! without feeds or a store the log says why nothing is fetched; and a
//! remembered reader's save is put off, never waited for, while the
//! fetcher's put or another program holds the store's write lock.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/http.rs"]
mod http;
#[path = "common/serve.rs"]
mod serve;
#[path = "common/ssh_client.rs"]
mod ssh_client;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::Reply;
use serve::{Server, TIMEOUT};
use ssh_client::{Login, Reader, runtime};

/// An RSS feed with these (guid, title) items, dated in 2026 so they sort
/// after the bundled edition.
fn feed(items: &[(&str, &str)]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>News</title>");
    for (guid, title) in items {
        let _ = write!(
            out,
            "<item><title>{title}</title><guid>{guid}</guid><link>https://news.example/{guid}</link><pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate><description>OpenAI says {title}.</description></item>"
        );
    }
    out + "</channel></rss>"
}

fn config(feeds: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (name, url) in feeds {
        let _ = write!(out, "[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"\n");
    }
    out
}

/// Counts lines of the log that contain every one of `parts`.
fn count(log: &str, parts: &[&str]) -> usize {
    log.lines()
        .filter(|l| parts.iter().all(|p| l.contains(p)))
        .count()
}

#[test]
fn readers_see_fetched_items_arrive_and_keep_their_place() {
    let body = Arc::new(Mutex::new(feed(&[("a1", "First fetched story")])));
    let current = Arc::clone(&body);
    let web = http::Server::start(move |req| match req.path.as_str() {
        "/good" => Reply::ok(current.lock().unwrap().clone()),
        _ => Reply::status(500),
    });
    let server = Server::start(
        &[],
        &config(&[("good", web.url("/good")), ("broken", web.url("/broken"))]),
        &[("AIWATCH_TUI_TEST_FEED_INTERVAL_MS", "300")],
    );
    server.wait_log("event=library_update");
    let log = server.log();
    assert_eq!(count(&log, &["event=fetcher_start", "feeds=2"]), 1, "{log}");
    assert!(
        log.contains("event=fetch feed=good status=ok items=1 new=1"),
        "{log}"
    );
    // The failing feed is said, with its reason, and stops nothing.
    assert!(
        log.contains("event=fetch feed=broken status=failed items=0 new=0 error=\"HTTP 500"),
        "{log}"
    );

    let rt = runtime();
    rt.block_on(async {
        let mut first = Reader::connect(server.port).await;
        first.wait_for("19 sections").await;
        // A place of the reader's own: two rows down the timeline.
        first.channel.data(&b"jj"[..]).await.unwrap();
        first.settle(Duration::from_millis(500)).await;
        let row = first.selected_row();
        assert!(!row.is_empty(), "no selected row:\n{}", first.text());
        let screen_before = first.text();

        *body.lock().unwrap() = feed(&[
            ("a1", "First fetched story"),
            ("a2", "Second fetched story"),
        ]);
        // Nothing pressed: the new item arrives by itself.
        first.wait_for("20 sections").await;
        first.settle(Duration::from_millis(300)).await;
        assert_eq!(
            first.selected_row(),
            row,
            "the selection moved:\nbefore:\n{screen_before}\nafter:\n{}",
            first.text()
        );

        // A reader that connects later starts on the newest library.
        let mut later = Reader::connect(server.port).await;
        later.wait_for("20 sections").await;
        // `r` is the server's business here.
        later.channel.data(&b"r"[..]).await.unwrap();
        later
            .wait_for("The server fetches the feeds on its own schedule.")
            .await;
    });
    let log = server.log();
    assert!(
        log.contains("event=fetch feed=good status=ok items=2 new=1"),
        "{log}"
    );
    // Unchanged fetches read nothing back: one update per change.
    assert_eq!(count(&log, &["event=library_update"]), 2, "{log}");
    assert!(
        count(&log, &["event=fetch feed=good status=ok items=2 new=0"]) >= 1,
        "refetched on the interval: {log}"
    );
    assert!(
        count(&log, &["event=fetch feed=broken status=failed"]) >= 2,
        "a failing feed is tried again: {log}"
    );
}

#[test]
fn sigterm_does_not_wait_for_a_feed_that_never_answers() {
    let web = http::Server::start(|_| Reply::Hang);
    let server = Server::start(
        &[],
        &config(&[("hangs", web.url("/feed"))]),
        &[("AIWATCH_TUI_TEST_FEED_INTERVAL_MS", "300")],
    );
    server.wait_log("event=fetcher_start");
    // The request is in flight (the server read it and says nothing).
    let start = Instant::now();
    while web.requests().is_empty() {
        assert!(start.elapsed() < TIMEOUT, "the feed was never requested");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut server = server;
    let pid = server.child.id().to_string();
    let asked = Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "the server still runs 5 s after SIGTERM:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}\n{}", server.log());
    let log = server.log();
    assert!(log.contains("event=shutdown"), "{log}");
    assert!(!log.contains("event=fetch "), "nothing was fetched: {log}");
}

#[test]
fn without_feeds_or_a_store_the_log_says_why_nothing_is_fetched() {
    let server = Server::start(&[], "", &[]);
    server.wait_log("event=fetcher_off reason=\"no [[feeds]] in the config\"");
    let web = http::Server::start(|_| Reply::ok(feed(&[("x", "Never fetched")])));
    let no_store = Server::start(
        &["--no-store"],
        &config(&[("good", web.url("/good"))]),
        &[("AIWATCH_TUI_TEST_FEED_INTERVAL_MS", "100")],
    );
    no_store.wait_log(
        "event=fetcher_off reason=\"--no-store: fetched items live in the library store\"",
    );
    runtime().block_on(async {
        let mut reader = Reader::connect(no_store.port).await;
        reader.channel.data(&b"r"[..]).await.unwrap();
        reader
            .wait_for("Fetched items cannot be kept without the library store")
            .await;
    });
    std::thread::sleep(Duration::from_millis(400));
    assert!(web.requests().is_empty());
    assert!(!no_store.log().contains("event=fetcher_start"));
}

/// The schedule reads the last fetch from the ledger: a restart fetches
/// only what is due (here the feed added meanwhile), not everything.
#[test]
fn a_restart_fetches_only_the_feeds_that_are_due() {
    let web = http::Server::start(|req| {
        Reply::ok(feed(&[(&req.path[1..], "A story")])).with_header("Cache-Control", "max-age=600")
    });
    let store = tempfile::tempdir().unwrap();
    let library = store.path().join("library.sqlite");
    let library = library.to_str().unwrap();
    let first = Server::start(
        &["--library", library],
        &config(&[("old", web.url("/old"))]),
        &[],
    );
    first.wait_log("event=library_update");
    drop(first);
    assert_eq!(web.requests().len(), 1);

    let second = Server::start(
        &["--library", library],
        &config(&[("old", web.url("/old")), ("new", web.url("/new"))]),
        &[],
    );
    second.wait_log("event=fetch feed=new status=ok items=1 new=1");
    std::thread::sleep(Duration::from_millis(500));
    let log = second.log();
    assert!(!log.contains("feed=old"), "{log}");
    let paths: Vec<String> = web.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/old", "/new"]);
}

/// A server that remembers any key, with one file feed of 30,000 items
/// (its put holds the store's write lock for seconds) and its store in
/// `dir`; the store's path and the server's arguments, for a second one.
fn big_feed_server(dir: &std::path::Path) -> (Server, std::path::PathBuf, Vec<String>) {
    let feed_path = dir.join("big.xml");
    let items: Vec<(String, String)> = (0..30_000)
        .map(|i| (format!("g{i}"), format!("Story {i} about OpenAI")))
        .collect();
    let items: Vec<(&str, &str)> = items
        .iter()
        .map(|(g, t)| (g.as_str(), t.as_str()))
        .collect();
    std::fs::write(&feed_path, feed(&items)).unwrap();
    let url = format!("file://{}", feed_path.display());
    let store = dir.join("library.sqlite");
    let args = vec![
        "--remember-any-key".to_owned(),
        "--library".to_owned(),
        store.to_str().unwrap().to_owned(),
    ];
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start(&refs, &config(&[("big", url)]), &[]);
    (server, store, args)
}

/// A connection to `store` that says whether a writer holds its lock.
fn lock_probe(store: &std::path::Path) -> rusqlite::Connection {
    let probe = rusqlite::Connection::open(store).unwrap();
    probe.busy_timeout(Duration::ZERO).unwrap();
    probe
}

fn is_writing(probe: &rusqlite::Connection) -> bool {
    probe.execute_batch("BEGIN IMMEDIATE; COMMIT").is_err()
}

/// Waits until the fetcher's put holds the store's write lock.
fn until_the_put_writes(server: &Server, probe: &rusqlite::Connection) {
    let start = Instant::now();
    while !is_writing(probe) {
        assert!(
            !server.log().contains("event=fetch "),
            "the fetch ended before it was seen writing"
        );
        assert!(start.elapsed() < TIMEOUT * 3, "the put never wrote");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The count of "★ Starred" a new session of a server on `args` shows.
fn stars_seen_by(args: &[String], key: &russh::keys::PrivateKey) -> String {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let second = Server::start(&refs, "", &[]);
    runtime().block_on(async {
        let mut reader = Reader::connect_as(second.port, Login::Key(key)).await;
        let screen = reader.text();
        let line = screen
            .lines()
            .find(|l| l.contains("★ Starred"))
            .unwrap_or_else(|| panic!("{screen}"))
            .to_owned();
        reader.send(b"q").await;
        reader.until_closed().await;
        line
    })
}

fn new_key() -> russh::keys::PrivateKey {
    russh::keys::PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519).unwrap()
}

/// A remembered reader stars a section while the fetcher stores a large
/// feed (one put, its write lock held for seconds): the star shows at
/// once (the save waits for the put to end, not the reader), and a
/// SIGTERM then stops the put so the session's last save gets the store:
/// the star is there for the next server on the store.
#[test]
fn a_star_given_while_the_fetcher_stores_a_big_feed_shows_at_once_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, store, args) = big_feed_server(dir.path());
    let key = new_key();
    runtime().block_on(async {
        let mut reader = Reader::connect_as(server.port, Login::Key(&key)).await;
        let probe = lock_probe(&store);
        until_the_put_writes(&server, &probe);
        reader.send(b"s").await;
        reader.wait_for("Starred.").await;
        assert!(
            is_writing(&probe),
            "the star showed only once the put had ended"
        );
        drop(probe);
        server.signal("TERM");
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{}", server.log());
    drop(server);
    let line = stars_seen_by(&args, &key);
    assert!(line.contains(" 1"), "the star was kept: {line}");
}

/// A remembered reader who quits while the fetcher stores a large feed is
/// let go at once (their goodbye does not wait for the put, nor is the
/// session taken for a stuck one, `reason=panic`); their last save comes
/// once the put has ended, and the next session finds the star.
#[test]
fn a_reader_who_quits_while_a_big_feed_is_stored_leaves_at_once_and_keeps_the_star() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, store, args) = big_feed_server(dir.path());
    let key = new_key();
    let probe = lock_probe(&store);
    runtime().block_on(async {
        let mut reader = Reader::connect_as(server.port, Login::Key(&key)).await;
        until_the_put_writes(&server, &probe);
        reader.send(b"s").await;
        reader.wait_for("Starred.").await;
        reader.send(b"q").await;
        reader.until_closed().await;
        assert!(is_writing(&probe), "the goodbye waited for the put to end");
    });
    let start = Instant::now();
    while !server.log().contains("event=session_end") || is_writing(&probe) {
        assert!(start.elapsed() < TIMEOUT * 3, "{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    assert!(log.contains("reason=quit"), "{log}");
    assert!(
        !log.contains("reader_stuck") && !log.contains("reason=panic"),
        "{log}"
    );
    drop(probe);
    server.signal("TERM");
    assert!(server.child.wait().unwrap().success(), "{}", server.log());
    drop(server);
    let line = stars_seen_by(&args, &key);
    assert!(line.contains(" 1"), "the star was kept: {line}");
}

/// A server that remembers any key, on a store in `dir` (no feeds), with
/// `extra` arguments; the store's path and the arguments for a second
/// server on it.
fn keyed_server(
    dir: &std::path::Path,
    extra: &[&str],
) -> (Server, std::path::PathBuf, Vec<String>) {
    let store = dir.join("library.sqlite");
    let args = vec![
        "--remember-any-key".to_owned(),
        "--library".to_owned(),
        store.to_str().unwrap().to_owned(),
    ];
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend_from_slice(extra);
    let server = Server::start(&all, "", &[]);
    (server, store, args)
}

/// Another program's transaction on `store` (`sqlite3` with `BEGIN
/// IMMEDIATE;`, a fetch from another shell): it holds the write lock
/// until `COMMIT`.
fn hold_the_lock(store: &std::path::Path) -> rusqlite::Connection {
    let other = rusqlite::Connection::open(store).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    other
}

/// Whether the client's terminal was given back: out of the alternate
/// screen, the cursor shown.
fn restored(reader: &Reader) -> bool {
    let screen = reader.screen.screen();
    !screen.alternate_screen() && !screen.hide_cursor()
}

/// The "★ Starred" line of the topics, its count last.
fn starred(reader: &Reader) -> String {
    let text = reader.text();
    let line = text
        .lines()
        .find(|l| l.contains("★ Starred"))
        .unwrap_or_default();
    // The topics pane only: the reading pane is drawn beside it.
    let topics = line.split("││").next().unwrap_or_default();
    topics.trim_end_matches('│').trim_end().to_owned()
}

const PUT_OFF: &str = "being written by another program";

/// Another program holds the store's write lock while a remembered
/// reader stars a section: the star shows with one calm notice (not an
/// error after the busy timeout), the next key is answered, the save is
/// tried again on a timer and lands once the lock is gone, said once.
#[test]
fn a_star_given_while_another_program_holds_the_lock_is_answered_at_once_and_lands_later() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, store, args) = keyed_server(dir.path(), &[]);
    let key = new_key();
    runtime().block_on(async {
        let mut reader = Reader::connect_as(server.port, Login::Key(&key)).await;
        let other = hold_the_lock(&store);
        reader.send(b"s").await;
        reader.wait_for(PUT_OFF).await;
        assert!(starred(&reader).ends_with(" 1"), "{}", reader.text());
        // The keys after the star (unstar, star again): answered while
        // the lock is still held, each toggle shown as given.
        for count in [" 0", " 1"] {
            reader.send(b"s").await;
            let shown = reader
                .read_until(TIMEOUT, |r| starred(r).ends_with(count))
                .await;
            assert!(shown, "{}", reader.text());
        }
        assert!(
            !reader.text().contains("Could not save"),
            "{}",
            reader.text()
        );
        other.execute_batch("COMMIT").unwrap();
        reader.wait_for("Reading state saved.").await;
        reader.send(b"q").await;
        reader.until_closed().await;
    });
    server.signal("TERM");
    assert!(server.child.wait().unwrap().success(), "{}", server.log());
    let log = server.log();
    assert_eq!(count(&log, &["event=reader_state_put_off"]), 1, "{log}");
    assert_eq!(count(&log, &["event=reader_state_saved_late"]), 1, "{log}");
    assert!(!log.contains("reader_state_error"), "{log}");
    drop(server);
    let line = stars_seen_by(&args, &key);
    assert!(line.contains(" 1"), "the star was kept: {line}");
}

/// Sessions that end while another program holds the store's lock (one
/// quits, one is ended by SIGTERM) say goodbye at once: the client gets
/// its terminal back, each session logs its end (never `panic`), the
/// server waits for their late saves, which land once the lock is gone.
#[test]
fn sessions_ending_while_another_program_holds_the_lock_leave_at_once_and_save_later() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, store, args) = keyed_server(dir.path(), &["--drain-grace", "1"]);
    let (quitter, stopped) = (new_key(), new_key());
    let other = hold_the_lock(&store);
    runtime().block_on(async {
        let mut a = Reader::connect_as(server.port, Login::Key(&quitter)).await;
        let mut b = Reader::connect_as(server.port, Login::Key(&stopped)).await;
        for reader in [&mut a, &mut b] {
            reader.send(b"s").await;
            reader.wait_for(PUT_OFF).await;
        }
        a.send(b"q").await;
        a.until_closed().await;
        assert!(restored(&a), "{:?}", String::from_utf8_lossy(&a.raw));
        server.wait_log("reason=quit");
        server.signal("TERM");
        b.until_closed().await;
        assert!(restored(&b), "{:?}", String::from_utf8_lossy(&b.raw));
    });
    // Both sessions have ended and wait for the lock; the server waits
    // for them.
    server.wait_log("reason=server_shutdown");
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "{}",
        server.log()
    );
    other.execute_batch("COMMIT").unwrap();
    drop(other);
    assert!(server.child.wait().unwrap().success(), "{}", server.log());
    let log = server.log();
    assert_eq!(count(&log, &["event=session_end"]), 2, "{log}");
    assert!(
        !log.contains("reader_stuck") && !log.contains("reason=panic"),
        "{log}"
    );
    assert!(!log.contains("late_saves_abandoned"), "{log}");
    drop(server);
    for key in [&quitter, &stopped] {
        let line = stars_seen_by(&args, key);
        assert!(line.contains(" 1"), "the star was kept: {line}");
    }
}

/// A session ended by its idle timeout while another program holds the
/// lock gives the client its terminal back at once, and its star lands
/// once the lock is gone.
#[test]
fn a_session_that_idles_out_while_the_store_is_locked_restores_the_terminal_and_saves_later() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, store, args) = keyed_server(dir.path(), &["--idle-timeout", "3"]);
    let key = new_key();
    let other = hold_the_lock(&store);
    runtime().block_on(async {
        let mut reader = Reader::connect_as(server.port, Login::Key(&key)).await;
        reader.send(b"s").await;
        reader.wait_for(PUT_OFF).await;
        reader.until_closed().await;
        assert!(
            restored(&reader),
            "{:?}",
            String::from_utf8_lossy(&reader.raw)
        );
    });
    server.wait_log("reason=idle");
    other.execute_batch("COMMIT").unwrap();
    drop(other);
    server.wait_log("event=reader_state_saved_late");
    server.signal("TERM");
    assert!(server.child.wait().unwrap().success(), "{}", server.log());
    let log = server.log();
    assert!(!log.contains("reason=panic"), "{log}");
    drop(server);
    let line = stars_seen_by(&args, &key);
    assert!(line.contains(" 1"), "the star was kept: {line}");
}
