//! One feed from its bytes to articles ready for the store, and reading
//! file-URL feeds. The HTTP client (conditional GET, caps, redirects,
//! Retry-After) and the `fetch` command are separate work: they call
//! [`process`] with what they fetched and hand the result to an
//! [`ItemSink`](super::article::ItemSink).

use std::io::Read;

use chrono::{DateTime, Utc};

use super::article::{FetchedArticle, articles};
use super::config::Feed;
use super::parse::{self, ParseError};
use super::tag::Tagger;

/// The largest feed file read from disk (a file URL). Larger than the
/// HTTP body cap: local archives of 50,000 items are real.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a feed gave no items.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is larger than {} MiB", MAX_FILE_BYTES / 1024 / 1024)]
    TooLarge { path: String },
    #[error("not a file URL: {0}")]
    NotFile(String),
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// The bytes of a `file://` feed, bounded.
pub fn read_file_url(url: &str) -> Result<Vec<u8>, FetchError> {
    let path = url::Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "file")
        .and_then(|u| u.to_file_path().ok())
        .ok_or_else(|| FetchError::NotFile(url.to_owned()))?;
    let shown = path.display().to_string();
    let file = std::fs::File::open(&path).map_err(|source| FetchError::Read {
        path: shown.clone(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| FetchError::Read {
            path: shown.clone(),
            source,
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FetchError::TooLarge { path: shown });
    }
    Ok(bytes)
}

/// Parses a fetched body and turns its items into tagged articles.
/// `charset` is the HTTP Content-Type's, when there was one; `now` dates
/// items the feed does not date.
pub fn process(
    feed: &Feed,
    body: &[u8],
    charset: Option<&str>,
    tagger: &Tagger,
    known_topics: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<FetchedArticle>, FetchError> {
    process_with_ttl(feed, body, charset, tagger, known_topics, now).map(|(items, _)| items)
}

/// [`process`], also giving the feed's own refresh hint (RSS `<ttl>`).
pub fn process_with_ttl(
    feed: &Feed,
    body: &[u8],
    charset: Option<&str>,
    tagger: &Tagger,
    known_topics: &[String],
    now: DateTime<Utc>,
) -> Result<(Vec<FetchedArticle>, Option<std::time::Duration>), FetchError> {
    let parsed = parse::parse(body, charset, Some(&feed.url))?;
    let items = articles(feed, &parsed, tagger, known_topics, now);
    Ok((items, parsed.ttl))
}

/// Every topic name the configuration knows: rules and feeds' topics.
pub fn known_topics(config: &crate::config::Config) -> Vec<String> {
    let mut topics: Vec<String> = config.topic_rules.iter().map(|r| r.name.clone()).collect();
    for t in config.feeds.iter().flat_map(|f| &f.topics) {
        if !topics.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            topics.push(t.clone());
        }
    }
    topics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_read_and_other_schemes_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.rss");
        std::fs::write(&path, "<rss version=\"2.0\"><channel><title>T</title><item><title>Grok 3</title><guid>1</guid></item></channel></rss>").unwrap();
        let url = url::Url::from_file_path(&path).unwrap().to_string();
        let bytes = read_file_url(&url).unwrap();
        let config =
            crate::config::Config::load(Some(("c.toml", &format!("[[feeds]]\nurl = \"{url}\"\n"))))
                .unwrap();
        let tagger = Tagger::from_config(&config);
        let items = process(
            &config.feeds[0],
            &bytes,
            None,
            &tagger,
            &known_topics(&config),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(items[0].article.actors, ["Musk"]);
        assert!(matches!(
            read_file_url("https://x.org/f"),
            Err(FetchError::NotFile(_))
        ));
        assert!(matches!(
            read_file_url(&format!("{url}.missing")),
            Err(FetchError::Read { .. })
        ));
        assert!(matches!(
            process(
                &config.feeds[0],
                b"<html><body>no</body></html>",
                None,
                &tagger,
                &[],
                Utc::now()
            ),
            Err(FetchError::Parse(_))
        ));
    }
}
