//! An item's identity across fetches: its guid/id, else its canonical
//! link with its fragment (a live blog's `#post-1` and `#post-2` are two
//! items), else a hash of title and date; and the canonical form of a link
//! (tracking parameters, fragment, scheme, `www.` and trailing slash
//! ignored) that also tells when two outlets' items are one article.

use super::parse::FeedItem;

/// Query parameters that only track the reader, never select content.
const TRACKING: &[&str] = &[
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "igshid",
    "wt_mc", "wt_zmc", "ref_src", "cmpid", "ncid", "yclid", "mkt_tok",
];

/// What an item is known by. Two items are the same when their keys
/// share the guid or the canonical link: a feed that changes guids but
/// keeps links does not duplicate its items. Without a guid, links that
/// differ in their fragment are two items (`/live#post-1`, `/live#post-2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `guid:...`, else `link:...` (with `#fragment` when the link has
    /// one), else `hash:...`: stable across fetches.
    pub key: String,
    pub guid: Option<String>,
    /// The canonical link (no fragment): the same article at two outlets.
    pub link: Option<String>,
    /// The link's fragment, when it has one (without the `#`).
    pub fragment: Option<String>,
}

impl Identity {
    pub fn of(item: &FeedItem) -> Self {
        let link = item.link.as_deref().and_then(canonical_link);
        let fragment = link
            .is_some()
            .then(|| item.link.as_deref().and_then(link_fragment))
            .flatten();
        let guid = item.guid.clone();
        let key = if let Some(g) = &guid {
            format!("guid:{g}")
        } else if let Some(l) = &link {
            match &fragment {
                Some(f) => format!("link:{l}#{f}"),
                None => format!("link:{l}"),
            }
        } else {
            let date = item.date.map(|d| d.to_rfc3339()).unwrap_or_default();
            format!(
                "hash:{:016x}",
                fnv1a(format!("{}\u{0}{date}", item.title).as_bytes())
            )
        };
        Self {
            key,
            guid,
            link,
            fragment,
        }
    }

    /// Whether `other` is the same item, fetched again. The canonical link
    /// alone says so when both have a guid (a feed that changed it);
    /// otherwise their fragments must agree as well.
    pub fn same_item(&self, other: &Self) -> bool {
        let both_guids = self.guid.is_some() && other.guid.is_some();
        self.key == other.key
            || matches!((&self.guid, &other.guid), (Some(a), Some(b)) if a == b)
            || (matches!((&self.link, &other.link), (Some(a), Some(b)) if a == b)
                && (both_guids || self.fragment == other.fragment))
    }

    /// The key this item had before fragments kept items apart (`link:`
    /// and the canonical link alone), when it differs from `key`: an item
    /// stored then is found under it once.
    pub fn key_without_fragment(&self) -> Option<String> {
        match (&self.guid, &self.link, &self.fragment) {
            (None, Some(link), Some(_)) => Some(format!("link:{link}")),
            _ => None,
        }
    }

    /// A short stable id for the article (`show ID` on the command line).
    pub fn article_id(&self, feed: &str) -> String {
        format!(
            "feed-{:08x}-{:016x}",
            fnv1a(feed.as_bytes()) as u32,
            fnv1a(self.key.as_bytes())
        )
    }
}

/// The canonical form of a link, as a key: `host/path?query` with the
/// host lowercased and without `www.`, the scheme, fragment, default
/// port, trailing slash and tracking parameters (`utm_*` and the like)
/// dropped, the remaining parameters in their order. `None` for what is not
/// an http(s) URL.
pub fn canonical_link(link: &str) -> Option<String> {
    let url = url::Url::parse(link.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let path = url.path().trim_end_matches('/');
    let query: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING.contains(&k.as_str())
        })
        .map(|(k, v)| {
            if v.is_empty() {
                k.into_owned()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(if query.is_empty() {
        format!("{host}{port}{path}")
    } else {
        format!("{host}{port}{path}?{}", query.join("&"))
    })
}

/// The fragment of an http(s) link, without the `#`; `None` when it has
/// none or an empty one.
fn link_fragment(link: &str) -> Option<String> {
    let url = url::Url::parse(link.trim()).ok()?;
    url.fragment()
        .filter(|f| !f.is_empty())
        .map(|f| f.chars().take(MAX_FRAGMENT).collect())
}

/// Characters of a fragment kept in a key, at most: a feed controls it.
const MAX_FRAGMENT: usize = 256;

/// FNV-1a, 64 bits: stable across Rust versions and runs, unlike `Hash`.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_from(0xcbf2_9ce4_8422_2325, bytes)
}

/// [`fnv1a`] continued from `hash`, the hash of the bytes before: the
/// hash of a text written in parts, without joining them.
pub fn fnv1a_from(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_continued_is_the_hash_of_the_whole() {
        let whole = fnv1a(b"OpenAI shows a model");
        assert_eq!(fnv1a_from(fnv1a(b"OpenAI sh"), b"ows a model"), whole);
        assert_eq!(fnv1a_from(fnv1a(b""), b"OpenAI shows a model"), whole);
    }

    #[test]
    fn links_that_are_one_article() {
        let same = [
            "https://www.heise.de/news/KI-Streit-10234.html?utm_source=rss&wt_mc=rss.red.ho.ho.atom.beitrag.beitrag",
            "http://heise.de/news/KI-Streit-10234.html#kommentare",
            "https://HEISE.de/news/KI-Streit-10234.html/",
            "https://heise.de:443/news/KI-Streit-10234.html?fbclid=abc",
        ];
        for link in same {
            assert_eq!(
                canonical_link(link).as_deref(),
                Some("heise.de/news/KI-Streit-10234.html"),
                "{link}"
            );
        }
        assert_eq!(
            canonical_link("https://x.org/a?id=3&utm_medium=x").as_deref(),
            Some("x.org/a?id=3")
        );
        assert_ne!(
            canonical_link("https://x.org/a?id=3"),
            canonical_link("https://x.org/a?id=4")
        );
        assert_eq!(canonical_link("mailto:a@b.org"), None);
    }

    fn item(guid: Option<&str>, link: Option<&str>, title: &str) -> FeedItem {
        FeedItem {
            guid: guid.map(Into::into),
            title: title.into(),
            link: link.map(Into::into),
            date: None,
            summary_html: None,
            content_html: None,
            categories: vec![],
            authors: vec![],
        }
    }

    #[test]
    fn identity_prefers_guid_then_link_then_hash() {
        assert_eq!(
            Identity::of(&item(Some("g1"), Some("https://x.org/a"), "T")).key,
            "guid:g1"
        );
        assert_eq!(
            Identity::of(&item(None, Some("https://www.x.org/a/"), "T")).key,
            "link:x.org/a"
        );
        let hashed = Identity::of(&item(None, None, "T"));
        assert!(hashed.key.starts_with("hash:"));
        assert_eq!(hashed, Identity::of(&item(None, None, "T")));
        assert_ne!(hashed, Identity::of(&item(None, None, "U")));
    }

    /// A live blog without guids: its posts' links differ only after `#`,
    /// and each is an item of its own; the same post fetched again is the
    /// same item. The canonical link (for stories across outlets) keeps
    /// no fragment.
    #[test]
    fn without_a_guid_a_fragment_keeps_items_apart() {
        let post = |n: u32| {
            Identity::of(&item(
                None,
                Some(&format!("https://x.org/live#post-{n}")),
                "T",
            ))
        };
        assert_eq!(post(1).key, "link:x.org/live#post-1");
        assert_eq!(post(1).link.as_deref(), Some("x.org/live"));
        assert_ne!(post(1).key, post(2).key);
        assert!(!post(1).same_item(&post(2)));
        assert!(post(1).same_item(&post(1)));
        let page = Identity::of(&item(None, Some("https://x.org/live"), "T"));
        assert!(!page.same_item(&post(1)), "the page is not its first post");
        assert_eq!(page.key_without_fragment(), None);
        assert_eq!(
            post(1).key_without_fragment().as_deref(),
            Some("link:x.org/live")
        );
        // An empty fragment is none.
        let bare = Identity::of(&item(None, Some("https://x.org/live#"), "T"));
        assert_eq!(bare.key, "link:x.org/live");
        // With guids, the guid decides, and a changed guid with the same
        // link (fragment and all) is still the same item.
        let with_guid = |g: &str, n: u32| {
            Identity::of(&item(
                Some(g),
                Some(&format!("https://x.org/live#post-{n}")),
                "T",
            ))
        };
        assert_eq!(with_guid("g1", 1).key, "guid:g1");
        assert!(with_guid("g1", 1).same_item(&with_guid("g2", 1)));
    }

    /// A fragment is what a feed writes: the key keeps 256 characters of
    /// it at most.
    #[test]
    fn a_fragment_in_a_key_is_bounded() {
        let long = format!("https://x.org/live#{}", "p".repeat(10_000));
        let key = Identity::of(&item(None, Some(&long), "T")).key;
        assert_eq!(key, format!("link:x.org/live#{}", "p".repeat(MAX_FRAGMENT)));
    }

    #[test]
    fn a_changed_guid_with_the_same_link_is_the_same_item() {
        let before = Identity::of(&item(
            Some("tag:x,2025:1"),
            Some("https://x.org/a?utm_source=rss"),
            "T",
        ));
        let after = Identity::of(&item(
            Some("https://x.org/?p=1"),
            Some("https://x.org/a"),
            "T",
        ));
        assert!(before.same_item(&after));
        let other = Identity::of(&item(Some("tag:x,2025:2"), Some("https://x.org/b"), "T"));
        assert!(!before.same_item(&other));
    }
}
