//! Text search over sections, ignoring case and diacritics (`sudkorea`
//! finds `Südkorea`, `muller` finds `Müller`). Shared by the reader and
//! the `list --search` command.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::content::{Library, SectionId};

/// Folds text for matching: lowercase, accents and other combining marks
/// removed, `ß` as `ss`.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .replace('ß', "ss")
}

/// A query: every word must occur in the section (heading, body, actors or
/// topics), in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<String>,
}

impl SearchQuery {
    /// `None` for a blank query, which matches everything.
    pub fn new(text: &str) -> Option<Self> {
        let words: Vec<String> = fold(text).split_whitespace().map(str::to_owned).collect();
        (!words.is_empty()).then_some(Self { words })
    }

    pub fn matches(&self, library: &Library, section: SectionId) -> bool {
        let haystack = searchable_text(library, section);
        self.words.iter().all(|w| haystack.contains(w.as_str()))
    }
}

/// Everything a search looks at in a section, folded.
pub fn searchable_text(library: &Library, section: SectionId) -> String {
    let s = &library.sections[section];
    let mut text = String::with_capacity(256);
    text.push_str(&s.heading);
    for block in &s.body {
        text.push('\n');
        text.push_str(block.text());
    }
    for (tag, actor) in &s.actor_tags {
        text.push('\n');
        text.push_str(tag);
        text.push('\n');
        text.push_str(&library.actors[*actor].name);
    }
    for &t in &s.topics {
        text.push('\n');
        text.push_str(&library.topics[t]);
    }
    fold(&text)
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
    }

    #[test]
    fn blank_queries_match_everything() {
        assert_eq!(SearchQuery::new("  "), None);
        assert!(SearchQuery::new("Grok H100").is_some());
    }
}
