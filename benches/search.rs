//! Time per search keystroke at 50,000 sections (10,000 synthetic
//! articles): `cargo bench --bench search`. Each keystroke is handled and
//! drawn as the runtime does. The folded search index is built first, as
//! the reader builds it in the background at start, and timed on its own.
//! Figures go into docs/performance.md; nothing is asserted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly

use std::time::{Duration, Instant};

use aiwatch_tui::app::{App, Context};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::{ContentRoot, load_library};
use aiwatch_tui::input::Input;
use aiwatch_tui::runtime;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/measure.rs"]
mod measure;
use measure::{ms, press};

fn main() {
    let dir = tempfile::tempdir().unwrap();
    corpus::generate(dir.path(), 10_000);
    let config = Config::built_in().unwrap();
    let library = load_library(
        &[ContentRoot::Dir(dir.path().to_path_buf())],
        &config.actor_directory(),
    );
    let sections = library.sections.len();
    let ctx = Context::new(library, config);
    let mut app = App::new(ctx, "en");
    app.handle(Input::Resize(120, 40));
    // The reader builds the index on another thread right after start;
    // here it is built first, and timed on its own.
    let build = Instant::now();
    let index = aiwatch_tui::query::search::build_index(app.library());
    let build = build.elapsed();
    app.handle(Input::SearchIndex(std::sync::Arc::new(index)));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    runtime::draw(&mut terminal, &app).unwrap();

    press(&mut app, &mut terminal, "/");
    let mut rows = Vec::new();
    // Typing a word: every key narrows the previous hits.
    for c in "regulators".chars() {
        let t = press(&mut app, &mut terminal, &c.to_string());
        rows.push((format!("type '{c}'"), t, app.listed_count()));
    }
    // A second word, then corrections that widen the search again.
    for c in " model".chars() {
        let key = if c == ' ' {
            "space".to_owned()
        } else {
            c.to_string()
        };
        let t = press(&mut app, &mut terminal, &key);
        rows.push((format!("type '{c}'"), t, app.listed_count()));
    }
    for _ in 0..3 {
        let t = press(&mut app, &mut terminal, "backspace");
        rows.push((
            "backspace (searches all again)".to_owned(),
            t,
            app.listed_count(),
        ));
    }
    let t = press(&mut app, &mut terminal, "d");
    rows.push((
        "type 'd' (no match narrowing)".to_owned(),
        t,
        app.listed_count(),
    ));
    println!(
        "\n{sections} sections, 120x40; search index built in the background in {:.0} ms\n",
        ms(build)
    );
    println!("| keystroke | time | matches |");
    println!("|---|---:|---:|");
    for (what, t, n) in &rows {
        println!("| {what} | {:.2} ms | {n} |", ms(*t));
    }
    let mut all: Vec<Duration> = rows.iter().map(|r| r.1).collect();
    all.sort();
    println!(
        "\nmedian {:.2} ms, max {:.2} ms",
        ms(all[all.len() / 2]),
        ms(*all.last().unwrap())
    );
}
