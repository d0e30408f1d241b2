//! The reader starts on the library as stored and takes the synced one
//! when the background sync brings it: the new text shows, the user's
//! place (open section, selected row, topic) does not move, and the status
//! line says how far the sync is. The real binary in a pty shows a file
//! changed since the last run shortly after start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;
#[path = "common/pty.rs"]
#[allow(dead_code)] // not every helper is used here
mod pty;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aiwatch_tui::app::{App, TopicChoice};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::{ActorDirectory, ContentRoot, load_library};
use aiwatch_tui::input::{Input, SyncEvent, SyncedLibrary};
use aiwatch_tui::library_store::{self, LibraryStore};
use aiwatch_tui::runtime::syncer::{self, SyncJob};
use common::{app_with, bundled, open_heading, press, render, screen};
use insta::assert_snapshot;
use pty::{Pty, wait_exit};

/// An article file `name.toml` dated `day` (of March 2025) with three
/// sections whose bodies say `body`.
fn write_article(dir: &Path, name: &str, day: u32, body: &str) {
    let mut text = format!(
        "title = \"Article {name}\"\npublished = \"2025-03-{day:02}\"\nactors = [\"OpenAI\"]\n"
    );
    for s in 0..3 {
        write!(
            text,
            "\n[[section]]\nheading = \"{name} part {s}\"\ntopics = [\"topic {}\"]\nbody = \"\"\"\n{body} ({name}, part {s}).\n\"\"\"\n",
            s % 2
        )
        .unwrap();
    }
    let path = dir.join(format!("{name}.toml"));
    fs::write(&path, text).unwrap();
    // Old enough for the store to trust its time.
    let file = fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

/// A content folder `news` of `count` articles (`n000`, `n001`, ...: names
/// as wide as the count needs) whose bodies say `body`, and where its
/// store goes; the folder lives as long as the `TempDir`.
fn news(count: usize, body: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("news");
    fs::create_dir_all(&content).unwrap();
    let width = if count > 100 { 3 } else { 2 };
    for i in 0..count {
        write_article(&content, &format!("n{i:0width$}"), 10, body);
    }
    let store = dir.path().join("library.sqlite");
    (dir, content, store)
}

fn folder_app(dir: &Path) -> App {
    app_with(
        Config::built_in().unwrap(),
        &[ContentRoot::Dir(dir.to_path_buf())],
        "en",
        100,
        30,
    )
}

fn synced(dir: &Path) -> Input {
    let config = Config::built_in().unwrap();
    let library = load_library(
        &[ContentRoot::Dir(dir.to_path_buf())],
        &config.actor_directory(),
    );
    Input::Sync(SyncEvent::Done(Some(SyncedLibrary(Arc::new(library)))))
}

/// The row of the timeline cursor on screen, and the open section's key.
fn place(app: &App) -> (usize, Option<String>, String) {
    let row = app.timeline_cursor.selected - app.timeline_cursor.offset;
    let key = app.reader.open.map(|s| app.library().section_key(s));
    (row, key, open_heading(app))
}

#[test]
fn a_sync_after_the_first_frame_keeps_the_selection_and_shows_new_text() {
    let dir = tempfile::tempdir().unwrap();
    // One day: the timeline orders them by id, n00 first.
    for i in 0..30 {
        write_article(dir.path(), &format!("n{i:02}"), 10, "Old words");
    }
    let mut app = folder_app(dir.path());
    press(&mut app, "k k k k k k enter");
    let before = place(&app);
    assert_eq!(
        before.2, "n27 part 2",
        "the reader moved up to another article"
    );
    assert!(
        app.timeline_cursor.offset > 0,
        "a list longer than the pane"
    );
    let topic_before = app.topic_choice();

    // Meanwhile on disk: the open article changed, two came before every
    // other (so every section id and row moves), one above left.
    write_article(dir.path(), "n27", 10, "New words");
    write_article(dir.path(), "a", 10, "Early words");
    write_article(dir.path(), "b", 10, "Early words");
    fs::remove_file(dir.path().join("n05.toml")).unwrap();
    let effects = app.handle(synced(dir.path()));
    assert!(effects.is_empty(), "{effects:?}");

    assert_eq!(place(&app), before, "the selection did not move on screen");
    assert_eq!(app.topic_choice(), topic_before);
    assert_eq!(app.edition.sections.len(), 31 * 3);
    let shown = screen(&app);
    assert!(shown.contains("New words (n27, part 2)"), "{shown}");
    assert!(!shown.contains("Old words (n27"), "{shown}");
    // Moving on works in the new library: the one below is n28's.
    press(&mut app, "h j enter");
    assert_eq!(open_heading(&app), "n28 part 0");
}

#[test]
fn a_sync_keeps_a_chosen_topic_and_the_search() {
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in ["m", "n", "p"].iter().enumerate() {
        write_article(
            dir.path(),
            name,
            10 + u32::try_from(i).unwrap(),
            "Old words",
        );
    }
    let mut app = folder_app(dir.path());
    // "topic 1": only the middle sections.
    press(&mut app, "K");
    while !matches!(app.topic_choice(), TopicChoice::Topic(t) if app.library().topics[t] == "topic 1")
    {
        press(&mut app, "j");
    }
    let topic_name = "topic 1";
    let topic = app.topic_choice();
    press(&mut app, "/ p a r t space 1 enter");
    let before = place(&app);
    let listed = app.listed_count();
    write_article(dir.path(), "a", 1, "Early words");
    app.handle(synced(dir.path()));
    let TopicChoice::Topic(t) = app.topic_choice() else {
        panic!("{:?} instead of {topic:?}", app.topic_choice());
    };
    assert_eq!(app.library().topics[t], topic_name);
    assert_eq!(place(&app).1, before.1, "the same section open");
    assert_eq!(
        app.listed_count(),
        listed + 1,
        "the new article's section 1 joined"
    );
    assert!(app.search.is_active());
}

#[test]
fn marks_follow_their_sections_through_a_sync() {
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in ["m", "n"].iter().enumerate() {
        write_article(
            dir.path(),
            name,
            10 + u32::try_from(i).unwrap(),
            "Old words",
        );
    }
    let mut app = folder_app(dir.path());
    press(&mut app, "s");
    let starred = app.reader.open.unwrap();
    let key = app.library().section_key(starred);
    write_article(dir.path(), "a", 1, "Early words");
    app.handle(synced(dir.path()));
    let now = (0..app.library().sections.len())
        .find(|&s| app.library().section_key(s) == key)
        .unwrap();
    assert_ne!(now, starred, "the section's id moved");
    assert!(app.marks.is_starred(now));
    assert_eq!(app.snapshot().starred, vec![key]);
}

#[test]
fn a_sync_with_nothing_new_changes_nothing_and_a_failure_is_said() {
    let mut app = bundled("en", 80, 24);
    press(&mut app, "k k");
    let before = place(&app);
    app.handle(Input::Sync(SyncEvent::Progress { done: 0, total: 12 }));
    app.handle(Input::Sync(SyncEvent::Done(None)));
    assert_eq!(place(&app), before);
    assert_eq!(app.sync, None);
    app.handle(Input::Sync(SyncEvent::Failed("the store is locked".into())));
    assert!(screen(&app).contains("the store is locked"));
    assert_eq!(place(&app), before);
}

#[test]
fn the_status_line_shows_how_far_the_sync_is() {
    for (w, h, lang) in [(80, 24, "en"), (120, 40, "en"), (80, 24, "de")] {
        let mut app = bundled(lang, w, h);
        app.handle(Input::Sync(SyncEvent::Progress {
            done: 301,
            total: 1204,
        }));
        assert_snapshot!(format!("syncing_{lang}_{w}x{h}"), render(&app).backend());
    }
    let mut app = bundled("en", 120, 40);
    app.handle(Input::Sync(SyncEvent::Progress {
        done: 1204,
        total: 1204,
    }));
    app.handle(Input::Sync(SyncEvent::Done(None)));
    assert!(!screen(&app).contains("syncing"), "gone once it is over");
}

/// The binary: a file changed since the last run shows its new text soon
/// after start, without a key pressed (the sync runs after the first frame).
#[test]
fn a_changed_file_shows_its_new_text_after_start() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let content = home.join("news");
    fs::create_dir_all(&content).unwrap();
    for i in 0..40 {
        write_article(&content, &format!("f{i:02}"), 1 + i % 28, "Old words");
    }
    // The newest article (opened at start) is f27 (day 28, the latest).
    let run = |expect: &str, changed_to: Option<&str>| {
        let mut pty = Pty::open(140, 30);
        let mut child = pty.spawn(&["--content", "news"], home, &[]);
        pty.wait_for(expect);
        if let Some(text) = changed_to {
            pty.wait_for(text);
        }
        pty.send(b"q");
        assert!(wait_exit(&mut child).success());
    };
    // `list` syncs before it prints: the store holds the old text, so the
    // readers below start warm.
    let pty = Pty::open(140, 30);
    let mut list = pty.spawn(&["--content", "news", "list"], home, &[]);
    assert!(wait_exit(&mut list).success());
    run("Old words (f27, part 2)", None);
    write_article(&content, "f27", 28, "Fresh words from the edited file");
    run(
        "Topics",
        Some("Fresh words from the edited file (f27, part 2)"),
    );
}

/// Another process syncing (holding the write lock) does not keep a
/// reader from opening the store and reading its library.
#[test]
fn a_store_being_written_elsewhere_opens_and_reads_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("news");
    fs::create_dir_all(&content).unwrap();
    for i in 0..5 {
        write_article(&content, &format!("n{i}"), 10, "Words");
    }
    let store = dir.path().join("library.sqlite");
    let actors = Config::built_in().unwrap().actor_directory();
    let roots = [ContentRoot::Dir(content)];
    drop(LibraryStore::open_synced(&store, &roots, &actors).unwrap());

    let writer = rusqlite::Connection::open(&store).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    // With the lock held, waiting for it would end in an error (10 s).
    let stored = LibraryStore::open_stored(&store, &actors).unwrap();
    assert!(stored.synced_before);
    assert_eq!(stored.library.sections.len(), 15);
    writer.execute_batch("ROLLBACK").unwrap();
}

/// A sync tells its progress in batches; a first build stopped through
/// its progress keeps the batches it finished, and the next sync goes on.
#[test]
fn a_sync_tells_its_progress_and_a_stopped_one_changes_nothing() {
    let (_dir, content, store) = news(300, "Words");
    let roots = [ContentRoot::Dir(content)];
    let mut opened = LibraryStore::open(&store).unwrap().store;
    let error = opened
        .sync_with_progress(&roots, &mut |_, _| false)
        .unwrap_err();
    assert!(library_store::is_cancelled(&error), "{error}");
    assert!(!opened.has_synced().unwrap(), "nothing was committed");

    // A first build keeps each batch it finished: stopped after the first,
    // the next sync parses only the rest.
    let mut heard = Vec::new();
    let error = opened
        .sync_with_progress(&roots, &mut |done, total| {
            heard.push((done, total));
            done == 0
        })
        .unwrap_err();
    assert!(library_store::is_cancelled(&error), "{error}");
    assert_eq!(heard, [(0, 300), (256, 300)]);
    assert!(opened.has_synced().unwrap());
    let actors = Config::built_in().unwrap().actor_directory();
    assert_eq!(opened.load_library(&actors).unwrap().articles.len(), 256);

    heard.clear();
    let report = opened
        .sync_with_progress(&roots, &mut |done, total| {
            heard.push((done, total));
            true
        })
        .unwrap();
    assert_eq!((report.parsed, report.unchanged), (44, 256));
    assert_eq!(heard, [(0, 44), (44, 44)]);
    assert_eq!(opened.load_library(&actors).unwrap().articles.len(), 300);
}

/// A first build cut short twice keeps every batch it finished each time:
/// until one sync has finished, the build goes on batch by batch, so a
/// reader that always quits early still completes the store. Once it is
/// whole, a stopped sync changes nothing.
#[test]
fn a_first_build_cut_short_again_and_again_still_completes() {
    let (_dir, content, store) = news(600, "Words");
    let roots = [ContentRoot::Dir(content.clone())];
    let actors = Config::built_in().unwrap().actor_directory();
    let mut opened = LibraryStore::open(&store).unwrap().store;
    let stop_after_a_batch = |done: usize, _: usize| done == 0;
    for stored in [256, 512] {
        let error = opened
            .sync_with_progress(&roots, &mut { stop_after_a_batch })
            .unwrap_err();
        assert!(library_store::is_cancelled(&error), "{error}");
        assert_eq!(opened.load_library(&actors).unwrap().articles.len(), stored);
    }
    let report = opened.sync_with_progress(&roots, &mut |_, _| true).unwrap();
    assert_eq!((report.parsed, report.unchanged), (88, 512));
    assert_eq!(opened.load_library(&actors).unwrap().articles.len(), 600);

    // Whole now: a sync stopped after its first batch commits nothing.
    for i in 600..900 {
        write_article(&content, &format!("n{i:03}"), 10, "Words");
    }
    let error = opened
        .sync_with_progress(&roots, &mut { stop_after_a_batch })
        .unwrap_err();
    assert!(library_store::is_cancelled(&error), "{error}");
    assert_eq!(opened.load_library(&actors).unwrap().articles.len(), 600);
}

/// Runs the background sync of `store` with `dir` to its end, as the
/// runtime does, and gives its last event.
fn background_sync(store: &Path, dir: &Path) -> SyncEvent {
    let (tx, rx) = std::sync::mpsc::channel();
    let job = aiwatch_tui::runtime::syncer::SyncJob {
        path: store.to_path_buf(),
        roots: vec![ContentRoot::Dir(dir.to_path_buf())],
        actors: Config::built_in().unwrap().actor_directory(),
    };
    let _running = aiwatch_tui::runtime::syncer::spawn(job, move |e| tx.send(e).is_ok());
    rx.iter()
        .find(|e| !matches!(e, SyncEvent::Progress { .. }))
        .unwrap()
}

/// An edit of the text only (no heading, date, tag or file changed) comes
/// without the library being read back: the open section shows its new
/// text, scrolled where it was, and a search finds the new words. An edit
/// of a heading still brings the whole library.
#[test]
fn an_edit_of_text_only_shows_without_reading_the_library_back() {
    let (_dir, content, store) = news(30, "Old words");
    let config = Config::built_in().unwrap();
    let actors = config.actor_directory();
    let roots = [ContentRoot::Dir(content.clone())];
    drop(LibraryStore::open_synced(&store, &roots, &actors).unwrap());
    let stored = LibraryStore::open_stored(&store, &actors).unwrap();
    let ctx = aiwatch_tui::app::Context::new(stored.library, config);
    let mut app = App::new(ctx, "en");
    app.handle(Input::Resize(100, 30));
    press(&mut app, "k k k k k k enter");
    let before = place(&app);
    assert_eq!(before.2, "n27 part 2");
    let library_before = Arc::clone(&app.ctx.library);
    assert!(screen(&app).contains("Old words (n27, part 2)"));

    write_article(&content, "n27", 10, "Brandnew words");
    let event = background_sync(&store, &content);
    assert_eq!(event, SyncEvent::TextChanged);
    assert!(app.handle(Input::Sync(event)).is_empty());
    assert!(
        Arc::ptr_eq(&library_before, &app.ctx.library),
        "the library stays"
    );
    assert_eq!(place(&app), before, "the selection did not move");
    let shown = screen(&app);
    assert!(shown.contains("Brandnew words (n27, part 2)"), "{shown}");
    assert!(!shown.contains("Old words (n27"), "{shown}");
    press(&mut app, "/ b r a n d n e w enter");
    assert_eq!(app.listed_count(), 3, "the search reads the new text");
    press(&mut app, "esc");
    let before = place(&app);

    // A heading changed: the library is read back.
    let text = fs::read_to_string(content.join("n03.toml")).unwrap();
    fs::write(
        content.join("n03.toml"),
        text.replace("n03 part 1", "n03 part one"),
    )
    .unwrap();
    let file = fs::File::options()
        .write(true)
        .open(content.join("n03.toml"))
        .unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    let event = background_sync(&store, &content);
    assert!(matches!(event, SyncEvent::Done(Some(_))), "{event:?}");
    app.handle(Input::Sync(event));
    assert!(
        app.library()
            .sections
            .iter()
            .any(|s| s.heading == "n03 part one")
    );
    assert_eq!(place(&app), before, "the selection did not move");
}

fn sync_job(store: &Path, dir: &Path) -> SyncJob {
    SyncJob {
        path: store.to_path_buf(),
        roots: vec![ContentRoot::Dir(dir.to_path_buf())],
        actors: Config::built_in().unwrap().actor_directory(),
    }
}

/// The next event that is not progress; a sync that never sends one
/// fails the test instead of hanging it (the bound is no speed figure).
fn outcome(events: &std::sync::mpsc::Receiver<SyncEvent>) -> SyncEvent {
    loop {
        match events.recv_timeout(Duration::from_secs(300)) {
            Ok(SyncEvent::Progress { .. }) => {}
            Ok(event) => return event,
            Err(e) => panic!("no outcome from the sync: {e}"),
        }
    }
}

/// 20 articles synced into a store, then one of them edited and one added
/// (`n03`, `n21`): the folder, the store, its roots and the actors.
fn synced_then_two_edits() -> (tempfile::TempDir, PathBuf, [ContentRoot; 1], ActorDirectory) {
    let (dir, content, store) = news(20, "Old words");
    let roots = [ContentRoot::Dir(content.clone())];
    let actors = Config::built_in().unwrap().actor_directory();
    drop(LibraryStore::open_synced(&store, &roots, &actors).unwrap());
    write_article(&content, "n03", 10, "New words");
    write_article(&content, "n21", 10, "New words");
    (dir, store, roots, actors)
}

/// The walk of the folders is done before the store is touched: the sync
/// tells how many files it will parse before it takes the write lock
/// (another writer gets it meanwhile), and a sync stopped there writes
/// nothing.
#[test]
fn a_sync_tells_what_it_will_parse_before_it_takes_the_write_lock() {
    let (_dir, store, roots, actors) = synced_then_two_edits();

    let walked = library_store::walk(&roots);
    let mut opened = LibraryStore::open(&store).unwrap().store;
    let mut heard = Vec::new();
    let error = opened
        .sync_walked(
            walked,
            &mut |_, _| true,
            Some(&mut |count| {
                heard.push(count);
                // The lock is free while the sync waits here.
                let other = rusqlite::Connection::open(&store).unwrap();
                other
                    .execute_batch(
                        "BEGIN IMMEDIATE; INSERT OR REPLACE INTO meta (key, value) VALUES ('probe', '1'); COMMIT",
                    )
                    .unwrap();
                false
            }),
        )
        .unwrap_err();
    assert!(library_store::is_cancelled(&error), "{error}");
    assert_eq!(heard, [2], "one changed file and one new");
    let library = opened.load_library(&actors).unwrap();
    assert_eq!(library.articles.len(), 20, "nothing was written");

    let report = opened
        .sync_walked(library_store::walk(&roots), &mut |_, _| true, None)
        .unwrap();
    assert_eq!((report.added, report.changed), (1, 1));
}

/// Two readers started at once on one empty store build it together: a
/// first build commits batch by batch, and the other's whole sync runs
/// between two of its batches. Both finish without an error (the first
/// replaces the files the other stored meanwhile instead of inserting
/// them twice: "UNIQUE constraint failed: files.path" before), and every
/// article is stored once.
#[test]
fn two_first_builds_of_one_empty_store_both_finish_and_store_each_file_once() {
    let (_dir, content, store) = news(700, "Shared words");
    let roots = [ContentRoot::Dir(content)];
    let actors = Config::built_in().unwrap().actor_directory();
    let mut first = LibraryStore::open(&store).unwrap().store;
    let mut other_ran = false;
    first
        .sync_walked(
            library_store::walk(&roots),
            &mut |parsed, _| {
                if parsed > 0 && !other_ran {
                    other_ran = true;
                    let mut other = LibraryStore::open(&store).unwrap().store;
                    let report = other
                        .sync_walked(library_store::walk(&roots), &mut |_, _| true, None)
                        .unwrap();
                    assert!(report.parsed > 0, "the other built the rest");
                }
                true
            },
            None,
        )
        .unwrap();
    assert!(other_ran, "the other sync ran between two batches");
    let library = first.load_library(&actors).unwrap();
    assert_eq!(library.articles.len(), 700);
    let report = first
        .sync_walked(library_store::walk(&roots), &mut |_, _| true, None)
        .unwrap();
    assert_eq!((report.parsed, report.unchanged), (0, 700), "{report:?}");
}

/// A warm start's sync starts with the reader: an edited file is parsed
/// and its new text sent while the first frame is still held (a few files
/// do not wait for it). Started for a store the reader could not use, and
/// dropped unready, it sends nothing and writes nothing.
#[test]
fn an_early_sync_brings_an_edit_before_the_first_frame_and_leaves_an_unready_store_alone() {
    let (_dir, content, store) = news(30, "Old words");
    let actors = Config::built_in().unwrap().actor_directory();
    let roots = [ContentRoot::Dir(content.clone())];
    drop(LibraryStore::open_synced(&store, &roots, &actors).unwrap());
    write_article(&content, "n07", 10, "Brandnew words");

    // Never told the store is ready: gone without a word or a write.
    let (syncing, _frame, events) = syncer::start_early(sync_job(&store, &content)).split();
    assert_eq!(events.iter().count(), 0);
    assert!(!syncing.is_running());
    let mut opened = LibraryStore::open(&store).unwrap().store;
    let report = opened.sync_walked(
        library_store::walk(&roots),
        &mut |_, _| false,
        Some(&mut |count| {
            assert_eq!(count, 1, "the edit is still to be synced");
            false
        }),
    );
    assert!(report.is_err());
    drop(opened);

    let mut early = syncer::start_early(sync_job(&store, &content));
    early.store_ready();
    let (_syncing, frame, events) = early.split();
    assert_eq!(outcome(&events), SyncEvent::TextChanged);
    frame.out();
    let body = stored_body(&store, &actors, "n07 part 1");
    assert!(body.contains("Brandnew words"), "{body}");
}

/// The body of the section headed `heading`, as the store holds it now.
fn stored_body(store: &Path, actors: &ActorDirectory, heading: &str) -> String {
    let library = LibraryStore::open_stored(store, actors).unwrap().library;
    let section = (0..library.sections.len())
        .find(|&s| library.sections[s].heading == heading)
        .unwrap();
    format!("{:?}", library.body(section).unwrap())
}

/// A store whose first build was cut short holds part of the library: its
/// sync has many files to parse, waits for the first frame, then builds
/// the rest and sends the whole library.
#[test]
fn an_early_sync_of_a_partial_store_finishes_the_build_after_the_first_frame() {
    let (_dir, content, store) = news(300, "Words");
    let roots = [ContentRoot::Dir(content.clone())];
    let mut opened = LibraryStore::open(&store).unwrap().store;
    let error = opened
        .sync_with_progress(&roots, &mut |done, _| done == 0)
        .unwrap_err();
    assert!(library_store::is_cancelled(&error), "{error}");
    drop(opened);
    let actors = Config::built_in().unwrap().actor_directory();
    let stored = LibraryStore::open_stored(&store, &actors).unwrap();
    assert!(stored.synced_before);
    assert_eq!(stored.library.articles.len(), 256, "one batch was kept");

    let mut early = syncer::start_early(sync_job(&store, &content));
    early.store_ready();
    let (_syncing, frame, events) = early.split();
    frame.out();
    match outcome(&events) {
        SyncEvent::Done(Some(SyncedLibrary(library))) => assert_eq!(library.articles.len(), 300),
        other => panic!("{other:?}"),
    }
}

/// Another program holds the store's write lock at start (the sqlite3
/// shell in a transaction). Nothing changed: the sync takes no lock and is
/// done at once, with nothing said. A file changed: the reader is told
/// calmly that the store is busy (it heard nothing for 10 s, then an
/// error), the sync tries again, and the new text comes once the lock is
/// free.
#[test]
fn a_sync_met_by_another_writer_says_the_store_is_busy_and_brings_the_edit_later() {
    let (_dir, content, store) = news(20, "Old words");
    let roots = [ContentRoot::Dir(content.clone())];
    let actors = Config::built_in().unwrap().actor_directory();
    drop(LibraryStore::open_synced(&store, &roots, &actors).unwrap());
    let writer = rusqlite::Connection::open(&store).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();

    let (tx, events) = std::sync::mpsc::channel();
    let _syncing = syncer::spawn(sync_job(&store, &content), move |e| tx.send(e).is_ok());
    assert_eq!(outcome(&events), SyncEvent::Done(None), "no lock, no wait");

    write_article(&content, "n07", 10, "Brandnew words");
    let (tx, events) = std::sync::mpsc::channel();
    let syncing = syncer::spawn(sync_job(&store, &content), move |e| tx.send(e).is_ok());
    let event = outcome(&events);
    assert_eq!(event, SyncEvent::Busy);
    assert!(syncing.is_running(), "it tries again");
    let mut app = bundled("en", 120, 40);
    app.handle(Input::Sync(event));
    let shown = screen(&app);
    assert!(
        shown.contains("The library is being written by another program"),
        "{shown}"
    );

    writer.execute_batch("ROLLBACK").unwrap();
    assert_eq!(outcome(&events), SyncEvent::TextChanged, "told once only");
    let body = stored_body(&store, &actors, "n07 part 1");
    assert!(body.contains("Brandnew words"), "{body}");
}

/// The sync reads the stored rows once and takes the write lock only when
/// there is work; when another writer committed between its read and its
/// lock, it plans again under the lock and writes what the store now needs.
#[test]
fn a_sync_plans_again_when_another_writer_came_between_its_read_and_its_lock() {
    let (_dir, store, roots, actors) = synced_then_two_edits();

    let mut opened = LibraryStore::open(&store).unwrap().store;
    let mut heard = Vec::new();
    let report = opened
        .sync_walked(
            library_store::walk(&roots),
            &mut |_, _| true,
            Some(&mut |count| {
                heard.push(count);
                // Another sync brings both files in meanwhile.
                let mut other = LibraryStore::open(&store).unwrap().store;
                let report = other.sync(&roots).unwrap();
                assert_eq!((report.added, report.changed), (1, 1));
                true
            }),
        )
        .unwrap();
    assert_eq!(heard, [2]);
    assert_eq!((report.parsed, report.unchanged), (0, 21), "{report:?}");
    assert_eq!(opened.load_library(&actors).unwrap().articles.len(), 21);
}
