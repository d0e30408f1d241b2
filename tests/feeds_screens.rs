//! Snapshots of whole screens with fetched items read from the library
//! store: a feed item in the reading pane (its actors with reasons, source
//! and link), a story told by three outlets (one timeline row "+2
//! sources", the outlets listed in the reading pane) and the feeds in the
//! topic list, a failing one marked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use std::fmt::Write as _;

use aiwatch_tui::app::{App, Context, Effect, TopicChoice};
use aiwatch_tui::config::Config;
use aiwatch_tui::feeds::article::ItemSink;
use aiwatch_tui::feeds::fetch::{known_topics, process};
use aiwatch_tui::feeds::ledger::{FeedLedger, FetchRecord, Outcome, Validators};
use aiwatch_tui::feeds::tag::Tagger;
use aiwatch_tui::input::{Input, Key};
use aiwatch_tui::library_store::LibraryStore;
use aiwatch_tui::library_store::feeds::FeedOptions;
use chrono::{DateTime, Utc};
use common::{press, render};
use insta::assert_snapshot;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

const CONFIG: &str = r#"
[[feeds]]
url = "https://www.heise.de/rss/heise.rdf"
name = "heise online"
lang = "en"

[[feeds]]
url = "https://www.theverge.com/rss/index.xml"
name = "The Verge"
lang = "en"

[[feeds]]
url = "https://feeds.arstechnica.com/arstechnica/index"
name = "Ars Technica"
lang = "en"

[[feeds]]
url = "https://broken.example/feed"
name = "Broken Feed"
"#;

fn rss(items: &[(&str, &str, &str, &str)]) -> String {
    let mut text = String::from("<rss version=\"2.0\"><channel><title>T</title>");
    for (link, title, date, body) in items {
        write!(
            text,
            "<item><link>{link}</link><title>{title}</title><pubDate>{date}</pubDate><description><![CDATA[{body}]]></description></item>"
        )
        .unwrap();
    }
    text.push_str("</channel></rss>");
    text
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-01-29T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A store holding three outlets' items and a failing feed, and the app on it.
fn app(dir: &std::path::Path, width: u16, height: u16) -> App {
    let config = Config::load(Some(("config.toml", CONFIG))).unwrap();
    let tagger = Tagger::from_config(&config);
    let topics = known_topics(&config);
    let mut store = LibraryStore::open(&dir.join("library.sqlite"))
        .unwrap()
        .store;
    let feeds: [&[(&str, &str, &str, &str)]; 3] = [
        &[
            (
                "https://www.heise.de/news/deepseek-nvidia-1.html",
                "DeepSeek sends Nvidia shares tumbling",
                "Mon, 27 Jan 2025 10:00:00 +0000",
                "<p>Nvidia lost almost 600 billion dollars in market value in one day.</p>",
            ),
            (
                "https://www.heise.de/news/o3-mini-2.html",
                "OpenAI releases o3-mini to all ChatGPT users",
                "Tue, 28 Jan 2025 18:30:00 +0000",
                "<p>Sam Altman announced the small reasoning model after DeepSeek's R1 \
                 drew attention.</p><ul><li>free users get it too</li><li>an API follows</li></ul>",
            ),
        ],
        &[(
            "https://www.theverge.com/2025/1/27/nvidia",
            "Nvidia shares tumble as DeepSeek spooks investors",
            "Mon, 27 Jan 2025 12:00:00 +0000",
            "<p>The chip maker had its worst day since 2020.</p>",
        )],
        &[(
            "http://heise.de/news/deepseek-nvidia-1.html?utm_source=ars",
            "Why a Chinese model rattled the market",
            "Mon, 27 Jan 2025 14:00:00 +0000",
            "<p>A look at the numbers behind the sell-off.</p>",
        )],
    ];
    for (feed, items) in config.feeds.iter().zip(feeds) {
        let fetched = process(feed, rss(items).as_bytes(), None, &tagger, &topics, now()).unwrap();
        store
            .feed_sink(FeedOptions::default())
            .at(now())
            .put(feed, fetched)
            .unwrap();
    }
    store
        .record(
            &config.feeds[3].url,
            &FetchRecord {
                at: now(),
                outcome: Outcome::Failed {
                    reason: "connection refused".into(),
                },
                validators: Validators::default(),
                moved_to: None,
                retry_after: None,
            },
        )
        .unwrap();
    let library = store.load_library(&config.actor_directory()).unwrap();
    let mut app = App::new(Context::new(library, config), "en");
    app.handle(Input::Resize(width, height));
    app
}

#[test]
fn a_feed_item_in_the_reading_pane() {
    for (w, h) in SIZES {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path(), w, h);
        assert_snapshot!(format!("feed_item_{w}x{h}"), render(&app).backend());
    }
}

#[test]
fn a_story_from_three_outlets_is_one_row_listing_them() {
    for (w, h) in SIZES {
        let dir = tempfile::tempdir().unwrap();
        let mut app = app(dir.path(), w, h);
        let rows = app.listed_count();
        assert_eq!(rows, 2, "three items of one story and one other: two rows");
        press(&mut app, "k enter");
        assert_snapshot!(format!("feed_story_{w}x{h}"), render(&app).backend());
    }
}

/// How many sections under "All" are unread.
fn all_unread(app: &App) -> usize {
    app.topics
        .iter()
        .find(|t| t.choice == TopicChoice::All)
        .unwrap()
        .unread
}

/// Presses one key and lets any read timer it starts run out.
fn press_and_dwell(app: &mut App, key: &str) {
    let effects = app.handle(Input::Key(Key::parse(key).unwrap()));
    for e in effects {
        if let Effect::Timer { token, .. } = e {
            app.handle(Input::Timer(token));
        }
    }
}

/// `R` says `marked`, leaves nothing unread under "All", and `u` then
/// finds nothing.
fn mark_all_read_and_find_none(app: &mut App, marked: &str) {
    press(app, "R");
    assert_eq!(app.notice.as_deref(), Some(marked));
    assert_eq!(all_unread(app), 0);
    press(app, "u");
    assert_eq!(app.notice.as_deref(), Some("Nothing unread here."));
}

/// A story's row stands for every listed section behind it: reading it
/// reads the other outlets' items, `u` finds a row while any of them is
/// unread, `R` marks them all, and the unread counts say the same.
#[test]
fn reading_u_r_and_the_unread_counts_agree_on_a_story_of_several_outlets() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 120, 40);
    assert_eq!(all_unread(&app), 4);
    press(&mut app, "k");
    press_and_dwell(&mut app, "enter");
    assert_eq!(
        all_unread(&app),
        1,
        "reading the story's row read its three outlets' items"
    );
    press(&mut app, "u");
    assert_eq!(
        common::open_heading(&app),
        "OpenAI releases o3-mini to all ChatGPT users"
    );
    mark_all_read_and_find_none(&mut app, "Marked 1 section read.");
}

#[test]
fn r_marks_every_section_behind_the_listed_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 120, 40);
    assert_eq!(app.listed_count(), 2);
    mark_all_read_and_find_none(&mut app, "Marked 4 sections read.");
}

/// A story's row is unread while any outlet's item behind it is, though
/// its own section is read, and `u` opens it.
#[test]
fn u_finds_a_story_whose_other_outlets_item_is_unread() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 120, 40);
    // The section of the story's row read alone, as a reader of an older
    // build could have left it: the row is still unread.
    let lib = std::sync::Arc::clone(&app.ctx.library);
    let row = app
        .listed()
        .find(|&s| lib.fetched.story(s).is_some())
        .unwrap();
    assert!(app.marks.set_read(&lib, row));
    assert!(app.row_unread(row));
    // From the last row (open at start), `u` goes round to the story.
    assert_ne!(app.reader.open, Some(row));
    press(&mut app, "u");
    assert_eq!(
        app.reader.open,
        Some(row),
        "u stops at the story's row: two of its outlets are unread"
    );
}

#[test]
fn the_status_line_counts_rows_and_sections_apart() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path(), 120, 40);
    let status = |app: &App| common::screen(app).lines().last().unwrap().to_owned();
    // Nothing hidden: no x/y form.
    assert!(
        status(&app).contains("Showing all actors · 2 stories · 4 sections "),
        "{}",
        status(&app)
    );
    // An actor filter hides a section: the x/y form, rows first.
    press(&mut app, "d");
    assert!(
        status(&app).contains("2 stories · 3/4 sections"),
        "{}",
        status(&app)
    );
}

#[test]
fn the_feeds_in_the_topic_list() {
    for (w, h) in SIZES {
        let dir = tempfile::tempdir().unwrap();
        let mut app = app(dir.path(), w, h);
        press(&mut app, "K G");
        assert_snapshot!(format!("feed_sources_{w}x{h}"), render(&app).backend());
    }
}

/// The app on a store holding these `(link, title, date, body)` items of
/// one feed that says no language, at 100x30.
fn one_feed_app(dir: &std::path::Path, items: &[(&str, &str, &str, &str)]) -> App {
    let config = Config::load(Some((
        "config.toml",
        "[[feeds]]\nurl = \"https://news.example/feed\"\nname = \"News\"\n",
    )))
    .unwrap();
    let tagger = Tagger::from_config(&config);
    let topics = known_topics(&config);
    let mut store = LibraryStore::open(&dir.join("library.sqlite"))
        .unwrap()
        .store;
    let fetched = process(
        &config.feeds[0],
        rss(items).as_bytes(),
        None,
        &tagger,
        &topics,
        now(),
    )
    .unwrap();
    store
        .feed_sink(FeedOptions::default())
        .at(now())
        .put(&config.feeds[0], fetched)
        .unwrap();
    let library = store.load_library(&config.actor_directory()).unwrap();
    let mut app = App::new(Context::new(library, config), "en");
    app.handle(Input::Resize(100, 30));
    app
}

/// One item of a feed that says no language.
const NEW_MODEL: (&str, &str, &str, &str) = (
    "https://news.example/a",
    "OpenAI ships a new model",
    "Mon, 27 Jan 2025 10:00:00 +0000",
    "<p>The model is out today.</p>",
);

/// Items of a feed that says no language (most real feeds): the reading
/// pane names no language code ("shown in und"), it just shows them.
#[test]
fn an_item_of_unknown_language_has_no_fallback_note() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = one_feed_app(dir.path(), &[NEW_MODEL]);
    press(&mut app, "enter");
    let shown = common::screen(&app);
    assert!(shown.contains("The model is out today."), "{shown}");
    assert!(!shown.contains("und"), "{shown}");
}

/// Undetermined is no language to switch to: `L` never offers "und"
/// (it went EN -> UND -> DE), and the items show in every edition.
#[test]
fn an_undetermined_language_is_no_edition_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = one_feed_app(dir.path(), &[NEW_MODEL]);
    assert!(app.library().languages().is_empty());
    // `L` still switches the reader's own words (English, Deutsch).
    press(&mut app, "L");
    assert_eq!(app.edition.lang, "de");
    let shown = common::screen(&app);
    assert!(!shown.contains("UND"), "{shown}");
    press(&mut app, "L");
    assert_eq!(app.edition.lang, "en");
    assert!(shown.contains("OpenAI ships a new model"), "{shown}");
    app.set_language("de");
    assert!(common::screen(&app).contains("OpenAI ships a new model"));
}

/// A feed decides its items' links: one that is no web address
/// (`javascript:`, `file:`) is never handed to a browser; `b` says why,
/// `y` still copies it. A web link is opened.
#[test]
fn a_link_that_is_no_web_address_is_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = one_feed_app(
        dir.path(),
        &[
            (
                "javascript:alert(1)",
                "OpenAI ships a new model",
                "Mon, 27 Jan 2025 10:00:00 +0000",
                "<p>The model is out today.</p>",
            ),
            (
                "https://news.example/b",
                "DeepSeek answers",
                "Tue, 28 Jan 2025 10:00:00 +0000",
                "<p>Another model.</p>",
            ),
        ],
    );
    let key = |app: &mut App, k: &str| app.handle(Input::Key(Key::parse(k).unwrap()));
    // The newest (DeepSeek) is selected at the end of the timeline.
    press(&mut app, "G enter");
    assert_eq!(app.open_link(), Some("https://news.example/b"));
    assert_eq!(
        key(&mut app, "b"),
        [Effect::OpenUrl("https://news.example/b".into())]
    );
    press(&mut app, "esc k enter");
    assert_eq!(app.open_link(), Some("javascript:alert(1)"));
    assert!(key(&mut app, "b").is_empty());
    let shown = common::screen(&app);
    assert!(
        shown.contains("Not opened: a javascript link is no web address"),
        "{shown}"
    );
    assert_eq!(
        key(&mut app, "y"),
        [Effect::Copy("javascript:alert(1)".into())]
    );
}

/// Counts past a thousand are grouped as the status line groups them: in
/// the timeline's title and the topic list ("All 1,001"), where the pane
/// leaves the name room.
#[test]
fn counts_past_a_thousand_are_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let links: Vec<(String, String)> = (0..1001)
        .map(|i| {
            (
                format!("https://news.example/{i}"),
                format!("Item number {i}"),
            )
        })
        .collect();
    let items: Vec<(&str, &str, &str, &str)> = links
        .iter()
        .map(|(link, title)| {
            (
                link.as_str(),
                title.as_str(),
                "Mon, 27 Jan 2025 10:00:00 +0000",
                "<p>Body.</p>",
            )
        })
        .collect();
    let mut app = one_feed_app(dir.path(), &items);
    // The header's "new since the last visit" beside an actor, too.
    app.actor_new[0] = 12_345;
    let shown = common::screen(&app);
    assert!(shown.contains("Timeline · 1,001"), "{shown}");
    assert!(
        shown.lines().next().is_some_and(|l| l.contains(" 12,345")),
        "{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.contains(" All ") && l.contains(" 1,001 ")),
        "{shown}"
    );
}
