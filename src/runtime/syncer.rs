//! The library store's sync, off the first frame: the reader starts on the
//! library as stored, and this thread brings the store in line with the
//! content folders on its own connection (WAL: the reader's reads never
//! wait for it), telling the app how far it is and sending the library
//! read back when anything changed. It never touches the app: everything
//! goes through the loop's input channel as `Input::Sync`. A warm start
//! walks the folders as soon as the index is read ([`start_early`]),
//! beside the rest of the start and the first frame, and parses a few
//! changed files before the first frame; many files wait for it, so the
//! first frame never shares the cores with a build.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::content::{ActorDirectory, ContentRoot, Library};
use crate::input::{SyncEvent, SyncedLibrary};
use crate::library_store::{self, LibraryStore, StoreError, Walked};

/// Progress goes to the app at most this often (plus the first and last).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// How long a sync first waits for another program's write lock before
/// the reader is told the store is busy: another reader's sync of a few
/// edited files holds it for less.
const FIRST_WAIT: Duration = Duration::from_millis(250);

/// How long each later try waits for the lock; between tries the sync
/// looks whether it was asked to stop (the reader quit).
const RETRY_WAIT: Duration = Duration::from_secs(1);

/// Files an early sync parses before the first frame is out, at most (a
/// few edited files: a few milliseconds of one core). More wait for it.
const PARSE_BEFORE_FIRST_FRAME: usize = 64;

/// A sync to run: which store, with which roots.
#[derive(Debug, Clone)]
pub struct SyncJob {
    pub path: PathBuf,
    pub roots: Vec<ContentRoot>,
    pub actors: ActorDirectory,
}

/// The reader's background sync, and when it starts.
pub enum BackgroundSync {
    /// A first run (nothing stored yet): the store is built once the first
    /// frame is out, so the file loader has the cores to itself before it.
    AfterFirstFrame(SyncJob),
    /// A store synced before: the sync started once the index was read,
    /// walking the content folders beside the first frame ([`start_early`]).
    Started(EarlySync),
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
    spawn_gated(job, Gates::default(), send)
}

/// A sync started with the reader, before its store is open: it walks the
/// content folders at once, beside the index read, then waits for
/// [`EarlySync::store_ready`] before it opens the store (a store found
/// damaged is moved aside meanwhile), and parses many files only once its
/// [`FirstFrame`] is out. Dropped before `store_ready`, it ends
/// without touching the store.
pub struct EarlySync {
    syncing: Syncing,
    events: Receiver<SyncEvent>,
    ready: Option<Sender<()>>,
    first_frame: FirstFrame,
}

impl EarlySync {
    /// The reader opened the store and read its index: the sync may use it.
    pub fn store_ready(&mut self) {
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(());
        }
    }

    /// Its handle, the first frame's gate and its events (in order, for
    /// the loop's input).
    pub fn split(self) -> (Syncing, FirstFrame, Receiver<SyncEvent>) {
        (self.syncing, self.first_frame, self.events)
    }
}

/// Held while the reader's first frame is not out; dropped (or
/// [`FirstFrame::out`]), it lets an early sync parse as much as it must.
pub struct FirstFrame {
    _held: Sender<()>,
}

impl FirstFrame {
    /// The first frame is out.
    pub fn out(self) {}
}

/// Starts `job` as [`EarlySync`] describes.
pub fn start_early(job: SyncJob) -> EarlySync {
    let (ready, ready_rx) = mpsc::channel();
    let (first_frame, first_frame_rx) = mpsc::channel();
    let (tx, events) = mpsc::channel();
    let gates = Gates {
        ready: Some(ready_rx),
        first_frame: Some(first_frame_rx),
    };
    let syncing = spawn_gated(job, gates, move |event| tx.send(event).is_ok());
    EarlySync {
        syncing,
        events,
        ready: Some(ready),
        first_frame: FirstFrame { _held: first_frame },
    }
}

/// What a sync waits for: the store to be ready (its sender sends; a
/// dropped one means it will never be), and the first frame (its sender
/// dropped, whatever the reason).
#[derive(Default)]
struct Gates {
    ready: Option<Receiver<()>>,
    first_frame: Option<Receiver<()>>,
}

fn spawn_gated(
    job: SyncJob,
    gates: Gates,
    send: impl Fn(SyncEvent) -> bool + Send + 'static,
) -> Syncing {
    let running = Arc::new(AtomicBool::new(true));
    let stop = Arc::new(AtomicBool::new(false));
    let handle = Syncing {
        running: Arc::clone(&running),
        stop: Arc::clone(&stop),
    };
    thread::spawn(move || {
        let walked = library_store::walk(&job.roots);
        if gates.ready.is_some_and(|ready| ready.recv().is_err()) {
            running.store(false, Ordering::SeqCst);
            return;
        }
        let mut result = run(&job, walked, gates.first_frame, FIRST_WAIT, &stop, &send);
        // Another program holds the write lock (a `fetch`, the sqlite3
        // shell in a transaction): the reader is told once, calmly, and the
        // sync tries again until the lock is free or the reader quits; the
        // folders are walked again each time (they may change meanwhile).
        let mut told = false;
        while matches!(&result, Err(e) if e.is_locked()) && !stop.load(Ordering::SeqCst) {
            if !std::mem::replace(&mut told, true) && !send(SyncEvent::Busy) {
                break;
            }
            let walked = library_store::walk(&job.roots);
            result = run(&job, walked, None, RETRY_WAIT, &stop, &send);
        }
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
/// so a failure is not worth a notice. A log left large by a writer
/// killed in a large put is cut back first (`trim_log`: never waits for
/// a reader, so not the reader's own either); one that cannot be is cut
/// back by the next writer.
fn refresh_image(job: &SyncJob) {
    if let Ok(opened) = LibraryStore::open(&job.path) {
        let mut store = opened.store;
        let _ = store.trim_log();
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
/// `first_frame`, when given, is waited for when more than a few files
/// are to be parsed (and the frame is not out yet). `wait`: how long the
/// write lock is waited for when there is work (none is taken when
/// nothing changed).
fn run(
    job: &SyncJob,
    walked: Walked,
    first_frame: Option<Receiver<()>>,
    wait: Duration,
    stop: &AtomicBool,
    send: &impl Fn(SyncEvent) -> bool,
) -> Result<Synced, StoreError> {
    let mut store = LibraryStore::open(&job.path)?.store;
    store.wait_for_writers(wait)?;
    let mut last: Option<Instant> = None;
    let mut progress = |done, total| {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        if done == total || last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
            last = Some(Instant::now());
            return send(SyncEvent::Progress { done, total });
        }
        true
    };
    // Only asked while the frame is not out: counting the files to parse
    // reads the stored rows once more.
    let frame_pending =
        first_frame.filter(|frame| matches!(frame.try_recv(), Err(mpsc::TryRecvError::Empty)));
    let mut wait_for_frame = |count: usize| {
        if count > PARSE_BEFORE_FIRST_FRAME
            && let Some(frame) = &frame_pending
        {
            // Ends when the frame is out or the reader is gone.
            let _ = frame.recv();
        }
        !stop.load(Ordering::SeqCst)
    };
    let before_parse: Option<library_store::BeforeParse<'_>> = if frame_pending.is_some() {
        Some(&mut wait_for_frame)
    } else {
        None
    };
    let report = store.sync_walked(walked, &mut progress, before_parse)?;
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
