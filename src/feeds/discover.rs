//! Finding a site's feed: the `<link rel="alternate">` elements of an
//! HTML page that point to RSS, Atom or JSON Feed, resolved against the
//! page's address (or its `<base href>`). Pure: the page comes as text.

use html5gum::{Token, Tokenizer};
use url::Url;

/// The feed types a page may announce, best first.
const FEED_TYPES: &[&str] = &[
    "application/atom+xml",
    "application/rss+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
];

/// A feed a page links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub url: String,
    pub title: Option<String>,
}

/// Whether a document looks like HTML rather than a feed.
pub fn is_html(text: &str) -> bool {
    let head = text[..text.len().min(4096)].to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || (head.contains("<html") && !head.contains("<rss") && !head.contains("<feed"))
}

/// The feeds a page announces, in the page's order (the first is the
/// site's main feed by convention).
pub fn feeds_in_page(html: &str, page_url: &Url) -> Vec<Found> {
    let mut base = page_url.clone();
    let mut found = Vec::new();
    for token in Tokenizer::new(html).flatten() {
        let Token::StartTag(tag) = token else {
            if let Token::EndTag(t) = &token
                && t.name.eq_ignore_ascii_case(b"head")
            {
                break;
            }
            continue;
        };
        let attr = |key: &str| {
            tag.attributes
                .get(key.as_bytes())
                .map(|v| String::from_utf8_lossy(&v.value).trim().to_owned())
        };
        if tag.name.eq_ignore_ascii_case(b"base") {
            if let Some(b) = attr("href").and_then(|h| page_url.join(&h).ok()) {
                base = b;
            }
            continue;
        }
        if !tag.name.eq_ignore_ascii_case(b"link") {
            continue;
        }
        let rel = attr("rel").unwrap_or_default().to_ascii_lowercase();
        let kind = attr("type").unwrap_or_default().to_ascii_lowercase();
        let kind = kind.split(';').next().unwrap_or("").trim().to_owned();
        if !rel.split_whitespace().any(|r| r == "alternate") || !FEED_TYPES.contains(&kind.as_str())
        {
            continue;
        }
        let Some(url) = attr("href").and_then(|h| base.join(&h).ok()) else {
            continue;
        };
        if found.iter().any(|f: &Found| f.url == url.as_str()) {
            continue;
        }
        found.push(Found {
            url: url.into(),
            title: attr("title").filter(|t| !t.is_empty()),
        });
    }
    // Comment feeds are rarely what is wanted: main feeds first.
    found.sort_by_key(|f| {
        f.title.as_deref().is_some_and(|t| {
            t.to_lowercase().contains("comment") || t.to_lowercase().contains("kommentar")
        })
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_announced_feeds_resolved() {
        let page = r#"<!DOCTYPE html><html><head><title>Blog</title>
            <link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/rss+xml" title="Kommentare" href="/comments/feed/">
            <LINK REL="Alternate" TYPE="application/atom+xml; charset=utf-8" title="News" href="feed.atom">
            <link rel="alternate" type="application/feed+json" href="https://cdn.example/feed.json">
            </head><body><link rel="alternate" type="application/rss+xml" href="/late.xml"></body></html>"#;
        let base = Url::parse("https://blog.example/en/").unwrap();
        let urls: Vec<String> = feeds_in_page(page, &base)
            .into_iter()
            .map(|f| f.url)
            .collect();
        assert_eq!(
            urls,
            [
                "https://blog.example/en/feed.atom",
                "https://cdn.example/feed.json",
                "https://blog.example/comments/feed/"
            ]
        );
        assert!(is_html(page));
        assert!(!is_html(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>"
        ));
    }
}
