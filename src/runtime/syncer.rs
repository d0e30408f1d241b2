//! The library store's sync, off the first frame: the reader starts on the
//! library as stored, and this thread brings the store in line with the
//! content folders on its own connection (WAL: the reader's reads never
//! wait for it), telling the app how far it is and sending the library
//! read back when anything changed. It never touches the app: everything
//! goes through the loop's input channel as `Input::Sync`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::content::{ActorDirectory, ContentRoot, Library};
use crate::input::{SyncEvent, SyncedLibrary};
use crate::library_store::{self, LibraryStore, StoreError};

/// Progress goes to the app at most this often (plus the first and last).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// A sync to run: which store, with which roots.
#[derive(Debug, Clone)]
pub struct SyncJob {
    pub path: PathBuf,
    pub roots: Vec<ContentRoot>,
    pub actors: ActorDirectory,
}

/// A running sync, as its owner sees it.
pub struct Syncing {
    running: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Syncing {
    /// Whether the sync may still hold the store's write lock.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// Asks the sync to stop at its next batch; its open transaction is
    /// rolled back (a first build keeps the batches it committed, and the
    /// next start goes on from there) and it sends nothing more.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Starts `job` on its own thread; `send` delivers its events (and
/// returns `false` once nobody listens, which stops the sync).
pub fn spawn(job: SyncJob, send: impl Fn(SyncEvent) -> bool + Send + 'static) -> Syncing {
    let running = Arc::new(AtomicBool::new(true));
    let stop = Arc::new(AtomicBool::new(false));
    let handle = Syncing {
        running: Arc::clone(&running),
        stop: Arc::clone(&stop),
    };
    thread::spawn(move || {
        let result = run(&job, &stop, &send);
        // Not running before the last event: whoever waits to write the
        // store (the state saver) may do so once it hears of the end.
        running.store(false, Ordering::SeqCst);
        let listening = match result {
            Ok(Synced::Unchanged) => send(SyncEvent::Done(None)),
            Ok(Synced::Text) => send(SyncEvent::TextChanged),
            Ok(Synced::Library(library)) => {
                send(SyncEvent::Done(Some(SyncedLibrary(Arc::new(*library)))))
            }
            Err(e) if library_store::is_cancelled(&e) => false,
            Err(e) => {
                send(SyncEvent::Failed(format!(
                    "{e}; the library shown is the one stored before"
                )));
                false
            }
        };
        if listening && !stop.load(Ordering::SeqCst) {
            refresh_image(&job);
        }
    });
    handle
}

/// After a sync, the index image for the next start, when the stored one
/// is not that of the library now stored (a first warm start, or the
/// index changed). A cache: when it cannot be written (a full disk, a
/// lock held past the timeout) the next start reads the rows as before,
/// so a failure is not worth a notice.
fn refresh_image(job: &SyncJob) {
    if let Ok(opened) = LibraryStore::open(&job.path) {
        let mut store = opened.store;
        let _ = store.refresh_image(&job.actors);
    }
}

/// What a sync changed, as the reader must take it.
enum Synced {
    Unchanged,
    /// Only the text of sections: the library in memory still holds.
    Text,
    Library(Box<Library>),
}

/// Syncs, and reads the library back when the sync changed more than the
/// text of sections (reading 50,000 sections back costs far more than
/// the sync of one edited file).
fn run(
    job: &SyncJob,
    stop: &AtomicBool,
    send: &impl Fn(SyncEvent) -> bool,
) -> Result<Synced, StoreError> {
    let mut store = LibraryStore::open(&job.path)?.store;
    let mut last: Option<Instant> = None;
    let report = store.sync_with_progress(&job.roots, &mut |done, total| {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        if done == total || last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
            last = Some(Instant::now());
            return send(SyncEvent::Progress { done, total });
        }
        true
    })?;
    if report.parsed == 0 && report.removed == 0 {
        return Ok(Synced::Unchanged);
    }
    if !report.index_changed {
        return Ok(Synced::Text);
    }
    store
        .load_library(&job.actors)
        .map(|l| Synced::Library(Box::new(l)))
}
