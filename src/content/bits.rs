//! Each section's actors and topics as bit masks, and its date, side by
//! side in one dense array: what the passes over every section that a
//! filter change makes (the visible list, the topic counts, the timeline)
//! read. Reading the `Section`s themselves costs a cache miss or two per
//! section (a large struct whose tag lists live elsewhere on the heap),
//! which at 50,000 sections was most of a key press. Derived from the
//! library's sections once; never written after.

use super::{NewsDate, Section, SectionId};

/// Ids below this fit in a mask.
const BITS: usize = 64;

/// One section's masks and date.
#[derive(Debug, Clone, Copy)]
struct Row {
    actors: u64,
    topics: u64,
    date: NewsDate,
}

/// The masks of every section of a library, by section id.
#[derive(Debug, Default)]
pub struct SectionBits {
    rows: Vec<Row>,
    /// Whether every topic id is below 64, so a topic mask holds them all
    /// (else callers walk the section's list).
    topics_fit: bool,
}

impl SectionBits {
    pub fn new(sections: &[Section]) -> Self {
        let mut topics_fit = true;
        let rows = sections
            .iter()
            .map(|s| {
                let mut topics = 0u64;
                for &t in &s.topics {
                    if t < BITS {
                        topics |= 1 << t;
                    } else {
                        topics_fit = false;
                    }
                }
                Row {
                    actors: s.actor_mask,
                    topics,
                    date: s.date,
                }
            })
            .collect();
        Self { rows, topics_fit }
    }

    /// Bit `i` set when the section involves actor `i` (below 64).
    pub fn actors(&self, section: SectionId) -> u64 {
        self.rows[section].actors
    }

    /// Bit `t` set for each topic `t` of the section; `None` when some
    /// topic of the library does not fit in a mask.
    pub fn topics(&self, section: SectionId) -> Option<u64> {
        self.topics_fit.then(|| self.rows[section].topics)
    }

    pub fn date(&self, section: SectionId) -> NewsDate {
        self.rows[section].date
    }
}

/// The masks and dates of an edition's sections, by place in the edition
/// (timeline order), not by section id. Section ids do not follow the
/// timeline, so a pass over an edition that looked up `SectionBits` by id
/// missed the cache at every section (at 1,000,000 sections, 60-170 ms a
/// filter key); here the pass reads the rows one after another. Each
/// column apart, so that a pass reads only what it tests (the actor
/// filter 8 bytes a section, the timeline's dates 4).
#[derive(Debug, Clone, Default)]
pub struct EditionBits {
    actors: Vec<u64>,
    topics: Vec<u64>,
    dates: Vec<NewsDate>,
    topics_fit: bool,
    /// Differs between any two gathered: what was counted from one
    /// edition is known apart from another's.
    stamp: u64,
}

impl EditionBits {
    /// The rows of `sections` (an edition's, in its order), copied once.
    pub fn gather(bits: &SectionBits, sections: &[SectionId]) -> Self {
        static STAMPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let column = |get: fn(&Row) -> u64| sections.iter().map(|&s| get(&bits.rows[s])).collect();
        Self {
            actors: column(|r| r.actors),
            topics: column(|r| r.topics),
            dates: sections.iter().map(|&s| bits.rows[s].date).collect(),
            topics_fit: bits.topics_fit,
            stamp: STAMPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// See `stamp`: 0 for the empty default.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }

    /// Bit `i` set when the edition's section at `at` involves actor `i`
    /// (below 64).
    pub fn actors(&self, at: usize) -> u64 {
        self.actors[at]
    }

    /// Bit `t` set for each topic `t` of the section at `at`; `None` when
    /// some topic of the library does not fit in a mask.
    pub fn topics(&self, at: usize) -> Option<u64> {
        self.topics_fit.then(|| self.topics[at])
    }

    pub fn date(&self, at: usize) -> NewsDate {
        self.dates[at]
    }
}

/// The set bits of `mask`, lowest first.
pub fn each_bit(mut mask: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let bit = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            bit
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(topics: Vec<usize>, actor_mask: u64) -> Section {
        Section {
            article: 0,
            index: 0,
            heading: String::new(),
            date: NewsDate::new(2025, Some(1), Some(2)).unwrap(),
            actors: Vec::new(),
            actor_mask,
            actor_tags: Vec::new(),
            topics,
            url: None,
        }
    }

    #[test]
    fn masks_hold_the_tags_and_say_when_topics_do_not_fit() {
        let bits = SectionBits::new(&[section(vec![0, 3, 63], 0b101), section(vec![], 0)]);
        assert_eq!(bits.actors(0), 0b101);
        assert_eq!(bits.topics(0), Some(1 | 1 << 3 | 1 << 63));
        assert_eq!(bits.topics(1), Some(0));
        assert_eq!(bits.date(1), NewsDate::new(2025, Some(1), Some(2)).unwrap());
        assert_eq!(
            each_bit(1 | 1 << 3 | 1 << 63).collect::<Vec<_>>(),
            [0, 3, 63]
        );

        let wide = SectionBits::new(&[section(vec![64], 0)]);
        assert_eq!(wide.topics(0), None);
    }

    #[test]
    fn edition_rows_follow_the_edition_order() {
        let bits = SectionBits::new(&[
            section(vec![1], 0b1),
            section(vec![2], 0b10),
            section(vec![3], 0b100),
        ]);
        let edition = EditionBits::gather(&bits, &[2, 0]);
        assert_eq!((edition.actors(0), edition.actors(1)), (0b100, 0b1));
        assert_eq!(edition.topics(0), Some(1 << 3));
        assert_eq!(edition.date(1), bits.date(0));
        let wide = SectionBits::new(&[section(vec![64], 0)]);
        assert_eq!(EditionBits::gather(&wide, &[0]).topics(0), None);
    }
}
