//! The lean backend must show exactly what stock ratatui shows:
//! both byte streams are replayed into a terminal emulator (vt100) after
//! every key, and the screens (text, colours, attributes) compared with
//! each other and with the buffer the app drew.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::Shared;

use std::path::PathBuf;

use aiwatch_tui::app::App;
use aiwatch_tui::config::{ColorDepth, Config};
use aiwatch_tui::content::ContentRoot;
use aiwatch_tui::runtime::{self, FrameSink, lean::LeanBackend};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

struct Screen<B: FrameSink> {
    terminal: Terminal<B>,
    out: Shared,
    parser: vt100::Parser,
    bytes: usize,
}

impl<B: FrameSink> Screen<B> {
    fn frame(&mut self, app: &App) {
        runtime::draw(&mut self.terminal, app).unwrap();
        let bytes = self.out.take();
        self.bytes += bytes.len();
        self.parser.process(&bytes);
    }
}

/// A terminal of exactly 120x40, whatever the test runner's terminal is.
fn fixed<B: FrameSink>(backend: B) -> Terminal<B> {
    Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
        },
    )
    .unwrap()
}

/// One cell as a viewer sees it: a never-written cell looks like a space.
fn seen(screen: &vt100::Screen, x: u16, y: u16) -> (String, vt100::Color, vt100::Color, [bool; 4]) {
    let cell = screen.cell(y, x).unwrap();
    let text = if cell.contents().is_empty() {
        " ".to_owned()
    } else {
        cell.contents().to_owned()
    };
    (
        text,
        cell.fgcolor(),
        cell.bgcolor(),
        [cell.bold(), cell.italic(), cell.underline(), cell.inverse()],
    )
}

/// The bundled edition and the wide-text fixture, less its flag emoji:
/// vt100 does not join a flag's two regional indicators into one wide
/// cell as terminals do, so it cannot judge a screen with a flag.
fn app(dir: &std::path::Path) -> App {
    let text = std::fs::read_to_string("tests/fixtures/content/long/wide.toml").unwrap();
    std::fs::write(dir.join("wide.toml"), text.replace("🇪🇺 Europe, ", "")).unwrap();
    let mut config = Config::built_in().unwrap();
    config.adapt_colors(ColorDepth::TrueColor);
    let roots = [ContentRoot::Bundled, ContentRoot::Dir(PathBuf::from(dir))];
    common::app_with(config, &roots, "en", 120, 40)
}

#[test]
fn the_lean_backend_draws_the_same_screen_with_fewer_bytes() {
    let out_stock = Shared::default();
    let out_fill = Shared::default();
    let rows = 40.try_into().unwrap();
    let cols = 120.try_into().unwrap();
    let mut stock = Screen {
        terminal: fixed(CrosstermBackend::new(out_stock.clone())),
        out: out_stock,
        parser: vt100::Parser::new(rows, cols, 0),
        bytes: 0,
    };
    let mut fill = Screen {
        terminal: fixed(LeanBackend::new(out_fill.clone())),
        out: out_fill,
        parser: vt100::Parser::new(rows, cols, 0),
        bytes: 0,
    };
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    let script = [
        "",
        "j",
        "j",
        "k",
        "tab",
        "j",
        "j",
        "space",
        "space",
        "G",
        "g",
        "shift-tab",
        "d",
        "m",
        "x",
        "L",
        "j",
        "?",
        "esc",
        "h",
        "j",
        "!",
        "esc",
        "enter",
    ];
    for keys in script {
        common::press(&mut app, keys);
        stock.frame(&app);
        fill.frame(&app);
        // The intended screen, drawn whole into a fresh buffer (a diffed
        // TestBackend keeps cells a real terminal clears when a wide
        // character is overwritten).
        let mut intended = Terminal::new(TestBackend::new(120, 40)).unwrap();
        intended.draw(|f| aiwatch_tui::view::draw(&app, f)).unwrap();
        let a = stock.parser.screen();
        let b = fill.parser.screen();
        let buffer = intended.backend().buffer();
        for y in 0..40 {
            for x in 0..120 {
                let (got, ..) = seen(b, x, y);
                let want = buffer[(x, y)].symbol();
                if b.cell(y, x).unwrap().is_wide_continuation() {
                    continue;
                }
                assert_eq!(got, want, "cell {x},{y} after {keys:?}");
                // Where the stock stream agrees on the text, the styles must agree too.
                if seen(a, x, y).0 == got {
                    assert_eq!(seen(a, x, y), seen(b, x, y), "cell {x},{y} after {keys:?}");
                }
            }
        }
    }
    assert!(
        fill.bytes < stock.bytes,
        "the lean backend saved nothing: {} vs {}",
        fill.bytes,
        stock.bytes
    );
    eprintln!(
        "whole script: stock {} bytes, lean backend {} bytes",
        stock.bytes, fill.bytes
    );
}
