//! Fetched feed items in the store, and the record of each feed's fetches:
//! the library store's side of `feeds::ledger::FeedLedger` and
//! `feeds::article::ItemSink`.
//!
//! Each item is stored as an article of its own `files` row (path
//! `FEED_URL#ARTICLE_ID`), so the reader, `list`, `show`, `serve` and
//! search read it like any other article; `feed_items` says which rows are
//! fetched items (a sync of the content folders leaves them alone) and
//! keeps what identifies them across fetches. One `put` is one
//! transaction: a process killed during it leaves the store as before or
//! as after.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::sync::{delete_contents, index_hash, search_texts, write_article_searched};
use super::{LibraryStore, StoreError};
use crate::content::Block;
use crate::content::parse::RawArticle;
use crate::feeds::article::{FetchedArticle, ItemSink, Prepared, day};
use crate::feeds::config::{Feed, Keep};
use crate::feeds::group::{Fingerprint, MAX_CANDIDATES, MAX_STORY, THRESHOLD, WINDOW_HOURS};
use crate::feeds::identity::Identity;
use crate::feeds::identity::{fnv1a, fnv1a_from};
use crate::feeds::ledger::{FeedLedger, FetchRecord, Outcome, Validators};
use crate::in_flight::InFlight;

/// Fetched items sort after every content file (their `files.ord`), so a
/// content file's article wins an id clash.
const FEED_ORD: i64 = 1 << 40;

/// The most items one `put` stores; a feed serving more has the rest
/// ignored (counted in [`PutReport::ignored`]). A 256 MiB file feed could
/// otherwise hold millions.
pub const MAX_PUT_ITEMS: usize = 100_000;

/// An update whose text (heading and body) is less similar than this to
/// what was stored is a substantial change: its read mark is dropped (when
/// [`FeedOptions::unread_on_change`]). The measure is the Dice coefficient
/// of the two texts' word trigrams (`feeds::group::Fingerprint`), so a
/// corrected typo, a changed date line or an added sentence in a long text
/// stay read, a rewritten story comes back unread.
pub const SUBSTANTIAL: f64 = 0.8;

/// How stored items are kept and updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedOptions {
    /// How long items that left a feed stay when the feed has no `keep`
    /// (`None`: for ever).
    pub keep: Option<Keep>,
    /// A substantially changed item loses its read mark.
    pub unread_on_change: bool,
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            keep: None,
            unread_on_change: true,
        }
    }
}

/// What one `put` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PutReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Items that left the feed and were purged (`keep`).
    pub purged: usize,
    /// Items beyond [`MAX_PUT_ITEMS`], not stored.
    pub ignored: usize,
    /// Items that are one the feed already gave in this put (the same
    /// guid, or the same link without one), not stored: the first is kept.
    pub duplicates: usize,
}

/// A feed as `feeds list` shows it from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedStatus {
    pub last: Option<FetchRecord>,
    /// Items stored for it.
    pub items: usize,
}

/// Shared between a fetch and the program it runs for: whether a put is
/// writing (holding the store's write lock, for seconds with a large
/// feed), and a way to stop it. A reader that quits meanwhile stops the
/// put (rolled back: the next fetch brings the items again) so that its
/// own last save gets the lock instead of timing out.
#[derive(Debug, Default)]
pub struct PutControl {
    stop: AtomicBool,
    writing: AtomicUsize,
    /// Items the put running now has taken so far.
    stored: AtomicUsize,
}

impl PutControl {
    /// Stops every put from now on at its next item.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Whether some put is writing now.
    pub fn is_writing(&self) -> bool {
        self.writing.load(Ordering::SeqCst) > 0
    }

    /// Items the put writing now has taken so far, for progress.
    pub fn stored(&self) -> usize {
        self.stored.load(Ordering::Relaxed)
    }

    /// Waits, `bound` at most, until no put writes (a stopped one has
    /// rolled back and recorded that it was stopped); whether none does.
    /// A stopped put ends at its next item, a few milliseconds.
    pub fn wait_idle(&self, bound: Duration) -> bool {
        let until = std::time::Instant::now() + bound;
        while self.is_writing() {
            if std::time::Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }
}

/// Why a put ended without storing its items.
pub(super) enum PutError {
    Sqlite(rusqlite::Error),
    /// Its [`PutControl`] was stopped.
    Stopped,
}

impl From<rusqlite::Error> for PutError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

/// The store as an item sink with options (`LibraryStore` itself is one
/// with the default options).
pub struct FeedSink<'s> {
    store: &'s mut LibraryStore,
    options: FeedOptions,
    now: Option<DateTime<Utc>>,
    last: PutReport,
    control: Arc<PutControl>,
    /// Keys of sections whose text a put rewrote substantially (their
    /// read marks dropped), for a running reader to drop its own too.
    rewritten: Vec<String>,
}

impl LibraryStore {
    /// This store as an item sink and ledger with `options`.
    pub fn feed_sink(&mut self, options: FeedOptions) -> FeedSink<'_> {
        FeedSink {
            store: self,
            options,
            now: None,
            last: PutReport::default(),
            control: Arc::default(),
            rewritten: Vec::new(),
        }
    }

    /// What the store knows of a feed: its last attempt and item count.
    pub fn feed_status(&self, feed_url: &str) -> Result<FeedStatus, StoreError> {
        let last = self.last(feed_url)?;
        let items: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM feed_items WHERE feed = ?1",
                [feed_url],
                |r| r.get(0),
            )
            .map_err(|e| self.error(e))?;
        Ok(FeedStatus {
            last,
            items: usize::try_from(items).unwrap_or(0),
        })
    }
}

impl FeedSink<'_> {
    /// Dates the put at `now` instead of the clock (tests of `keep`).
    #[must_use]
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// Puts tell `control` when they write and stop when it says so.
    #[must_use]
    pub fn controlled_by(mut self, control: Arc<PutControl>) -> Self {
        self.control = control;
        self
    }

    /// The keys of the sections the puts so far rewrote substantially
    /// (read marks dropped), taken.
    pub fn take_rewritten(&mut self) -> Vec<String> {
        std::mem::take(&mut self.rewritten)
    }

    /// What the last `put` did.
    pub fn last_put(&self) -> PutReport {
        self.last
    }
}

impl ItemSink for FeedSink<'_> {
    type Error = StoreError;

    fn put(&mut self, feed: &Feed, items: Vec<FetchedArticle>) -> Result<(), StoreError> {
        self.put_stream(feed, &mut items.into_iter())
    }

    fn put_stream(
        &mut self,
        feed: &Feed,
        items: &mut dyn Iterator<Item = FetchedArticle>,
    ) -> Result<(), StoreError> {
        let now = self.now.unwrap_or_else(Utc::now);
        let store = &mut *self.store;
        // Writing until a stopped put's record is written too: a reader
        // that quits waits for both.
        let _writing = InFlight::enter(&self.control.writing);
        match put(
            &mut store.conn,
            feed,
            items,
            self.options,
            now,
            &self.control,
            &mut self.rewritten,
        ) {
            Ok(report) => {
                self.last = report;
                Ok(())
            }
            Err(PutError::Stopped) => {
                let error = PutError::Stopped.into_store_error(&store.path);
                // Recorded as the fetch's ledger would record a failed put
                // (the fetch's own record is refused once stopped), so that
                // `feeds list` says when it was tried and why nothing came.
                let record = FetchRecord {
                    at: now,
                    outcome: Outcome::Failed {
                        reason: format!("the items could not be stored: {error}"),
                    },
                    validators: Validators::default(),
                    moved_to: None,
                    retry_after: None,
                };
                // Not waiting for another program's writer (only the busy
                // timeout): the program is ending.
                // Unwritten (the store busy or failing), the stop is still
                // what is reported: the fetch adds "nor the fetch recorded".
                let _ = Transaction::new_unchecked(&store.conn, TransactionBehavior::Immediate)
                    .and_then(|tx| write_record(tx, &feed.url, &record));
                Err(error)
            }
            Err(e) => Err(e.into_store_error(&store.path)),
        }
    }

    fn prepare(items: &mut [FetchedArticle]) {
        prepare(items);
    }
}

impl ItemSink for LibraryStore {
    type Error = StoreError;

    fn put(&mut self, feed: &Feed, items: Vec<FetchedArticle>) -> Result<(), StoreError> {
        self.feed_sink(FeedOptions::default()).put(feed, items)
    }

    fn put_stream(
        &mut self,
        feed: &Feed,
        items: &mut dyn Iterator<Item = FetchedArticle>,
    ) -> Result<(), StoreError> {
        self.feed_sink(FeedOptions::default())
            .put_stream(feed, items)
    }

    fn prepare(items: &mut [FetchedArticle]) {
        prepare(items);
    }
}

impl FeedLedger for FeedSink<'_> {
    type Error = StoreError;

    fn validators(&self, feed_url: &str) -> Result<Validators, StoreError> {
        self.store.validators(feed_url)
    }

    fn last(&self, feed_url: &str) -> Result<Option<FetchRecord>, StoreError> {
        self.store.last(feed_url)
    }

    /// Waits for another program's writer as a put does.
    fn record(&mut self, feed_url: &str, record: &FetchRecord) -> Result<(), StoreError> {
        let store = &*self.store;
        let tx = begin_waiting(&store.conn, Some(&self.control))
            .map_err(|e| e.into_store_error(&store.path))?;
        write_record(tx, feed_url, record).map_err(|source| store.error(source))
    }
}

impl PutError {
    pub(super) fn into_store_error(self, path: &std::path::Path) -> StoreError {
        match self {
            PutError::Sqlite(source) => StoreError::Sqlite {
                path: path.to_path_buf(),
                source,
            },
            PutError::Stopped => StoreError::Stopped {
                path: path.to_path_buf(),
            },
        }
    }
}

impl FeedLedger for LibraryStore {
    type Error = StoreError;

    fn validators(&self, feed_url: &str) -> Result<Validators, StoreError> {
        self.conn
            .query_row(
                "SELECT etag, last_modified FROM feeds WHERE url = ?1",
                [feed_url],
                |r| {
                    Ok(Validators {
                        etag: r.get(0)?,
                        last_modified: r.get(1)?,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| self.error(e))
    }

    fn last(&self, feed_url: &str) -> Result<Option<FetchRecord>, StoreError> {
        self.conn
            .query_row(
                "SELECT at, outcome, items, reason, etag, last_modified, moved_to, retry_after
                 FROM feeds WHERE url = ?1 AND at IS NOT NULL",
                [feed_url],
                |r| {
                    let outcome: String = r.get(1)?;
                    let items: Option<i64> = r.get(2)?;
                    let reason: Option<String> = r.get(3)?;
                    Ok(FetchRecord {
                        at: time(r, 0)?.unwrap_or_default(),
                        outcome: match outcome.as_str() {
                            "fetched" => Outcome::Fetched {
                                items: items.and_then(|n| usize::try_from(n).ok()).unwrap_or(0),
                            },
                            "not_modified" => Outcome::NotModified,
                            _ => Outcome::Failed {
                                reason: reason.unwrap_or_default(),
                            },
                        },
                        validators: Validators {
                            etag: r.get(4)?,
                            last_modified: r.get(5)?,
                        },
                        moved_to: r.get(6)?,
                        retry_after: time(r, 7)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// A failed attempt keeps the validators of the last good one.
    fn record(&mut self, feed_url: &str, record: &FetchRecord) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
        write_record(tx, feed_url, record).map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }
}

/// Writes `record` in `tx` and commits it.
fn write_record(tx: Transaction<'_>, feed_url: &str, record: &FetchRecord) -> rusqlite::Result<()> {
    let (outcome, items, reason) = match &record.outcome {
        Outcome::Fetched { items } => ("fetched", i64::try_from(*items).ok(), None),
        Outcome::NotModified => ("not_modified", None, None),
        Outcome::Failed { reason } => ("failed", None, Some(reason.as_str())),
    };
    let failed = matches!(record.outcome, Outcome::Failed { .. });
    tx.execute(
        "INSERT INTO feeds (url, name) VALUES (?1, ?1) ON CONFLICT (url) DO NOTHING",
        [feed_url],
    )?;
    tx.execute(
        "UPDATE feeds SET at = ?2, outcome = ?3, items = ?4, reason = ?5, moved_to = ?6,
                        retry_after = ?7
                 WHERE url = ?1",
        params![
            feed_url,
            stamp(record.at),
            outcome,
            items,
            reason,
            record.moved_to,
            record.retry_after.map(stamp)
        ],
    )?;
    if !failed {
        tx.execute(
            "UPDATE feeds SET etag = ?2, last_modified = ?3 WHERE url = ?1",
            params![
                feed_url,
                record.validators.etag,
                record.validators.last_modified
            ],
        )?;
    }
    tx.commit()
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn time(r: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let text: Option<String> = r.get(column)?;
    text.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    column,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
    })
    .transpose()
}

/// An item as stored.
struct Stored {
    file_id: i64,
    id: String,
    lang: String,
    heading: String,
    path: String,
    hash: i64,
    first_seen: i64,
    /// The put that last carried it.
    last_put: i64,
}

fn put(
    conn: &mut rusqlite::Connection,
    feed: &Feed,
    items: &mut dyn Iterator<Item = FetchedArticle>,
    options: FeedOptions,
    now: DateTime<Utc>,
    control: &PutControl,
    rewritten: &mut Vec<String>,
) -> Result<PutReport, PutError> {
    // A put runs about thirty statements per item: with the default room
    // for sixteen, the cache would prepare them again and again.
    conn.set_prepared_statement_cache_capacity(64);
    let _writing = InFlight::enter(&control.writing);
    control.stored.store(0, Ordering::Relaxed);
    let tx = begin_waiting(conn, Some(control))?;
    let mut report = PutReport::default();
    tx.execute(
        "INSERT INTO feeds (url, name) VALUES (?1, ?2)
         ON CONFLICT (url) DO UPDATE SET name = excluded.name",
        params![feed.url, feed.name],
    )?;
    let put_no: i64 = tx.query_row(
        "UPDATE feeds SET puts = puts + 1 WHERE url = ?1 RETURNING puts",
        [&feed.url],
        |r| r.get(0),
    )?;
    let mut next_ord: i64 = tx.query_row(
        "SELECT max(coalesce(max(ord), 0), ?1) + 1 FROM files",
        [FEED_ORD],
        |r| r.get(0),
    )?;
    let seconds = now.timestamp();
    // Stories join outlets: with no other feed stored there is nothing to
    // compare with, and a 50,000-item first fetch costs no grouping.
    let others: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM feed_items WHERE feed <> ?1)",
        [&feed.url],
        |r| r.get(0),
    )?;
    // A feed's first put has no earlier items to find by link.
    let earlier: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM feed_items WHERE feed = ?1)",
        [&feed.url],
        |r| r.get(0),
    )?;
    // Readers `serve` remembers by their key have marks of their own.
    let remembered: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM reader_marks)", [], |r| {
        r.get(0)
    })?;
    let mut prints: HashMap<i64, Fingerprint> = HashMap::new();
    let mut taken = 0usize;
    for item in items {
        // Dropped, the transaction rolls back: the store as before.
        if control.stopped() {
            return Err(PutError::Stopped);
        }
        control.stored.fetch_add(1, Ordering::Relaxed);
        if taken == MAX_PUT_ITEMS {
            report.ignored += 1;
            continue;
        }
        taken += 1;
        let found = find(&tx, &feed.url, &item.identity, put_no, earlier)?;
        if found.as_ref().is_some_and(|s| s.last_put == put_no) {
            // The feed gave this item already in this document.
            report.duplicates += 1;
            continue;
        }
        let first_seen = found.as_ref().map_or(seconds, |s| s.first_seen);
        let (article, identity, at, prepared) = finished(item, first_seen);
        let hash = prepared.hash;
        let item = Item {
            identity: &identity,
            search: &prepared.search,
        };
        match found {
            Some(old) if old.hash == hash => {
                tx.prepare_cached(
                    "UPDATE feed_items SET key = ?2, guid = ?3, link = ?4, last_seen = ?5,
                            last_put = ?6
                     WHERE file_id = ?1",
                )?
                .execute(params![
                    old.file_id,
                    identity.key,
                    identity.guid,
                    identity.link,
                    seconds,
                    put_no
                ])?;
                report.unchanged += 1;
            }
            Some(old) => {
                let rewrote = update(
                    &tx, &old, article, &item, at, hash, seconds, put_no, options, remembered,
                )?;
                rewritten.extend(rewrote);
                report.updated += 1;
            }
            None => {
                let title = others.then(|| article.title.clone());
                let file_id = insert(
                    &tx, feed, article, &item, at, hash, seconds, put_no, next_ord,
                )?;
                next_ord += 1;
                report.added += 1;
                if let Some(title) = title {
                    join_story(&tx, &feed.url, file_id, &identity, &title, at, &mut prints)?;
                }
            }
        }
    }
    report.purged = purge(&tx, feed, options, put_no, seconds)?;
    tx.commit()?;
    Ok(report)
}

/// How long a put waits for another writer (another program's put of a
/// large feed: a reader's `r` beside `serve` or a `fetch` from cron).
const WRITER_WAIT: Duration = Duration::from_secs(300);

/// Begins a put's transaction, waiting for another writer as long as
/// `WRITER_WAIT` (the busy timeout alone, 10 s, is shorter than a large
/// feed's put) and stopping meanwhile when `control` says so.
pub(super) fn begin_waiting<'c>(
    conn: &'c rusqlite::Connection,
    control: Option<&PutControl>,
) -> Result<Transaction<'c>, PutError> {
    let until = std::time::Instant::now() + WRITER_WAIT;
    // Short tries, so that a stop is heard within a fraction of a second.
    conn.busy_timeout(Duration::from_millis(200))?;
    let begun = loop {
        if control.is_some_and(PutControl::stopped) {
            break Err(PutError::Stopped);
        }
        match Transaction::new_unchecked(conn, TransactionBehavior::Immediate) {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < until => {}
            other => break other.map_err(PutError::Sqlite),
        }
    };
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    begun
}

/// The stored item that `item` is (by key, else guid, else canonical
/// link). The link finds only an item of an earlier put: a feed that
/// changed an item's guid keeps its link, while two items of one document
/// with their own guids are two items even when their links differ only
/// in what the canonical form drops (a fragment: `/a/0#s0`, `/a/0#s1`).
/// Without a guid, the fragment is part of the key (a live blog's
/// `#post-1`, `#post-2`): such an item is found by link only under the key
/// it had before (`Identity::key_without_fragment`), and an item without
/// guid or fragment never takes over one keyed with a fragment.
/// `earlier`: the feed has items from earlier puts (else none is looked
/// for by link).
fn find(
    tx: &Transaction<'_>,
    feed: &str,
    identity: &Identity,
    put_no: i64,
    earlier: bool,
) -> rusqlite::Result<Option<Stored>> {
    let mut file_id: Option<i64> = tx
        .prepare_cached("SELECT file_id FROM feed_items WHERE feed = ?1 AND key = ?2")?
        .query_row(params![feed, identity.key], |r| r.get(0))
        .optional()?;
    // An item with a guid is keyed by it (`guid:...`), and so is every
    // stored item with that guid: the key lookup found it, if any.
    if file_id.is_none()
        && let Some(guid) = &identity.guid
        && identity.key.strip_prefix("guid:") != Some(guid.as_str())
    {
        file_id = tx
            .prepare_cached("SELECT file_id FROM feed_items WHERE feed = ?1 AND guid = ?2")?
            .query_row(params![feed, guid], |r| r.get(0))
            .optional()?;
    }
    if file_id.is_none()
        && earlier
        && let Some(old_key) = identity.key_without_fragment()
    {
        file_id = tx
            .prepare_cached(
                "SELECT file_id FROM feed_items WHERE feed = ?1 AND key = ?2 AND last_put < ?3",
            )?
            .query_row(params![feed, old_key, put_no], |r| r.get(0))
            .optional()?;
    } else if file_id.is_none()
        && earlier
        && let Some(link) = &identity.link
    {
        // A key `link:...#...` is an item without guid that had a
        // fragment: another item than one without guid or fragment.
        let sql = if identity.guid.is_none() {
            "SELECT file_id FROM feed_items WHERE link = ?2 AND feed = ?1 AND last_put < ?3
             AND NOT (key LIKE 'link:%' AND instr(key, '#') > 0)"
        } else {
            "SELECT file_id FROM feed_items WHERE link = ?2 AND feed = ?1 AND last_put < ?3"
        };
        file_id = tx
            .prepare_cached(sql)?
            .query_row(params![feed, link, put_no], |r| r.get(0))
            .optional()?;
    }
    let Some(file_id) = file_id else {
        return Ok(None);
    };
    tx.prepare_cached(
        "SELECT a.id, a.lang, s.heading, f.path, i.hash, i.first_seen, i.last_put
         FROM feed_items i
         JOIN files f ON f.id = i.file_id
         JOIN articles a ON a.file_id = i.file_id
         JOIN sections s ON s.file_id = i.file_id AND s.idx = 0
         WHERE i.file_id = ?1",
    )?
    .query_row([file_id], |r| {
        Ok(Stored {
            file_id,
            id: r.get(0)?,
            lang: r.get(1)?,
            heading: r.get(2)?,
            path: r.get(3)?,
            hash: r.get(4)?,
            first_seen: r.get(5)?,
            last_put: r.get(6)?,
        })
    })
    .optional()
}

/// An item as stored: its article, identity, moment (Unix seconds) and
/// hash and searchable text, prepared ahead or now (`first_seen`: when
/// the store first saw it, for an undated item).
fn finished(item: FetchedArticle, first_seen: i64) -> (RawArticle, Identity, i64, Prepared) {
    let FetchedArticle {
        mut article,
        identity,
        why,
        at,
        first_seen: undated,
        prepared,
    } = item;
    if let Some(p) = prepared {
        return (article, identity, at.timestamp(), p);
    }
    let at = finish(&mut article, &why, at, undated, first_seen);
    let prepared = prepared_of(&article);
    (article, identity, at, prepared)
}

/// An item's parts that a put reads besides its article.
struct Item<'a> {
    identity: &'a Identity,
    /// Per section: searchable text and terms ([`search_texts`]).
    search: &'a [(String, String)],
}

/// What a put can work out from the items alone, ahead, on the thread that
/// made them: the stored article, its hash and its searchable text, for
/// each item the feed dates (an undated one says when it was first seen,
/// which only the store knows).
fn prepare(items: &mut [FetchedArticle]) {
    for item in items {
        if item.first_seen || item.prepared.is_some() {
            continue;
        }
        finish(&mut item.article, &item.why, item.at, false, 0);
        item.prepared = Some(prepared_of(&item.article));
    }
}

/// The hash and searchable texts of an article as stored.
fn prepared_of(article: &RawArticle) -> Prepared {
    Prepared {
        hash: content_hash(article),
        search: article
            .sections
            .iter()
            .map(|s| search_texts(article, s))
            .collect(),
    }
}

/// Makes `article` as stored: an undated item (`undated`) keeps the date
/// it was first seen (`first_seen`), and the section ends with why it
/// carries its actors (`why`) and, when undated, that its date is when it
/// was first seen. Returns its moment (Unix seconds).
fn finish(
    article: &mut RawArticle,
    why: &[crate::feeds::tag::Why],
    item_at: DateTime<Utc>,
    undated: bool,
    first_seen: i64,
) -> i64 {
    let mut at = item_at.timestamp();
    let mut notes = Vec::new();
    if !why.is_empty() {
        let why: Vec<String> = why.iter().map(ToString::to_string).collect();
        notes.push(format!("Tagged: {}.", why.join("; ")));
    }
    if undated {
        at = first_seen;
        let seen = DateTime::from_timestamp(first_seen, 0).unwrap_or(item_at);
        if let Some(date) = day(seen) {
            article.published = date;
            for s in &mut article.sections {
                s.date = Some(date);
            }
        }
        notes.push(format!(
            "Undated in the feed: dated when first seen, {}.",
            seen.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if let Some(section) = article.sections.first_mut() {
        section.body.extend(notes.into_iter().map(Block::Paragraph));
    }
    at
}

/// A hash of everything stored of an article but its id and path, so an
/// item fetched again unchanged costs one small update.
fn content_hash(a: &RawArticle) -> i64 {
    // The debug text hashed as it is written, never held whole.
    struct Fnv(u64);
    impl std::fmt::Write for Fnv {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 = fnv1a_from(self.0, s.as_bytes());
            Ok(())
        }
    }
    let mut hash = Fnv(fnv1a(b""));
    let _ = std::fmt::Write::write_fmt(
        &mut hash,
        format_args!(
            "{:?}",
            (
                &a.lang,
                &a.title,
                &a.published,
                &a.source,
                &a.url,
                &a.summary,
                &a.topics,
                &a.actors,
                &a.sections
            )
        ),
    );
    hash.0.cast_signed()
}

#[allow(clippy::too_many_arguments)] // one row's columns
fn insert(
    tx: &Transaction<'_>,
    feed: &Feed,
    mut article: RawArticle,
    item: &Item<'_>,
    at: i64,
    hash: i64,
    seconds: i64,
    put_no: i64,
    ord: i64,
) -> rusqlite::Result<i64> {
    // The id is a 64-bit hash of the identity: a feed crafting a collision
    // gets a suffixed id rather than a failed put.
    // One statement finds the clash and inserts: no lookup first.
    let base = article.id.clone();
    let mut n = 1;
    let mut path = format!("{}#{}", feed.url, article.id);
    while tx
        .prepare_cached(
            "INSERT INTO files (path, ord, size, mtime_ns, hash, loaded)
             VALUES (?1, ?2, NULL, NULL, NULL, 1) ON CONFLICT (path) DO NOTHING",
        )?
        .execute(params![path, ord])?
        == 0
    {
        if n >= 1_000 {
            // Fails on the clash, as it should.
            tx.prepare_cached(
                "INSERT INTO files (path, ord, size, mtime_ns, hash, loaded) VALUES (?1, ?2, NULL, NULL, NULL, 1)",
            )?
            .execute(params![path, ord])?;
        }
        n += 1;
        article.id = format!("{base}-{n}");
        path = format!("{}#{}", feed.url, article.id);
    }
    article.path.clone_from(&path);
    let file_id = tx.last_insert_rowid();
    write_article_searched(tx, file_id, &article, Some(item.search))?;
    set_index_hash(tx, file_id, &article)?;
    tx.prepare_cached(
        "INSERT INTO feed_items
         (file_id, feed, key, guid, link, title, at, first_seen, last_seen, last_put, hash, story)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?1)",
    )?
    .execute(params![
        file_id,
        feed.url,
        item.identity.key,
        item.identity.guid,
        item.identity.link,
        article.title,
        at,
        seconds,
        put_no,
        hash
    ])?;
    Ok(file_id)
}

/// Puts a new item into the story of the items of other feeds it tells:
/// the same canonical link, or a title at least `group::THRESHOLD` similar
/// within `group::WINDOW_HOURS` (at most `group::MAX_CANDIDATES` compared,
/// the nearest in time). The item joins one story, the best match (a
/// shared link first, then the most similar title, then the nearest in
/// time) that still has room for it: no item of its feed yet (one outlet's
/// two items are not two sources), all its items within
/// `group::WINDOW_HOURS` of each other with this one, and fewer than
/// `group::MAX_STORY` items. Stories are never merged, so a story cannot
/// chain from one day's news to the next. The story's number stays its
/// first item's `file_id`. Only new items are grouped: an update keeps its
/// story.
fn join_story(
    tx: &Transaction<'_>,
    feed: &str,
    file_id: i64,
    identity: &Identity,
    title: &str,
    at: i64,
    prints: &mut HashMap<i64, Fingerprint>,
) -> rusqlite::Result<()> {
    // Each candidate story with its best match: (shared link, similarity,
    // closeness in time).
    let mut best: HashMap<i64, (bool, f64, i64)> = HashMap::new();
    let mut offer = |story: i64, score: (bool, f64, i64)| {
        let slot = best.entry(story).or_insert(score);
        if better(score, *slot) {
            *slot = score;
        }
    };
    if let Some(link) = &identity.link {
        let mut stmt = tx.prepare_cached(
            "SELECT story, at FROM feed_items WHERE link = ?1 AND feed <> ?2 LIMIT ?3",
        )?;
        let limit = i64::try_from(MAX_CANDIDATES).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![link, feed, limit])?;
        while let Some(r) = rows.next()? {
            let other_at: i64 = r.get(1)?;
            offer(r.get(0)?, (true, 1.0, -(other_at - at).abs()));
        }
    }
    let print = Fingerprint::of(title);
    let window = WINDOW_HOURS * 3600;
    let half = i64::try_from(MAX_CANDIDATES / 2).unwrap_or(1_000);
    for sql in [
        "SELECT file_id, title, story, feed, at FROM feed_items
         WHERE at BETWEEN ?1 - ?2 AND ?1 ORDER BY at DESC LIMIT ?3",
        "SELECT file_id, title, story, feed, at FROM feed_items
         WHERE at > ?1 AND at <= ?1 + ?2 ORDER BY at LIMIT ?3",
    ] {
        let mut stmt = tx.prepare_cached(sql)?;
        let mut rows = stmt.query(params![at, window, half])?;
        while let Some(r) = rows.next()? {
            let (other, other_feed): (i64, String) = (r.get(0)?, r.get(3)?);
            if other == file_id || other_feed == feed {
                continue;
            }
            let other_print = match prints.entry(other) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let title: String = r.get(1)?;
                    e.insert(Fingerprint::of(&title))
                }
            };
            let similarity = other_print.similarity(&print);
            if similarity >= THRESHOLD {
                let other_at: i64 = r.get(4)?;
                offer(r.get(2)?, (false, similarity, -(other_at - at).abs()));
            }
        }
    }
    let mut ranked: Vec<(i64, (bool, f64, i64))> = best.into_iter().collect();
    // Best first; equal matches by story number, so the choice is stable.
    ranked.sort_by(|a, b| {
        if better(a.1, b.1) {
            std::cmp::Ordering::Less
        } else if better(b.1, a.1) {
            std::cmp::Ordering::Greater
        } else {
            a.0.cmp(&b.0)
        }
    });
    let mut room = tx.prepare_cached(
        "SELECT min(at), max(at), count(*), count(*) FILTER (WHERE feed = ?2)
         FROM feed_items WHERE story = ?1 AND file_id <> ?3",
    )?;
    for (story, _) in ranked {
        let (first, last, items, of_feed): (Option<i64>, Option<i64>, i64, i64) = room
            .query_row(params![story, feed, file_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
        let (Some(first), Some(last)) = (first, last) else {
            continue;
        };
        let fits = of_feed == 0
            && last.max(at) - first.min(at) <= window
            && usize::try_from(items).is_ok_and(|n| n < MAX_STORY);
        if fits {
            tx.prepare_cached("UPDATE feed_items SET story = ?1 WHERE file_id = ?2")?
                .execute(params![story, file_id])?;
            return Ok(());
        }
    }
    Ok(())
}

/// Whether one candidate match is better than another: a shared link beats
/// a similar title, a more similar title a less similar one, and then the
/// nearer in time.
fn better(a: (bool, f64, i64), b: (bool, f64, i64)) -> bool {
    match a.0.cmp(&b.0) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => match a.1.partial_cmp(&b.1) {
            Some(std::cmp::Ordering::Greater) => true,
            Some(std::cmp::Ordering::Less) => false,
            _ => a.2 > b.2,
        },
    }
}

/// The sources (every feed the store knows) and stories of `library`'s
/// fetched sections.
pub(super) fn attach(
    conn: &rusqlite::Connection,
    library: &mut crate::content::Library,
) -> rusqlite::Result<()> {
    use crate::content::fetched::{Fetched, Source};
    let tx = conn.unchecked_transaction()?;
    let sources: Vec<Source> = tx
        .prepare("SELECT url, name, outcome, reason FROM feeds ORDER BY name COLLATE NOCASE, url")?
        .query_map([], |r| {
            let outcome: Option<String> = r.get(2)?;
            let reason: Option<String> = r.get(3)?;
            Ok(Source {
                url: r.get(0)?,
                name: r.get(1)?,
                failing: (outcome.as_deref() == Some("failed")).then(|| reason.unwrap_or_default()),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let index: HashMap<&str, usize> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (s.url.as_str(), i))
        .collect();
    let mut items: HashMap<String, (String, i64, i64)> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT f.path, i.feed, i.story, i.at FROM feed_items i JOIN files f ON f.id = i.file_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            items.insert(r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?));
        }
    }
    drop(tx);
    let mut source_of = HashMap::new();
    let mut stories: HashMap<i64, Vec<usize>> = HashMap::new();
    // Each fetched section's time: items of one day are listed by it.
    let mut time = vec![None; library.sections.len()];
    for article in &library.articles {
        let Some((feed, story, at)) = items.get(&article.path) else {
            continue;
        };
        for s in article.sections.clone() {
            if let Some(&i) = index.get(feed.as_str()) {
                source_of.insert(s, i);
            }
            if let Some(t) = time.get_mut(s) {
                *t = Some(*at);
            }
            stories.entry(*story).or_default().push(s);
        }
    }
    library.order_by_time(&time);
    let fetched = Fetched::new(
        sources,
        source_of,
        stories.into_values(),
        &library.timeline_rank,
    );
    library.fetched = fetched;
    Ok(())
}

/// Rewrites a changed item in place: same row, same article id (so its
/// read mark, star and "seen" follow it even when its guid changed), its
/// marks moved to the new heading; the read mark dropped when the text
/// changed substantially (then its key is returned).
#[allow(clippy::too_many_arguments)] // one row's columns
fn update(
    tx: &Transaction<'_>,
    old: &Stored,
    mut article: RawArticle,
    item: &Item<'_>,
    at: i64,
    hash: i64,
    seconds: i64,
    put_no: i64,
    options: FeedOptions,
    remembered: bool,
) -> rusqlite::Result<Option<String>> {
    let substantial = options.unread_on_change && {
        let before: Vec<String> = tx
            .prepare_cached("SELECT text FROM blocks WHERE file_id = ?1 AND section = 0")?
            .query_map([old.file_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let after = article.sections.first().map(|s| {
            std::iter::once(s.heading.as_str())
                .chain(s.body.iter().map(Block::text))
                .collect::<Vec<_>>()
                .join(" ")
        });
        let before = format!("{} {}", old.heading, before.join(" "));
        Fingerprint::of(&before).similarity(&Fingerprint::of(&after.unwrap_or_default()))
            < SUBSTANTIAL
    };
    article.id.clone_from(&old.id);
    article.path.clone_from(&old.path);
    let old_key = format!("{}|{}|{}", old.id, old.lang, old.heading);
    let new_key = article.sections.first().map_or_else(String::new, |s| {
        format!("{}|{}|{}", article.id, article.lang, s.heading)
    });
    // The local reader's marks, and (when the store keeps any) those of
    // the readers `serve` remembers by their key and what they were shown.
    let tables: &[&str] = if remembered {
        &[
            "read_marks",
            "stars",
            "known_sections",
            "reader_marks",
            "section_seen",
        ]
    } else {
        &["read_marks", "stars", "known_sections"]
    };
    if old_key != new_key {
        for table in tables {
            tx.prepare_cached(&format!(
                "UPDATE OR IGNORE {table} SET key = ?2 WHERE key = ?1"
            ))?
            .execute(params![old_key, new_key])?;
            tx.prepare_cached(&format!("DELETE FROM {table} WHERE key = ?1"))?
                .execute([&old_key])?;
        }
    }
    if substantial {
        tx.prepare_cached("DELETE FROM read_marks WHERE key = ?1")?
            .execute([&new_key])?;
        if remembered {
            tx.prepare_cached("DELETE FROM reader_marks WHERE kind = 'read' AND key = ?1")?
                .execute([&new_key])?;
        }
    }
    delete_contents(tx, old.file_id)?;
    write_article_searched(tx, old.file_id, &article, Some(item.search))?;
    set_index_hash(tx, old.file_id, &article)?;
    tx.prepare_cached(
        "UPDATE feed_items SET key = ?2, guid = ?3, link = ?4, title = ?5, at = ?6,
                last_seen = ?7, last_put = ?8, hash = ?9
         WHERE file_id = ?1",
    )?
    .execute(params![
        old.file_id,
        item.identity.key,
        item.identity.guid,
        item.identity.link,
        article.title,
        at,
        seconds,
        put_no,
        hash
    ])?;
    Ok(substantial.then_some(new_key))
}

/// Removes the items that left the feed beyond its `keep` (else the
/// global one): by age since they were last in the feed, or beyond a
/// number of items (those still in the feed count first and always stay).
/// Starred items (by the local reader or a remembered one) are never
/// purged.
fn purge(
    tx: &Transaction<'_>,
    feed: &Feed,
    options: FeedOptions,
    put_no: i64,
    now: i64,
) -> rusqlite::Result<usize> {
    let Some(keep) = feed.keep.or(options.keep) else {
        return Ok(0);
    };
    let left: Vec<(i64, i64)> = tx
        .prepare(
            "SELECT i.file_id, i.last_seen FROM feed_items i
             JOIN articles a ON a.file_id = i.file_id
             JOIN sections s ON s.file_id = i.file_id AND s.idx = 0
             WHERE i.feed = ?1 AND i.last_put < ?2
               AND NOT EXISTS (SELECT 1 FROM stars
                               WHERE key = a.id || '|' || a.lang || '|' || s.heading)
               AND a.id || '|' || a.lang || '|' || s.heading NOT IN
                   (SELECT key FROM reader_marks WHERE kind = 'star')
             ORDER BY i.at DESC, i.file_id DESC",
        )?
        .query_map(params![feed.url, put_no], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let doomed: Vec<i64> = match keep {
        Keep::Age(age) => {
            let limit = now.saturating_sub(i64::try_from(age.as_secs()).unwrap_or(i64::MAX));
            left.iter()
                .filter(|(_, last_seen)| *last_seen < limit)
                .map(|(id, _)| *id)
                .collect()
        }
        Keep::Items(n) => {
            let present: i64 = tx.query_row(
                "SELECT count(*) FROM feed_items WHERE feed = ?1 AND last_put = ?2",
                params![feed.url, put_no],
                |r| r.get(0),
            )?;
            let room = usize::try_from(n)
                .unwrap_or(usize::MAX)
                .saturating_sub(usize::try_from(present).unwrap_or(0));
            left.iter().skip(room).map(|(id, _)| *id).collect()
        }
    };
    for file_id in &doomed {
        delete_contents(tx, *file_id)?;
        tx.execute("DELETE FROM files WHERE id = ?1", [file_id])?;
        tx.execute("DELETE FROM feed_items WHERE file_id = ?1", [file_id])?;
    }
    Ok(doomed.len())
}

/// Keeps the hash of what a fetched item's article gives the library (as a
/// content file's row keeps it): a store holding fetched items then has its
/// index image too, where one row without it made every start read the
/// rows again (1.2 s at 50,000 items).
fn set_index_hash(
    tx: &Transaction<'_>,
    file_id: i64,
    article: &RawArticle,
) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE files SET index_hash = ?1 WHERE id = ?2")?
        .execute(params![index_hash(Some(article), &[]), file_id])?;
    Ok(())
}
