//! Our own key type, so the app never sees a terminal library's events:
//! local crossterm events and (later) raw bytes from an SSH channel both
//! become a `Key`. Also parses and prints key names for the config.

use std::fmt;

use ratatui::crossterm::event::{KeyCode as CtCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

/// A key with its modifiers. Shift is folded into the character for
/// printable keys (`G`, not `shift-g`), so configs and terminals agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// A key name the config cannot mean: `ctrl-`, `foo`, `f99`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown key name \"{}\"", crate::toml_doc::printable(.0))]
pub struct UnknownKeyName(pub String);

/// Everything the app can receive from the outside world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Key(Key),
    /// The drawable area changed to (width, height).
    Resize(u16, u16),
    /// The terminal or connection went away, or a signal asked us to stop.
    Stop,
    /// The process was asked to stop for job control (SIGTSTP): suspended
    /// as Ctrl-Z does (`Effect::Suspend`).
    Suspend,
    /// A timer the app asked for (`Effect::Timer`) has run out.
    Timer(u64),
    /// A mouse button or wheel at a cell.
    Mouse(Mouse),
    /// Text the terminal pasted (bracketed paste): text for an input line,
    /// never keys, so a pasted "q" does not quit. At most `MAX_PASTE`
    /// bytes: the rest of a longer paste is dropped where it comes in.
    Paste(String),
    /// The search index, built in the background (`Effect::BuildSearchIndex`).
    SearchIndex(std::sync::Arc<Vec<String>>),
    /// What became of an effect the outside world carried out.
    Outcome(Outcome),
    /// How the background sync of the library store is going.
    Sync(SyncEvent),
    /// How fetching the feeds in the background is going (`Effect::FetchFeeds`).
    Fetch(FetchEvent),
    /// Inputs that came together (one read from an SSH client), applied
    /// as a whole before the next frame: a burst of typing costs one
    /// frame, not one per key.
    Batch(Vec<Input>),
}

/// Fetching every feed in the background (`runtime::refresher`), as the
/// app hears of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchEvent {
    /// Feeds done so far, of all feeds.
    Progress { done: usize, total: usize },
    /// A feed's items are being stored: how many so far (a large feed
    /// takes seconds, with no other sign of life).
    Storing { items: usize },
    /// The run is over.
    Done(FetchSummary),
    /// Nothing could be fetched (the store could not be opened, the
    /// config has errors): why.
    Failed(String),
    /// The config, read again for `r`, has errors (the first, with its
    /// place): nothing fetched.
    ConfigBroken(String),
    /// The config, read again for `r`, subscribes to no feed.
    NoFeeds,
    /// `serve` fetched on its own schedule: the library as now stored,
    /// for every session (no summary: the reader did not ask).
    Arrived(SyncedLibrary),
}

/// What one background fetch of all feeds came to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchSummary {
    /// Feeds tried.
    pub feeds: usize,
    /// Items the store did not have before.
    pub new: usize,
    /// Each failed feed: its name and the reason, one line.
    pub failures: Vec<(String, String)>,
    /// The library as now stored, when anything new came.
    pub library: Option<SyncedLibrary>,
}

/// The background sync of the library store (`runtime::syncer`), as the
/// app hears of it: the reader shows the stored library at once and takes
/// the synced one when it comes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    /// Files parsed so far, of the files the sync found new or changed.
    Progress { done: usize, total: usize },
    /// The sync is over; the library as now stored when anything changed.
    Done(Option<SyncedLibrary>),
    /// The sync is over and only the text of sections changed (no file,
    /// article, heading, date or tag came, went or moved): the library
    /// shown still holds; its bodies and searches are read again.
    TextChanged,
    /// The sync could not be done (why); the stored library stays shown.
    Failed(String),
    /// Files changed, but another program holds the store's write lock:
    /// the stored library stays shown and the sync tries again until the
    /// lock is free (then `Done` or `TextChanged` follows).
    Busy,
}

/// A library read back after a sync; equal only to itself.
#[derive(Debug, Clone)]
pub struct SyncedLibrary(pub std::sync::Arc<crate::content::Library>);

impl PartialEq for SyncedLibrary {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SyncedLibrary {}

/// Bytes of one paste kept, at most, locally and over SSH alike.
pub const MAX_PASTE: usize = 4096;

/// A paste cut to `MAX_PASTE` bytes (at a character boundary).
pub fn cap_paste(mut text: String) -> String {
    let end = crate::text::cut_at_char(&text, MAX_PASTE).len();
    text.truncate(end);
    text
}

/// The result of an effect, reported back so the app (not the driver)
/// decides what the user is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `Effect::Copy` went out as OSC 52; inside tmux it needs a setting.
    Copied { bytes: usize, in_tmux: bool },
    /// A browser was started for `Effect::OpenUrl`.
    Opened,
    /// No display for a browser: the link was copied instead.
    NoDisplay,
    /// The browser could not be started (the link was copied instead).
    OpenFailed(String),
    /// `Effect::Save` failed.
    SaveFailed(String),
    /// Another program holds the store's write lock: the save is put
    /// off and tried again (said once a wait).
    SavePutOff,
    /// A save put off has landed.
    SaveLanded,
    /// The client's window is larger than the server draws: clamped to this.
    WindowClamped { width: u16, height: u16 },
    /// The local terminal is larger than the reader draws
    /// (`runtime::local::MAX_SIZE`): drawn at this size.
    WindowBounded { width: u16, height: u16 },
    /// The client's window fits again: a clamp notice still shown goes.
    WindowFits,
    /// The server closes in this many seconds (it drains before a stop or
    /// a restart): connect again to go on reading.
    ServerClosing { seconds: u64 },
}

/// What the mouse did, and where (column, row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mouse {
    pub kind: MouseKind,
    pub x: u16,
    pub y: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    Click,
    ScrollUp,
    ScrollDown,
}

impl Mouse {
    /// From a crossterm mouse event; moves, drags and other buttons are ignored.
    pub fn from_crossterm(event: &ratatui::crossterm::event::MouseEvent) -> Option<Self> {
        use ratatui::crossterm::event::{MouseButton, MouseEventKind};
        let kind = match event.kind {
            MouseEventKind::Down(MouseButton::Left) => MouseKind::Click,
            MouseEventKind::ScrollUp => MouseKind::ScrollUp,
            MouseEventKind::ScrollDown => MouseKind::ScrollDown,
            _ => return None,
        };
        Some(Self {
            kind,
            x: event.column,
            y: event.row,
        })
    }
}

impl Key {
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub const fn char(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    /// Builds a key, normalising the shift modifier: for characters the case
    /// already says it; Shift-Tab is its own key.
    pub fn new(code: KeyCode, ctrl: bool, alt: bool, shift: bool) -> Self {
        let (code, shift) = match code {
            KeyCode::Char(c) if ctrl && c.is_ascii_uppercase() => {
                (KeyCode::Char(c.to_ascii_lowercase()), true)
            }
            KeyCode::Tab if shift => (KeyCode::BackTab, false),
            KeyCode::Char(_) | KeyCode::BackTab => (code, false),
            _ => (code, shift),
        };
        Self {
            code,
            ctrl,
            alt,
            shift,
        }
    }

    /// Parses names such as `q`, `G`, `ctrl-c`, `alt-x`, `shift-up`, `space`,
    /// `enter`, `esc`, `tab`, `backtab`, `pgdn`, `f5`.
    pub fn parse(text: &str) -> Result<Self, UnknownKeyName> {
        let mut ctrl = false;
        let mut alt = false;
        let mut shift = false;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let Some((prefix, tail)) = lower.split_once('-').filter(|(_, t)| !t.is_empty()) else {
                break;
            };
            match prefix {
                "ctrl" | "c" => ctrl = true,
                "alt" | "a" | "meta" | "m" => alt = true,
                "shift" | "s" => shift = true,
                _ => break,
            }
            rest = &rest[rest.len() - tail.len()..];
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" | "bs" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" | "ins" => KeyCode::Insert,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            "minus" => KeyCode::Char('-'),
            f if f.len() >= 2
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=24).contains(&n)) =>
            {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if !c.is_control() => {
                        // Shift is in the character (`shift-g` is `G`);
                        // with Ctrl, `Key::new` keeps it as a modifier.
                        let c = if shift {
                            c.to_uppercase().next().unwrap_or(c)
                        } else {
                            c
                        };
                        KeyCode::Char(c)
                    }
                    _ => return Err(UnknownKeyName(text.to_owned())),
                }
            }
        };
        Ok(Self::new(code, ctrl, alt, shift))
    }

    /// From a crossterm key event; `None` for releases and keys we ignore.
    pub fn from_crossterm(event: &KeyEvent) -> Option<Self> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        let code = match event.code {
            CtCode::Char(c) => KeyCode::Char(c),
            CtCode::Enter => KeyCode::Enter,
            CtCode::Esc => KeyCode::Esc,
            CtCode::Tab => KeyCode::Tab,
            CtCode::BackTab => KeyCode::BackTab,
            CtCode::Backspace => KeyCode::Backspace,
            CtCode::Delete => KeyCode::Delete,
            CtCode::Insert => KeyCode::Insert,
            CtCode::Up => KeyCode::Up,
            CtCode::Down => KeyCode::Down,
            CtCode::Left => KeyCode::Left,
            CtCode::Right => KeyCode::Right,
            CtCode::Home => KeyCode::Home,
            CtCode::End => KeyCode::End,
            CtCode::PageUp => KeyCode::PageUp,
            CtCode::PageDown => KeyCode::PageDown,
            CtCode::F(n) => KeyCode::F(n),
            _ => return None,
        };
        let m = event.modifiers;
        Some(Self::new(
            code,
            m.contains(KeyModifiers::CONTROL),
            m.contains(KeyModifiers::ALT),
            m.contains(KeyModifiers::SHIFT),
        ))
    }
}

/// The name a user would write in the config (and sees in help): `ctrl-c`, `G`, `pgdn`.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Insert => f.write_str("ins"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn a_long_paste_is_cut_at_a_character() {
        let long = "é".repeat(MAX_PASTE);
        let cut = cap_paste(long);
        assert!(cut.len() <= MAX_PASTE && cut.len() > MAX_PASTE - 2);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(cap_paste("musk".into()), "musk");
    }

    #[rstest]
    #[case::letter("q", Key::char('q'))]
    #[case::capital("G", Key::char('G'))]
    #[case::shift_letter("shift-g", Key::char('G'))]
    #[case::ctrl("ctrl-c", Key::new(KeyCode::Char('c'), true, false, false))]
    #[case::space("space", Key::char(' '))]
    #[case::backtab("shift-tab", Key::plain(KeyCode::BackTab))]
    #[case::page("pgdn", Key::plain(KeyCode::PageDown))]
    #[case::function("f5", Key::plain(KeyCode::F(5)))]
    #[case::bang("!", Key::char('!'))]
    #[case::dash("-", Key::char('-'))]
    fn key_names_parse(#[case] name: &str, #[case] key: Key) {
        assert_eq!(Key::parse(name), Ok(key));
    }

    #[rstest]
    #[case("ctrl-")]
    #[case("foo")]
    #[case("f99")]
    #[case("")]
    fn bad_key_names_are_refused(#[case] name: &str) {
        assert!(Key::parse(name).is_err());
    }

    #[test]
    fn crossterm_shift_letters_fold_into_the_character() {
        let event = KeyEvent::new(CtCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_crossterm(&event), Some(Key::char('G')));
    }
}
