//! `r` in the local reader: every feed fetched on a thread of its own,
//! with its own store connection (WAL: the reader's reads never wait for
//! it). It never touches the app: progress and the outcome go through the
//! loop's input channel as `Input::Fetch`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use crate::config::Config;
use crate::feeds::refresh;
use crate::feeds::run::{Progress, Status};
use crate::input::{FetchEvent, FetchSummary, SyncedLibrary};
use crate::library_store::feeds::PutControl;

/// Where fetched items go, and the config that says which feeds and how
/// to tag them.
#[derive(Debug, Clone)]
pub struct FetchJob {
    pub path: PathBuf,
    pub config: Arc<Config>,
    /// Shared by every fetch of this job: a quitting reader stops their
    /// puts, and puts off its saves while one writes.
    pub control: Arc<PutControl>,
    /// Read the config again at each `r` (`--config`'s path, `None` for
    /// the usual place): a feed added with `feeds add` while the reader
    /// runs is fetched, one removed is not. `None` keeps `config`.
    pub reread: Option<Option<PathBuf>>,
}

impl FetchJob {
    /// The config this fetch goes by: the file as it is now, when the job
    /// reads it again; its errors are the reason nothing is fetched.
    fn current_config(&self) -> Result<Arc<Config>, String> {
        let Some(from) = &self.reread else {
            return Ok(Arc::clone(&self.config));
        };
        let path = crate::setup::config_path(from.as_deref());
        crate::setup::load_config(path.as_deref())
            .map(Arc::new)
            .map_err(|errors| {
                errors
                    .iter()
                    .find(|d| d.severity == crate::diag::Severity::Error)
                    .or(errors.first())
                    .map_or_else(String::new, ToString::to_string)
            })
    }
}

/// Runs `job` on its own thread; `send` delivers its events (and returns
/// `false` once nobody listens; the fetch then runs out unheard).
pub fn spawn(job: FetchJob, send: impl Fn(FetchEvent) -> bool + Send + Sync + 'static) {
    let send = Arc::new(send);
    let running = Arc::new(AtomicBool::new(true));
    // A large feed's put takes seconds with no event of its own: how far it
    // is, twice a second, while it writes.
    {
        let (send, running, control) = (
            Arc::clone(&send),
            Arc::clone(&running),
            Arc::clone(&job.control),
        );
        thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                thread::sleep(STORING_EVERY);
                if control.is_writing() && running.load(Ordering::SeqCst) {
                    send(FetchEvent::Storing {
                        items: control.stored(),
                    });
                }
            }
        });
    }
    thread::spawn(move || {
        // However the fetch ends (a panic too), the ticker ends with it; a
        // `Storing` heard after `Done` is ignored by the app.
        let _ticking = Ticking(running);
        let config = match job.current_config() {
            Ok(config) => config,
            Err(reason) => {
                send(FetchEvent::ConfigBroken(reason));
                return;
            }
        };
        if config.feeds.is_empty() {
            send(FetchEvent::NoFeeds);
            return;
        }
        let feeds = &config.feeds;
        let total = feeds.len();
        let mut done = 0;
        send(FetchEvent::Progress { done, total });
        let result = refresh::fetch_all(
            &job.path,
            &config,
            feeds,
            Arc::clone(&job.control),
            &mut |p, _| {
                if let Progress::Done { .. } = p {
                    done += 1;
                    send(FetchEvent::Progress { done, total });
                }
            },
        );
        let event = match result {
            Ok(run) => FetchEvent::Done(FetchSummary {
                feeds: run.reports.len(),
                new: run.new_items(),
                failures: run
                    .reports
                    .iter()
                    .filter_map(|r| match &r.status {
                        Status::Failed(reason) => Some((r.name.clone(), reason.clone())),
                        _ => None,
                    })
                    .collect(),
                library: run.library.map(|l| SyncedLibrary(Arc::new(l))),
            }),
            Err(e) => FetchEvent::Failed(e.to_string()),
        };
        send(event);
    });
}

/// Ends the progress ticker when dropped.
struct Ticking(Arc<AtomicBool>);

impl Drop for Ticking {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// How often a running put's progress is told.
const STORING_EVERY: Duration = Duration::from_millis(500);
