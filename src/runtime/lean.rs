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
//! The copy is compact (16 bytes a cell; a ratatui `Cell` takes 48). A
//! backend for a remote terminal (`with_size`, an SSH session) keeps
//! nothing else between frames, and keeps the copy packed (runs of one
//! style, characters in UTF-8): each frame is drawn in buffers that live
//! for that frame only, diffed against the copy (what the client shows).
//! Hundreds of sessions then cost a fraction of the three full buffers
//! each kept before (docs/performance.md, issue 10).
//!
//! The screen ends up identical (`tests/lean_backend.rs` replays both
//! streams into a terminal emulator); `docs/performance.md` has the bytes.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell, CellDiffOption};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier};
use ratatui::{Frame, Terminal, TerminalOptions, Viewport};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Longest run of unchanged cells considered for rewriting.
pub const MAX_GAP: u16 = 12;

pub struct LeanBackend<W: Write> {
    /// Used for everything but drawing cells (clearing, cursor, size).
    inner: CrosstermBackend<W>,
    /// What the terminal shows, as far as this backend has drawn it.
    shadow: Shadow,
    /// A size given from outside (an SSH session's window), so the
    /// backend never asks the process's own terminal; such a backend
    /// draws frame by frame (`draw_frame`).
    fixed_size: Option<Size>,
    /// The largest size drawn on the process's own terminal (see
    /// `bounded`): a larger terminal is drawn at this size, top left.
    bound: Option<Size>,
    /// Between two frames drawn frame by frame, the copy packed (and
    /// `shadow` empty).
    packed: Option<Packed>,
    /// Shared by the backends of one server: how many frames are drawn
    /// at once (`FrameGate`).
    gate: Option<Arc<FrameGate>>,
    /// The terminal was given back by its owner (`release`): the cursor
    /// is no business of this backend's any more.
    released: bool,
}

/// How many frames drawn frame by frame are in their buffers at once,
/// across every backend that shares it. A frame's buffers are the large
/// part of a session's memory (two ratatui buffers of its window, 48 bytes
/// a cell, and the copy unpacked at 16: 3.4 MB at 300x100), and they live
/// only while it is drawn: hundreds of sessions drawing at once on a few
/// cores held hundreds of them (the server's peak, and the allocator's
/// bookkeeping that follows the peak and stays after). A frame past the
/// limit waits for one to finish; drawing is work for the CPU, so
/// many more frames at once than cores would not finish sooner.
#[derive(Debug)]
pub struct FrameGate {
    drawing: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

/// A frame being drawn: its place in the gate, given back when dropped
/// (a panic while drawing too).
struct GatePass<'a>(&'a FrameGate);

impl FrameGate {
    /// At most `limit` frames at once (at least one).
    pub fn new(limit: usize) -> Self {
        Self {
            drawing: Mutex::new(0),
            freed: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// Waits until fewer than `limit` frames are drawn, then counts this one.
    fn enter(&self) -> GatePass<'_> {
        let mut drawing = self.drawing.lock().unwrap_or_else(PoisonError::into_inner);
        while *drawing >= self.limit {
            drawing = self
                .freed
                .wait(drawing)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *drawing += 1;
        GatePass(self)
    }

    /// Frames being drawn now.
    pub fn drawing(&self) -> usize {
        *self.drawing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` as one frame: after the frames already drawn, if the
    /// limit is reached.
    pub fn frame<T>(&self, f: impl FnOnce() -> T) -> T {
        let _pass = self.enter();
        f()
    }
}

impl Drop for GatePass<'_> {
    fn drop(&mut self) {
        let mut drawing = self
            .0
            .drawing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *drawing = drawing.saturating_sub(1);
        drop(drawing);
        self.0.freed.notify_one();
    }
}

/// Multi-character symbols (a combining accent, an emoji sequence) kept
/// at once, at most; past it the table is rebuilt from the cells that
/// still show one, and a symbol that still finds no room is forgotten
/// (its cell is written again next time: bytes, never a wrong screen).
pub const MAX_LONG_SYMBOLS: usize = 4096;

/// One cell as the terminal shows it, in 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Shown {
    /// The character (`Kind::Char`) or the index in `Shadow::long`.
    symbol: u32,
    fg: Color,
    bg: Color,
    modifier: Modifier,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Char,
    Long,
    /// Covered by a wide character, erased by the terminal, or never
    /// known: always written, never rewritten from the copy.
    Unknown,
}

impl Shown {
    const BLANK: Self = Self {
        symbol: ' ' as u32,
        fg: Color::Reset,
        bg: Color::Reset,
        modifier: Modifier::empty(),
        kind: Kind::Char,
    };

    const UNKNOWN: Self = Self {
        kind: Kind::Unknown,
        ..Self::BLANK
    };

    fn pen(self) -> Pen {
        Pen {
            fg: self.fg,
            bg: self.bg,
            modifier: self.modifier,
        }
    }

    /// The character, when it is one the terminal shows in one column.
    fn narrow_char(self) -> Option<char> {
        (self.kind == Kind::Char)
            .then(|| char::from_u32(self.symbol))
            .flatten()
            .filter(|c| c.width() == Some(1))
    }
}

/// The copy of the screen between frames, packed: runs of cells in one
/// style, their characters in UTF-8. A screen of 300x100 cells takes tens
/// of kilobytes, not the 480 KB of the grid it is unpacked into for a
/// frame.
#[derive(Debug, Default)]
struct Packed {
    width: u16,
    height: u16,
    /// The styles the runs use.
    pens: Vec<Pen>,
    /// Each run: its pen's index (u16), its kind (u8), its length in
    /// cells (u16), then its characters (UTF-8) or long symbols' indexes
    /// (u32); an unknown run has nothing more.
    runs: Vec<u8>,
    long: Vec<Box<str>>,
}

const RUN_CHAR: u8 = 0;
const RUN_LONG: u8 = 1;
const RUN_UNKNOWN: u8 = 2;

impl Packed {
    fn pack(shadow: Shadow) -> Self {
        let mut packed = Self {
            width: shadow.width,
            height: shadow.height,
            pens: Vec::new(),
            runs: Vec::new(),
            long: shadow.long,
        };
        let cells = &shadow.cells;
        let mut i = 0;
        while let Some(&first) = cells.get(i) {
            let n = cells[i..]
                .iter()
                .take(usize::from(u16::MAX))
                .take_while(|c| c.kind == first.kind && c.pen() == first.pen())
                .count();
            let pen = first.pen();
            let index = match packed.pens.iter().position(|p| *p == pen) {
                Some(index) => u16::try_from(index).ok(),
                None => u16::try_from(packed.pens.len())
                    .ok()
                    .inspect(|_| packed.pens.push(pen)),
            };
            let kind = match (index, first.kind) {
                (None, _) | (_, Kind::Unknown) => RUN_UNKNOWN,
                (Some(_), Kind::Char) => RUN_CHAR,
                (Some(_), Kind::Long) => RUN_LONG,
            };
            packed
                .runs
                .extend_from_slice(&index.unwrap_or(0).to_le_bytes());
            packed.runs.push(kind);
            packed
                .runs
                .extend_from_slice(&u16::try_from(n).unwrap_or(u16::MAX).to_le_bytes());
            for cell in &cells[i..i + n] {
                match kind {
                    RUN_CHAR => {
                        let c = char::from_u32(cell.symbol).unwrap_or(' ');
                        packed
                            .runs
                            .extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    RUN_LONG => packed.runs.extend_from_slice(&cell.symbol.to_le_bytes()),
                    _ => {}
                }
            }
            i += n;
        }
        packed
    }

    /// The grid again; whatever cannot be read back is unknown.
    fn unpack(self) -> Shadow {
        let total = usize::from(self.width) * usize::from(self.height);
        let mut cells = Vec::with_capacity(total);
        let mut rest = self.runs.as_slice();
        'runs: while cells.len() < total {
            let Some((header, body)) = rest.split_first_chunk::<5>() else {
                break;
            };
            rest = body;
            let pen = self
                .pens
                .get(usize::from(u16::from_le_bytes([header[0], header[1]])))
                .copied()
                .unwrap_or(Pen::RESET);
            let kind = header[2];
            for _ in 0..u16::from_le_bytes([header[3], header[4]]) {
                let (symbol, kind) = match kind {
                    RUN_CHAR => {
                        let Some((c, len)) = first_char(rest) else {
                            break 'runs;
                        };
                        rest = &rest[len..];
                        (u32::from(c), Kind::Char)
                    }
                    RUN_LONG => {
                        let Some((index, body)) = rest.split_first_chunk::<4>() else {
                            break 'runs;
                        };
                        rest = body;
                        (u32::from_le_bytes(*index), Kind::Long)
                    }
                    _ => (0, Kind::Unknown),
                };
                let shown = if kind == Kind::Unknown {
                    Shown::UNKNOWN
                } else {
                    Shown {
                        symbol,
                        fg: pen.fg,
                        bg: pen.bg,
                        modifier: pen.modifier,
                        kind,
                    }
                };
                cells.push(shown);
            }
        }
        cells.resize(total, Shown::UNKNOWN);
        Shadow {
            width: self.width,
            height: self.height,
            cells,
            long: self.long,
        }
    }
}

/// The first character of UTF-8 `bytes` and its length.
fn first_char(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match bytes.first()? {
        0..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(bytes.get(..len)?)
        .ok()?
        .chars()
        .next()?;
    Some((c, len))
}

/// The terminal's screen as far as known: a grid of compact cells.
#[derive(Debug, Default)]
struct Shadow {
    width: u16,
    height: u16,
    cells: Vec<Shown>,
    long: Vec<Box<str>>,
}

impl Shadow {
    fn blank(width: u16, height: u16) -> Self {
        Self {
            width,
            height,
            cells: vec![Shown::BLANK; usize::from(width) * usize::from(height)],
            long: Vec::new(),
        }
    }

    fn index(&self, x: u16, y: u16) -> Option<usize> {
        (x < self.width && y < self.height)
            .then(|| usize::from(y) * usize::from(self.width) + usize::from(x))
    }

    fn get(&self, x: u16, y: u16) -> Shown {
        self.index(x, y).map_or(Shown::UNKNOWN, |i| self.cells[i])
    }

    fn set(&mut self, x: u16, y: u16, shown: Shown) {
        if let Some(i) = self.index(x, y) {
            self.cells[i] = shown;
        }
    }

    /// Grows to hold (`x`, `y`); what was known keeps its place.
    fn fit(&mut self, x: u16, y: u16) {
        if x < self.width && y < self.height {
            return;
        }
        let mut grown = Self::blank(
            self.width.max(x.saturating_add(1)),
            self.height.max(y.saturating_add(1)),
        );
        for row in 0..self.height {
            for col in 0..self.width {
                grown.set(col, row, self.get(col, row));
            }
        }
        grown.long = std::mem::take(&mut self.long);
        *self = grown;
    }

    /// Every cell blank, as after the terminal cleared its screen.
    fn clear(&mut self) {
        self.cells.fill(Shown::BLANK);
        self.long.clear();
    }

    /// Nothing known any more.
    fn forget(&mut self) {
        self.cells.fill(Shown::UNKNOWN);
        self.long.clear();
    }

    fn symbol(&self, shown: Shown) -> Option<&str> {
        match shown.kind {
            Kind::Long => self.long.get(shown.symbol as usize).map(AsRef::as_ref),
            Kind::Char | Kind::Unknown => None,
        }
    }

    /// The compact form of `cell`.
    fn compact(&mut self, cell: &Cell) -> Shown {
        let symbol = cell.symbol();
        let mut chars = symbol.chars();
        let (symbol, kind) = match (chars.next(), chars.next()) {
            (Some(c), None) => (u32::from(c), Kind::Char),
            _ => match self.keep_long(symbol) {
                Some(index) => (index, Kind::Long),
                None => return Shown::UNKNOWN,
            },
        };
        Shown {
            symbol,
            fg: cell.fg,
            bg: cell.bg,
            modifier: cell.modifier,
            kind,
        }
    }

    /// A place in the table of long symbols, if one is free (after
    /// dropping those no cell shows any more).
    fn keep_long(&mut self, symbol: &str) -> Option<u32> {
        if self.long.len() >= MAX_LONG_SYMBOLS {
            let old = std::mem::take(&mut self.long);
            for cell in &mut self.cells {
                if cell.kind == Kind::Long {
                    match old.get(cell.symbol as usize) {
                        Some(text) if self.long.len() < MAX_LONG_SYMBOLS => {
                            cell.symbol = u32::try_from(self.long.len()).unwrap_or(u32::MAX);
                            self.long.push(text.clone());
                        }
                        _ => *cell = Shown::UNKNOWN,
                    }
                }
            }
            if self.long.len() >= MAX_LONG_SYMBOLS {
                return None;
            }
        }
        let index = u32::try_from(self.long.len()).ok()?;
        self.long.push(symbol.into());
        Some(index)
    }

    /// Writes what the terminal shows into `buffer`, cell by cell, so
    /// ratatui's diff against it yields what must change. An unknown
    /// cell equals no cell a frame draws.
    fn paint(&self, buffer: &mut Buffer) {
        let area = buffer.area;
        for y in area.top()..area.bottom() {
            for x in area.left()..area.right() {
                let shown = self.get(x, y);
                let cell = &mut buffer[(x, y)];
                match shown.kind {
                    Kind::Char => {
                        cell.set_char(char::from_u32(shown.symbol).unwrap_or(' '));
                    }
                    Kind::Long => {
                        cell.set_symbol(self.symbol(shown).unwrap_or_default());
                    }
                    Kind::Unknown => {
                        cell.set_symbol("");
                        cell.set_diff_option(CellDiffOption::Skip);
                    }
                }
                cell.fg = shown.fg;
                cell.bg = shown.bg;
                cell.modifier = shown.modifier;
            }
        }
    }

    fn width_at(&self, x: u16, y: u16) -> usize {
        let shown = self.get(x, y);
        match shown.kind {
            Kind::Char => char::from_u32(shown.symbol)
                .and_then(UnicodeWidthChar::width)
                .unwrap_or(1),
            Kind::Long => self.symbol(shown).map_or(1, UnicodeWidthStr::width),
            Kind::Unknown => 0,
        }
    }
}

/// The style state of the terminal while a frame is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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
            shadow: Shadow::default(),
            fixed_size: None,
            bound: None,
            packed: None,
            gate: None,
            released: false,
        }
    }

    /// Its owner gave the terminal back (left the alternate screen and
    /// showed the cursor itself): showing or hiding the cursor sends
    /// nothing from now on. ratatui's `Terminal` shows the cursor when it
    /// is dropped and prints an unformatted "Failed to show the cursor"
    /// on stderr when that write fails (the terminal gone); with this,
    /// the owner's `show_cursor` succeeds first and there is nothing left
    /// to show.
    pub fn release(&mut self) {
        self.released = true;
    }

    /// Frames of this backend wait their turn in `gate`, shared with
    /// other backends (`FrameGate`).
    #[must_use]
    pub fn with_gate(mut self, gate: Arc<FrameGate>) -> Self {
        self.gate = Some(gate);
        self
    }

    /// The process's own terminal is drawn at most `width` x `height`:
    /// its size is the terminal's, each side cut to the bound (a pty of
    /// 65535 x 65535 would otherwise take gigabytes of buffers).
    #[must_use]
    pub fn bounded(mut self, width: u16, height: u16) -> Self {
        self.bound = Some(Size::new(width, height));
        self
    }

    /// A backend for a remote terminal of this size, blank at first (see
    /// `resize_window`), that draws frame by frame (`draw_frame`).
    pub fn with_size(writer: W, width: u16, height: u16) -> Self {
        let mut backend = Self {
            fixed_size: Some(Size::new(width, height)),
            shadow: Shadow::blank(width, height),
            ..Self::new(writer)
        };
        backend.pack();
        backend
    }

    /// The copy as a grid, to draw on or change.
    fn unpack(&mut self) {
        if let Some(packed) = self.packed.take() {
            self.shadow = packed.unpack();
        }
    }

    /// Between frames drawn frame by frame, the copy is kept packed.
    fn pack(&mut self) {
        if self.frame_by_frame() {
            self.packed = Some(Packed::pack(std::mem::take(&mut self.shadow)));
        }
    }

    /// The remote terminal's new size: its screen is cleared (wholly when
    /// it got narrower, so no line wraps into the next) and the copy of it
    /// takes the new size.
    pub fn resize_window(&mut self, width: u16, height: u16) -> io::Result<()> {
        let narrower = self.fixed_size.is_some_and(|old| width < old.width);
        self.fixed_size = Some(Size::new(width, height));
        if narrower {
            self.inner.clear_region(ClearType::All)?;
        }
        if width > 0 && height > 0 {
            self.inner.set_cursor_position(Position::ORIGIN)?;
            self.inner.clear_region(ClearType::AfterCursor)?;
        }
        self.packed = None;
        self.shadow = Shadow::blank(width, height);
        self.pack();
        Ok(())
    }

    fn within_bound(&self, size: Size) -> Size {
        match self.bound {
            Some(bound) => Size::new(size.width.min(bound.width), size.height.min(bound.height)),
            None => size,
        }
    }

    /// Whether frames are drawn frame by frame (`draw_frame`): a backend
    /// for a remote terminal of a given size.
    pub fn frame_by_frame(&self) -> bool {
        self.fixed_size.is_some()
    }

    /// Draws one frame at the remote terminal's size in buffers that live
    /// for this frame only: the frame is diffed against the copy of what
    /// the terminal shows, and only that copy is kept. Writes what a
    /// ratatui `Terminal` kept between frames would (and hides the cursor
    /// as its `draw` does).
    pub fn draw_frame(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
        match self.gate.clone() {
            Some(gate) => gate.frame(|| self.draw_frame_now(render)),
            None => self.draw_frame_now(render),
        }
    }

    fn draw_frame_now(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
        let size = self.size()?;
        let area = Rect::new(0, 0, size.width, size.height);
        self.unpack();
        self.shadow
            .fit(size.width.saturating_sub(1), size.height.saturating_sub(1));
        // Lent to the frame's terminal below, and painted meanwhile.
        let shadow = std::mem::take(&mut self.shadow);
        let mut terminal = Terminal::with_options(
            Lent {
                backend: self,
                done: false,
            },
            TerminalOptions {
                viewport: Viewport::Fixed(area),
            },
        )?;
        // What the terminal shows becomes the "previous" frame: painted
        // into the terminal's own buffer (no third buffer per frame).
        shadow.paint(terminal.current_buffer_mut());
        terminal.backend_mut().backend.shadow = shadow;
        terminal.swap_buffers();
        let drawn = terminal.draw(render).map(drop);
        // The frame's terminal shows the cursor when it goes: not here,
        // drawn or not. A frame that failed (a client that vanished) would
        // make it try, fail again, and print an unformatted line on the
        // server's stderr.
        terminal.backend_mut().done = true;
        drop(terminal);
        drawn?;
        self.pack();
        Ok(())
    }

    /// Records a drawn cell. Cells a wide character covers, or that the
    /// terminal erased because a wide character was overwritten, become
    /// unknown: never rewritten from the shadow.
    fn remember(&mut self, x: u16, y: u16, cell: &Cell, width: u16) {
        if !self.frame_by_frame() {
            self.shadow.fit(x.saturating_add(width), y);
        }
        let old_width = u16::try_from(self.shadow.width_at(x, y)).unwrap_or(1);
        let shown = self.shadow.compact(cell);
        self.shadow.set(x, y, shown);
        for dx in 1..width.max(old_width) {
            self.shadow.set(x.saturating_add(dx), y, Shown::UNKNOWN);
        }
        if x > 0 && self.shadow.width_at(x - 1, y) > 1 {
            self.shadow.set(x - 1, y, Shown::UNKNOWN);
        }
    }

    /// The shadow's text from `from` to `to` on row `y`, if every cell there
    /// is a plain single-width cell in `pen` and rewriting them costs fewer
    /// bytes than `jump`.
    fn gap_text(&self, y: u16, from: u16, to: u16, pen: Pen, jump: usize) -> Option<String> {
        if to <= from || to - from > MAX_GAP || y >= self.shadow.height || to > self.shadow.width {
            return None;
        }
        let mut text = String::new();
        for x in from..to {
            let shown = self.shadow.get(x, y);
            let c = shown.narrow_char().filter(|_| shown.pen() == pen)?;
            text.push(c);
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
        self.unpack();
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
            cursor = (after < self.shadow.width).then_some((after, y));
        }
        if pen != Pen::RESET {
            out.push_str("\u{1b}[m");
        }
        self.inner.write_all(out.as_bytes())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.released {
            return Ok(());
        }
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.released {
            return Ok(());
        }
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.unpack();
        self.shadow.clear();
        self.pack();
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        // Partial clears are rare; forgetting the shadow only costs bytes.
        self.unpack();
        match clear_type {
            ClearType::All => self.shadow.clear(),
            _ => self.shadow.forget(),
        }
        self.pack();
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        match self.fixed_size {
            Some(size) => Ok(size),
            None => self.inner.size().map(|size| self.within_bound(size)),
        }
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        match self.fixed_size {
            Some(columns_rows) => Ok(WindowSize {
                columns_rows,
                pixels: Size::new(0, 0),
            }),
            None => self.inner.window_size().map(|w| WindowSize {
                columns_rows: self.within_bound(w.columns_rows),
                ..w
            }),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

/// The backend lent to the terminal of one frame (`draw_frame`). Once the
/// frame is out, the cursor is no business of that terminal's any more:
/// the show it asks for when it goes is not sent.
struct Lent<'a, W: Write> {
    backend: &'a mut LeanBackend<W>,
    done: bool,
}

impl<W: Write> Backend for Lent<'_, W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.backend.draw(content)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.backend.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.done {
            return Ok(());
        }
        self.backend.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.backend.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.backend.set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.backend.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.backend.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.backend.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.backend.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(self.backend)
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
    use ratatui::style::Style;

    /// However many threads draw, no more frames than the gate's limit are
    /// in their buffers at once, and every frame is drawn.
    #[test]
    fn the_frame_gate_lets_no_more_than_its_limit_draw_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = Arc::new(FrameGate::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let drawn = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gate, inside, most, drawn) = (
                    Arc::clone(&gate),
                    Arc::clone(&inside),
                    Arc::clone(&most),
                    Arc::clone(&drawn),
                );
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        gate.frame(|| {
                            let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            std::thread::yield_now();
                            inside.fetch_sub(1, Ordering::SeqCst);
                            drawn.fetch_add(1, Ordering::SeqCst);
                        });
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= 2, "{most:?} frames at once");
        assert_eq!(drawn.load(Ordering::SeqCst), 8 * 200);
        assert_eq!(gate.drawing(), 0);
    }

    /// A frame that panics (a bug in drawing) gives its place back: the
    /// other sessions go on drawing.
    /// A terminal that takes writes and then goes away: flushes fail once
    /// `flushes` are used up; everything written is kept (shared, to be
    /// looked at while the backend holds the writer).
    #[derive(Clone, Default)]
    struct Vanishing(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Vanishing {
        fn new(flushes: usize) -> Self {
            Self(Arc::new(Mutex::new((Vec::new(), flushes))))
        }

        fn written(&self) -> Vec<u8> {
            self.0.lock().unwrap().0.clone()
        }

        /// The terminal goes: every flush fails from now on, and what was
        /// written so far is forgotten.
        fn go(&self) {
            *self.0.lock().unwrap() = (Vec::new(), 0);
        }
    }

    impl Write for Vanishing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().0.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            let mut state = self.0.lock().unwrap();
            if state.1 == 0 {
                return Err(io::Error::from(io::ErrorKind::BrokenPipe));
            }
            state.1 -= 1;
            Ok(())
        }
    }

    fn showed_cursor(written: &[u8]) -> bool {
        let show = b"\x1b[?25h";
        written.windows(show.len()).any(|w| w == show)
    }

    /// A frame whose output fails after the cursor was hidden (a client
    /// that vanished mid-frame): the frame's terminal does not try to
    /// show the cursor when it goes, which would fail again and print an
    /// unformatted "Failed to show the cursor" on the server's stderr.
    #[test]
    fn a_frame_cut_off_by_a_vanished_terminal_shows_no_cursor_after_it() {
        // One flush for hiding the cursor, none for the frame's end.
        let writer = Vanishing::new(1);
        let mut backend = LeanBackend::with_size(writer.clone(), 20, 4);
        let drawn = backend.draw_frame(|frame| {
            frame.render_widget(ratatui::widgets::Paragraph::new("hello"), frame.area());
        });
        assert!(drawn.is_err());
        let written = writer.written();
        assert!(String::from_utf8_lossy(&written).contains("hello"));
        assert!(!showed_cursor(&written), "{written:?}");
    }

    /// A terminal given back by its owner (`release`, after the owner
    /// showed the cursor itself): ratatui's `Terminal`, when dropped,
    /// finds its cursor shown and writes nothing to a terminal that may be
    /// gone (its failure would be an unformatted line on stderr).
    #[test]
    fn a_released_terminal_shows_its_cursor_without_writing() {
        let writer = Vanishing::new(usize::MAX);
        let mut terminal = Terminal::new(LeanBackend::new(writer.clone())).unwrap();
        terminal.hide_cursor().unwrap();
        writer.go();
        terminal.backend_mut().release();
        assert!(terminal.show_cursor().is_ok());
        drop(terminal);
        assert!(writer.written().is_empty());
    }

    #[test]
    fn a_frame_that_panics_gives_its_place_in_the_gate_back() {
        let gate = FrameGate::new(1);
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gate.frame(|| panic!("a bug while drawing"));
        }));
        assert!(failed.is_err());
        assert_eq!(gate.drawing(), 0);
        assert_eq!(gate.frame(|| 7), 7);
    }

    fn sgr(from: Pen, to: Pen) -> String {
        let mut s = String::new();
        push_sgr(&mut s, from, to);
        s
    }

    /// Packing and unpacking give back the same grid, whatever its cells.
    #[test]
    fn the_copy_packs_and_unpacks_to_the_same_grid() {
        let mut shadow = Shadow::blank(7, 3);
        let styled = Style::new()
            .fg(Color::Rgb(255, 136, 0))
            .bg(Color::Indexed(237));
        for (x, y, symbol, style) in [
            (0, 0, "a", Style::new()),
            (1, 0, "中", styled),
            (3, 0, "e\u{301}", styled),
            (4, 0, "b", Style::new().add_modifier(Modifier::BOLD)),
            (6, 2, "🦀", Style::new()),
        ] {
            let mut cell = Cell::EMPTY;
            cell.set_symbol(symbol).set_style(style);
            let shown = shadow.compact(&cell);
            shadow.set(x, y, shown);
        }
        shadow.set(2, 0, Shown::UNKNOWN);
        shadow.set(0, 1, Shown::UNKNOWN);
        let cells = shadow.cells.clone();
        let long = shadow.long.clone();
        let packed = Packed::pack(shadow);
        assert!(packed.runs.len() < cells.len() * std::mem::size_of::<Shown>());
        let back = packed.unpack();
        assert_eq!(back.cells, cells);
        assert_eq!(back.long, long);
        assert_eq!((back.width, back.height), (7, 3));
        // Runs of one style are long: a blank screen packs to one run.
        assert_eq!(Packed::pack(Shadow::blank(300, 100)).runs.len(), 5 + 30_000);
    }

    #[test]
    fn a_cell_of_the_copy_takes_16_bytes() {
        assert!(std::mem::size_of::<Shown>() <= 16);
    }

    /// Symbols of more than one character go to a table: it stays within
    /// its bound, dropping those no cell shows any more, and a symbol that
    /// finds no room is unknown (written again), never wrong.
    #[test]
    fn the_table_of_long_symbols_stays_bounded() {
        let symbol = |i: usize| format!("e\u{301}{i}");
        // A small screen: old symbols are dropped, every cell stays known.
        let mut small = Shadow::blank(10, 10);
        for i in 0..MAX_LONG_SYMBOLS * 3 {
            let (x, y) = ((i % 10) as u16, (i / 10 % 10) as u16);
            let mut cell = Cell::EMPTY;
            cell.set_symbol(&symbol(i));
            let shown = small.compact(&cell);
            small.set(x, y, shown);
            assert!(small.long.len() <= MAX_LONG_SYMBOLS);
            assert_eq!(small.symbol(small.get(x, y)), Some(symbol(i).as_str()));
        }
        // A screen with more cells than the table holds: the rest unknown.
        let mut big = Shadow::blank(100, 100);
        for i in 0..10_000 {
            let (x, y) = ((i % 100) as u16, (i / 100) as u16);
            let mut cell = Cell::EMPTY;
            cell.set_symbol(&symbol(i));
            let shown = big.compact(&cell);
            big.set(x, y, shown);
            assert!(big.long.len() <= MAX_LONG_SYMBOLS);
            let kind = big.get(x, y).kind;
            if i < MAX_LONG_SYMBOLS {
                assert_eq!(big.symbol(big.get(x, y)), Some(symbol(i).as_str()));
            } else {
                assert_eq!(kind, Kind::Unknown, "cell {i}");
            }
        }
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
