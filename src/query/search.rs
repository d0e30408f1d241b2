//! Text search over sections, ignoring case and diacritics (`sudkorea`
//! finds `Südkorea`, `muller` finds `Müller`), and German umlauts written
//! out (`suedkorea`, `mueller`: a word of five letters or more with `ae`,
//! `oe` or `ue` also matches as written with `a`, `o`, `u`, the way folding
//! writes `ä`, `ö`, `ü`). Shared by the reader and
//! the `list --search` command; folding itself is `text::fold`. A library
//! whose body source searches itself (the store) is asked; otherwise each
//! section's folded text is searched here.

use crate::content::{ActorId, BodyError, Library, SectionId};
use crate::text::fold;

/// A query: every word must occur in the section (heading, body, actors or
/// topics), in any order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<String>,
    /// Per word, the same with umlauts written out folded (`suedkorea`:
    /// `sudkorea`); a word matches where either occurs.
    umlauts: Vec<Option<String>>,
}

/// Shortest word whose `ae`, `oe`, `ue` are also read as umlauts: shorter
/// ones (`does`, `blue`, `goes`) are English far more often.
const UMLAUT_WORD: usize = 5;

/// `word` with `ae`, `oe`, `ue` as folding writes `ä`, `ö`, `ü` (`a`, `o`,
/// `u`), when it is long enough and has any.
fn umlauts_folded(word: &str) -> Option<String> {
    if word.chars().count() < UMLAUT_WORD {
        return None;
    }
    let folded = word
        .replace("ae", "a")
        .replace("oe", "o")
        .replace("ue", "u");
    (folded != word).then_some(folded)
}

impl SearchQuery {
    /// `None` for a blank query, which matches everything.
    pub fn new(text: &str) -> Option<Self> {
        let words: Vec<String> = fold(text).split_whitespace().map(str::to_owned).collect();
        let umlauts = words.iter().map(|w| umlauts_folded(w)).collect();
        (!words.is_empty()).then_some(Self { words, umlauts })
    }

    /// Each word with its umlaut form, if it has one.
    fn forms(&self) -> impl Iterator<Item = (&String, Option<&String>)> {
        self.words
            .iter()
            .zip(self.umlauts.iter().map(Option::as_ref))
    }

    /// The folded words, each of which must occur.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Whether one section matches, reading its body from the library.
    pub fn matches(&self, library: &Library, section: SectionId) -> Result<bool, BodyError> {
        let haystack = searchable_text(library, section)?;
        Ok(self.matches_folded(&haystack))
    }

    /// The sections of `candidates` (kept in their order) that match: the
    /// library's body source searches when it can (the store, without
    /// reading every body), else each section's text is folded and searched.
    pub fn select(
        &self,
        library: &Library,
        candidates: &[SectionId],
    ) -> Result<Vec<SectionId>, BodyError> {
        if library.bodies().searches() {
            return self.select_in_source(library, candidates);
        }
        let mut selected = Vec::new();
        for &s in candidates {
            if self.matches(library, s)? {
                selected.push(s);
            }
        }
        Ok(selected)
    }

    /// The store holds each section's text with its actor tags as written;
    /// the names of the actors they resolve to depend on the configuration
    /// and live in the library. A word found in some actor's name matches
    /// a section tagged with that actor, or whose stored text has it.
    fn select_in_source(
        &self,
        library: &Library,
        candidates: &[SectionId],
    ) -> Result<Vec<SectionId>, BodyError> {
        let mut plain: Vec<String> = Vec::new();
        // Words searched one by one: found in actors' names, or with an
        // umlaut form (either form's sections).
        let mut in_names: Vec<(Vec<&String>, Vec<ActorId>)> = Vec::new();
        for (word, umlaut) in self.forms() {
            let forms: Vec<&String> = std::iter::once(word).chain(umlaut).collect();
            let actors: Vec<ActorId> = (0..library.actors.len())
                .filter(|&a| {
                    let name = fold(&library.actors[a].name);
                    forms.iter().any(|f| name.contains(f.as_str()))
                })
                .collect();
            if actors.is_empty() && umlaut.is_none() {
                plain.push(word.clone());
            } else {
                in_names.push((forms, actors));
            }
        }
        // Hits as one flag per section: candidates and hits can both be
        // the whole library, and this is linear in both.
        let marked = |hits: Vec<SectionId>| {
            let mut mark = vec![false; library.sections.len()];
            for s in hits {
                if let Some(m) = mark.get_mut(s) {
                    *m = true;
                }
            }
            mark
        };
        let mut selected: Vec<SectionId> = if plain.is_empty() {
            candidates.to_vec()
        } else {
            let mark = marked(library.bodies().search(&plain)?);
            candidates.iter().copied().filter(|&s| mark[s]).collect()
        };
        for (forms, actors) in in_names {
            let mut hits = Vec::new();
            for form in forms {
                hits.extend(library.bodies().search(std::slice::from_ref(form))?);
            }
            let mark = marked(hits);
            selected.retain(|&s| {
                mark[s]
                    || library.sections[s]
                        .actors
                        .iter()
                        .any(|a| actors.contains(a))
            });
        }
        Ok(selected)
    }
}

/// Everything a search looks at in a section, folded: heading, body,
/// actor tags and names, topics, one per line.
pub fn searchable_text(library: &Library, section: SectionId) -> Result<String, BodyError> {
    let body = library.body(section)?;
    let blocks = body.iter().map(crate::content::Block::text);
    Ok(fold(&searchable_raw(library, section, blocks)))
}

/// The unfolded searchable text of a section whose body blocks are given:
/// the store writes the same text (folded) into its search table.
pub fn searchable_raw<'b>(
    library: &Library,
    section: SectionId,
    body: impl IntoIterator<Item = &'b str>,
) -> String {
    let s = &library.sections[section];
    let mut text = String::with_capacity(256);
    text.push_str(&s.heading);
    for block in body {
        text.push('\n');
        text.push_str(block);
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
    text
}

/// Folded text of every section of a library, built once (on all cores)
/// the first time a search runs, then shared. Only for libraries that keep
/// their bodies in memory (loaded from files); a body that cannot be read
/// leaves its section unsearchable rather than failing the whole index.
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
                        .map(|&s| searchable_text(library, s).unwrap_or_default())
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
        self.forms().all(|(w, u)| {
            folded.contains(w.as_str()) || u.is_some_and(|u| folded.contains(u.as_str()))
        })
    }

    /// Whether every word of `self` contains the word of `other` at the same
    /// place: then `self` can only match where `other` matched (typing on).
    /// A word with an umlaut form matches more than its text: no such
    /// query is taken to narrow another.
    pub fn narrows(&self, other: &Self) -> bool {
        self.umlauts
            .iter()
            .chain(&other.umlauts)
            .all(Option::is_none)
            && other.words.len() <= self.words.len()
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
        for word in self.words.iter().chain(self.umlauts.iter().flatten()) {
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
    fn umlauts_written_out_find_the_umlaut() {
        let q = SearchQuery::new("Suedkorea").unwrap();
        assert!(q.matches_folded(&fold("Südkorea verbietet DeepSeek")));
        assert!(q.matches_folded("suedkorea"));
        assert!(!q.matches_folded("nordkorea"));
        assert!(
            SearchQuery::new("sudkorea")
                .unwrap()
                .matches_folded(&fold("Südkorea"))
        );
        assert!(
            !SearchQuery::new("Müller")
                .unwrap()
                .matches_folded(&fold("Mueller"))
        );
        assert!(
            SearchQuery::new("Mueller")
                .unwrap()
                .matches_folded(&fold("Müller"))
        );
        assert_eq!(
            SearchQuery::new("Suedkorea")
                .unwrap()
                .find_in("In Südkorea, Suedkorea"),
            [(3, 11), (13, 22)]
        );
        // Short English words are left alone.
        assert!(!SearchQuery::new("does").unwrap().matches_folded("dos"));
        // A query with an umlaut form never narrows (its hits are not a
        // subset of the shorter word's).
        let (short, long) = (
            SearchQuery::new("tuee").unwrap(),
            SearchQuery::new("tueex").unwrap(),
        );
        assert!(!long.narrows(&short));
        assert!(
            SearchQuery::new("regulat")
                .unwrap()
                .narrows(&SearchQuery::new("regu").unwrap())
        );
    }

    #[test]
    fn blank_queries_match_everything() {
        assert_eq!(SearchQuery::new("  "), None);
        assert!(SearchQuery::new("Grok H100").is_some());
    }
}
