//! Writing a user's file whole or not at all, for the config (`feeds`
//! commands) and the reading state alike. A temporary file beside the
//! target (`.NAME.PID.N.tmp`, created exclusively; a killed writer's is cleared away by the
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
///
/// A symbolic link at `path` is replaced, never written through, and its
/// target's mode is not copied (a link to `/dev/zero` must not give a
/// world-writable file): what the link points at is left as it is. For a
/// file the user may keep as a link (the config), see
/// `write_atomically_through_link`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = folder_of(path);
    fs::create_dir_all(&dir)?;
    remove_stale_temporaries(path);
    // Only a regular file at the path itself, never a link's target.
    let old = fs::symlink_metadata(path)
        .ok()
        .filter(fs::Metadata::is_file);
    if old.is_some() {
        // Opened for writing, not truncated: nothing changes.
        fs::OpenOptions::new().write(true).open(path)?;
    }
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let (mut file, tmp) = create_temporary(&dir, &name)?;
    let result = (|| {
        // The old mode before any byte: a private file stays private.
        if let Some(meta) = &old {
            file.set_permissions(meta.permissions())?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
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

/// Writes the user's own file (the config) as `write_atomically` does,
/// but a symbolic link at `path` is kept: its target is written, whole or
/// not at all, beside the target (a dotfiles setup links `config.toml` to
/// a file in a repository; replacing the link by a file would leave the
/// repository's copy stale). Caches never use this: they replace a link.
pub fn write_atomically_through_link(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically(&link_target(path), bytes)
}

/// Links followed before giving up, as the kernel does (`ELOOP`).
const MAX_LINKS: u32 = 40;

/// The file a chain of symbolic links at `path` ends at (it may not
/// exist yet: a dangling link names the file to create); `path` itself
/// when it is no link.
fn link_target(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let Ok(next) = fs::read_link(&at) else {
            return at;
        };
        at = folder_of(&at).join(next);
    }
    at
}

/// How many names a write tries for its temporary file before giving up:
/// each taken one is another writer's (or something planted there).
const TEMPORARY_TRIES: u32 = 64;

/// The number in the next temporary file's name, so that two writes in
/// one process never pick the same name.
static TEMPORARY_NUMBER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Creates the temporary file `.NAME.PID.N.tmp` beside the target,
/// exclusively: a name already taken (a planted symbolic link, another
/// writer's file) is never opened, written through or truncated; the
/// next number is tried instead.
fn create_temporary(dir: &Path, name: &str) -> io::Result<(File, PathBuf)> {
    let pid = std::process::id();
    let mut last = None;
    for _ in 0..TEMPORARY_TRIES {
        let n = TEMPORARY_NUMBER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{pid}.{n}.tmp"));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => return Ok((file, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
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

    #[cfg(unix)]
    #[test]
    fn the_users_linked_file_is_written_at_its_target_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let dotfiles = dir.path().join("dotfiles");
        fs::create_dir(&dotfiles).unwrap();
        fs::write(dotfiles.join("config.toml"), "old").unwrap();
        let path = dir.path().join("config.toml");
        std::os::unix::fs::symlink("dotfiles/config.toml", &path).unwrap();
        write_atomically_through_link(&path, b"new").unwrap();
        assert!(fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(
            fs::read_to_string(dotfiles.join("config.toml")).unwrap(),
            "new"
        );
        // A plain file is written as before.
        let plain = dir.path().join("plain.toml");
        write_atomically_through_link(&plain, b"plain").unwrap();
        assert_eq!(fs::read_to_string(&plain).unwrap(), "plain");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_the_temporary_name_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("first-screen.bin");
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        // Every name this process could pick next, planted.
        let pid = std::process::id();
        let next = TEMPORARY_NUMBER.load(std::sync::atomic::Ordering::Relaxed);
        for n in next..next + TEMPORARY_TRIES / 2 {
            let planted = dir.path().join(format!(".first-screen.bin.{pid}.{n}.tmp"));
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }
        write_atomically(&path, b"screen").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(&path).unwrap(), "screen");
        assert!(!fs::symlink_metadata(&path).unwrap().is_symlink());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_destination_is_replaced_without_its_targets_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("first-screen.bin");
        let target = dir.path().join("open-to-all");
        fs::write(&target, "theirs").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o666)).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        write_atomically(&path, b"screen").unwrap();
        let meta = fs::symlink_metadata(&path).unwrap();
        assert!(meta.is_file(), "the link is replaced by a file");
        assert_eq!(meta.permissions().mode() & 0o002, 0, "not world-writable");
        assert_eq!(fs::read_to_string(&target).unwrap(), "theirs");
        // A regular file's own mode is kept.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&path, b"again").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

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
