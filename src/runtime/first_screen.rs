//! The first screen kept for the next start: the cells of the frame the
//! next start will draw first, saved when the reader quits, keyed by
//! everything that decides that frame, and painted at once by a start whose
//! key matches, before its library is read. It owns the file's format and
//! the key; it never decides what a frame holds (`view` draws it) and never
//! paints a screen under another key. A missing, short or garbage file is
//! simply not painted.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};

/// The file's first bytes.
const MAGIC: &[u8; 8] = b"AWFIRST\0";
/// This build's layout of the file; another is never read.
pub const FORMAT: u32 = 1;
/// Cells kept at most (a 500 x 200 terminal): a larger screen is not kept.
pub const MAX_CELLS: usize = 100_000;
/// Bytes of one cell's symbol at most (a grapheme cluster): a screen with
/// a longer one is not kept.
pub const MAX_SYMBOL: usize = 32;
/// The header: magic, format, key, width, height.
const HEADER: usize = MAGIC.len() + 4 + 16 + 2 + 2;
/// Bytes of one cell at most: symbol length and bytes, three colours, modifier.
const MAX_CELL_BYTES: usize = 1 + MAX_SYMBOL + 3 * 4 + 2;
/// The largest file this build writes, and the most it reads.
pub const MAX_FILE: usize = HEADER + MAX_CELLS * MAX_CELL_BYTES;

/// Everything that decides the first frame, hashed (128 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(pub [u8; 16]);

/// What a file looks like from outside: changed when anything writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FileStamp {
    pub exists: bool,
    pub len: u64,
    pub modified_ns: u128,
    pub inode: u64,
}

impl FileStamp {
    /// The stamp of `path` now (absent when it cannot be read).
    pub fn of(path: &Path) -> Self {
        let Ok(meta) = std::fs::metadata(path) else {
            return Self::default();
        };
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Self {
            exists: true,
            len: meta.len(),
            modified_ns,
            inode,
        }
    }
}

/// The store's files as they are now: the database and its write-ahead
/// log. Any commit, by any process, changes one of them.
pub fn store_stamp(path: &Path) -> [FileStamp; 2] {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    [FileStamp::of(path), FileStamp::of(Path::new(&wal))]
}

/// What decides the first frame apart from this process's arguments,
/// folder and environment (which `key` adds): the config file's bytes,
/// the library store's and the state file's stamps, the terminal's size.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Inputs {
    /// The reader's arguments (its own, or handed to the helper that keeps
    /// the screen after it quit).
    pub args: Vec<std::ffi::OsString>,
    pub config: Option<Vec<u8>>,
    pub store: [FileStamp; 2],
    pub state_file: FileStamp,
    pub size: (u16, u16),
}

/// Whether the variable `name` can change what the reader draws (read by
/// the program or the crates it uses for folders and terminals).
fn decides_frames(name: &str) -> bool {
    const NAMES: [&str; 8] = [
        "TERM",
        "COLORTERM",
        "NO_COLOR",
        "LANG",
        "LANGUAGE",
        "TMUX",
        "TERM_PROGRAM",
        "VTE_VERSION",
    ];
    NAMES.contains(&name)
        || name == "HOME"
        || ["LC_", "XDG_", "AIWATCH"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// The key of `inputs` for this binary, run in this folder, with this
/// environment: every variable the program reads (locale, colours,
/// terminal, XDG folders, its own), and no other, so a shell's `OLDPWD`
/// or a new login's `SSH_CONNECTION` does not keep a screen from being
/// painted.
pub fn key(inputs: &Inputs) -> Key {
    let exe = std::env::current_exe()
        .map(|p| FileStamp::of(&p))
        .unwrap_or_default();
    let mut env: Vec<_> = std::env::vars_os()
        .filter(|(name, _)| name.to_str().is_some_and(decides_frames))
        .collect();
    env.sort();
    let common = |h: &mut DefaultHasher| {
        FORMAT.hash(h);
        env!("CARGO_PKG_VERSION").hash(h);
        exe.hash(h);
        std::env::current_dir().ok().hash(h);
        env.hash(h);
        inputs.hash(h);
    };
    let mut out = [0u8; 16];
    for (half, salt) in out.chunks_mut(8).zip([1u8, 2]) {
        let mut h = DefaultHasher::new();
        salt.hash(&mut h);
        common(&mut h);
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    Key(out)
}

/// Where the first screen is kept: the cache folder (deleting it is
/// harmless: the next start draws as without it).
pub fn default_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().ok()?;
    Some(
        strategy
            .cache_dir()
            .join("aiwatch-tui")
            .join("first-screen.bin"),
    )
}

/// The file's bytes for `buffer` under `key`; `None` when the screen is
/// too large to keep or holds a cell this format cannot say.
pub fn encode(key: Key, buffer: &Buffer) -> Option<Vec<u8>> {
    let area = buffer.area;
    if area.x != 0 || area.y != 0 || buffer.content.len() > MAX_CELLS {
        return None;
    }
    let mut out = Vec::with_capacity(HEADER + buffer.content.len() * 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&key.0);
    out.extend_from_slice(&area.width.to_le_bytes());
    out.extend_from_slice(&area.height.to_le_bytes());
    for cell in &buffer.content {
        if cell.diff_option != ratatui::buffer::CellDiffOption::None {
            return None;
        }
        if cell.symbol().chars().any(char::is_control) {
            return None;
        }
        let symbol = cell.symbol().as_bytes();
        let len = u8::try_from(symbol.len())
            .ok()
            .filter(|&l| usize::from(l) <= MAX_SYMBOL)?;
        out.push(len);
        out.extend_from_slice(symbol);
        for color in [cell.fg, cell.bg, cell.underline_color] {
            out.extend_from_slice(&color_code(color).to_le_bytes());
        }
        out.extend_from_slice(&cell.modifier.bits().to_le_bytes());
    }
    Some(out)
}

/// The screen in `bytes` when it was kept under `key`; `None` for any
/// other key, format, or a file that is short, long or malformed, or that
/// has a control character in a cell (it would be painted raw).
pub fn decode(key: Key, bytes: &[u8]) -> Option<Buffer> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len())? != MAGIC
        || u32::from_le_bytes(r.array()?) != FORMAT
        || r.array::<16>()? != key.0
    {
        return None;
    }
    let width = u16::from_le_bytes(r.array()?);
    let height = u16::from_le_bytes(r.array()?);
    let cells = usize::from(width) * usize::from(height);
    if cells == 0 || cells > MAX_CELLS {
        return None;
    }
    let mut buffer = Buffer::empty(Rect::new(0, 0, width, height));
    for cell in &mut buffer.content {
        read_cell(&mut r, cell)?;
    }
    r.0.is_empty().then_some(buffer)
}

fn read_cell(r: &mut Reader<'_>, cell: &mut Cell) -> Option<()> {
    let len = usize::from(r.take(1)?[0]);
    if len > MAX_SYMBOL {
        return None;
    }
    let symbol = std::str::from_utf8(r.take(len)?).ok()?;
    // The cells are written to the terminal as they are: a control
    // character (C0, DEL, C1) in one would be a command to it (a crafted
    // file's `ESC ] 2 ; ... BEL` set the window title). The reader never
    // draws one, so a file holding one is not its own.
    if symbol.chars().any(char::is_control) {
        return None;
    }
    cell.set_symbol(symbol);
    cell.fg = color_of(u32::from_le_bytes(r.array()?))?;
    cell.bg = color_of(u32::from_le_bytes(r.array()?))?;
    cell.underline_color = color_of(u32::from_le_bytes(r.array()?))?;
    cell.modifier = Modifier::from_bits(u16::from_le_bytes(r.array()?))?;
    Some(())
}

/// Reads the kept screen at `path` for `key`: `None` when there is none,
/// it is another key's, or it cannot be read whole (never an error: the
/// start then draws as without it).
pub fn load(path: &Path, key: Key) -> Option<Buffer> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    // One byte past the bound: a longer file is not this format's.
    file.take(MAX_FILE as u64 + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    decode(key, &bytes)
}

/// Keeps `buffer` under `key` at `path`, atomically (a reader that stops
/// midway leaves the old file or none). A screen too large is not kept,
/// and an older one is removed so it is never painted.
pub fn save(path: &Path, key: Key, buffer: &Buffer) -> std::io::Result<()> {
    let Some(bytes) = encode(key, buffer) else {
        return forget(path);
    };
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    crate::atomic_file::write_atomically(path, &bytes)
}

/// Removes the kept screen (none is fine).
pub fn forget(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

/// A colour as one number: 0-16 the named ones (`Reset` first), `0x100`
/// plus an index, `0x0100_0000` plus RGB.
fn color_code(color: Color) -> u32 {
    match color {
        Color::Reset => 0,
        Color::Black => 1,
        Color::Red => 2,
        Color::Green => 3,
        Color::Yellow => 4,
        Color::Blue => 5,
        Color::Magenta => 6,
        Color::Cyan => 7,
        Color::Gray => 8,
        Color::DarkGray => 9,
        Color::LightRed => 10,
        Color::LightGreen => 11,
        Color::LightYellow => 12,
        Color::LightBlue => 13,
        Color::LightMagenta => 14,
        Color::LightCyan => 15,
        Color::White => 16,
        Color::Indexed(i) => 0x100 + u32::from(i),
        Color::Rgb(r, g, b) => 0x0100_0000 | u32::from_be_bytes([0, r, g, b]),
    }
}

fn color_of(code: u32) -> Option<Color> {
    const NAMED: [Color; 17] = [
        Color::Reset,
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match code {
        0..=16 => NAMED.get(code as usize).copied(),
        0x100..=0x1ff => u8::try_from(code - 0x100).ok().map(Color::Indexed),
        0x0100_0000..=0x01ff_ffff => {
            let [_, r, g, b] = (code & 0x00ff_ffff).to_be_bytes();
            Some(Color::Rgb(r, g, b))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use ratatui::style::Style;

    use super::*;

    fn screen() -> Buffer {
        let mut b = Buffer::empty(Rect::new(0, 0, 12, 3));
        b.set_string(
            0,
            0,
            "Synthetic é",
            Style::default().fg(Color::Rgb(1, 2, 3)),
        );
        b.set_string(0, 1, "世界", Style::default().bg(Color::Indexed(200)));
        b.set_string(
            0,
            2,
            "bold",
            Style::default()
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
                .fg(Color::LightCyan),
        );
        b
    }

    #[test]
    fn only_the_variables_that_change_frames_are_in_the_key() {
        for name in [
            "TERM",
            "COLORTERM",
            "NO_COLOR",
            "LANG",
            "LC_ALL",
            "LC_MESSAGES",
            "XDG_DATA_HOME",
            "HOME",
            "TMUX",
            "AIWATCH_TUI_TEST_LIBRARY_GATE",
        ] {
            assert!(decides_frames(name), "{name}");
        }
        for name in [
            "OLDPWD",
            "PWD",
            "_",
            "SHLVL",
            "SSH_CONNECTION",
            "SSH_CLIENT",
            "TMUX_PANE",
            "WINDOWID",
            "PATH",
        ] {
            assert!(!decides_frames(name), "{name}");
        }
    }

    #[test]
    fn a_screen_comes_back_under_its_key_only() {
        let key = Key([7; 16]);
        let bytes = encode(key, &screen()).unwrap();
        assert_eq!(decode(key, &bytes), Some(screen()));
        assert_eq!(decode(Key([8; 16]), &bytes), None);
    }

    #[test]
    fn every_colour_survives() {
        for code in (0..=16)
            .chain(0x100..=0x1ff)
            .chain([0x0100_0000, 0x01ab_cdef])
        {
            let color = color_of(code).unwrap();
            assert_eq!(color_code(color), code);
        }
        assert_eq!(color_of(17), None);
        assert_eq!(color_of(0x0200_0000), None);
    }

    #[test]
    fn short_long_and_garbage_files_are_not_painted() {
        let key = Key([7; 16]);
        let bytes = encode(key, &screen()).unwrap();
        for cut in 0..bytes.len() {
            assert_eq!(decode(key, &bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(key, &longer), None);
        // Every byte flipped in turn: never a panic, and a screen only
        // when the flip left a valid file (a symbol or colour changed).
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0xa5;
            let _ = decode(key, &flipped);
        }
        let mut noise = 0x2545_f491_u32;
        for len in [0, 1, 37, HEADER, 500, 5_000] {
            let junk: Vec<u8> = (0..len)
                .map(|_| {
                    noise ^= noise << 13;
                    noise ^= noise >> 17;
                    noise ^= noise << 5;
                    noise.to_le_bytes()[0]
                })
                .collect();
            assert_eq!(decode(key, &junk), None);
        }
    }

    #[test]
    fn a_file_with_a_control_character_in_a_cell_is_not_painted() {
        let key = Key([9; 16]);
        for evil in [
            "\u{1b}]2;PWNED\u{7}A",
            "\u{7}",
            "\t",
            "\n",
            "\u{7f}",
            "\u{9b}2J",
        ] {
            let mut buffer = screen();
            // Written as a file would hold it: the encoder refuses it.
            buffer.content[1].set_symbol(evil);
            assert_eq!(encode(key, &buffer), None, "{evil:?} kept");
            buffer.content[1].set_symbol("x");
            let mut bytes = encode(key, &buffer).unwrap();
            let at = bytes[HEADER..].iter().position(|&b| b == b'x').unwrap() + HEADER;
            assert_eq!(bytes[at - 1], 1, "the symbol's length");
            bytes[at - 1] = u8::try_from(evil.len()).unwrap();
            bytes.splice(at..=at, evil.bytes());
            assert_eq!(decode(key, &bytes), None, "{evil:?} painted");
        }
        // The same file with a printable symbol there is painted.
        let bytes = encode(key, &screen()).unwrap();
        assert!(decode(key, &bytes).is_some());
    }

    #[test]
    fn a_screen_past_the_bound_is_not_kept_nor_read() {
        let key = Key([1; 16]);
        let big = Buffer::empty(Rect::new(0, 0, 1000, 101));
        assert_eq!(encode(key, &big), None);
        // A header that claims too many cells is refused before anything
        // is allocated for them.
        let mut bytes = encode(key, &screen()).unwrap();
        bytes[HEADER - 4..HEADER].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(decode(key, &bytes), None);
        let mut long_symbol = Buffer::empty(Rect::new(0, 0, 1, 1));
        long_symbol.content[0].set_symbol(&"e\u{301}".repeat(20));
        assert_eq!(encode(key, &long_symbol), None);
    }

    #[test]
    fn files_are_read_bounded_and_saved_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache").join("first-screen.bin");
        let key = Key([3; 16]);
        assert_eq!(load(&path, key), None);
        save(&path, key, &screen()).unwrap();
        assert_eq!(load(&path, key), Some(screen()));
        assert_eq!(load(&path, Key([4; 16])), None);
        std::fs::write(&path, vec![0u8; MAX_FILE + 10]).unwrap();
        assert_eq!(load(&path, key), None);
        // Too large to keep: the older screen goes, so it is never painted.
        save(&path, key, &screen()).unwrap();
        save(&path, key, &Buffer::empty(Rect::new(0, 0, 1000, 101))).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn the_key_follows_every_input() {
        let inputs = Inputs {
            args: vec!["aiwatch-tui".into()],
            config: Some(b"theme = 'dark'".to_vec()),
            store: [FileStamp::default(); 2],
            state_file: FileStamp::default(),
            size: (80, 24),
        };
        let base = key(&inputs);
        assert_eq!(key(&inputs.clone()), base);
        let changed = [
            Inputs {
                config: Some(b"theme = 'light'".to_vec()),
                ..inputs.clone()
            },
            Inputs {
                config: None,
                ..inputs.clone()
            },
            Inputs {
                args: vec!["aiwatch-tui".into(), "--no-mouse".into()],
                ..inputs.clone()
            },
            Inputs {
                size: (81, 24),
                ..inputs.clone()
            },
            Inputs {
                store: [
                    FileStamp {
                        exists: true,
                        ..FileStamp::default()
                    },
                    FileStamp::default(),
                ],
                ..inputs.clone()
            },
            Inputs {
                state_file: FileStamp {
                    len: 1,
                    ..FileStamp::default()
                },
                ..inputs.clone()
            },
        ];
        for other in changed {
            assert_ne!(key(&other), base, "{other:?}");
        }
    }
}
