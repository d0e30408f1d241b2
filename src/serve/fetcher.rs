//! `serve`'s feed fetcher: one thread for the whole server that fetches
//! each subscribed feed when it is due (`feeds::schedule`), through the
//! same code as `aiwatch-tui fetch` into the store, logs one line per
//! feed, and, when anything was stored, reads the library back once and
//! offers it to every session through a `watch` channel (each session
//! takes it through its resync path; see `reader`). It never touches a
//! session. Stopping is prompt: a fetch in flight is abandoned, not
//! waited for (its store write is one transaction either way).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::metrics::Metrics;
use super::{log, quote};
use crate::config::Config;
use crate::content::Library;
use crate::feeds::config::Feed;
use crate::feeds::ledger::{FeedLedger, FetchRecord, Outcome, Validators};
use crate::feeds::refresh;
use crate::feeds::run::{Progress, Status};
use crate::feeds::schedule;
use crate::library_store::LibraryStore;
use crate::library_store::feeds::PutControl;

/// The longest the fetcher sleeps before it looks at the clock again
/// (the wall clock may jump; a suspended machine wakes late).
const MAX_SLEEP: Duration = Duration::from_secs(300);

/// Where the server's library comes from, as far as fetching goes.
#[derive(Debug, Clone)]
pub enum FeedStore {
    /// Fetch into the store at this path.
    Store(PathBuf),
    /// No fetcher, for this reason (logged once at start).
    None(String),
}

/// The running fetcher, as the server holds it.
pub struct Fetcher {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Fetcher {
    /// Asks the fetcher to stop and waits at most `grace` for it. A fetch
    /// in flight is abandoned (the thread is left to the process's exit):
    /// a hanging server must not hold up a shutdown for its timeout.
    pub fn stop(mut self, grace: Duration) {
        let (flag, wake) = &*self.stop;
        if let Ok(mut stop) = flag.lock() {
            *stop = true;
        }
        wake.notify_all();
        let Some(thread) = self.thread.take() else {
            return;
        };
        let until = std::time::Instant::now() + grace;
        while !thread.is_finished() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        if thread.is_finished() {
            let _ = thread.join();
        } else {
            log("event=fetcher_stop abandoned=1");
        }
    }
}

/// Starts the fetcher, or logs why there is none and returns `None`.
pub fn start(
    store: &FeedStore,
    config: &Arc<Config>,
    library: watch::Sender<Arc<Library>>,
    metrics: Arc<Metrics>,
    puts: Arc<PutControl>,
) -> Option<Fetcher> {
    let path = match store {
        FeedStore::None(reason) => {
            log(&format!("event=fetcher_off reason={}", quote(reason)));
            return None;
        }
        FeedStore::Store(_) if config.feeds.is_empty() => {
            log(&format!(
                "event=fetcher_off reason={}",
                quote("no [[feeds]] in the config")
            ));
            return None;
        }
        FeedStore::Store(path) => path.clone(),
    };
    let stop = Arc::new((Mutex::new(false), Condvar::new()));
    let config = Arc::clone(config);
    let stopping = Arc::clone(&stop);
    let spawned = std::thread::Builder::new()
        .name("feed fetcher".to_owned())
        .spawn(move || run(&path, &config, &library, &metrics, &puts, &stopping));
    match spawned {
        Ok(thread) => Some(Fetcher {
            stop,
            thread: Some(thread),
        }),
        Err(e) => {
            log(&format!(
                "event=fetcher_off reason={}",
                quote(&format!("cannot start a thread: {e}"))
            ));
            None
        }
    }
}

/// Debug builds only, for tests: every feed's interval (and so its
/// backoff) in milliseconds, below the one-minute minimum of `every`.
/// Undocumented on purpose.
fn test_interval() -> Option<Duration> {
    #[cfg(debug_assertions)]
    {
        std::env::var("AIWATCH_TUI_TEST_FEED_INTERVAL_MS")
            .ok()
            .and_then(|ms| ms.parse::<u64>().ok())
            .map(|ms| Duration::from_millis(ms.max(10)))
    }
    #[cfg(not(debug_assertions))]
    {
        None
    }
}

/// The fetcher's loop: fetch what is due, publish, sleep until the next
/// feed is due or a stop.
fn run(
    path: &std::path::Path,
    config: &Config,
    library: &watch::Sender<Arc<Library>>,
    metrics: &Metrics,
    puts: &Arc<PutControl>,
    stop: &(Mutex<bool>, Condvar),
) {
    let mut store = match LibraryStore::open(path) {
        Ok(opened) => opened.store,
        Err(e) => {
            log(&format!(
                "event=fetcher_off reason={}",
                quote(&format!("{e}; nothing is fetched"))
            ));
            return;
        }
    };
    match store.trim_log() {
        Ok(Some(trim)) => log(&format!(
            "event=store_log_trimmed before_bytes={} after_bytes={}",
            trim.before, trim.after
        )),
        Ok(None) => {}
        Err(e) => log(&format!(
            "event=store_log_trim_failed reason={}",
            quote(&e.to_string())
        )),
    }
    log(&format!("event=fetcher_start feeds={}", config.feeds.len()));
    let forced = test_interval();
    // Failures in a row per feed URL (this run of the server; a failure
    // recorded before a restart counts as one), and when each was last
    // tried here: a record the store could not write must not make the
    // feed due again at once, round after round.
    let mut failures: HashMap<String, u32> = HashMap::new();
    let mut tried: HashMap<String, DateTime<Utc>> = HashMap::new();
    loop {
        if stopped(stop) {
            return;
        }
        let now = Utc::now();
        let plan: Vec<(&Feed, Option<DateTime<Utc>>)> = config
            .feeds
            .iter()
            .map(|feed| (feed, due(&store, config, feed, forced, &failures, &tried)))
            .collect();
        let due_now: Vec<Feed> = plan
            .iter()
            .filter(|(_, at)| at.is_none_or(|at| at <= now))
            .map(|(feed, _)| (*feed).clone())
            .collect();
        if !due_now.is_empty() {
            for feed in &due_now {
                tried.insert(feed.url.clone(), now);
            }
            fetch(
                &mut store,
                config,
                &due_now,
                library,
                metrics,
                puts,
                &mut failures,
            );
            // The next round reads the new records.
            continue;
        }
        let next = plan.iter().filter_map(|(_, at)| *at).min();
        let wait = next
            .and_then(|at| (at - Utc::now()).to_std().ok())
            .unwrap_or(Duration::ZERO)
            .clamp(Duration::from_millis(10), MAX_SLEEP);
        let (flag, wake) = stop;
        let Ok(guard) = flag.lock() else { return };
        if *guard {
            return;
        }
        let _ = wake.wait_timeout(guard, wait);
    }
}

fn stopped(stop: &(Mutex<bool>, Condvar)) -> bool {
    stop.0.lock().map_or(true, |s| *s)
}

/// When `feed` is due (`None`: now, it was never fetched).
fn due(
    store: &LibraryStore,
    config: &Config,
    feed: &Feed,
    forced: Option<Duration>,
    failures: &HashMap<String, u32>,
    tried: &HashMap<String, DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let mut last = store.last(&feed.url).ok().flatten();
    if let (Some(record), Some(&at)) = (last.as_mut(), tried.get(&feed.url)) {
        record.at = record.at.max(at);
    }
    if let (None, Some(&at)) = (&last, tried.get(&feed.url)) {
        // Tried, but nothing recorded: as a failure at that moment.
        last = Some(FetchRecord {
            at,
            outcome: Outcome::Failed {
                reason: String::new(),
            },
            validators: Validators::default(),
            moved_to: None,
            retry_after: None,
        });
    }
    let interval = forced.unwrap_or_else(|| {
        let hint = store.refresh_hint(&feed.url).ok().flatten();
        schedule::interval(config.feed_defaults.every_for(feed), hint)
    });
    let failed = failures.get(&feed.url).copied().unwrap_or(0);
    schedule::next_due(last.as_ref(), interval, failed)
}

/// Fetches `feeds`, logs each, and offers the library read back.
fn fetch(
    store: &mut LibraryStore,
    config: &Config,
    feeds: &[Feed],
    library: &watch::Sender<Arc<Library>>,
    metrics: &Metrics,
    puts: &Arc<PutControl>,
    failures: &mut HashMap<String, u32>,
) {
    let result = refresh::fetch_into(
        store,
        config,
        feeds,
        Arc::clone(puts),
        &mut |progress, new| {
            let Progress::Done { report, .. } = progress else {
                return;
            };
            let (status, error) = match &report.status {
                Status::Fetched => ("ok", None),
                Status::NotModified => ("not_modified", None),
                Status::Waiting(until) => {
                    metrics.fetch("waiting");
                    log(&format!(
                        "event=fetch feed={} status=waiting until={}",
                        quote(&report.name),
                        until.to_rfc3339()
                    ));
                    return;
                }
                Status::Failed(reason) => ("failed", Some(reason)),
            };
            metrics.fetch(status);
            let error = error
                .map(|e| format!(" error={}", quote(e)))
                .unwrap_or_default();
            log(&format!(
                "event=fetch feed={} status={status} items={} new={}{error}",
                quote(&report.name),
                report.items,
                new.unwrap_or(0)
            ));
        },
    );
    let run = match result {
        Ok(run) => run,
        Err(e) => {
            metrics.fetch("error");
            metrics.store_sync(false);
            log(&format!(
                "event=fetch_error error={}",
                quote(&e.to_string())
            ));
            // Every feed counts as failed, so the loop backs off.
            for feed in feeds {
                *failures.entry(feed.url.clone()).or_insert(0) += 1;
            }
            return;
        }
    };
    for report in &run.reports {
        if matches!(report.status, Status::Failed(_)) {
            *failures.entry(report.url.clone()).or_insert(0) += 1;
        } else {
            failures.remove(&report.url);
        }
    }
    // Read back once for all sessions (by `fetch_into`), and only when a
    // put changed the store.
    if let Some(new) = run.library {
        metrics.store_sync(true);
        let sections = new.sections.len();
        library.send_replace(Arc::new(new));
        log(&format!(
            "event=library_update sections={sections} sessions={}",
            library.receiver_count()
        ));
    }
}
