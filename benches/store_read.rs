//! Starting from the library store with lazy bodies and searching in it:
//! `cargo bench --bench store_read` (default 10,000 articles = 50,000
//! sections; `-- --articles 10000,200000` adds 1,000,000 sections). For each
//! size it generates a synthetic corpus (N articles of five sections, see
//! `support/corpus.rs`), builds the store once (cold, timed), then measures
//! a warm start in a fresh child process so that its peak memory (`VmHWM`)
//! is its own: open + sync that parses nothing + index read back (library
//! ready), the first frame, key presses, body reads and search keystrokes
//! (each handled and drawn as the runtime does). Figures go to
//! docs/performance.md; nothing is asserted. `--keep DIR` keeps corpora and
//! stores in DIR between runs (they are large: about 5 GB at 1,000,000).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly
#![allow(clippy::cast_precision_loss)] // figures for a table

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aiwatch_tui::app::{App, Context};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::ContentRoot;
use aiwatch_tui::input::Input;
use aiwatch_tui::library_store::LibraryStore;
use aiwatch_tui::runtime;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/measure.rs"]
mod measure;
use measure::{ms, press};

fn peak_mib() -> f64 {
    measure::peak_memory_kib() as f64 / 1024.0
}

/// The time at `permille` thousandths of the sorted times.
fn quantile(times: &mut [Duration], permille: usize) -> f64 {
    times.sort();
    ms(times[(times.len() - 1) * permille / 1000])
}

/// One warm start from the store at `store`, in this process; prints
/// `key=value` lines.
fn scenario(store: &Path, content: &Path) {
    let start = Instant::now();
    let config = Config::built_in().unwrap();
    let roots = [ContentRoot::Dir(content.to_path_buf())];
    let synced = LibraryStore::open_synced(store, &roots, &config.actor_directory()).unwrap();
    let library_ready = start.elapsed();
    println!("parsed={}", synced.report.parsed);
    let library = synced.library;
    drop(synced.store);
    let sections = library.sections.len();
    let mut app = App::new(Context::new(library, config), "en");
    app.handle(Input::Resize(120, 40));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    runtime::draw(&mut terminal, &app).unwrap();
    let first_frame = start.elapsed();
    println!("sections={sections}");
    println!("library_ms={:.1}", ms(library_ready));
    println!("first_frame_ms={:.1}", ms(first_frame));

    // Key presses, as the reader bench presses them (each shows a body).
    let script = [
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
    let mut keys = Vec::new();
    for _ in 0..40 {
        for name in script {
            keys.push(press(&mut app, &mut terminal, name));
        }
    }
    println!("key_p50_ms={:.3}", quantile(&mut keys, 500));
    println!("key_p99_ms={:.3}", quantile(&mut keys, 990));

    // Body reads from the store: sections spread over the library, each
    // read once (not cached).
    let library = app.library();
    let step = (sections / 500).max(1);
    let mut reads: Vec<Duration> = (0..sections)
        .step_by(step)
        .map(|s| {
            let t = Instant::now();
            std::hint::black_box(library.body(s).unwrap());
            t.elapsed()
        })
        .collect();
    println!("body_p50_ms={:.3}", quantile(&mut reads, 500));
    println!("body_p99_ms={:.3}", quantile(&mut reads, 990));

    // Search keystrokes: a rare term (one article's number), then a word
    // found in nearly every section, then a second word.
    let rare = format!("{}", sections / 5 / 3 + 7);
    for (name, text) in [("rare", rare.as_str()), ("common", "regulators model")] {
        press(&mut app, &mut terminal, "/");
        let mut times = Vec::new();
        for c in text.chars() {
            let key = if c == ' ' {
                "space".to_owned()
            } else {
                c.to_string()
            };
            let t = press(&mut app, &mut terminal, &key);
            println!(
                "search_{name}_key=type '{c}' {:.1} ms, {} hits",
                ms(t),
                app.listed_count()
            );
            times.push(t);
        }
        press(&mut app, &mut terminal, "esc");
        let worst = times.iter().max().copied().unwrap_or_default();
        let from_third: Vec<Duration> = times.iter().skip(2).copied().collect();
        println!("search_{name}_max_ms={:.1}", ms(worst));
        println!(
            "search_{name}_max_from_third_ms={:.1}",
            ms(from_third.iter().max().copied().unwrap_or_default())
        );
    }
    println!("peak_mib={:.1}", peak_mib());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].clone())
    };
    if let Some(store) = arg("--scenario") {
        scenario(Path::new(&store), Path::new(&arg("--content").unwrap()));
        return;
    }
    let sizes: Vec<usize> = arg("--articles").map_or_else(
        || vec![10_000],
        |s| s.split(',').map(|n| n.parse().unwrap()).collect(),
    );
    let temp = tempfile::tempdir().unwrap();
    let work: PathBuf = arg("--keep").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let exe = std::env::current_exe().unwrap();
    for n in sizes {
        let content = work.join(format!("n{n}"));
        let store = work.join(format!("n{n}.sqlite"));
        if !content.exists() {
            let t = Instant::now();
            corpus::generate(&content, n);
            eprintln!(
                "generated {n} articles in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            // Times within the last two seconds are not trusted by the store.
            std::thread::sleep(Duration::from_millis(2100));
        }
        if !store.exists() {
            let t = Instant::now();
            let roots = [ContentRoot::Dir(content.clone())];
            let config = Config::built_in().unwrap();
            drop(LibraryStore::open_synced(&store, &roots, &config.actor_directory()).unwrap());
            println!(
                "{n} articles: store built (cold) in {:.1} s, {:.0} MB",
                t.elapsed().as_secs_f64(),
                std::fs::metadata(&store).map_or(0, |m| m.len()) as f64 / 1e6
            );
        }
        // Warm the page cache once, then measure a fresh process.
        for run in 0..2 {
            let out = Command::new(&exe)
                .args(["--scenario", &store.display().to_string()])
                .args(["--content", &content.display().to_string()])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            if run == 1 {
                println!("{n} articles, warm start:");
                print!("{}", String::from_utf8_lossy(&out.stdout));
            }
        }
    }
}
