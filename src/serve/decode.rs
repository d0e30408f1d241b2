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

#[derive(Debug, Default)]
pub struct Decoder {
    parser: Parser,
    /// Bytes fed since the last complete event.
    pending: usize,
}

impl Decoder {
    /// Feeds bytes; returns the inputs they complete. A lone Esc stays
    /// pending until `flush` (it may start a sequence).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Input> {
        self.parser.parse(bytes, true);
        self.pending += bytes.len();
        let inputs = self.drain();
        if self.pending > MAX_PENDING {
            // An unterminated sequence (a paste that never ends): drop it.
            self.parser = Parser::default();
            self.pending = 0;
        }
        inputs
    }

    /// Called after a short pause: what is pending is complete (a lone Esc).
    pub fn flush(&mut self) -> Vec<Input> {
        self.parser.parse(&[], false);
        self.drain()
    }

    fn drain(&mut self) -> Vec<Input> {
        let mut inputs = Vec::new();
        while let Some(event) = self.parser.pop() {
            self.pending = 0;
            inputs.extend(convert(&event));
        }
        inputs
    }
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
        // Pastes are not keys: a pasted "q" must not quit.
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
        assert_eq!(keys(d.flush()), ["esc"]);
    }

    #[test]
    fn a_paste_is_not_a_sequence_of_commands() {
        let mut d = Decoder::default();
        assert!(d.feed(b"\x1b[200~qqq\x1b[201~").is_empty());
        // An endless paste is dropped, not buffered forever.
        d.feed(b"\x1b[200~");
        for _ in 0..10 {
            d.feed(&[b'x'; 1000]);
        }
        assert!(d.pending <= MAX_PENDING);
        assert_eq!(keys(d.feed(b"j")), ["j"]);
    }
}
