//! The on-disk library: one `SQLite` file (WAL mode) holding every parsed
//! content file, its articles, sections, tags, bodies and diagnostics, so a
//! warm start parses nothing. This file owns opening, schema checks and
//! recovery from an unreadable file; it must never write a store written by
//! a newer schema, and never delete one it cannot read (it moves it aside).
//! It knows nothing of the app, the view or the terminal.

mod bodies;
pub mod feeds;
mod image;
mod read;
mod readers;
mod refresh_hints;
mod schema;
mod search;
mod state;
mod sync;
mod tags;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};

use crate::content::{ActorDirectory, ContentRoot, Library};
use crate::store::SavedState;

pub use readers::MAX_MARKS as MAX_READER_MARKS;
pub use schema::SCHEMA_VERSION;
pub use sync::{BeforeParse, Progress, SyncReport, Walked, walk};

/// How long a writer waits for another process's write to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `list` and `show` wait for another program's write lock when
/// files changed: past it they print the library as stored, with a notice
/// (a sync that finds nothing changed takes no lock and never waits).
pub const COMMAND_SYNC_WAIT: Duration = Duration::from_secs(1);

/// How long a reader's save waits for another process's write (a fetch,
/// `sqlite3` in a transaction) before it is put off and tried again
/// later: a key is never kept waiting for the store.
pub const SAVE_WAIT: Duration = Duration::from_millis(50);

/// Why the store could not be used. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path}: this library store was written by a newer aiwatch-tui (schema {found}; this version reads up to {supported}); it was left untouched: upgrade aiwatch-tui or move the file away"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "{path}: this is an SQLite database of another program, not an aiwatch-tui library store; it was left untouched: give another path"
    )]
    Foreign { path: PathBuf },
    #[error("{path}: cannot create the library store's folder: {source}")]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot read the library store: {source}; it was left untouched")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the library store cannot be written ({source}); it was left untouched")]
    ReadOnly {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: a folder, not a library store; give the path of a file (library.sqlite in it, say)"
    )]
    Folder { path: PathBuf },
    #[error(
        "{path}: a file of the system ({area}), not a library store; give the path of a file of your own"
    )]
    System { path: PathBuf, area: &'static str },
    #[error(
        "{path}: not a library store (not an SQLite file), and it could not be moved aside to make one ({source}); give the path of a new file"
    )]
    NotAStore {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: not a library store (not an SQLite file); it was left as it is. Give the path of a new file, or delete this one if it is a damaged store"
    )]
    Unrecognized { path: PathBuf },
    #[error("{path}: the library store cannot be read and could not be moved aside: {source}")]
    MoveAside {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: storing was stopped (the program is ending); nothing of it was kept, the next fetch brings it again"
    )]
    Stopped { path: PathBuf },
    #[error(
        "{path}: library store: {}",
        describe_sqlite(source, || disk_is_full(path))
    )]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Whether another connection held the store's write lock past the
    /// busy wait: the same write may well succeed later.
    pub fn is_locked(&self) -> bool {
        matches!(self, Self::Sqlite { source, .. } if matches!(
            source.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        ))
    }
}

/// `SQLite`'s own words, plus what they most likely mean: a write that
/// failed on a full disk is often reported as a bare "disk I/O error".
/// The disk is looked at (`full`) only for such errors.
fn describe_sqlite(source: &rusqlite::Error, full: impl Fn() -> bool) -> String {
    match source.sqlite_error_code() {
        Some(ErrorCode::SystemIoFailure | ErrorCode::DiskFull) if full() => {
            format!("the disk is full ({source})")
        }
        Some(ErrorCode::SystemIoFailure) => {
            format!("{source} (the disk may be failing, or was full for a moment)")
        }
        _ => source.to_string(),
    }
}

/// Whether the file system holding `path` has (almost) no room left.
fn disk_is_full(path: &Path) -> bool {
    #[cfg(unix)]
    {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        rustix::fs::statvfs(dir)
            // Some file systems have no inode count (`f_files` 0).
            .is_ok_and(|s| {
                s.f_bavail.saturating_mul(s.f_frsize) < 1 << 20
                    || (s.f_files > 0 && s.f_favail == 0)
            })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

impl StoreError {
    /// Whether the path given for the store can never hold one (another
    /// program's database, a pipe or a device, a folder that cannot be
    /// made): a setting for the user to change, which commands report as a
    /// configuration problem (exit 2) rather than a failed run.
    pub fn is_unusable_path(&self) -> bool {
        match self {
            StoreError::Foreign { .. }
            | StoreError::CreateFolder { .. }
            | StoreError::Folder { .. }
            | StoreError::System { .. }
            | StoreError::NotAStore { .. } => true,
            StoreError::Read { source, .. } => source.kind() == std::io::ErrorKind::InvalidInput,
            _ => false,
        }
    }
}

/// An open store. One connection; not shared between threads.
pub struct LibraryStore {
    conn: Connection,
    path: PathBuf,
    last_sync: Option<SyncReport>,
    /// Whether the last `load_library` decoded the index image.
    from_image: bool,
    /// Reading-state tables found missing at open and made again, empty.
    recreated: Vec<&'static str>,
    /// `PRAGMA data_version` just before `open_stored` read the library:
    /// while it stays the same, no other connection (of this process or
    /// another) committed anything since (`unchanged_since_read`).
    read_version: Option<i64>,
}

/// A store that was opened, and where an unreadable file was moved, if one was.
pub struct Opened {
    pub store: LibraryStore,
    /// The new name of a file that was not a readable store: the caller
    /// tells the user, since whatever it held is no longer in use.
    pub moved_aside: Option<PathBuf>,
}

/// The library read back after a sync, as the reader would start with it.
pub struct Synced {
    pub store: LibraryStore,
    pub library: Library,
    pub report: SyncReport,
    pub moved_aside: Option<PathBuf>,
}

/// The library as stored, read without a sync (`LibraryStore::open_stored`).
pub struct Stored {
    pub store: LibraryStore,
    pub library: Library,
    /// Whether the store was ever synced (false: a first run, empty).
    pub synced_before: bool,
    pub moved_aside: Option<PathBuf>,
}

/// Whether `e` is a sync stopped by its progress callback.
pub fn is_cancelled(e: &StoreError) -> bool {
    matches!(e, StoreError::Sqlite { source, .. } if sync::is_cancelled(source))
}

/// `$XDG_DATA_HOME/aiwatch-tui/library.sqlite` (or the platform's data folder).
pub fn default_path() -> Option<PathBuf> {
    use etcetera::BaseStrategy;
    let strategy = etcetera::choose_base_strategy().ok()?;
    Some(
        strategy
            .data_dir()
            .join("aiwatch-tui")
            .join("library.sqlite"),
    )
}

impl LibraryStore {
    /// Opens the store at `path`, creating it (and its folder) when missing
    /// and bringing its schema up to date. A file that is not a readable
    /// store is moved aside and a new one created; one from a newer schema,
    /// or another program's database, is refused without being written.
    pub fn open(path: &Path) -> Result<Opened, StoreError> {
        if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            return Err(StoreError::Folder {
                path: path.to_path_buf(),
            });
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|source| StoreError::CreateFolder {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let mut moved_aside = None;
        let header = read_header(path).map_err(|source| StoreError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let ours = matches!(header, Header::Store { application_id, .. } if application_id == APPLICATION_ID);
        match header {
            Header::Store {
                application_id,
                version,
            } if is_foreign(application_id, version, 0) => {
                return Err(StoreError::Foreign {
                    path: path.to_path_buf(),
                });
            }
            Header::Store { version: found, .. } if found > SCHEMA_VERSION => {
                return Err(StoreError::NewerSchema {
                    path: path.to_path_buf(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            Header::Missing | Header::Store { .. } => {}
            Header::NotAStore => {
                if let Some(area) = system_area(path) {
                    return Err(StoreError::System {
                        path: path.to_path_buf(),
                        area,
                    });
                }
                if !may_replace(path) {
                    return Err(StoreError::Unrecognized {
                        path: path.to_path_buf(),
                    });
                }
                let moved = move_aside(path).map_err(|e| match e {
                    StoreError::MoveAside { path, source } => {
                        StoreError::NotAStore { path, source }
                    }
                    other => other,
                })?;
                moved_aside = Some(moved);
            }
        }
        refuse_read_only(path)?;
        match Self::connect(path) {
            Err(e)
                if moved_aside.is_none() && is_damage_error(&e) && (ours || may_replace(path)) =>
            {
                moved_aside = Some(move_aside(path)?);
                Self::connect(path).map(|store| Opened { store, moved_aside })
            }
            other => other.map(|store| Opened { store, moved_aside }),
        }
    }

    /// Opens, syncs with `roots` and reads the library back. When the file
    /// turns out to be damaged on the way (a truncated file can look whole
    /// until a page is read), it is moved aside and rebuilt once.
    pub fn open_synced(
        path: &Path,
        roots: &[ContentRoot],
        actors: &ActorDirectory,
    ) -> Result<Synced, StoreError> {
        Self::open_synced_within(path, roots, actors, BUSY_TIMEOUT)
    }

    /// `open_synced`, waiting at most `wait` for another connection's
    /// write lock when there are files to write (a sync that finds nothing
    /// changed takes no lock). Past it the error `is_locked`.
    pub fn open_synced_within(
        path: &Path,
        roots: &[ContentRoot],
        actors: &ActorDirectory,
        wait: Duration,
    ) -> Result<Synced, StoreError> {
        let Opened {
            mut store,
            moved_aside,
        } = Self::open(path)?;
        store.wait_for_writers(wait)?;
        // A sync writes: a log left large is cut back first, if it can be
        // at once. One that cannot be (read by another process, a disk
        // error) is no reason not to sync; the next writer tries again.
        let _ = store.trim_log();
        match store.sync_and_load(roots, actors) {
            Ok((report, library)) => Ok(Synced {
                store,
                library,
                report,
                moved_aside,
            }),
            Err(e) if moved_aside.is_none() && is_damage_error(&e) => {
                drop(store);
                let moved_aside = Some(move_aside(path)?);
                let mut store = Self::connect(path)?;
                let (report, library) = store.sync_and_load(roots, actors)?;
                Ok(Synced {
                    store,
                    library,
                    report,
                    moved_aside,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Opens and reads the library as stored, without syncing: what the
    /// reader shows at once while a sync runs in the background (see
    /// `runtime::syncer`). `synced_before` is false for a new store, whose
    /// library is empty until its first sync. A file found damaged on the
    /// way is moved aside and a new, empty store opened instead.
    pub fn open_stored(path: &Path, actors: &ActorDirectory) -> Result<Stored, StoreError> {
        let Opened {
            mut store,
            moved_aside,
        } = Self::open(path)?;
        let read = |store: &mut Self| -> Result<(bool, Library), StoreError> {
            store.read_version = store.data_version();
            Ok((store.has_synced()?, store.load_library(actors)?))
        };
        match read(&mut store) {
            Ok((synced_before, library)) => Ok(Stored {
                store,
                library,
                synced_before,
                moved_aside,
            }),
            Err(e) if moved_aside.is_none() && is_damage_error(&e) => {
                drop(store);
                let moved_aside = Some(move_aside(path)?);
                let mut store = Self::connect(path)?;
                let (synced_before, library) = read(&mut store)?;
                Ok(Stored {
                    store,
                    library,
                    synced_before,
                    moved_aside,
                })
            }
            Err(e) => Err(e),
        }
    }

    fn sync_and_load(
        &mut self,
        roots: &[ContentRoot],
        actors: &ActorDirectory,
    ) -> Result<(SyncReport, Library), StoreError> {
        let report = self.sync(roots)?;
        // The wait for writers is the usual one again for what comes next
        // (the reading state's saves set their own).
        self.wait_for_writers(BUSY_TIMEOUT)?;
        Ok((report, self.load_library(actors)?))
    }

    fn connect(path: &Path) -> Result<Self, StoreError> {
        let wrap = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(wrap)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(wrap)?;
        // Checked before anything below can write to the file, in one
        // statement so that all three come from one snapshot: read apart,
        // another process's first migration could commit in between and an
        // empty store would look like a foreign database with tables.
        // The reading-state tables are counted in the same query: one
        // dropped by hand is made again below.
        let (found, application_id, tables, state_tables): (i64, i32, i64, i64) = conn
            .query_row(
                &format!(
                    "SELECT (SELECT user_version FROM pragma_user_version), \
                            (SELECT application_id FROM pragma_application_id), \
                            (SELECT count(*) FROM sqlite_master), {}",
                    schema::COUNT_READING_STATE_TABLES
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(wrap)?;
        if is_foreign(application_id, found, tables) {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
            });
        }
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        // A new store's pages are 8 KiB (`PAGE_SIZE`); an existing one keeps
        // its own (the pragma does nothing once the file has a page).
        if tables == 0 {
            conn.pragma_update(None, "page_size", PAGE_SIZE)
                .map_err(wrap)?;
        }
        // WAL: readers never wait for a writer, and a commit is one append,
        // so a killed writer leaves the last committed state.
        enter_wal(&conn).map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        // After a large put the log is as large as what it wrote (hundreds
        // of MB for a large feed); a connection that stays open (the reader,
        // `serve`) would keep it so until the last one closes.
        conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)
            .map_err(wrap)?;
        // Migrating takes the write lock: a store already current skips it,
        // so opening never waits for another process's sync.
        let migrated = if found == SCHEMA_VERSION {
            schema::Migrated::Current
        } else if found < SCHEMA_VERSION
            && tables > 0
            && !schema::differs_from_built(&conn).map_err(wrap)?
        {
            // Every table of this version is there as built and only the
            // version number says otherwise (set by hand, damaged, or a
            // store from before a migration of rows only): the schema's
            // migrations would fail at every start ("table meta already
            // exists"); the rows' run and the number is put right. (A
            // newer number is never put right: `migrate` refuses it.)
            schema::put_number_right(&mut conn, found).map_err(wrap)?;
            schema::Migrated::Current
        } else {
            schema::migrate(&mut conn).map_err(wrap)?
        };
        match migrated {
            schema::Migrated::Current => {}
            schema::Migrated::Newer(found) => {
                return Err(StoreError::NewerSchema {
                    path: path.to_path_buf(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
        }
        // A current store lacking a reading-state table (dropped by hand):
        // every save would fail. Made again, empty, and said.
        let recreated = if found == SCHEMA_VERSION
            && usize::try_from(state_tables).unwrap_or(0) < schema::READING_STATE_TABLES.len()
        {
            schema::recreate_missing(&mut conn).map_err(wrap)?
        } else {
            Vec::new()
        };
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            last_sync: None,
            from_image: false,
            recreated,
            read_version: None,
        })
    }

    /// What the user must be told of the reading-state tables this handle
    /// found missing and made again, empty (one line each): what they
    /// held is lost. Said once, by the process that made them.
    pub fn recreated_notices(&self) -> Vec<String> {
        self.recreated
            .iter()
            .filter_map(|made| {
                schema::READING_STATE_TABLES
                    .iter()
                    .find(|(table, _)| table == made)
            })
            .map(|(table, lost)| {
                format!(
                    "{}: library store: the table {table} was missing and was re-created empty; {lost}",
                    self.path.display()
                )
            })
            .collect()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Brings the store in line with `roots`: new and changed files are
    /// parsed, deleted ones removed, all in one transaction.
    pub fn sync(&mut self, roots: &[ContentRoot]) -> Result<SyncReport, StoreError> {
        self.sync_with_progress(roots, &mut |_, _| true)
    }

    /// `sync`, telling `progress` (files parsed, files to parse) after each
    /// batch; when it returns `false` the sync stops (`is_cancelled` is
    /// then true of the error) and what it had not committed is rolled
    /// back: everything, except in a first build, which commits per batch.
    pub fn sync_with_progress(
        &mut self,
        roots: &[ContentRoot],
        progress: sync::Progress<'_>,
    ) -> Result<SyncReport, StoreError> {
        self.sync_walked(sync::walk(roots), progress, None)
    }

    /// `sync_with_progress` of files walked before (`walk`, which needs no
    /// store: the reader walks the folders while it reads the index).
    /// `before_parse` hears how many files are to be parsed before the
    /// write lock is taken, and may wait there or stop the sync.
    pub fn sync_walked(
        &mut self,
        walked: Walked,
        progress: Progress<'_>,
        before_parse: Option<BeforeParse<'_>>,
    ) -> Result<SyncReport, StoreError> {
        let report = sync::sync_walked(&mut self.conn, walked, progress, before_parse).map_err(
            |source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            },
        )?;
        self.last_sync = Some(report);
        Ok(report)
    }

    /// The `data_version` of this connection: it changes when another
    /// connection commits (never for this one's own commits).
    fn data_version(&self) -> Option<i64> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .ok()
    }

    /// Whether the store holds what `open_stored` read, apart from this
    /// connection's own writes (the reading state it saved): no other
    /// connection, of this process (a sync, a fetch) or another, committed
    /// since. False for a store not opened by `open_stored`.
    pub fn unchanged_since_read(&self) -> bool {
        self.read_version.is_some() && self.data_version() == self.read_version
    }

    /// Whether a sync was ever committed to this store: a store without
    /// one is new (first run) and has no library yet.
    pub fn has_synced(&self) -> Result<bool, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM meta WHERE key = 'parser'", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n > 0)
            .map_err(|source| self.error(source))
    }

    /// What the last `sync` on this handle did, if it ran.
    pub fn last_sync(&self) -> Option<SyncReport> {
        self.last_sync
    }

    /// The library as stored, built as `content::load_library` builds it
    /// from the files (same order, same diagnostics, same actor ids), but
    /// with only its index in memory: bodies are read from this store's
    /// file when asked for, and searches run in the store.
    pub fn load_library(&mut self, actors: &ActorDirectory) -> Result<Library, StoreError> {
        let wrap = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let started = std::time::Instant::now();
        let (mut library, from_image) =
            read::load(&mut self.conn, actors, &self.path).map_err(wrap)?;
        self.from_image = from_image;
        feeds::attach(&self.conn, &mut library).map_err(wrap)?;
        library.read_at = crate::content::index::ReadAt(Some(started));
        Ok(library)
    }

    /// Whether the last `load_library` took the index image (a current one
    /// was stored) rather than the rows.
    pub fn read_from_image(&self) -> bool {
        self.from_image
    }

    /// Builds and stores the index image when the stored one is missing or
    /// not that of the rows as they are now (for these `actors`), so that
    /// the next start decodes it instead of reading the rows; `true` when
    /// one was written. Reads in one transaction and writes in another
    /// that checks the rows are still those it read: a sync or a fetch
    /// committed in between leaves the image as it was.
    pub fn refresh_image(&mut self, actors: &ActorDirectory) -> Result<bool, StoreError> {
        let wrap = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let read = |conn: &mut Connection| -> rusqlite::Result<Option<(image::Image, u64)>> {
            let tx = conn.transaction()?;
            let Some(rows) = image::rows_stamp(&tx)? else {
                return Ok(None);
            };
            let stamp = image::Stamp::new(actors, rows);
            if image::is_current(&tx, stamp)? {
                return Ok(None);
            }
            let (library, file_ids) = read::load_rows(&tx, actors)?;
            drop(tx);
            Ok(Some((image::encode(&library, &file_ids, stamp), rows)))
        };
        match read(&mut self.conn).map_err(wrap)? {
            Some((bytes, rows)) => image::write(&mut self.conn, &bytes, rows).map_err(wrap),
            None => Ok(false),
        }
    }
}

/// The write-ahead log trimmed by [`LibraryStore::trim_log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogTrim {
    /// Its size before, in bytes.
    pub before: u64,
    /// Its size after: 0, or `before` when another connection was reading
    /// or writing (the checkpoint did not wait for it).
    pub after: u64,
}

/// The write-ahead log left behind by a writer killed in a large write.
impl LibraryStore {
    /// A log larger than [`JOURNAL_SIZE_LIMIT`] (a writer killed in a put
    /// of hundreds of MB leaves all of it: `SQLite` cuts the log back only
    /// after a checkpoint of its own) is checkpointed and truncated, if no
    /// other connection is reading or writing: this never waits for one,
    /// so a reader's first frame never waits for it either. Called where
    /// the store is opened to write (fetch, sync), not by a reader's open.
    /// `None`: the log was not that large.
    pub fn trim_log(&mut self) -> Result<Option<LogTrim>, StoreError> {
        self.trim_log_over(JOURNAL_SIZE_LIMIT.unsigned_abs())
    }

    fn trim_log_over(&mut self, limit: u64) -> Result<Option<LogTrim>, StoreError> {
        let size = |path: &Path| fs::metadata(path).map_or(0, |m| m.len());
        let wal = sidecar(&self.path, "-wal");
        let before = size(&wal);
        if before <= limit {
            return Ok(None);
        }
        // No busy handler for the checkpoint: it gives up at once (busy)
        // where it would wait for a reader or a writer.
        self.conn
            .busy_timeout(Duration::ZERO)
            .map_err(|source| self.error(source))?;
        let checkpoint = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            });
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|source| self.error(source))?;
        match checkpoint {
            Ok(_) => {}
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {}
            Err(source) => return Err(self.error(source)),
        }
        Ok(Some(LogTrim {
            before,
            after: size(&wal),
        }))
    }
}

/// The reading state (read marks, stars, sections seen, the last view).
impl LibraryStore {
    /// The stored state, or `None` when none was ever saved or migrated.
    pub fn load_state(&mut self) -> Result<Option<SavedState>, StoreError> {
        state::load(&mut self.conn).map_err(|source| self.error(source))
    }

    /// Saves what changed from `before` (the state last read or saved by
    /// this process) to `after`, in one transaction; marks other processes
    /// saved meanwhile are kept.
    pub fn save_state(
        &mut self,
        before: &SavedState,
        after: &SavedState,
    ) -> Result<(), StoreError> {
        state::save(&mut self.conn, before, after).map_err(|source| self.error(source))
    }

    /// How long the next writes wait for another process's write lock
    /// (`SAVE_WAIT` for a reader's saves; `BUSY_TIMEOUT` when opened).
    pub fn wait_for_writers(&mut self, wait: Duration) -> Result<(), StoreError> {
        self.conn
            .busy_timeout(wait)
            .map_err(|source| self.error(source))
    }

    /// Joins a state from elsewhere (a `state.json` being migrated) to the
    /// stored one; doing it twice changes nothing.
    pub fn merge_state(&mut self, saved: &SavedState) -> Result<(), StoreError> {
        state::merge(&mut self.conn, saved).map_err(|source| self.error(source))
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

/// The state of `serve`'s readers remembered by their key fingerprint
/// (`SHA256:...`), apart from the local reader's.
impl LibraryStore {
    /// What is kept for `fingerprint`, or `None`: nothing is.
    pub fn load_reader(&mut self, fingerprint: &str) -> Result<Option<SavedState>, StoreError> {
        readers::load(&mut self.conn, fingerprint).map_err(|source| self.error(source))
    }

    /// Saves what changed from `before` to `after` for `fingerprint`, in
    /// one transaction; past `max` readers, those saved longest ago are
    /// forgotten. `false`: the reader was kept before (`kept_before`) and
    /// is no more (erased or forgotten meanwhile), so nothing was written.
    pub fn save_reader(
        &mut self,
        fingerprint: &str,
        before: &SavedState,
        after: &SavedState,
        max: usize,
        kept_before: bool,
    ) -> Result<bool, StoreError> {
        readers::save(&mut self.conn, fingerprint, before, after, max, kept_before)
            .map_err(|source| self.error(source))
    }

    /// Erases what is kept for `fingerprint`; whether anything was.
    pub fn forget_reader(&mut self, fingerprint: &str) -> Result<bool, StoreError> {
        readers::forget(&mut self.conn, fingerprint).map_err(|source| self.error(source))
    }

    /// How many readers are remembered.
    pub fn remembered_readers(&self) -> Result<usize, StoreError> {
        readers::count(&self.conn).map_err(|source| self.error(source))
    }
}

/// Switches a new store to WAL. The switch needs the file to itself and
/// `SQLite` answers "locked" at once, without its busy handler, when another
/// process is opening the same new store: so wait here, as long as a writer
/// would.
fn enter_wal(conn: &Connection) -> rusqlite::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Err(e)
                if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other.map(drop),
        }
    }
}

/// The page size of a new store. At `SQLite`'s default of 4 KiB a row of
/// more than about 1 KB in a `WITHOUT ROWID` table (a block of text) or of
/// more than 4 KB (a section's search terms) spills into an overflow page of
/// its own, mostly empty: a 50,000-item feed put wrote 760 MB where 8 KiB
/// pages hold the same rows in about 30% less (docs/performance.md,
/// "Ingest: fewer bytes"), and every byte is written twice (the log, then
/// the checkpoint).
pub const PAGE_SIZE: i64 = 8192;

/// The most bytes the write-ahead log keeps on disk once checkpointed.
pub const JOURNAL_SIZE_LIMIT: i64 = 64 << 20;

/// Written into every store's header (`PRAGMA application_id`): "aiwt".
pub const APPLICATION_ID: i32 = 0x6169_7774;

/// Another program's database: a foreign application id, or none but a
/// version or tables (an empty database is ours to fill).
fn is_foreign(application_id: i32, version: i64, tables: i64) -> bool {
    application_id != APPLICATION_ID && (application_id != 0 || version != 0 || tables != 0)
}

enum Header {
    /// No file, or an empty one: a new store.
    Missing,
    Store {
        application_id: i32,
        version: i64,
    },
    NotAStore,
}

/// The schema version from the file's header, read with plain file I/O so
/// that a file this build must not touch is not even opened by `SQLite`
/// (which would add its `-wal` and `-shm` files). A newer version still
/// only in the write-ahead log is caught again by `connect`.
fn read_header(path: &Path) -> std::io::Result<Header> {
    crate::atomic_file::refuse_special_file(path)?;
    let head = match header_bytes(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Header::Missing),
        other => other?,
    };
    if head.is_empty() {
        return Ok(Header::Missing);
    }
    if head.len() < 100 || !head.starts_with(b"SQLite format 3\0") {
        return Ok(Header::NotAStore);
    }
    // Big-endian 32-bit integers: the user version at offset 60, the
    // application id at 68.
    let field =
        |at: usize| i32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    Ok(Header::Store {
        application_id: field(68),
        version: i64::from(field(60)),
    })
}

/// The first 100 bytes of the file at `path` (fewer if it is shorter).
///
/// Read through a descriptor this process keeps open for as long as it
/// runs, one per file (inode): closing a descriptor of a file drops every
/// POSIX lock this process holds on it, `SQLite`'s included, so a store
/// opened a second time beside a live connection (the body pool, a sync,
/// `r`) must never open and close the file itself. With its locks gone,
/// another program's connection (the `sqlite3` shell) took itself for the
/// last one and deleted the write-ahead log under the reader, with the
/// marks it held.
#[cfg(unix)]
fn header_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::{FileExt, MetadataExt};
    use std::sync::{Mutex, PoisonError};
    /// Files (device, inode) read here: a handful per process (a store
    /// moved aside and made again is a new inode).
    static KEPT: Mutex<Vec<((u64, u64), fs::File)>> = Mutex::new(Vec::new());
    let meta = fs::metadata(path)?;
    let inode = (meta.dev(), meta.ino());
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    let index = if let Some(index) = kept.iter().position(|(i, _)| *i == inode) {
        index
    } else {
        let file = fs::File::open(path)?;
        // The path may have changed between the stat and the open.
        let opened = file.metadata()?;
        kept.push(((opened.dev(), opened.ino()), file));
        kept.len() - 1
    };
    let mut head = vec![0; 100];
    let mut filled = 0;
    while filled < head.len() {
        match kept[index].1.read_at(&mut head[filled..], filled as u64)? {
            0 => break,
            n => filled += n,
        }
    }
    head.truncate(filled);
    Ok(head)
}

#[cfg(not(unix))]
fn header_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(100);
    fs::File::open(path)?.take(100).read_to_end(&mut head)?;
    Ok(head)
}

/// A store this process may not write is refused before `SQLite` opens
/// it: `SQLite` would open it read-only, fail at the first write, and leave
/// its `-wal` and `-shm` beside it as read-only as the file, so that the
/// store stayed unwritable after the user made the file writable again.
/// Asked with `access`, never by opening the file (see [`header_bytes`]).
fn refuse_read_only(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    let asked =
        rustix::fs::access(path, rustix::fs::Access::WRITE_OK).map_err(std::io::Error::from);
    #[cfg(not(unix))]
    let asked = fs::metadata(path).and_then(|m| {
        if m.permissions().readonly() {
            Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
        } else {
            Ok(())
        }
    });
    match asked {
        Err(source)
            if matches!(
                source.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            Err(StoreError::ReadOnly {
                path: path.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// Errors that mean the file is not a usable store, as opposed to a full
/// disk, a permission or a lock.
fn is_damage(e: &rusqlite::Error) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(f, _) => {
            matches!(f.code, ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
        }
        // Text this program never writes: a damaged page.
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::Utf8Error(..) => true,
        _ => false,
    }
}

/// Damage (also a header naming a format `SQLite` does not read), or an
/// error of the SQL itself (no such table, column or tokenizer) in a store
/// whose schema then turns out to differ from the one the migrations build
/// (its description was overwritten). Such an error in a store described
/// as built is this program's, and never a reason to move the user's store
/// aside.
fn is_damage_error(e: &StoreError) -> bool {
    let StoreError::Sqlite { source, path } = e else {
        return false;
    };
    if is_damage(source) {
        return true;
    }
    let said = source.to_string();
    // A header naming a file or schema format SQLite does not know.
    if said.contains("unsupported file format") {
        return true;
    }
    // An error of the SQL itself (no such table, column, tokenizer...).
    let sql_error = matches!(source, rusqlite::Error::SqlInputError { .. })
        || source.sqlite_error_code() == Some(ErrorCode::Unknown);
    sql_error
        && Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|conn| schema::differs_from_built(&conn))
            .unwrap_or(false)
}

/// The system's own file tree `path` is in (`/proc`, `/sys`, `/dev`):
/// never a store, and nothing there may be moved aside.
fn system_area(path: &Path) -> Option<&'static str> {
    let path = fs::canonicalize(path).ok()?;
    ["/proc", "/sys", "/dev"]
        .into_iter()
        .find(|area| path.starts_with(area))
}

/// Whether a file at `path` that is no readable store may be renamed to
/// make a new store there: only where nothing but a store belongs (the
/// default place in the data folder), a file named as one (`*.sqlite`,
/// `*.sqlite3`) or one with a store's log beside it, and never a symbolic
/// link. Anything else a path names by mistake (the config file, notes,
/// /etc/passwd, a link to them) is left as it is.
fn may_replace(path: &Path) -> bool {
    // A link is the user's own arrangement (the store kept on another
    // disk, or a link made by mistake): never renamed from under them.
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return false;
    }
    let named_as_store = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sqlite") || e.eq_ignore_ascii_case("sqlite3"));
    named_as_store
        || sidecar(path, "-wal").exists()
        || sidecar(path, "-shm").exists()
        || default_path().is_some_and(|default| same_place(&default, path))
}

/// Whether two paths name the same place, the file itself existing or not
/// (its folder resolved, links and `..` included).
pub(crate) fn same_place(a: &Path, b: &Path) -> bool {
    let folder = |p: &Path| {
        let parent = p.parent().filter(|p| !p.as_os_str().is_empty());
        fs::canonicalize(parent.unwrap_or(Path::new("."))).ok()
    };
    a.file_name() == b.file_name() && folder(a).is_some() && folder(a) == folder(b)
}

/// Renames `path` to the first free `<name>.unreadable-N`, with its WAL
/// beside it; the shared-memory index is only a cache and is removed, so a
/// new store never replays an old log.
fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let name = path
        .file_name()
        .map_or_else(|| "library.sqlite".into(), |n| n.to_string_lossy());
    let aside = (1u32..10_000)
        .map(|n| path.with_file_name(format!("{name}.unreadable-{n}")))
        .find(|p| !p.exists() && !sidecar(p, "-wal").exists());
    let fail = |source| StoreError::MoveAside {
        path: path.to_path_buf(),
        source,
    };
    let aside = aside.ok_or_else(|| fail(std::io::Error::other("no free name to move it to")))?;
    fs::rename(path, &aside).map_err(fail)?;
    let wal = sidecar(path, "-wal");
    if wal.exists() {
        fs::rename(&wal, sidecar(&aside, "-wal")).map_err(fail)?;
    }
    let shm = sidecar(path, "-shm");
    if shm.exists() {
        fs::remove_file(&shm).map_err(fail)?;
    }
    Ok(aside)
}

/// `library.sqlite` -> `library.sqlite-wal`.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_error() -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR_WRITE),
            None,
        )
    }

    /// A full disk often comes back from `SQLite` as a bare "disk I/O error":
    /// the message says which it is, or what it may be.
    #[test]
    fn a_write_error_on_a_full_disk_says_the_disk_is_full() {
        let said = describe_sqlite(&io_error(), || true);
        assert!(said.starts_with("the disk is full ("), "{said}");
        let said = describe_sqlite(&io_error(), || false);
        assert!(said.contains("may be failing, or was full"), "{said}");
        let other = rusqlite::Error::QueryReturnedNoRows;
        assert_eq!(describe_sqlite(&other, || true), other.to_string());
        assert!(!disk_is_full(Path::new("library.sqlite")));
    }

    #[test]
    fn the_default_store_lives_in_the_data_folder() {
        let path = default_path().unwrap();
        assert!(path.ends_with("aiwatch-tui/library.sqlite"), "{path:?}");
    }

    /// Grows the store's log past `bytes` with committed writes that no
    /// checkpoint copied (as a writer killed in a large put leaves it);
    /// the connection is returned open, so closing it does not end the log.
    fn grow_log(path: &Path, bytes: usize) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = -1;")
            .unwrap();
        let value = "x".repeat(64 << 10);
        for i in 0..bytes.div_ceil(64 << 10) {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                rusqlite::params![format!("scratch {i}"), value],
            )
            .unwrap();
        }
        conn.execute("DELETE FROM meta WHERE key LIKE 'scratch %'", [])
            .unwrap();
        conn
    }

    /// A large log is checkpointed and truncated, but never while another
    /// connection reads: then the checkpoint gives up without waiting, and
    /// the next writer to open the store tries again.
    #[test]
    fn a_large_log_is_trimmed_when_no_one_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("library.sqlite");
        let mut store = LibraryStore::open(&path).unwrap().store;
        let _writer = grow_log(&path, 2 << 20);
        let wal = sidecar(&path, "-wal");
        let before = fs::metadata(&wal).unwrap().len();
        assert!(before > 2 << 20, "{before}");
        assert_eq!(store.trim_log_over(before).unwrap(), None);
        let mut reader = Connection::open(&path).unwrap();
        let reading = reader.transaction().unwrap();
        let _: i64 = reading
            .query_row("SELECT count(*) FROM meta", [], |r| r.get(0))
            .unwrap();
        let tried = store.trim_log_over(1 << 20).unwrap().unwrap();
        assert_eq!(tried.before, before);
        assert!(tried.after > 1 << 20, "{tried:?}");
        drop(reading);
        let trimmed = store.trim_log_over(1 << 20).unwrap().unwrap();
        assert_eq!((trimmed.before, trimmed.after), (tried.after, 0));
        assert!(store.has_synced().is_ok());
    }

    #[test]
    fn the_sidecars_sit_beside_the_store() {
        let path = Path::new("/data/library.sqlite");
        assert_eq!(sidecar(path, "-wal"), Path::new("/data/library.sqlite-wal"));
    }
}
