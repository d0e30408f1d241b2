//! `r` in the reader: the app asks for a background fetch and listens to
//! its events (fed here by hand, as the runtime would): progress in the
//! status line, a summary, new sections taken without moving the
//! selection, the per-actor "new" counts growing, and the refusals (a
//! second `r`, no feeds, no store). The real binary in a pty fetches a
//! file:// feed on `r` and shows its items.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;
#[path = "common/pty.rs"]
#[allow(dead_code)] // not every helper is used here
mod pty;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use aiwatch_tui::app::{App, Effect, FetchMode};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::{ContentRoot, load_library};
use aiwatch_tui::input::{FetchEvent, FetchSummary, Input, Key, SyncedLibrary};
use common::{app_with, open_heading, press, screen};
use insta::assert_snapshot;

/// A config subscribed to one feed (never fetched here: the events are
/// made by hand).
fn config_with_feeds() -> Config {
    Config::load(Some((
        "config.toml",
        "[[feeds]]\nurl = \"file:///nonexistent/feed.xml\"\nname = \"Local\"\n",
    )))
    .unwrap()
}

/// An article `name.toml` dated `day` (of March 2025) about `OpenAI`, with
/// three sections.
fn write_article(dir: &Path, name: &str, day: u32) {
    let mut text = format!(
        "title = \"Article {name}\"\npublished = \"2025-03-{day:02}\"\nactors = [\"OpenAI\"]\n"
    );
    for s in 0..3 {
        write!(
            text,
            "\n[[section]]\nheading = \"{name} part {s}\"\nbody = \"\"\"\nWords ({name}, part {s}).\n\"\"\"\n"
        )
        .unwrap();
    }
    fs::write(dir.join(format!("{name}.toml")), text).unwrap();
}

fn folder_app(dir: &Path, config: Config, lang: &str) -> App {
    let mut app = app_with(
        config,
        &[ContentRoot::Dir(dir.to_path_buf())],
        lang,
        100,
        30,
    );
    app.fetch_mode = FetchMode::OnRequest;
    app
}

fn r(app: &mut App) -> Vec<Effect> {
    app.handle(Input::Key(Key::char('r')))
}

fn openai(app: &App) -> usize {
    let i = app
        .config()
        .actors
        .iter()
        .position(|a| a.name == "OpenAI")
        .unwrap();
    app.actor_new[i]
}

fn status_line(app: &App) -> String {
    screen(app).lines().last().unwrap().trim_end().to_owned()
}

#[test]
fn fetched_sections_arrive_without_moving_the_selection_and_new_counts_grow() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..30 {
        write_article(dir.path(), &format!("n{i:02}"), 10);
    }
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    press(&mut app, "k k k k k k enter");
    let row = app.timeline_cursor.selected - app.timeline_cursor.offset;
    let heading = open_heading(&app);
    let new_before = openai(&app);

    assert_eq!(r(&mut app), vec![Effect::FetchFeeds]);
    app.handle(Input::Fetch(FetchEvent::Progress { done: 1, total: 2 }));
    assert!(
        status_line(&app).contains("fetching 1/2 feeds"),
        "{}",
        status_line(&app)
    );

    // The fetch stored two new articles, one of them newer than all.
    write_article(dir.path(), "a", 10);
    write_article(dir.path(), "z", 28);
    let library = load_library(
        &[ContentRoot::Dir(dir.path().to_path_buf())],
        &app.config().actor_directory(),
    );
    let effects = app.handle(Input::Fetch(FetchEvent::Done(FetchSummary {
        feeds: 2,
        new: 6,
        failures: vec![("Broken".into(), "HTTP 500 Internal Server Error".into())],
        library: Some(SyncedLibrary(Arc::new(library))),
    })));
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(app.fetching, None);
    assert_eq!(app.edition.sections.len(), 32 * 3);
    assert_eq!(open_heading(&app), heading, "the open section stays");
    assert_eq!(
        app.timeline_cursor.selected - app.timeline_cursor.offset,
        row,
        "the selected row stays where it was on screen"
    );
    assert_eq!(openai(&app), new_before + 6, "six sections arrived");
    let line = status_line(&app);
    assert!(
        line.contains("2 feeds: 6 new, 1 failed: press ! / see feeds list"),
        "{line}"
    );
    // The failure is readable under `!`.
    assert!(
        app.messages
            .iter()
            .any(|m| m == "Feed Broken failed: HTTP 500 Internal Server Error"),
        "{:?}",
        app.messages
    );
    press(&mut app, "!");
    assert!(screen(&app).contains("Feed Broken failed: HTTP 500"));
}

/// `serve`'s fetcher hands every session the library it read back: taken
/// as `r`'s is (selection kept, new counts grow) without a summary the
/// reader did not ask for, and the old library is not kept.
#[test]
fn a_library_fetched_by_the_server_arrives_in_a_served_session() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..30 {
        write_article(dir.path(), &format!("n{i:02}"), 10);
    }
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    app.fetch_mode = FetchMode::Served;
    press(&mut app, "k k k k k k enter");
    let row = app.timeline_cursor.selected - app.timeline_cursor.offset;
    let heading = open_heading(&app);
    let new_before = openai(&app);
    let status_before = status_line(&app);
    let old = Arc::downgrade(&app.ctx.library);

    write_article(dir.path(), "a", 10);
    write_article(dir.path(), "z", 28);
    let library = load_library(
        &[ContentRoot::Dir(dir.path().to_path_buf())],
        &app.config().actor_directory(),
    );
    let effects = app.handle(Input::Fetch(FetchEvent::Arrived(SyncedLibrary(Arc::new(
        library,
    )))));
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(app.edition.sections.len(), 32 * 3);
    assert_eq!(open_heading(&app), heading, "the open section stays");
    assert_eq!(
        app.timeline_cursor.selected - app.timeline_cursor.offset,
        row,
        "the selected row stays where it was on screen"
    );
    assert_eq!(openai(&app), new_before + 6, "six sections arrived");
    assert_eq!(app.fetching, None);
    assert_eq!(
        status_line(&app),
        status_before.replace("90 sections", "96 sections"),
        "no summary of a fetch the reader did not ask for"
    );
    assert!(old.upgrade().is_none(), "the old library is freed");
}

/// An item whose title changed by one word is updated in place by the
/// store (same article id): its section comes back under the new heading,
/// and the "new" counts do not take it for an arrival.
#[test]
fn a_fetched_item_with_an_edited_title_is_not_counted_as_new() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 10);
    write_article(dir.path(), "b", 11);
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    let new_before = openai(&app);
    // The fetch arrives with b's first heading edited by one word, and a
    // new article c.
    let text = fs::read_to_string(dir.path().join("b.toml")).unwrap();
    fs::write(
        dir.path().join("b.toml"),
        text.replace("heading = \"b part 0\"", "heading = \"b part zero\""),
    )
    .unwrap();
    write_article(dir.path(), "c", 12);
    let library = load_library(
        &[ContentRoot::Dir(dir.path().to_path_buf())],
        &app.config().actor_directory(),
    );
    app.handle(Input::Fetch(FetchEvent::Done(FetchSummary {
        feeds: 1,
        new: 3,
        failures: vec![],
        library: Some(SyncedLibrary(Arc::new(library))),
    })));
    assert_eq!(app.edition.sections.len(), 9);
    assert_eq!(
        openai(&app),
        new_before + 3,
        "c's three sections arrived, b's renamed one did not"
    );
}

/// A fetched item whose title the feed corrected is the same section
/// renamed: the reader stays on it (it jumped to the next item) and its
/// read mark, given this session and not saved yet, follows it (it was
/// dropped); a text the store found rewritten loses the mark, as in the
/// store.
#[test]
fn a_renamed_item_keeps_the_reader_on_it_and_its_read_mark_unless_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 10);
    write_article(dir.path(), "b", 11);
    // Up the timeline to b's first section, and open it.
    let (mut app, effects) = (0..6)
        .map(|ups| {
            let mut app = folder_app(dir.path(), config_with_feeds(), "en");
            press(&mut app, &"k ".repeat(ups));
            let effects = app.handle(Input::Key(Key::parse("enter").unwrap()));
            (app, effects)
        })
        .find(|(app, _)| open_heading(app) == "b part 0")
        .unwrap();
    assert_eq!(open_heading(&app), "b part 0");
    for e in effects {
        if let Effect::Timer { token, .. } = e {
            app.handle(Input::Timer(token));
        }
    }
    let is_open_read = |app: &App| app.marks.is_read(app.reader.open.unwrap());
    assert!(is_open_read(&app), "read after the dwell");
    let fetched = |app: &mut App, from: &str, to: &str, rewritten: bool| {
        let path = dir.path().join("b.toml");
        let text = fs::read_to_string(&path).unwrap();
        fs::write(
            &path,
            text.replace(
                &format!("heading = \"{from}\""),
                &format!("heading = \"{to}\""),
            ),
        )
        .unwrap();
        let mut library = load_library(
            &[ContentRoot::Dir(dir.path().to_path_buf())],
            &app.config().actor_directory(),
        );
        if rewritten {
            let s = library
                .sections
                .iter()
                .position(|s| s.heading == to)
                .unwrap();
            library.fetched.rewritten = vec![library.section_key(s)];
        }
        app.handle(Input::Fetch(FetchEvent::Done(FetchSummary {
            feeds: 1,
            new: 0,
            failures: vec![],
            library: Some(SyncedLibrary(Arc::new(library))),
        })));
    };
    fetched(&mut app, "b part 0", "b part zero", false);
    assert_eq!(open_heading(&app), "b part zero", "the reader stays on it");
    assert!(is_open_read(&app), "its read mark followed it");
    fetched(&mut app, "b part zero", "b part nil", true);
    assert_eq!(open_heading(&app), "b part nil");
    assert!(
        !is_open_read(&app),
        "rewritten: unread, as the store keeps it"
    );
}

#[test]
fn a_second_r_while_fetching_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 1);
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    assert_eq!(r(&mut app), vec![Effect::FetchFeeds]);
    assert_eq!(r(&mut app), vec![], "no second fetch");
    assert!(status_line(&app).contains("Already fetching the feeds."));
    // Over: `r` fetches again.
    app.handle(Input::Fetch(FetchEvent::Done(FetchSummary {
        feeds: 1,
        ..FetchSummary::default()
    })));
    assert!(status_line(&app).contains("1 feed: 0 new"));
    assert_eq!(r(&mut app), vec![Effect::FetchFeeds]);
}

/// Without feeds (the runtime reads the config again at `r` and finds
/// none: see `r_fetches_a_feed_added_while_the_reader_runs` for the other
/// way), `r` says how to add one.
#[test]
fn without_feeds_r_says_how_to_add_one() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 1);
    let mut app = folder_app(dir.path(), Config::built_in().unwrap(), "en");
    assert_eq!(r(&mut app), vec![Effect::FetchFeeds]);
    app.handle(Input::Fetch(FetchEvent::NoFeeds));
    assert_eq!(app.fetching, None, "r may be pressed again");
    assert!(
        status_line(&app).contains("add one with `aiwatch-tui feeds add URL`"),
        "{}",
        status_line(&app)
    );
}

/// `r` in one reader after another program (`fetch` from cron, another
/// reader) stored the same items first: this fetch found nothing new, and
/// the status line says where the new rows came from instead of a bare
/// "0 new" beside them.
#[test]
fn sections_stored_meanwhile_by_another_program_are_said() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 1);
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    assert_eq!(r(&mut app), vec![Effect::FetchFeeds]);
    for i in 0..400 {
        write_article(dir.path(), &format!("n{i:03}"), 10);
    }
    let library = load_library(
        &[ContentRoot::Dir(dir.path().to_path_buf())],
        &app.config().actor_directory(),
    );
    app.handle(Input::Fetch(FetchEvent::Done(FetchSummary {
        feeds: 1,
        new: 0,
        failures: vec![],
        library: Some(SyncedLibrary(Arc::new(library))),
    })));
    let line = status_line(&app);
    assert!(
        line.contains("1 feed: 0 new · 1,200 more stored meanwhile (another fetch or sync)"),
        "{line}"
    );
}

#[test]
fn without_a_store_r_says_fetched_items_cannot_be_kept() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 1);
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    app.fetch_mode = FetchMode::NoStore;
    assert_eq!(r(&mut app), vec![]);
    assert!(
        app.messages
            .last()
            .unwrap()
            .starts_with("Fetched items cannot be kept without the library store"),
        "{:?}",
        app.messages
    );
}

#[test]
fn a_store_that_cannot_be_opened_is_said() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 1);
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    r(&mut app);
    app.handle(Input::Fetch(FetchEvent::Failed(
        "database is locked".into(),
    )));
    assert_eq!(app.fetching, None);
    assert!(status_line(&app).contains("Cannot fetch the feeds: database is locked"));
}

#[test]
fn the_status_line_while_fetching() {
    for (lang, width, height) in [("en", 100, 30), ("de", 80, 24)] {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..3 {
            write_article(dir.path(), &format!("n{i:02}"), 10 + i);
        }
        let mut app = folder_app(dir.path(), config_with_feeds(), lang);
        app.handle(Input::Resize(width, height));
        r(&mut app);
        app.handle(Input::Fetch(FetchEvent::Progress { done: 3, total: 12 }));
        assert_snapshot!(format!("fetching_{lang}_{width}x{height}"), screen(&app));
    }
}

/// Large counts in the fetch's summary are grouped as the sync's are
/// ("1 feed: 50,000 new", "syncing 9,744 files").
#[test]
fn the_fetch_summary_groups_large_counts() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 10);
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    r(&mut app);
    app.handle(Input::Fetch(FetchEvent::Done(FetchSummary {
        feeds: 1,
        new: 50_000,
        failures: vec![],
        library: None,
    })));
    assert!(
        status_line(&app).contains("50,000 new"),
        "{}",
        status_line(&app)
    );
}

/// A large feed's put takes seconds: the status line says how many of its
/// items are stored so far, until the next feed is done.
#[test]
fn a_feed_being_stored_shows_how_far_it_is() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 10);
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    r(&mut app);
    app.handle(Input::Fetch(FetchEvent::Storing { items: 12_345 }));
    assert!(
        status_line(&app).contains("fetching 0/1 feeds · storing 12,345 items"),
        "{}",
        status_line(&app)
    );
    app.handle(Input::Fetch(FetchEvent::Progress { done: 1, total: 1 }));
    assert!(
        !status_line(&app).contains("storing"),
        "{}",
        status_line(&app)
    );
}

/// `home/feed.xml`: an RSS feed of one item titled `title`, dated now.
fn write_one_item_feed(home: &Path, title: &str) -> std::path::PathBuf {
    let feed = home.join("feed.xml");
    let now = chrono::Utc::now().to_rfc2822();
    let slug = title.replace(' ', "-");
    fs::write(
        &feed,
        format!(
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Local news</title>\
             <link>https://example.org/</link><description>d</description>\
             <item><title>{title}</title><link>https://example.org/{slug}</link>\
             <guid>{slug}</guid><pubDate>{now}</pubDate><description>OpenAI shows a model.</description></item>\
             </channel></rss>\n"
        ),
    )
    .unwrap();
    feed
}

/// The binary in a pty: a config with a file:// feed; `r` fetches it in
/// the background and its item shows in the timeline.
#[test]
fn r_in_a_terminal_fetches_a_file_feed_and_its_item_appears() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let feed = write_one_item_feed(home, "Zephyrine model from OpenAI");
    let url = url::Url::from_file_path(&feed).unwrap();
    let config = home.join("config.toml");
    fs::write(
        &config,
        format!("[[feeds]]\nurl = \"{url}\"\nname = \"Local\"\n"),
    )
    .unwrap();
    let mut pty = pty::Pty::open(140, 30);
    let mut child = pty.spawn(&["--config", config.to_str().unwrap()], home, &[]);
    pty.wait_for("Topics");
    pty.send(b"r");
    pty.wait_for("1 feed: 1 new");
    pty.send(b"G");
    pty.wait_for("Zephyrine model from OpenAI");
    pty.send(b"q");
    assert!(pty::wait_exit(&mut child).success());
}

/// A feed subscribed with `feeds add` while the reader runs (it started
/// with none): `r` reads the config again and fetches it; before, it said
/// "No feeds subscribed" until the reader was started again.
#[test]
fn r_fetches_a_feed_added_while_the_reader_runs() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let feed = write_one_item_feed(home, "Quillfeather model from OpenAI");
    let config = home.join("config.toml");
    fs::write(&config, "# no feeds yet\n").unwrap();
    let mut pty = pty::Pty::open(140, 30);
    let mut child = pty.spawn(&["--config", config.to_str().unwrap()], home, &[]);
    pty.wait_for("Topics");
    pty.send(b"r");
    pty.wait_for("No feeds subscribed");
    let url = url::Url::from_file_path(&feed).unwrap();
    fs::write(
        &config,
        format!("# no feeds yet\n[[feeds]]\nurl = \"{url}\"\nname = \"Local\"\n"),
    )
    .unwrap();
    pty.send(b"r");
    pty.wait_for("1 feed: 1 new");
    pty.send(b"G");
    pty.wait_for("Quillfeather model from OpenAI");
    // A config broken meanwhile: said with its place, nothing fetched.
    fs::write(&config, "[[feeds]\n").unwrap();
    pty.send(b"r");
    pty.wait_for("config.toml:1:");
    pty.send(b"q");
    assert!(pty::wait_exit(&mut child).success());
}

/// Quitting while `r` stores a big feed: the put holds the store's write
/// lock for seconds, and the reader's last save used to wait out the busy
/// timeout and fail ("database is locked"), the star just given lost, and
/// every key that saved waited for the put. Now saves are put off while a
/// put writes, and the quit stops the put (rolled back: the next fetch
/// brings the items) so that the last save gets the lock.
#[test]
fn quitting_while_r_stores_a_big_feed_keeps_the_star_given_meanwhile() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let feed = home.join("feed.xml");
    let now = chrono::Utc::now().to_rfc2822();
    let mut xml = String::from(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Big</title>\
         <link>https://example.org/</link><description>d</description>",
    );
    for i in 0..30_000 {
        write!(
            xml,
            "<item><title>Item {i} about OpenAI</title><link>https://example.org/{i}</link>\
             <guid>g-{i}</guid><pubDate>{now}</pubDate>\
             <description>OpenAI and Nvidia, item {i}: a few words of text.</description></item>"
        )
        .unwrap();
    }
    xml.push_str("</channel></rss>\n");
    fs::write(&feed, xml).unwrap();
    let url = url::Url::from_file_path(&feed).unwrap();
    let config = home.join("config.toml");
    fs::write(
        &config,
        format!("[[feeds]]\nurl = \"{url}\"\nname = \"Big\"\n"),
    )
    .unwrap();
    let store = home.join("data/aiwatch-tui/library.sqlite");
    // A first run builds the store, so that the lock seen below is the
    // put's, not the first build's.
    let pty = pty::Pty::open(140, 30);
    let mut child = pty.spawn(&["list"], home, &[]);
    assert!(pty::wait_exit(&mut child).success());
    let mut pty = pty::Pty::open(140, 30);
    let mut child = pty.spawn(&["--config", config.to_str().unwrap()], home, &[]);
    pty.wait_for("Topics");
    pty.send(b"r");
    pty.wait_for("fetching 0/1");
    // Until the put holds the write lock.
    let probe = rusqlite::Connection::open(&store).unwrap();
    probe.busy_timeout(std::time::Duration::ZERO).unwrap();
    let mut polls = 0;
    while probe.execute_batch("BEGIN IMMEDIATE; COMMIT").is_ok() {
        polls += 1;
        assert!(polls < 6000, "the put never took the write lock");
        assert!(
            !pty.contents().contains("1 feed:"),
            "the fetch ended before it was seen writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // How far the put is, said while it writes.
    pty.wait_for("· storing");
    pty.send(b"s");
    pty.wait_for("Starred.");
    // The key did not wait for the put: its save is put off meanwhile.
    assert!(
        probe.execute_batch("BEGIN IMMEDIATE; COMMIT").is_err(),
        "the star showed only once the put had ended"
    );
    drop(probe);
    pty.send(b"q");
    let status = pty::wait_exit(&mut child);
    let screen = pty.contents();
    assert!(!screen.contains("could not"), "{screen}");
    assert!(status.success(), "{screen}");
    let stored = rusqlite::Connection::open(&store).unwrap();
    let stars: i64 = stored
        .query_row("SELECT count(*) FROM stars", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stars, 1, "the star given while the put wrote was saved");
    let items: i64 = stored
        .query_row("SELECT count(*) FROM feed_items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(items, 0, "the quit stopped the put, which kept nothing");
}

/// `r` fetched while the background sync was reading the library back:
/// the sync's library, read before the fetch stored its items, comes
/// last but must not take them away again; a library read later does
/// replace the one shown.
#[test]
fn a_sync_read_before_a_fetch_does_not_take_the_fetched_items_away() {
    use aiwatch_tui::input::SyncEvent;
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 10);
    let mut app = folder_app(dir.path(), config_with_feeds(), "en");
    let roots = [ContentRoot::Dir(dir.path().to_path_buf())];
    let actors = app.config().actor_directory();
    let read = |at: std::time::Instant| {
        let mut library = load_library(&roots, &actors);
        library.read_at = aiwatch_tui::content::index::ReadAt(Some(at));
        SyncedLibrary(Arc::new(library))
    };
    let sync_read_at = std::time::Instant::now();
    let stale = read(sync_read_at);
    write_article(dir.path(), "z", 28);
    let fetched = read(sync_read_at + std::time::Duration::from_millis(5));
    assert_eq!(r(&mut app), vec![Effect::FetchFeeds]);
    app.handle(Input::Fetch(FetchEvent::Done(FetchSummary {
        feeds: 1,
        new: 3,
        failures: Vec::new(),
        library: Some(fetched),
    })));
    assert_eq!(app.edition.sections.len(), 6);
    app.handle(Input::Sync(SyncEvent::Done(Some(stale))));
    assert_eq!(app.edition.sections.len(), 6, "the fetched article stays");
    write_article(dir.path(), "y", 20);
    let later = read(sync_read_at + std::time::Duration::from_millis(10));
    app.handle(Input::Sync(SyncEvent::Done(Some(later))));
    assert_eq!(app.edition.sections.len(), 9, "a later read is shown");
}

/// A config broken since the start is said in the reader's language, with
/// its place; nothing of it stays in English in a German notice.
#[test]
fn a_config_broken_meanwhile_is_said_in_the_readers_language() {
    let dir = tempfile::tempdir().unwrap();
    write_article(dir.path(), "a", 1);
    let mut app = folder_app(dir.path(), config_with_feeds(), "de");
    r(&mut app);
    app.handle(Input::Fetch(FetchEvent::ConfigBroken(
        "config.toml:9:6: error: config file is not valid UTF-8".into(),
    )));
    assert_eq!(app.fetching, None);
    let line = status_line(&app);
    assert!(line.contains("geholt werden: config.toml:9:6"), "{line}");
    let said = app.notice.clone().unwrap_or_default();
    assert!(
        said.ends_with("(die Konfiguration wurde für diesen Abruf neu gelesen)"),
        "{said}"
    );
}
