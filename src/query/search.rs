//! Text search over sections, ignoring case and diacritics (`sudkorea`
//! finds `Südkorea`, `muller` finds `Müller`). Shared by the reader and
//! the `list --search` command; folding itself is `text::fold`.

use crate::content::{Library, SectionId};
use crate::text::fold;

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

/// Folded text of every section of a library, built once (on all cores)
/// the first time a search runs, then shared.
pub fn build_index(library: &Library) -> Vec<String> {
    let n = library.sections.len();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = n.div_ceil(threads).max(256);
    let ids: Vec<SectionId> = (0..n).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&s| searchable_text(library, s))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

impl SearchQuery {
    /// Whether a section's folded text (from `build_index`) matches.
    pub fn matches_folded(&self, folded: &str) -> bool {
        self.words.iter().all(|w| folded.contains(w.as_str()))
    }

    /// Whether every word of `self` contains the word of `other` at the same
    /// place: then `self` can only match where `other` matched (typing on).
    pub fn narrows(&self, other: &Self) -> bool {
        other.words.len() <= self.words.len()
            && other
                .words
                .iter()
                .zip(&self.words)
                .all(|(o, s)| s.contains(o.as_str()))
    }

    /// Character ranges (start, end) in `text` where a query word occurs,
    /// matching as search does (ignoring case and diacritics).
    pub fn find_in(&self, text: &str) -> Vec<(usize, usize)> {
        // Fold character by character, remembering which original
        // character each folded byte came from.
        let mut folded = String::new();
        let mut origin: Vec<usize> = Vec::new();
        for (i, c) in text.chars().enumerate() {
            let before = folded.len();
            crate::text::fold::fold_char(c, &mut folded);
            origin.resize(origin.len() + folded.len() - before, i);
        }
        let mut ranges = Vec::new();
        for word in &self.words {
            let mut from = 0;
            while let Some(pos) = folded[from..].find(word.as_str()) {
                let start = from + pos;
                let end = start + word.len();
                ranges.push((origin[start], origin[end - 1] + 1));
                from = end;
            }
        }
        ranges.sort_unstable();
        ranges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_queries_match_everything() {
        assert_eq!(SearchQuery::new("  "), None);
        assert!(SearchQuery::new("Grok H100").is_some());
    }
}
