//! Fetching many feeds at once: worker threads (a total limit and a limit
//! per host) fetch and parse; the calling thread alone writes to the store
//! (an `SQLite` connection is not shared between threads) and hears every
//! step as a [`Progress`] event, so the `fetch` command and the reader can
//! both show it. A failing feed never stops the others, and each fetch has
//! its own deadline, so the run takes about one timeout, not their sum.
//! A parsed feed's articles reach the store in batches through a bounded
//! channel while the worker makes the next ones: a 50,000-item feed is
//! tagged and written at once on two cores, and never held whole twice.

use std::collections::{HashMap, VecDeque};
use std::fmt::Display;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::article::{FetchedArticle, ItemSink, articles_in_batches};
use super::config::Feed;
use super::fetch::{self, FetchError};
use super::http::{Client, HttpError, Limits};
use super::ledger::{FeedLedger, FetchRecord, Outcome, Validators};
use super::tag::Tagger;

/// Fetches at once, in all.
pub const DEFAULT_THREADS: usize = 16;
/// Fetches at once from one host (and port): politeness to publishers.
pub const DEFAULT_PER_HOST: usize = 2;
/// A byte count is reported once this many more bytes have come.
const BYTES_STEP: u64 = 16 * 1024;
/// Articles per batch handed from a worker to the store.
const BATCH: usize = 256;
/// Batches made ahead of the store's writing, per feed: the bound on what
/// a worker holds beyond its parsed feed.
const BATCHES_AHEAD: usize = 2;

/// How a run is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub limits: Limits,
    pub threads: usize,
    pub per_host: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            threads: DEFAULT_THREADS,
            per_host: DEFAULT_PER_HOST,
        }
    }
}

/// What tagging needs, borrowed by every worker.
pub struct Context<'a> {
    pub tagger: &'a Tagger,
    pub known_topics: &'a [String],
}

/// How one feed ended, in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Fetched and stored.
    Fetched,
    /// 304: nothing changed since the last fetch.
    NotModified,
    /// Not fetched: the server asked us to wait until then.
    Waiting(DateTime<Utc>),
    /// No items this time; the reason in one line.
    Failed(String),
}

/// One feed's result, as the command prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub name: String,
    pub url: String,
    pub status: Status,
    /// Items in the body (0 for a 304 or a failure).
    pub items: usize,
    pub elapsed: Duration,
    /// A permanent redirect was followed: the URL the config should say.
    pub moved_to: Option<String>,
    /// The feed's own refresh hint from this fetch (RSS `<ttl>`, else
    /// `Cache-Control: max-age` or `Expires`), for a scheduler.
    pub hint: Option<Duration>,
}

impl Report {
    /// Fetched, or unchanged: the feed is as fresh as the server allows.
    pub fn ok(&self) -> bool {
        matches!(
            self.status,
            Status::Fetched | Status::NotModified | Status::Waiting(_)
        )
    }
}

/// A step of a run; `index` is the feed's place in the list given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Started {
        index: usize,
    },
    /// Bytes received so far (before decompression).
    Bytes {
        index: usize,
        bytes: u64,
    },
    Done {
        index: usize,
        report: Report,
    },
}

/// What a worker sends back.
enum Message {
    Bytes(usize, u64),
    /// The feed parsed: its articles follow on this channel, batch by
    /// batch; it closes after the last.
    Items(usize, mpsc::Receiver<Vec<FetchedArticle>>),
    Done(usize, Attempt, Duration),
}

/// What a worker made of one feed.
enum Attempt {
    /// Parsed; this many articles were sent (after [`Message::Items`]).
    Items {
        items: usize,
        validators: Validators,
        moved_to: Option<String>,
        hint: Option<Duration>,
    },
    NotModified {
        validators: Validators,
        moved_to: Option<String>,
        hint: Option<Duration>,
    },
    Failed {
        reason: String,
        retry_after: Option<DateTime<Utc>>,
    },
}

/// Fetches `feeds` into `store`, calling `on_progress` for every step on
/// this thread. Returns one report per feed, in the order given. A feed
/// listed twice (same URL) is fetched once.
pub fn run<S>(
    feeds: &[Feed],
    store: &mut S,
    ctx: &Context<'_>,
    options: &Options,
    on_progress: &mut dyn FnMut(&Progress),
) -> Vec<Report>
where
    S: FeedLedger + ItemSink,
    <S as FeedLedger>::Error: Display,
    <S as ItemSink>::Error: Display,
{
    let now = Utc::now();
    let client = Client::new(options.limits);
    let mut reports: Vec<Option<Report>> = vec![None; feeds.len()];
    let mut pending = prepare(feeds, store, now, &mut reports, on_progress);
    // How each streamed put ended, until the feed's `Done` comes.
    let mut puts: HashMap<usize, Result<(), String>> = HashMap::new();
    let threads = options.threads.max(1);
    let per_host_limit = options.per_host.max(1);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Message>();
        let mut per_host: HashMap<String, usize> = HashMap::new();
        let mut in_flight = 0usize;
        loop {
            let mut i = 0;
            while in_flight < threads && i < pending.len() {
                let host = host_key(&feeds[pending[i].0].url);
                let busy = per_host.get(&host).copied().unwrap_or(0);
                if busy >= per_host_limit {
                    i += 1;
                    continue;
                }
                let Some((index, validators)) = pending.remove(i) else {
                    break;
                };
                let feed = &feeds[index];
                let tx = tx.clone();
                let client = &client;
                let spawned = std::thread::Builder::new()
                    .name(format!("fetch-{index}"))
                    .spawn_scoped(scope, move || {
                        let started = Instant::now();
                        let attempt = fetch_one(
                            client,
                            feed,
                            &validators,
                            ctx,
                            now,
                            index,
                            &tx,
                            <S as ItemSink>::prepare,
                        );
                        let _ = tx.send(Message::Done(index, attempt, started.elapsed()));
                    });
                if let Err(e) = spawned {
                    let attempt = Attempt::Failed {
                        reason: format!("cannot start a thread: {e}"),
                        retry_after: None,
                    };
                    let report = store_attempt(store, feed, attempt, None, Duration::ZERO, now);
                    on_progress(&Progress::Done {
                        index,
                        report: report.clone(),
                    });
                    reports[index] = Some(report);
                    continue;
                }
                *per_host.entry(host).or_insert(0) += 1;
                in_flight += 1;
                on_progress(&Progress::Started { index });
            }
            if in_flight == 0 {
                break;
            }
            // Every worker sends `Done` before it ends, so this cannot
            // wait for ever; a closed channel would mean they all ended.
            let Ok(message) = rx.recv() else { break };
            match message {
                Message::Bytes(index, bytes) => on_progress(&Progress::Bytes { index, bytes }),
                Message::Items(index, rx) => {
                    // One feed at a time: the others' workers wait on
                    // their own bounded channels meanwhile.
                    let mut items = rx.into_iter().flatten();
                    let put = store
                        .put_stream(&feeds[index], &mut items)
                        .map_err(|e| e.to_string());
                    puts.insert(index, put);
                }
                Message::Done(index, attempt, elapsed) => {
                    in_flight -= 1;
                    if let Some(n) = per_host.get_mut(&host_key(&feeds[index].url)) {
                        *n = n.saturating_sub(1);
                    }
                    let put = puts.remove(&index);
                    let report = store_attempt(store, &feeds[index], attempt, put, elapsed, now);
                    on_progress(&Progress::Done {
                        index,
                        report: report.clone(),
                    });
                    reports[index] = Some(report);
                }
            }
        }
    });
    // Duplicates share the first one's report.
    (0..feeds.len())
        .filter_map(|i| {
            reports[i].clone().or_else(|| {
                let first = feeds.iter().position(|f| f.url == feeds[i].url)?;
                reports[first].clone().map(|mut r| {
                    r.name.clone_from(&feeds[i].name);
                    r
                })
            })
        })
        .collect()
}

/// The feeds to fetch, with the validators to send; a feed whose server
/// asked us to wait is reported as waiting and left out, and a URL listed
/// twice is fetched once.
fn prepare<S: FeedLedger>(
    feeds: &[Feed],
    store: &S,
    now: DateTime<Utc>,
    reports: &mut [Option<Report>],
    on_progress: &mut dyn FnMut(&Progress),
) -> VecDeque<(usize, Validators)> {
    let mut pending = VecDeque::new();
    for (index, feed) in feeds.iter().enumerate() {
        if feeds[..index].iter().any(|f| f.url == feed.url) {
            continue;
        }
        let last = store.last(&feed.url).ok().flatten();
        if let Some(until) = last.as_ref().and_then(|r| r.retry_after)
            && until > now
        {
            let report = Report {
                name: feed.name.clone(),
                url: feed.url.clone(),
                status: Status::Waiting(until),
                items: 0,
                elapsed: Duration::ZERO,
                moved_to: None,
                hint: None,
            };
            on_progress(&Progress::Done {
                index,
                report: report.clone(),
            });
            reports[index] = Some(report);
            continue;
        }
        let validators = store.validators(&feed.url).unwrap_or_default();
        pending.push_back((index, validators));
    }
    pending
}

/// Host and port: the unit of politeness.
fn host_key(url: &str) -> String {
    url::Url::parse(url).map_or_else(
        |_| url.to_owned(),
        |u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or_default(),
                u.port_or_known_default().unwrap_or(0)
            )
        },
    )
}

/// Fetches and parses one feed (on a worker thread), telling `tx` how
/// many bytes came; once parsed, sends a channel through `tx` and the
/// articles through that channel as they are made, each batch `prepare`d
/// for the sink.
#[allow(clippy::too_many_arguments)] // a worker's whole context
fn fetch_one(
    client: &Client,
    feed: &Feed,
    validators: &Validators,
    ctx: &Context<'_>,
    now: DateTime<Utc>,
    index: usize,
    tx: &mpsc::Sender<Message>,
    prepare: fn(&mut [FetchedArticle]),
) -> Attempt {
    let mut reported = 0u64;
    let on_bytes = &mut |n| {
        if n >= reported + BYTES_STEP {
            reported = n;
            let _ = tx.send(Message::Bytes(index, n));
        }
    };
    let failed = |reason: String| Attempt::Failed {
        reason,
        retry_after: None,
    };
    let (body, charset, validators, moved_to, fresh_for) = if feed.url.starts_with("file:") {
        // A file unchanged since the last fetch, read with the same
        // settings, is not read again: its "304". The stamp is taken
        // before reading, so a file changed meanwhile is read next time.
        let stamp = fetch::file_stamp(&feed.url, settings_hash(feed, ctx));
        if stamp.is_some() && stamp == validators.etag {
            return Attempt::NotModified {
                validators: validators.clone(),
                moved_to: None,
                hint: None,
            };
        }
        match fetch::read_file_url(&feed.url) {
            Ok(bytes) => (
                bytes,
                None,
                Validators {
                    etag: stamp,
                    last_modified: None,
                },
                None,
                None,
            ),
            Err(e) => return failed(e.to_string()),
        }
    } else {
        match client.get(&feed.url, validators, on_bytes) {
            Ok(response) => match response.body {
                Some(body) => (
                    body,
                    response.charset,
                    response.validators,
                    response.moved_to,
                    response.fresh_for,
                ),
                None => {
                    return Attempt::NotModified {
                        validators: response.validators,
                        moved_to: response.moved_to,
                        hint: response.fresh_for,
                    };
                }
            },
            Err(e @ HttpError::Status { .. }) => {
                return Attempt::Failed {
                    reason: e.to_string(),
                    retry_after: e.retry_after(),
                };
            }
            Err(e) => return failed(e.to_string()),
        }
    };
    match fetch::parse_body(feed, body, charset.as_deref()) {
        Ok(parsed) => {
            // The feed's own <ttl> first: it is about the feed, a cache
            // header may be the web server's default for every file.
            let hint = parsed.ttl.or(fresh_for);
            let (batches, rx) = mpsc::sync_channel(BATCHES_AHEAD);
            let _ = tx.send(Message::Items(index, rx));
            // A store that stopped reading (it failed) stops the making.
            let items = articles_in_batches(
                feed,
                parsed,
                ctx.tagger,
                ctx.known_topics,
                now,
                BATCH,
                &mut |mut batch| {
                    prepare(&mut batch);
                    batches.send(batch).is_ok()
                },
            );
            Attempt::Items {
                items,
                validators,
                moved_to,
                hint,
            }
        }
        Err(FetchError::Parse(e)) => {
            let reason = e.to_string();
            if reason.contains("not a feed") {
                failed(reason)
            } else {
                failed(format!("not a feed: {reason}"))
            }
        }
        Err(e) => failed(e.to_string()),
    }
}

/// A hash of everything besides a feed's bytes that shapes its articles:
/// the feed's settings, the tagger's actors and rules, the known topics.
fn settings_hash(feed: &Feed, ctx: &Context<'_>) -> u64 {
    let text = format!(
        "{:?}\u{0}{:016x}\u{0}{:?}",
        feed,
        ctx.tagger.fingerprint(),
        ctx.known_topics
    );
    super::identity::fnv1a(text.as_bytes())
}

/// Records one attempt in the store (this thread only) and reports it;
/// `put` is how the store took its items, when it was given any.
fn store_attempt<S>(
    store: &mut S,
    feed: &Feed,
    attempt: Attempt,
    put: Option<Result<(), String>>,
    elapsed: Duration,
    now: DateTime<Utc>,
) -> Report
where
    S: FeedLedger + ItemSink,
    <S as FeedLedger>::Error: Display,
    <S as ItemSink>::Error: Display,
{
    let mut report = Report {
        name: feed.name.clone(),
        url: feed.url.clone(),
        status: Status::Fetched,
        items: 0,
        elapsed,
        moved_to: None,
        hint: None,
    };
    let (record, put) = match attempt {
        Attempt::Items {
            items,
            validators,
            moved_to,
            hint,
        } => {
            report.items = items;
            report.hint = hint;
            report.moved_to.clone_from(&moved_to);
            let record = FetchRecord {
                at: now,
                outcome: Outcome::Fetched { items },
                validators,
                moved_to,
                retry_after: None,
            };
            // Items always come before their `Done`.
            let put = put.unwrap_or_else(|| Err("the items never reached the store".to_owned()));
            (record, Some(put))
        }
        Attempt::NotModified {
            validators,
            moved_to,
            hint,
        } => {
            report.status = Status::NotModified;
            report.hint = hint;
            report.moved_to.clone_from(&moved_to);
            let record = FetchRecord {
                at: now,
                outcome: Outcome::NotModified,
                validators,
                moved_to,
                retry_after: None,
            };
            (record, None)
        }
        Attempt::Failed {
            reason,
            retry_after,
        } => {
            report.status = Status::Failed(reason.clone());
            // The last good fetch's validators stay for the next attempt.
            let validators = store.validators(&feed.url).unwrap_or_default();
            let record = FetchRecord {
                at: now,
                outcome: Outcome::Failed { reason },
                validators,
                moved_to: None,
                retry_after,
            };
            (record, None)
        }
    };
    if let Some(Err(e)) = put {
        let reason = format!("the items could not be stored: {e}");
        report.status = Status::Failed(reason.clone());
        report.items = 0;
        // Not the new validators: the next fetch must bring the body again.
        let failed = FetchRecord {
            outcome: Outcome::Failed { reason },
            validators: store.validators(&feed.url).unwrap_or_default(),
            ..record
        };
        if let Err(e) = store.record(&feed.url, &failed) {
            report.status = Status::Failed(format!(
                "{}; nor the fetch recorded: {e}",
                status_reason(&report)
            ));
        }
        return report;
    }
    if let Err(e) = store.record(&feed.url, &record) {
        report.status = Status::Failed(format!("the fetch could not be recorded: {e}"));
    }
    report
}

fn status_reason(report: &Report) -> String {
    match &report.status {
        Status::Failed(r) => r.clone(),
        _ => String::new(),
    }
}
