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
//! is one story), but a story spans at most [`WINDOW_HOURS`] from its first
//! item to its last and holds at most [`MAX_STORY`] items, so a chain of
//! similar titles cannot join a week's (or years') news into one. The threshold was chosen on the labelled set in
//! `tests/fixtures/feeds/labelled.toml` (see `tests/feeds_tagging.rs` and
//! docs/feeds.md): at 0.5, 96% of the pairs it joins are one story; lower
//! thresholds join unrelated stories about the same actors, and a wrong
//! join hides news while a missed one only shows a second row.

use chrono::{DateTime, Utc};

use crate::text::fold;

/// Titles this similar or more are one story.
pub const THRESHOLD: f64 = 0.5;
/// How far apart two items of one story may be: the first and the last
/// item of a story are at most this far apart.
pub const WINDOW_HOURS: i64 = 48;
/// Items in one story, at most (the store also keeps one item per feed).
pub const MAX_STORY: usize = 50;
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

/// A title's trigrams, ready to compare: each packed in a `u64` (three
/// 21-bit characters), sorted and distinct, so two are compared by one
/// merge rather than by hashing (the store compares thousands per put).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint(Vec<u64>);

impl Fingerprint {
    pub fn of(title: &str) -> Self {
        let folded = fold(title);
        let mut set = Vec::new();
        for word in folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !STOP.contains(w))
        {
            let chars: Vec<char> = std::iter::once(' ')
                .chain(word.chars())
                .chain(std::iter::once(' '))
                .collect();
            for w in chars.windows(3) {
                set.push(pack(w[0], w[1], w[2]));
            }
        }
        set.sort_unstable();
        set.dedup();
        Self(set)
    }

    /// The distinct trigrams, packed and sorted.
    pub fn trigrams(&self) -> &[u64] {
        &self.0
    }

    /// Dice coefficient: 2|A∩B| / (|A|+|B|), from 0 to 1.
    pub fn similarity(&self, other: &Self) -> f64 {
        let total = self.0.len() + other.0.len();
        if total == 0 {
            return 0.0;
        }
        let shared = shared(&self.0, &other.0);
        #[allow(clippy::cast_precision_loss)] // counts of trigrams in a title
        let dice = (2 * shared) as f64 / total as f64;
        dice
    }
}

/// Three characters in one number (a `char` is at most 21 bits).
fn pack(a: char, b: char, c: char) -> u64 {
    (u64::from(a) << 42) | (u64::from(b) << 21) | u64::from(c)
}

/// How many values two sorted, distinct lists share.
fn shared(left: &[u64], right: &[u64]) -> usize {
    let (mut l, mut r, mut count) = (0, 0, 0);
    while l < left.len() && r < right.len() {
        match left[l].cmp(&right[r]) {
            std::cmp::Ordering::Less => l += 1,
            std::cmp::Ordering::Greater => r += 1,
            std::cmp::Ordering::Equal => {
                count += 1;
                l += 1;
                r += 1;
            }
        }
    }
    count
}

/// Groups items (title, date): returns a group number per item, in input
/// order; items of one story share it.
pub fn group(items: &[(&str, DateTime<Utc>)]) -> Vec<usize> {
    group_with(items, THRESHOLD)
}

/// [`group`] at another threshold (to measure how the choice matters).
/// Items are taken in time order; an item joins the groups it matches only
/// while the joined group still spans at most [`WINDOW_HOURS`] and holds at
/// most [`MAX_STORY`] items (the most similar match first).
pub fn group_with(items: &[(&str, DateTime<Utc>)], threshold: f64) -> Vec<usize> {
    let prints: Vec<Fingerprint> = items.iter().map(|(t, _)| Fingerprint::of(t)).collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].1);
    let mut parent: Vec<usize> = (0..items.len()).collect();
    // Per root: the group's first date and its size.
    let mut first: Vec<DateTime<Utc>> = items.iter().map(|i| i.1).collect();
    let mut size: Vec<usize> = vec![1; items.len()];
    for (pos, &i) in order.iter().enumerate() {
        let earliest = items[i].1 - chrono::Duration::hours(WINDOW_HOURS);
        let mut matches: Vec<(f64, usize)> = order[..pos]
            .iter()
            .rev()
            .take_while(|&&j| items[j].1 >= earliest)
            .take(MAX_CANDIDATES)
            .map(|&j| (prints[i].similarity(&prints[j]), j))
            .filter(|&(similarity, _)| similarity >= threshold)
            .collect();
        matches.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (_, j) in matches {
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            // i is the latest so far: the joined group spans from the
            // earlier of the two first dates to i.
            if a == b || first[a].min(first[b]) < earliest || size[a] + size[b] > MAX_STORY {
                continue;
            }
            let (keep, gone) = (a.min(b), a.max(b));
            parent[gone] = keep;
            first[keep] = first[a].min(first[b]);
            size[keep] = size[a] + size[b];
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

    /// A chain of close titles, each a day after the last: A~B and B~C, but
    /// A and C are two days and a half apart, so not all three are one.
    #[test]
    fn a_chain_of_similar_titles_spans_the_window_at_most() {
        let items = [
            ("DeepSeek sends Nvidia shares tumbling", at(0)),
            ("DeepSeek sends Nvidia shares tumbling again", at(30)),
            ("DeepSeek sends Nvidia shares tumbling again today", at(60)),
        ];
        let groups = group(&items);
        assert_eq!(groups[0], groups[1]);
        assert_ne!(groups[0], groups[2], "A and C are 60 hours apart");
        // Hourly near-identical titles for a year: every group spans 48
        // hours at most and holds at most MAX_STORY items.
        let titles: Vec<String> = (0..8_760)
            .map(|h| format!("Model release {} shakes AI markets", h % 7))
            .collect();
        let items: Vec<(&str, DateTime<Utc>)> = titles
            .iter()
            .enumerate()
            .map(|(h, t)| (t.as_str(), at(i64::try_from(h).unwrap())))
            .collect();
        let groups = group(&items);
        let mut spans: std::collections::HashMap<usize, (i64, i64, usize)> =
            std::collections::HashMap::new();
        for (i, &g) in groups.iter().enumerate() {
            let h = i64::try_from(i).unwrap();
            let e = spans.entry(g).or_insert((h, h, 0));
            *e = (e.0.min(h), e.1.max(h), e.2 + 1);
        }
        assert!(spans.len() > 100, "{} groups", spans.len());
        for (first, last, n) in spans.values() {
            assert!(last - first <= WINDOW_HOURS, "{first}..{last}");
            assert!(*n <= MAX_STORY, "{n} items");
        }
    }

    /// The Dice coefficient of the titles' trigram sets, as it was first
    /// written (hash sets): the packed, sorted lists must give the same.
    #[allow(clippy::cast_precision_loss)] // counts of trigrams in a title
    fn dice_by_sets(a: &str, b: &str) -> f64 {
        use std::collections::HashSet;
        let set = |t: &str| -> HashSet<[char; 3]> {
            let folded = fold(t);
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
            set
        };
        let (a, b) = (set(a), set(b));
        if a.len() + b.len() == 0 {
            return 0.0;
        }
        (2 * a.intersection(&b).count()) as f64 / (a.len() + b.len()) as f64
    }

    #[test]
    fn packed_trigrams_give_the_dice_of_the_sets() {
        let titles = [
            "DeepSeek sends Nvidia shares tumbling",
            "Nvidia shares tumble as DeepSeek spooks investors",
            "Südkoreas Datenschützer prüfen DeepSeek",
            "SUDKOREA: Datenschutz und DeepSeek",
            "漢字 und Ελληνικά, Łódź",
            "aaa aaaa a",
            "",
            "the a of",
            "GPT-5: OpenAI stellt neues Modell vor",
            "OpenAI stellt GPT-5 vor",
        ];
        for a in titles {
            for b in titles {
                let fast = Fingerprint::of(a).similarity(&Fingerprint::of(b));
                assert!((fast - dice_by_sets(a, b)).abs() < 1e-12, "{a} | {b}");
            }
        }
        // Random titles from a small pool of pieces, so they share a lot.
        let pieces = [
            "Deep", "Seek", "nvidia", "NVIDIA", "shares", " ", "-", "ä", "ß", "über", "die", "the",
            "a", "x", "GPT", "5", ": ", "漢", "Ł",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..2_000 {
            let mut title = || {
                (0..next(10))
                    .map(|_| pieces[next(pieces.len())])
                    .collect::<String>()
            };
            let (a, b) = (title(), title());
            let fast = Fingerprint::of(&a).similarity(&Fingerprint::of(&b));
            assert!((fast - dice_by_sets(&a, &b)).abs() < 1e-12, "{a} | {b}");
        }
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
