//! What the library knows of fetched feed items beyond their articles:
//! the feeds they came from (the sources, with their last outcome) and
//! which sections tell one story from several outlets. Filled by the
//! library store (`library_store::feeds`); empty for a library read from
//! files. Read-only once built.

use std::collections::HashMap;

use super::SectionId;

/// A feed as a source of sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub url: String,
    /// The last attempt failed: its reason.
    pub failing: Option<String>,
}

/// Sources and stories of the fetched sections.
#[derive(Debug, Default)]
pub struct Fetched {
    pub sources: Vec<Source>,
    /// Each fetched section's source (index into `sources`).
    source_of: HashMap<SectionId, usize>,
    /// Stories of two sections or more, each in timeline order.
    stories: Vec<Vec<SectionId>>,
    story_of: HashMap<SectionId, usize>,
    /// Keys of the sections the fetch that read this library back rewrote
    /// substantially (the store dropped their read marks): a running
    /// reader drops its own marks of them too. Empty for any other read.
    pub rewritten: Vec<String>,
}

impl Fetched {
    /// From the sources, each fetched section's source, and the sections
    /// grouped by story (groups of one are dropped). `rank` orders a
    /// story's sections (the timeline's rank).
    pub fn new(
        sources: Vec<Source>,
        source_of: HashMap<SectionId, usize>,
        stories: impl IntoIterator<Item = Vec<SectionId>>,
        rank: &[usize],
    ) -> Self {
        let mut fetched = Self {
            sources,
            source_of,
            ..Self::default()
        };
        for mut story in stories {
            if story.len() < 2 {
                continue;
            }
            story.sort_by_key(|&s| rank.get(s).copied().unwrap_or(usize::MAX));
            for &s in &story {
                fetched.story_of.insert(s, fetched.stories.len());
            }
            fetched.stories.push(story);
        }
        fetched
    }

    /// The source a section was fetched from.
    pub fn source(&self, section: SectionId) -> Option<usize> {
        self.source_of.get(&section).copied()
    }

    /// Every section of the story `section` is part of, in timeline
    /// order, when it has others.
    pub fn story(&self, section: SectionId) -> Option<&[SectionId]> {
        self.story_of
            .get(&section)
            .and_then(|&i| self.stories.get(i))
            .map(Vec::as_slice)
    }

    /// The story's number, shared by its sections.
    pub fn story_id(&self, section: SectionId) -> Option<usize> {
        self.story_of.get(&section).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}
