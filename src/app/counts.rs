//! The topic list's counts and the new count per actor, kept so that an
//! actor filter key costs no pass over the sections: the edition's
//! sections are tallied once per distinct actor mask (tens to hundreds of
//! masks at a million sections), and a filter's counts are the sum over
//! the masks it lets through. Tallied again only when the marks or the
//! edition change. A search, an actor past the masks or too many distinct
//! masks count the listed sections instead, as before. No I/O.

use std::collections::HashMap;

use super::marks::Marks;
use crate::content::bits::{EditionBits, each_bit};
use crate::content::{Edition, Library, SectionId};
use crate::query::TopicChoice;
use crate::query::filter::ActorMasks;

/// At most this many counters in the grouped tallies (a library controls
/// how many distinct actor masks and topics there are); past it the
/// counts come from a pass over the listed sections.
pub(super) const MAX_CELLS: usize = 1 << 18;

/// (sections, unread) of a topic-list entry.
type Pair = (usize, usize);

/// The topic list's counts over some sections.
#[derive(Debug, Clone)]
pub(super) struct Tally {
    all: Pair,
    starred: Pair,
    untagged: Pair,
    by_topic: Vec<Pair>,
    by_source: Vec<Pair>,
}

impl Tally {
    pub(super) fn new(lib: &Library) -> Self {
        Self {
            all: (0, 0),
            starred: (0, 0),
            untagged: (0, 0),
            by_topic: vec![(0, 0); lib.topics.len()],
            by_source: vec![(0, 0); lib.fetched.sources.len()],
        }
    }

    /// Counts section `s`, at `at` in the edition whose rows are `rows`,
    /// into every entry that lists it.
    pub(super) fn add(
        &mut self,
        lib: &Library,
        rows: &EditionBits,
        marks: &Marks,
        s: SectionId,
        at: usize,
    ) {
        let (unread, starred) = (!marks.is_read(s), marks.is_starred(s));
        self.count(lib, rows.topics(at), s, (unread, starred), false);
    }

    /// Counts section `s` (its topic mask `topics` where every topic fits
    /// in one) as unread and starred or not, into every entry that lists
    /// it; `remove`: takes it out again instead.
    fn count(
        &mut self,
        lib: &Library,
        topics: Option<u64>,
        s: SectionId,
        (unread, starred): (bool, bool),
        remove: bool,
    ) {
        let add = |slot: &mut Pair, unread: bool| {
            if remove {
                slot.0 = slot.0.saturating_sub(1);
                slot.1 = slot.1.saturating_sub(usize::from(unread));
            } else {
                slot.0 += 1;
                slot.1 += usize::from(unread);
            }
        };
        add(&mut self.all, unread);
        if starred {
            add(&mut self.starred, unread);
        }
        if !self.by_source.is_empty()
            && let Some(slot) = lib
                .fetched
                .source(s)
                .and_then(|i| self.by_source.get_mut(i))
        {
            add(slot, unread);
        }
        // The dense masks where every topic fits in one: no visit to the
        // section itself.
        if let Some(mask) = topics {
            if mask == 0 {
                add(&mut self.untagged, unread);
            }
            for t in each_bit(mask) {
                add(&mut self.by_topic[t], unread);
            }
            return;
        }
        let topics = &lib.sections[s].topics;
        if topics.is_empty() {
            add(&mut self.untagged, unread);
        }
        for &t in topics {
            add(&mut self.by_topic[t], unread);
        }
    }

    fn merge(&mut self, other: &Self) {
        let sum = |a: &mut Pair, b: &Pair| {
            a.0 += b.0;
            a.1 += b.1;
        };
        sum(&mut self.all, &other.all);
        sum(&mut self.starred, &other.starred);
        sum(&mut self.untagged, &other.untagged);
        for (a, b) in self.by_topic.iter_mut().zip(&other.by_topic) {
            sum(a, b);
        }
        for (a, b) in self.by_source.iter_mut().zip(&other.by_source) {
            sum(a, b);
        }
    }

    /// The counts of one entry of the topic list.
    pub(super) fn of(&self, choice: TopicChoice) -> Pair {
        match choice {
            TopicChoice::All => self.all,
            TopicChoice::Starred => self.starred,
            TopicChoice::Untagged => self.untagged,
            TopicChoice::Topic(t) => self.by_topic.get(t).copied().unwrap_or_default(),
            TopicChoice::Source(i) => self.by_source.get(i).copied().unwrap_or_default(),
        }
    }
}

/// A section's marks as the counts see them: (read, starred, new).
pub(super) type Flags = (bool, bool, bool);

/// What the tallies were made from: the marks' and the edition's stamps
/// and the library's address.
pub(super) type TallyKey = (u64, u64, usize);

/// The edition's tallies by actor mask, and the new count per actor.
#[derive(Debug)]
pub(super) struct Tallies {
    pub(super) key: TallyKey,
    /// One per distinct actor mask of the edition; `None` when they
    /// would hold more than `cells` counters.
    groups: Option<Vec<(u64, Tally)>>,
    /// Where each mask's group is in `groups`.
    index: HashMap<u64, usize>,
    /// New (since the last visit) and unread sections per configured actor.
    pub(super) actor_new: Vec<usize>,
}

impl Tallies {
    /// One pass over the edition. `actors`: how many are configured;
    /// `cells`: the bound on the grouped counters.
    pub(super) fn build(
        lib: &Library,
        edition: &Edition,
        marks: &Marks,
        actors: usize,
        key: TallyKey,
        cells: usize,
    ) -> Self {
        let rows = &edition.bits;
        let per_group = lib.topics.len() + lib.fetched.sources.len() + 3;
        let max_groups = cells / per_group;
        let mut index: HashMap<u64, usize> = HashMap::new();
        let mut groups: Option<Vec<(u64, Tally)>> = Some(Vec::new());
        let mut actor_new = vec![0; actors];
        // Every counted actor in the edition's masks: no visit to the
        // section itself.
        let masked = actors <= 64;
        for (at, &s) in edition.sections.iter().enumerate() {
            let mask = rows.actors(at);
            if let Some(list) = &mut groups {
                let g = *index.entry(mask).or_insert_with(|| {
                    list.push((mask, Tally::new(lib)));
                    list.len() - 1
                });
                if list.len() > max_groups {
                    groups = None;
                } else {
                    list[g].1.add(lib, rows, marks, s, at);
                }
            }
            if !marks.is_new(s) {
                continue;
            }
            if masked {
                for a in each_bit(mask) {
                    if let Some(c) = actor_new.get_mut(a) {
                        *c += 1;
                    }
                }
                continue;
            }
            for &a in &lib.sections[s].actors {
                if let Some(c) = actor_new.get_mut(a) {
                    *c += 1;
                }
            }
        }
        Self {
            key,
            groups,
            index,
            actor_new,
        }
    }

    /// Follows one section's change of marks without a pass: `before` and
    /// `after` are its (read, starred, new) flags, `key` the tallies' key
    /// now. A section outside the edition changes no count.
    pub(super) fn follow(
        &mut self,
        lib: &Library,
        edition: &Edition,
        s: SectionId,
        (before, after): (Flags, Flags),
        key: TallyKey,
    ) {
        self.key = key;
        let rank = &lib.timeline_rank;
        let at = edition.sections.partition_point(|&x| rank[x] < rank[s]);
        if edition.sections.get(at) != Some(&s) {
            return;
        }
        let mask = edition.bits.actors(at);
        if let Some(groups) = &mut self.groups
            && let Some(&g) = self.index.get(&mask)
            && let Some((_, tally)) = groups.get_mut(g)
        {
            let topics = edition.bits.topics(at);
            tally.count(lib, topics, s, (!before.0, before.1), true);
            tally.count(lib, topics, s, (!after.0, after.1), false);
        }
        if before.2 != after.2 {
            let actors: Vec<usize> = if self.actor_new.len() <= 64 {
                each_bit(mask).collect()
            } else {
                lib.sections[s].actors.clone()
            };
            for a in actors {
                if let Some(c) = self.actor_new.get_mut(a) {
                    *c = if after.2 { *c + 1 } else { c.saturating_sub(1) };
                }
            }
        }
    }

    /// The counts over the edition's sections that `masks` lets through;
    /// `None` when the groups were not kept.
    pub(super) fn sum(&self, lib: &Library, masks: ActorMasks) -> Option<Tally> {
        let groups = self.groups.as_ref()?;
        let mut total = Tally::new(lib);
        for (mask, tally) in groups {
            if masks.passes(*mask) {
                total.merge(tally);
            }
        }
        Some(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::content::{ContentRoot, load_library};
    use crate::query::ActorFilter;

    fn bundled() -> (Library, Config) {
        let config = Config::built_in().unwrap();
        let lib = load_library(&[ContentRoot::Bundled], &config.actor_directory());
        (lib, config)
    }

    /// The counts of one pass over the sections the filter lets through.
    fn by_pass(lib: &Library, edition: &Edition, marks: &Marks, filter: &ActorFilter) -> Tally {
        let mut tally = Tally::new(lib);
        for (at, &s) in edition.sections.iter().enumerate() {
            if filter.matches(lib, s) {
                tally.add(lib, &edition.bits, marks, s, at);
            }
        }
        tally
    }

    fn entries(lib: &Library) -> Vec<TopicChoice> {
        let mut all = vec![
            TopicChoice::All,
            TopicChoice::Starred,
            TopicChoice::Untagged,
        ];
        all.extend((0..lib.topics.len()).map(TopicChoice::Topic));
        all
    }

    #[test]
    fn sums_by_actor_mask_equal_a_pass_over_the_sections() {
        let (lib, config) = bundled();
        let edition = lib.edition("en");
        let mut marks = Marks::new(&lib, None);
        marks.set_read(&lib, edition.sections[0]);
        marks.toggle_star(&lib, edition.sections[1]);
        let actors = config.actors.len();
        let tallies = Tallies::build(&lib, &edition, &marks, actors, (0, 0, 0), MAX_CELLS);
        let mut filters = vec![ActorFilter::default()];
        for a in 0..actors.min(4) {
            let mut shown = ActorFilter::default();
            shown.toggle(a);
            shown.toggle((a + 1) % actors);
            let mut hidden = ActorFilter::default();
            hidden.toggle_excluded(a);
            filters.extend([shown, hidden]);
        }
        for filter in &filters {
            let summed = tallies.sum(&lib, filter.masks().unwrap()).unwrap();
            let passed = by_pass(&lib, &edition, &marks, filter);
            for choice in entries(&lib) {
                assert_eq!(
                    summed.of(choice),
                    passed.of(choice),
                    "{filter:?} {choice:?}"
                );
            }
        }
        assert_eq!(
            tallies.actor_new,
            vec![0; actors],
            "nothing is new on a first start"
        );
    }

    #[test]
    fn past_the_bound_on_counters_the_counts_come_from_a_pass() {
        let (lib, config) = bundled();
        let edition = lib.edition("en");
        let marks = Marks::new(&lib, None);
        let everyone = ActorFilter::default().masks().unwrap();
        let per_group = lib.topics.len() + lib.fetched.sources.len() + 3;
        let build = |cells| {
            Tallies::build(
                &lib,
                &edition,
                &marks,
                config.actors.len(),
                (0, 0, 0),
                cells,
            )
        };
        // Room for one group: the bundled edition has several masks.
        assert!(build(per_group).sum(&lib, everyone).is_none());
        assert!(build(MAX_CELLS).sum(&lib, everyone).is_some());
    }

    #[test]
    fn tallies_followed_through_changes_of_marks_equal_new_ones() {
        let (lib, config) = bundled();
        let edition = lib.edition("en");
        let actors = config.actors.len();
        // Nothing known from the last visit: every section is new.
        let saved = crate::store::SavedState {
            version: crate::store::VERSION,
            read: Vec::new(),
            starred: Vec::new(),
            known: Vec::new(),
            view: None,
        };
        let mut marks = Marks::new(&lib, Some(&saved));
        let flags = |m: &Marks, s| (m.is_read(s), m.is_starred(s), m.is_new(s));
        let mut tallies = Tallies::build(&lib, &edition, &marks, actors, (0, 0, 0), MAX_CELLS);
        // Sections of the edition, and one of another language's edition
        // (not counted here) where there is one.
        let other = lib.edition("de");
        let outside = other
            .sections
            .iter()
            .find(|s| !edition.sections.contains(s));
        let changed: Vec<SectionId> = edition
            .sections
            .iter()
            .step_by(3)
            .chain(outside)
            .copied()
            .collect();
        for (i, &s) in changed.iter().enumerate() {
            let before = flags(&marks, s);
            if i % 2 == 0 {
                marks.set_read(&lib, s);
            } else {
                marks.toggle_star(&lib, s);
            }
            let after = flags(&marks, s);
            tallies.follow(&lib, &edition, s, (before, after), (i as u64 + 1, 0, 0));
        }
        let fresh = Tallies::build(&lib, &edition, &marks, actors, (0, 0, 0), MAX_CELLS);
        assert_eq!(tallies.actor_new, fresh.actor_new);
        assert_ne!(
            fresh.actor_new,
            vec![0; actors],
            "sections left unread are still new"
        );
        let mut shown = ActorFilter::default();
        shown.toggle(0);
        for filter in [ActorFilter::default(), shown] {
            let through = filter.masks().unwrap();
            let (followed, made) = (
                tallies.sum(&lib, through).unwrap(),
                fresh.sum(&lib, through).unwrap(),
            );
            for choice in entries(&lib) {
                assert_eq!(
                    followed.of(choice),
                    made.of(choice),
                    "{filter:?} {choice:?}"
                );
            }
        }
    }

    #[test]
    fn a_change_of_a_mark_changes_the_stamp() {
        let (lib, _) = bundled();
        let mut marks = Marks::new(&lib, None);
        let before = marks.stamp();
        assert_ne!(
            Marks::new(&lib, None).stamp(),
            before,
            "two marks made apart"
        );
        marks.set_read(&lib, 0);
        let read = marks.stamp();
        assert_ne!(read, before);
        assert!(!marks.set_read(&lib, 0), "read already");
        assert_eq!(marks.stamp(), read, "nothing changed, same stamp");
        marks.toggle_star(&lib, 0);
        assert_ne!(marks.stamp(), read);
        assert_ne!(
            lib.edition("en").bits.stamp(),
            lib.edition("en").bits.stamp()
        );
    }
}
