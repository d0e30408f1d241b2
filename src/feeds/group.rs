//! One story, several outlets: items whose titles are near-duplicates
//! within 48 hours are grouped.
//!
//! The measure is the Dice coefficient of the two titles' sets of
//! character trigrams, taken over their content words (folded: no case or
//! accents; stop words of English and German dropped; each word padded so
//! its start and end count). Trigrams are forgiving of inflection
//! (`DeepSeeks`/`DeepSeek`, `launches`/`launch`) and of reordered words,
//! which word overlap is not. Two titles are the same story at
//! [`THRESHOLD`] or above; grouping is single-link (a chain of close titles
//! is one story). The threshold was chosen on the labelled set in
//! `tests/fixtures/feeds/labelled.toml` (see `tests/feeds_tagging.rs` and
//! docs/feeds.md): at 0.5, 96% of the pairs it joins are one story; lower
//! thresholds join unrelated stories about the same actors, and a wrong
//! join hides news while a missed one only shows a second row.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::text::fold;

/// Titles this similar or more are one story.
pub const THRESHOLD: f64 = 0.5;
/// How far apart two items of one story may be.
pub const WINDOW_HOURS: i64 = 48;
/// Items compared with each new one, at most (the latest in the window):
/// a burst of thousands of items stays linear.
pub const MAX_CANDIDATES: usize = 2_000;

const STOP: &[&str] = &[
    "the", "a", "an", "of", "to", "in", "on", "for", "and", "or", "with", "as", "at", "by", "is",
    "are", "its", "it", "from", "after", "over", "new", "says", "der", "die", "das", "den", "dem",
    "des", "ein", "eine", "einen", "und", "oder", "mit", "fur", "auf", "im", "in", "zu", "zum",
    "zur", "von", "vom", "ist", "sind", "nach", "uber", "bei", "als", "neue", "neuer", "neues",
    "sich", "will", "wird",
];

/// A title's trigrams, ready to compare.
#[derive(Debug, Clone, Default)]
pub struct Fingerprint(HashSet<[char; 3]>);

impl Fingerprint {
    pub fn of(title: &str) -> Self {
        let folded = fold(title);
        let mut set = HashSet::new();
        for word in folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !STOP.contains(w))
        {
            let chars: Vec<char> = std::iter::once(' ')
                .chain(word.chars())
                .chain(std::iter::once(' '))
                .collect();
            for w in chars.windows(3) {
                set.insert([w[0], w[1], w[2]]);
            }
        }
        Self(set)
    }

    /// Dice coefficient: 2|A∩B| / (|A|+|B|), from 0 to 1.
    pub fn similarity(&self, other: &Self) -> f64 {
        let total = self.0.len() + other.0.len();
        if total == 0 {
            return 0.0;
        }
        let shared = self.0.intersection(&other.0).count();
        #[allow(clippy::cast_precision_loss)] // counts of trigrams in a title
        let dice = (2 * shared) as f64 / total as f64;
        dice
    }
}

/// Groups items (title, date): returns a group number per item, in input
/// order; items of one story share it.
pub fn group(items: &[(&str, DateTime<Utc>)]) -> Vec<usize> {
    group_with(items, THRESHOLD)
}

/// [`group`] at another threshold (to measure how the choice matters).
pub fn group_with(items: &[(&str, DateTime<Utc>)], threshold: f64) -> Vec<usize> {
    let prints: Vec<Fingerprint> = items.iter().map(|(t, _)| Fingerprint::of(t)).collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].1);
    let mut parent: Vec<usize> = (0..items.len()).collect();
    for (pos, &i) in order.iter().enumerate() {
        let earliest = items[i].1 - chrono::Duration::hours(WINDOW_HOURS);
        for &j in order[..pos]
            .iter()
            .rev()
            .take_while(|&&j| items[j].1 >= earliest)
            .take(MAX_CANDIDATES)
        {
            if prints[i].similarity(&prints[j]) >= threshold {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    (0..items.len()).map(|i| root(&mut parent, i)).collect()
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_737_000_000 + hours * 3600, 0).unwrap()
    }

    #[test]
    fn reworded_titles_group_within_the_window_only() {
        let items = [
            ("DeepSeek sends Nvidia shares tumbling", at(0)),
            ("Nvidia shares tumble as DeepSeek spooks investors", at(5)),
            ("Italy bans DeepSeek over privacy", at(6)),
            ("DeepSeek sends Nvidia shares tumbling", at(60)),
        ];
        let groups = group(&items);
        assert_eq!(groups[0], groups[1]);
        assert_ne!(groups[0], groups[2]);
        assert_ne!(groups[0], groups[3]);
    }

    #[test]
    fn similarity_is_symmetric_and_bounded() {
        let a = Fingerprint::of("OpenAI stellt GPT-5 vor");
        let b = Fingerprint::of("GPT-5: OpenAI stellt neues Modell vor");
        assert!((a.similarity(&b) - b.similarity(&a)).abs() < 1e-9);
        assert!((Fingerprint::of("x y").similarity(&Fingerprint::of("x y")) - 1.0).abs() < 1e-9);
        assert!(Fingerprint::of("").similarity(&Fingerprint::of("")).abs() < 1e-9);
    }
}
