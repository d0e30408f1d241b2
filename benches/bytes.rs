//! Bytes written to the terminal per key press, at 120x40, with stock
//! ratatui output and with the gap-filling backend the reader uses. Run
//! with `cargo bench --bench bytes`; the figures go into
//! docs/performance.md. Content: the bundled edition plus a long
//! wide-text article (tests/fixtures/content/long) that the reading pane
//! can scroll.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use aiwatch_tui::app::{App, Context};
use aiwatch_tui::config::{ColorDepth, Config};
use aiwatch_tui::content::{ContentRoot, load_library};
use aiwatch_tui::input::{Input, Key};
use aiwatch_tui::runtime::{self, FrameSink, lean::LeanBackend};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

#[derive(Clone, Default)]
struct Counter(Arc<Mutex<usize>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        *self.0.lock().unwrap() += buf.len();
        if std::env::var_os("DUMP").is_some() {
            let _ = std::io::stderr().write_all(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Counter {
    fn take(&self) -> usize {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn app(depth: ColorDepth) -> App {
    let mut config = Config::built_in().unwrap();
    config.adapt_colors(depth);
    let roots = [
        ContentRoot::Bundled,
        ContentRoot::Dir(PathBuf::from("tests/fixtures/content/long")),
    ];
    let library = load_library(&roots, &config.actor_directory());
    let ctx = Context::new(library, config);
    let mut app = App::new(ctx, "en");
    app.handle(Input::Resize(120, 40));
    app
}

/// (what, keys pressed before, keys measured)
const ACTIONS: &[(&str, &str, &str)] = &[
    ("first frame", "", ""),
    ("timeline: move one row", "", "k"),
    ("reading pane: scroll one line", "tab", "j"),
    ("reading pane: scroll one page", "tab", "space"),
    ("toggle an actor filter", "", "d"),
    ("switch language", "", "L"),
    ("open help", "", "?"),
];

fn measure<B: FrameSink>(
    make: impl Fn(Counter) -> B,
    depth: ColorDepth,
    before: &str,
    keys: &str,
) -> usize {
    let counter = Counter::default();
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
    };
    let mut terminal = Terminal::with_options(make(counter.clone()), options).unwrap();
    let mut app = app(depth);
    for name in before.split_whitespace() {
        app.handle(Input::Key(Key::parse(name).unwrap()));
    }
    runtime::draw(&mut terminal, &app).unwrap();
    if keys.is_empty() {
        return counter.take();
    }
    counter.take();
    for name in keys.split_whitespace() {
        app.handle(Input::Key(Key::parse(name).unwrap()));
    }
    runtime::draw(&mut terminal, &app).unwrap();
    counter.take()
}

fn main() {
    for depth in [ColorDepth::TrueColor, ColorDepth::Ansi16] {
        println!("\n120x40, colour depth {depth:?}\n");
        println!("| action | stock ratatui | lean backend | saved | served, frame by frame |");
        println!("|---|---:|---:|---:|---:|");
        for (what, before, keys) in ACTIONS {
            let stock = measure(CrosstermBackend::new, depth, before, keys);
            let fill = measure(LeanBackend::new, depth, before, keys);
            let saved = 100 - 100 * fill / stock.max(1);
            // An SSH session's backend: no buffers kept between frames.
            let served = measure(
                |out| LeanBackend::with_size(out, 120, 40),
                depth,
                before,
                keys,
            );
            println!("| {what} | {stock} B | {fill} B | {saved}% | {served} B |");
        }
    }
}
