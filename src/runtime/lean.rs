//! A terminal backend that spends fewer bytes per frame, for readers on
//! slow links. ratatui hands over only the changed cells; stock output then
//! jumps the cursor over every unchanged gap with an absolute move (6-8
//! bytes) and sets colours with 256-colour codes even for the 16 named
//! colours (`ESC[38;5;6;49m` where `ESC[36m` says the same). This backend:
//!
//! - keeps a copy of what the terminal shows and rewrites short gaps of
//!   unchanged cells in the active style when that is cheaper than a jump;
//! - moves right on the same row with a relative move (`ESC[nC`);
//! - writes each style change as one short SGR sequence.
//!
//! The screen ends up identical (`tests/lean_backend.rs` replays both
//! streams into a terminal emulator); `docs/performance.md` has the bytes.

use std::fmt::Write as _;
use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// Longest run of unchanged cells considered for rewriting.
pub const MAX_GAP: u16 = 12;

pub struct LeanBackend<W: Write> {
    /// Used for everything but drawing cells (clearing, cursor, size).
    inner: CrosstermBackend<W>,
    /// What the terminal shows, as far as this backend has drawn it.
    shadow: Buffer,
    /// A size given from outside (an SSH session's window), so the
    /// backend never asks the process's own terminal.
    fixed_size: Option<Size>,
}

/// The style state of the terminal while a frame is written.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

impl Pen {
    const RESET: Self = Self {
        fg: Color::Reset,
        bg: Color::Reset,
        modifier: Modifier::empty(),
    };

    fn of(cell: &Cell) -> Self {
        Self {
            fg: cell.fg,
            bg: cell.bg,
            modifier: cell.modifier,
        }
    }
}

impl<W: Write> LeanBackend<W> {
    pub fn new(writer: W) -> Self {
        Self {
            inner: CrosstermBackend::new(writer),
            shadow: Buffer::empty(Rect::ZERO),
            fixed_size: None,
        }
    }

    /// A backend for a remote terminal of this size (see `set_size`).
    pub fn with_size(writer: W, width: u16, height: u16) -> Self {
        Self {
            fixed_size: Some(Size::new(width, height)),
            ..Self::new(writer)
        }
    }

    /// The remote terminal's new size.
    pub fn set_size(&mut self, width: u16, height: u16) {
        self.fixed_size = Some(Size::new(width, height));
    }

    fn fits_shadow(&mut self, x: u16, y: u16) {
        let area = self.shadow.area;
        if x >= area.width || y >= area.height {
            let width = area.width.max(x.saturating_add(1));
            let height = area.height.max(y.saturating_add(1));
            self.shadow.resize(Rect::new(0, 0, width, height));
        }
    }

    /// Records a drawn cell. Cells a wide character covers, or that the
    /// terminal erased because a wide character was overwritten, become
    /// unknown: never rewritten from the shadow.
    fn remember(&mut self, x: u16, y: u16, cell: &Cell, width: u16) {
        self.fits_shadow(x.saturating_add(width), y);
        let old_width = u16::try_from(self.shadow[(x, y)].symbol().width()).unwrap_or(1);
        self.shadow[(x, y)] = cell.clone();
        let mut unknown = Cell::new("");
        unknown.set_diff_option(CellDiffOption::Skip);
        for dx in 1..width.max(old_width) {
            let cx = x.saturating_add(dx);
            if cx < self.shadow.area.width {
                self.shadow[(cx, y)] = unknown.clone();
            }
        }
        if x > 0 && self.shadow[(x - 1, y)].symbol().width() > 1 {
            self.shadow[(x - 1, y)] = unknown;
        }
    }

    /// The shadow's text from `from` to `to` on row `y`, if every cell there
    /// is a plain single-width cell in `pen` and rewriting them costs fewer
    /// bytes than `jump`.
    fn gap_text(&self, y: u16, from: u16, to: u16, pen: Pen, jump: usize) -> Option<String> {
        if to <= from
            || to - from > MAX_GAP
            || y >= self.shadow.area.height
            || to > self.shadow.area.width
        {
            return None;
        }
        let mut text = String::new();
        for x in from..to {
            let cell = &self.shadow[(x, y)];
            let plain = cell.diff_option == CellDiffOption::None
                && cell.symbol().width() == 1
                && Pen::of(cell) == pen;
            if !plain {
                return None;
            }
            text.push_str(cell.symbol());
        }
        (text.len() < jump).then_some(text)
    }
}

impl<W: Write> Write for LeanBackend<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl<W: Write> Backend for LeanBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut out = String::new();
        let mut pen = Pen::RESET;
        // Where the terminal's cursor stands, when known.
        let mut cursor: Option<(u16, u16)> = None;
        for (x, y, cell) in content {
            if cursor != Some((x, y)) {
                let absolute = format!("\u{1b}[{};{}H", y + 1, x + 1);
                match cursor {
                    Some((cx, cy)) if cy == y && cx < x => {
                        let relative = if x - cx == 1 {
                            "\u{1b}[C".to_owned()
                        } else {
                            format!("\u{1b}[{}C", x - cx)
                        };
                        let jump = relative.len().min(absolute.len());
                        if let Some(text) = self.gap_text(y, cx, x, pen, jump) {
                            out.push_str(&text);
                        } else if relative.len() < absolute.len() {
                            out.push_str(&relative);
                        } else {
                            out.push_str(&absolute);
                        }
                    }
                    _ => out.push_str(&absolute),
                }
            }
            let next = Pen::of(cell);
            if next != pen {
                push_sgr(&mut out, pen, next);
                pen = next;
            }
            out.push_str(cell.symbol());
            let width = u16::try_from(cell.symbol().width().max(1)).unwrap_or(1);
            self.remember(x, y, cell, width);
            // At the last column the cursor waits to wrap: position unknown.
            let after = x.saturating_add(width);
            cursor = (after < self.shadow.area.width).then_some((after, y));
        }
        if pen != Pen::RESET {
            out.push_str("\u{1b}[m");
        }
        self.inner.write_all(out.as_bytes())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.shadow.reset();
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        // Partial clears are rare; forgetting the shadow only costs bytes.
        self.shadow.reset();
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        match self.fixed_size {
            Some(size) => Ok(size),
            None => self.inner.size(),
        }
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        match self.fixed_size {
            Some(columns_rows) => Ok(WindowSize {
                columns_rows,
                pixels: Size::new(0, 0),
            }),
            None => self.inner.window_size(),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

/// One SGR sequence taking the terminal from `from` to `to`. Removing a
/// modifier resets everything and sets what remains; that is shorter
/// than the individual "off" codes in the common cases.
fn push_sgr(out: &mut String, from: Pen, to: Pen) {
    let mut params: Vec<String> = Vec::new();
    let removed = from.modifier - to.modifier;
    let (base, added) = if removed.is_empty() {
        (from, to.modifier - from.modifier)
    } else {
        params.push("0".to_owned());
        (Pen::RESET, to.modifier)
    };
    for (modifier, code) in [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::SLOW_BLINK, "5"),
        (Modifier::RAPID_BLINK, "6"),
        (Modifier::REVERSED, "7"),
        (Modifier::HIDDEN, "8"),
        (Modifier::CROSSED_OUT, "9"),
    ] {
        if added.contains(modifier) {
            params.push(code.to_owned());
        }
    }
    if to.fg != base.fg {
        params.push(color_code(to.fg, false));
    }
    if to.bg != base.bg {
        params.push(color_code(to.bg, true));
    }
    if params == ["0"] {
        out.push_str("\u{1b}[m");
    } else if !params.is_empty() {
        let _ = write!(out, "\u{1b}[{}m", params.join(";"));
    }
}

fn color_code(color: Color, background: bool) -> String {
    let named = |n: u8| (if background { n + 10 } else { n }).to_string();
    match color {
        Color::Reset => named(39),
        Color::Black => named(30),
        Color::Red => named(31),
        Color::Green => named(32),
        Color::Yellow => named(33),
        Color::Blue => named(34),
        Color::Magenta => named(35),
        Color::Cyan => named(36),
        Color::Gray => named(37),
        Color::DarkGray => named(90),
        Color::LightRed => named(91),
        Color::LightGreen => named(92),
        Color::LightYellow => named(93),
        Color::LightBlue => named(94),
        Color::LightMagenta => named(95),
        Color::LightCyan => named(96),
        Color::White => named(97),
        Color::Indexed(i) => format!("{};5;{i}", if background { 48 } else { 38 }),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", if background { 48 } else { 38 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sgr(from: Pen, to: Pen) -> String {
        let mut s = String::new();
        push_sgr(&mut s, from, to);
        s
    }

    #[test]
    fn style_changes_are_one_short_sequence() {
        let cyan_bold = Pen {
            fg: Color::Cyan,
            bg: Color::Reset,
            modifier: Modifier::BOLD,
        };
        assert_eq!(sgr(Pen::RESET, cyan_bold), "\u{1b}[1;36m");
        assert_eq!(
            sgr(
                cyan_bold,
                Pen {
                    modifier: Modifier::empty(),
                    ..cyan_bold
                }
            ),
            "\u{1b}[0;36m"
        );
        assert_eq!(sgr(cyan_bold, Pen::RESET), "\u{1b}[m");
        let selection = Pen {
            fg: Color::Black,
            bg: Color::Indexed(237),
            modifier: Modifier::empty(),
        };
        assert_eq!(sgr(Pen::RESET, selection), "\u{1b}[30;48;5;237m");
        let orange = Pen {
            fg: Color::Rgb(255, 136, 0),
            ..Pen::RESET
        };
        assert_eq!(sgr(Pen::RESET, orange), "\u{1b}[38;2;255;136;0m");
    }
}
