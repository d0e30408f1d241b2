//! Which sections are visible: the actor filter (union of active actors)
//! and the topic choice, as pure functions over the library.

use super::search::SearchQuery;
use crate::content::{BodyError, Library, NewsDate, SectionId, TopicId};

/// The actor filter, by actor id (a configured actor's id is its config
/// index): actors shown (any of them; none means all) and actors hidden
/// (a section about any of them is not shown, whatever else it is about).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorFilter {
    active: Vec<usize>,
    excluded: Vec<usize>,
}

impl ActorFilter {
    /// Nothing shown or hidden: every section passes.
    pub fn is_empty(&self) -> bool {
        self.active.is_empty() && self.excluded.is_empty()
    }

    pub fn is_active(&self, actor: usize) -> bool {
        self.active.contains(&actor)
    }

    pub fn is_excluded(&self, actor: usize) -> bool {
        self.excluded.contains(&actor)
    }

    /// Shown actors in the order they were switched on.
    pub fn active(&self) -> &[usize] {
        &self.active
    }

    pub fn excluded(&self) -> &[usize] {
        &self.excluded
    }

    /// Shows or stops showing an actor (and stops hiding it).
    pub fn toggle(&mut self, actor: usize) {
        self.excluded.retain(|&a| a != actor);
        toggle_in(&mut self.active, actor);
    }

    /// Hides or stops hiding an actor (and stops showing it).
    pub fn toggle_excluded(&mut self, actor: usize) {
        self.active.retain(|&a| a != actor);
        toggle_in(&mut self.excluded, actor);
    }

    pub fn clear(&mut self) {
        self.active.clear();
        self.excluded.clear();
    }

    /// A section passes when it involves a shown actor (or none are
    /// shown) and no hidden one.
    pub fn matches(&self, library: &Library, section: SectionId) -> bool {
        self.matcher(library)(section)
    }

    /// `matches` for many sections: the sets' masks are made once, and a
    /// section is tested on the library's dense masks (`Library::bits`)
    /// without a visit to the section itself, unless an actor of the sets
    /// does not fit in a mask.
    pub fn matcher<'a>(&'a self, library: &'a Library) -> impl Fn(SectionId) -> bool + 'a {
        let bits = library.bits();
        let masked = |set: &[usize]| set.iter().all(|&a| a < 64).then(|| mask(set));
        let (active, excluded) = (masked(&self.active), masked(&self.excluded));
        move |section| {
            let involves = |set: &[usize], mask: Option<u64>| match mask {
                Some(mask) => bits.actors(section) & mask != 0,
                None => library.sections[section]
                    .actors
                    .iter()
                    .any(|a| set.contains(a)),
            };
            (self.active.is_empty() || involves(&self.active, active))
                && (self.excluded.is_empty() || !involves(&self.excluded, excluded))
        }
    }
}

impl ActorFilter {
    /// The filter as masks, to test a section's actor mask alone (as an
    /// edition's rows hold it); `None` when an actor of the sets does not
    /// fit in a mask.
    pub fn masks(&self) -> Option<ActorMasks> {
        let fits = |set: &[usize]| set.iter().all(|&a| a < 64);
        (fits(&self.active) && fits(&self.excluded)).then(|| ActorMasks {
            any: self.active.is_empty(),
            active: mask(&self.active),
            excluded: mask(&self.excluded),
        })
    }
}

/// An actor filter whose actors all fit in a mask (`ActorFilter::masks`).
#[derive(Debug, Clone, Copy)]
pub struct ActorMasks {
    /// No actor shown: every section passes but the hidden ones.
    any: bool,
    active: u64,
    excluded: u64,
}

impl ActorMasks {
    /// `ActorFilter::matches` for a section whose actor mask is `actors`.
    pub fn passes(self, actors: u64) -> bool {
        (self.any || actors & self.active != 0) && actors & self.excluded == 0
    }
}

/// Adds or removes an actor, keeping the set in actor (config) order, so
/// every list of actors reads the same way whatever order keys were pressed.
fn toggle_in(set: &mut Vec<usize>, actor: usize) {
    match set.binary_search(&actor) {
        Ok(i) => {
            set.remove(i);
        }
        Err(i) => set.insert(i, actor),
    }
}

/// Actors below 64 as bits, to test a section's `actor_mask` at once.
fn mask(set: &[usize]) -> u64 {
    set.iter()
        .filter(|&&a| a < 64)
        .fold(0, |m, &a| m | (1 << a))
}

/// What a list shows besides the actor filter: topics (any of them; none
/// given means all), a date range and a search. The reader and the `list`
/// command select sections through the same rules.
#[derive(Debug, Clone, Default)]
pub struct SectionQuery {
    pub actors: ActorFilter,
    pub topics: Vec<TopicChoice>,
    pub since: Option<NewsDate>,
    pub until: Option<NewsDate>,
    pub search: Option<SearchQuery>,
}

impl SectionQuery {
    /// The sections of `edition` (kept in its order) that match. Fails
    /// only when the search needs bodies that cannot be read.
    pub fn select(
        &self,
        library: &Library,
        edition: &[SectionId],
    ) -> Result<Vec<SectionId>, BodyError> {
        let filtered: Vec<SectionId> = edition
            .iter()
            .copied()
            .filter(|&s| self.matches_filters(library, s))
            .collect();
        match &self.search {
            Some(q) => q.select(library, &filtered),
            None => Ok(filtered),
        }
    }

    /// Everything but the search, which `select` runs over what passes.
    fn matches_filters(&self, library: &Library, section: SectionId) -> bool {
        let date = library.sections[section].date;
        self.actors.matches(library, section)
            && (self.topics.is_empty() || self.topics.iter().any(|t| t.matches(library, section)))
            && self
                .since
                .is_none_or(|since| date.cmp_coarse(since).is_ge())
            && self
                .until
                .is_none_or(|until| date.cmp_coarse(until).is_le())
    }
}

/// An entry of the topic list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicChoice {
    All,
    /// The sections the user starred (decided by the app, which knows them).
    Starred,
    Topic(TopicId),
    Untagged,
    /// Sections fetched from one feed (index into `Library::fetched`'s sources).
    Source(usize),
}

impl TopicChoice {
    pub fn matches(self, library: &Library, section: SectionId) -> bool {
        // The dense masks where every topic fits in one, else the list.
        let mask = || library.bits().topics(section);
        let topics = || &library.sections[section].topics;
        match self {
            Self::All | Self::Starred => true,
            Self::Topic(t) if t < 64 => {
                mask().map_or_else(|| topics().contains(&t), |m| m & 1 << t != 0)
            }
            Self::Topic(t) => topics().contains(&t),
            Self::Untagged => mask().map_or_else(|| topics().is_empty(), |m| m == 0),
            Self::Source(i) => library.fetched.source(section) == Some(i),
        }
    }
}

/// The topic list's entries for an edition: "All", "Starred", every
/// topic present in the edition (even when a filter leaves it none), and
/// "untagged" when some section has no topic. Counted by the app.
pub fn topic_entries(library: &Library, edition: &[SectionId]) -> Vec<TopicChoice> {
    let mut present = vec![false; library.topics.len()];
    let mut any_untagged = false;
    for &s in edition {
        let topics = &library.sections[s].topics;
        any_untagged |= topics.is_empty();
        for &t in topics {
            present[t] = true;
        }
    }
    let mut entries = vec![TopicChoice::All, TopicChoice::Starred];
    entries.extend(
        (0..library.topics.len())
            .filter(|&t| present[t])
            .map(TopicChoice::Topic),
    );
    if any_untagged {
        entries.push(TopicChoice::Untagged);
    }
    // The feeds, as a group after the topics: every one the store knows,
    // so a failing feed with nothing fetched is listed too.
    entries.extend((0..library.fetched.sources.len()).map(TopicChoice::Source));
    entries
}
