//! The store's side of fetching, as the fetcher sees it: what it must send
//! back to the server (validators of the last fetch), what it records after
//! each attempt, and where the items go. The library store implements
//! [`FeedLedger`] and [`ItemSink`](super::article::ItemSink); tests use
//! [`MemoryLedger`]. This seam lets the HTTP side and the store side of
//! feeds be built and tested apart.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::article::{FetchedArticle, ItemSink};
use super::config::Feed;

/// What a server said about a body, to send back on the next request so
/// an unchanged feed costs a 304 and no parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// How one attempt at a feed ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A body was fetched and parsed; this many items were in it.
    Fetched { items: usize },
    /// The server said 304 Not Modified.
    NotModified,
    /// No items this time; the reason in one readable line (the items
    /// already stored stay).
    Failed { reason: String },
}

/// One attempt at one feed, as `feeds list` and the reader show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRecord {
    pub at: DateTime<Utc>,
    pub outcome: Outcome,
    /// Validators to send next time; on a 304 the previous ones, kept.
    pub validators: Validators,
    /// A permanent redirect was followed: the URL the config should say.
    pub moved_to: Option<String>,
    /// Not before this moment (Retry-After on a 429 or 503, or backoff).
    pub retry_after: Option<DateTime<Utc>>,
}

/// The store's record of fetches, keyed by the feed's configured URL.
pub trait FeedLedger {
    type Error;
    /// The validators of the last successful fetch, if any.
    fn validators(&self, feed_url: &str) -> Result<Validators, Self::Error>;
    /// The last attempt's record, if the feed was ever tried.
    fn last(&self, feed_url: &str) -> Result<Option<FetchRecord>, Self::Error>;
    /// Records an attempt (replacing the previous record of that feed).
    fn record(&mut self, feed_url: &str, record: &FetchRecord) -> Result<(), Self::Error>;
}

/// A ledger and item sink in memory: for tests and `--no-store` runs.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    pub records: HashMap<String, FetchRecord>,
    /// Items by feed URL, in the order they were put (latest put last).
    pub items: HashMap<String, Vec<FetchedArticle>>,
}

impl FeedLedger for MemoryLedger {
    type Error = std::convert::Infallible;

    fn validators(&self, feed_url: &str) -> Result<Validators, Self::Error> {
        Ok(self
            .records
            .get(feed_url)
            .map(|r| r.validators.clone())
            .unwrap_or_default())
    }

    fn last(&self, feed_url: &str) -> Result<Option<FetchRecord>, Self::Error> {
        Ok(self.records.get(feed_url).cloned())
    }

    fn record(&mut self, feed_url: &str, record: &FetchRecord) -> Result<(), Self::Error> {
        self.records.insert(feed_url.to_owned(), record.clone());
        Ok(())
    }
}

impl ItemSink for MemoryLedger {
    type Error = std::convert::Infallible;

    fn put(&mut self, feed: &Feed, items: Vec<FetchedArticle>) -> Result<(), Self::Error> {
        let kept = self.items.entry(feed.url.clone()).or_default();
        for item in items {
            match kept
                .iter_mut()
                .find(|k| k.identity.same_item(&item.identity))
            {
                Some(old) => *old = item,
                None => kept.push(item),
            }
        }
        Ok(())
    }
}
