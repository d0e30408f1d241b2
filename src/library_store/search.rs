//! Search in the store without reading every section's text: a word index
//! (`search_terms`, doc ids only) beside the trigram table.
//!
//! A query word holds no whitespace, so it occurs in a section's folded
//! text exactly when it occurs in one of the text's whitespace-separated
//! tokens. The store indexes, per section, its distinct tokens (`w` terms)
//! and its distinct one- and two-character grams (`g` terms), each
//! hex-encoded so that `SQLite`'s `ascii` tokenizer keeps it whole. A word
//! of one or two characters is then one gram's list of sections; a longer
//! word is the union of the lists of the tokens that contain it, found by
//! scanning the vocabulary (distinct tokens, read once into memory: a few
//! bytes per distinct token, never a copy of the bodies). Tokens longer
//! than `LONG_TOKEN` stay out of the vocabulary (a file controls them);
//! their sections carry the `zlong` term and are checked in their stored
//! text. Both ways give exactly the sections whose text contains the word.
//!
//! Typing on asks for words that extend the previous one, so the tokens
//! that matched a word are remembered and only they are checked for a
//! longer word, and the sections of a set of tokens are remembered too:
//! from `regu` to `regulators` the tokens, and so the hits, rarely change.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use crate::content::SectionId;

/// Longest token (in characters) kept in the vocabulary.
pub const LONG_TOKEN: usize = 64;
/// Tokens per `MATCH` (joined with `OR`): keeps each expression small.
const TERMS_PER_QUERY: usize = 100;
/// Words whose matching tokens are remembered, and token sets whose hits are.
const REMEMBERED_WORDS: usize = 64;
const REMEMBERED_HITS: usize = 16;

/// The `search_terms` text of a section whose searchable text is `folded`:
/// its distinct grams, then its distinct tokens, each as [`term`] writes
/// it, in ascending order, each followed by a space (and `zlong` at the
/// end when a token is longer than [`LONG_TOKEN`]).
pub fn terms(folded: &str) -> String {
    // No hash sets: this runs for every section stored, and a section
    // repeats most of its grams and tokens many times. Grams of ASCII
    // characters (nearly all) are marked in a bit set read back in order;
    // the others are sorted. Each gram is a number that sorts as its bytes
    // do, and the hex encoding keeps the order of the bytes, so the terms
    // come out sorted; grams (`g`) come before tokens (`w`).
    let mut ascii = AsciiGrams::default();
    let mut other: Vec<u128> = Vec::new();
    let mut words: Vec<&str> = Vec::with_capacity(folded.len() / 4);
    let mut long = false;
    for token in folded.split_whitespace() {
        let mut prev: Option<char> = None;
        let mut chars = 0;
        for c in token.chars() {
            chars += 1;
            if c.is_ascii() {
                ascii.mark(c, None);
            } else {
                other.push(gram(c, None));
            }
            if let Some(p) = prev {
                if p.is_ascii() && c.is_ascii() {
                    ascii.mark(p, Some(c));
                } else {
                    other.push(gram(p, Some(c)));
                }
            }
            prev = Some(c);
        }
        if chars > LONG_TOKEN {
            long = true;
        } else {
            words.push(token);
        }
    }
    other.sort_unstable();
    other.dedup();
    words.sort_unstable();
    words.dedup();
    let mut text = String::with_capacity(
        16 * other.len()
            + 6 * ascii.count()
            + words.iter().map(|w| 2 + 2 * w.len()).sum::<usize>()
            + 5,
    );
    let mut others = other.iter().copied().peekable();
    for g in ascii.sorted() {
        while let Some(o) = others.next_if(|&o| o < g) {
            push_gram(&mut text, o);
        }
        push_gram(&mut text, g);
    }
    for o in others {
        push_gram(&mut text, o);
    }
    for w in &words {
        push_term(&mut text, 'w', w.as_bytes());
        text.push(' ');
    }
    if long {
        text.push_str("zlong");
    }
    text
}

/// The grams of ASCII characters seen: one bit for each character and
/// each pair.
struct AsciiGrams {
    singles: [u64; 2],
    pairs: Box<[u64; 256]>,
}

impl Default for AsciiGrams {
    fn default() -> Self {
        Self {
            singles: [0; 2],
            pairs: Box::new([0; 256]),
        }
    }
}

impl AsciiGrams {
    fn mark(&mut self, a: char, b: Option<char>) {
        let a = a as usize & 127;
        match b {
            None => self.singles[a / 64] |= 1 << (a % 64),
            Some(b) => {
                let i = a * 128 + (b as usize & 127);
                self.pairs[i / 64] |= 1 << (i % 64);
            }
        }
    }

    fn count(&self) -> usize {
        let ones = |w: &u64| w.count_ones() as usize;
        self.singles.iter().map(ones).sum::<usize>() + self.pairs.iter().map(ones).sum::<usize>()
    }

    /// Every gram marked, as [`gram`] numbers, in ascending order: a
    /// character, then the pairs it begins.
    fn sorted(&self) -> impl Iterator<Item = u128> + '_ {
        (0u8..128).flat_map(move |a| {
            let single = (self.singles[usize::from(a) / 64] >> (a % 64) & 1 == 1)
                .then(|| gram(char::from(a), None));
            let words = &self.pairs[usize::from(a) * 2..usize::from(a) * 2 + 2];
            let pairs = (0u8..2).flat_map(move |half| {
                let mut bits = words[usize::from(half)];
                std::iter::from_fn(move || {
                    if bits == 0 {
                        return None;
                    }
                    let b = u8::try_from(bits.trailing_zeros()).unwrap_or(0) + 64 * half;
                    bits &= bits - 1;
                    Some(gram(char::from(a), Some(char::from(b))))
                })
            });
            single.into_iter().chain(pairs)
        })
    }
}

/// One or two characters as a number that sorts as their UTF-8 bytes do
/// (a prefix first): the bytes, big-endian and padded with zeros, then
/// how many there are.
fn gram(a: char, b: Option<char>) -> u128 {
    let mut buf = [0u8; 8];
    let first = a.encode_utf8(&mut buf).len();
    let both = first + b.map_or(0, |b| b.encode_utf8(&mut buf[first..]).len());
    (u128::from(u64::from_be_bytes(buf)) << 8) | both as u128
}

/// Appends the term of a [`gram`] number and a space.
fn push_gram(out: &mut String, gram: u128) {
    let len = (gram & 0xff) as usize;
    let bytes = u64::try_from(gram >> 8).unwrap_or(0).to_be_bytes();
    push_term(out, 'g', &bytes[..len.min(8)]);
    out.push(' ');
}

/// Appends [`term`]`(prefix, bytes)`.
fn push_term(out: &mut String, prefix: char, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(prefix);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

/// `prefix` and the bytes in lowercase hex: only `[0-9a-z]`, one token for
/// the `ascii` tokenizer and a bareword in a `MATCH` expression.
fn term(prefix: char, bytes: &[u8]) -> String {
    let mut t = String::with_capacity(1 + 2 * bytes.len());
    push_term(&mut t, prefix, bytes);
    t
}

fn unhex(hex: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// Every distinct token of the store, joined by newlines (a word never
/// holds one), with where each starts.
struct Vocab {
    text: String,
    starts: Vec<usize>,
}

impl Vocab {
    fn read(conn: &Connection) -> rusqlite::Result<Self> {
        let mut stmt = conn.prepare(
            "SELECT term FROM search_vocab WHERE term >= 'w' AND term < 'x' AND doc > 0",
        )?;
        let mut rows = stmt.query([])?;
        let mut text = String::new();
        let mut starts = Vec::new();
        while let Some(row) = rows.next()? {
            let hex: String = row.get(0)?;
            if let Some(token) = hex.get(1..).and_then(unhex) {
                starts.push(text.len());
                text.push_str(&token);
                text.push('\n');
            }
        }
        Ok(Self { text, starts })
    }

    fn token(&self, id: usize) -> &str {
        // Each token ends with its newline.
        let end = self.starts.get(id + 1).map_or(self.text.len(), |&e| e) - 1;
        &self.text[self.starts[id]..end]
    }

    /// The tokens containing `word`: among `within` when given, else all.
    fn matching(&self, word: &str, within: Option<&[usize]>) -> Vec<usize> {
        if let Some(ids) = within {
            return ids
                .iter()
                .copied()
                .filter(|&id| self.token(id).contains(word))
                .collect();
        }
        let mut ids: Vec<usize> = Vec::new();
        for at in memchr::memmem::find_iter(self.text.as_bytes(), word.as_bytes()) {
            let id = self.starts.partition_point(|&s| s <= at) - 1;
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
        ids
    }
}

/// What one word asks of the index.
#[derive(Clone, PartialEq, Eq)]
enum Ask {
    Gram(String),
    /// Vocabulary ids of the tokens containing the word.
    Tokens(Arc<Vec<usize>>),
}

/// Sections as bits, by section id.
type Bits = Arc<Vec<u64>>;

#[derive(Default)]
struct Memory {
    /// Counts `forget`s: what was read from the store before the latest
    /// one (a vocabulary read while a sync changed the text) is not kept.
    generation: u64,
    vocab: Option<Arc<Vocab>>,
    words: VecDeque<(String, Arc<Vec<usize>>)>,
    hits: VecDeque<(Ask, Bits)>,
}

/// The search side of a store read back: what it remembers between
/// keystrokes. Shared by every session of `serve`.
#[derive(Default)]
pub struct Searcher {
    memory: Mutex<Memory>,
}

impl Searcher {
    /// The sections (of `sections`, found from a rowid by `section`) whose
    /// folded searchable text contains every one of `words`, ascending.
    pub fn search(
        &self,
        conn: &Connection,
        words: &[String],
        sections: usize,
        section: &dyn Fn(i64) -> Option<SectionId>,
    ) -> rusqlite::Result<Vec<SectionId>> {
        let mut all: Option<Vec<u64>> = None;
        for word in words {
            let ask = self.ask(conn, word)?;
            let mut bits = self.hits(conn, &ask, sections, section)?;
            if matches!(ask, Ask::Tokens(_)) {
                let long = long_hits(conn, word, sections, section)?;
                if !long.is_empty() {
                    let with_long = Arc::make_mut(&mut bits);
                    for s in long {
                        with_long[s / 64] |= 1 << (s % 64);
                    }
                }
            }
            match &mut all {
                None => all = Some(bits.as_ref().clone()),
                Some(all) => all.iter_mut().zip(bits.iter()).for_each(|(a, b)| *a &= b),
            }
            if all.as_ref().is_some_and(|a| a.iter().all(|&w| w == 0)) {
                break;
            }
        }
        let all = all.unwrap_or_else(|| vec![u64::MAX; sections.div_ceil(64)]);
        Ok((0..sections)
            .filter(|&s| all[s / 64] & (1 << (s % 64)) != 0)
            .collect())
    }

    /// Forgets the vocabulary and every remembered hit: the store's text
    /// changed.
    pub fn forget(&self) {
        let mut memory = self.memory();
        *memory = Memory {
            generation: memory.generation + 1,
            ..Memory::default()
        };
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the vocabulary now unless it was read (see `vocab`).
    pub fn prepare(&self, conn: &Connection) -> rusqlite::Result<()> {
        self.vocab(conn).map(drop)
    }

    fn vocab(&self, conn: &Connection) -> rusqlite::Result<Arc<Vocab>> {
        let generation = {
            let memory = self.memory();
            if let Some(v) = &memory.vocab {
                return Ok(Arc::clone(v));
            }
            memory.generation
        };
        let vocab = Arc::new(Vocab::read(conn)?);
        self.keep_vocab(generation, &vocab);
        Ok(vocab)
    }

    /// Keeps a vocabulary read while `generation` was current, unless a
    /// `forget` came meanwhile (the text it was read from has changed).
    fn keep_vocab(&self, generation: u64, vocab: &Arc<Vocab>) {
        let mut memory = self.memory();
        if memory.generation == generation {
            memory.vocab = Some(Arc::clone(vocab));
        }
    }

    fn ask(&self, conn: &Connection, word: &str) -> rusqlite::Result<Ask> {
        if word.chars().count() <= 2 {
            return Ok(Ask::Gram(term('g', word.as_bytes())));
        }
        let generation = self.memory().generation;
        let vocab = self.vocab(conn)?;
        let known = {
            let memory = self.memory();
            // The longest remembered word inside this one: its tokens are
            // the only ones that can contain this word.
            memory
                .words
                .iter()
                .filter(|(w, _)| word.contains(w.as_str()))
                .max_by_key(|(w, _)| w.len())
                .map(|(w, ids)| (w.len() == word.len(), Arc::clone(ids)))
        };
        let ids = match known {
            Some((true, ids)) => ids,
            Some((false, within)) => Arc::new(vocab.matching(word, Some(&within))),
            None => Arc::new(vocab.matching(word, None)),
        };
        let mut memory = self.memory();
        if memory.generation == generation && !memory.words.iter().any(|(w, _)| w == word) {
            if memory.words.len() >= REMEMBERED_WORDS {
                memory.words.pop_front();
            }
            memory.words.push_back((word.to_owned(), Arc::clone(&ids)));
        }
        Ok(Ask::Tokens(ids))
    }

    fn hits(
        &self,
        conn: &Connection,
        ask: &Ask,
        sections: usize,
        section: &dyn Fn(i64) -> Option<SectionId>,
    ) -> rusqlite::Result<Bits> {
        let generation = {
            let memory = self.memory();
            if let Some((_, bits)) = memory.hits.iter().find(|(a, _)| a == ask) {
                return Ok(Arc::clone(bits));
            }
            memory.generation
        };
        let mut bits = vec![0u64; sections.div_ceil(64)];
        let mut mark = |rowid: i64| {
            if let Some(s) = section(rowid).filter(|&s| s < sections) {
                bits[s / 64] |= 1 << (s % 64);
            }
        };
        let mut stmt =
            conn.prepare_cached("SELECT rowid FROM search_terms WHERE search_terms MATCH ?1")?;
        match ask {
            Ask::Gram(gram) => {
                let mut rows = stmt.query([gram])?;
                while let Some(row) = rows.next()? {
                    mark(row.get(0)?);
                }
            }
            Ask::Tokens(ids) => {
                let vocab = self.vocab(conn)?;
                for chunk in ids.chunks(TERMS_PER_QUERY) {
                    let expr = chunk
                        .iter()
                        .map(|&id| term('w', vocab.token(id).as_bytes()))
                        .collect::<Vec<_>>()
                        .join(" OR ");
                    let mut rows = stmt.query([expr])?;
                    while let Some(row) = rows.next()? {
                        mark(row.get(0)?);
                    }
                }
            }
        }
        let bits = Arc::new(bits);
        let mut memory = self.memory();
        if memory.generation == generation {
            if memory.hits.len() >= REMEMBERED_HITS {
                memory.hits.pop_front();
            }
            memory.hits.push_back((ask.clone(), Arc::clone(&bits)));
        }
        Ok(bits)
    }
}

/// Sections with a token too long for the vocabulary whose stored text
/// contains `word`: few (the `zlong` term lists them), checked one by one.
fn long_hits(
    conn: &Connection,
    word: &str,
    sections: usize,
    section: &dyn Fn(i64) -> Option<SectionId>,
) -> rusqlite::Result<Vec<SectionId>> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid FROM search WHERE rowid IN \
         (SELECT rowid FROM search_terms WHERE search_terms MATCH 'zlong') \
         AND instr(text, ?1) > 0",
    )?;
    let rowids = stmt
        .query_map([word], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(rowids
        .into_iter()
        .filter_map(section)
        .filter(|&s| s < sections)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vocabulary read before a sync changed the text (the reader starts
    /// its read after the first frame, the sync runs meanwhile and then
    /// `forget`s) is not kept: the next search reads the new one, so an
    /// edited section's new words are found.
    #[test]
    fn a_vocabulary_read_before_a_forget_is_not_kept() {
        let searcher = Searcher::default();
        let vocab = || {
            Arc::new(Vocab {
                text: String::new(),
                starts: Vec::new(),
            })
        };
        let before = searcher.memory().generation;
        searcher.forget();
        searcher.keep_vocab(before, &vocab());
        assert!(searcher.memory().vocab.is_none(), "stale: dropped");
        let now = searcher.memory().generation;
        searcher.keep_vocab(now, &vocab());
        assert!(searcher.memory().vocab.is_some());
    }

    #[test]
    fn terms_hold_tokens_and_grams_hex_encoded() {
        let t = terms("ab a\nab");
        assert_eq!(t, "g61 g6162 g62 w61 w6162 ");
        assert_eq!(unhex("6162").as_deref(), Some("ab"));
    }

    /// `terms` as it was written first (hash sets, then a sorted set of
    /// the encoded terms): the sorted lists must give the same text.
    fn terms_by_sets(folded: &str) -> String {
        let mut grams = std::collections::HashSet::new();
        let mut words = std::collections::HashSet::new();
        let mut long = false;
        for token in folded.split_whitespace() {
            let mut prev: Option<char> = None;
            for c in token.chars() {
                grams.insert(c.to_string());
                if let Some(p) = prev {
                    grams.insert(format!("{p}{c}"));
                }
                prev = Some(c);
            }
            if token.chars().count() > LONG_TOKEN {
                long = true;
            } else {
                words.insert(token);
            }
        }
        let set: std::collections::BTreeSet<String> = grams
            .iter()
            .map(|g| term('g', g.as_bytes()))
            .chain(words.iter().map(|w| term('w', w.as_bytes())))
            .collect();
        let mut text = String::new();
        for t in &set {
            text.push_str(t);
            text.push(' ');
        }
        if long {
            text.push_str("zlong");
        }
        text
    }

    #[test]
    fn terms_are_the_same_as_by_hash_sets() {
        let alphabet: Vec<char> = "ab z\n\tßüéλ漢😀-.".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for n in 0..3_000 {
            let len = n % 97;
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[usize::try_from(seed % alphabet.len() as u64).unwrap()]
                })
                .collect();
            assert_eq!(terms(&text), terms_by_sets(&text), "{text:?}");
        }
        let long = format!("ab {} ab", "y".repeat(LONG_TOKEN + 1));
        assert_eq!(terms(&long), terms_by_sets(&long));
        let folded = crate::text::fold("Südkorea und Nvidia: die GPU-Preise steigen, sagt Huang.");
        assert_eq!(terms(&folded), terms_by_sets(&folded));
    }

    #[test]
    fn long_tokens_are_marked_not_listed() {
        let long = "x".repeat(LONG_TOKEN + 1);
        let t = terms(&long);
        assert!(t.ends_with("zlong"), "{t}");
        assert!(!t.contains('w'), "{t}");
    }

    #[test]
    fn the_vocabulary_finds_tokens_containing_a_word() {
        let vocab = Vocab {
            text: "regulators\nmodel\nregular\n".into(),
            starts: vec![0, 11, 17],
        };
        assert_eq!(vocab.token(0), "regulators");
        assert_eq!(vocab.token(2), "regular");
        assert_eq!(vocab.matching("regul", None), vec![0, 2]);
        assert_eq!(vocab.matching("regulat", Some(&[0, 2])), vec![0]);
    }
}
