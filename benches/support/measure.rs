//! Timing and memory helpers shared by the benches that drive the app
//! in-process; each bench uses some of them.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use aiwatch_tui::app::App;
use aiwatch_tui::input::{Input, Key};
use aiwatch_tui::runtime;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The keys the in-process benches press, 40 times over: moves, actor
/// filters, panes and the language switch (each shows a body).
pub const KEY_SCRIPT: [&str; 17] = [
    "j",
    "j",
    "k",
    "d",
    "m",
    "x",
    "G",
    "g",
    "tab",
    "space",
    "j",
    "shift-tab",
    "h",
    "j",
    "l",
    "L",
    "L",
];

/// Per key of `KEY_SCRIPT`, its median and slowest time over the rounds,
/// as `key_NN_NAME_ms=p50/max` lines, NN its place in the script; `times`
/// in press order, whole rounds of the script. Says which keys make the p99.
pub fn per_key_lines(times: &[Duration]) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, name) in KEY_SCRIPT.iter().enumerate() {
        let mut own: Vec<Duration> = times
            .iter()
            .skip(i)
            .step_by(KEY_SCRIPT.len())
            .copied()
            .collect();
        if own.is_empty() {
            continue;
        }
        own.sort();
        lines.push(format!(
            "key_{i:02}_{name}_ms={:.3}/{:.3}",
            ms(own[own.len() / 2]),
            ms(own[own.len() - 1])
        ));
    }
    lines
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One key handled and, when it changed anything, drawn: what a press costs.
pub fn press(app: &mut App, terminal: &mut Terminal<TestBackend>, key: &str) -> Duration {
    let start = Instant::now();
    app.handle(Input::Key(Key::parse(key).unwrap()));
    if app.take_dirty() {
        runtime::draw(terminal, app).unwrap();
    }
    start.elapsed()
}

/// The process's peak resident memory (`VmHWM`), in KiB; 0 where unknown.
pub fn peak_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
