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
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use aiwatch_tui::app::{App, Context, Effect};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::ContentRoot;
use aiwatch_tui::input::{Input, SyncEvent};
use aiwatch_tui::library_store::LibraryStore;
use aiwatch_tui::runtime;
use aiwatch_tui::runtime::syncer::{self, SyncJob};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/measure.rs"]
mod measure;
use measure::{KEY_SCRIPT, ms, press};

fn peak_mib() -> f64 {
    measure::peak_memory_kib() as f64 / 1024.0
}

/// The time at `permille` thousandths of the sorted times.
fn quantile(times: &mut [Duration], permille: usize) -> f64 {
    times.sort();
    ms(times[(times.len() - 1) * permille / 1000])
}

/// One warm start from the store at `store`, in this process, as the
/// reader starts: the library read as stored, the first frame, then the
/// background sync (`--early beside|after` starts it before the first
/// frame instead, `runtime::syncer::start_early`); the sync's events are
/// applied as the app takes them. Prints `key=value` lines.
fn scenario(store: &Path, content: &Path, early_mode: Option<&str>) {
    let start = Instant::now();
    let config = Config::built_in().unwrap();
    let actors = config.actor_directory();
    let roots = vec![ContentRoot::Dir(content.to_path_buf())];
    let job = SyncJob {
        path: store.to_path_buf(),
        roots,
        actors: actors.clone(),
    };
    // `--early beside`: the sync's walk beside the index read; `--early
    // after`: once it is read (`syncer::start_early`); else after the
    // first frame, as the reader starts it.
    let mut early = (early_mode == Some("beside")).then(|| syncer::start_early(job.clone()));
    let stored = LibraryStore::open_stored(store, &actors).unwrap();
    if early_mode == Some("after") {
        early = Some(syncer::start_early(job.clone()));
    }
    if let Some(early) = early.as_mut() {
        early.store_ready();
    }
    let library_ready = start.elapsed();
    assert!(stored.synced_before, "the store was built before");
    let library = stored.library;
    drop(stored.store);
    let sections = library.sections.len();
    let mut app = App::new(Context::new(library, config), "en");
    let effects = app.handle(Input::Resize(120, 40));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    runtime::draw(&mut terminal, &app).unwrap();
    let first_frame = start.elapsed();
    println!("sections={sections}");
    println!("library_ms={:.1}", ms(library_ready));
    println!("first_frame_ms={:.1}", ms(first_frame));

    // The first frame is out: the sync's events, as the local runtime
    // hands them to the app.
    let events = if let Some(early) = early {
        let (_syncing, first_frame_out, events) = early.split();
        first_frame_out.out();
        events
    } else {
        let (tx, events) = std::sync::mpsc::channel();
        syncer::spawn(job, move |event| tx.send(event).is_ok());
        events
    };
    background_sync(&mut app, &mut terminal, &events, start);
    // As the local runtime does: the store's search is prepared off the
    // input path (its vocabulary read) once the sync is over.
    if effects.contains(&Effect::PrepareSearch) {
        let library = std::sync::Arc::clone(&app.ctx.library);
        std::thread::spawn(move || library.bodies().prepare_search());
    }

    // Key presses, as the reader bench presses them (each shows a body).
    let mut keys = Vec::new();
    for _ in 0..40 {
        for name in KEY_SCRIPT {
            keys.push(press(&mut app, &mut terminal, name));
        }
    }
    for line in measure::per_key_lines(&keys) {
        println!("{line}");
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

/// Applies what the background sync sends, as the local runtime does,
/// each event handled and drawn; prints when it was done (from `start`).
fn background_sync(
    app: &mut App,
    terminal: &mut Terminal<TestBackend>,
    events: &Receiver<SyncEvent>,
    start: Instant,
) {
    let mut progress_events = 0;
    for event in events {
        let done = matches!(
            event,
            SyncEvent::Done(_) | SyncEvent::TextChanged | SyncEvent::Failed(_)
        );
        let changed = matches!(&event, SyncEvent::Done(Some(_)) | SyncEvent::TextChanged);
        progress_events += usize::from(matches!(event, SyncEvent::Progress { .. }));
        app.handle(Input::Sync(event));
        runtime::draw(terminal, app).unwrap();
        if done {
            println!("sync_done_ms={:.1}", ms(start.elapsed()));
            println!("sync_changed={changed}");
            println!("sync_progress_events={progress_events}");
            return;
        }
    }
}

/// Rewrites one article file with one more sentence, dated an hour
/// ago so the store trusts its time.
fn change_one_file(content: &Path) {
    // The corpus is spread over folders 000..099.
    let folder = content.join("050");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let path = &files[files.len() / 2];
    let text = std::fs::read_to_string(path).unwrap();
    let changed = text.replacen(
        "body = \"\"\"\n",
        "body = \"\"\"\nA sentence added for the bench.\n",
        1,
    );
    assert_ne!(text, changed, "{}", path.display());
    std::fs::write(path, changed).unwrap();
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].clone())
    };
    if let Some(store) = arg("--scenario") {
        let early = arg("--early");
        scenario(
            Path::new(&store),
            Path::new(&arg("--content").unwrap()),
            early.as_deref(),
        );
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
        // Warm the page cache once, then measure a fresh process; then
        // once more after one file changed (its new text is in the
        // library the sync sends: `sync_done_ms` after start).
        for run in 0..3 {
            if run == 2 {
                change_one_file(&content);
            }
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
            if run > 0 {
                let what = if run == 1 {
                    "warm start"
                } else {
                    "one file changed"
                };
                println!("{n} articles, {what}:");
                print!("{}", String::from_utf8_lossy(&out.stdout));
            }
        }
    }
}
