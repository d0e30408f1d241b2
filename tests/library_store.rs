//! The on-disk library store: syncing content folders (add, change,
//! delete, rename, a file that breaks), a warm start that parses nothing,
//! recovery from an unreadable file, refusal of a newer schema, and the
//! library read back equal to the one loaded from the files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/aged.rs"]
mod aged;
#[path = "common/old_schema.rs"]
mod old_schema;

use std::fs;
use std::path::{Path, PathBuf};

use aged::write;
use aiwatch_tui::content::{ActorDirectory, ContentRoot, Library, load_library};
use aiwatch_tui::library_store::{LibraryStore, SCHEMA_VERSION, StoreError, SyncReport};

fn article(id: &str, heading: &str) -> String {
    format!(
        "id = \"{id}\"\ntitle = \"Title {id}\"\npublished = \"2025-02\"\nactors = [\"OpenAI\"]\n\n\
         [[section]]\nheading = \"{heading}\"\ndate = \"2025-01-27\"\ntopics = [\"Chips\"]\n\
         body = \"\"\"\nFirst paragraph\nwraps here.\n\n- an item\n\"\"\"\n"
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    content: PathBuf,
    store: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let content = dir.path().join("content");
        fs::create_dir_all(&content).unwrap();
        let store = dir.path().join("data").join("library.sqlite");
        Self {
            _dir: dir,
            content,
            store,
        }
    }

    fn roots(&self) -> Vec<ContentRoot> {
        vec![ContentRoot::Dir(self.content.clone())]
    }

    /// Opens the store (as a new process would), syncs and reads it back.
    fn sync(&self) -> (SyncReport, Library) {
        let synced =
            LibraryStore::open_synced(&self.store, &self.roots(), &ActorDirectory::default())
                .unwrap();
        assert_eq!(synced.moved_aside, None);
        (synced.report, synced.library)
    }

    fn loaded_from_files(&self) -> Library {
        load_library(&self.roots(), &ActorDirectory::default())
    }
}

fn headings(library: &Library) -> Vec<String> {
    library
        .timeline
        .iter()
        .map(|&s| {
            format!(
                "{}: {}",
                library.article_of(s).id,
                library.sections[s].heading
            )
        })
        .collect()
}

fn messages(library: &Library) -> Vec<String> {
    library
        .diagnostics
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Everything the reader can see of a library, fields and order included,
/// and every section's body (read from the store on demand).
fn same(a: &Library, b: &Library) {
    assert_eq!(format!("{a:#?}"), format!("{b:#?}"));
    for s in 0..a.sections.len() {
        assert_eq!(a.body(s), b.body(s), "body of section {s}");
    }
}

#[test]
fn a_sync_follows_added_changed_deleted_and_renamed_files() {
    let f = Fixture::new();
    write(&f.content.join("a.toml"), &article("a", "A one"), 60);
    write(&f.content.join("b.toml"), &article("b", "B one"), 60);

    let (report, library) = f.sync();
    assert_eq!((report.parsed, report.added), (2, 2));
    assert_eq!(headings(&library), ["a: A one", "b: B one"]);
    same(&library, &f.loaded_from_files());

    // Added.
    write(&f.content.join("sub/c.toml"), &article("c", "C one"), 50);
    let (report, library) = f.sync();
    assert_eq!(
        (report.parsed, report.added, report.unchanged),
        (1, 1, 2),
        "{report:?}"
    );
    assert_eq!(headings(&library), ["a: A one", "b: B one", "c: C one"]);
    same(&library, &f.loaded_from_files());

    // Changed (a different size and time).
    write(
        &f.content.join("a.toml"),
        &article("a", "A two, longer"),
        40,
    );
    let (report, library) = f.sync();
    assert_eq!((report.parsed, report.changed), (1, 1), "{report:?}");
    assert_eq!(
        headings(&library),
        ["a: A two, longer", "b: B one", "c: C one"]
    );
    same(&library, &f.loaded_from_files());

    // Changed with the same size: the time tells.
    write(
        &f.content.join("a.toml"),
        &article("a", "A two, LONGER"),
        30,
    );
    let (report, library) = f.sync();
    assert_eq!((report.parsed, report.changed), (1, 1), "{report:?}");
    assert_eq!(library.sections[0].heading, "A two, LONGER");

    // Deleted.
    fs::remove_file(f.content.join("b.toml")).unwrap();
    let (report, library) = f.sync();
    assert_eq!((report.parsed, report.removed), (0, 1), "{report:?}");
    assert_eq!(headings(&library), ["a: A two, LONGER", "c: C one"]);
    same(&library, &f.loaded_from_files());

    // Renamed: the old path leaves, the new one is read.
    fs::rename(f.content.join("sub/c.toml"), f.content.join("d.toml")).unwrap();
    let (report, library) = f.sync();
    assert_eq!(
        (report.parsed, report.added, report.removed),
        (1, 1, 1),
        "{report:?}"
    );
    assert_eq!(
        library.articles[1].path,
        f.content.join("d.toml").display().to_string()
    );
    same(&library, &f.loaded_from_files());
}

#[test]
fn a_file_that_breaks_keeps_its_diagnostics_on_a_warm_start() {
    let f = Fixture::new();
    write(&f.content.join("a.toml"), &article("a", "A"), 60);
    write(&f.content.join("b.toml"), &article("b", "B"), 60);
    f.sync();

    write(
        &f.content.join("b.toml"),
        "title = \"B\"\npublished = \"soon\"\n",
        30,
    );
    let (report, broken) = f.sync();
    assert_eq!(report.parsed, 1);
    assert_eq!(broken.files_skipped, 1);
    assert!(
        messages(&broken)
            .iter()
            .any(|m| m.contains("b.toml:2:13: error")),
        "{:?}",
        messages(&broken)
    );

    // A warm start parses nothing and still reports the broken file.
    let (report, warm) = f.sync();
    assert_eq!(report.parsed, 0);
    assert_eq!(messages(&warm), messages(&broken));
    assert_eq!(warm.files_skipped, 1);
    same(&warm, &f.loaded_from_files());
}

#[test]
fn a_warm_start_parses_nothing() {
    let f = Fixture::new();
    for i in 0..20 {
        write(
            &f.content.join(format!("n{i:02}.toml")),
            &article(&format!("n{i:02}"), "Heading"),
            60,
        );
    }
    let mut roots = f.roots();
    roots.push(ContentRoot::Bundled);
    let actors = ActorDirectory::default();
    let cold = LibraryStore::open_synced(&f.store, &roots, &actors).unwrap();
    let cold_parsed = cold.report.parsed;
    assert!(cold_parsed > 20);
    drop(cold);

    let warm = LibraryStore::open_synced(&f.store, &roots, &actors).unwrap();
    assert_eq!(warm.report.parsed, 0, "{:?}", warm.report);
    assert_eq!(warm.store.last_sync().map(|r| r.parsed), Some(0));
    assert_eq!(warm.report.unchanged, cold_parsed);
    same(&warm.library, &load_library(&roots, &actors));
}

fn page_size(store: &Path) -> i64 {
    rusqlite::Connection::open(store)
        .unwrap()
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_new_store_has_8_kib_pages_and_one_made_with_4_kib_keeps_them() {
    let f = Fixture::new();
    for i in 0..5 {
        let name = format!("p{i}");
        write(
            &f.content.join(format!("{name}.toml")),
            &article(&name, "H"),
            60,
        );
    }
    let (_, cold) = f.sync();
    assert_eq!(page_size(&f.store), 8192);
    // A store of an earlier build (SQLite's default pages): read as before,
    // and left with its pages.
    let conn = rusqlite::Connection::open(&f.store).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL;",
    )
    .unwrap();
    drop(conn);
    assert_eq!(page_size(&f.store), 4096);
    let (report, warm) = f.sync();
    assert_eq!(report.parsed, 0, "{report:?}");
    same(&warm, &cold);
    write(&f.content.join("p9.toml"), &article("p9", "New"), 60);
    let (report, _) = f.sync();
    assert_eq!(report.parsed, 1, "{report:?}");
    assert_eq!(page_size(&f.store), 4096);
}

#[test]
fn a_file_just_written_is_parsed_again_next_time() {
    // Its time may not change on a second edit within the clock's
    // resolution, so it is not trusted yet.
    let f = Fixture::new();
    fs::write(f.content.join("a.toml"), article("a", "A")).unwrap();
    assert_eq!(f.sync().0.parsed, 1);
    assert_eq!(f.sync().0.parsed, 1);
}

#[test]
fn the_bundled_edition_reads_back_as_loaded_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let roots = [ContentRoot::Bundled];
    let names = ["OpenAI".to_owned(), "DeepSeek".to_owned()];
    let aliases = [Vec::new(), vec!["Deepseek AI".to_owned()]];
    let actors = ActorDirectory::new(
        names
            .iter()
            .map(String::as_str)
            .zip(aliases.iter().map(Vec::as_slice)),
    );
    let synced = LibraryStore::open_synced(&path, &roots, &actors).unwrap();
    let from_files = load_library(&roots, &actors);
    assert!(from_files.sections.len() > 10);
    same(&synced.library, &from_files);

    // And again from a second process's point of view: nothing parsed.
    drop(synced);
    let again = LibraryStore::open_synced(&path, &roots, &actors).unwrap();
    assert_eq!(again.report.parsed, 0);
    same(&again.library, &from_files);
}

#[test]
fn a_missing_folder_is_reported_from_the_store_too() {
    let f = Fixture::new();
    write(&f.content.join("a.toml"), &article("a", "A"), 60);
    let roots = vec![
        ContentRoot::Dir(f.content.clone()),
        ContentRoot::Dir(f.content.join("nowhere")),
    ];
    let actors = ActorDirectory::default();
    let synced = LibraryStore::open_synced(&f.store, &roots, &actors).unwrap();
    assert_eq!(synced.library.folders_unreadable, 1);
    same(&synced.library, &load_library(&roots, &actors));
}

fn unreadable_store_is_moved_aside_and_rebuilt(damage: impl FnOnce(&Path)) {
    let f = Fixture::new();
    for i in 0..30 {
        write(
            &f.content.join(format!("n{i:02}.toml")),
            &article(&format!("n{i:02}"), &"Long heading ".repeat(20)),
            60,
        );
    }
    drop(f.sync());
    damage(&f.store);
    let damaged = fs::read(&f.store).unwrap();

    let synced =
        LibraryStore::open_synced(&f.store, &f.roots(), &ActorDirectory::default()).unwrap();
    let aside = synced.moved_aside.clone().expect("moved aside");
    assert_eq!(
        aside.file_name().unwrap().to_string_lossy(),
        "library.sqlite.unreadable-1"
    );
    assert_eq!(fs::read(&aside).unwrap(), damaged, "kept as it was");
    assert_eq!(synced.report.parsed, 30, "rebuilt from the files");
    same(&synced.library, &f.loaded_from_files());
    drop(synced);
    // The new store is whole: the next start parses nothing.
    assert_eq!(f.sync().0.parsed, 0);
}

#[test]
fn a_garbage_store_is_moved_aside_and_rebuilt() {
    unreadable_store_is_moved_aside_and_rebuilt(|path| {
        fs::write(path, "this is not a database, just some text\n".repeat(200)).unwrap();
    });
}

#[test]
fn a_truncated_store_is_moved_aside_and_rebuilt() {
    unreadable_store_is_moved_aside_and_rebuilt(|path| {
        let len = fs::metadata(path).unwrap().len();
        assert!(len > 8192, "a store of several pages ({len} bytes)");
        let file = fs::File::options().write(true).open(path).unwrap();
        file.set_len(len / 2 + 100).unwrap();
    });
}

#[test]
fn a_store_cut_inside_its_header_is_moved_aside() {
    unreadable_store_is_moved_aside_and_rebuilt(|path| {
        let file = fs::File::options().write(true).open(path).unwrap();
        file.set_len(50).unwrap();
    });
}

/// A store whose description of its own tables was overwritten (here a
/// column renamed, as a damaged schema page does): its version says
/// current, its queries find no such column; it is damaged, not this
/// program's error.
#[test]
fn a_store_whose_schema_was_changed_is_moved_aside_and_rebuilt() {
    unreadable_store_is_moved_aside_and_rebuilt(|path| {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch("ALTER TABLE diagnostics RENAME COLUMN message TO note")
            .unwrap();
    });
}

/// A store whose tables are all there as this version builds them, but
/// whose version number was set back (by hand, or damaged): the number is
/// put right, nothing is moved aside or parsed again, every start works.
#[test]
fn a_store_with_a_wrong_version_number_and_current_tables_is_put_right() {
    for number in [0, 5, SCHEMA_VERSION - 1] {
        let f = Fixture::new();
        write(&f.content.join("a.toml"), &article("a", "Heading A"), 60);
        let (first, library) = f.sync();
        assert_eq!(first.parsed, 1);
        {
            let conn = rusqlite::Connection::open(&f.store).unwrap();
            conn.pragma_update(None, "user_version", number).unwrap();
        }
        let (report, again) = f.sync();
        assert_eq!(report.parsed, 0, "version {number}: nothing parsed again");
        same(&again, &library);
        let conn = rusqlite::Connection::open(&f.store).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }
}

#[test]
fn a_second_unreadable_store_gets_a_new_name() {
    let f = Fixture::new();
    fs::create_dir_all(f.store.parent().unwrap()).unwrap();
    fs::write(&f.store, "garbage one".repeat(100)).unwrap();
    let first = LibraryStore::open(&f.store).unwrap().moved_aside.unwrap();
    fs::write(&f.store, "garbage two".repeat(100)).unwrap();
    let second = LibraryStore::open(&f.store).unwrap().moved_aside.unwrap();
    assert_ne!(first, second);
    assert!(
        fs::read_to_string(first)
            .unwrap()
            .starts_with("garbage one")
    );
    assert!(
        fs::read_to_string(second)
            .unwrap()
            .starts_with("garbage two")
    );
}

#[test]
fn a_store_from_a_newer_schema_is_refused_and_left_untouched() {
    let f = Fixture::new();
    write(&f.content.join("a.toml"), &article("a", "A"), 60);
    drop(f.sync());
    {
        let conn = rusqlite::Connection::open(&f.store).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        conn.execute("DELETE FROM blocks", []).unwrap();
    }
    let before = fs::read(&f.store).unwrap();
    let dir_before: Vec<_> = fs::read_dir(f.store.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();

    let err = LibraryStore::open_synced(&f.store, &f.roots(), &ActorDirectory::default())
        .err()
        .expect("refused");
    assert!(
        matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("newer aiwatch-tui"), "{message}");
    assert!(message.contains("left untouched"), "{message}");
    assert!(message.contains("library.sqlite"), "{message}");

    assert_eq!(fs::read(&f.store).unwrap(), before, "byte-identical");
    let dir_after: Vec<_> = fs::read_dir(f.store.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(dir_after, dir_before, "nothing moved aside or added");
}

/// Two threads with a connection each, as two processes would have.
#[test]
fn two_connections_syncing_at_once_both_finish_with_the_same_library() {
    let f = Fixture::new();
    for i in 0..40 {
        write(
            &f.content.join(format!("n{i:02}.toml")),
            &article(&format!("n{i:02}"), "Heading"),
            60,
        );
    }
    let roots = f.roots();
    let libraries: Vec<Library> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    LibraryStore::open_synced(&f.store, &roots, &ActorDirectory::default())
                        .unwrap()
                        .library
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let expected = f.loaded_from_files();
    for library in &libraries {
        same(library, &expected);
    }
    assert_eq!(f.sync().0.parsed, 0);
}

#[test]
fn another_programs_database_is_refused_and_left_untouched() {
    let f = Fixture::new();
    fs::create_dir_all(f.store.parent().unwrap()).unwrap();
    {
        let conn = rusqlite::Connection::open(&f.store).unwrap();
        conn.execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let before = fs::read(&f.store).unwrap();
    let err = LibraryStore::open(&f.store).err().expect("refused");
    assert!(matches!(err, StoreError::Foreign { .. }), "{err:?}");
    assert!(err.to_string().contains("another program"), "{err}");
    assert_eq!(fs::read(&f.store).unwrap(), before, "byte-identical");
}

#[test]
fn an_empty_file_becomes_a_store() {
    let f = Fixture::new();
    fs::create_dir_all(f.store.parent().unwrap()).unwrap();
    fs::write(&f.store, "").unwrap();
    write(&f.content.join("a.toml"), &article("a", "A"), 60);
    assert_eq!(f.sync().0.parsed, 1);
}

#[test]
fn a_store_of_the_previous_schema_migrates_and_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let roots = [ContentRoot::Bundled];
    let names = ["OpenAI".to_owned(), "DeepSeek".to_owned()];
    let aliases = [Vec::new(), vec!["Deepseek AI".to_owned()]];
    let actors = ActorDirectory::new(
        names
            .iter()
            .map(String::as_str)
            .zip(aliases.iter().map(Vec::as_slice)),
    );
    drop(LibraryStore::open_synced(&path, &roots, &actors).unwrap());
    old_schema::downgrade_to_tag_rows(&path);

    // Migrated on open; nothing parsed again: the tags come from the
    // migration.
    let migrated = LibraryStore::open_synced(&path, &roots, &actors).unwrap();
    assert_eq!(migrated.report.parsed, 0);
    same(&migrated.library, &load_library(&roots, &actors));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let tag_rows: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'tags'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tag_rows, 0, "the table of tag rows is gone");
}

/// The `SQLite` locks this process holds on the file `path` (lines of
/// `/proc/locks` with our pid and the file's inode).
#[cfg(target_os = "linux")]
fn our_locks(path: &Path) -> usize {
    use std::os::unix::fs::MetadataExt;
    let inode = fs::metadata(path).unwrap().ino();
    let pid = std::process::id().to_string();
    fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .filter(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            fields.iter().any(|f| *f == pid)
                && fields
                    .iter()
                    .any(|f| f.rsplit(':').next() == Some(&inode.to_string()))
        })
        .count()
}

/// Opening the store a second time while a connection is open (the body
/// pool, a sync, `r` do) must not drop the first one's locks: closing any
/// descriptor of a file drops every POSIX lock the process holds on it,
/// and the header check opened and closed the file. Without its shared
/// lock, the reader looked gone to another program's connection (the
/// `sqlite3` shell), which deleted the write-ahead log under it on close,
/// with the marks it held (fresh-eyes tester).
#[cfg(target_os = "linux")]
#[test]
fn opening_the_store_again_keeps_the_locks_of_a_connection_already_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    let mut first = LibraryStore::open(&path).unwrap().store;
    assert!(first.load_state().unwrap().is_none());
    let held = our_locks(&path);
    assert!(held > 0, "a connection in WAL mode holds a shared lock");
    for _ in 0..3 {
        let again = LibraryStore::open(&path).unwrap().store;
        drop(again);
        assert_eq!(our_locks(&path), held, "the first connection's locks stay");
    }
    drop(first);
}

/// What the first screen kept for the next start relies on: a store read
/// by `open_stored` knows whether anyone else committed since (its own
/// saves of the reading state do not count), and a sync that finds
/// nothing to do commits nothing.
#[test]
fn a_store_tells_whether_another_connection_wrote_since_it_was_read() {
    let f = Fixture::new();
    write(&f.content.join("n00.toml"), &article("n00", "Heading"), 60);
    let roots = f.roots();
    let actors = ActorDirectory::default();
    drop(LibraryStore::open_synced(&f.store, &roots, &actors).unwrap());

    let mut stored = LibraryStore::open_stored(&f.store, &actors).unwrap().store;
    assert!(stored.unchanged_since_read());
    let state = aiwatch_tui::store::SavedState {
        read: vec!["n00#en#0".into()],
        ..Default::default()
    };
    stored
        .save_state(&aiwatch_tui::store::SavedState::default(), &state)
        .unwrap();
    assert!(stored.unchanged_since_read(), "its own save does not count");

    // Another connection's sync that finds nothing to do commits nothing.
    let again = LibraryStore::open_synced(&f.store, &roots, &actors).unwrap();
    assert_eq!(again.report.parsed, 0);
    drop(again);
    assert!(stored.unchanged_since_read(), "a sync with nothing to do");

    let other = rusqlite::Connection::open(&f.store).unwrap();
    other
        .execute("INSERT OR IGNORE INTO stars (key) VALUES ('elsewhere')", [])
        .unwrap();
    assert!(!stored.unchanged_since_read(), "another connection wrote");

    // A store not read by `open_stored` never claims it.
    let opened = LibraryStore::open(&f.store).unwrap().store;
    assert!(!opened.unchanged_since_read());
}
