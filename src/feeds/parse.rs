//! A fetched feed (RSS 0.9x/2.0, RSS 1.0, Atom 1.0, JSON Feed 1.0/1.1)
//! into plain items: feed-rs does the formats, `decode` the encodings,
//! this file the leniency on top (odd dates, missing ids, located errors).
//! Pure: bytes in, items out.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use feed_rs::parser::ParseFeedError;

use super::decode::{self, Decoded};
use super::html;
use crate::diag::SourceText;

/// The most items taken from one feed document; the rest are reported.
pub const MAX_ITEMS: usize = 100_000;

/// A feed, parsed.
#[derive(Debug, Clone)]
pub struct ParsedFeed {
    pub format: &'static str,
    pub title: Option<String>,
    pub lang: Option<String>,
    /// The feed's own refresh hint (RSS `ttl`).
    pub ttl: Option<Duration>,
    pub encoding: &'static str,
    pub encoding_source: decode::Source,
    pub items: Vec<FeedItem>,
    /// Items beyond [`MAX_ITEMS`], dropped.
    pub dropped: usize,
}

/// One entry of a feed, with text as the publisher wrote it (HTML kept
/// for the renderer) and links made absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedItem {
    /// The guid / id when the feed gives one.
    pub guid: Option<String>,
    /// Plain text, one line.
    pub title: String,
    pub link: Option<String>,
    /// When the feed dates it (published, else updated); `None`: not dated,
    /// the time it was first seen is used and marked as such.
    pub date: Option<DateTime<Utc>>,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub categories: Vec<String>,
    pub authors: Vec<String>,
}

/// Why a feed could not be read, and where when the reason has a place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", position.map(|(l, c)| format!("{l}:{c}: ")).unwrap_or_default())]
pub struct ParseError {
    pub reason: String,
    /// Line and column in the decoded text.
    pub position: Option<(u32, u32)>,
}

/// Parses a feed body. `http_charset` from Content-Type; `url` resolves
/// relative links (`xml:base` inside the feed wins where it is set).
pub fn parse(
    bytes: &[u8],
    http_charset: Option<&str>,
    url: Option<&str>,
) -> Result<ParsedFeed, ParseError> {
    parse_decoded(decode::decode(bytes, http_charset), url)
}

/// [`parse`], taking the body: it becomes the decoded text (valid UTF-8
/// is not copied; another encoding's body is freed once decoded), and the
/// text is freed once parsed, so a large feed is not held twice.
pub fn parse_owned(
    bytes: Vec<u8>,
    http_charset: Option<&str>,
    url: Option<&str>,
) -> Result<ParsedFeed, ParseError> {
    parse_decoded(decode::decode_owned(bytes, http_charset), url)
}

fn parse_decoded(decoded: Decoded, url: Option<&str>) -> Result<ParsedFeed, ParseError> {
    let Decoded {
        mut text,
        encoding,
        source,
        ..
    } = decoded;
    let parser = feed_rs::parser::Builder::new()
        .base_uri(url)
        // An empty id tells us the feed had none; identity is ours to make.
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(parse_date)
        .build();
    let blanked = blank_declarations(&mut text);
    let parsed = match blanked {
        Some(_) => parser.parse(text.as_bytes()),
        None => parser.parse(without_declarations(&text).as_bytes()),
    };
    // JSON Feed says a reader coerces a numeric `id` to a string; feed-rs
    // wants strings, so such a feed is mended and read once more.
    let parsed = match parsed {
        Err(ParseFeedError::JsonSerde(e)) => {
            match json_ids_as_strings(&text).map(|mended| parser.parse(mended.as_bytes())) {
                Some(Ok(feed)) => Ok(feed),
                // Still refused: the first reason, whose place is in the text as written.
                _ => Err(ParseFeedError::JsonSerde(e)),
            }
        }
        other => other,
    };
    let feed = match parsed {
        Ok(feed) => feed,
        Err(e) => {
            if let Some(originals) = blanked {
                restore(&mut text, originals);
            }
            return Err(explain(&e, &text));
        }
    };
    drop(text);
    let format = match feed.feed_type {
        feed_rs::model::FeedType::Atom => "Atom 1.0",
        feed_rs::model::FeedType::JSON => "JSON Feed",
        feed_rs::model::FeedType::RSS0 => "RSS 0.9x",
        feed_rs::model::FeedType::RSS1 => "RSS 1.0",
        feed_rs::model::FeedType::RSS2 => "RSS 2.0",
    };
    let base = url.and_then(|u| url::Url::parse(u).ok());
    let total = feed.entries.len();
    let items = feed
        .entries
        .into_iter()
        .take(MAX_ITEMS)
        .map(|e| {
            let title = e.title.as_ref().map(text_of).unwrap_or_default();
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(e.links.first())
                .and_then(|l| absolute(l.href.trim(), base.as_ref()));
            FeedItem {
                guid: Some(e.id.trim().to_owned()).filter(|i| !i.is_empty()),
                title,
                link,
                date: e.published.or(e.updated),
                summary_html: e
                    .summary
                    .map(|s| s.content)
                    .filter(|s| !s.trim().is_empty()),
                content_html: e
                    .content
                    .and_then(|c| {
                        let plain = c.content_type.essence().to_string() == "text/plain";
                        c.body.map(|b| if plain { html_of_plain(&b) } else { b })
                    })
                    .filter(|s| !s.trim().is_empty()),
                categories: e
                    .categories
                    .into_iter()
                    .map(|c| c.label.unwrap_or(c.term).trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect(),
                authors: e.authors.into_iter().filter_map(|p| p.name).collect(),
            }
        })
        .collect();
    Ok(ParsedFeed {
        format,
        title: feed.title.as_ref().map(text_of).filter(|t| !t.is_empty()),
        lang: feed
            .language
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| super::config::is_language_tag(l)),
        ttl: feed.ttl.map(|m| Duration::from_secs(u64::from(m) * 60)),
        encoding,
        encoding_source: source,
        items,
        dropped: total.saturating_sub(MAX_ITEMS),
    })
}

/// A link made absolute (JSON Feed links are not resolved by feed-rs).
/// One that is no URL is kept as written, its control characters made
/// visible: it reaches the screen and the clipboard.
fn absolute(href: &str, base: Option<&url::Url>) -> Option<String> {
    if href.is_empty() {
        return None;
    }
    let as_written = || crate::text::sanitize(href, false).0;
    match url::Url::parse(href) {
        Ok(u) => Some(u.into()),
        Err(url::ParseError::RelativeUrlWithoutBase) => Some(
            base.and_then(|b| b.join(href).ok())
                .map_or_else(as_written, String::from),
        ),
        Err(_) => Some(as_written()),
    }
}

/// A title or other short text: HTML titles rendered, whitespace collapsed,
/// control characters made visible.
fn text_of(text: &feed_rs::model::Text) -> String {
    let raw = if text.content_type.to_string().contains("html") || text.content.contains('<') {
        html::plain(&text.content)
    } else {
        text.content.clone()
    };
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::text::screen_safe(&collapsed, false)
}

/// The JSON text with every item's numeric `id` (and the feed's own) as a
/// string and any other kind of id left empty, or `None` when it has none
/// or is no JSON object at all.
fn json_ids_as_strings(text: &str) -> Option<String> {
    use serde_json::Value;
    let mut doc: Value = serde_json::from_str(text).ok()?;
    let mut changed = false;
    let mut mend = |object: &mut serde_json::Map<String, Value>| {
        match object.get_mut("id") {
            Some(id) if id.is_number() => {
                *id = Value::String(id.to_string());
                changed = true;
            }
            // `true`, `null`, a list: no id at all (the item is known by
            // its link, else its title and date), rather than the whole
            // feed refused for one item.
            Some(id) if !id.is_string() => {
                *id = Value::String(String::new());
                changed = true;
            }
            _ => {}
        }
    };
    let root = doc.as_object_mut()?;
    mend(root);
    if let Some(items) = root.get_mut("items").and_then(Value::as_array_mut) {
        items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(&mut mend);
    }
    changed.then(|| doc.to_string())
}

/// A `serde_json` message without its trailing " at line L column C".
fn without_place(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    }
}

/// The reason in words, with line:col from the XML or JSON parser.
fn explain(error: &ParseFeedError, text: &str) -> ParseError {
    let source = SourceText::new("", text);
    match error {
        ParseFeedError::JsonSerde(e) => ParseError {
            // serde_json ends its message with the place, given apart here.
            reason: format!("invalid JSON Feed: {}", without_place(&e.to_string())),
            position: (e.line() > 0).then(|| {
                (
                    u32::try_from(e.line()).unwrap_or(u32::MAX),
                    u32::try_from(e.column()).unwrap_or(u32::MAX),
                )
            }),
        },
        ParseFeedError::JsonUnsupportedVersion(v) => ParseError {
            reason: format!(
                "unsupported JSON Feed version \"{}\"",
                crate::toml_doc::printable(v)
            ),
            position: None,
        },
        ParseFeedError::ParseError(feed_rs::parser::ParseErrorKind::NoFeedRoot) => {
            // A well-formed document of another kind, or broken XML.
            if let Some(e) = xml_error(text, &source) {
                return e;
            }
            // The first 2 KiB, cut at a character (a UTF-16 feed decodes to
            // three-byte characters that straddle any fixed byte offset).
            let lower = crate::text::cut_at_char(text, 2048).to_ascii_lowercase();
            let reason = if lower.contains("<html") || lower.contains("<!doctype html") {
                "an HTML page, not a feed (`aiwatch-tui feeds add` finds the feed a page links to)"
            } else if text.trim().is_empty() {
                "the document is empty"
            } else {
                "not a feed: no <rss>, <rdf:RDF> or <feed> element and no JSON Feed object"
            };
            ParseError {
                reason: reason.to_owned(),
                position: None,
            }
        }
        other => xml_error(text, &source).unwrap_or_else(|| ParseError {
            reason: other.to_string(),
            position: None,
        }),
    }
}

/// The text with every XML declaration (`<?xml ...?>`) blanked out, line
/// breaks kept so positions still hold. The text is already decoded, so a
/// declaration has nothing left to say, and the XML reader under feed-rs
/// panics when one names another encoding past its first 64 bytes (found
/// by fuzzing: a long first declaration, or a second one further on).
fn without_declarations(text: &str) -> std::borrow::Cow<'_, str> {
    let found = declarations(text);
    if found.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for at in found {
        out.push_str(&text[done..at.start]);
        out.extend(text[at.clone()].chars().map(blank));
        done = at.end;
    }
    out.push_str(&text[done..]);
    std::borrow::Cow::Owned(out)
}

/// [`without_declarations`] in the text itself, so that a large feed is not
/// held twice while it is parsed: returns the declarations as written, to
/// put back ([`restore`]) before an error is explained from the text. `None`,
/// the text untouched: a declaration holds a character of more than one
/// byte, which blanked in place would move the columns after it.
fn blank_declarations(text: &mut String) -> Option<Vec<(usize, String)>> {
    let found = declarations(text);
    if found.iter().any(|at| !text[at.clone()].is_ascii()) {
        return None;
    }
    let mut originals = Vec::with_capacity(found.len());
    for at in found {
        let blanked: String = text[at.clone()].chars().map(blank).collect();
        originals.push((at.start, text[at.clone()].to_owned()));
        text.replace_range(at, &blanked);
    }
    Some(originals)
}

/// Puts back the declarations [`blank_declarations`] blanked.
fn restore(text: &mut String, originals: Vec<(usize, String)>) {
    for (at, original) in originals {
        text.replace_range(at..at + original.len(), &original);
    }
}

/// A character of a declaration as blanked: line breaks kept.
fn blank(c: char) -> char {
    if c == '\n' { '\n' } else { ' ' }
}

/// Where the XML declarations of `text` are, in order; one left unclosed
/// ends the list (the parser reports it).
fn declarations(text: &str) -> Vec<std::ops::Range<usize>> {
    const OPEN: &str = "<?xml";
    let is_declaration = |at: usize| {
        text[at + OPEN.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_whitespace() || c == '?')
    };
    let mut found = Vec::new();
    let mut done = 0;
    for at in text
        .match_indices(OPEN)
        .map(|(at, _)| at)
        .filter(|&at| is_declaration(at))
    {
        if at < done {
            continue;
        }
        let Some(end) = text[at..].find("?>").map(|e| at + e + 2) else {
            break;
        };
        found.push(at..end);
        done = end;
    }
    found
}

/// The first XML syntax error, located.
fn xml_error(text: &str, source: &SourceText<'_>) -> Option<ParseError> {
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return None,
            Ok(_) => {}
            Err(e) => {
                let offset = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Some(ParseError {
                    reason: format!("malformed XML: {e}"),
                    position: Some(source.position(offset)),
                });
            }
        }
    }
}

/// Dates as publishers write them: RFC 3339 and RFC 2822 with their usual
/// slips (a missing `T` or seconds, a wrong weekday, zone names such as
/// `MEZ` or `EDT`, German month and day names, `GMT+2`), and plain
/// `2025-01-27`, `27.01.2025 14:03`. A date without a zone is UTC.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text.len() > 100 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.to_utc());
    }
    // `2025-01-27 14:03:00+01:00`, `2025-01-27T14:03Z`.
    let iso = text.replacen(' ', "T", 1);
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(&iso.replace('Z', "+00:00"), format) {
            return Some(d.to_utc());
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%Y/%m/%d %H:%M:%S",
    ] {
        let candidate = if format.contains('T') {
            iso.as_str()
        } else {
            text
        };
        if let Ok(d) = NaiveDateTime::parse_from_str(candidate, format) {
            return Some(d.and_utc());
        }
    }
    for format in ["%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(text, format) {
            return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
        }
    }
    rfc2822_lenient(text)
}

fn rfc2822_lenient(text: &str) -> Option<DateTime<Utc>> {
    // Drop the weekday (often wrong, or German), normalise names and zones.
    let mut words: Vec<String> = text
        .replace(',', " ")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if words
        .first()
        .is_some_and(|w| w.chars().all(char::is_alphabetic) && month_number(w).is_none())
    {
        words.remove(0);
    }
    // RFC 850 (old HTTP, still in some feeds): `06-Nov-94`.
    if let Some(first) = words.first()
        && let [day, month, year] = first.split('-').collect::<Vec<_>>()[..]
        && month_number(month).is_some()
    {
        let parts = [day.to_owned(), month.to_owned(), year.to_owned()];
        words.splice(0..1, parts);
    }
    // day month year time [zone]
    let day: u32 = words.first()?.trim_end_matches('.').parse().ok()?;
    let month = month_number(words.get(1)?)?;
    let mut year: i32 = words.get(2)?.parse().ok()?;
    if year < 100 {
        year += if year < 70 { 2000 } else { 1900 };
    }
    let time = words.get(3).map_or("00:00:00", String::as_str);
    let mut hms = time.split(':').map(|p| p.parse::<u32>().ok());
    let (h, m) = (hms.next()??, hms.next()??);
    let s = hms.next().flatten().unwrap_or(0);
    let offset = words.get(4).map_or(Some(0), |z| zone_offset(z))?;
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(h, m, s.min(59))?;
    Some((naive - chrono::Duration::seconds(i64::from(offset))).and_utc())
}

fn month_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    let months: [&[&str]; 12] = [
        &["jan", "january", "januar", "jänner", "jän"],
        &["feb", "february", "februar"],
        &["mar", "march", "märz", "mär", "mrz"],
        &["apr", "april"],
        &["may", "mai"],
        &["jun", "june", "juni"],
        &["jul", "july", "juli"],
        &["aug", "august"],
        &["sep", "sept", "september"],
        &["oct", "october", "okt", "oktober"],
        &["nov", "november"],
        &["dec", "december", "dez", "dezember"],
    ];
    months
        .iter()
        .position(|names| names.contains(&w.as_str()))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Seconds east of UTC for `+0100`, `-05:00`, `GMT+2`, `MEZ`, `EDT`...
fn zone_offset(zone: &str) -> Option<i32> {
    let z = zone.trim().to_ascii_uppercase();
    let named = match z.as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "WET" => Some(0),
        "CET" | "MEZ" | "BST" | "WEST" => Some(1),
        "CEST" | "MESZ" | "EET" => Some(2),
        "EEST" | "MSK" => Some(3),
        "EST" | "CDT" => Some(-5),
        "EDT" => Some(-4),
        "CST" | "MDT" => Some(-6),
        "MST" | "PDT" => Some(-7),
        "PST" => Some(-8),
        "JST" | "KST" => Some(9),
        _ => None,
    };
    if let Some(h) = named {
        return Some(h * 3600);
    }
    let rest = z
        .strip_prefix("GMT")
        .or_else(|| z.strip_prefix("UTC"))
        .unwrap_or(&z);
    let (sign, digits) = match rest.chars().next()? {
        '+' => (1, &rest[1..]),
        '-' => (-1, &rest[1..]),
        _ => return None,
    };
    let digits = digits.replace(':', "");
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// Plain text (a JSON Feed's `content_text`, an Atom `type="text"`
/// content) as the HTML the renderer reads: its blank lines stay
/// paragraph breaks and its line breaks stay line breaks, where HTML
/// would fold both into spaces.
fn html_of_plain(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("\r\n", "\n");
    let mut html = String::with_capacity(escaped.len() + 16);
    for paragraph in escaped.split("\n\n").map(str::trim) {
        if !paragraph.is_empty() {
            html.push_str("<p>");
            html.push_str(&paragraph.replace('\n', "<br>"));
            html.push_str("</p>");
        }
    }
    html
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_declaration_that_names_another_encoding_anywhere_is_no_panic() {
        // A second declaration further on, and a first one longer than the
        // XML reader's 64-byte look-ahead: both made feed-rs switch the
        // reader's encoding too late, which panics.
        let late = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>T</title>\n\
                    <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n\
                    <item><title>One</title><link>https://example.org/1</link></item></channel></rss>";
        let feed = parse(late.as_bytes(), None, None).expect("read, the stray declaration ignored");
        assert_eq!(feed.items.len(), 1);
        let long = format!(
            "<?xml version=\"1.0\"{} encoding=\"windows-1252\"?>\n<rss version=\"2.0\"><channel><title>T</title>\n\
             <item><title>Caf\u{e9}</title></item></channel></rss>",
            " ".repeat(100)
        );
        for charset in [None, Some("utf-8"), Some("iso-8859-1")] {
            let feed = parse(long.as_bytes(), charset, None).expect("read");
            assert_eq!(feed.items.len(), 1);
        }
        // Positions still point at the right line.
        let broken = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\">\n<channel><title>T</title></chanel></rss>";
        let error = parse(broken.as_bytes(), None, None).unwrap_err();
        assert_eq!(error.position.map(|p| p.0), Some(3), "{error:?}");
    }

    #[test]
    fn declarations_blanked_in_place_are_blanked_as_in_a_copy_and_put_back() {
        for text in [
            "<?xml version=\"1.0\"?>\n<rss/>",
            "<rss>\n<?xml version=\"1.0\"\n encoding=\"x\"?><a/><?xml?>",
            "<?xml version=\"1.0\"?><?xml-stylesheet href=\"s\"?><?xml unclosed",
            "no declaration",
            "",
        ] {
            let mut blanked = text.to_owned();
            let originals = super::blank_declarations(&mut blanked).expect("ASCII");
            assert_eq!(blanked, super::without_declarations(text), "{text:?}");
            super::restore(&mut blanked, originals);
            assert_eq!(blanked, text);
        }
        // Blanked byte by byte, a character of two bytes would be two
        // columns: left to the copy.
        let mut wide = "<?xml version=\"1.0\" x=\"\u{e9}\"?>\n<rss/>".to_owned();
        assert_eq!(super::blank_declarations(&mut wide), None);
        assert!(wide.starts_with("<?xml"));
    }

    use super::*;

    #[test]
    fn a_link_that_is_no_url_reaches_the_screen_without_control_characters() {
        // Found by the `feed` fuzz check: "http://[" is no URL, kept as written.
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"t",
            "items":[{"id":"1","url":"http://[\u001b[2J","title":"x"},
                     {"id":"2","url":"a\u0007b","title":"y"}]}"#;
        let feed = parse(json.as_bytes(), None, None).unwrap();
        let links: Vec<_> = feed.items.iter().map(|i| i.link.clone()).collect();
        assert_eq!(
            links,
            [
                Some("http://[\u{241b}[2J".to_owned()),
                Some("a\u{2407}b".to_owned())
            ]
        );
    }

    #[test]
    fn right_to_left_overrides_in_a_feed_never_reach_the_screen() {
        // Found by a fresh-eyes test: U+202E in a title reversed what a
        // bidi-aware terminal showed after it.
        let rss = "<rss version=\"2.0\"><channel><title>T \u{2067}x\u{2069}</title>\
                   <item><title>Invoice \u{202e}fdp.exe\u{202c} paid</title>\
                   <description>&lt;p&gt;Body \u{202e}txet&lt;/p&gt;</description></item>\
                   </channel></rss>";
        let feed = parse(rss.as_bytes(), None, None).unwrap();
        assert_eq!(feed.title.as_deref(), Some("T x"));
        assert_eq!(feed.items[0].title, "Invoice fdp.exe paid");
        let body =
            crate::feeds::html::render(feed.items[0].summary_html.as_deref().unwrap_or(""), None);
        let text = crate::feeds::html::plain_of(&body);
        assert!(!text.contains('\u{202e}'), "{text}");
        assert!(text.contains("Body txet"), "{text}");
    }

    #[test]
    fn a_document_that_is_no_feed_says_so_whatever_its_characters() {
        // Found by the `feed` fuzz target: byte 2048 fell inside a character.
        let text = format!("{}\u{6f72} rest", "x".repeat(2046));
        let e = parse(text.as_bytes(), None, None).unwrap_err();
        assert!(e.reason.contains("not a feed"), "{e}");
    }

    fn utc(text: &str) -> Option<String> {
        parse_date(text).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    #[test]
    fn odd_dates_that_publishers_write() {
        let cases = [
            ("2025-01-27T14:03:00+01:00", "2025-01-27 13:03:00"),
            ("2025-01-27 14:03:00", "2025-01-27 14:03:00"),
            ("2025-01-27T14:03Z", "2025-01-27 14:03:00"),
            ("Mon, 27 Jan 2025 14:03:00 +0100", "2025-01-27 13:03:00"),
            ("Tue, 27 Jan 2025 14:03:00 GMT", "2025-01-27 14:03:00"),
            ("Mo, 27 Jan 2025 14:03:00 MEZ", "2025-01-27 13:03:00"),
            ("27 Januar 2025 14:03 MESZ", "2025-01-27 12:03:00"),
            ("Mon, 27 Jan 25 14:03:00 EST", "2025-01-27 19:03:00"),
            ("Mon, 27 Jan 2025 14:03:00 GMT+2", "2025-01-27 12:03:00"),
            ("27.01.2025 14:03", "2025-01-27 14:03:00"),
            ("27.01.2025", "2025-01-27 00:00:00"),
            ("2025-01-27", "2025-01-27 00:00:00"),
            ("Monday, 27 Dez. 2024 08:00:00 +0000", "2024-12-27 08:00:00"),
            ("Sunday, 06-Nov-94 08:49:37 GMT", "1994-11-06 08:49:37"),
            ("Monday, 27-Jan-2025 14:03:00 +0100", "2025-01-27 13:03:00"),
        ];
        for (text, want) in cases {
            assert_eq!(utc(text).as_deref(), Some(want), "{text}");
        }
        for bad in [
            "",
            "soon",
            "32.01.2025",
            "Mon, 27 Foo 2025 14:03:00 GMT",
            "2025-13-01",
            "Sunday, 06-Foo-94 08:49:37 GMT",
        ] {
            assert_eq!(utc(bad), None, "{bad}");
        }
    }
}
