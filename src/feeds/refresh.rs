//! Fetching every subscribed feed into the library store from inside a
//! running program (the reader's `r`, `serve`'s schedule), as opposed to
//! the `fetch` command: no output of its own, progress through a
//! callback, and the library read back when anything came, for the
//! caller to show.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use super::article::{FetchedArticle, ItemSink};
use super::config::Feed;
use super::fetch::known_topics;
use super::ledger::{FeedLedger, FetchRecord, Validators};
use super::run::{self, Context, Options, Progress, Report};
use super::tag::Tagger;
use crate::config::Config;
use crate::content::Library;
use crate::library_store::feeds::{FeedOptions, FeedSink, PutControl};
use crate::library_store::{LibraryStore, StoreError};

/// What a run came to.
#[derive(Debug)]
pub struct Refreshed {
    /// One per feed, in the order given.
    pub reports: Vec<Report>,
    /// New items per feed URL.
    pub added: HashMap<String, usize>,
    /// The library as now stored, when some put changed the store (new,
    /// updated or purged items); `None` when nothing changed.
    pub library: Option<Library>,
}

impl Refreshed {
    /// New items in all.
    pub fn new_items(&self) -> usize {
        self.added.values().sum()
    }
}

/// Fetches `feeds` into the store at `path`, calling `on_progress` for
/// each step with the new items of a finished feed (when known). The
/// reader's `r`: the library is always read back, so what another process
/// stored meanwhile (a `fetch` from cron, `serve`) shows too.
/// `control` sees its puts write and can stop them.
pub fn fetch_all(
    path: &Path,
    config: &Config,
    feeds: &[Feed],
    control: Arc<PutControl>,
    on_progress: &mut dyn FnMut(&Progress, Option<usize>),
) -> Result<Refreshed, StoreError> {
    let mut store = LibraryStore::open(path)?.store;
    let mut refreshed = fetch_into(&mut store, config, feeds, control, on_progress)?;
    if refreshed.library.is_none() {
        refreshed.library = Some(store.load_library(&config.actor_directory())?);
    }
    Ok(refreshed)
}

/// How the store keeps and updates items, from `[feed_defaults]`.
pub fn feed_options(config: &Config) -> FeedOptions {
    FeedOptions {
        keep: config.feed_defaults.keep,
        unread_on_change: config.feed_defaults.unread_on_change.unwrap_or(true),
    }
}

/// [`fetch_all`] into an open store (`serve`'s fetcher keeps one open).
/// Each feed's refresh hint is kept in the store's ledger too.
pub fn fetch_into(
    store: &mut LibraryStore,
    config: &Config,
    feeds: &[Feed],
    control: Arc<PutControl>,
    on_progress: &mut dyn FnMut(&Progress, Option<usize>),
) -> Result<Refreshed, StoreError> {
    let tagger = Tagger::from_config(config);
    let topics = known_topics(config);
    let ctx = Context {
        tagger: &tagger,
        known_topics: &topics,
    };
    let added = Rc::new(RefCell::new(HashMap::new()));
    let changed = Rc::new(Cell::new(false));
    let mut sink = Counting {
        inner: store.feed_sink(feed_options(config)).controlled_by(control),
        added: Rc::clone(&added),
        changed: Rc::clone(&changed),
    };
    let reports = run::run(feeds, &mut sink, &ctx, &Options::default(), &mut |p| {
        let new = match p {
            Progress::Done { report, .. } => added.borrow().get(&report.url).copied(),
            _ => None,
        };
        on_progress(p, new);
    });
    let rewritten = sink.inner.take_rewritten();
    drop(sink);
    store.keep_refresh_hints(&reports)?;
    let added = added.borrow().clone();
    // An unchanged feed (a file, a server without validators) costs no
    // read-back, and no session replaces its library for nothing.
    let library = if changed.get() {
        let mut library = store.load_library(&config.actor_directory())?;
        library.fetched.rewritten = rewritten;
        Some(library)
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
    /// Some put added, updated or purged items.
    changed: Rc<Cell<bool>>,
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
        let put = self.inner.last_put();
        self.added.borrow_mut().insert(feed.url.clone(), put.added);
        if put.added + put.updated + put.purged > 0 {
            self.changed.set(true);
        }
        Ok(())
    }
    fn prepare(items: &mut [FetchedArticle]) {
        FeedSink::prepare(items);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::config::Keep;

    #[test]
    fn store_options_come_from_feed_defaults() {
        let built_in = Config::load(None).unwrap();
        assert_eq!(feed_options(&built_in), FeedOptions::default());
        let config = Config::load(Some((
            "c.toml",
            "[feed_defaults]\nkeep = 50\nunread_on_change = false\n",
        )))
        .unwrap();
        assert_eq!(
            feed_options(&config),
            FeedOptions {
                keep: Some(Keep::Items(50)),
                unread_on_change: false,
            }
        );
        let errors =
            Config::load(Some(("c.toml", "[feed_defaults]\nkeep = \"1h\"\n"))).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .starts_with("c.toml:2:8: error: [feed_defaults]: \"keep\""),
            "{errors:?}"
        );
    }
}
