//! Helpers for the SIGKILL tests: the test binary runs one of its own
//! tests as a child (told so by an environment variable), and is killed
//! after a random delay.

#![allow(dead_code, clippy::unwrap_used)] // shared by several test crates

use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Cheap randomness for kill delays; no test needs to repeat exactly.
pub fn jitter(max_ms: u64) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    Duration::from_millis(u64::from(nanos) % max_ms + 1)
}

/// Runs the test `name` of this test binary as a child, with `env` set.
pub fn spawn_test(name: &str, env: &[(&str, &std::ffi::OsStr)]) -> Child {
    let exe = std::env::current_exe().unwrap();
    Command::new(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Lets `child` run for a random moment of at most `max_ms`, then SIGKILLs it.
pub fn kill_after_a_while(mut child: Child, max_ms: u64) {
    std::thread::sleep(jitter(max_ms));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}
