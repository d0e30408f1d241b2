//! The reading state inside the library store: a `state.json` is migrated
//! once (and kept as `state.json.migrated`), two processes saving marks at
//! once lose none, a process killed with SIGKILL while saving, many
//! times, leaves a store that opens and holds one whole save, and a save
//! met by another program's write lock is put off (keys answered), lands
//! later, or is said on quit when it cannot.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/kill.rs"]
mod kill;
#[allow(dead_code)] // not every helper is used here
#[path = "common/pty.rs"]
mod pty;

use std::fs;
use std::path::{Path, PathBuf};

use aiwatch_tui::library_store::LibraryStore;
use aiwatch_tui::runtime::saver::StateSaver;
use aiwatch_tui::store::{SavedState, SavedView, VERSION};
use pty::{Pty, wait_exit};

fn store_path(home: &Path) -> PathBuf {
    home.join("data/aiwatch-tui/library.sqlite")
}

fn stored(path: &Path) -> Option<SavedState> {
    let opened = LibraryStore::open(path).unwrap();
    assert_eq!(opened.moved_aside, None, "the store stayed readable");
    let mut store = opened.store;
    store.load_state().unwrap()
}

/// Starts the reader on the bundled edition, waits for its first screen
/// and quits; the screen it left.
fn start_and_quit(home: &Path) -> String {
    let mut pty = Pty::open(160, 30);
    let mut child = pty.spawn(&[], home, &[]);
    pty.wait_for("Topics");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    pty.settle();
    pty.contents()
}

#[test]
fn a_state_file_is_migrated_once_and_kept_beside() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let state_dir = home.join("state/aiwatch-tui");
    fs::create_dir_all(&state_dir).unwrap();
    let json = state_dir.join("state.json");
    let text = "{\"version\": 1, \"read\": [\"gone|en|Old\"], \"starred\": [\"gone|en|Starred\"], \
                \"known\": [\"gone|en|Old\"], \"view\": {\"language\": \"en\", \"focus\": \"timeline\"}}";
    fs::write(&json, text).unwrap();

    let screen = start_and_quit(home);
    assert!(screen.contains("moved into the library store"), "{screen}");
    assert!(!json.exists(), "renamed");
    let kept = state_dir.join("state.json.migrated");
    assert_eq!(fs::read_to_string(&kept).unwrap(), text, "kept as it was");
    let state = stored(&store_path(home)).unwrap();
    // Marks of sections not loaded now are kept, as with state.json.
    assert!(state.read.contains(&"gone|en|Old".to_owned()));
    assert!(state.starred.contains(&"gone|en|Starred".to_owned()));
    assert!(
        state.known.len() > 1,
        "the sections seen at quit were added"
    );

    // The second start migrates nothing and says nothing about it.
    let screen = start_and_quit(home);
    assert!(!screen.contains("moved into the library store"), "{screen}");
    let files: Vec<String> = fs::read_dir(&state_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["state.json.migrated"]);
    assert_eq!(stored(&store_path(home)).unwrap().starred, state.starred);
}

#[test]
fn a_state_file_from_a_newer_version_is_not_migrated_nor_touched() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let json = home.join("state/aiwatch-tui/state.json");
    fs::create_dir_all(json.parent().unwrap()).unwrap();
    let text = "{\"version\": 99, \"starred\": [\"x|en|y\"]}";
    fs::write(&json, text).unwrap();
    let screen = start_and_quit(home);
    assert!(
        screen.contains("not moved into the library store"),
        "{screen}"
    );
    assert_eq!(fs::read_to_string(&json).unwrap(), text);
    let state = stored(&store_path(home)).unwrap();
    assert!(state.starred.is_empty(), "nothing of it was taken");
}

const SAVER: &str = "AIWATCH_STATE_SAVER";
const PREFIX: &str = "AIWATCH_STATE_PREFIX";
const MARKS: usize = 150;

/// The child's saves: state `n` adds read mark `prefix-n` and star
/// `prefix-n`, with the view on that section, as a reader reading one
/// section after another would.
fn state_after(prefix: &str, n: usize) -> SavedState {
    let keys: Vec<String> = (1..=n).map(|i| format!("{prefix}-{i:04}")).collect();
    SavedState {
        version: VERSION,
        read: keys.clone(),
        starred: keys.clone(),
        known: keys,
        view: Some(SavedView {
            language: "en".to_owned(),
            section: (n > 0).then(|| format!("{prefix}-{n:04}")),
            focus: "reader".to_owned(),
            ..SavedView::default()
        }),
    }
}

/// What a reader that started from `initial` saves: what it read at
/// start joined with its own marks (as `Marks::snapshot` does).
fn joined(initial: &SavedState, own: SavedState) -> SavedState {
    let join = |a: &[String], b: Vec<String>| -> Vec<String> {
        let set: std::collections::BTreeSet<String> = a.iter().cloned().chain(b).collect();
        set.into_iter().collect()
    };
    SavedState {
        read: join(&initial.read, own.read),
        starred: join(&initial.starred, own.starred),
        known: join(&initial.known, own.known),
        ..own
    }
}

/// In a child: opens the store and saves `MARKS` states, one per mark.
fn save_marks_in_child(path: &Path, prefix: &str, forever: bool) {
    let mut opened = LibraryStore::open(path).unwrap().store;
    let mut initial = opened.load_state().unwrap().unwrap_or_default();
    let mut saver = StateSaver::Store {
        store: Box::new(opened),
        last: initial.clone(),
    };
    let mut round = 0;
    loop {
        for n in 1..=MARKS {
            // A fresh prefix per round when looping: every save adds marks.
            let prefix = format!("{prefix}{round}");
            // Writers that wait for each other, as a quit does.
            saver
                .save(
                    &joined(&initial, state_after(&prefix, n)),
                    aiwatch_tui::runtime::saver::QUIT_WAIT * 2,
                )
                .unwrap();
        }
        // The reader keeps what it read in earlier rounds.
        initial = joined(&initial, state_after(&format!("{prefix}{round}"), MARKS));
        round += 1;
        if !forever {
            return;
        }
    }
}

#[test]
fn two_processes_saving_marks_at_once_lose_none() {
    if let (Some(path), Ok(prefix)) = (std::env::var_os(SAVER), std::env::var(PREFIX)) {
        save_marks_in_child(Path::new(&path), &prefix, false);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    drop(LibraryStore::open(&path).unwrap());
    let name = "two_processes_saving_marks_at_once_lose_none";
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|prefix| {
            kill::spawn_test(
                name,
                &[
                    (SAVER, path.as_os_str()),
                    (PREFIX, std::ffi::OsStr::new(prefix)),
                ],
            )
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a saver failed");
    }
    let state = stored(&path).unwrap();
    let mut expected: Vec<String> = state_after("a0", MARKS).read;
    expected.extend(state_after("b0", MARKS).read);
    assert_eq!(state.read, expected, "every read mark of both");
    assert_eq!(state.starred, expected, "every star of both");
    assert_eq!(state.known, expected);
}

#[test]
fn saving_into_the_store_survives_sigkill_at_any_moment() {
    if let (Some(path), Ok(prefix)) = (std::env::var_os(SAVER), std::env::var(PREFIX)) {
        save_marks_in_child(Path::new(&path), &prefix, true);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite");
    drop(LibraryStore::open(&path).unwrap());
    let name = "saving_into_the_store_survives_sigkill_at_any_moment";
    let mut saves = 0;
    for kill in 0..40 {
        let prefix = format!("k{kill:02}r");
        let child = kill::spawn_test(
            name,
            &[
                (SAVER, path.as_os_str()),
                (PREFIX, std::ffi::OsStr::new(&prefix)),
            ],
        );
        kill::kill_after_a_while(child, 300);
        // Whole: this child's marks are one of its saves, complete, and the
        // earlier children's are all still there.
        let Some(state) = stored(&path) else {
            continue; // killed before its first save
        };
        let mine: Vec<&String> = state
            .read
            .iter()
            .filter(|k| k.starts_with(&prefix))
            .collect();
        let rounds: Vec<&str> = mine.iter().map(|k| k.split('-').next().unwrap()).collect();
        // Within one round, marks 1..=n, no gap (a save is all or nothing).
        for round in rounds.iter().collect::<std::collections::BTreeSet<_>>() {
            let n = rounds.iter().filter(|r| r == &round).count();
            assert_eq!(
                state_after(round, n).read,
                mine.iter()
                    .filter(|k| k.starts_with(&format!("{round}-")))
                    .map(|k| (*k).clone())
                    .collect::<Vec<_>>(),
                "a torn save"
            );
        }
        assert_eq!(state.read, state.starred, "marks and stars saved together");
        assert_eq!(state.read, state.known, "marks and sections seen together");
        assert!(state.read.len() >= saves, "marks went missing");
        saves = state.read.len();
    }
    eprintln!("{saves} marks saved across 40 kills");
    assert!(saves > 0, "no save ever finished");
}

/// A store the reader cannot use: it says so on screen, runs from the
/// files, keeps this run's marks in `state.json`, and the next start that
/// opens the store moves them into it.
#[test]
fn a_store_that_cannot_be_used_is_said_and_no_mark_is_lost() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    fs::create_dir_all(home.join("a-folder")).unwrap();
    let mut pty = Pty::open(160, 30);
    let mut child = pty.spawn(&["--library", "a-folder"], home, &[]);
    pty.wait_for("Topics");
    pty.wait_for("not shown this time");
    pty.send(b"s");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    let json = home.join("state/aiwatch-tui/state.json");
    assert!(json.is_file(), "the star was saved to state.json");

    start_and_quit(home);
    assert!(!json.exists(), "moved into the store");
    assert_eq!(stored(&store_path(home)).unwrap().starred.len(), 1);
}

/// A reading-state table dropped by hand (here `stars`, in the `SQLite`
/// shell) is made again, empty, when the reader opens the store: the
/// message log says so once, and stars are saved again.
#[test]
fn a_dropped_stars_table_is_made_again_and_said_once() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let mut pty = Pty::open(160, 30);
    let mut child = pty.spawn(&[], home, &[]);
    pty.wait_for("Topics");
    pty.send(b"s");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    let path = store_path(home);
    assert_eq!(stored(&path).unwrap().starred.len(), 1);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE stars")
        .unwrap();

    let mut pty = Pty::open(160, 30);
    let mut child = pty.spawn(&[], home, &[]);
    pty.wait_for("Topics");
    pty.wait_for("the table stars was missing and was re-created empty");
    pty.send(b"s");
    pty.wait_for("Starred.");
    pty.send(b"!");
    pty.wait_for("the stars it held are lost");
    pty.send(b"\x1b");
    pty.settle();
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    let state = stored(&path).unwrap();
    assert_eq!(state.starred.len(), 1, "{state:?}");
    // The rest of the reading state is as it was.
    assert!(!state.known.is_empty());

    let screen = start_and_quit(home);
    assert!(!screen.contains("was missing"), "{screen}");
}

/// A file given by mistake (`--library notes.txt`) is left as it is and
/// said; the notice the status line ends with names it too, as the line
/// before it (under `!` and on stderr) does.
#[test]
fn a_file_that_is_not_a_store_is_named_in_the_status_line() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    fs::write(home.join("notes.txt"), "my notes\n").unwrap();
    let mut pty = Pty::open(160, 30);
    let mut child = pty.spawn(&["--library", "notes.txt"], home, &[]);
    // Said on stderr first, before the reader's screen: the status line
    // is the last row of that screen.
    pty.wait_until("the status line", |screen, _| {
        screen.alternate_screen()
            && screen
                .rows(0, 160)
                .last()
                .is_some_and(|row| row.contains("not shown this time"))
    });
    let status_line = pty
        .screen
        .lock()
        .unwrap()
        .screen()
        .rows(0, 160)
        .last()
        .unwrap_or_default();
    assert!(
        status_line.contains("the library store notes.txt are not shown this time"),
        "{status_line}"
    );
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    assert_eq!(
        fs::read_to_string(home.join("notes.txt")).unwrap(),
        "my notes\n"
    );
}

/// Another program's transaction on the store (`sqlite3` with `BEGIN
/// IMMEDIATE;`, a fetch from another shell): the write lock is held until
/// `COMMIT`.
fn hold_the_lock(path: &Path) -> rusqlite::Connection {
    let other = rusqlite::Connection::open(path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    other
}

/// The count of "★ Starred" as the topics pane shows it.
fn starred_count(screen: &str) -> String {
    let line = screen
        .lines()
        .find(|l| l.contains("★ Starred"))
        .unwrap_or_default();
    let topics = line.split("││").next().unwrap_or_default();
    let topics = topics.trim_end_matches('│').trim_end();
    topics.rsplit(' ').next().unwrap_or_default().to_owned()
}

const PUT_OFF: &str = "being written by another program";

/// A reader on a store made before, that stars a section while another
/// program holds the lock and is told its save is put off; that program's
/// connection and the store's path.
fn starred_under_a_lock(
    home: &Path,
) -> (
    Pty,
    Box<dyn portable_pty::Child + Send + Sync>,
    rusqlite::Connection,
    PathBuf,
) {
    start_and_quit(home);
    let path = store_path(home);
    let mut pty = Pty::open(160, 30);
    let child = pty.spawn(&[], home, &[]);
    pty.wait_for("Topics");
    let other = hold_the_lock(&path);
    pty.send(b"s");
    pty.wait_for(PUT_OFF);
    (pty, child, other, path)
}

/// While another program holds the store's write lock, a star is shown
/// with one calm notice and the keys after it are answered (the save is
/// put off, not waited for); it is tried again on a timer and lands once
/// the lock is gone, said once.
#[test]
fn a_star_given_while_another_program_holds_the_lock_is_answered_and_lands_later() {
    let home = tempfile::tempdir().unwrap();
    let (mut pty, mut child, other, path) = starred_under_a_lock(home.path());
    for count in ["0", "1"] {
        pty.send(b"s");
        pty.wait_until(&format!("{count} starred"), |screen, _| {
            starred_count(&screen.contents()) == count
        });
    }
    assert!(!pty.contents().contains("Could not save"));
    other.execute_batch("COMMIT").unwrap();
    pty.wait_for("Reading state saved.");
    assert_eq!(stored(&path).unwrap().starred.len(), 1);
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
}

/// A reader that quits while another program holds the lock says in its
/// status line that it waits for it, waits a bounded time, then says on
/// the terminal it leaves that the reading state was not saved, and its
/// exit status is not 0: never silently.
#[test]
fn a_quit_while_another_program_holds_the_lock_says_the_state_was_not_saved() {
    let home = tempfile::tempdir().unwrap();
    let (mut pty, mut child, other, path) = starred_under_a_lock(home.path());
    pty.send(b"q");
    pty.wait_for("Saving your reading state: the library is being written by another program; waiting up to 5 s");
    let status = wait_exit(&mut child);
    assert_eq!(status.exit_code(), 1, "{status:?}");
    pty.wait_for("Could not save the reading state");
    drop(other);
    assert_eq!(stored(&path).unwrap().starred.len(), 0);
}
