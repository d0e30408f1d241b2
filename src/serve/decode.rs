//! Bytes from an SSH channel into the reader's inputs, with termina's
//! stateful parser (escape sequences split across packets, UTF-8, SGR
//! mouse, bracketed paste). Capped so a client cannot grow it without end.

use termina::Parser;
use termina::event::{
    Event, KeyCode as TKey, KeyEventKind, Modifiers, MouseButton, MouseEventKind,
};

use crate::input::{Input, Key, KeyCode, Mouse, MouseKind};

/// Bytes held for one incomplete sequence, at most; more starts afresh.
pub const MAX_PENDING: usize = 4096;

/// Bytes of one paste kept, at most; the rest is discarded, but the paste
/// still lasts until its end marker (its text is never keys).
pub const MAX_PASTE: usize = crate::input::MAX_PASTE;

const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

#[derive(Debug, Default)]
pub struct Decoder {
    parser: Parser,
    /// Bytes fed since the last complete event.
    pending: usize,
    /// Those bytes themselves (at most `MAX_PENDING`): what the parser
    /// holds, released as keys if a pause leaves it unfinished.
    raw: Vec<u8>,
    /// Inside a bracketed paste: its text so far (capped at `MAX_PASTE`).
    paste: Option<Vec<u8>>,
    /// The end of the last read when it may begin a paste marker split
    /// across reads; at most one marker long.
    held: Vec<u8>,
}

impl Decoder {
    /// Feeds bytes; returns the inputs they complete. A lone Esc stays
    /// pending until `flush` (it may start a sequence).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Input> {
        self.feed_with(bytes, true)
    }

    /// Feeds bytes past the input budget: keys among them are dropped,
    /// but paste markers are still followed, so a paste longer than the
    /// burst still ends (its text is capped anyway) rather than leaving
    /// every later key inside a paste that never closes.
    pub fn feed_over_budget(&mut self, bytes: &[u8]) -> Vec<Input> {
        self.feed_with(bytes, false)
    }

    fn feed_with(&mut self, bytes: &[u8], keys: bool) -> Vec<Input> {
        let mut inputs = Vec::new();
        // Paste markers are found here rather than by the parser, so a
        // paste of any length and split across any reads stays text.
        let mut data = std::mem::take(&mut self.held);
        data.extend_from_slice(bytes);
        let mut rest = &data[..];
        while !rest.is_empty() {
            if let Some(text) = self.paste.as_mut() {
                if let Some(at) = find(rest, PASTE_END) {
                    keep(text, &rest[..at]);
                    let text = self.paste.take().unwrap_or_default();
                    // Each invalid byte becomes U+FFFD (3 bytes): capped
                    // again once it is text.
                    let text = String::from_utf8_lossy(&text).into_owned();
                    inputs.push(Input::Paste(crate::input::cap_paste(text)));
                    rest = &rest[at + PASTE_END.len()..];
                } else {
                    let split = rest.len() - partial_marker(rest, PASTE_END);
                    keep(text, &rest[..split]);
                    self.held = rest[split..].to_vec();
                    rest = &[];
                }
            } else if let Some(at) = find(rest, PASTE_START) {
                if keys {
                    inputs.extend(self.parse(&rest[..at]));
                }
                self.paste = Some(Vec::new());
                rest = &rest[at + PASTE_START.len()..];
            } else {
                let split = rest.len() - partial_marker(rest, PASTE_START);
                if keys {
                    inputs.extend(self.parse(&rest[..split]));
                }
                self.held = rest[split..].to_vec();
                rest = &[];
            }
        }
        inputs
    }

    /// A byte at a time, so what the parser holds is known exactly
    /// (however the bytes were cut into reads).
    fn parse(&mut self, bytes: &[u8]) -> Vec<Input> {
        let mut inputs = Vec::new();
        for &b in bytes {
            self.parser.parse(&[b], true);
            self.pending += 1;
            self.raw.push(b);
            inputs.extend(self.drain());
            if self.pending > MAX_PENDING {
                // An unterminated sequence: drop it.
                self.parser = Parser::default();
                self.pending = 0;
                self.raw.clear();
            }
        }
        inputs
    }

    /// Whether bytes wait for more (a lone Esc, part of a sequence or of a
    /// paste marker): then a pause completes them (`flush`).
    pub fn waiting(&self) -> bool {
        self.paste.is_none() && (!self.held.is_empty() || self.pending > 0)
    }

    /// Called after a short pause: what is pending is complete (a lone Esc).
    /// Inside a paste nothing is complete until its end marker.
    pub fn flush(&mut self) -> Vec<Input> {
        if self.paste.is_some() {
            return Vec::new();
        }
        let held = std::mem::take(&mut self.held);
        self.raw.extend_from_slice(&held);
        self.parser.parse(&held, false);
        let mut inputs = self.drain();
        // A sequence still unfinished after the pause (ESC `[` is Alt-[)
        // is the keys it is made of: held on, it would swallow the next key.
        if !self.raw.is_empty() {
            self.parser = Parser::default();
            inputs.extend(release(&std::mem::take(&mut self.raw)));
        }
        // What is left after the pause is complete or dropped: nothing
        // waits any more.
        self.pending = 0;
        inputs
    }

    fn drain(&mut self) -> Vec<Input> {
        let mut inputs = Vec::new();
        while let Some(event) = self.parser.pop() {
            self.pending = 0;
            self.raw.clear();
            inputs.extend(convert(&event));
        }
        inputs
    }
}

/// The keys of an unfinished sequence: Esc and a printable character are
/// Alt and that character (as a terminal sends Alt-key); the rest is
/// read afresh with nothing more to come.
fn release(raw: &[u8]) -> Vec<Input> {
    let mut inputs = Vec::new();
    let mut rest = raw;
    if let [0x1b, c, tail @ ..] = raw
        && c.is_ascii_graphic()
    {
        let c = char::from(*c);
        inputs.push(Input::Key(Key::new(
            KeyCode::Char(c),
            false,
            true,
            c.is_ascii_uppercase(),
        )));
        rest = tail;
    }
    let mut parser = Parser::default();
    parser.parse(rest, false);
    while let Some(event) = parser.pop() {
        inputs.extend(convert(&event));
    }
    inputs
}

/// Appends what fits under `MAX_PASTE`; the rest of a long paste is dropped.
fn keep(text: &mut Vec<u8>, bytes: &[u8]) {
    let room = MAX_PASTE.saturating_sub(text.len());
    text.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How many bytes at the end of `bytes` are a proper beginning of `marker`.
fn partial_marker(bytes: &[u8], marker: &[u8]) -> usize {
    (1..marker.len().min(bytes.len() + 1))
        .rev()
        .find(|&n| bytes.ends_with(&marker[..n]))
        .unwrap_or(0)
}

fn convert(event: &Event) -> Option<Input> {
    match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            let code = match k.code {
                TKey::Char(c) => KeyCode::Char(c),
                TKey::Enter => KeyCode::Enter,
                TKey::Backspace => KeyCode::Backspace,
                TKey::Tab => KeyCode::Tab,
                TKey::BackTab => KeyCode::BackTab,
                TKey::Escape => KeyCode::Esc,
                TKey::Left => KeyCode::Left,
                TKey::Right => KeyCode::Right,
                TKey::Up => KeyCode::Up,
                TKey::Down => KeyCode::Down,
                TKey::Home => KeyCode::Home,
                TKey::End => KeyCode::End,
                TKey::PageUp => KeyCode::PageUp,
                TKey::PageDown => KeyCode::PageDown,
                TKey::Insert => KeyCode::Insert,
                TKey::Delete => KeyCode::Delete,
                TKey::Function(n) => KeyCode::F(n),
                _ => return None,
            };
            let m = k.modifiers;
            Some(Input::Key(Key::new(
                code,
                m.contains(Modifiers::CONTROL),
                m.contains(Modifiers::ALT),
                m.contains(Modifiers::SHIFT),
            )))
        }
        Event::Mouse(m) => {
            let kind = match m.kind {
                MouseEventKind::Down(MouseButton::Left) => MouseKind::Click,
                MouseEventKind::ScrollUp => MouseKind::ScrollUp,
                MouseEventKind::ScrollDown => MouseKind::ScrollDown,
                _ => return None,
            };
            Some(Input::Mouse(Mouse {
                kind,
                x: m.column,
                y: m.row,
            }))
        }
        // Pastes are found before the parser (`Decoder::feed`); nothing
        // else here is an input.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(inputs: Vec<Input>) -> Vec<String> {
        inputs
            .into_iter()
            .map(|i| match i {
                Input::Key(k) => k.to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn keys_split_across_packets_come_out_whole() {
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b[").is_empty());
        assert_eq!(keys(d.feed(b"Bj")), ["↓", "j"]);
        assert_eq!(keys(d.feed("ü\x03".as_bytes())), ["ü", "ctrl-c"]);
        assert_eq!(keys(d.feed(b"\x1b[6~\x1b[Z")), ["pgdn", "shift-tab"]);
    }

    #[test]
    fn a_lone_escape_waits_for_the_pause() {
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b").is_empty());
        assert!(d.waiting());
        assert_eq!(keys(d.flush()), ["esc"]);
        assert!(!d.waiting());
    }

    #[test]
    fn an_unfinished_sequence_is_released_after_the_pause() {
        let alt_bracket = Input::Key(Key::new(KeyCode::Char('['), false, true, false));
        // Alt-[ (ESC [), then a pause: Alt-[, and the next key is itself.
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b[").is_empty());
        assert!(d.waiting());
        assert_eq!(d.flush(), std::slice::from_ref(&alt_bracket));
        assert_eq!(keys(d.feed(b"q")), ["q"]);
        // Not a paste-marker prefix: the parser holds it, the same end.
        assert!(d.feed(b"j\x1b[1;").len() == 1);
        assert!(d.waiting());
        let released = d.flush();
        assert_eq!(released[0], alt_bracket);
        assert_eq!(keys(released[1..].to_vec()), ["1", ";"]);
        assert_eq!(keys(d.feed(b"q")), ["q"]);
        // Within the pause the rest still joins it.
        assert!(d.feed(b"\x1b[").is_empty());
        assert_eq!(keys(d.feed(b"A")), ["↑"]);
    }

    #[test]
    fn a_paste_marker_cut_after_its_escape_is_still_a_paste() {
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b").is_empty());
        let inputs = d.feed(b"[200~q\x1b[201~");
        assert_eq!(inputs, [Input::Paste("q".into())]);
    }

    #[test]
    fn a_paste_is_not_a_sequence_of_commands() {
        let mut d = Decoder::default();
        assert_eq!(
            d.feed(b"\x1b[200~qqq\x1b[201~"),
            [Input::Paste("qqq".into())]
        );
        // A long paste, split across reads anywhere (markers too), is one
        // paste: kept up to the cap, never keys, however long it lasts.
        let mut body = Vec::new();
        for _ in 0..40 {
            body.extend_from_slice(&[b'x'; 1000]);
            body.push(b'q');
        }
        let mut all = b"j\x1b[200~".to_vec();
        all.extend_from_slice(&body);
        all.extend_from_slice(b"\x1b[201~k");
        for chunk in [1, 3, 7, 1000, 4096] {
            let mut d = Decoder::default();
            let mut out = Vec::new();
            for piece in all.chunks(chunk) {
                out.extend(d.feed(piece));
                assert!(d.pending <= MAX_PENDING && d.held.len() < PASTE_END.len());
                assert!(d.paste.as_ref().is_none_or(|p| p.len() <= MAX_PASTE));
            }
            out.extend(d.flush());
            assert_eq!(out.len(), 3, "chunks of {chunk}");
            assert_eq!(keys(vec![out[0].clone()]), ["j"]);
            let kept = String::from_utf8_lossy(&body[..MAX_PASTE]).into_owned();
            assert!(out[1] == Input::Paste(kept), "chunks of {chunk}");
            assert_eq!(keys(vec![out[2].clone()]), ["k"]);
        }
    }

    #[test]
    fn a_paste_past_the_input_budget_still_ends_and_drops_only_keys() {
        let mut d = Decoder::default();
        let mut out = d.feed(b"\x1b[200~abc");
        // The rest came past the budget: its text is capped anyway, and
        // its end marker still closes the paste; keys after it are dropped.
        out.extend(d.feed_over_budget(b"def\x1b[20"));
        out.extend(d.feed_over_budget(b"1~qq"));
        assert_eq!(out, [Input::Paste("abcdef".into())]);
        // Within the budget again: keys are keys.
        assert_eq!(d.feed(b"q"), [Input::Key(Key::char('q'))]);
    }

    #[test]
    fn escape_sequences_still_work_around_paste_markers() {
        let mut d = Decoder::default();
        // A prefix of the start marker that turns out to be another key.
        assert!(d.feed(b"\x1b[2").is_empty());
        assert_eq!(keys(d.feed(b"~")), ["ins"]);
        assert!(d.feed(b"\x1b").is_empty());
        assert_eq!(keys(d.flush()), ["esc"]);
        // Inside a paste a pause completes nothing: the end marker may follow.
        assert!(d.feed(b"\x1b[200~ab\x1b").is_empty());
        assert!(d.flush().is_empty());
        assert_eq!(d.feed(b"[201~"), [Input::Paste("ab".into())]);
    }
}
