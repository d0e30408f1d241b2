//! What the reader remembers between runs: read marks, stars, the
//! sections it has seen, and the last view. Saved as JSON in the XDG state
//! folder; every write is atomic (temporary file, fsync, rename), so a
//! reader killed at any moment leaves the old state or the new one, never
//! a broken file. A file that cannot be read is moved aside, not deleted.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning; older files are still read.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedState {
    pub version: u32,
    /// Section keys (`id|lang|heading`) marked read.
    pub read: Vec<String>,
    pub starred: Vec<String>,
    /// Every section key present at the last save: what is not here is new.
    pub known: Vec<String>,
    pub view: Option<SavedView>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedView {
    pub language: String,
    /// The open section's key.
    pub section: Option<String>,
    /// `topics`, `timeline` or `reader`.
    pub focus: String,
    /// Actor names shown and hidden.
    pub actors: Vec<String>,
    pub excluded: Vec<String>,
}

/// The default place: `$XDG_STATE_HOME/aiwatch-tui/state.json`.
pub fn default_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().ok()?;
    let dir = strategy.state_dir().unwrap_or_else(|| strategy.data_dir());
    Some(dir.join("aiwatch-tui").join("state.json"))
}

/// What loading found.
#[derive(Debug)]
pub enum Loaded {
    /// No state yet (first start).
    Nothing,
    State(SavedState),
    /// The file was written by a newer version (its `version` is above
    /// ours): it is left untouched and must not be overwritten.
    Newer {
        version: u32,
    },
    /// The file was unreadable; it was moved to `moved_to` and the reader
    /// starts fresh. `reason` says what was wrong.
    Corrupt {
        reason: String,
        moved_to: Option<PathBuf>,
    },
    /// The file is there but could not be read at all (permission denied,
    /// a folder in its place, an I/O error): what it holds is unknown, so
    /// it must be neither moved nor written over.
    Unreadable {
        reason: String,
    },
}

pub fn load(path: &Path) -> Loaded {
    crate::atomic_file::remove_stale_temporaries(path);
    if let Err(e) = crate::atomic_file::refuse_special_file(path) {
        return Loaded::Unreadable {
            reason: e.to_string(),
        };
    }
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Loaded::Nothing,
        Err(e) => {
            return Loaded::Unreadable {
                reason: e.to_string(),
            };
        }
    };
    match serde_json::from_slice::<SavedState>(&bytes) {
        Ok(state) if state.version > VERSION => Loaded::Newer {
            version: state.version,
        },
        Ok(state) => Loaded::State(state),
        // A path given by mistake (`--state notes.txt`, a store): what it
        // holds is not ours to move or write over.
        Err(e) if !may_be_state(path, &bytes) => Loaded::Unreadable {
            reason: format!("not a state file of aiwatch-tui ({e}); it was left as it is"),
        },
        Err(e) => {
            let aside = aside_path(path);
            let moved_to = fs::rename(path, &aside).ok().map(|()| aside);
            Loaded::Corrupt {
                reason: e.to_string(),
                moved_to,
            }
        }
    }
}

/// Whether a file that does not read as a state may still be a damaged
/// one, to be moved aside: JSON (an object, cut short or garbled), a name
/// ending `.json`, or the usual place. Anything else is left alone.
fn may_be_state(path: &Path, bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().first() == Some(&b'{')
        || path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || default_path().is_some_and(|d| crate::library_store::same_place(&d, path))
}

/// `state.json` -> `state.json.corrupt-<seconds>`, never overwriting.
fn aside_path(path: &Path) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut n = 0;
    loop {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let candidate = PathBuf::from(format!("{}.corrupt-{stamp}{suffix}", path.display()));
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

/// After its state was copied into the library store: renames the file to
/// `state.json.migrated` (or `.migrated-2`, ... when that is taken), so the
/// next start does not copy it again and nothing is deleted. One rename:
/// the file is under its old name or its new one, never gone.
pub fn set_aside_migrated(path: &Path) -> io::Result<PathBuf> {
    let target = (1u32..1000)
        .map(|n| {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            PathBuf::from(format!("{}.migrated{suffix}", path.display()))
        })
        .find(|p| !p.exists())
        .ok_or_else(|| io::Error::other("no free name to rename it to"))?;
    fs::rename(path, &target)?;
    if let Some(dir) = path.parent()
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(target)
}

/// Writes the state atomically: a temporary file beside it, flushed to
/// disk, then renamed over the old one (and the folder synced).
pub fn save(path: &Path, state: &SavedState) -> io::Result<()> {
    let bytes = serde_json::to_vec(&SavedState {
        version: VERSION,
        ..state.clone()
    })?;
    crate::atomic_file::write_atomically(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_or_a_device_as_the_state_file_is_unreadable_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("pipe.json");
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        assert!(made.unwrap().success());
        let zero = dir.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        for path in [pipe, zero] {
            let Loaded::Unreadable { reason } = load(&path) else {
                panic!("{} loaded", path.display());
            };
            assert!(reason.contains("not a regular file"), "{reason}");
            assert!(!fs::symlink_metadata(&path).unwrap().is_file());
        }
    }

    #[test]
    fn saves_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/state.json");
        assert!(matches!(load(&path), Loaded::Nothing));
        let state = SavedState {
            version: VERSION,
            read: vec!["a|en|x".into()],
            starred: vec!["b|de|y".into()],
            known: vec!["a|en|x".into(), "b|de|y".into()],
            view: Some(SavedView {
                language: "de".into(),
                ..SavedView::default()
            }),
        };
        save(&path, &state).unwrap();
        let Loaded::State(back) = load(&path) else {
            panic!("state")
        };
        assert_eq!(back, state);
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn only_old_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let in_flight = dir.path().join(".state.json.4242.tmp");
        let abandoned = dir.path().join(".state.json.17.tmp");
        fs::write(&in_flight, "{").unwrap();
        fs::write(&abandoned, "{").unwrap();
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&abandoned)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
        assert!(matches!(load(&path), Loaded::Nothing));
        assert!(
            in_flight.exists(),
            "another process's save in flight is kept"
        );
        assert!(!abandoned.exists(), "an abandoned one is cleared away");
    }

    #[test]
    fn a_file_from_a_newer_version_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let text = "{\"version\": 99, \"read\": [\"a|en|x\"], \"future\": true}";
        fs::write(&path, text).unwrap();
        assert!(matches!(load(&path), Loaded::Newer { version: 99 }));
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn a_file_that_cannot_be_read_is_said_and_left_where_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::create_dir(&path).unwrap();
        let Loaded::Unreadable { reason } = load(&path) else {
            panic!("unreadable")
        };
        assert!(reason.contains("directory"), "{reason}");
        assert!(path.is_dir(), "left where it is");
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, "{\"read\": [1, 2").unwrap();
        let Loaded::Corrupt {
            reason,
            moved_to: Some(aside),
        } = load(&path)
        else {
            panic!("corrupt")
        };
        assert!(!reason.is_empty());
        assert!(!path.exists());
        assert_eq!(fs::read_to_string(aside).unwrap(), "{\"read\": [1, 2");
    }

    /// `--state notes.txt` (or a library store, /etc/passwd): not a state
    /// file, so neither moved aside nor written over, and said.
    #[test]
    fn a_file_that_is_no_state_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("notes.txt", "my notes\n"),
            ("library.sqlite", "SQLite format 3\u{0}...."),
            ("passwd", "root:x:0:0:root:/root:/bin/bash\n"),
        ] {
            let path = dir.path().join(name);
            fs::write(&path, text).unwrap();
            let Loaded::Unreadable { reason } = load(&path) else {
                panic!("{name} taken for a state")
            };
            assert!(reason.contains("not a state file"), "{reason}");
            assert!(reason.contains("left as it is"), "{reason}");
            assert_eq!(fs::read_to_string(&path).unwrap(), text, "{name} untouched");
        }
        // Garbage in a file named as a state is a damaged one: moved aside.
        let path = dir.path().join("mine.json");
        fs::write(&path, "garbage").unwrap();
        assert!(matches!(
            load(&path),
            Loaded::Corrupt {
                moved_to: Some(_),
                ..
            }
        ));
    }
}
