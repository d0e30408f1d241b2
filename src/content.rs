//! The content model: articles, their sections, dates at their precision,
//! and the tags that group them. Built once at load and then read-only.

pub mod bits;
pub mod body;
pub mod bundled;
pub mod date;
pub mod fetched;
pub mod index;
pub mod load;
pub mod parse;

use std::collections::HashMap;
use std::ops::Range;

pub use body::{Bodies, BodyError, BodySource};
pub use date::{NewsDate, Precision};
pub use index::{Edition, Library};
pub use load::{ContentRoot, load_library};

/// Index of a section in [`Library::sections`].
pub type SectionId = usize;
/// Index of an actor in [`Library::actors`]; configured actors come first, in
/// configuration order, so a configured actor's id is its config index.
pub type ActorId = usize;
/// Index of a topic in [`Library::topics`].
pub type TopicId = usize;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Article {
    pub id: String,
    pub lang: String,
    pub title: String,
    pub published: NewsDate,
    pub source: Option<String>,
    pub url: Option<String>,
    pub summary: Option<String>,
    /// Where it came from, as shown in diagnostics (`content/x.toml`).
    pub path: String,
    pub sections: Range<SectionId>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Section {
    pub article: usize,
    /// Position inside its article, from 0.
    pub index: usize,
    pub heading: String,
    pub date: NewsDate,
    /// Resolved actors, without duplicates, in the order first tagged.
    pub actors: Vec<ActorId>,
    /// Bit `i` set when actor `i` (below 64) is among `actors`:
    /// lets the filter test a section without walking its lists.
    pub actor_mask: u64,
    /// The actor tags as written (article's, then section's), each with the
    /// actor it resolves to: what the reading pane shows.
    pub actor_tags: Vec<(String, ActorId)>,
    pub topics: Vec<TopicId>,
    pub url: Option<String>,
}

/// A piece of body text: paragraphs re-flow, list items keep their own line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(String),
    Item(String),
}

impl Block {
    pub fn text(&self) -> &str {
        match self {
            Self::Paragraph(t) | Self::Item(t) => t,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ActorInfo {
    pub name: String,
    /// Index into the configuration's actor list when an actor claims the tag.
    pub configured: Option<usize>,
}

/// The configured actors and their aliases, as the loader needs them to
/// resolve tags. Built from the configuration; the loader knows no config.
#[derive(Debug, Clone, Default)]
pub struct ActorDirectory {
    names: Vec<String>,
    by_tag: HashMap<String, usize>,
}

impl ActorDirectory {
    /// `actors` is a list of (name, aliases); later duplicates never win.
    pub fn new<'a>(actors: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Self {
        let mut dir = Self::default();
        for (i, (name, aliases)) in actors.into_iter().enumerate() {
            dir.names.push(name.to_owned());
            for tag in std::iter::once(name).chain(aliases.iter().map(String::as_str)) {
                dir.by_tag.entry(tag_key(tag)).or_insert(i);
            }
        }
        dir
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Every tag key with the actor it resolves to, sorted: what decides
    /// the ids a library built with this directory gets.
    pub fn resolutions(&self) -> Vec<(&str, usize)> {
        let mut all: Vec<(&str, usize)> =
            self.by_tag.iter().map(|(k, &v)| (k.as_str(), v)).collect();
        all.sort_unstable();
        all
    }

    /// The configured actor a tag belongs to, by name or alias.
    pub fn resolve(&self, tag: &str) -> Option<usize> {
        self.by_tag.get(&tag_key(tag)).copied()
    }
}

/// Tags compare case-insensitively after trimming.
pub fn tag_key(tag: &str) -> String {
    tag.trim().to_lowercase()
}
