//! End to end: settings the user gave are obeyed by the real binary in a
//! pseudo-terminal: the language chosen beats the one remembered, a state
//! file from a newer version is never overwritten, and `mouse = false`
//! leaves the mouse to the terminal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[allow(dead_code)] // not every helper is used here
#[path = "common/pty.rs"]
mod pty;

use std::path::Path;
use std::time::Instant;

use aiwatch_tui::library_store::LibraryStore;
use aiwatch_tui::store::SavedView;
use pty::{Pty, TIMEOUT, wait_exit};

fn state_file(home: &Path) -> std::path::PathBuf {
    home.join("state/aiwatch-tui/state.json")
}

fn remember_language(home: &Path, lang: &str) {
    let path = state_file(home);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let state = format!(
        "{{\"version\": 1, \"view\": {{\"language\": \"{lang}\", \"focus\": \"timeline\"}}}}"
    );
    std::fs::write(path, state).unwrap();
}

/// Starts the reader, waits for its first screen, quits; the language
/// the screen was in.
fn language_shown(home: &Path, args: &[&str], env: &[(&str, &str)]) -> &'static str {
    let mut pty = Pty::open(100, 30);
    let mut child = pty.spawn(args, home, env);
    let start = Instant::now();
    let lang = loop {
        let screen = pty.contents();
        if screen.contains("Topics") {
            break "en";
        }
        if screen.contains("Themen") {
            break "de";
        }
        assert!(start.elapsed() < TIMEOUT, "no reader on screen:\n{screen}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    lang
}

/// With `--no-store`, the last view is remembered in `state.json`.
#[test]
fn a_chosen_language_beats_the_remembered_one() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    // Nothing chosen (a locale we cannot tell): the remembered language fills in.
    remember_language(home, "de");
    assert_eq!(
        language_shown(home, &["--no-store"], &[("LANG", "C")]),
        "de"
    );
    // The flag, the locale and the config each beat it.
    remember_language(home, "de");
    assert_eq!(
        language_shown(home, &["--no-store", "--lang", "en"], &[("LANG", "C")]),
        "en"
    );
    remember_language(home, "en");
    assert_eq!(
        language_shown(home, &["--no-store"], &[("LANG", "de_DE.UTF-8")]),
        "de"
    );
    remember_language(home, "de");
    std::fs::write(home.join("c.toml"), "language = \"en\"\n").unwrap();
    assert_eq!(
        language_shown(
            home,
            &["--no-store", "--config", "c.toml"],
            &[("LANG", "de_DE.UTF-8")]
        ),
        "en"
    );
    // A locale we have no words for is English, unless something was remembered.
    std::fs::remove_file(state_file(home)).unwrap();
    assert_eq!(
        language_shown(home, &["--no-store"], &[("LANG", "fr_FR.UTF-8")]),
        "en"
    );
}

fn store_file(home: &Path) -> std::path::PathBuf {
    home.join("data/aiwatch-tui/library.sqlite")
}

/// Leaves `lang` as the last view's language in the library store.
fn remember_language_in_store(home: &Path, lang: &str) {
    let mut store = LibraryStore::open(&store_file(home)).unwrap().store;
    let before = store.load_state().unwrap().unwrap_or_default();
    let mut after = before.clone();
    after.view = Some(SavedView {
        language: lang.to_owned(),
        focus: "timeline".to_owned(),
        ..SavedView::default()
    });
    store.save_state(&before, &after).unwrap();
}

/// With the store, the last view is remembered in it (the first start
/// migrates it from `state.json`), and a chosen language still beats it.
#[test]
fn a_chosen_language_beats_the_one_remembered_in_the_store() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    // Remembered in state.json, migrated into the store at the first start.
    remember_language(home, "de");
    assert_eq!(language_shown(home, &[], &[("LANG", "C")]), "de");
    assert!(!state_file(home).exists(), "migrated once");
    assert_eq!(language_shown(home, &[], &[("LANG", "C")]), "de");
    assert_eq!(
        language_shown(home, &["--lang", "en"], &[("LANG", "C")]),
        "en"
    );
    remember_language_in_store(home, "en");
    assert_eq!(language_shown(home, &[], &[("LANG", "de_DE.UTF-8")]), "de");
    remember_language_in_store(home, "de");
    std::fs::write(home.join("c.toml"), "language = \"en\"\n").unwrap();
    assert_eq!(
        language_shown(home, &["--config", "c.toml"], &[("LANG", "de_DE.UTF-8")]),
        "en"
    );
    // A locale we have no words for leaves it to what was remembered.
    remember_language_in_store(home, "de");
    assert_eq!(language_shown(home, &[], &[("LANG", "fr_FR.UTF-8")]), "de");
}

#[test]
fn a_state_file_from_a_newer_version_is_never_overwritten() {
    let home = tempfile::tempdir().unwrap();
    let path = state_file(home.path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text = "{\"version\": 99, \"read\": [\"x|en|y\"], \"shelves\": {\"a\": 1}}";
    std::fs::write(&path, text).unwrap();
    let mut pty = Pty::open(120, 30);
    let mut child = pty.spawn(&[], home.path(), &[]);
    pty.wait_for("Topics");
    // Star a section and quit: that would be saved, but must not be.
    pty.send(b"s");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary or moved file either");
    // It was said, and it is still on the screen after the reader left.
    assert!(
        pty.contents()
            .contains("from a newer version of aiwatch-tui"),
        "{}",
        pty.contents()
    );
}

/// Whether the reader asked the terminal for mouse reports.
fn mouse_captured(config: &str) -> bool {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("c.toml"), config).unwrap();
    let mut pty = Pty::open(100, 30);
    let mut child = pty.spawn(&["--config", "c.toml"], home.path(), &[]);
    pty.wait_for("Topics");
    pty.send(b"q");
    assert!(wait_exit(&mut child).success());
    let raw = pty.raw();
    raw.windows(8).any(|w| w == b"\x1b[?1000h")
}

#[test]
fn mouse_false_leaves_the_mouse_to_the_terminal() {
    assert!(mouse_captured("mouse = true\n"));
    assert!(!mouse_captured("mouse = false\n"));
}

#[test]
fn the_reader_refuses_a_content_folder_that_does_not_exist() {
    let home = tempfile::tempdir().unwrap();
    let pty = Pty::open(100, 30);
    let mut child = pty.spawn(&["--content", "nowhere"], home.path(), &[]);
    let status = wait_exit(&mut child);
    assert_eq!(status.exit_code(), 2);
    // The exit can come before the pty's reader has taken the last bytes.
    pty.wait_for("nowhere: error: content folder cannot be read");
    assert!(
        !pty.raw().windows(8).any(|w| w == b"\x1b[?1049h"),
        "the terminal was never touched"
    );
}
