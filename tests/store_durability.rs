//! Syncing the library store is atomic: a process that syncs one content
//! folder, then another, over and over, is killed with SIGKILL at random
//! moments, and after every kill the store must open and hold exactly one
//! of the two libraries (or nothing, before the first sync), never a mix.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

#[path = "common/kill.rs"]
mod kill;

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use aiwatch_tui::content::{ActorDirectory, ContentRoot, Library, load_library};
use aiwatch_tui::library_store::LibraryStore;

const SYNCER: &str = "AIWATCH_STORE_DURABILITY_DIR";
const FILES: usize = 150;

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
        for name in ["a", "b"].iter().cycle() {
            opened.sync(&[ContentRoot::Dir(dir.join(name))]).unwrap();
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
    for _ in 0..30 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "syncing_survives_sigkill_at_any_moment",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(SYNCER, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(kill::jitter(400));
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
