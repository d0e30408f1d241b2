//! Bodies read from the store on demand, and search in the store's full-text
//! table, for a library read back without its bodies. Shared by every
//! `serve` session, so it is `Send + Sync`: a small pool of connections
//! (bounded; a reader waits for a free one) and a small cache of the bodies
//! read last. It only reads; sync writes the rows it reads.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OpenFlags, params};

use super::search::Searcher;
use crate::content::{Block, BodyError, BodySource, SectionId};

/// Connections open at most at once, whatever the number of sessions.
const MAX_CONNECTIONS: usize = 4;
/// Connections kept open while idle. Each keeps a page cache of up to
/// `SQLite`'s default 2 MiB: a burst of sessions opens up to four, and the
/// ones beyond this are closed as they come back idle, so a server gives
/// that memory back when the burst is over.
const MAX_IDLE: usize = 1;
/// Bodies kept after they were read: a section shown again, or searched
/// and then shown, is not read twice.
const CACHE_BODIES: usize = 64;

/// The search table's rowid for a section: its file's id and its position,
/// packed (a file holds far fewer than 2^20 sections: it is at most
/// `content::load::MAX_FILE_BYTES` long).
pub const SECTION_BITS: u32 = 20;

pub fn search_rowid(file_id: i64, idx: i64) -> i64 {
    (file_id << SECTION_BITS) | idx
}

/// A section's place in the store.
#[derive(Debug, Clone, Copy)]
struct Place {
    file_id: i64,
    idx: u32,
}

/// A file id and its entry of `StoreBodies::by_file`, if it has one.
type LastFile = (i64, Option<(SectionId, u32)>);

pub struct StoreBodies {
    path: PathBuf,
    /// By section id.
    places: Vec<Place>,
    /// A file's first section id and its number of sections: maps search
    /// hits back to sections.
    by_file: HashMap<i64, (SectionId, u32)>,
    pool: Mutex<Pool>,
    freed: Condvar,
    cache: Mutex<VecDeque<(SectionId, Arc<[Block]>)>>,
    /// What searches remember between keystrokes.
    searcher: Searcher,
}

#[derive(Default)]
struct Pool {
    idle: Vec<Connection>,
    open: usize,
}

impl StoreBodies {
    /// `files` gives, for each article in library order, its file's id and
    /// its number of sections.
    pub fn new(path: &Path, files: impl IntoIterator<Item = (i64, u32)>) -> Self {
        let mut places = Vec::new();
        let mut by_file = HashMap::new();
        for (file_id, count) in files {
            by_file.insert(file_id, (places.len(), count));
            places.extend((0..count).map(|idx| Place { file_id, idx }));
        }
        Self {
            path: path.to_path_buf(),
            places,
            by_file,
            pool: Mutex::new(Pool::default()),
            freed: Condvar::new(),
            cache: Mutex::new(VecDeque::with_capacity(CACHE_BODIES)),
            searcher: Searcher::default(),
        }
    }

    fn read_error(&self, e: &rusqlite::Error) -> BodyError {
        BodyError::Read(format!("{}: {e}", self.path.display()))
    }

    /// Runs `f` on a pooled connection, opening one when none is idle and
    /// fewer than `MAX_CONNECTIONS` are open, else waiting for one.
    fn with_connection<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, BodyError> {
        let mut conn = {
            let mut pool = lock(&self.pool);
            loop {
                if let Some(conn) = pool.idle.pop() {
                    break conn;
                }
                if pool.open < MAX_CONNECTIONS {
                    pool.open += 1;
                    drop(pool);
                    match self.connect() {
                        Ok(conn) => break conn,
                        Err(e) => {
                            lock(&self.pool).open -= 1;
                            self.freed.notify_one();
                            return Err(self.read_error(&e));
                        }
                    }
                }
                pool = self
                    .freed
                    .wait(pool)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let result = f(&mut conn);
        let mut pool = lock(&self.pool);
        if pool.idle.len() < MAX_IDLE {
            pool.idle.push(conn);
        } else {
            pool.open -= 1;
            drop(pool);
            drop(conn);
        }
        self.freed.notify_one();
        result.map_err(|e| self.read_error(&e))
    }

    /// Opens the file for reading only: never creates it (a store deleted
    /// meanwhile is an error, not a new empty one) and never writes.
    fn connect(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(super::BUSY_TIMEOUT)?;
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    /// The section a search table's rowid stands for, if it is loaded.
    /// The section a search hit's rowid stands for; `last` keeps the file
    /// looked up last, with its entry, for the next hit.
    fn section_of(
        &self,
        rowid: i64,
        last: &std::cell::Cell<Option<LastFile>>,
    ) -> Option<SectionId> {
        let file = rowid >> SECTION_BITS;
        let entry = match last.get() {
            Some((f, entry)) if f == file => entry,
            _ => {
                let entry = self.by_file.get(&file).copied();
                last.set(Some((file, entry)));
                entry
            }
        };
        let (first, count) = entry?;
        let idx = u32::try_from(rowid & ((1 << SECTION_BITS) - 1)).ok()?;
        (idx < count).then_some(first + idx as usize)
    }

    fn cached(&self, section: SectionId) -> Option<Arc<[Block]>> {
        let mut cache = lock(&self.cache);
        let at = cache.iter().position(|(s, _)| *s == section)?;
        let entry = cache.remove(at)?;
        let body = Arc::clone(&entry.1);
        cache.push_back(entry);
        Some(body)
    }

    fn remember(&self, section: SectionId, body: &Arc<[Block]>) {
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHE_BODIES {
            cache.pop_front();
        }
        cache.push_back((section, Arc::clone(body)));
    }
}

/// A poisoned lock only means another thread panicked while holding it;
/// the pool and the cache stay consistent (every change is one step).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl BodySource for StoreBodies {
    fn body(&self, section: SectionId, heading: &str) -> Result<Arc<[Block]>, BodyError> {
        let place = *self.places.get(section).ok_or(BodyError::Gone)?;
        if let Some(body) = self.cached(section) {
            return Ok(body);
        }
        let blocks = self.with_connection(|conn| {
            // One snapshot: a sync committed between the two reads must
            // not pair one version's heading with another's text.
            let tx = conn.transaction()?;
            let stored: Option<String> = tx
                .query_row(
                    "SELECT heading FROM sections WHERE file_id = ?1 AND idx = ?2",
                    params![place.file_id, place.idx],
                    |r| r.get(0),
                )
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })?;
            if stored.as_deref() != Some(heading) {
                return Ok(None);
            }
            let mut stmt = tx.prepare_cached(
                "SELECT kind, text FROM blocks WHERE file_id = ?1 AND section = ?2 ORDER BY pos",
            )?;
            let blocks = stmt
                .query_map(params![place.file_id, place.idx], |r| {
                    let kind: String = r.get(0)?;
                    let text: String = r.get(1)?;
                    Ok(if kind == "item" {
                        Block::Item(text)
                    } else {
                        Block::Paragraph(text)
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(blocks))
        })?;
        // The section moved or left since the library was read.
        let body: Arc<[Block]> = blocks.ok_or(BodyError::Gone)?.into();
        self.remember(section, &body);
        Ok(body)
    }

    fn forget(&self) {
        lock(&self.cache).clear();
        self.searcher.forget();
    }

    fn searches(&self) -> bool {
        true
    }

    fn search(&self, words: &[String]) -> Result<Vec<SectionId>, BodyError> {
        self.with_connection(|conn| {
            // Hits come in rowid order, so a file's sections one after
            // another: its entry is looked up once, not once per hit (a
            // common word hits nearly every one of 1,000,000 sections).
            let last = std::cell::Cell::new(None);
            self.searcher
                .search(conn, words, self.places.len(), &|rowid| {
                    self.section_of(rowid, &last)
                })
        })
    }

    /// The vocabulary, read once (about 100 ms at 50,000 sections): the
    /// first search word of three characters would wait for it.
    fn prepare_search(&self) -> Result<(), BodyError> {
        self.with_connection(|conn| self.searcher.prepare(conn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst opens up to `MAX_CONNECTIONS` at once; when it has passed,
    /// no more than `MAX_IDLE` stay open (each holds a page cache).
    #[test]
    fn connections_of_a_burst_are_closed_when_it_has_passed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("library.sqlite");
        Connection::open(&path).unwrap();
        let bodies = Arc::new(StoreBodies::new(&path, []));
        let together = Arc::new(std::sync::Barrier::new(MAX_CONNECTIONS));
        let threads: Vec<_> = (0..2 * MAX_CONNECTIONS)
            .map(|_| {
                let (bodies, together) = (Arc::clone(&bodies), Arc::clone(&together));
                std::thread::spawn(move || {
                    bodies
                        .with_connection(|_| {
                            together.wait();
                            Ok(())
                        })
                        .unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let pool = lock(&bodies.pool);
        assert_eq!(pool.open, MAX_IDLE);
        assert_eq!(pool.idle.len(), MAX_IDLE);
    }
}
