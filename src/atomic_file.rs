//! Writing a user's file whole or not at all, for the config (`feeds`
//! commands) and the reading state alike. A temporary file beside the
//! target (`.NAME.PID.tmp`; a killed writer's is cleared away by the
//! next load or write of the file once it is old). And a
//! lock on the file's folder for a read-change-write of it, so that two
//! processes changing one file each keep the other's change.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes a file whole or not at all: a temporary file beside it, flushed,
/// renamed over the old one, the folder synced. Keeps the old file's
/// permissions (a config may hold nothing secret, but the user chose them),
/// and refuses to replace a file this process may not write: a read-only
/// file is one the user means to keep as it is, even in a folder that
/// would let a new one be renamed over it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = folder_of(path);
    fs::create_dir_all(&dir)?;
    remove_stale_temporaries(path);
    if fs::metadata(path).is_ok_and(|m| m.is_file()) {
        // Opened for writing, not truncated: nothing changes.
        fs::OpenOptions::new().write(true).open(path)?;
    }
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if let Ok(meta) = fs::metadata(path) {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        drop(file);
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A temporary file untouched for this long belongs to no running writer:
/// a save writes and renames it within moments.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// A device, pipe or socket where a user's file should be: reading it
/// would hang (a pipe) or never end (`/dev/zero`), and moving it aside
/// would rename a device. Such a path is refused, named, never touched;
/// a folder is left to the callers' own messages.
pub fn refuse_special_file(path: &Path) -> io::Result<()> {
    match fs::metadata(path) {
        Ok(m) if !m.is_file() && !m.is_dir() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file but a device, pipe or socket",
        )),
        _ => Ok(()),
    }
}

/// A writer killed between creating its temporary file and renaming it
/// leaves the file behind; the next load or write of the file clears away
/// the old ones. A fresh one may be another process's write in flight,
/// and is left alone.
pub fn remove_stale_temporaries(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !file.starts_with(&prefix) || Path::new(&file).extension().is_none_or(|e| e != "tmp") {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An exclusive lock on the folder of a file, held until dropped: taken
/// before the file is read and kept until its new version is renamed in,
/// so that another process doing the same waits, then reads the new
/// version (without it, two `feeds add` at once each wrote the file as
/// they had read it, and one subscription was lost). On the folder, not
/// the file, because the file is replaced by a rename; nothing is left
/// behind. Only processes that take it wait for it.
pub struct FolderLock {
    folder: Option<File>,
}

impl FolderLock {
    /// Whether the lock was taken (see `lock_folder_of`).
    pub fn is_held(&self) -> bool {
        self.folder.is_some()
    }
}

/// Locks the folder of `path` (created when missing, as a write would),
/// waiting while another process holds it. A folder that cannot be made,
/// opened or locked (a file in its place, a filesystem without locks)
/// gives no lock: the read and write that follow say what is wrong, as
/// they would have.
pub fn lock_folder_of(path: &Path) -> FolderLock {
    let dir = folder_of(path);
    let _ = fs::create_dir_all(&dir);
    let folder = File::open(dir).ok().filter(lock);
    FolderLock { folder }
}

#[cfg(unix)]
fn lock(folder: &File) -> bool {
    rustix::fs::flock(folder, rustix::fs::FlockOperation::LockExclusive).is_ok()
}

#[cfg(not(unix))]
fn lock(_folder: &File) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_a_folder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let first = lock_folder_of(&path);
        assert!(first.is_held(), "locked");
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn({
            let path = path.clone();
            move || {
                let second = lock_folder_of(&path);
                tx.send(second.is_held()).unwrap();
            }
        });
        // Not taken while the first is held (flock locks are per open
        // file, so a second open in this process waits as another would).
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        drop(first);
        assert!(rx.recv().unwrap(), "taken once the first is gone");
        waiter.join().unwrap();
    }
}
