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

/// A colour as the terminal emulator reports it.
fn vt_color(color: ratatui::style::Color) -> vt100::Color {
    use ratatui::style::Color;
    match color {
        Color::Reset => vt100::Color::Default,
        Color::Black => vt100::Color::Idx(0),
        Color::Red => vt100::Color::Idx(1),
        Color::Green => vt100::Color::Idx(2),
        Color::Yellow => vt100::Color::Idx(3),
        Color::Blue => vt100::Color::Idx(4),
        Color::Magenta => vt100::Color::Idx(5),
        Color::Cyan => vt100::Color::Idx(6),
        Color::Gray => vt100::Color::Idx(7),
        Color::DarkGray => vt100::Color::Idx(8),
        Color::LightRed => vt100::Color::Idx(9),
        Color::LightGreen => vt100::Color::Idx(10),
        Color::LightYellow => vt100::Color::Idx(11),
        Color::LightBlue => vt100::Color::Idx(12),
        Color::LightMagenta => vt100::Color::Idx(13),
        Color::LightCyan => vt100::Color::Idx(14),
        Color::White => vt100::Color::Idx(15),
        Color::Indexed(i) => vt100::Color::Idx(i),
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
    }
}

/// Every cell the client sees equals the frame's, text and style (the
/// column a wide character covers aside).
fn assert_client_shows(screen: &vt100::Screen, frame: &ratatui::buffer::Buffer, step: &str) {
    use ratatui::style::Modifier;
    let area = frame.area;
    assert_eq!(
        (screen.size().0.get(), screen.size().1.get()),
        (area.height, area.width),
        "the emulator's size after {step}"
    );
    for y in 0..area.height {
        for x in 0..area.width {
            if screen.cell(y, x).unwrap().is_wide_continuation() {
                continue;
            }
            let cell = &frame[(x, y)];
            let m = cell.modifier;
            let want = (
                cell.symbol().to_owned(),
                vt_color(cell.fg),
                vt_color(cell.bg),
                [
                    m.contains(Modifier::BOLD),
                    m.contains(Modifier::ITALIC),
                    m.contains(Modifier::UNDERLINED),
                    m.contains(Modifier::REVERSED),
                ],
            );
            assert_eq!(seen(screen, x, y), want, "cell {x},{y} after {step}");
        }
    }
}

/// A served session's screen: the frame-by-frame backend (no buffers
/// kept between frames) replayed into a terminal emulator.
struct Remote {
    terminal: Terminal<LeanBackend<Shared>>,
    out: Shared,
    parser: vt100::Parser,
}

impl Remote {
    fn new(w: u16, h: u16) -> Self {
        let out = Shared::default();
        let terminal = Terminal::with_options(
            LeanBackend::with_size(out.clone(), w, h),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::ZERO),
            },
        )
        .unwrap();
        Self {
            terminal,
            out,
            parser: vt100::Parser::new(h.try_into().unwrap(), w.try_into().unwrap(), 0),
        }
    }

    fn replay(&mut self) {
        let bytes = self.out.take();
        self.parser.process(&bytes);
    }

    /// The client's window changes size (the emulator first, as a
    /// terminal resizes before it tells the server).
    fn resize(&mut self, app: &mut App, w: u16, h: u16) {
        self.parser
            .screen_mut()
            .set_size(h.try_into().unwrap(), w.try_into().unwrap());
        app.handle(aiwatch_tui::input::Input::Resize(w, h));
        self.terminal.backend_mut().resize_window(w, h).unwrap();
        self.replay();
    }

    fn frame(&mut self, app: &App) {
        runtime::draw(&mut self.terminal, app).unwrap();
        self.replay();
    }

    /// The app's frame, drawn whole into a fresh buffer.
    fn intended(app: &App) -> ratatui::buffer::Buffer {
        let area = app.layout.area;
        let mut intended = Terminal::new(TestBackend::new(area.width, area.height)).unwrap();
        intended.draw(|f| aiwatch_tui::view::draw(app, f)).unwrap();
        intended.backend().buffer().clone()
    }
}

/// A served session draws each frame in buffers of its own and keeps only
/// a compact copy of its client's screen: after every step (keys, a
/// resize narrower, wider and tiny, the screen cleared, keys taken while
/// the client was too slow for a frame) the client shows exactly the
/// app's frame, text and styles.
#[test]
fn a_served_session_drawn_frame_by_frame_shows_the_apps_frame_after_every_step() {
    enum Step {
        Keys(&'static str),
        Resize(u16, u16),
        Cleared,
        /// Keys taken with no frame between them (a slow client).
        Held(&'static str),
    }
    use Step::{Cleared, Held, Keys, Resize};
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(dir.path());
    let mut remote = Remote::new(120, 40);
    remote.resize(&mut app, 120, 40);
    let script = [
        Keys(""),
        Keys("j"),
        Keys("tab"),
        Keys("j j space"),
        Resize(80, 24),
        Keys("G"),
        Keys("L"),
        Resize(160, 45),
        Keys("g"),
        Keys("enter"),
        Cleared,
        Keys("j"),
        Held("j j k tab space space G"),
        Resize(40, 12),
        Keys("?"),
        Keys("esc"),
        Resize(19, 6),
        Resize(100, 30),
        Held("d m x ! esc shift-tab enter"),
        Keys("L"),
    ];
    for (n, step) in script.into_iter().enumerate() {
        let what = match step {
            Keys(keys) | Held(keys) => {
                for key in keys.split(' ') {
                    common::press(&mut app, key);
                }
                format!("step {n}: {keys:?}")
            }
            Resize(w, h) => {
                remote.resize(&mut app, w, h);
                format!("step {n}: resize to {w}x{h}")
            }
            Cleared => {
                ratatui::backend::Backend::clear(remote.terminal.backend_mut()).unwrap();
                remote.replay();
                format!("step {n}: screen cleared")
            }
        };
        remote.frame(&app);
        assert_client_shows(remote.parser.screen(), &Remote::intended(&app), &what);
    }
}

/// Wide characters written over narrow ones and back, at even and odd
/// columns, coloured: the client's row is the frame's after each.
#[test]
fn wide_characters_over_narrow_ones_and_back_leave_the_clients_row_right() {
    use ratatui::buffer::Buffer;
    use ratatui::style::{Color, Style};
    let rows = [
        ("中文ab", Style::new()),
        ("a中文b", Style::new().bg(Color::Blue)),
        ("abcdef", Style::new()),
        ("中 x世", Style::new().fg(Color::Red)),
        ("  中文", Style::new().bg(Color::Indexed(237))),
        ("ab cd ", Style::new()),
        ("é́e中", Style::new()),
        ("", Style::new()),
    ];
    let (w, h) = (6, 2);
    let out = Shared::default();
    let mut backend = LeanBackend::with_size(out.clone(), w, h);
    let mut parser = vt100::Parser::new(h.try_into().unwrap(), w.try_into().unwrap(), 0);
    for (text, style) in rows {
        let mut frame = Buffer::empty(Rect::new(0, 0, w, h));
        frame.set_string(0, 0, text, style);
        frame.set_string(0, 1, text, Style::new());
        backend
            .draw_frame(|f| {
                f.buffer_mut().set_string(0, 0, text, style);
                f.buffer_mut().set_string(0, 1, text, Style::new());
            })
            .unwrap();
        parser.process(&out.take());
        assert_client_shows(parser.screen(), &frame, &format!("{text:?}"));
    }
}
