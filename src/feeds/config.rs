//! `[[feeds]]` subscriptions and `[[topics]]` keyword rules in config.toml:
//! read from the parsed document with located errors, like the rest of the
//! configuration. Pure reading; editing the file lives in `feeds::edit`.

use std::time::Duration;

use toml::de::DeValue;

use crate::diag::{Diagnostic, suggest};
use crate::toml_doc::{DocReader, Table, get, printable};

const FEED_KEYS: &[&str] = &["url", "name", "lang", "topics", "actors", "every", "keep"];
const TOPIC_KEYS: &[&str] = &["name", "keywords"];
const DEFAULTS_KEYS: &[&str] = &["every", "keep", "unread_on_change"];

/// At most this many subscriptions: a config file is read whole at start.
pub const MAX_FEEDS: usize = 5_000;
/// At most this many keyword rules, and keywords per rule.
pub const MAX_TOPIC_RULES: usize = 1_000;
pub const MAX_KEYWORDS: usize = 500;
/// The shortest and longest refresh interval a feed may ask for.
pub const MIN_EVERY: Duration = Duration::from_secs(60);
pub const MAX_EVERY: Duration = Duration::from_secs(30 * 86_400);
/// The refresh interval when neither the config nor the feed gives one.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(3_600);
/// The most items `keep` may ask for per feed.
pub const MAX_KEEP_ITEMS: u64 = 1_000_000;

/// One subscription, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// An absolute http, https or file URL, as the url crate spells it.
    pub url: String,
    /// The name given, else one made from the URL (its host, or the file's name).
    pub name: String,
    /// The language the config gives (`None`: from the feed, else undetermined).
    pub lang: Option<String>,
    /// Topics and actors added to every item of this feed.
    pub topics: Vec<String>,
    pub actors: Vec<String>,
    /// The refresh interval; `None` takes the feed's TTL, else one hour.
    pub every: Option<Duration>,
    /// How long items that left the feed stay in the store.
    pub keep: Option<Keep>,
    /// Where `actors` entries were written, to report unknown actors.
    pub actor_positions: Vec<(String, (u32, u32))>,
    /// Where the table was written (`path`, line, column).
    pub origin: (String, (u32, u32)),
}

/// How long items stay after they left the feed: an age or a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Age(Duration),
    Items(u64),
}

/// `[[topics]]`: items whose title, summary or body contains one of the
/// keywords (whole words, ignoring case and accents) get the topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicRule {
    pub name: String,
    pub keywords: Vec<String>,
}

/// `[feed_defaults]`: what every feed gets unless its own table says
/// otherwise (`every`, `keep`), and how updated items are treated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedDefaults {
    /// The refresh interval of a feed without `every` (before its own hint).
    pub every: Option<Duration>,
    /// How long items that left a feed without `keep` stay.
    pub keep: Option<Keep>,
    /// Whether a substantially changed item becomes unread again
    /// (`None`: yes, the built-in default).
    pub unread_on_change: Option<bool>,
}

impl FeedDefaults {
    /// `later`'s keys over these, one by one.
    #[must_use]
    pub fn over(self, later: Self) -> Self {
        Self {
            every: later.every.or(self.every),
            keep: later.keep.or(self.keep),
            unread_on_change: later.unread_on_change.or(self.unread_on_change),
        }
    }

    /// The interval setting for `feed`: its own `every`, else this default.
    pub fn every_for(&self, feed: &Feed) -> Option<Duration> {
        feed.every.or(self.every)
    }
}

/// What a config file says about feeds; `None` when it does not set them.
#[derive(Debug, Clone, Default)]
pub struct FeedsLayer {
    pub feeds: Option<Vec<Feed>>,
    pub topics: Option<Vec<TopicRule>>,
    pub defaults: FeedDefaults,
}

/// Reads `feeds`, `topics` and `feed_defaults` from a config document's
/// root table.
pub fn read(r: &mut DocReader<'_>, root: &Table<'_>) -> FeedsLayer {
    FeedsLayer {
        feeds: read_feeds(r, root),
        topics: read_topics(r, root),
        defaults: read_defaults(r, root),
    }
}

fn read_defaults(r: &mut DocReader<'_>, root: &Table<'_>) -> FeedDefaults {
    let Some(value) = get(root, "feed_defaults") else {
        return FeedDefaults::default();
    };
    let DeValue::Table(t) = value.get_ref() else {
        r.mismatch(value, "feed_defaults", "a table ([feed_defaults])", "");
        return FeedDefaults::default();
    };
    let context = "[feed_defaults]: ";
    r.check_keys(t, DEFAULTS_KEYS, context);
    FeedDefaults {
        every: get(t, "every").and_then(|v| read_every(r, v, context)),
        keep: get(t, "keep").and_then(|v| read_keep(r, v, context)),
        unread_on_change: r.bool(t, "unread_on_change", context).map(|b| *b.get_ref()),
    }
}

fn read_feeds(r: &mut DocReader<'_>, root: &Table<'_>) -> Option<Vec<Feed>> {
    let value = get(root, "feeds")?;
    {
        let DeValue::Array(items) = value.get_ref() else {
            r.mismatch(value, "feeds", "an array of tables ([[feeds]])", "");
            return None;
        };
        if items.len() > MAX_FEEDS {
            r.error(
                value.span(),
                format!(
                    "\"feeds\": at most {MAX_FEEDS} subscriptions, found {}",
                    items.len()
                ),
            );
            return None;
        }
        let mut feeds: Vec<Feed> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let context = format!("feed {}: ", i + 1);
            let DeValue::Table(t) = item.get_ref() else {
                r.mismatch(item, "feeds", "a table ([[feeds]])", &context);
                continue;
            };
            let Some(feed) = read_feed(r, t, item.span(), &context) else {
                continue;
            };
            // The same subscription twice, under one name (often the name
            // made from the URL for both): said as what it is, and kept once.
            if let Some(other) = feeds
                .iter()
                .find(|f| f.url == feed.url && f.name.eq_ignore_ascii_case(&feed.name))
            {
                let (line, col) = other.origin.1;
                r.diagnostics.push(Diagnostic {
                    path: feed.origin.0.clone(),
                    position: Some(feed.origin.1),
                    severity: crate::diag::Severity::Warning,
                    message: format!(
                        "{context}the same feed as at line {line}:{col} (same URL and name): it is subscribed once (ignored)"
                    ),
                });
                continue;
            }
            if let Some(other) = feeds
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(&feed.name))
            {
                let (line, col) = other.origin.1;
                r.diagnostics.push(Diagnostic {
                    path: feed.origin.0.clone(),
                    position: Some(feed.origin.1),
                    severity: crate::diag::Severity::Error,
                    message: format!(
                        "{context}the name \"{}\" is already used by the feed at line {line}:{col}; names pick a feed in `feeds remove` and `fetch --feed`, so each must be unique",
                        printable(&feed.name)
                    ),
                });
                continue;
            }
            if let Some(other) = feeds.iter().find(|f| f.url == feed.url) {
                r.diagnostics.push(Diagnostic {
                    path: feed.origin.0.clone(),
                    position: Some(feed.origin.1),
                    severity: crate::diag::Severity::Warning,
                    message: format!(
                        "{context}the same URL as the feed \"{}\": it is fetched once",
                        printable(&other.name)
                    ),
                });
            }
            feeds.push(feed);
        }
        Some(feeds)
    }
}

fn read_topics(r: &mut DocReader<'_>, root: &Table<'_>) -> Option<Vec<TopicRule>> {
    let value = get(root, "topics")?;
    {
        let DeValue::Array(items) = value.get_ref() else {
            r.mismatch(value, "topics", "an array of tables ([[topics]])", "");
            return None;
        };
        if items.len() > MAX_TOPIC_RULES {
            r.error(
                value.span(),
                format!(
                    "\"topics\": at most {MAX_TOPIC_RULES} rules, found {}",
                    items.len()
                ),
            );
            return None;
        }
        let mut rules: Vec<TopicRule> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let context = format!("topic {}: ", i + 1);
            let DeValue::Table(t) = item.get_ref() else {
                r.mismatch(item, "topics", "a table ([[topics]])", &context);
                continue;
            };
            r.check_keys(t, TOPIC_KEYS, &context);
            let Some(name) = r.required_string(t, item.span(), "name", &context) else {
                continue;
            };
            let name_text = clean(name.get_ref());
            let Some(keywords) = r.string_list(t, "keywords", &context, true) else {
                if get(t, "keywords").is_none() {
                    r.error(
                        item.span(),
                        format!("{context}missing required key \"keywords\": expected an array of strings such as [\"chip\", \"GPU\"]"),
                    );
                }
                continue;
            };
            if keywords.len() > MAX_KEYWORDS {
                r.error(
                    name.span(),
                    format!(
                        "{context}\"keywords\": at most {MAX_KEYWORDS}, found {}",
                        keywords.len()
                    ),
                );
                continue;
            }
            if rules
                .iter()
                .any(|t| t.name.eq_ignore_ascii_case(&name_text))
            {
                r.error(
                    name.span(),
                    format!(
                        "{context}the topic \"{}\" has rules already: put all its keywords in one [[topics]] table",
                        printable(&name_text)
                    ),
                );
                continue;
            }
            for keyword in &keywords {
                if clean(keyword.get_ref()).is_empty() {
                    // It could match nothing: said, not dropped silently.
                    r.warn(
                        keyword.span(),
                        format!("{context}an empty keyword matches nothing (ignored)"),
                    );
                }
            }
            rules.push(TopicRule {
                name: name_text,
                keywords: keywords
                    .iter()
                    .map(|k| clean(k.get_ref()))
                    .filter(|k| !k.is_empty())
                    .collect(),
            });
        }
        Some(rules)
    }
}

fn read_feed(
    r: &mut DocReader<'_>,
    t: &Table<'_>,
    span: std::ops::Range<usize>,
    context: &str,
) -> Option<Feed> {
    r.check_keys(t, FEED_KEYS, context);
    let origin = (r.source.path.to_owned(), r.source.position(span.start));
    let url_value = r.required_string(t, span, "url", context)?;
    let url = match check_url(url_value.get_ref()) {
        Ok(url) => url,
        Err(reason) => {
            r.error(url_value.span(), format!("{context}\"url\": {reason}"));
            return None;
        }
    };
    let context = format!("feed {}: ", printable(&url));
    let name = match r.string(t, "name", &context) {
        Some(n) if n.get_ref().trim().is_empty() => {
            r.error(
                n.span(),
                format!("{context}\"name\": expected a non-empty string, or no name (one is made from the URL)"),
            );
            return None;
        }
        Some(n) => clean(n.get_ref()),
        None => name_from_url(&url),
    };
    let lang = r.string(t, "lang", &context).and_then(|l| {
        let code = l.get_ref().trim().to_ascii_lowercase();
        if is_language_tag(&code) {
            Some(code)
        } else {
            r.error(
                l.span(),
                format!(
                    "{context}\"lang\": expected a language code such as \"en\" or \"de\", found \"{}\"",
                    printable(l.get_ref())
                ),
            );
            None
        }
    });
    let topics = r
        .string_list(t, "topics", &context, true)
        .unwrap_or_default()
        .iter()
        .map(|s| clean(s.get_ref()))
        .filter(|s| !s.is_empty())
        .collect();
    let actor_values = r
        .string_list(t, "actors", &context, true)
        .unwrap_or_default();
    let actor_positions: Vec<(String, (u32, u32))> = actor_values
        .iter()
        .map(|s| (clean(s.get_ref()), r.source.position(s.span().start)))
        .filter(|(s, _)| !s.is_empty())
        .collect();
    let every = get(t, "every").and_then(|v| read_every(r, v, &context));
    let keep = get(t, "keep").and_then(|v| read_keep(r, v, &context));
    Some(Feed {
        url,
        name,
        lang,
        topics,
        actors: actor_positions.iter().map(|(a, _)| a.clone()).collect(),
        every,
        keep,
        actor_positions,
        origin,
    })
}

fn read_every(
    r: &mut DocReader<'_>,
    v: &crate::toml_doc::Value<'_>,
    context: &str,
) -> Option<Duration> {
    let context = context.to_owned();
    match duration_value(v.get_ref()) {
        Some(d) if (MIN_EVERY..=MAX_EVERY).contains(&d) => Some(d),
        Some(_) => {
            r.error(
                v.span(),
                format!(
                    "{context}\"every\": between 1 minute (\"1m\") and 30 days (\"30d\"), so a feed is neither hammered nor forgotten; found {}",
                    crate::toml_doc::describe(v.get_ref())
                ),
            );
            None
        }
        None => {
            r.mismatch(
                v,
                "every",
                "a duration such as \"30m\", \"2h\" or \"1d\" (or seconds)",
                &context,
            );
            None
        }
    }
}

fn read_keep(r: &mut DocReader<'_>, v: &crate::toml_doc::Value<'_>, context: &str) -> Option<Keep> {
    let context = context.to_owned();
    match v.get_ref() {
        DeValue::Integer(i) => {
            match i.as_str().replace('_', "").parse::<u64>() {
                Ok(n) if (1..=MAX_KEEP_ITEMS).contains(&n) => Some(Keep::Items(n)),
                _ => {
                    r.error(
                    v.span(),
                    format!("{context}\"keep\": a number of items from 1 to {MAX_KEEP_ITEMS}, found {}", i.as_str()),
                );
                    None
                }
            }
        }
        DeValue::String(s) => match parse_duration(s) {
            Some(d) if d >= Duration::from_secs(86_400) => Some(Keep::Age(d)),
            _ => {
                r.error(
                    v.span(),
                    format!("{context}\"keep\": expected an age of at least a day such as \"90d\" or \"12w\", or a number of items, found \"{}\"", printable(s)),
                );
                None
            }
        },
        _ => {
            r.mismatch(
                v,
                "keep",
                "an age such as \"90d\" or a number of items",
                &context,
            );
            None
        }
    }
}

/// Warns about a feed's `actors` entry that names no configured actor.
pub fn check_actors(feeds: &[Feed], known: &[&str], diagnostics: &mut Vec<Diagnostic>) {
    let lower: Vec<String> = known.iter().map(|k| k.to_lowercase()).collect();
    let lower_refs: Vec<&str> = lower.iter().map(String::as_str).collect();
    for feed in feeds {
        for (actor, position) in &feed.actor_positions {
            if lower.contains(&actor.to_lowercase()) {
                continue;
            }
            let hint = suggest(actor, &lower_refs)
                .and_then(|s| known.iter().find(|k| k.to_lowercase() == s))
                .map(|s| format!("; did you mean \"{s}\"?"))
                .unwrap_or_default();
            diagnostics.push(Diagnostic {
                path: feed.origin.0.clone(),
                position: Some(*position),
                severity: crate::diag::Severity::Warning,
                message: format!(
                    "feed \"{}\": \"actors\": no actor or alias \"{}\" is configured{hint} (it is still added as a tag)",
                    printable(&feed.name),
                    printable(actor)
                ),
            });
        }
    }
}

/// Checks a subscription URL: absolute http, https or file. Returns it as
/// the url crate normalises it.
pub fn check_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let url = url::Url::parse(text).map_err(|e| {
        format!(
            "\"{}\" is not an absolute URL ({e}); expected http://, https:// or file:///",
            printable(text)
        )
    })?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(url.into()),
        "http" | "https" => Err(format!("\"{}\" has no host", printable(text))),
        "file" => Ok(url.into()),
        other => Err(format!(
            "the scheme \"{}\" is not supported; expected http, https or file",
            printable(other)
        )),
    }
}

/// A name for a feed without one: its host without `www.`, or its file name.
pub fn name_from_url(url: &str) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    match parsed.host_str() {
        Some(host) if !host.is_empty() => host.strip_prefix("www.").unwrap_or(host).to_owned(),
        _ => parsed
            .path_segments()
            .and_then(|mut s| s.next_back())
            .filter(|s| !s.is_empty())
            .map_or_else(
                || url.to_owned(),
                |s| {
                    let decoded = url::form_urlencoded::parse(s.as_bytes())
                        .map(|(k, _)| k.into_owned())
                        .next()
                        .unwrap_or_else(|| s.to_owned());
                    let stem = decoded
                        .rsplit_once('.')
                        .map_or(decoded.as_str(), |(stem, _)| stem);
                    // A `+` at an end decodes to a space: a name never
                    // keeps one (an import reading it back would trim it;
                    // found by the `opml` fuzz target).
                    let stem = stem.trim();
                    if stem.is_empty() {
                        url.to_owned()
                    } else {
                        stem.to_owned()
                    }
                },
            ),
    }
}

/// `en`, `de`, `pt-br`, `zh-hant`: a primary subtag of 2-3 letters and
/// optional subtags of 2-8 letters or digits.
pub fn is_language_tag(code: &str) -> bool {
    let mut parts = code.split(['-', '_']);
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn duration_value(value: &DeValue<'_>) -> Option<Duration> {
    match value {
        DeValue::Integer(i) => i
            .as_str()
            .replace('_', "")
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs),
        DeValue::String(s) => parse_duration(s),
        _ => None,
    }
}

/// `"90s"`, `"30m"`, `"2h"`, `"1d"`, `"12w"`, also `"1h30m"`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            ' ' => continue,
            _ => return None,
        };
        let n: u64 = number.parse().ok()?;
        number.clear();
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if !number.is_empty() {
        return None;
    }
    Some(Duration::from_secs(total))
}

/// Names and keywords are shown on screens: trimmed and made terminal-safe.
/// A feed's name is known by this form everywhere (`feeds list`, the
/// reader), so `feeds remove` matches it too.
pub(crate) fn clean(text: &str) -> String {
    crate::text::screen_safe(text.trim(), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceText;

    fn read_text(text: &str) -> (FeedsLayer, Vec<Diagnostic>) {
        let source = SourceText::new("c.toml", text);
        let mut r = DocReader::new(&source);
        let root = r.parse().map_err(|d| d.to_string()).unwrap();
        let layer = read(&mut r, root.get_ref());
        (layer, r.diagnostics)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(
            parse_duration("90d"),
            Some(Duration::from_secs(90 * 86_400))
        );
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("99999999999999999999w"), None);
    }

    #[test]
    fn a_feed_with_every_field() {
        let (layer, d) = read_text(
            "[[feeds]]\nurl = \"https://www.heise.de/rss/heise-atom.xml\"\nlang = \"DE\"\ntopics = [\"Tech\"]\nactors = \"Musk\"\nevery = \"30m\"\nkeep = \"90d\"\n",
        );
        assert!(d.is_empty(), "{d:?}");
        let feed = &layer.feeds.unwrap()[0];
        assert_eq!(feed.name, "heise.de");
        assert_eq!(feed.lang.as_deref(), Some("de"));
        assert_eq!(feed.actors, ["Musk"]);
        assert_eq!(feed.every, Some(Duration::from_secs(1800)));
        assert_eq!(feed.keep, Some(Keep::Age(Duration::from_secs(90 * 86_400))));
    }

    #[test]
    fn file_urls_are_named_after_the_file() {
        assert_eq!(
            name_from_url("file:///srv/feeds/tech%20news.xml"),
            "tech news"
        );
        assert_eq!(name_from_url("http://example.org/feed"), "example.org");
        // Found by the `opml` fuzz target: `+` decodes to a space, which an
        // export and import trimmed away, so the round trip changed a name.
        assert_eq!(name_from_url("file:///srv/feeds/tech+.xml"), "tech");
        assert_eq!(name_from_url("file:///srv/+.xml"), "file:///srv/+.xml");
    }

    #[test]
    fn bad_values_are_located() {
        let (_, d) = read_text(
            "[[feeds]]\nurl = \"ftp://x.org/f\"\n\n[[feeds]]\nurl = \"https://a.org/f\"\nevery = \"5s\"\nkeep = 0\nlang = \"english\"\n",
        );
        let shown: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert!(
            shown[0].starts_with("c.toml:2:7: error: feed 1: \"url\": the scheme \"ftp\""),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|s| s.starts_with("c.toml:6:9: error:")
                && s.contains("\"every\"")
                && s.ends_with("found \"5s\"")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("c.toml:7:8: error:") && s.contains("\"keep\"")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("c.toml:8:8: error:") && s.contains("\"lang\"")),
            "{shown:?}"
        );
    }

    #[test]
    fn names_are_unique_and_topics_need_keywords() {
        let (_, d) = read_text(
            "[[feeds]]\nurl = \"https://a.org/f\"\nname = \"A\"\n[[feeds]]\nurl = \"https://b.org/f\"\nname = \"a\"\n[[topics]]\nname = \"Chips\"\n",
        );
        let shown: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert!(
            shown.iter().any(|s| s.starts_with("c.toml:4:1: error:")
                && s.contains("already used by the feed at line 1:1")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.contains("missing required key \"keywords\"")),
            "{shown:?}"
        );
    }

    #[test]
    fn the_same_feed_twice_without_names_is_one_subscription_said_as_such() {
        let (layer, d) = read_text(
            "[[feeds]]\nurl = \"https://a.org/feed.xml\"\n[[feeds]]\nurl = \"https://a.org/feed.xml\"\n",
        );
        let shown: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "c.toml:3:1: warning: feed 2: the same feed as at line 1:1 (same URL and name): it is subscribed once (ignored)"
            ]
        );
        assert_eq!(layer.feeds.unwrap().len(), 1);
    }

    #[test]
    fn an_empty_keyword_is_said_where_it_is() {
        let (rules, d) = read_text("[[topics]]\nname = \"Chips\"\nkeywords = [\"GPU\", \" \"]\n");
        let shown: Vec<String> = d.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["c.toml:3:20: warning: topic 1: an empty keyword matches nothing (ignored)"]
        );
        assert_eq!(rules.topics.unwrap()[0].keywords, ["GPU"]);
    }

    #[test]
    fn feed_defaults_are_read_and_checked_like_a_feed() {
        let (layer, d) =
            read_text("[feed_defaults]\nevery = \"2h\"\nkeep = 500\nunread_on_change = false\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            layer.defaults,
            FeedDefaults {
                every: Some(Duration::from_secs(7200)),
                keep: Some(Keep::Items(500)),
                unread_on_change: Some(false),
            }
        );
        let (layer, d) = read_text(
            "[feed_defaults]\nevery = \"10s\"\nkeep = \"1h\"\nunread_on_change = \"no\"\nevry = \"1h\"\n",
        );
        assert_eq!(layer.defaults, FeedDefaults::default());
        let shown: Vec<String> = d.iter().map(ToString::to_string).collect();
        for (at, what) in [
            ("c.toml:2:9:", "\"every\""),
            ("c.toml:3:8:", "\"keep\""),
            ("c.toml:4:20:", "unread_on_change"),
            ("c.toml:5:1:", "evry"),
        ] {
            assert!(
                shown.iter().any(|s| s.starts_with(at) && s.contains(what)),
                "{at} {what}: {shown:?}"
            );
        }
        let (_, d) = read_text("feed_defaults = 3\n");
        assert!(d[0].to_string().starts_with("c.toml:1:17:"), "{d:?}");
    }

    #[test]
    fn a_feed_s_own_every_beats_the_default() {
        let (layer, _) = read_text(
            "[feed_defaults]\nevery = \"2h\"\n[[feeds]]\nurl = \"https://a.org/f\"\nevery = \"5m\"\n[[feeds]]\nurl = \"https://b.org/f\"\n",
        );
        let feeds = layer.feeds.unwrap();
        let defaults = FeedDefaults::default().over(layer.defaults);
        assert_eq!(
            defaults.every_for(&feeds[0]),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            defaults.every_for(&feeds[1]),
            Some(Duration::from_secs(7200))
        );
        let user = FeedDefaults {
            keep: Some(Keep::Items(3)),
            ..FeedDefaults::default()
        };
        assert_eq!(
            layer.defaults.over(user),
            FeedDefaults {
                every: Some(Duration::from_secs(7200)),
                keep: Some(Keep::Items(3)),
                unread_on_change: None,
            }
        );
    }

    #[test]
    fn too_many_feeds_is_an_error_not_a_slow_start() {
        let text = "[[feeds]]\nurl = \"https://a.org/f\"\n".repeat(MAX_FEEDS + 1);
        let (layer, d) = read_text(&text);
        assert!(layer.feeds.is_none());
        assert!(d[0].message.contains("at most 5000 subscriptions"), "{d:?}");
    }
}
