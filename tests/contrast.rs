//! Every built-in colour theme can be read as a terminal shows it: screens
//! are drawn through the real output backend at truecolor, 256 and 16
//! colours, replayed into a terminal emulator (vt100), and every cell that
//! shows a letter or digit is measured. Named and indexed colours are
//! taken at xterm's default palette; the terminal's default colours at the
//! background the theme is made for (black with light grey text for dark
//! and high-contrast, white with black text for light). Text must reach
//! 4.5:1, muted text and labels 3:1, both on a terminal that draws bold
//! text as it is and on one that draws bold in the first eight colours
//! bright (xterm's default `boldColors`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::Shared;

use std::fmt::Write as _;
use std::path::PathBuf;

use aiwatch_tui::app::App;
use aiwatch_tui::config::contrast::{self, Backdrop, Bold, Rgb};
use aiwatch_tui::config::theme::indexed_rgb;
use aiwatch_tui::config::{ColorDepth, Config, Role};
use aiwatch_tui::content::ContentRoot;
use aiwatch_tui::input::Input;
use aiwatch_tui::runtime::{self, lean::LeanBackend};
use common::{app_with, press, render};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::{Terminal, TerminalOptions, Viewport};

/// The screens to measure: name, size and keys pressed on a fresh reader.
const SCREENS: &[(&str, (u16, u16), &str)] = &[
    ("start", (120, 40), ""),
    ("start", (80, 24), ""),
    ("filter", (120, 40), "d"),
    ("two filters and one hidden", (120, 40), "m o A"),
    ("search with matches", (120, 40), "/ b i l l i o n"),
    ("search confirmed", (120, 40), "/ b i l l i o n enter"),
    ("help", (120, 40), "?"),
    ("warnings overlay", (120, 40), "!"),
    ("chart", (120, 40), "c"),
    ("chart of two actors", (120, 40), "c m d"),
    ("topics focused, All selected", (120, 40), "h"),
    ("topics focused, a topic selected", (120, 40), "h j j"),
    (
        "topics focused, an empty topic selected",
        (120, 40),
        "d h j j j j j j",
    ),
    ("topics focused, starred selected", (120, 40), "s h j"),
    ("timeline focused, year row", (120, 40), "g"),
    ("timeline focused, month row", (120, 40), "g j j j"),
    ("timeline focused, unread row", (120, 40), "g j j j j"),
    (
        "timeline focused, read row",
        (120, 40),
        "g j j j j enter j k",
    ),
    ("timeline focused, the row being read", (120, 40), "G enter"),
    ("timeline focused, starred row", (120, 40), "s"),
    ("reading pane focused", (120, 40), "enter l"),
    ("reading pane scrolled", (120, 40), "enter l space"),
    ("single pane", (60, 20), ""),
    ("single pane, reading", (60, 20), "enter"),
];

/// Screens of a library with load problems: the status line's warning.
const PROBLEM_SCREENS: &[(&str, (u16, u16), &str)] = &[
    ("load warnings", (120, 40), ""),
    ("load warnings listed", (120, 40), "!"),
];

const THEMES: &[(&str, Backdrop)] = &[
    ("dark", Backdrop::Dark),
    ("light", Backdrop::Light),
    ("high-contrast", Backdrop::Dark),
];

const DEPTHS: &[ColorDepth] = &[
    ColorDepth::TrueColor,
    ColorDepth::Ansi256,
    ColorDepth::Ansi16,
];

/// A colour no theme uses, painted over the muted roles to find their cells.
const MARK: Color = Color::Rgb(1, 2, 3);

fn config(theme: &str, depth: ColorDepth) -> Config {
    let mut config = Config::load(Some((
        "user.toml",
        &format!("[theme]\nname = \"{theme}\"\n"),
    )))
    .unwrap();
    config.adapt_colors(depth);
    config
}

fn app(config: Config, problems: bool, size: (u16, u16), keys: &str) -> App {
    let fixtures = PathBuf::from("tests/fixtures/content");
    let roots = if problems {
        vec![
            ContentRoot::Bundled,
            ContentRoot::Dir(fixtures.join("invalid")),
        ]
    } else {
        vec![ContentRoot::Bundled]
    };
    let mut app = app_with(config, &roots, "en", 120, 40);
    app.handle(Input::Resize(size.0, size.1));
    press(&mut app, keys);
    app
}

/// The screen as a terminal emulator shows it after the backend's bytes.
fn emulate(app: &App, (w, h): (u16, u16)) -> vt100::Parser {
    let out = Shared::default();
    let mut terminal = Terminal::with_options(
        LeanBackend::with_size(out.clone(), w, h),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, w, h)),
        },
    )
    .unwrap();
    runtime::draw(&mut terminal, app).unwrap();
    let mut parser = vt100::Parser::new(h.try_into().unwrap(), w.try_into().unwrap(), 0);
    parser.process(&out.take());
    parser
}

fn rgb(color: vt100::Color, default: Rgb) -> Rgb {
    match color {
        vt100::Color::Default => default,
        vt100::Color::Idx(i) => indexed_rgb(i),
        vt100::Color::Rgb(r, g, b) => (r, g, b),
    }
}

/// Text and background of a cell as seen: defaults are the backdrop's,
/// bold text in the first eight colours is their bright twin if the
/// terminal draws bold so, inverse swaps them, faint text is drawn
/// half-way to the background.
fn seen(cell: &vt100::Cell, backdrop: Backdrop, bold: Bold) -> (Rgb, Rgb) {
    let fgcolor = match cell.fgcolor() {
        vt100::Color::Idx(i) if i < 8 && cell.bold() && bold == Bold::Bright => {
            vt100::Color::Idx(i + 8)
        }
        c => c,
    };
    let fg = rgb(fgcolor, backdrop.foreground());
    let bg = rgb(cell.bgcolor(), backdrop.background());
    let (fg, bg) = if cell.inverse() { (bg, fg) } else { (fg, bg) };
    if cell.dim() {
        let mix = |a: u8, b: u8| u8::midpoint(a, b);
        ((mix(fg.0, bg.0), mix(fg.1, bg.1), mix(fg.2, bg.2)), bg)
    } else {
        (fg, bg)
    }
}

/// The worst cell of one screen against its limit.
struct Worst {
    ratio: f64,
    limit: f64,
    at: String,
}

/// Measures every letter and digit on one screen; returns the cells below
/// their limit and the lowest ratio seen (text and muted apart).
fn measure(
    theme: &str,
    backdrop: Backdrop,
    depth: ColorDepth,
    (name, size, keys): (&str, (u16, u16), &str),
    problems: bool,
    worst: &mut [Option<Worst>; 2],
    backgrounds: &mut Vec<Rgb>,
) -> Vec<String> {
    let shown = app(config(theme, depth), problems, size, keys);
    let parser = emulate(&shown, size);
    // The same screen with the muted roles in a marker colour: where the
    // marker is, the cell is muted text.
    let mut marked = config(theme, depth);
    for role in [Role::Muted, Role::Label] {
        marked.theme.patch(role, Style::new().fg(MARK));
    }
    let marked = render(&app(marked, problems, size, keys));
    let buffer = marked.backend().buffer();
    let mut failures = Vec::new();
    for y in 0..size.1 {
        let mut row = String::new();
        for x in 0..size.0 {
            let text = parser.screen().cell(y, x).map_or("", |c| c.contents());
            row.push_str(if text.is_empty() { " " } else { text });
        }
        for x in 0..size.0 {
            let cell = parser.screen().cell(y, x).unwrap();
            if !cell.contents().chars().any(char::is_alphanumeric) {
                continue;
            }
            let muted = buffer[(x, y)].fg == MARK;
            let limit = if muted {
                contrast::MUTED
            } else {
                contrast::TEXT
            };
            // The lower of the two ways a terminal may draw bold.
            let ((fg, bg), ratio, bright) = [Bold::AsIs, Bold::Bright]
                .into_iter()
                .map(|bold| {
                    let (fg, bg) = seen(cell, backdrop, bold);
                    ((fg, bg), contrast::ratio(fg, bg), bold == Bold::Bright)
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            if !backgrounds.contains(&bg) {
                backgrounds.push(bg);
            }
            let bright = if bright { ", bold drawn bright" } else { "" };
            let at = format!(
                "{theme} at {depth:?}, {name}: {:?} at {x},{y} in {:?}: {fg:?} on {bg:?} {ratio:.2}:1{bright} (needs {limit}:1)",
                cell.contents(),
                row.trim_end()
            );
            let slot = &mut worst[usize::from(muted)];
            if slot.as_ref().is_none_or(|w| ratio < w.ratio) {
                *slot = Some(Worst {
                    ratio,
                    limit,
                    at: at.clone(),
                });
            }
            if ratio < limit {
                failures.push(at);
            }
        }
    }
    failures
}

#[test]
fn every_built_in_theme_reads_at_every_depth_on_every_screen() {
    let mut failures = Vec::new();
    let mut report = String::new();
    for &(theme, backdrop) in THEMES {
        for &depth in DEPTHS {
            let mut worst = [None, None];
            let mut count = 0;
            let mut backgrounds = Vec::new();
            for &screen in SCREENS {
                let f = measure(
                    theme,
                    backdrop,
                    depth,
                    screen,
                    false,
                    &mut worst,
                    &mut backgrounds,
                );
                count += f.len();
                failures.extend(f);
            }
            for &screen in PROBLEM_SCREENS {
                let f = measure(
                    theme,
                    backdrop,
                    depth,
                    screen,
                    true,
                    &mut worst,
                    &mut backgrounds,
                );
                count += f.len();
                failures.extend(f);
            }
            // The screens show text on every surface the theme has.
            let config = config(theme, depth);
            let base = config.theme.style(Role::Base);
            for role in [
                Role::Selection,
                Role::SelectionInactive,
                Role::Match,
                Role::Status,
                Role::Overlay,
            ] {
                let (_, bg) = contrast::shown(base.patch(config.theme.style(role)), backdrop);
                assert!(
                    backgrounds.contains(&bg),
                    "{theme} at {depth:?}: no text measured on {} ({bg:?})",
                    role.name()
                );
            }
            let show = |w: &Option<Worst>| {
                w.as_ref().map_or("-".to_owned(), |w| {
                    format!("{:.2}:1 (limit {})", w.ratio, w.limit)
                })
            };
            writeln!(
                report,
                "{theme:<14} {depth:<10?} text {:<20} muted {:<20} cells below: {count}\n    worst text: {}",
                show(&worst[0]),
                show(&worst[1]),
                worst[0].as_ref().map_or("", |w| w.at.as_str()),
            )
            .unwrap();
        }
    }
    eprintln!("{report}");
    assert!(
        failures.is_empty(),
        "{} cells below their contrast limit; the first 40:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
