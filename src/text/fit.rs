//! Fitting text into a number of terminal columns: cut with "…", or
//! shorten at a word boundary. Widths are display columns.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Cuts text to `max` columns, ending with "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        used += w;
        out.push(c);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// Shortens text to `max` columns at a word boundary, ending with "…"
/// when anything was left out; a single word longer than `max` is cut
/// (still with "…"). Never cuts a word silently.
pub fn shorten(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    for word in text.split_inclusive(' ') {
        let candidate = format!("{out}{word}");
        if candidate.trim_end().width() + 1 > max {
            break;
        }
        out = candidate;
    }
    let out = out.trim_end_matches([' ', ',', ';', ':', '·', '(']);
    if out.is_empty() {
        truncate(text, max)
    } else {
        format!("{out}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("漢字漢字", 5), "漢字…");
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn shorten_keeps_words_whole() {
        assert_eq!(
            shorten("Link copied (42 bytes).", 30),
            "Link copied (42 bytes)."
        );
        assert_eq!(shorten("Link copied (42 bytes).", 14), "Link copied…");
        assert_eq!(shorten("Unbreakable", 6), "Unbre…");
        assert_eq!(shorten("a b", 0), "");
    }
}
