//! CPU time of one served frame (an SSH session's backend, frame by
//! frame) after a `j`/`k` key, at a few window sizes, against the lean
//! backend with ratatui's buffers kept (the local reader). Run with
//! `cargo bench --bench frames`; figures go to docs/performance.md
//! (the soak's server CPU per key is mostly these frames).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark fails loudly
#![allow(clippy::cast_precision_loss)] // figures for a table

use std::io::Write;
use std::time::Instant;

use aiwatch_tui::app::{App, Context};
use aiwatch_tui::config::Config;
use aiwatch_tui::content::{ContentRoot, load_library};
use aiwatch_tui::input::{Input, Key};
use aiwatch_tui::runtime::{self, FrameSink, lean::LeanBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

/// Counts nothing: the bytes are `benches/bytes.rs`'s business.
struct Sink;

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const FRAMES: u32 = 600;

/// Microseconds of one frame after a key, the mean over `FRAMES`.
fn per_frame<B: FrameSink>(backend: B, viewport: Rect, width: u16, height: u16) -> f64 {
    let config = Config::built_in().unwrap();
    let library = load_library(&[ContentRoot::Bundled], &config.actor_directory());
    let mut app = App::new(Context::new(library, config), "en");
    app.handle(Input::Resize(width, height));
    let options = TerminalOptions {
        viewport: Viewport::Fixed(viewport),
    };
    let mut terminal = Terminal::with_options(backend, options).unwrap();
    runtime::draw(&mut terminal, &app).unwrap();
    let keys = [Key::parse("j").unwrap(), Key::parse("k").unwrap()];
    let start = Instant::now();
    for i in 0..FRAMES {
        app.handle(Input::Key(keys[(i / 20 % 2) as usize]));
        runtime::draw(&mut terminal, &app).unwrap();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(FRAMES)
}

fn main() {
    println!("| window | served, frame by frame | lean backend, buffers kept |");
    println!("|---|---:|---:|");
    for (w, h) in [(100, 30), (200, 60), (300, 100)] {
        let served = per_frame(LeanBackend::with_size(Sink, w, h), Rect::ZERO, w, h);
        let kept = per_frame(LeanBackend::new(Sink), Rect::new(0, 0, w, h), w, h);
        println!("| {w}x{h} | {served:.0} µs | {kept:.0} µs |");
    }
}
