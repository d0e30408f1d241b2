//! Read marks, stars and what is new since the last visit, per section,
//! kept by stable section key so they survive edits to other files.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::content::{Library, SectionId};
use crate::store::{SavedState, SavedView};

#[derive(Debug, Clone, Default)]
pub struct Marks {
    /// Per section id, for fast lookups while drawing and filtering.
    read: Vec<bool>,
    starred: Vec<bool>,
    new: Vec<bool>,
    /// By key, including sections not loaded this time (kept on save).
    read_keys: BTreeSet<String>,
    star_keys: BTreeSet<String>,
    known_keys: BTreeSet<String>,
    /// Sections that arrived while the reader ran (fetched feeds): new
    /// this session even on a first start, which remembers nothing.
    arrived_keys: BTreeSet<String>,
    /// Whether a saved state was given: without one nothing counts as new.
    remembered: bool,
    /// Changes whenever a flag may have changed, and differs between any
    /// two marks made apart: what was counted from them is still right
    /// while it stays the same.
    stamp: u64,
}

/// A stamp no marks had before.
fn fresh_stamp() -> u64 {
    static STAMPS: AtomicU64 = AtomicU64::new(1);
    STAMPS.fetch_add(1, Ordering::Relaxed)
}

impl Marks {
    /// Marks for `library` from a saved state. Without one (a first
    /// start) nothing counts as new: everything is simply unread.
    pub fn new(library: &Library, saved: Option<&SavedState>) -> Self {
        let Some(saved) = saved else {
            // Nothing saved: no keys to look up.
            let n = library.sections.len();
            return Self {
                read: vec![false; n],
                starred: vec![false; n],
                new: vec![false; n],
                stamp: fresh_stamp(),
                ..Self::default()
            };
        };
        let set = |list: &Vec<String>| -> BTreeSet<String> { list.iter().cloned().collect() };
        let mut marks = Self {
            read_keys: set(&saved.read),
            star_keys: set(&saved.starred),
            known_keys: set(&saved.known),
            remembered: true,
            ..Self::default()
        };
        marks.bind(library);
        marks
    }

    /// As `new`, taking the saved state's keys instead of copying them
    /// (a warm start holds 50,000 of them).
    pub fn from_owned(library: &Library, saved: Option<SavedState>) -> Self {
        let Some(saved) = saved else {
            return Self::new(library, None);
        };
        let mut marks = Self {
            read_keys: saved.read.into_iter().collect(),
            star_keys: saved.starred.into_iter().collect(),
            known_keys: saved.known.into_iter().collect(),
            remembered: true,
            ..Self::default()
        };
        marks.bind(library);
        marks
    }

    /// Sets the per-section flags of `library` from the keys, each looked
    /// up without building a string per section (a warm start of 50,000
    /// sections looks up three sets of that size).
    fn bind(&mut self, library: &Library) {
        fn lookup(set: &BTreeSet<String>) -> HashSet<&str> {
            set.iter().map(String::as_str).collect()
        }
        let (read, star, known, arrived) = (
            lookup(&self.read_keys),
            lookup(&self.star_keys),
            lookup(&self.known_keys),
            lookup(&self.arrived_keys),
        );
        let n = library.sections.len();
        let (mut is_read, mut starred, mut new) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let mut key = String::new();
        for s in 0..n {
            library.write_section_key(s, &mut key);
            let k = key.as_str();
            is_read.push(read.contains(k));
            starred.push(star.contains(k));
            new.push((self.remembered && !known.contains(k)) || arrived.contains(k));
        }
        (self.read, self.starred, self.new) = (is_read, starred, new);
        self.stamp = fresh_stamp();
    }

    /// See `stamp`: equal stamps, equal flags.
    pub fn stamp(&self) -> u64 {
        self.stamp
    }

    /// The same marks for another library (read again after a sync): each
    /// section looked up by key, so marks follow sections whose ids moved;
    /// what was new stays new.
    #[must_use]
    pub fn rebind(&self, library: &Library) -> Self {
        let mut marks = Self {
            read_keys: self.read_keys.clone(),
            star_keys: self.star_keys.clone(),
            known_keys: self.known_keys.clone(),
            arrived_keys: self.arrived_keys.clone(),
            remembered: self.remembered,
            ..Self::default()
        };
        marks.bind(library);
        marks
    }

    /// Sections renamed (old key, new key) keep having been seen, read,
    /// starred and arrived under their new keys, except the read mark of
    /// a section whose text the store found `rewritten` (substantially
    /// changed: it dropped that mark, and so does the reader, a mark given
    /// this session and not saved yet too); call [`rebind`](Self::rebind)
    /// after.
    pub fn rename(&mut self, renamed: &[(String, String)], rewritten: &[String]) {
        for (old, new) in renamed {
            for keys in [
                &mut self.known_keys,
                &mut self.read_keys,
                &mut self.star_keys,
                &mut self.arrived_keys,
            ] {
                if keys.contains(old) {
                    keys.insert(new.clone());
                }
            }
        }
        for key in rewritten {
            self.read_keys.remove(key);
        }
    }

    pub fn is_read(&self, s: SectionId) -> bool {
        self.read.get(s).copied().unwrap_or(false)
    }

    pub fn is_starred(&self, s: SectionId) -> bool {
        self.starred.get(s).copied().unwrap_or(false)
    }

    /// Counts the sections of `library` whose keys are not in `before`
    /// as new: they arrived while the reader ran.
    pub fn mark_arrived(&mut self, library: &Library, before: &BTreeSet<String>) {
        self.stamp = fresh_stamp();
        for s in 0..library.sections.len() {
            let key = library.section_key(s);
            if !before.contains(&key) {
                if let Some(new) = self.new.get_mut(s) {
                    *new = true;
                }
                self.arrived_keys.insert(key);
            }
        }
    }

    /// New since the last visit (and not yet read).
    pub fn is_new(&self, s: SectionId) -> bool {
        self.new.get(s).copied().unwrap_or(false) && !self.is_read(s)
    }

    /// Marks a section read; `true` when that changed anything.
    pub fn set_read(&mut self, library: &Library, s: SectionId) -> bool {
        if self.is_read(s) || s >= self.read.len() {
            return false;
        }
        self.read[s] = true;
        self.stamp = fresh_stamp();
        self.read_keys.insert(library.section_key(s));
        true
    }

    /// Stars or unstars a section; returns whether it is starred now.
    pub fn toggle_star(&mut self, library: &Library, s: SectionId) -> bool {
        let Some(slot) = self.starred.get_mut(s) else {
            return false;
        };
        *slot = !*slot;
        self.stamp = fresh_stamp();
        let key = library.section_key(s);
        if *slot {
            self.star_keys.insert(key);
        } else {
            self.star_keys.remove(&key);
        }
        *slot
    }

    /// What to save: marks by key, every section key now known, the view.
    pub fn snapshot(&self, library: &Library, view: SavedView) -> SavedState {
        let mut known = self.known_keys.clone();
        known.extend((0..library.sections.len()).map(|s| library.section_key(s)));
        SavedState {
            version: crate::store::VERSION,
            read: self.read_keys.iter().cloned().collect(),
            starred: self.star_keys.iter().cloned().collect(),
            known: known.into_iter().collect(),
            view: Some(view),
        }
    }
}
