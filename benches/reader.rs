//! Start-up, memory and key-press figures for docs/performance.md.
//!
//! `cargo bench --bench reader` generates synthetic corpora (N articles of
//! five sections each), then runs each scenario in a fresh child process so
//! that its peak memory (`VmHWM`) is its own. Figures are printed as a table;
//! nothing here asserts a time. `cargo bench --bench reader -- --generate DIR N`
//! writes a corpus of N articles to DIR, to try the real binary on;
//! `-- --scenario DIR` measures that corpus alone in this process (with
//! each key's median and slowest press: 200,000 articles is the
//! 1,000,000-section size of issue 12).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use aiwatch_tui::app::{App, Context};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::{ContentRoot, load_library};
use aiwatch_tui::input::{Input, Key};
use aiwatch_tui::runtime;

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/measure.rs"]
mod measure;
use corpus::generate;
use measure::{KEY_SCRIPT, ms, peak_memory_kib, per_key_lines};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Runs one scenario in this process and prints `key=value` lines.
fn scenario(roots: &[ContentRoot]) {
    let start = Instant::now();
    let config = Config::built_in().unwrap();
    let library = load_library(roots, &config.actor_directory());
    let loaded = start.elapsed();
    let sections = library.sections.len();
    let ctx = Context::new(library, config);
    let mut app = App::new(ctx, "en");
    app.handle(Input::Resize(120, 40));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    runtime::draw(&mut terminal, &app).unwrap();
    let first_frame = start.elapsed();

    // Key presses: each is handled and drawn, as the runtime does.
    let mut times = Vec::new();
    for round in 0..40 {
        for name in KEY_SCRIPT {
            let key = Key::parse(name).unwrap();
            let t = Instant::now();
            app.handle(Input::Key(key));
            if app.take_dirty() {
                runtime::draw(&mut terminal, &app).unwrap();
            }
            times.push(t.elapsed());
            let _ = round;
        }
    }
    let per_key = per_key_lines(&times);
    times.sort();
    let median = times[times.len() / 2];
    let p99 = times[times.len() * 99 / 100];
    let max = *times.last().unwrap();
    println!("sections={sections}");
    println!("load_ms={:.2}", ms(loaded));
    println!("first_frame_ms={:.2}", ms(first_frame));
    println!("key_median_ms={:.3}", ms(median));
    println!("key_p99_ms={:.3}", ms(p99));
    println!("key_max_ms={:.3}", ms(max));
    for line in per_key {
        println!("{line}");
    }
    println!(
        "peak_mib={:.1}",
        f64::from(u32::try_from(peak_memory_kib()).unwrap_or(u32::MAX)) / 1024.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `-- --generate DIR N` writes a corpus to try the real binary on.
    if let Some(i) = args.iter().position(|a| a == "--generate") {
        let dir = PathBuf::from(&args[i + 1]);
        let n: usize = args[i + 2].parse().unwrap();
        generate(&dir, n);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--scenario") {
        let roots = match args.get(i + 1).map(String::as_str) {
            Some("bundled") => vec![ContentRoot::Bundled],
            Some(dir) => vec![ContentRoot::Dir(PathBuf::from(dir))],
            None => panic!("--scenario needs a value"),
        };
        scenario(&roots);
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let mut rows = vec![("bundled edition".to_owned(), "bundled".to_owned())];
    for n in [1_000, 10_000] {
        let dir = work.path().join(format!("n{n}"));
        let t = Instant::now();
        generate(&dir, n);
        eprintln!(
            "generated {n} articles in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        rows.push((format!("{n} articles"), dir.display().to_string()));
    }
    let exe = std::env::current_exe().unwrap();
    println!(
        "| corpus | sections | load | first frame | key p50 | key p99 | key max | peak memory |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, arg) in rows {
        // Warm the page cache once, then measure a fresh process.
        for run in 0..2 {
            let out = Command::new(&exe)
                .args(["--scenario", &arg])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            if run == 0 {
                continue;
            }
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let get = |k: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(&format!("{k}=")))
                    .unwrap_or("?")
                    .to_owned()
            };
            println!(
                "| {name} | {} | {} ms | {} ms | {} ms | {} ms | {} ms | {} MiB |",
                get("sections"),
                get("load_ms"),
                get("first_frame_ms"),
                get("key_median_ms"),
                get("key_p99_ms"),
                get("key_max_ms"),
                get("peak_mib")
            );
        }
    }
}
