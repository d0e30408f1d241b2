//! Folding for search: lowercase, accents and other combining marks
//! removed, and the letters that do not decompose written as their plain
//! Latin (or Greek) base, so `lodz` finds `Łódź` and `strasse` `Straße`.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for matching. Works character by character (a folded
/// character never depends on its neighbours), so callers can map folded
/// positions back to the original characters.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Runs of ASCII lowercased at once: most text is ASCII, and a feed's
    // 50,000 items are folded for the search index as they are stored.
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(ascii);
        out.push_str(run);
        let start = out.len() - run.len();
        out[start..].make_ascii_lowercase();
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            fold_char(c, &mut out);
        }
        rest = chars.as_str();
    }
    out
}

/// Appends the folded form of one character.
pub fn fold_char(c: char, out: &mut String) {
    // Most text is ASCII: no decomposition needed there.
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    for d in std::iter::once(c).nfd().filter(|d| !is_combining_mark(*d)) {
        for l in d.to_lowercase() {
            match base_letter(l) {
                Some(plain) => out.push_str(plain),
                None => out.push(l),
            }
        }
    }
}

/// Lowercase letters with no canonical decomposition that readers type
/// without their stroke or ligature.
fn base_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'ø' => "o",
        'æ' => "ae",
        'œ' => "oe",
        'đ' | 'ð' => "d",
        'ł' => "l",
        'ħ' => "h",
        'ı' => "i",
        'þ' => "th",
        'ŧ' => "t",
        // Greek final sigma is the same letter as sigma.
        'ς' => "σ",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_diacritics() {
        assert_eq!(fold("Südkorea"), "sudkorea");
        assert_eq!(fold("MÜLLER"), "muller");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("cafe\u{301}"), "cafe");
        assert_eq!(fold("漢字"), "漢字");
        assert_eq!(fold("GROSSE STRAẞE"), "grosse strasse");
        assert_eq!(fold("Ελληνικά"), "ελληνικα");
    }

    #[test]
    fn folding_runs_of_ascii_is_folding_each_character() {
        for text in [
            "",
            "ABC",
            "Südkorea MÜLLER straße",
            "ÉÉ x É",
            "a\u{301}B漢字Ω",
            "Nvidia's GPU-Preise: 😀 ÆØÅ end",
        ] {
            let mut each = String::new();
            for c in text.chars() {
                fold_char(c, &mut each);
            }
            assert_eq!(fold(text), each, "{text:?}");
        }
    }

    #[test]
    fn letters_that_do_not_decompose_fold_to_their_base() {
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("Øresund Æble"), "oresund aeble");
        assert_eq!(fold("Đorđević"), "dordevic");
        assert_eq!(fold("Œuvre"), "oeuvre");
        // Final sigma and sigma are one letter.
        assert_eq!(fold("λόγος"), fold("ΛΌΓΟΣ"));
        assert_eq!(fold("λόγος"), "λογοσ");
    }
}
