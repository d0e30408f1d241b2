//! Terminal-safe text: every string that came from a file passes through
//! here before it can reach a screen, so no control byte from content is
//! ever written to the terminal as it is. Folding for search and fitting
//! text into columns live beside it (`fold`, `fit`): pure string functions.

pub mod fit;
pub mod fold;

pub use fit::{shorten, truncate};
pub use fold::fold;

/// Replaces control characters: tabs become spaces, newlines are kept only
/// when `keep_newlines` (bodies), and every other C0, DEL and C1 control is
/// shown as a visible symbol. Returns whether anything had to be replaced
/// (tabs and kept newlines do not count).
pub fn sanitize(input: &str, keep_newlines: bool) -> (String, bool) {
    if is_clean(input.as_bytes(), keep_newlines) {
        return (input.to_owned(), false);
    }
    let mut out = String::with_capacity(input.len());
    let mut replaced = false;
    for c in input.chars() {
        match c {
            '\n' if keep_newlines => out.push('\n'),
            '\r' if keep_newlines => {} // CRLF line endings: the \n is kept
            '\t' | '\n' | '\r' => out.push(' '),
            c if is_control(c) => {
                replaced = true;
                out.push(visible_symbol(c));
            }
            c => out.push(c),
        }
    }
    (out, replaced)
}

/// Drops bidi controls; where a dropped run stood between two spaces, one
/// of them goes too, so `Reversed \u{202c} heading` does not become
/// `Reversed  heading`. Double spaces the author wrote are kept.
pub fn without_bidi_controls(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    // A run of controls was just dropped right after a space.
    let mut after_space_gap = false;
    for c in text.chars() {
        if is_bidi_control(c) {
            after_space_gap |= kept.ends_with(' ');
            continue;
        }
        if !(after_space_gap && c == ' ') {
            kept.push(c);
        }
        after_space_gap = false;
    }
    kept
}

/// U+202A-U+202E (embeddings, overrides) and U+2066-U+2069 (isolates).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// [`sanitize`] and [`without_bidi_controls`]: text from a feed or a
/// name, safe to show, with nothing to warn about (no author to tell).
pub fn screen_safe(input: &str, keep_newlines: bool) -> String {
    let (text, _) = sanitize(input, keep_newlines);
    if text.contains(is_bidi_control) {
        without_bidi_controls(&text)
    } else {
        text
    }
}

/// Seconds as people say them: "15 min", "4 h", "20 s".
pub fn human_seconds(s: u64) -> String {
    if s >= 3600 && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if s >= 60 && s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// A byte scan for the common case of nothing to replace: no C0 byte
/// (newlines allowed when kept), no DEL, and no C1 (UTF-8 `C2 80`-`C2 9F`).
fn is_clean(bytes: &[u8], keep_newlines: bool) -> bool {
    let mut previous = 0u8;
    for &b in bytes {
        let bad = (b < 0x20 && !(keep_newlines && b == b'\n'))
            || b == 0x7f
            || (previous == 0xc2 && (0x80..=0x9f).contains(&b));
        if bad {
            return false;
        }
        previous = b;
    }
    true
}

/// C0 (other than tab and newline, handled by the caller), DEL and C1.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// The Unicode "control picture" for C0 and DEL (␛ for ESC), else U+FFFD.
fn visible_symbol(c: char) -> char {
    match c {
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        _ => '\u{fffd}',
    }
}

/// `text` up to `limit` bytes, ending on a character's boundary.
pub fn cut_at_char(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_symbols() {
        let (s, replaced) = sanitize("a\u{1b}]52;c;AAA\u{7}b\u{9b}2J", false);
        assert!(replaced);
        assert_eq!(s, "a\u{241b}]52;c;AAA\u{2407}b\u{fffd}2J");
        assert!(!s.chars().any(is_control));
    }

    #[test]
    fn tabs_and_newlines() {
        assert_eq!(sanitize("a\tb\r\nc", true), ("a b\nc".to_owned(), false));
        assert_eq!(sanitize("a\nb", false), ("a b".to_owned(), false));
        assert_eq!(
            sanitize("plain ü 漢字", false),
            ("plain ü 漢字".to_owned(), false)
        );
    }
}
