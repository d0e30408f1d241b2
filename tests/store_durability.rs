//! Syncing the library store is atomic: a process that syncs one content
//! folder, then another, over and over, is killed with SIGKILL at random
//! moments, and after every kill the store must open and hold exactly one
//! of the two libraries (or nothing, before the first sync), never a mix.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/kill.rs"]
mod kill;

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use aiwatch_tui::content::{ActorDirectory, ContentRoot, Library, load_library};
use aiwatch_tui::library_store::LibraryStore;

const SYNCER: &str = "AIWATCH_STORE_DURABILITY_DIR";
const FILES: usize = 150;
/// What the child prints once its store is open, and after each sync.
const OPENED: &str = "store-durability: opened";
const SYNCED: &str = "store-durability: synced";

/// A folder of `FILES` articles, every heading marked with `name`.
fn make_folder(dir: &Path, name: &str) {
    for i in 0..FILES {
        let path = dir.join(format!("{name}{i:03}.toml"));
        let mut text = format!(
            "title = \"{name} {i}\"\npublished = \"2025-01-{:02}\"\nactors = [\"{name}\"]\n",
            i % 28 + 1
        );
        for s in 0..4 {
            write!(
                text,
                "\n[[section]]\nheading = \"{name} {i} section {s}\"\ntopics = [\"t{s}\"]\nbody = \"\"\"\n{}\n\"\"\"\n",
                "Some words of body text. ".repeat(20)
            )
            .unwrap();
        }
        fs::write(&path, text).unwrap();
        let file = fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
    }
}

/// The child's stdout, line by line, read on a thread of its own.
fn child_lines(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// Waits (at most a minute) for the child to print `marker`.
fn wait_for(lines: &mpsc::Receiver<String>, marker: &str) {
    let until = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            // libtest's "test NAME ... " may share the line.
            Ok(line) if line.ends_with(marker) => return,
            Ok(_) => {}
            Err(e) => panic!("the child never printed {marker}: {e}"),
        }
    }
}

fn describe(library: &Library) -> String {
    format!("{library:#?}")
}

#[test]
fn syncing_survives_sigkill_at_any_moment() {
    if let Some(dir) = std::env::var_os(SYNCER) {
        // The child: sync folder a, then b, then a... until killed.
        let dir = Path::new(&dir);
        let store = dir.join("library.sqlite");
        let mut opened = LibraryStore::open(&store).unwrap().store;
        println!("{OPENED}");
        for name in ["a", "b"].iter().cycle() {
            opened.sync(&[ContentRoot::Dir(dir.join(name))]).unwrap();
            println!("{SYNCED}");
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        fs::create_dir(dir.path().join(name)).unwrap();
        make_folder(&dir.path().join(name), name);
    }
    let actors = ActorDirectory::default();
    let whole: Vec<String> = ["a", "b"]
        .iter()
        .map(|name| {
            describe(&load_library(
                &[ContentRoot::Dir(dir.path().join(name))],
                &actors,
            ))
        })
        .collect();
    let empty = describe(&load_library(&[], &actors));
    let store = dir.path().join("library.sqlite");
    let exe = std::env::current_exe().unwrap();
    let mut seen = [0; 3];
    // The kills fall within about two syncs after the store is open,
    // however slow the machine: the first child is let finish one sync and
    // timed, so a loaded machine does not turn every kill into one before
    // the first sync (start-up of a process is not what is tested).
    let mut window_ms = 0;
    for run in 0..30 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "syncing_survives_sigkill_at_any_moment",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SYNCER, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = child_lines(child.stdout.take().unwrap());
        wait_for(&lines, OPENED);
        if run == 0 {
            let open = std::time::Instant::now();
            wait_for(&lines, SYNCED);
            window_ms = 2 * u64::try_from(open.elapsed().as_millis()).unwrap().max(50);
        }
        std::thread::sleep(kill::jitter(window_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let opened = LibraryStore::open(&store).unwrap();
        assert_eq!(opened.moved_aside, None, "the store stayed readable");
        let mut store_handle = opened.store;
        let library = describe(&store_handle.load_library(&actors).unwrap());
        let which = if library == whole[0] {
            0
        } else if library == whole[1] {
            1
        } else if library == empty {
            2
        } else {
            panic!("a mix of two syncs");
        };
        seen[which] += 1;
    }
    eprintln!(
        "after 30 kills: {} a, {} b, {} empty",
        seen[0], seen[1], seen[2]
    );
    assert!(seen[0] + seen[1] > 0, "no sync ever finished: {seen:?}");
}
