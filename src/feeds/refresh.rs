//! Fetching every subscribed feed into the library store from inside a
//! running program (the reader's `r`, `serve`'s schedule), as opposed to
//! the `fetch` command: no output of its own, progress through a
//! callback, and the library read back when anything came, for the
//! caller to show.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use super::article::{FetchedArticle, ItemSink};
use super::config::Feed;
use super::fetch::known_topics;
use super::ledger::{FeedLedger, FetchRecord, Validators};
use super::run::{self, Context, Options, Progress, Report, Status};
use super::tag::Tagger;
use crate::config::Config;
use crate::content::Library;
use crate::library_store::feeds::{FeedOptions, FeedSink};
use crate::library_store::{LibraryStore, StoreError};

/// What a run came to.
#[derive(Debug)]
pub struct Refreshed {
    /// One per feed, in the order given.
    pub reports: Vec<Report>,
    /// New items per feed URL.
    pub added: HashMap<String, usize>,
    /// The library as now stored, when some feed was fetched (new or
    /// changed items); `None` when nothing could have changed.
    pub library: Option<Library>,
}

impl Refreshed {
    /// New items in all.
    pub fn new_items(&self) -> usize {
        self.added.values().sum()
    }
}

/// Fetches `feeds` into the store at `path`, calling `on_progress` for
/// each step with the new items of a finished feed (when known).
pub fn fetch_all(
    path: &Path,
    config: &Config,
    feeds: &[Feed],
    on_progress: &mut dyn FnMut(&Progress, Option<usize>),
) -> Result<Refreshed, StoreError> {
    let mut store = LibraryStore::open(path)?.store;
    let tagger = Tagger::from_config(config);
    let topics = known_topics(config);
    let ctx = Context {
        tagger: &tagger,
        known_topics: &topics,
    };
    let added = Rc::new(RefCell::new(HashMap::new()));
    let mut sink = Counting {
        inner: store.feed_sink(FeedOptions::default()),
        added: Rc::clone(&added),
    };
    let reports = run::run(feeds, &mut sink, &ctx, &Options::default(), &mut |p| {
        let new = match p {
            Progress::Done { report, .. } => added.borrow().get(&report.url).copied(),
            _ => None,
        };
        on_progress(p, new);
    });
    drop(sink);
    let added = added.borrow().clone();
    let changed = reports.iter().any(|r| r.status == Status::Fetched);
    let library = if changed {
        Some(store.load_library(&config.actor_directory())?)
    } else {
        None
    };
    Ok(Refreshed {
        reports,
        added,
        library,
    })
}

/// The store's sink, noting how many items each put added.
struct Counting<'a> {
    inner: FeedSink<'a>,
    added: Rc<RefCell<HashMap<String, usize>>>,
}

impl ItemSink for Counting<'_> {
    type Error = StoreError;

    fn put(&mut self, feed: &Feed, items: Vec<FetchedArticle>) -> Result<(), StoreError> {
        self.put_stream(feed, &mut items.into_iter())
    }

    fn put_stream(
        &mut self,
        feed: &Feed,
        items: &mut dyn Iterator<Item = FetchedArticle>,
    ) -> Result<(), StoreError> {
        self.inner.put_stream(feed, items)?;
        self.added
            .borrow_mut()
            .insert(feed.url.clone(), self.inner.last_put().added);
        Ok(())
    }
}

impl FeedLedger for Counting<'_> {
    type Error = StoreError;

    fn validators(&self, feed_url: &str) -> Result<Validators, StoreError> {
        self.inner.validators(feed_url)
    }

    fn last(&self, feed_url: &str) -> Result<Option<FetchRecord>, StoreError> {
        self.inner.last(feed_url)
    }

    fn record(&mut self, feed_url: &str, record: &FetchRecord) -> Result<(), StoreError> {
        self.inner.record(feed_url, record)
    }
}
