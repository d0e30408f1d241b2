//! The library store against loading the files: for synthetic corpora (N
//! articles of five sections), the time to load every file as the reader
//! does today, to build the store from nothing (cold), and to start from
//! it with nothing changed (warm: open, sync that parses nothing, read the
//! library back). `cargo bench --bench store`; nothing is asserted, the
//! figures go to docs/store.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly
#![allow(clippy::cast_precision_loss)] // figures for a table

use std::time::{Duration, Instant};

use aiwatch_tui::content::{ActorDirectory, ContentRoot, load_library};
use aiwatch_tui::library_store::LibraryStore;

#[path = "support/corpus.rs"]
mod corpus;

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// The median of three runs.
fn median(mut run: impl FnMut() -> Duration) -> Duration {
    let mut times = [run(), run(), run()];
    times.sort();
    times[1]
}

fn main() {
    let work = tempfile::tempdir().unwrap();
    let actors = ActorDirectory::default();
    println!(
        "| corpus | load files | store: cold build | store: warm sync | store: read back | store size |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for n in [1_000, 10_000] {
        let dir = work.path().join(format!("n{n}"));
        corpus::generate(&dir, n);
        // Times within the last two seconds are not trusted by the store.
        std::thread::sleep(Duration::from_millis(2100));
        let roots = [ContentRoot::Dir(dir)];
        let files = median(|| {
            let t = Instant::now();
            std::hint::black_box(load_library(&roots, &actors));
            t.elapsed()
        });
        let path = work.path().join(format!("n{n}.sqlite"));
        let t = Instant::now();
        let cold = LibraryStore::open_synced(&path, &roots, &actors).unwrap();
        let cold_time = t.elapsed();
        assert_eq!(cold.report.parsed, n);
        drop(cold);
        let mut read_back = Duration::ZERO;
        let sync = median(|| {
            let t = Instant::now();
            let mut store = LibraryStore::open(&path).unwrap().store;
            let report = store.sync(&roots).unwrap();
            let sync = t.elapsed();
            assert_eq!(report.parsed, 0);
            let t = Instant::now();
            std::hint::black_box(store.load_library(&actors).unwrap());
            read_back = t.elapsed();
            sync
        });
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        println!(
            "| {n} articles | {} | {} | {} | {} | {:.1} MB |",
            ms(files),
            ms(cold_time),
            ms(sync),
            ms(read_back),
            size as f64 / 1e6
        );
    }
}
