//! Where the reader's state goes when the app asks to save it: the library
//! store (only what changed, one transaction per save), a `state.json`
//! (with `--no-store`), or nowhere. The app only hands over a snapshot.

use std::path::PathBuf;

use crate::library_store::LibraryStore;
use crate::store::SavedState;

pub enum StateSaver {
    /// Kept in memory only (a state file from a newer version, say).
    Nowhere,
    /// The whole state written atomically to a JSON file.
    File(PathBuf),
    /// Changes written to the store; `last` is the state it holds as far
    /// as this process knows (read at start, then each successful save).
    Store {
        store: Box<LibraryStore>,
        last: SavedState,
    },
}

impl StateSaver {
    /// Saves `state`; a failure is returned as text for the status line.
    pub fn save(&mut self, state: &SavedState) -> Result<(), String> {
        match self {
            Self::Nowhere => Ok(()),
            Self::File(path) => {
                crate::store::save(path, state).map_err(|e| format!("{}: {e}", path.display()))
            }
            Self::Store { store, last } => {
                store.save_state(last, state).map_err(|e| e.to_string())?;
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
