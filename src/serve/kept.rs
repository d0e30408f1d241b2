//! The state of a served reader signed in with a key: read from the store
//! when their session starts, saved when the app asks (a star, all read,
//! quit) and whatever ends the session, erased when they ask. Used only on
//! the reader's own thread: `SQLite` blocks (a save at most `SAVE_WAIT`
//! for another process's write lock, then it is put off), never the
//! server's runtime. The store is opened for each read or
//! write and closed after it: a session holds no file descriptors of it
//! (hundreds of sessions would hold three each). Anonymous readers have
//! no `Kept`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{log, quote};
use crate::library_store::LibraryStore;
use crate::runtime::saver::SaveError;
use crate::store::SavedState;

/// One reader's kept state and the store it goes to.
pub struct Kept {
    store: PathBuf,
    fingerprint: String,
    /// What the store holds for them as far as this session knows.
    last: SavedState,
    max: usize,
    /// Erased at their asking (here, or in another of their sessions):
    /// nothing more is written this session.
    erased: bool,
    /// The store holds a row for them, as far as this session knows.
    on_file: bool,
    /// When a save was last tried (or the state read).
    saved_at: Instant,
    /// A save met another writer's lock and waits (logged once a wait).
    locked: bool,
}

impl Kept {
    /// Opens the store and reads what is kept for `fingerprint`. A store
    /// that cannot be used is logged and the reader goes on in memory.
    pub fn open(path: &Path, fingerprint: &str, max: usize) -> Option<(Self, Option<SavedState>)> {
        match LibraryStore::open(path).and_then(|mut o| o.store.load_reader(fingerprint)) {
            Ok(saved) => Some((
                Self {
                    store: path.to_path_buf(),
                    fingerprint: fingerprint.to_owned(),
                    last: saved.clone().unwrap_or_default(),
                    max,
                    erased: false,
                    on_file: saved.is_some(),
                    saved_at: Instant::now(),
                    locked: false,
                },
                saved,
            )),
            Err(e) => {
                log(&format!(
                    "event=reader_state_error fingerprint={fingerprint} what=load error={}",
                    quote(&e.to_string())
                ));
                None
            }
        }
    }

    /// Saves what changed since the last save, waiting at most `wait`
    /// for another process's write lock. Locked, it is to be tried again
    /// (logged once a wait); another failure is logged, and said to the
    /// reader as text.
    pub fn save(&mut self, state: &SavedState, wait: Duration) -> Result<(), SaveError> {
        self.saved_at = Instant::now();
        if self.erased || *state == self.last {
            return Ok(());
        }
        let saved = LibraryStore::open(&self.store).and_then(|mut o| {
            o.store.wait_for_writers(wait)?;
            o.store
                .save_reader(&self.fingerprint, &self.last, state, self.max, self.on_file)
        });
        match saved {
            Err(e) if e.is_locked() => {
                if !std::mem::replace(&mut self.locked, true) {
                    log(&format!(
                        "event=reader_state_put_off fingerprint={} reason=locked",
                        self.fingerprint
                    ));
                }
                Err(SaveError::Locked(e.to_string()))
            }
            Ok(true) => {
                if std::mem::take(&mut self.locked) {
                    log(&format!(
                        "event=reader_state_saved_late fingerprint={}",
                        self.fingerprint
                    ));
                }
                self.last.clone_from(state);
                self.on_file = true;
                Ok(())
            }
            Ok(false) => {
                // Erased by another of their sessions (or forgotten past
                // `max_remembered`): this one does not bring it back.
                self.erased = true;
                log(&format!(
                    "event=reader_state_dropped fingerprint={} reason=\"erased or forgotten meanwhile\"",
                    self.fingerprint
                ));
                Ok(())
            }
            Err(e) => Err(SaveError::Failed(self.failed("save", &e))),
        }
    }

    /// Whether `every` has passed since the last save was tried.
    pub fn due(&self, every: Duration) -> bool {
        self.saved_at.elapsed() >= every
    }

    /// Erases everything kept for this reader; nothing more is saved
    /// this session.
    pub fn forget(&mut self) -> Result<(), String> {
        self.erased = true;
        match LibraryStore::open(&self.store)
            .and_then(|mut o| o.store.forget_reader(&self.fingerprint))
        {
            Ok(_) => {
                log(&format!(
                    "event=reader_forgotten fingerprint={}",
                    self.fingerprint
                ));
                Ok(())
            }
            Err(e) => Err(self.failed("forget", &e)),
        }
    }

    /// Logs a failed `what` (`save`, `forget`); the text for the reader.
    fn failed(&self, what: &str, e: &crate::library_store::StoreError) -> String {
        log(&format!(
            "event=reader_state_error fingerprint={} what={what} error={}",
            self.fingerprint,
            quote(&e.to_string())
        ));
        e.to_string()
    }
}
