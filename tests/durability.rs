//! Saving state is atomic: a writer is killed with SIGKILL at random
//! moments while it saves state after state, thousands of times in all,
//! and after every kill the file must parse and hold one whole state that
//! was written, never a mix or a truncation.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aiwatch_tui::store::{self, Loaded, SavedState};

const WRITER: &str = "AIWATCH_DURABILITY_WRITER";
const COUNTER: &str = "AIWATCH_DURABILITY_START";

/// State number `n`: big enough that a torn write would show, and
/// self-describing so a mix of two states would show too.
fn state(n: u64) -> SavedState {
    SavedState {
        version: store::VERSION,
        read: vec![format!("state-{n}")],
        starred: Vec::new(),
        known: (0..2000)
            .map(|i| format!("state-{n}|section-{i}"))
            .collect(),
        view: None,
    }
}

fn check(path: &Path) -> u64 {
    let Loaded::State(s) = store::load(path) else {
        panic!("the state file did not parse")
    };
    let n: u64 = s.read[0].strip_prefix("state-").unwrap().parse().unwrap();
    assert_eq!(s, state(n), "a whole state, not a mix");
    n
}

/// Cheap randomness for kill delays; no test needs to repeat exactly.
fn jitter(max_ms: u64) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Duration::from_millis(u64::from(nanos) % max_ms + 1)
}

#[test]
fn saving_survives_sigkill_at_any_moment() {
    if let Some(path) = std::env::var_os(WRITER) {
        // The child: write state after state until killed.
        let start: u64 = std::env::var(COUNTER).unwrap().parse().unwrap();
        for n in start.. {
            store::save(Path::new(&path), &state(n)).unwrap();
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    store::save(&path, &state(0)).unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut last = 0;
    let mut kills = 0;
    // Bounded by the number of runs, not the clock: a loaded machine
    // writes fewer states per run, and only needs more runs for them.
    while kills < 40 || last < 400 {
        assert!(
            kills < 4000,
            "the writer made no progress: {last} states in {kills} runs"
        );
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "saving_survives_sigkill_at_any_moment",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER, &path)
            .env(COUNTER, (last + 1).to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(jitter(80));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let n = check(&path);
        assert!(n >= last, "state went back from {last} to {n}");
        last = n;
    }
    eprintln!("{kills} kills, {last} states written");
}
