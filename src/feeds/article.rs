//! A parsed, tagged item into the content model's article (one section:
//! heading from the title, body from the HTML content or summary), with
//! its identity, the reasons for its actors and whether its date is only
//! when it was first seen. `ItemSink` is the seam to the library store,
//! which keeps fetched items.

use chrono::{DateTime, Datelike, Utc};

use super::config::Feed;
use super::html;
use super::identity::Identity;
use super::parse::{FeedItem, ParsedFeed};
use super::tag::{ItemText, Tagger, Why};
use crate::content::NewsDate;
use crate::content::parse::{RawArticle, RawSection};

/// An item ready for the store.
#[derive(Debug, Clone)]
pub struct FetchedArticle {
    pub article: RawArticle,
    pub identity: Identity,
    /// Why each actor was given, in the article's actor order.
    pub why: Vec<Why>,
    /// The moment the article is dated: the feed's date, or `first_seen`.
    pub at: DateTime<Utc>,
    /// The feed gave no date: `at` is when the item was first seen.
    pub first_seen: bool,
    /// What the sink worked out ahead from this item alone, on the
    /// worker's thread ([`ItemSink::prepare`]); `None` until then.
    pub prepared: Option<Prepared>,
}

/// A sink's work on an item that needs nothing stored, done by
/// [`ItemSink::prepare`] while the sink writes the items before: the
/// article then is as the sink stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The hash of the stored text.
    pub hash: i64,
    /// Per section: its searchable text and that text's index terms.
    pub search: Vec<(String, String)>,
}

/// Where fetched articles go: the library store implements this (the
/// store's wiring is separate work); tests collect them.
pub trait ItemSink {
    type Error;
    /// Stores one feed's items: new ones added, known ones (by
    /// [`Identity::same_item`]) updated in place.
    fn put(&mut self, feed: &Feed, items: Vec<FetchedArticle>) -> Result<(), Self::Error>;

    /// The same as [`put`](Self::put) (one feed, all or nothing), with the
    /// items handed over as they are made, so a sink that can write them
    /// as they come never holds a large feed at once. The default collects
    /// them and calls `put`.
    fn put_stream(
        &mut self,
        feed: &Feed,
        items: &mut dyn Iterator<Item = FetchedArticle>,
    ) -> Result<(), Self::Error> {
        self.put(feed, items.collect())
    }

    /// Works out ahead what storing `items` needs from them alone, on the
    /// thread that made them (a feed's items are made on a worker while
    /// the sink writes the ones before). The default does nothing.
    fn prepare(items: &mut [FetchedArticle]) {
        let _ = items;
    }
}

/// Turns every item of a parsed feed into an article. `now` dates items
/// the feed does not date (the store keeps the first time it saw them).
pub fn articles(
    feed: &Feed,
    parsed: &ParsedFeed,
    tagger: &Tagger,
    known_topics: &[String],
    now: DateTime<Utc>,
) -> Vec<FetchedArticle> {
    let lang = lang_of(feed, parsed);
    let base = url::Url::parse(&feed.url).ok();
    parsed
        .items
        .iter()
        // Only a clock outside years 1-9999 has no day: then nothing is made.
        .filter_map(|item| article(feed, item, &lang, base.as_ref(), tagger, known_topics, now))
        .collect()
}

/// [`articles`] batch by batch, consuming the parsed feed: each batch of
/// at most `batch` articles goes to `on_batch` as soon as it is made, and
/// each item's text is freed once its article is made, so a feed is never
/// held twice. `on_batch` returning `false` stops. Returns the articles
/// made.
pub fn articles_in_batches(
    feed: &Feed,
    parsed: ParsedFeed,
    tagger: &Tagger,
    known_topics: &[String],
    now: DateTime<Utc>,
    batch: usize,
    on_batch: &mut dyn FnMut(Vec<FetchedArticle>) -> bool,
) -> usize {
    let lang = lang_of(feed, &parsed);
    let base = url::Url::parse(&feed.url).ok();
    let batch = batch.max(1);
    let mut made = 0;
    let mut out = Vec::with_capacity(batch.min(parsed.items.len()));
    for item in parsed.items {
        if let Some(a) = article(feed, &item, &lang, base.as_ref(), tagger, known_topics, now) {
            out.push(a);
        }
        if out.len() == batch {
            made += out.len();
            if !on_batch(std::mem::replace(&mut out, Vec::with_capacity(batch))) {
                return made;
            }
        }
    }
    if !out.is_empty() {
        made += out.len();
        on_batch(out);
    }
    made
}

/// The items' language: the feed's setting, else the feed's own, else
/// undetermined.
fn lang_of(feed: &Feed, parsed: &ParsedFeed) -> String {
    feed.lang
        .clone()
        .or_else(|| parsed.lang.clone())
        .unwrap_or_else(|| "und".to_owned())
}

/// The widest title kept as a heading (columns): a feed's 100,000-character title
/// would be a reading pane of thousands of lines before the text.
pub const MAX_TITLE_COLUMNS: usize = 300;

/// The heading of an item that gives no title, text or link.
const UNTITLED: &str = "Untitled item";

fn article(
    feed: &Feed,
    item: &FeedItem,
    lang: &str,
    base: Option<&url::Url>,
    tagger: &Tagger,
    known_topics: &[String],
    now: DateTime<Utc>,
) -> Option<FetchedArticle> {
    let identity = Identity::of(item);
    let item_base = item.link.as_deref().and_then(|l| url::Url::parse(l).ok());
    let base = item_base.as_ref().or(base);
    let html_body = item
        .content_html
        .as_deref()
        .or(item.summary_html.as_deref());
    let body = html_body.map(|h| html::render(h, base)).unwrap_or_default();
    let summary = match item.summary_html.as_deref() {
        // The summary is the body (no content): rendered once.
        Some(s) if item.content_html.is_none() && !html::base_matters(s) => html::plain_of(&body),
        Some(s) => html::plain(s),
        None => String::new(),
    };
    let body_text: String = body
        .blocks
        .iter()
        .take(body.blocks.len() - body.links.len())
        .map(crate::content::Block::text)
        .collect::<Vec<_>>()
        .join(" ");
    // An item without a title is shown by the start of its text, else by
    // its link: never as a blank row.
    let title = if item.title.trim().is_empty() {
        [
            summary.as_str(),
            &body_text,
            item.link.as_deref().unwrap_or(""),
        ]
        .into_iter()
        .map(str::trim)
        .find(|t| !t.is_empty())
        .map_or_else(|| UNTITLED.to_owned(), |t| crate::text::truncate(t, 80))
    } else {
        crate::text::truncate(&item.title, MAX_TITLE_COLUMNS)
    };
    let tags = tagger.tag(
        &ItemText {
            title: &title,
            summary: &summary,
            body: &body_text,
            categories: &item.categories,
        },
        &feed.actors,
        &feed.topics,
        known_topics,
    );
    // A date the content model cannot hold (before year 1 or after 9999)
    // is treated as none: the item is dated when first seen, not lost.
    let given = item.date.filter(|d| day(*d).is_some());
    let at = given.unwrap_or(now);
    let date = day(at)?;
    let url = item.link.clone();
    Some(FetchedArticle {
        article: RawArticle {
            id: identity.article_id(&feed.url),
            lang: lang.to_owned(),
            title: title.clone(),
            published: date,
            source: Some(feed.name.clone()),
            url: url.clone(),
            summary: Some(summary).filter(|s| !s.is_empty()),
            topics: tags.topics.clone(),
            actors: tags.actors.clone(),
            sections: vec![RawSection {
                heading: title,
                date: Some(date),
                topics: tags.topics,
                actors: tags.actors,
                url,
                body: body.blocks,
            }],
            path: feed.url.clone(),
            id_position: None,
        },
        identity,
        why: tags.why,
        at,
        first_seen: given.is_none(),
        prepared: None,
    })
}

/// The day of a moment, as the content model dates sections.
pub fn day(at: DateTime<Utc>) -> Option<NewsDate> {
    let year = u16::try_from(at.year()).ok()?;
    NewsDate::new(
        year,
        u8::try_from(at.month()).ok(),
        u8::try_from(at.day()).ok(),
    )
}
