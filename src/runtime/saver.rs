//! Where the reader's state goes when the app asks to save it: the library
//! store (only what changed, one transaction per save), a `state.json`
//! (with `--no-store`), or nowhere. The app only hands over a snapshot.
//! A save never keeps a key waiting for another writer: `Saves` puts it
//! off while the store is locked and tries again on the loop's clock
//! (`Driver::wake_at`), and saves what changed once a minute as well.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::input::Outcome;
use crate::library_store::{LibraryStore, SAVE_WAIT};
use crate::store::SavedState;

pub enum StateSaver {
    /// Kept in memory only (a state file from a newer version, say).
    Nowhere,
    /// The whole state written atomically to a JSON file, when it differs
    /// from `last`, the state the file holds as far as this process knows
    /// (read at start, then each successful save): the periodic save of a
    /// reader that only looks rewrites nothing.
    File {
        path: PathBuf,
        last: Option<SavedState>,
    },
    /// Changes written to the store; `last` is the state it holds as far
    /// as this process knows (read at start, then each successful save).
    Store {
        store: Box<LibraryStore>,
        last: SavedState,
    },
}

/// Why a save did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveError {
    /// Another process held the store's write lock past the wait: the
    /// same save is tried again later.
    Locked(String),
    /// Anything else, as text for the status line.
    Failed(String),
}

impl SaveError {
    pub fn text(&self) -> &str {
        match self {
            Self::Locked(text) | Self::Failed(text) => text,
        }
    }
}

impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

impl From<crate::library_store::StoreError> for SaveError {
    fn from(e: crate::library_store::StoreError) -> Self {
        if e.is_locked() {
            Self::Locked(e.to_string())
        } else {
            Self::Failed(e.to_string())
        }
    }
}

impl StateSaver {
    /// Saves `state`, waiting at most `wait` for another writer.
    pub fn save(&mut self, state: &SavedState, wait: Duration) -> Result<(), SaveError> {
        match self {
            Self::Nowhere => Ok(()),
            Self::File { path, last } => {
                if last.as_ref() == Some(state) {
                    return Ok(());
                }
                crate::store::save(path, state)
                    .map_err(|e| SaveError::Failed(format!("{}: {e}", path.display())))?;
                *last = Some(state.clone());
                Ok(())
            }
            Self::Store { store, last } => {
                if state == last {
                    return Ok(());
                }
                store.wait_for_writers(wait)?;
                store.save_state(last, state)?;
                last.clone_from(state);
                Ok(())
            }
        }
    }

    /// The reading state the store holds, when it is exactly what this
    /// process read and saved: the store was read at start and no other
    /// connection wrote to it since (`LibraryStore::unchanged_since_read`).
    /// Taken, not copied: at quit, when it is asked, a third copy of every
    /// key would raise the reader's peak memory.
    pub fn into_store_as_read(self) -> Option<SavedState> {
        match self {
            Self::Store { store, last } if store.unchanged_since_read() => Some(last),
            _ => None,
        }
    }
}

/// How soon a save put off is tried again.
pub const RETRY_EVERY: Duration = Duration::from_secs(2);

/// How often the reading state is saved while it changes, so that a
/// reader killed outright (`kill -9`, a crash) loses at most this much.
pub const SAVE_EVERY: Duration = Duration::from_secs(60);

/// How long the reader's quit waits for another writer's lock.
pub const QUIT_WAIT: Duration = Duration::from_secs(5);

/// A save put off while the store is locked (by another program) or
/// busy (our own writer): when it is tried again, and whether the reader
/// was told (once a wait, and again when it lands). One for the local
/// reader's `Saves` and one for each served reader's session; the retry
/// interval is theirs to give.
#[derive(Debug, Default)]
pub struct PutOff {
    /// When the save put off is tried again.
    retry_at: Option<Instant>,
    /// Whether the reader was told their save is put off (once a wait).
    told: bool,
}

impl PutOff {
    /// When the save put off is tried again, if one is.
    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// Tried again `every` from `now`.
    pub fn retry_after(&mut self, now: Instant, every: Duration) {
        self.retry_at = Some(now + every);
    }

    /// Tried again `every` from `now`, unless a retry is set already.
    pub fn retry_at_latest(&mut self, now: Instant, every: Duration) {
        self.retry_at.get_or_insert(now + every);
    }

    /// No retry set (until the next save put off).
    pub fn clear_retry(&mut self) {
        self.retry_at = None;
    }

    /// Another program's lock met the save: tried again `every` from
    /// `now`; the reader is told the first time of a wait.
    pub fn locked(&mut self, now: Instant, every: Duration) -> Option<Outcome> {
        self.retry_after(now, every);
        (!std::mem::replace(&mut self.told, true)).then_some(Outcome::SavePutOff)
    }

    /// The save landed: no retry, and the reader told so when they were
    /// told it was put off.
    pub fn landed(&mut self) -> Option<Outcome> {
        self.retry_at = None;
        std::mem::take(&mut self.told).then_some(Outcome::SaveLanded)
    }

    /// The notice of this wait could not be shown: the next one is said.
    pub fn untold(&mut self) {
        self.told = false;
    }
}

/// The saves of one reader: tried at once with a short wait, put off
/// while the store is locked (by another process) or busy (our own sync
/// or fetch), tried again every `RETRY_EVERY`, and made every
/// `SAVE_EVERY` while the reader reads. Times come in as `now`: tests
/// drive it with a clock of their own.
pub struct Saves {
    saver: StateSaver,
    /// The latest state put off, saved when the store is free.
    put_off: Option<SavedState>,
    /// When it is tried again, and whether the reader was told.
    waiting: PutOff,
    /// When a save was last made or tried.
    saved_at: Instant,
    /// Something may have changed since (a frame was drawn).
    changed: bool,
    /// Why the latest save failed, while no later one succeeded.
    unsaved: Option<String>,
}

impl Saves {
    pub fn new(saver: StateSaver, now: Instant) -> Self {
        Self {
            saver,
            put_off: None,
            waiting: PutOff::default(),
            saved_at: now,
            changed: false,
            unsaved: None,
        }
    }

    /// A save asked for (a star, all read, quit); `busy`: our own writer
    /// holds the store, so it is put off without trying. What to tell the
    /// reader, if anything.
    pub fn save(&mut self, state: SavedState, busy: bool, now: Instant) -> Option<Outcome> {
        if busy {
            self.put_off(state, now);
            return None;
        }
        self.try_save(state, SAVE_WAIT, now)
    }

    /// The state changed, perhaps (a frame was drawn): the periodic save
    /// has something to look at.
    pub fn touched(&mut self) {
        self.changed = true;
    }

    /// When `wake` has something to do: a retry, or the periodic save.
    pub fn wake_at(&self) -> Option<Instant> {
        let periodic = self.changed.then(|| self.saved_at + SAVE_EVERY);
        match (self.waiting.retry_at(), periodic) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A save put off is tried again, or the periodic one made, with the
    /// latest state (`snapshot`), when due and `busy` (our own writer)
    /// says the store is free.
    pub fn wake(
        &mut self,
        snapshot: impl FnOnce() -> SavedState,
        busy: bool,
        now: Instant,
    ) -> Option<Outcome> {
        if self.wake_at().is_none_or(|at| at > now) {
            return None;
        }
        if busy {
            // Our own put: it ends soon, and is looked at again then.
            if self.waiting.retry_at().is_some() {
                self.waiting.retry_after(now, RETRY_EVERY);
            }
            if self.changed {
                self.saved_at = now;
            }
            return None;
        }
        self.changed = false;
        self.try_save(snapshot(), SAVE_WAIT, now)
    }

    /// The reader is leaving: the state put off (or `last`, the final
    /// one) is saved, waiting at most `wait` for another writer; when a
    /// first short try finds the store locked, `waiting` is called before
    /// that wait (to say so on screen). Why it could not be saved, if so.
    pub fn finish(
        &mut self,
        last: Option<SavedState>,
        wait: Duration,
        waiting: impl FnOnce(),
    ) -> Option<String> {
        if let Some(state) = last.or_else(|| self.put_off.take()) {
            let mut saved = self.saver.save(&state, SAVE_WAIT.min(wait));
            if matches!(saved, Err(SaveError::Locked(_))) && wait > SAVE_WAIT {
                waiting();
                saved = self.saver.save(&state, wait);
            }
            match saved {
                Ok(()) => self.unsaved = None,
                Err(e) => self.unsaved = Some(e.text().to_owned()),
            }
        }
        self.unsaved.take()
    }

    /// The reading state the store holds when it is exactly what this
    /// reader read and saved (`StateSaver::into_store_as_read`); the saver
    /// is left saving nowhere. Asked once, after `finish`.
    pub fn take_store_as_read(&mut self) -> Option<SavedState> {
        std::mem::replace(&mut self.saver, StateSaver::Nowhere).into_store_as_read()
    }

    /// Whether a save waits for the store.
    pub fn pending(&self) -> bool {
        self.put_off.is_some()
    }

    fn put_off(&mut self, state: SavedState, now: Instant) {
        self.put_off = Some(state);
        self.waiting.retry_at_latest(now, RETRY_EVERY);
    }

    fn try_save(&mut self, state: SavedState, wait: Duration, now: Instant) -> Option<Outcome> {
        self.saved_at = now;
        match self.saver.save(&state, wait) {
            Ok(()) => {
                self.unsaved = None;
                self.put_off = None;
                self.waiting.landed()
            }
            Err(SaveError::Locked(e)) => {
                self.put_off = Some(state);
                self.unsaved = Some(e);
                self.waiting.locked(now, RETRY_EVERY)
            }
            Err(SaveError::Failed(e)) => {
                self.unsaved = Some(e.clone());
                Some(Outcome::SaveFailed(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn starred(id: &str) -> SavedState {
        SavedState {
            starred: vec![id.to_owned()],
            ..SavedState::default()
        }
    }

    fn file_stars(path: &std::path::Path) -> Vec<String> {
        match crate::store::load(path) {
            crate::store::Loaded::State(state) => state.starred,
            _ => Vec::new(),
        }
    }

    /// The put-off logic both readers share (local `Saves`, a served
    /// session): said once a wait, landing said only after that, retries
    /// on the interval given.
    #[test]
    fn a_wait_is_said_once_and_its_end_only_when_it_was_said() {
        let t0 = Instant::now();
        let every = Duration::from_secs(3);
        let mut waiting = PutOff::default();
        assert_eq!(waiting.landed(), None, "nothing was said");
        assert_eq!(waiting.locked(t0, every), Some(Outcome::SavePutOff));
        assert_eq!(waiting.locked(t0 + every, every), None);
        assert_eq!(waiting.retry_at(), Some(t0 + every * 2));
        waiting.retry_at_latest(t0, every);
        assert_eq!(waiting.retry_at(), Some(t0 + every * 2), "kept");
        assert_eq!(waiting.landed(), Some(Outcome::SaveLanded));
        assert_eq!(waiting.retry_at(), None);
        // A notice that could not be shown: the next wait is said.
        assert_eq!(waiting.locked(t0, every), Some(Outcome::SavePutOff));
        waiting.untold();
        assert_eq!(waiting.locked(t0, every), Some(Outcome::SavePutOff));
    }

    /// Another connection holds the write lock: the save is put off with
    /// one notice (not one per try), tried again on the clock, and lands
    /// with a notice once the lock is gone.
    #[test]
    fn a_save_met_by_another_writer_is_put_off_and_lands_later() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("library.sqlite");
        let store = LibraryStore::open(&path).unwrap().store;
        let t0 = Instant::now();
        let to_store = StateSaver::Store {
            store: Box::new(store),
            last: SavedState::default(),
        };
        let mut saves = Saves::new(to_store, t0);
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();

        assert_eq!(
            saves.save(starred("a"), false, t0),
            Some(Outcome::SavePutOff)
        );
        assert!(saves.pending());
        assert_eq!(saves.wake_at(), Some(t0 + RETRY_EVERY));
        // Not due yet: nothing is tried.
        assert_eq!(saves.wake(|| starred("b"), false, t0), None);
        // Due, still locked: tried, said no more.
        let t1 = t0 + RETRY_EVERY;
        assert_eq!(saves.wake(|| starred("b"), false, t1), None);
        assert_eq!(saves.wake_at(), Some(t1 + RETRY_EVERY));

        other.execute_batch("COMMIT").unwrap();
        let t2 = t1 + RETRY_EVERY;
        assert_eq!(
            saves.wake(|| starred("b"), false, t2),
            Some(Outcome::SaveLanded)
        );
        assert!(!saves.pending());
        assert_eq!(saves.wake_at(), None);
        let mut check = LibraryStore::open(&path).unwrap().store;
        let stored = check.load_state().unwrap().unwrap();
        assert_eq!(stored.starred, ["b"], "{stored:?}");
    }

    /// While the reader reads (frames drawn), the state is saved every
    /// `SAVE_EVERY`: a reader killed outright loses at most that much.
    #[test]
    fn the_state_is_saved_every_minute_while_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let t0 = Instant::now();
        let to_file = StateSaver::File {
            path: path.clone(),
            last: None,
        };
        let mut saves = Saves::new(to_file, t0);
        assert_eq!(saves.wake_at(), None, "nothing drawn, nothing to save");
        saves.touched();
        assert_eq!(saves.wake_at(), Some(t0 + SAVE_EVERY));
        let early = t0 + SAVE_EVERY / 2;
        assert_eq!(saves.wake(|| starred("a"), false, early), None);
        assert!(!path.exists(), "saved before the minute was up");
        assert_eq!(saves.wake(|| starred("a"), false, t0 + SAVE_EVERY), None);
        assert_eq!(file_stars(&path), ["a"]);
        assert_eq!(saves.wake_at(), None, "nothing changed since");
        // Our own writer holds the store: the periodic save waits a turn.
        saves.touched();
        let t1 = t0 + SAVE_EVERY * 2;
        assert_eq!(saves.wake(|| starred("b"), true, t1), None);
        assert_eq!(file_stars(&path), ["a"], "saved while our own writer wrote");
        assert_eq!(saves.wake_at(), Some(t1 + SAVE_EVERY));
    }

    /// The file's identity and time of change: an atomic write replaces
    /// the file (a new inode), so a rewrite shows even within one tick of
    /// the file system's clock.
    fn written(path: &std::path::Path) -> (u64, std::time::SystemTime) {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).unwrap();
        (meta.ino(), meta.modified().unwrap())
    }

    /// With `--no-store`, the periodic save of a reader that only looks
    /// (frames drawn, nothing marked) leaves `state.json` as it is, the
    /// one read at start as well; a change is written at the next one.
    #[test]
    fn the_periodic_save_rewrites_no_state_file_when_nothing_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        crate::store::save(&path, &starred("a")).unwrap();
        let before = written(&path);
        let crate::store::Loaded::State(read) = crate::store::load(&path) else {
            panic!("the state file reads");
        };
        let t0 = Instant::now();
        let to_file = StateSaver::File {
            path: path.clone(),
            last: Some(read.clone()),
        };
        let mut saves = Saves::new(to_file, t0);
        let mut now = t0;
        for _ in 0..3 {
            saves.touched();
            now += SAVE_EVERY;
            assert_eq!(saves.wake(|| read.clone(), false, now), None);
            assert_eq!(written(&path), before, "rewritten with nothing changed");
        }
        saves.touched();
        now += SAVE_EVERY;
        assert_eq!(saves.wake(|| starred("b"), false, now), None);
        assert_ne!(written(&path), before);
        assert_eq!(file_stars(&path), ["b"]);
        let after = written(&path);
        // The quit's save of the same state writes nothing either.
        assert_eq!(saves.finish(Some(starred("b")), QUIT_WAIT, || {}), None);
        assert_eq!(written(&path), after);
    }

    /// Quitting while another writer holds the lock past the wait is
    /// said before the wait (once) and then why the state was not saved
    /// (never silently).
    #[test]
    fn a_quit_that_cannot_get_the_lock_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("library.sqlite");
        let store = LibraryStore::open(&path).unwrap().store;
        let to_store = StateSaver::Store {
            store: Box::new(store),
            last: SavedState::default(),
        };
        let mut saves = Saves::new(to_store, Instant::now());
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let mut told = 0;
        let error = saves.finish(Some(starred("a")), Duration::from_millis(100), || {
            told += 1;
        });
        assert!(error.is_some_and(|e| e.contains("locked")));
        assert_eq!(told, 1, "the wait is said once, before it");
        // With the store free, nothing is said: the save lands at once.
        other.execute_batch("COMMIT").unwrap();
        let mut told = 0;
        let error = saves.finish(Some(starred("b")), Duration::from_millis(100), || {
            told += 1;
        });
        assert_eq!((error, told), (None, 0));
    }
}
