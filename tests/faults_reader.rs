//! Faults under the reader itself (the binary in a pseudo-terminal): a
//! `state.json` it may not read, a folder where it should be, a state
//! folder it may not write, a store on a full disk. Each is said on the
//! screen, the reader quits cleanly, and no read mark or star that was
//! saved before is lost.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/faults.rs"]
mod faults;
#[allow(dead_code)] // not every helper is used here
#[path = "common/pty.rs"]
mod pty;

use std::fs;
use std::path::Path;

use aiwatch_tui::store::{Loaded, SavedState, VERSION, load, save};
use faults::{Fault, Home, chmod};
use pty::{Pty, wait_exit};

/// A state with one star (of a section that is not in the edition: it
/// must be kept all the same).
fn starred() -> SavedState {
    SavedState {
        version: VERSION,
        read: vec!["gone|en|Read".to_owned()],
        starred: vec!["gone|en|Starred".to_owned()],
        known: vec!["gone|en|Read".to_owned()],
        view: None,
    }
}

/// Runs the reader on the bundled edition with `args` (as an unprivileged
/// user when root), waits for its first screen and for `said`, stars the
/// open section (when `star`), quits, and saved its state (exit status 0);
/// the screen.
fn read_and_quit(home: &Home, args: &[&str], said: &str, star: bool) -> String {
    let (screen, status) = read_and_quit_with_status(home, args, said, star);
    assert!(status.success(), "{status:?}\n{screen}");
    screen
}

/// As `read_and_quit`, with the exit status instead of asking for 0.
fn read_and_quit_with_status(
    home: &Home,
    args: &[&str],
    said: &str,
    star: bool,
) -> (String, portable_pty::ExitStatus) {
    home.give_away();
    let mut line = faults::prefix(Fault::NONE);
    line.push(faults::BIN.to_owned());
    line.extend(args.iter().map(|a| (*a).to_owned()));
    let rest: Vec<&str> = line[1..].iter().map(String::as_str).collect();
    let mut pty = Pty::open(160, 30);
    let mut child = pty.spawn_program(&line[0], &rest, home.path());
    pty.wait_for("Topics");
    pty.wait_for(said);
    if star {
        pty.send(b"s");
    }
    pty.send(b"q");
    let status = wait_exit(&mut child);
    (pty.contents(), status)
}

fn stars_in(path: &Path) -> Vec<String> {
    match load(path) {
        Loaded::State(s) => s.starred,
        other => panic!("{}: {other:?}", path.display()),
    }
}

/// A home whose `state.json` holds `starred()`: the home, the file and
/// its bytes.
fn home_with_state() -> (Home, std::path::PathBuf, Vec<u8>) {
    let home = Home::new();
    let state = home.state();
    fs::create_dir_all(state.parent().unwrap()).unwrap();
    save(&state, &starred()).unwrap();
    let before = fs::read(&state).unwrap();
    home.give_away();
    (home, state, before)
}

#[test]
fn a_state_file_it_may_not_read_is_said_and_not_overwritten() {
    let (home, state, before) = home_with_state();
    chmod(&state, 0o000);
    let screen = read_and_quit(
        &home,
        &["--no-store", "--state", state.to_str().unwrap()],
        "could not be read",
        true,
    );
    chmod(&state, 0o644);
    assert!(screen.contains("ermission denied"), "{screen}");
    assert_eq!(fs::read(&state).unwrap(), before, "left as it was");
    assert_eq!(stars_in(&state), starred().starred);
}

#[test]
fn a_folder_where_the_state_file_should_be_is_said_and_left_alone() {
    let home = Home::new();
    let state = home.state();
    fs::create_dir_all(state.join("inside")).unwrap();
    let screen = read_and_quit(
        &home,
        &["--no-store", "--state", state.to_str().unwrap()],
        "could not be read",
        true,
    );
    assert!(screen.contains("s a directory"), "{screen}");
    assert!(state.join("inside").is_dir(), "the folder is left alone");
}

#[test]
fn a_state_folder_it_may_not_write_keeps_the_saved_state() {
    let (home, state, before) = home_with_state();
    chmod(state.parent().unwrap(), 0o555);
    let (screen, status) = read_and_quit_with_status(
        &home,
        &["--no-store", "--state", state.to_str().unwrap()],
        "Topics",
        true,
    );
    chmod(state.parent().unwrap(), 0o755);
    // The save at quit failed: said, naming the file, and the exit status
    // is not 0.
    assert!(
        screen.contains("Could not save the reading state"),
        "{screen}"
    );
    assert_eq!(status.exit_code(), 1, "{screen}");
    assert!(screen.contains(state.to_str().unwrap()), "{screen}");
    assert_eq!(fs::read(&state).unwrap(), before, "{screen}");
    assert_eq!(stars_in(&state), starred().starred);
}

/// A store it may not write: said, the reader runs from the files and
/// keeps this run's star in `state.json`; once the store is writable
/// again, the next start moves the star into it.
#[test]
fn a_read_only_store_keeps_the_star_in_the_state_file_until_it_is_writable() {
    let home = Home::new();
    let library = home.library();
    let state = home.state();
    let args = [
        "--library",
        library.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ];
    read_and_quit(&home, &args, "Topics", false);
    assert_eq!(stored_stars(&library), Vec::<String>::new());
    chmod(&library, 0o444);
    let screen = read_and_quit(&home, &args, "not shown this time", true);
    chmod(&library, 0o644);
    // Said on stderr too, left on the terminal after the reader quit.
    assert!(screen.contains("cannot be written"), "{screen}");
    assert_eq!(stored_stars(&library), Vec::<String>::new(), "untouched");
    let star = stars_in(&state);
    assert_eq!(star.len(), 1, "this run's star kept in state.json");

    read_and_quit(&home, &args, "moved into the library store", false);
    assert!(!state.exists(), "moved into the store");
    assert_eq!(stored_stars(&library), star);
}

fn stored_stars(library: &Path) -> Vec<String> {
    let mut store = aiwatch_tui::library_store::LibraryStore::open(library)
        .unwrap()
        .store;
    store.load_state().unwrap().unwrap_or_default().starred
}
