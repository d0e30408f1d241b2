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
    let file = crate::atomic_file::refuse_special_file(&path)
        .and_then(|()| std::fs::File::open(&path))
        .map_err(|source| FetchError::Read {
            path: shown.clone(),
            source,
        })?;
    // Room for the whole file at once: grown by doubling, a 95 MB feed
    // was copied on the way and took 128 MB.
    let size = file.metadata().map_or(0, |m| m.len()).min(MAX_FILE_BYTES);
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
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

/// What stands for a file feed's version, like an HTTP `ETag`: its size
/// and modification time, with `settings` (a hash of what else shapes its
/// articles: the feed's and the tagger's configuration) and this program's
/// version, so a changed setting or a new build reads the file again.
/// `None` when the file cannot be looked at (it is then read, or fails).
pub fn file_stamp(url: &str, settings: u64) -> Option<String> {
    let path = url::Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "file")?
        .to_file_path()
        .ok()?;
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "file-{}-{}.{:09}-{settings:016x}-{}",
        meta.len(),
        modified.as_secs(),
        modified.subsec_nanos(),
        env!("CARGO_PKG_VERSION")
    ))
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
    let parsed = parse::parse(body, charset, Some(&feed.url))?;
    Ok(articles(feed, &parsed, tagger, known_topics, now))
}

/// Parses a fetched body, taking it so that it is freed as soon as it
/// is decoded (a large feed is then turned into articles batch by batch,
/// [`articles_in_batches`](super::article::articles_in_batches)).
pub fn parse_body(
    feed: &Feed,
    body: Vec<u8>,
    charset: Option<&str>,
) -> Result<parse::ParsedFeed, FetchError> {
    Ok(parse::parse_owned(body, charset, Some(&feed.url))?)
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
