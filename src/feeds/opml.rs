//! OPML subscription lists: reading real exports leniently (missing
//! attributes, attribute names in any case, nested folders, stray `&`),
//! and writing OPML 2.0. Folders become topics of the feeds inside them,
//! their names read like `category` values (comma-separated).

use std::fmt::Write as _;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::config::Feed;
use crate::diag::SourceText;

/// The most outlines read from one file.
pub const MAX_OUTLINES: usize = 20_000;

/// A subscription found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    pub url: String,
    pub title: Option<String>,
    /// The folders it sits in (outermost first) and its `category` values.
    pub topics: Vec<String>,
}

/// What an OPML file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opml {
    pub outlines: Vec<Outline>,
    /// The file has an `<opml>` element that never ends: most likely cut
    /// short (a download or copy that stopped), so feeds may be missing.
    /// Read all the same (leniently), but worth a warning.
    pub cut_short: Option<Cut>,
}

/// Where a file cut short stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Line and column (1-based) just past the last character of the file
    /// (trailing blanks aside).
    pub position: (u32, u32),
    /// The file stops inside a tag (or a comment, an attribute value…):
    /// that unfinished tag is left out, the complete outlines before it
    /// are read.
    pub inside_tag: bool,
}

/// Why an OPML file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", position.map(|(l, c)| format!("{l}:{c}: ")).unwrap_or_default())]
pub struct OpmlError {
    pub reason: String,
    pub position: Option<(u32, u32)>,
}

/// Reads the feeds of an OPML document. Outlines without a feed URL are
/// folders; a document with no feed at all is an error, so an import of
/// the wrong file says so.
pub fn read(text: &str) -> Result<Opml, OpmlError> {
    let source = SourceText::new("", text);
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.trim_text(true);
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut found = Vec::new();
    let mut seen = 0usize;
    let mut saw_opml = false;
    let mut closed = false;
    let mut inside_tag = false;
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            // The input ended inside a tag, comment or attribute value. If
            // no `</opml>` follows, the file was cut there (a download that
            // stopped): read what came before, like a cut between tags. A
            // `</opml>` after it means the file goes on to its end and a
            // quote or `>` is missing: malformed.
            Err(quick_xml::Error::Syntax(_))
                if saw_opml && !closed && !ends_opml_after(text, reader.error_position()) =>
            {
                inside_tag = true;
                break;
            }
            Err(e) => {
                return Err(OpmlError {
                    reason: format!("malformed OPML: {e}"),
                    position: Some(source.position(offset(reader.error_position()))),
                });
            }
        };
        match event {
            Event::Start(tag) if local(&tag).eq_ignore_ascii_case("opml") => saw_opml = true,
            Event::Empty(tag) if local(&tag).eq_ignore_ascii_case("opml") => {
                (saw_opml, closed) = (true, true);
            }
            Event::End(tag) if tag.local_name().as_ref().eq_ignore_ascii_case("opml") => {
                closed = true;
            }
            Event::Start(ref tag) | Event::Empty(ref tag)
                if local(tag).eq_ignore_ascii_case("outline") =>
            {
                seen += 1;
                if seen > MAX_OUTLINES {
                    return Err(OpmlError {
                        reason: format!("more than {MAX_OUTLINES} outlines; split the file"),
                        position: None,
                    });
                }
                let opened = matches!(event, Event::Start(_));
                let attrs = attributes(tag);
                let get = |name: &str| {
                    attrs
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                };
                let title = get("title").or_else(|| get("text"));
                match get("xmlUrl").or_else(|| {
                    get("url")
                        .filter(|_| get("type").is_some_and(|t| t.eq_ignore_ascii_case("rss")))
                }) {
                    Some(url) => {
                        let mut topics = Vec::new();
                        for names in folders.iter().flatten() {
                            add_topics(&mut topics, names);
                        }
                        add_topics(&mut topics, &get("category").unwrap_or_default());
                        found.push(Outline { url, title, topics });
                        if opened {
                            folders.push(None);
                        }
                    }
                    None if opened => folders.push(title),
                    None => {}
                }
            }
            Event::End(tag) if tag.local_name().as_ref().eq_ignore_ascii_case("outline") => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_opml && found.is_empty() {
        return Err(OpmlError {
            reason: "not an OPML file: no <opml> element and no outline with an xmlUrl".to_owned(),
            position: None,
        });
    }
    Ok(Opml {
        outlines: found,
        cut_short: (saw_opml && !closed).then(|| Cut {
            position: source.position(text.trim_end().len()),
            inside_tag,
        }),
    })
}

/// A byte offset from the reader, within `usize` (the text is in memory).
fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// Whether the text from byte `at` on holds an `</opml` end tag (in any
/// case).
fn ends_opml_after(text: &str, at: u64) -> bool {
    let rest = text.as_bytes().get(offset(at)..).unwrap_or_default();
    rest.windows(b"</opml".len())
        .any(|w| w.eq_ignore_ascii_case(b"</opml"))
}

/// Topics from a folder's name or a `category` value, read alike so that
/// what [`write`] puts in `category` reads back the same: comma-separated,
/// slashes and spaces at the ends dropped, a topic already there (in any
/// case) not added again.
fn add_topics(topics: &mut Vec<String>, names: &str) {
    for c in names.split(',') {
        let c = c.trim().trim_matches('/').trim();
        if !c.is_empty() && !topics.iter().any(|t| t.eq_ignore_ascii_case(c)) {
            topics.push(c.to_owned());
        }
    }
}

fn local(tag: &BytesStart<'_>) -> String {
    tag.local_name().as_ref().to_owned()
}

/// Attributes by name; a value that does not unescape (a bare `&`) is
/// taken as written, and a broken attribute list keeps what came before.
fn attributes(tag: &BytesStart<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for attr in tag.html_attributes().with_checks(false) {
        let Ok(attr) = attr else { break };
        let key = attr.key.local_name().as_ref().to_owned();
        let raw = attr.value.to_string();
        let value =
            quick_xml::escape::unescape(&raw).map_or(raw.clone(), std::borrow::Cow::into_owned);
        out.push((key, value));
    }
    out
}

/// The subscriptions as an OPML 2.0 document.
pub fn write(feeds: &[Feed]) -> String {
    use quick_xml::escape::escape;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n    <title>aiwatch-tui subscriptions</title>\n  </head>\n  <body>\n",
    );
    for f in feeds {
        let _ = write!(
            out,
            "    <outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\"",
            escape(f.name.as_str()),
            escape(f.url.as_str())
        );
        if !f.topics.is_empty() {
            let _ = write!(out, " category=\"{}\"", escape(f.topics.join(",").as_str()));
        }
        if let Some(lang) = &f.lang {
            let _ = write!(out, " language=\"{}\"", escape(lang.as_str()));
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_exports_with_folders_and_missing_attributes() {
        let text = r#"<?xml version="1.0"?>
<opml version="1.0"><head><title>Export</title></head><body>
  <outline text="Tech" title="Tech">
    <outline text="heise" type="rss" xmlUrl="https://www.heise.de/rss/heise-atom.xml" htmlUrl="https://www.heise.de/"/>
    <outline xmlurl="https://example.org/feed?a=1&b=2"/>
    <outline text="KI"><outline title="Golem" XMLURL="https://rss.golem.de/rss.php?feed=RSS2.0" category="/Wirtschaft,/Tech"/></outline>
  </outline>
  <outline text="Blog" type="rss" xmlUrl="https://blog.example/feed.xml"></outline>
</body></opml>"#;
        let read = read(text).unwrap();
        assert_eq!(read.cut_short, None);
        let found = read.outlines;
        assert_eq!(found.len(), 4);
        assert_eq!(found[0].topics, ["Tech"]);
        assert_eq!(found[1].url, "https://example.org/feed?a=1&b=2");
        assert_eq!(found[1].title, None);
        assert_eq!(found[2].topics, ["Tech", "KI", "Wirtschaft"]);
        assert_eq!(found[3].topics, Vec::<String>::new());
    }

    #[test]
    fn folders_read_like_categories_so_an_export_reads_back_the_same() {
        // Found by the `opml` fuzz check: a folder "News, World" came back
        // from an export as two topics, "/Tech/" as "Tech", "tech" twice.
        let text = "<opml><body><outline text=\"News, World\"><outline text=\"/Tech/\">\
            <outline text=\"tech\"><outline xmlUrl=\"https://a.example/f\"/></outline>\
            </outline></outline></body></opml>";
        let found = read(text).unwrap().outlines;
        assert_eq!(found[0].topics, ["News", "World", "Tech"]);
    }

    /// A file that stops before `</opml>` (a download cut short) is read
    /// as far as it goes, and says so.
    #[test]
    fn a_file_cut_short_is_read_and_said() {
        let whole = "<opml version=\"2.0\"><body><outline xmlUrl=\"https://a.example/f\"/>\
            <outline xmlUrl=\"https://b.example/f\"/></body></opml>";
        let read_whole = read(whole).unwrap();
        assert_eq!(read_whole.cut_short, None);
        let cut = &whole[..whole.find("<outline xmlUrl=\"https://b").unwrap()];
        let read_cut = read(cut).unwrap();
        assert_eq!(
            read_cut.cut_short,
            Some(Cut {
                position: (1, 66),
                inside_tag: false
            })
        );
        assert_eq!(read_cut.outlines.len(), 1);
        assert_eq!(read("<opml/>").unwrap().cut_short, None);
    }

    /// A file cut inside a tag (in an attribute value, between attributes,
    /// in a comment) reads like one cut between tags: the complete outlines
    /// before the cut, the unfinished one left out, and where it stops.
    #[test]
    fn a_file_cut_inside_a_tag_is_read_like_one_cut_between_tags() {
        let head =
            "<opml version=\"2.0\"><body>\n<outline text=\"a\" xmlUrl=\"https://a.example/f\"/>\n";
        for tail in [
            "<outline text=\"x\" xmlUrl=\"http://a/",
            "<outline text='x' xmlUrl='http://a/",
            "<outline text=\"x\" ",
            "<outl",
            "<",
            "<!-- more ",
            "<outline text=\"x\" xmlUrl=\"http://a/\">\n<outline xmlUrl=\"http://b/",
        ] {
            let text = format!("{head}{tail}");
            let read = read(&text).unwrap_or_else(|e| panic!("{tail}: {e}"));
            let want = usize::from(tail.contains("\">\n"));
            assert_eq!(read.outlines.len(), 1 + want, "{tail}");
            assert_eq!(read.outlines[0].url, "https://a.example/f");
            let cut = read.cut_short.unwrap();
            assert!(cut.inside_tag, "{tail}");
            let last = tail.lines().last().unwrap();
            let line = u32::try_from(2 + tail.lines().count()).unwrap();
            let col = u32::try_from(last.trim_end().chars().count()).unwrap() + 1;
            assert_eq!(cut.position, (line, col), "{tail}");
        }
        // Cut before any <opml>: no OPML file to speak of.
        assert!(read("<opml").is_err());
    }

    #[test]
    fn the_wrong_file_says_so() {
        assert!(
            read("<html><body>hi</body></html>")
                .unwrap_err()
                .reason
                .contains("not an OPML")
        );
        let e = read("<opml><body>\n<outline text=\"a\" xmlUrl=\"x\"/>\n<outline text=\"b\" xmlUrl=\"y></body></opml>").unwrap_err();
        assert!(e.position.is_some(), "{e}");
    }
}
