//! The library: every loaded article and section, tags interned, and the
//! orders and groupings derived once at load (timeline, editions by
//! language). Read-only after `build`; filtering happens in the app.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::parse::{ParsedFile, RawArticle};
use super::{
    ActorDirectory, ActorId, ActorInfo, Article, Block, Bodies, BodyError, Section, SectionId,
    TopicId, tag_key,
};
use crate::diag::{Diagnostic, Severity};

/// Serialised (without bodies and fetched items) as the library store's
/// index image; see `library_store::image`.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Library {
    #[serde(deserialize_with = "reserved_vec")]
    pub articles: Vec<Article>,
    #[serde(deserialize_with = "reserved_vec")]
    pub sections: Vec<Section>,
    /// Topic display names (first spelling seen), sorted case-insensitively.
    pub topics: Vec<String>,
    pub actors: Vec<ActorInfo>,
    /// Every section in timeline order: date, then article, then position.
    #[serde(deserialize_with = "reserved_vec")]
    pub timeline: Vec<SectionId>,
    /// Each section's position in `timeline`.
    #[serde(deserialize_with = "reserved_vec")]
    pub timeline_rank: Vec<usize>,
    /// Errors and warnings from loading, in file order.
    pub diagnostics: Vec<Diagnostic>,
    pub files_loaded: usize,
    pub files_skipped: usize,
    /// Content folders (or folders below them) that could not be read.
    pub folders_unreadable: usize,
    /// The language subtags present, sorted (`["de", "en"]`), without
    /// "und" (undetermined).
    languages: Vec<String>,
    /// Where the sections' bodies are read from (`Library::body`).
    #[serde(skip)]
    bodies: Bodies,
    /// Feeds and stories of fetched sections (set by the library store).
    #[serde(skip)]
    pub fetched: super::fetched::Fetched,
    /// The sections' tags and dates in one dense array, made on first use
    /// (`Library::bits`); never stored in the index image, made again.
    #[serde(skip)]
    bits: OnceLock<super::bits::SectionBits>,
    /// When the library store's read of this library began (none for one
    /// loaded from files). A read that began later holds every change
    /// committed before it, so of two libraries read back in the
    /// background (a sync's, a fetch's) the later one is the one to show.
    #[serde(skip)]
    pub read_at: ReadAt,
}

/// When the library store's read of a library began (`Library::read_at`).
/// Printed as nothing: two reads of one store are the same library.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReadAt(pub Option<std::time::Instant>);

impl std::fmt::Debug for ReadAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadAt")
    }
}

/// The most bytes a decoded vector reserves ahead from the length its
/// encoding gives (that length comes from stored bytes, so it is bounded):
/// more than a library of 1,000,000 sections needs.
const MOST_RESERVED_BYTES: usize = 512 << 20;

/// A vector decoded with its whole length reserved at once (up to
/// `MOST_RESERVED_BYTES`), not grown by doubling from the 1 MiB serde
/// reserves: at 1,000,000 sections the growing copied `sections` (150 MB)
/// again and again and held two copies at its peak.
fn reserved_vec<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct Reserved<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Reserved<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a sequence")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let most = MOST_RESERVED_BYTES / std::mem::size_of::<T>().max(1);
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(most));
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(items)
        }
    }
    deserializer.deserialize_seq(Reserved(std::marker::PhantomData))
}

/// The sections a reader sees in one language: one article per id, in the
/// chosen language where it exists, else in the language it has.
#[derive(Debug, Clone, Default)]
pub struct Edition {
    pub lang: String,
    /// Sections of the chosen articles, in timeline order.
    pub sections: Vec<SectionId>,
    /// Their masks and dates in the same order, for passes over the edition.
    pub bits: super::bits::EditionBits,
}

impl Library {
    /// Assembles parsed files: interns tags, rejects (id, lang) clashes,
    /// and derives the timeline.
    pub fn build<'p>(
        files: impl IntoIterator<Item = (&'p str, ParsedFile)>,
        mut diagnostics: Vec<Diagnostic>,
        directory: &ActorDirectory,
    ) -> Self {
        // What the loader passes in is about folders, and files it found
        // but could not read (a pipe, a broken link): skipped files.
        let folders = diagnostics
            .iter()
            .filter(|d| crate::content::load::is_folder_problem(d))
            .count();
        let mut lib = Self {
            folders_unreadable: folders,
            files_skipped: diagnostics.len() - folders,
            ..Self::default()
        };
        let mut interner = Interner::new(directory, &mut lib.actors);
        let mut topic_keys = TagCache::default();
        let mut seen: HashMap<(String, String), String> = HashMap::new();
        let mut bodies: Vec<Vec<Block>> = Vec::new();
        for (path, parsed) in files {
            diagnostics.extend(parsed.diagnostics);
            let Some(raw) = parsed.article else {
                lib.files_skipped += 1;
                continue;
            };
            let key = (raw.id.clone(), raw.lang.to_ascii_lowercase());
            if let Some(first) = seen.get(&key) {
                diagnostics.push(clash(path, &raw, first));
                lib.files_skipped += 1;
                continue;
            }
            seen.insert(key, path.to_owned());
            lib.files_loaded += 1;
            lib.add_article(raw, &mut interner, &mut topic_keys, &mut bodies);
        }
        lib.bodies = Bodies::in_memory(bodies);
        lib.sort_topics();
        let mut timeline: Vec<SectionId> = (0..lib.sections.len()).collect();
        timeline.sort_by(|&a, &b| lib.timeline_key(a).cmp(&lib.timeline_key(b)));
        lib.timeline_rank = vec![0; timeline.len()];
        for (rank, &s) in timeline.iter().enumerate() {
            lib.timeline_rank[s] = rank;
        }
        lib.timeline = timeline;
        lib.diagnostics = diagnostics;
        let mut languages: Vec<String> = lib
            .articles
            .iter()
            .map(|a| primary_language(&a.lang))
            // A feed that never said its language is in none of them: its
            // items are shown in every edition, never as an edition "und".
            .filter(|l| l != UNDETERMINED)
            .collect();
        languages.sort();
        languages.dedup();
        lib.languages = languages;
        lib
    }

    /// Whether every id in the library points inside it, as `build`
    /// leaves them (`configured`: how many actors the configuration has):
    /// a library decoded from stored bytes is used only when this holds,
    /// so a damaged image can never index out of bounds.
    pub fn is_consistent(&self, configured: usize) -> bool {
        let n = self.sections.len();
        let mut next = 0;
        for (i, a) in self.articles.iter().enumerate() {
            if a.sections.start != next || a.sections.end < next || a.sections.end > n {
                return false;
            }
            let own = &self.sections[a.sections.clone()];
            if own
                .iter()
                .enumerate()
                .any(|(k, s)| s.article != i || s.index != k)
            {
                return false;
            }
            next = a.sections.end;
        }
        let actors = self.actors.len();
        let sections_ok = self.sections.iter().all(|s| {
            let mask = s
                .actors
                .iter()
                .filter(|&&a| a < 64)
                .fold(0u64, |m, &a| m | 1 << a);
            s.actors.iter().all(|&a| a < actors)
                && s.actor_tags.iter().all(|(_, a)| *a < actors)
                && s.topics.iter().all(|&t| t < self.topics.len())
                && mask == s.actor_mask
        });
        let timeline_ok = self.timeline.len() == n
            && self.timeline_rank.len() == n
            && self
                .timeline
                .iter()
                .enumerate()
                .all(|(rank, &s)| s < n && self.timeline_rank[s] == rank);
        next == n
            && sections_ok
            && timeline_ok
            && self.files_loaded == self.articles.len()
            && actors >= configured
            && self
                .actors
                .iter()
                .enumerate()
                .all(|(i, a)| match a.configured {
                    Some(c) => c == i && i < configured,
                    None => i >= configured,
                })
    }

    fn add_article(
        &mut self,
        raw: RawArticle,
        interner: &mut Interner<'_>,
        topic_keys: &mut TagCache,
        bodies: &mut Vec<Vec<Block>>,
    ) {
        let article_index = self.articles.len();
        let start = self.sections.len();
        for (index, s) in raw.sections.into_iter().enumerate() {
            let mut actors: Vec<ActorId> = Vec::new();
            let mut actor_tags: Vec<(String, ActorId)> = Vec::new();
            let mut actor_mask = 0u64;
            for tag in raw.actors.iter().chain(&s.actors) {
                let id = interner.actor(tag, &mut self.actors);
                if !actor_tags.iter().any(|(t, _)| same_tag(t, tag)) {
                    actor_tags.push((tag.clone(), id));
                }
                if !actors.contains(&id) {
                    actors.push(id);
                    if id < 64 {
                        actor_mask |= 1 << id;
                    }
                }
            }
            let mut topics: Vec<TopicId> = Vec::new();
            for tag in raw.topics.iter().chain(&s.topics) {
                let id = topic_keys.get_or_insert(tag, || {
                    self.topics.push(tag.clone());
                    self.topics.len() - 1
                });
                if !topics.contains(&id) {
                    topics.push(id);
                }
            }
            self.sections.push(Section {
                article: article_index,
                index,
                heading: s.heading,
                date: s.date.unwrap_or(raw.published),
                actors,
                actor_mask,
                actor_tags,
                topics,
                url: s.url,
            });
            bodies.push(s.body);
        }
        self.articles.push(Article {
            id: raw.id,
            lang: raw.lang,
            title: raw.title,
            published: raw.published,
            source: raw.source,
            url: raw.url,
            summary: raw.summary,
            path: raw.path,
            sections: start..self.sections.len(),
        });
    }

    /// Renumbers topics alphabetically so every list shows them in order.
    fn sort_topics(&mut self) {
        let mut order: Vec<TopicId> = (0..self.topics.len()).collect();
        order.sort_by_cached_key(|&t| (self.topics[t].to_lowercase(), t));
        let mut new_id = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_id[old] = new;
        }
        self.topics = order
            .iter()
            .map(|&t| std::mem::take(&mut self.topics[t]))
            .collect();
        for section in &mut self.sections {
            for t in &mut section.topics {
                *t = new_id[*t];
            }
        }
    }

    /// Orders sections of one date by their time of day where `time`
    /// knows it (fetched items: the item's time, in seconds), earlier
    /// first as the dates are; sections without one keep their place
    /// before those with one, the rest of the order (article id, section,
    /// language) stays. A stable sort of an almost sorted list: about one
    /// pass.
    pub fn order_by_time(&mut self, time: &[Option<i64>]) {
        if time.len() != self.sections.len() || time.iter().all(Option::is_none) {
            return;
        }
        let sections = &self.sections;
        let articles = &self.articles;
        self.timeline.sort_by_key(|&s| {
            let section = &sections[s];
            (section.date, articles[section.article].published, time[s])
        });
        for (rank, &s) in self.timeline.iter().enumerate() {
            self.timeline_rank[s] = rank;
        }
    }

    fn timeline_key(&self, id: SectionId) -> (super::NewsDate, super::NewsDate, &str, usize, &str) {
        let s = &self.sections[id];
        let a = &self.articles[s.article];
        (s.date, a.published, &a.id, s.index, &a.lang)
    }

    /// A section's stable key, for read marks and stars: `id|lang|heading`.
    /// It survives edits to other files and to this file's other sections;
    /// renaming the heading (or the id, or the language) makes it new.
    pub fn section_key(&self, section: SectionId) -> String {
        let mut key = String::new();
        self.write_section_key(section, &mut key);
        key
    }

    /// `section_key` into `key` (cleared first): a start looks up tens of
    /// thousands of keys and need not allocate one each.
    pub fn write_section_key(&self, section: SectionId, key: &mut String) {
        let s = &self.sections[section];
        let a = &self.articles[s.article];
        key.clear();
        for (i, part) in [&a.id, &a.lang, &s.heading].into_iter().enumerate() {
            if i > 0 {
                key.push('|');
            }
            key.push_str(part);
        }
    }

    /// Whether `key` is the section's `section_key`, without building it.
    pub fn has_section_key(&self, section: SectionId, key: &str) -> bool {
        let s = &self.sections[section];
        let a = &self.articles[s.article];
        key.strip_prefix(a.id.as_str())
            .and_then(|k| k.strip_prefix('|'))
            .and_then(|k| k.strip_prefix(a.lang.as_str()))
            .and_then(|k| k.strip_prefix('|'))
            .is_some_and(|heading| heading == s.heading)
    }

    /// A section's body, from wherever this library keeps bodies.
    pub fn body(&self, section: SectionId) -> Result<Arc<[Block]>, BodyError> {
        let heading = self
            .sections
            .get(section)
            .map_or("", |s| s.heading.as_str());
        self.bodies.body(section, heading)
    }

    /// Every section's actor and topic masks and date, for passes over
    /// all sections (made on first use: the sections never change after
    /// `build`).
    pub fn bits(&self) -> &super::bits::SectionBits {
        self.bits
            .get_or_init(|| super::bits::SectionBits::new(&self.sections))
    }

    /// Where this library reads bodies from.
    pub fn bodies(&self) -> &Bodies {
        &self.bodies
    }

    /// Reads bodies (and searches) through `bodies` from now on: a library
    /// read from the store without its bodies gets the store's source.
    pub fn set_bodies(&mut self, bodies: Bodies) {
        self.bodies = bodies;
    }

    pub fn article_of(&self, section: SectionId) -> &Article {
        &self.articles[self.sections[section].article]
    }

    /// The language subtags present, sorted (`["de", "en"]`).
    pub fn languages(&self) -> &[String] {
        &self.languages
    }

    /// The edition in `lang`: for each article id, the version in that
    /// language, else an English one, else the first by language tag.
    pub fn edition(&self, lang: &str) -> Edition {
        let wanted = primary_language(lang);
        let mut best: HashMap<&str, (u8, &str, usize)> = HashMap::new();
        for (i, a) in self.articles.iter().enumerate() {
            let rank = if a.lang.eq_ignore_ascii_case(lang) {
                0
            } else if primary_language(&a.lang) == wanted {
                1
            } else if primary_language(&a.lang) == "en" {
                2
            } else {
                3
            };
            let candidate = (rank, a.lang.as_str(), i);
            best.entry(a.id.as_str())
                .and_modify(|b| *b = (*b).min(candidate))
                .or_insert(candidate);
        }
        let mut chosen = vec![false; self.articles.len()];
        for (_, _, i) in best.values() {
            chosen[*i] = true;
        }
        let sections: Vec<SectionId> = self
            .timeline
            .iter()
            .copied()
            .filter(|&s| chosen[self.sections[s].article])
            .collect();
        Edition {
            lang: wanted,
            bits: super::bits::EditionBits::gather(self.bits(), &sections),
            sections,
        }
    }

    /// The same section in another article version (same id, other language):
    /// by position, falling back to the last section when the other is shorter.
    pub fn counterpart(&self, section: SectionId, edition: &Edition) -> Option<SectionId> {
        let s = &self.sections[section];
        let id = &self.articles[s.article].id;
        edition
            .sections
            .iter()
            .copied()
            .filter(|&o| self.article_of(o).id == *id)
            .min_by_key(|&o| self.sections[o].index.abs_diff(s.index))
    }
}

/// Tags compare without case; only non-ASCII spellings need the full fold.
fn same_tag(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.trim().eq_ignore_ascii_case(b.trim())
    } else {
        tag_key(a) == tag_key(b)
    }
}

/// BCP 47's tag for a language not known (a feed that does not say).
pub const UNDETERMINED: &str = "und";

/// The language subtag of a BCP 47 tag, lowercased: `de-AT` -> `de`.
pub fn primary_language(tag: &str) -> String {
    tag.split('-').next().unwrap_or(tag).to_ascii_lowercase()
}

/// Interns actor tags: configured actors (and their aliases) first, so
/// their ids equal their configuration index; other tags after.
struct Interner<'d> {
    directory: &'d ActorDirectory,
    cache: TagCache,
}

impl<'d> Interner<'d> {
    fn new(directory: &'d ActorDirectory, actors: &mut Vec<ActorInfo>) -> Self {
        actors.extend(
            directory
                .names()
                .iter()
                .enumerate()
                .map(|(i, n)| ActorInfo {
                    name: n.clone(),
                    configured: Some(i),
                }),
        );
        Self {
            directory,
            cache: TagCache::default(),
        }
    }

    fn actor(&mut self, tag: &str, actors: &mut Vec<ActorInfo>) -> ActorId {
        let directory = self.directory;
        self.cache.get_or_insert(tag, || {
            directory.resolve(tag).unwrap_or_else(|| {
                actors.push(ActorInfo {
                    name: tag.trim().to_owned(),
                    configured: None,
                });
                actors.len() - 1
            })
        })
    }
}

/// Tag spellings to ids. Most tags recur spelt exactly alike, so the exact
/// spelling is looked up first without allocating; the case-folded key
/// (tags compare case-insensitively) only on a miss.
#[derive(Default)]
struct TagCache {
    exact: HashMap<String, usize>,
    folded: HashMap<String, usize>,
}

impl TagCache {
    fn get_or_insert(&mut self, tag: &str, new_id: impl FnOnce() -> usize) -> usize {
        if let Some(&id) = self.exact.get(tag) {
            return id;
        }
        let id = *self.folded.entry(tag_key(tag)).or_insert_with(new_id);
        self.exact.insert(tag.to_owned(), id);
        id
    }
}

fn clash(path: &str, raw: &RawArticle, first: &str) -> Diagnostic {
    Diagnostic {
        path: path.to_owned(),
        position: raw.id_position,
        severity: Severity::Error,
        message: format!(
            "duplicate article: id \"{}\" with lang \"{}\" is already defined in {first} (file skipped)",
            raw.id, raw.lang
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::content::{ActorDirectory, ContentRoot, load_library};

    #[test]
    fn a_section_key_is_matched_as_it_is_written() {
        let lib = load_library(&[ContentRoot::Bundled], &ActorDirectory::default());
        assert!(!lib.sections.is_empty());
        for s in 0..lib.sections.len() {
            let sec = &lib.sections[s];
            let a = &lib.articles[sec.article];
            let key = lib.section_key(s);
            assert_eq!(key, format!("{}|{}|{}", a.id, a.lang, sec.heading));
            assert!(lib.has_section_key(s, &key));
            assert!(!lib.has_section_key(s, &format!("{key}x")));
            assert!(!lib.has_section_key(s, &key[..key.len() - 1]));
            assert!(!lib.has_section_key(s, &key.replacen('|', "/", 1)));
        }
    }
}
