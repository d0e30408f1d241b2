//! Fetched items in the library store: identity across fetches (the same
//! feed twice adds nothing, a changed item is updated in place, a guid
//! change with the same link does not duplicate), read marks across
//! updates, `keep` and stars, the fetch record, and the items read back as
//! articles that a content sync leaves alone and search finds. A process
//! killed during a put leaves a store that opens whole.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/kill.rs"]
mod kill;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aiwatch_tui::config::Config;
use aiwatch_tui::content::{ContentRoot, Library};
use aiwatch_tui::feeds::article::{FetchedArticle, ItemSink};
use aiwatch_tui::feeds::config::Keep;
use aiwatch_tui::feeds::fetch::{known_topics, process};
use aiwatch_tui::feeds::ledger::{FeedLedger, FetchRecord, Outcome, Validators};
use aiwatch_tui::feeds::tag::Tagger;
use aiwatch_tui::library_store::LibraryStore;
use aiwatch_tui::library_store::feeds::{FeedOptions, PutControl, PutReport};
use aiwatch_tui::query::SearchQuery;
use aiwatch_tui::store::SavedState;
use chrono::{DateTime, Utc};

const URL: &str = "https://news.example/feed.xml";

fn config(extra: &str) -> Config {
    Config::load(Some((
        "c.toml",
        &format!("[[feeds]]\nurl = \"{URL}\"\nname = \"Example\"\nlang = \"en\"\n{extra}"),
    )))
    .unwrap()
}

/// One RSS item: (guid, link, title, body).
type Item<'a> = (Option<&'a str>, &'a str, &'a str, &'a str);

fn rss(items: &[Item<'_>]) -> String {
    let mut text = String::from("<rss version=\"2.0\"><channel><title>Example</title>");
    for (guid, link, title, body) in items {
        text.push_str("<item>");
        if let Some(g) = guid {
            write!(text, "<guid>{g}</guid>").unwrap();
        }
        write!(
            text,
            "<link>{link}</link><title>{title}</title><pubDate>Mon, 27 Jan 2025 10:00:00 +0000</pubDate><description><![CDATA[{body}]]></description></item>"
        )
        .unwrap();
    }
    text.push_str("</channel></rss>");
    text
}

fn fetched(config: &Config, body: &str) -> Vec<FetchedArticle> {
    let tagger = Tagger::from_config(config);
    process(
        &config.feeds[0],
        body.as_bytes(),
        None,
        &tagger,
        &known_topics(config),
        Utc::now(),
    )
    .unwrap()
}

fn put(store: &mut LibraryStore, config: &Config, items: &[Item<'_>]) -> PutReport {
    put_at(store, config, items, FeedOptions::default(), Utc::now())
}

fn put_at(
    store: &mut LibraryStore,
    config: &Config,
    items: &[Item<'_>],
    options: FeedOptions,
    now: DateTime<Utc>,
) -> PutReport {
    let mut sink = store.feed_sink(options).at(now);
    sink.put(&config.feeds[0], fetched(config, &rss(items)))
        .unwrap();
    sink.last_put()
}

fn library(store: &mut LibraryStore, config: &Config) -> Library {
    store.load_library(&config.actor_directory()).unwrap()
}

fn headings(library: &Library) -> Vec<String> {
    let mut h: Vec<String> = library.sections.iter().map(|s| s.heading.clone()).collect();
    h.sort();
    h
}

fn open(dir: &Path) -> LibraryStore {
    LibraryStore::open(&dir.join("library.sqlite"))
        .unwrap()
        .store
}

const A: Item<'static> = (
    Some("a1"),
    "https://news.example/a?utm_source=rss",
    "OpenAI shows a new model",
    "<p>OpenAI showed a model on Monday. It reasons step by step and costs less.</p>",
);
const B: Item<'static> = (
    None,
    "https://news.example/b",
    "Nvidia shares fall",
    "<p>Shares of Nvidia fell after DeepSeek released R1.</p>",
);

/// A with its title corrected and one sentence added: the same item, not
/// substantially changed.
const A_EDITED: Item<'static> = (
    A.0,
    A.1,
    "OpenAI shows its new model",
    "<p>OpenAI showed a model on Monday. It reasons step by step and costs less. Updated.</p>",
);
/// A rewritten: the same item (guid and link), another story.
const A_REWRITTEN: Item<'static> = (
    A.0,
    A.1,
    "Regulators question OpenAI",
    "<p>European regulators sent a list of questions about training data.</p>",
);

#[test]
fn fetched_items_are_articles_that_a_sync_keeps_and_search_finds() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("topics = [\"Models\"]\n");
    let mut store = open(dir.path());
    store.sync(&[ContentRoot::Bundled]).unwrap();
    let bundled = library(&mut store, &config).sections.len();
    assert_eq!(put(&mut store, &config, &[A, B]).added, 2);
    // A sync of the content folders leaves fetched items alone.
    store.sync(&[ContentRoot::Bundled]).unwrap();
    let lib = library(&mut store, &config);
    assert_eq!(lib.sections.len(), bundled + 2);
    let s = lib
        .sections
        .iter()
        .position(|s| s.heading == "OpenAI shows a new model")
        .unwrap();
    let article = &lib.articles[lib.sections[s].article];
    assert_eq!(article.source.as_deref(), Some("Example"));
    assert_eq!(
        article.url.as_deref(),
        Some("https://news.example/a?utm_source=rss")
    );
    assert_eq!(article.lang, "en");
    assert_eq!(lib.sections[s].date.to_string(), "2025-01-27");
    let actor = &lib.actors[lib.sections[s].actors[0]].name;
    assert_eq!(actor, "OpenAI");
    assert_eq!(lib.topics[lib.sections[s].topics[0]], "Models");
    let body = lib.body(s).unwrap();
    let text: Vec<&str> = body.iter().map(aiwatch_tui::content::Block::text).collect();
    assert!(text[0].starts_with("OpenAI showed a model"), "{text:?}");
    assert!(
        text.iter()
            .any(|t| t.contains("OpenAI: 'OpenAI' in the title")),
        "the reasons for the actors are shown: {text:?}"
    );
    // Search in the store finds the item.
    let query = aiwatch_tui::query::filter::SectionQuery {
        search: SearchQuery::new("step by step"),
        ..Default::default()
    };
    let edition = lib.edition("en");
    assert_eq!(query.select(&lib, &edition.sections).unwrap(), vec![s]);
}

/// A reader that quits while a big put writes stops it: the put ends at
/// its next item, stores nothing of the feed (rolled back), says so, and
/// frees the write lock at once, so the reader's last save does not wait
/// out the busy timeout and fail ("database is locked", read marks lost).
#[test]
fn a_stopped_put_stores_nothing_and_frees_the_write_lock_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    assert_eq!(put(&mut store, &config, &[A]).added, 1);
    let control = Arc::new(PutControl::default());
    let items = fetched(&config, &rss(&[B, A]));
    let mut sent = 0;
    let seen = Arc::clone(&control);
    let mut stream = items.into_iter().inspect(|_| {
        sent += 1;
        assert!(seen.is_writing(), "a put writing says so");
        if sent == 1 {
            // The reader quits while the put holds the lock: another
            // connection cannot write meanwhile.
            let other = rusqlite::Connection::open(dir.path().join("library.sqlite")).unwrap();
            other.busy_timeout(Duration::ZERO).unwrap();
            let busy = other.execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap_err();
            assert!(busy.to_string().contains("locked"), "{busy}");
            seen.stop();
        }
    });
    let error = store
        .feed_sink(FeedOptions::default())
        .controlled_by(Arc::clone(&control))
        .put_stream(&config.feeds[0], &mut stream)
        .unwrap_err();
    assert!(error.to_string().contains("storing was stopped"), "{error}");
    assert!(!control.is_writing());
    // The lock is free at once, without the busy timeout.
    let other = rusqlite::Connection::open(dir.path().join("library.sqlite")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
    assert_eq!(
        headings(&library(&mut store, &config)),
        ["OpenAI shows a new model"],
        "nothing of the stopped put was kept"
    );
    // The attempt is recorded (a reader quitting during `r` left the feed
    // "never fetched"), and `feeds list` says what happened.
    let last = store
        .last(URL)
        .unwrap()
        .expect("the stopped put is recorded");
    let Outcome::Failed { reason } = &last.outcome else {
        panic!("{last:?}");
    };
    assert!(
        reason.starts_with("the items could not be stored: ")
            && reason
                .contains("storing was stopped (the program is ending); nothing of it was kept"),
        "{reason}"
    );
    let config_file = dir.path().join("config.toml");
    std::fs::write(
        &config_file,
        format!("[[feeds]]\nurl = \"{URL}\"\nname = \"Example\"\n"),
    )
    .unwrap();
    let listed = std::process::Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
        .arg("--config")
        .arg(&config_file)
        .arg("--library")
        .arg(dir.path().join("library.sqlite"))
        .args(["feeds", "list"])
        .output()
        .unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.starts_with(&format!("Example\t{URL}\tlast fetch: 20"))
            && listed.contains("\tfailed\titems: 1\terror: the items could not be stored: ")
            && listed.contains("storing was stopped"),
        "{listed}"
    );
    // Stopped for good: a later put of this run stops before writing.
    let again = store
        .feed_sink(FeedOptions::default())
        .controlled_by(control)
        .put(&config.feeds[0], fetched(&config, &rss(&[B])));
    assert!(again.is_err());
}

/// Another program's put of a large feed holds the write lock for longer
/// than the busy timeout (10 s): a put waits for it (two readers pressing
/// `r` at once, a `fetch` from cron beside `serve`: one failed with
/// "database is locked"), and a stop is heard while it waits.
#[test]
fn a_put_waits_for_another_writer_past_the_busy_timeout_and_hears_a_stop() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    let path = dir.path().join("library.sqlite");
    let hold = |for_ms: u64| {
        let other = rusqlite::Connection::open(&path).unwrap();
        other
            .execute_batch(
                "BEGIN IMMEDIATE; INSERT OR REPLACE INTO meta (key, value) VALUES ('other', 'x')",
            )
            .unwrap();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(for_ms));
            other.execute_batch("COMMIT").unwrap();
        })
    };
    let holder = hold(11_000);
    assert_eq!(put(&mut store, &config, &[A]).added, 1);
    holder.join().unwrap();

    let holder = hold(5_000);
    let control = Arc::new(PutControl::default());
    let stopper = Arc::clone(&control);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        stopper.stop();
    });
    let refused = store
        .feed_sink(FeedOptions::default())
        .controlled_by(control)
        .put(&config.feeds[0], fetched(&config, &rss(&[B])));
    assert!(refused.unwrap_err().to_string().contains("stopped"));
    holder.join().unwrap();
    assert_eq!(headings(&library(&mut store, &config)), [A.2]);
}

#[test]
fn the_same_feed_twice_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    assert_eq!(put(&mut store, &config, &[A, B]).added, 2);
    let before = headings(&library(&mut store, &config));
    let again = put(&mut store, &config, &[A, B]);
    assert_eq!(
        again,
        PutReport {
            unchanged: 2,
            ..PutReport::default()
        }
    );
    assert_eq!(headings(&library(&mut store, &config)), before);
}

#[test]
fn a_changed_guid_with_the_same_link_does_not_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    put(&mut store, &config, &[A]);
    let moved = (
        Some("https://news.example/?p=1"),
        "https://news.example/a",
        A.2,
        A.3,
    );
    let report = put(&mut store, &config, &[moved]);
    assert_eq!(report.added, 0, "{report:?}");
    let lib = library(&mut store, &config);
    assert_eq!(lib.sections.len(), 1);
    // And a later fetch with the new guid is still the same item.
    put(&mut store, &config, &[moved]);
    assert_eq!(library(&mut store, &config).sections.len(), 1);
}

/// Items of one document with their own guids are as many items even when
/// their links are one canonical link (they differ only in the fragment):
/// the link finds an item of an earlier fetch, never one of the same
/// document. Fetched again, each is found by its guid: nothing changes.
#[test]
fn items_of_one_document_with_their_own_guids_are_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    let parts: Vec<Item<'_>> = [
        ("https://news.example/live#s0", "Live: OpenAI shows a model"),
        ("https://news.example/live#s1", "Live: Nvidia shares fall"),
        ("https://news.example/live#s2", "Live: DeepSeek answers"),
    ]
    .iter()
    .map(|(guid, title)| (Some(*guid), *guid, *title, "<p>Text.</p>"))
    .collect();
    let first = put(&mut store, &config, &parts);
    assert_eq!((first.added, first.updated), (3, 0), "{first:?}");
    assert_eq!(library(&mut store, &config).sections.len(), 3);
    let again = put(&mut store, &config, &parts);
    assert_eq!(
        again,
        PutReport {
            unchanged: 3,
            ..PutReport::default()
        }
    );
    assert_eq!(library(&mut store, &config).sections.len(), 3);
}

/// A live blog without guids: its posts' links differ only after `#`
/// (`/live#post-1`, `#post-2`), and each post is an item of its own, not a
/// duplicate of the first. Fetched again with a new post on top, the new
/// one is added and the others are found as they were (never one post
/// taken for another by its link).
#[test]
fn items_without_guid_whose_links_differ_in_the_fragment_are_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    let links: Vec<String> = (0..=4)
        .map(|n| format!("https://news.example/live#post-{n}"))
        .collect();
    let post = |n: usize, title| -> Item<'_> { (None, &links[n], title, "<p>Text.</p>") };
    let posts = [
        post(3, "Live: DeepSeek answers"),
        post(2, "Live: Nvidia shares fall"),
        post(1, "Live: OpenAI shows a model"),
    ];
    let first = put(&mut store, &config, &posts);
    assert_eq!(
        first,
        PutReport {
            added: 3,
            ..PutReport::default()
        }
    );
    let mut more = vec![post(4, "Live: Altman answers")];
    more.extend(posts);
    let again = put(&mut store, &config, &more);
    assert_eq!(
        again,
        PutReport {
            added: 1,
            unchanged: 3,
            ..PutReport::default()
        }
    );
    assert_eq!(
        headings(&library(&mut store, &config)),
        [
            "Live: Altman answers",
            "Live: DeepSeek answers",
            "Live: Nvidia shares fall",
            "Live: OpenAI shows a model"
        ]
    );
}

/// A live blog's item stored before fragments kept items apart (keyed by
/// its link alone) is found once, by the first post of the next fetch,
/// and updated; the other posts are added beside it.
#[test]
fn an_item_stored_under_its_link_alone_is_found_once_by_a_post() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    let page = (
        None,
        "https://news.example/live",
        "Live: OpenAI shows a model",
        "<p>Text.</p>",
    );
    assert_eq!(put(&mut store, &config, &[page]).added, 1);
    let posts: [Item<'_>; 2] = [
        (
            None,
            "https://news.example/live#post-2",
            "Live: Nvidia shares fall",
            "<p>Two.</p>",
        ),
        (
            None,
            "https://news.example/live#post-1",
            "Live: OpenAI shows a model",
            "<p>One.</p>",
        ),
    ];
    let report = put(&mut store, &config, &posts);
    assert_eq!(
        (report.added, report.updated, report.duplicates),
        (1, 1, 0),
        "{report:?}"
    );
    assert_eq!(library(&mut store, &config).sections.len(), 2);
    let again = put(&mut store, &config, &posts);
    assert_eq!(
        again,
        PutReport {
            unchanged: 2,
            ..PutReport::default()
        }
    );
}

/// Two items of one document with one guid are one item: the first is
/// kept, the other counted as a duplicate (the `fetch` command says so),
/// never the first overwritten in silence.
#[test]
fn an_item_repeated_in_one_document_is_kept_once_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    let twice = (
        A.0,
        "https://news.example/other",
        "OpenAI shows another model",
        A.3,
    );
    let report = put(&mut store, &config, &[A, B, twice]);
    assert_eq!(
        report,
        PutReport {
            added: 2,
            duplicates: 1,
            ..PutReport::default()
        }
    );
    assert_eq!(
        headings(&library(&mut store, &config)),
        ["Nvidia shares fall", "OpenAI shows a new model"]
    );
    // Fetched again: the same, nothing rewritten.
    let again = put(&mut store, &config, &[A, B, twice]);
    assert_eq!(
        (again.unchanged, again.duplicates, again.updated),
        (2, 1, 0)
    );
}

fn mark_read(store: &mut LibraryStore, key: &str, star: bool) {
    let after = SavedState {
        read: vec![key.to_owned()],
        starred: if star { vec![key.to_owned()] } else { vec![] },
        known: vec![key.to_owned()],
        ..SavedState::default()
    };
    store.save_state(&SavedState::default(), &after).unwrap();
}

fn key_of(lib: &Library, heading: &str) -> String {
    let s = lib
        .sections
        .iter()
        .position(|s| s.heading == heading)
        .unwrap();
    lib.section_key(s)
}

#[test]
fn a_changed_item_is_updated_in_place_and_keeps_its_read_mark_unless_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    put(&mut store, &config, &[A]);
    let lib = library(&mut store, &config);
    mark_read(&mut store, &key_of(&lib, A.2), true);
    // A corrected title and one more sentence: the same item, still read.
    let report = put(&mut store, &config, &[A_EDITED]);
    assert_eq!(report.updated, 1, "{report:?}");
    let lib = library(&mut store, &config);
    assert_eq!(headings(&lib), ["OpenAI shows its new model"]);
    let key = key_of(&lib, A_EDITED.2);
    let state = store.load_state().unwrap().unwrap();
    assert_eq!(state.read, std::slice::from_ref(&key));
    assert_eq!(state.starred, std::slice::from_ref(&key));
    // Rewritten: unread again, still starred.
    put(&mut store, &config, &[A_REWRITTEN]);
    let lib = library(&mut store, &config);
    let key = key_of(&lib, A_REWRITTEN.2);
    let state = store.load_state().unwrap().unwrap();
    assert!(state.read.is_empty(), "{state:?}");
    assert_eq!(state.starred, [key]);
    // With the switch off, a rewrite keeps the mark.
    mark_read(&mut store, &key_of(&lib, A_REWRITTEN.2), false);
    let keep_marks = FeedOptions {
        unread_on_change: false,
        ..FeedOptions::default()
    };
    put_at(&mut store, &config, &[A], keep_marks, Utc::now());
    let lib = library(&mut store, &config);
    let state = store.load_state().unwrap().unwrap();
    assert_eq!(state.read, [key_of(&lib, A.2)]);
}

/// A reader `serve` remembers by their key: their star and read mark
/// follow an item whose title the feed corrected (they were lost: only
/// the local reader's marks moved to the new heading), a rewrite drops
/// only the read mark, and their star keeps the item from `keep`.
#[test]
fn a_remembered_readers_marks_follow_a_changed_item_and_their_star_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("keep = \"10d\"\n");
    let mut store = open(dir.path());
    let options = FeedOptions::default();
    put_at(&mut store, &config, &[A, B], options, day(0));
    let lib = library(&mut store, &config);
    let key = key_of(&lib, A.2);
    let marked = SavedState {
        read: vec![key.clone()],
        starred: vec![key.clone()],
        known: vec![key],
        ..SavedState::default()
    };
    assert!(
        store
            .save_reader("SHA256:reader", &SavedState::default(), &marked, 10, false)
            .unwrap()
    );
    put_at(&mut store, &config, &[A_EDITED, B], options, day(0));
    let lib = library(&mut store, &config);
    let key = key_of(&lib, A_EDITED.2);
    let kept = store.load_reader("SHA256:reader").unwrap().unwrap();
    assert_eq!(kept.read, std::slice::from_ref(&key), "{kept:?}");
    assert_eq!(kept.starred, std::slice::from_ref(&key));
    // Rewritten: unread again, still starred.
    put_at(&mut store, &config, &[A_REWRITTEN, B], options, day(0));
    let lib = library(&mut store, &config);
    let key = key_of(&lib, A_REWRITTEN.2);
    let kept = store.load_reader("SHA256:reader").unwrap().unwrap();
    assert!(kept.read.is_empty(), "{kept:?}");
    assert_eq!(kept.starred, [key]);
    // Both left the feed long ago: B is purged, the reader's star keeps A.
    let c = (
        Some("c"),
        "https://news.example/c",
        "Mistral raises money",
        "<p>x</p>",
    );
    let report = put_at(&mut store, &config, &[c], options, day(12));
    assert_eq!(report.purged, 1, "{report:?}");
    assert_eq!(
        headings(&library(&mut store, &config)),
        ["Mistral raises money", A_REWRITTEN.2]
    );
}

/// The put tells which sections it rewrote substantially (their read
/// marks dropped), so that a running reader drops its own marks too; a
/// corrected title is not one.
#[test]
fn a_put_tells_which_sections_it_rewrote() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    put(&mut store, &config, &[A, B]);
    let corrected = (A.0, A.1, A_EDITED.2, A.3);
    let rewritten = (B.0, B.1, A_REWRITTEN.2, A_REWRITTEN.3);
    let mut sink = store.feed_sink(FeedOptions::default());
    sink.put(
        &config.feeds[0],
        fetched(&config, &rss(&[corrected, rewritten])),
    )
    .unwrap();
    assert_eq!(sink.last_put().updated, 2);
    let told = sink.take_rewritten();
    let lib = library(&mut store, &config);
    assert_eq!(told, [key_of(&lib, A_REWRITTEN.2)]);
}

fn day(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_760_000_000 + n * 86_400, 0).unwrap()
}

#[test]
fn items_that_left_the_feed_stay_until_keep_and_stars_stay_for_ever() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("keep = \"10d\"\n");
    let mut store = open(dir.path());
    let options = FeedOptions::default();
    put_at(&mut store, &config, &[A, B], options, day(0));
    let lib = library(&mut store, &config);
    mark_read(&mut store, &key_of(&lib, B.2), true);
    // A and B left the feed on day 1; C came.
    let c = (
        Some("c"),
        "https://news.example/c",
        "Mistral raises money",
        "<p>x</p>",
    );
    assert_eq!(put_at(&mut store, &config, &[c], options, day(1)).purged, 0);
    assert_eq!(library(&mut store, &config).sections.len(), 3);
    let report = put_at(&mut store, &config, &[c], options, day(12));
    assert_eq!(report.purged, 1, "A is purged, starred B stays");
    assert_eq!(
        headings(&library(&mut store, &config)),
        ["Mistral raises money", B.2]
    );

    // A number of items: those in the feed count first.
    let dir = tempfile::tempdir().unwrap();
    let config = self::config("keep = 2\n");
    let mut store = open(dir.path());
    put_at(&mut store, &config, &[A, B], options, day(0));
    put_at(&mut store, &config, &[c], options, day(0));
    // C in the feed, room for one of A and B.
    assert_eq!(library(&mut store, &config).sections.len(), 2);
    // The global keep applies to a feed without one.
    let dir = tempfile::tempdir().unwrap();
    let config = self::config("");
    let mut store = open(dir.path());
    let global = FeedOptions {
        keep: Some(Keep::Age(Duration::from_secs(86_400))),
        ..FeedOptions::default()
    };
    put_at(&mut store, &config, &[A, B], global, day(0));
    put_at(&mut store, &config, &[c], global, day(3));
    assert_eq!(headings(&library(&mut store, &config)), [c.2]);
}

#[test]
fn the_fetch_record_is_kept_and_a_failure_keeps_the_validators() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    assert_eq!(store.last(URL).unwrap(), None);
    assert_eq!(store.validators(URL).unwrap(), Validators::default());
    let good = FetchRecord {
        at: day(0),
        outcome: Outcome::Fetched { items: 12 },
        validators: Validators {
            etag: Some("\"v1\"".into()),
            last_modified: Some("Mon, 27 Jan 2025 10:00:00 GMT".into()),
        },
        moved_to: Some("https://news.example/new.xml".into()),
        retry_after: None,
    };
    store.record(URL, &good).unwrap();
    assert_eq!(store.last(URL).unwrap(), Some(good.clone()));
    let failed = FetchRecord {
        at: day(1) + chrono::Duration::nanoseconds(5),
        outcome: Outcome::Failed {
            reason: "503 Service Unavailable".into(),
        },
        validators: Validators::default(),
        moved_to: None,
        retry_after: Some(day(2)),
    };
    store.record(URL, &failed).unwrap();
    assert_eq!(store.validators(URL).unwrap(), good.validators);
    let last = store.last(URL).unwrap().unwrap();
    assert_eq!(last.outcome, failed.outcome);
    assert_eq!(last.at, failed.at);
    assert_eq!(last.retry_after, failed.retry_after);
    let status = store.feed_status(URL).unwrap();
    assert_eq!(status.items, 0);
}

const PUTTER: &str = "AIWATCH_FEEDS_STORE_KILL_DIR";
const ITEMS: usize = 300;

fn big_feed(name: &str) -> String {
    let mut text = String::from("<rss version=\"2.0\"><channel><title>Big</title>");
    for i in 0..ITEMS {
        write!(
            text,
            "<item><guid>{i}</guid><title>{name} item {i}</title><description>{}</description></item>",
            "Some words of body text. ".repeat(20)
        )
        .unwrap();
    }
    text.push_str("</channel></rss>");
    text
}

#[test]
fn a_put_survives_sigkill_at_any_moment() {
    let config = config("");
    if let Some(dir) = std::env::var_os(PUTTER) {
        // The child: put feed version a, then b, then a... until killed.
        let mut store = open(Path::new(&dir));
        let a = fetched(&config, &big_feed("a"));
        let b = fetched(&config, &big_feed("b"));
        for items in [&a, &b].iter().cycle() {
            store.put(&config.feeds[0], (*items).clone()).unwrap();
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut filled = 0;
    // At least 20 kills, and on until one came after a finished put: on a
    // loaded machine the child may need longer than 1.5 s for its first,
    // so the time before a kill grows while none has finished.
    let mut round = 0;
    while round < 20 || (filled == 0 && round < 60) {
        let child = kill::spawn_test(
            "a_put_survives_sigkill_at_any_moment",
            &[(PUTTER, dir.path().as_os_str())],
        );
        let wait = if filled == 0 {
            1_500 + 250 * round
        } else {
            1_500
        };
        kill::kill_after_a_while(child, wait);
        let mut store = open(dir.path());
        let lib = library(&mut store, &config);
        let names: std::collections::BTreeSet<&str> = lib
            .sections
            .iter()
            .map(|s| s.heading.split(' ').next().unwrap())
            .collect();
        assert!(
            lib.sections.is_empty() || (lib.sections.len() == ITEMS && names.len() == 1),
            "round {round}: {} sections of {names:?}",
            lib.sections.len()
        );
        for s in 0..lib.sections.len() {
            lib.body(s).unwrap();
        }
        filled += usize::from(!lib.sections.is_empty());
        round += 1;
    }
    assert!(
        filled > 0,
        "the child never finished a put: the test tests nothing"
    );
}

#[test]
fn outlets_telling_one_story_are_grouped_within_the_window_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(Some((
        "c.toml",
        "[[feeds]]\nurl = \"https://a.example/f\"\nname = \"A\"\n\n[[feeds]]\nurl = \"https://b.example/f\"\nname = \"B\"\n",
    )))
    .unwrap();
    let tagger = Tagger::from_config(&config);
    let item = |link: &str, title: &str, date: &str| {
        format!("<item><link>{link}</link><title>{title}</title><pubDate>{date}</pubDate></item>")
    };
    let feed = |items: &[String]| {
        format!(
            "<rss version=\"2.0\"><channel><title>T</title>{}</channel></rss>",
            items.concat()
        )
    };
    let a = feed(&[
        item(
            "https://a.example/1",
            "DeepSeek sends Nvidia shares tumbling",
            "Mon, 27 Jan 2025 10:00:00 +0000",
        ),
        // The same outlet twice is not "several outlets".
        item(
            "https://a.example/2",
            "DeepSeek sends Nvidia shares tumbling again",
            "Mon, 27 Jan 2025 11:00:00 +0000",
        ),
        item(
            "https://a.example/3",
            "Italy bans DeepSeek over privacy",
            "Tue, 28 Jan 2025 10:00:00 +0000",
        ),
    ]);
    let b = feed(&[
        item(
            "https://b.example/1",
            "Nvidia shares tumble as DeepSeek spooks investors",
            "Mon, 27 Jan 2025 12:00:00 +0000",
        ),
        // Three days later: another story.
        item(
            "https://b.example/2",
            "Italy bans DeepSeek over privacy",
            "Fri, 31 Jan 2025 12:00:00 +0000",
        ),
        // The same canonical link as A's third item: one article.
        item(
            "http://www.a.example/3/?utm_medium=b",
            "Privacy watchdog moves against app",
            "Tue, 28 Jan 2025 15:00:00 +0000",
        ),
    ]);
    let mut store = open(dir.path());
    for (feed, body) in config.feeds.iter().zip([a, b]) {
        let items = process(feed, body.as_bytes(), None, &tagger, &[], Utc::now()).unwrap();
        store.put(feed, items).unwrap();
    }
    let lib = library(&mut store, &config);
    let at = |heading: &str, source: &str| {
        (0..lib.sections.len())
            .find(|&s| {
                lib.sections[s].heading == heading
                    && lib.articles[lib.sections[s].article].source.as_deref() == Some(source)
            })
            .unwrap()
    };
    let story_of = |s: usize| lib.fetched.story_id(s);
    let nvidia_a = at("DeepSeek sends Nvidia shares tumbling", "A");
    assert!(story_of(nvidia_a).is_some());
    assert_eq!(
        story_of(nvidia_a),
        story_of(at("Nvidia shares tumble as DeepSeek spooks investors", "B"))
    );
    assert_eq!(
        story_of(at("DeepSeek sends Nvidia shares tumbling again", "A")),
        None,
        "one item per outlet: A's second item is not joined through B's"
    );
    let italy_a = at("Italy bans DeepSeek over privacy", "A");
    assert_eq!(
        story_of(italy_a),
        story_of(at("Privacy watchdog moves against app", "B"))
    );
    assert_eq!(story_of(at("Italy bans DeepSeek over privacy", "B")), None);
    assert_eq!(lib.fetched.story(italy_a).unwrap().len(), 2);
}

/// Three feeds: (name, items as (title, hours after the start)).
fn put_feeds(store: &mut LibraryStore, feeds: &[(&str, Vec<(String, i64)>)]) -> Config {
    let mut text = String::new();
    for (name, _) in feeds {
        writeln!(
            text,
            "[[feeds]]\nurl = \"https://{name}.example/f\"\nname = \"{name}\""
        )
        .unwrap();
    }
    let config = Config::load(Some(("c.toml", &text))).unwrap();
    let tagger = Tagger::from_config(&config);
    let start = DateTime::parse_from_rfc3339("2025-01-27T00:00:00Z").unwrap();
    for (feed, (name, items)) in config.feeds.iter().zip(feeds) {
        let mut body = String::from("<rss version=\"2.0\"><channel><title>T</title>");
        for (n, (title, hours)) in items.iter().enumerate() {
            let date = (start + chrono::Duration::hours(*hours)).to_rfc2822();
            write!(
                body,
                "<item><link>https://{name}.example/{n}</link><title>{title}</title><pubDate>{date}</pubDate></item>"
            )
            .unwrap();
        }
        body.push_str("</channel></rss>");
        let items = process(feed, body.as_bytes(), None, &tagger, &[], Utc::now()).unwrap();
        store.put(feed, items).unwrap();
    }
    config
}

/// Every story's items, by file: (feed, at) of each.
fn stories_stored(path: &Path) -> Vec<Vec<(String, i64)>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stories: std::collections::BTreeMap<i64, Vec<(String, i64)>> =
        std::collections::BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT story, feed, at FROM feed_items ORDER BY file_id")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        stories
            .entry(r.get(0).unwrap())
            .or_default()
            .push((r.get(1).unwrap(), r.get(2).unwrap()));
    }
    stories.into_values().collect()
}

#[test]
fn a_chain_of_similar_titles_does_not_stretch_a_story_past_its_window() {
    // A~B and B~C, each a day and a quarter apart: A and C are 60 hours
    // apart, so C does not join A's story, though it is like B.
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let config = put_feeds(
        &mut store,
        &[
            (
                "a",
                vec![("DeepSeek sends Nvidia shares tumbling".into(), 0)],
            ),
            (
                "b",
                vec![("DeepSeek sends Nvidia shares tumbling again".into(), 30)],
            ),
            (
                "c",
                vec![(
                    "DeepSeek sends Nvidia shares tumbling again today".into(),
                    60,
                )],
            ),
        ],
    );
    let lib = library(&mut store, &config);
    let find = |heading: &str| {
        (0..lib.sections.len())
            .find(|&s| lib.sections[s].heading == heading)
            .unwrap()
    };
    let a = find("DeepSeek sends Nvidia shares tumbling");
    assert_eq!(
        lib.fetched.story_id(a),
        lib.fetched
            .story_id(find("DeepSeek sends Nvidia shares tumbling again"))
    );
    assert!(lib.fetched.story_id(a).is_some());
    assert_eq!(
        lib.fetched
            .story_id(find("DeepSeek sends Nvidia shares tumbling again today")),
        None
    );
}

#[test]
fn stories_of_two_large_feeds_of_alike_titles_stay_within_their_window() {
    // Two feeds of 1,500 hourly items whose titles are all alike (seven
    // templates), the second with every tenth retitled: as the synthetic
    // feed and its copy that once became one story of 92,120 items.
    let titles = |retitle: bool| -> Vec<(String, i64)> {
        (0..1_500)
            .map(|h| {
                let title = if retitle && h % 10 == 0 {
                    format!("Retitled: model release {} shakes AI markets", h % 7)
                } else {
                    format!("Model release {} shakes AI markets", h % 7)
                };
                (title, h)
            })
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    drop(put_feeds(
        &mut store,
        &[("big", titles(false)), ("big2", titles(true))],
    ));
    drop(store);
    let stories = stories_stored(&dir.path().join("library.sqlite"));
    let grouped = stories.iter().filter(|s| s.len() > 1).count();
    assert!(grouped > 1_000, "{grouped} stories of two outlets");
    for story in &stories {
        let first = story.iter().map(|i| i.1).min().unwrap();
        let last = story.iter().map(|i| i.1).max().unwrap();
        assert!(last - first <= 48 * 3600, "{story:?}");
        let mut feeds: Vec<&str> = story.iter().map(|i| i.0.as_str()).collect();
        feeds.sort_unstable();
        feeds.dedup();
        assert_eq!(feeds.len(), story.len(), "one item per outlet: {story:?}");
    }
}

#[test]
fn items_of_one_day_are_listed_by_their_time() {
    // A feed lists its newest first; the timeline lists a day's items by
    // their time, earlier first as the days are, not by their key's hash.
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let hours = [23, 20, 15, 11, 10, 9, 8, 3];
    let config = put_feeds(
        &mut store,
        &[(
            "news",
            hours
                .iter()
                .map(|&h| (format!("Item at {h:02}:00"), h))
                .collect(),
        )],
    );
    let lib = library(&mut store, &config);
    let listed: Vec<&str> = lib
        .timeline
        .iter()
        .map(|&s| lib.sections[s].heading.as_str())
        .collect();
    let mut expected: Vec<String> = hours.iter().map(|h| format!("Item at {h:02}:00")).collect();
    expected.reverse();
    assert_eq!(listed, expected);
    for (rank, &s) in lib.timeline.iter().enumerate() {
        assert_eq!(lib.timeline_rank[s], rank);
    }
}

#[test]
fn feeds_list_shows_what_the_store_holds() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[[feeds]]\nurl = \"{URL}\"\nname = \"Example\"\n\n[[feeds]]\nurl = \"https://down.example/f\"\nname = \"Down\"\n\n[[feeds]]\nurl = \"https://new.example/f\"\nname = \"New\"\n"
    );
    std::fs::write(dir.path().join("config.toml"), &text).unwrap();
    let config = Config::load(Some(("config.toml", &text))).unwrap();
    let mut store = open(dir.path());
    store
        .put(&config.feeds[0], fetched(&config, &rss(&[A, B])))
        .unwrap();
    store
        .record(
            URL,
            &FetchRecord {
                at: day(0),
                outcome: Outcome::Fetched { items: 2 },
                validators: Validators::default(),
                moved_to: Some("https://news.example/rss".into()),
                retry_after: None,
            },
        )
        .unwrap();
    store
        .record(
            "https://down.example/f",
            &FetchRecord {
                at: day(1),
                outcome: Outcome::Failed {
                    reason: "HTTP 503 Service Unavailable".into(),
                },
                validators: Validators::default(),
                moved_to: None,
                retry_after: Some(day(2)),
            },
        )
        .unwrap();
    drop(store);
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_aiwatch-tui"))
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .arg("--library")
            .arg(dir.path().join("library.sqlite"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run(&["feeds", "list"]),
        "Example\thttps://news.example/feed.xml\tlast fetch: 2025-10-09T08:53:20Z\tok; moved permanently to https://news.example/rss: update the config\titems: 2\n\
         Down\thttps://down.example/f\tlast fetch: 2025-10-10T08:53:20Z\tfailed; not before 2025-10-11T08:53:20Z\titems: 0\terror: HTTP 503 Service Unavailable\n\
         New\thttps://new.example/f\tlast fetch: never\tnever fetched\titems: 0\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(&["feeds", "list", "--format", "json"])).unwrap();
    assert_eq!(json[0]["items"], 2);
    assert_eq!(json[1]["last_error"], "HTTP 503 Service Unavailable");
    assert_eq!(json[1]["last_fetch"], "2025-10-10T08:53:20Z");
    assert_eq!(json[2]["status"], "never fetched");
    // The status is one of a fixed list, the redirect and the wait
    // fields of their own.
    assert_eq!(json[0]["status"], "ok");
    assert_eq!(json[0]["moved_to"], "https://news.example/rss");
    assert_eq!(json[1]["status"], "failed");
    assert_eq!(json[1]["retry_after"], "2025-10-11T08:53:20Z");
    assert_eq!(json[2]["moved_to"], serde_json::Value::Null);
}

/// Every row of the tables a put writes, as text, in a fixed order (the
/// moments of the put left out: two puts run at different instants).
fn dump(path: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut rows = Vec::new();
    for sql in [
        "SELECT path, ord, loaded FROM files ORDER BY id",
        "SELECT * FROM articles ORDER BY file_id",
        "SELECT * FROM sections ORDER BY file_id, idx",
        "SELECT * FROM blocks ORDER BY file_id, section, pos",
        "SELECT id, text FROM search ORDER BY id",
        "SELECT rowid, terms FROM search_terms ORDER BY rowid",
        "SELECT file_id, feed, key, guid, link, title, at, hash, story FROM feed_items
         ORDER BY file_id",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let columns = stmt.column_count();
        let mut r = stmt.query([]).unwrap();
        while let Some(row) = r.next().unwrap() {
            let cells: Vec<String> = (0..columns)
                .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                .collect();
            rows.push(cells.join("|"));
        }
    }
    rows
}

#[test]
fn items_prepared_on_the_worker_are_stored_as_items_prepared_by_the_put() {
    let config = config("actors = [\"Nvidia\"]");
    let mut body = rss(&[
        A,
        B,
        (
            Some("c"),
            "https://news.example/c",
            "Südkorea bans DeepSeek",
            "<ul><li>one</li><li>two</li></ul>",
        ),
    ]);
    // And one the feed does not date: only the store can finish it.
    body = body.replace(
        "</channel>",
        "<item><guid>u</guid><title>Undated Musk item</title></item></channel>",
    );
    let now = Utc::now();
    let dir = tempfile::tempdir().unwrap();
    let mut dumps = Vec::new();
    for prepared in [false, true] {
        let path = dir.path().join(format!("{prepared}.sqlite"));
        let mut store = LibraryStore::open(&path).unwrap().store;
        let mut sink = store.feed_sink(FeedOptions::default()).at(now);
        for round in 0..2 {
            let mut items = fetched(&config, &body);
            if prepared {
                <LibraryStore as ItemSink>::prepare(&mut items);
                assert_eq!(
                    items.iter().filter(|i| i.prepared.is_some()).count(),
                    3,
                    "the undated item is left to the put"
                );
            }
            sink.put(&config.feeds[0], items).unwrap();
            let report = sink.last_put();
            if round == 0 {
                assert_eq!(report.added, 4);
            } else {
                assert_eq!((report.unchanged, report.updated), (4, 0));
            }
        }
        drop(store);
        dumps.push(dump(&path));
    }
    assert!(dumps[0].len() > 20, "{:?}", dumps[0]);
    assert_eq!(dumps[0], dumps[1]);
}

/// German umlauts as folding writes them (`sudkorea`) and written out
/// (`suedkorea`) both find `Südkorea` in the store's search.
#[test]
fn the_store_finds_an_umlaut_however_it_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    let korea = (
        Some("k"),
        "https://news.example/k",
        "Südkorea sperrt DeepSeek",
        "<p>Die Behörde in Seoul prüft die App.</p>",
    );
    put(&mut store, &config, &[A, korea]);
    let lib = library(&mut store, &config);
    let edition = lib.edition("en");
    let found = |text: &str| -> Vec<String> {
        let query = aiwatch_tui::query::filter::SectionQuery {
            search: SearchQuery::new(text),
            ..Default::default()
        };
        query
            .select(&lib, &edition.sections)
            .unwrap()
            .into_iter()
            .map(|s| lib.sections[s].heading.clone())
            .collect()
    };
    for text in [
        "Südkorea",
        "sudkorea",
        "suedkorea",
        "SUEDKOREA sperrt",
        "pruefT",
    ] {
        assert_eq!(found(text), ["Südkorea sperrt DeepSeek"], "{text}");
    }
    assert!(found("nordkorea").is_empty());
}

/// `r` in the reader (`refresh::fetch_all`) shows what the store holds
/// now, also what another process stored meanwhile (a `fetch` from cron):
/// its library is read back even when its own feeds brought nothing new.
#[test]
fn r_reads_back_what_another_process_stored() {
    let dir = tempfile::tempdir().unwrap();
    let feed = |name: &str, title: &str| {
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(
            &path,
            format!(
                "<rss version=\"2.0\"><channel><title>{name}</title><item><title>{title}</title>\
                 <guid>{name}-1</guid><pubDate>Mon, 27 Jan 2025 10:00:00 +0000</pubDate>\
                 <description>Text.</description></item></channel></rss>"
            ),
        )
        .unwrap();
        format!(
            "[[feeds]]\nurl = \"file://{}\"\nname = \"{name}\"\n",
            path.display()
        )
    };
    let mine = Config::load(Some((
        "mine.toml",
        feed("mine", "OpenAI ships a model").as_str(),
    )))
    .unwrap();
    let cron = Config::load(Some((
        "cron.toml",
        feed("cron", "DeepSeek answers").as_str(),
    )))
    .unwrap();
    let store = dir.path().join("library.sqlite");
    let fetch = |config: &Config| {
        aiwatch_tui::feeds::refresh::fetch_all(
            &store,
            config,
            &config.feeds,
            Arc::default(),
            &mut |_, _| {},
        )
        .unwrap()
    };
    assert_eq!(fetch(&mine).library.unwrap().sections.len(), 1);
    assert_eq!(fetch(&cron).library.unwrap().sections.len(), 2);
    let again = fetch(&mine);
    assert_eq!(again.new_items(), 0, "the file is unchanged");
    assert_eq!(
        again.library.unwrap().sections.len(),
        2,
        "cron's item shows too"
    );
}

/// A store of fetched items gets its index image, so a warm start does not
/// read every row (each item's row keeps the hash of its index); a changed
/// item makes the image stale, and the next one shows its new title.
#[test]
fn a_store_of_fetched_items_gets_its_index_image_and_a_changed_item_renews_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let actors = config.actor_directory();
    let mut store = open(dir.path());
    put(&mut store, &config, &[A, B]);
    let rows = library(&mut store, &config);
    assert!(store.refresh_image(&actors).unwrap(), "an image is written");
    let mut warm = open(dir.path());
    let from_image = library(&mut warm, &config);
    assert!(warm.read_from_image(), "the image was read");
    // (`fetched` is attached after either read; a map, in no fixed order.)
    let index = |l: &Library| format!("{:#?}", (&l.articles, &l.sections, &l.diagnostics));
    assert_eq!(index(&from_image), index(&rows));
    // The same item with another title: stale image, renewed.
    let changed = (A.0, A.1, "OpenAI shows a newer model", A.3);
    put(&mut store, &config, &[changed, B]);
    let mut next = open(dir.path());
    let stale = library(&mut next, &config);
    assert!(!next.read_from_image(), "a stale image is not used");
    assert!(headings(&stale).contains(&"OpenAI shows a newer model".to_owned()));
    assert!(next.refresh_image(&actors).unwrap());
    let mut last = open(dir.path());
    let renewed = library(&mut last, &config);
    assert!(last.read_from_image());
    assert_eq!(headings(&renewed), headings(&stale));
}

/// A store from before fetched items kept their index hash (its schema as
/// now, its number one lower): opening it fills them in, so it gets its
/// index image like any other.
#[test]
fn fetched_items_stored_before_their_hash_was_kept_get_it_when_the_store_opens() {
    let dir = tempfile::tempdir().unwrap();
    let config = config("");
    let mut store = open(dir.path());
    put(&mut store, &config, &[A, B]);
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("library.sqlite")).unwrap();
    conn.execute_batch(&format!(
        "UPDATE files SET index_hash = NULL; PRAGMA user_version = {};",
        aiwatch_tui::library_store::SCHEMA_VERSION - 1
    ))
    .unwrap();
    drop(conn);
    let mut store = open(dir.path());
    assert!(
        store.refresh_image(&config.actor_directory()).unwrap(),
        "an image is written"
    );
    let mut warm = open(dir.path());
    let library = library(&mut warm, &config);
    assert!(warm.read_from_image());
    assert_eq!(library.sections.len(), 2);
}
