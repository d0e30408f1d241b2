//! HTML from a feed item into the content model's blocks for the
//! terminal: paragraphs, list items, quotes, code and headings kept, links
//! numbered and listed at the end, scripts, styles, frames and tracking
//! pixels dropped, images as `[image: alt]`. Control characters are made
//! visible exactly as the content loader does. Pure: no I/O.

use std::fmt::Write as _;

use html5gum::{DefaultEmitter, Token, Tokenizer};
use url::Url;

use crate::content::Block;

/// Elements whose whole content is dropped.
const DROPPED: &[&str] = &[
    "script", "style", "iframe", "noscript", "object", "embed", "svg", "math", "template", "head",
    "title", "form", "button", "select", "textarea", "video", "audio", "canvas",
];
/// Elements that end the paragraph before and after them.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "main",
    "figure",
    "figcaption",
    "table",
    "tr",
    "dl",
    "dt",
    "dd",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "li",
    "address",
    "details",
    "summary",
    "center",
];
/// The most links numbered in one item; later ones keep only their text.
pub const MAX_LINKS: usize = 200;
/// The deepest nesting of quotes (`>` marks) and lists (indentation)
/// shown; deeper ones look like this deep. Marks repeated on every line
/// for any depth let a small document render to a quadratic amount of
/// text (600 nested quotes, 1,500 lines: 1.8 MB from 15 KB).
pub const MAX_DEPTH_SHOWN: usize = 8;

/// An item's body for the terminal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The text blocks, then one `[n] URL` item per numbered link.
    pub blocks: Vec<Block>,
    /// The numbered links, `[1]` first.
    pub links: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Paragraph,
    Item,
    Quote,
    Code,
}

struct Renderer<'b> {
    base: Option<&'b Url>,
    blocks: Vec<Block>,
    links: Vec<String>,
    text: String,
    kind: Kind,
    /// Open lists: ordered?, next number.
    lists: Vec<(bool, u32)>,
    quote_depth: usize,
    pre_depth: usize,
    /// Inside a dropped element: its name and nesting.
    dropping: Option<(String, usize)>,
    /// An open `<a>`: its link number, if it got one.
    anchors: Vec<Option<usize>>,
}

/// Renders HTML; relative links and image sources resolve against `base`.
pub fn render(html: &str, base: Option<&Url>) -> Rendered {
    let mut emitter = DefaultEmitter::default();
    // Script and style bodies are raw text: without state switching a `<`
    // inside them would be read as a tag.
    emitter.naively_switch_states(true);
    let mut r = Renderer {
        base,
        blocks: Vec::new(),
        links: Vec::new(),
        text: String::new(),
        kind: Kind::Paragraph,
        lists: Vec::new(),
        quote_depth: 0,
        pre_depth: 0,
        dropping: None,
        anchors: Vec::new(),
    };
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        match token {
            Token::StartTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                let attr = |key: &str| {
                    tag.attributes
                        .get(key.as_bytes())
                        .map(|v| String::from_utf8_lossy(&v.value).into_owned())
                };
                if let Some((dropped, depth)) = &mut r.dropping {
                    if *dropped == name && !tag.self_closing {
                        *depth += 1;
                    }
                    continue;
                }
                if DROPPED.contains(&name.as_str()) {
                    if !tag.self_closing {
                        r.dropping = Some((name, 1));
                    }
                    continue;
                }
                r.start(&name, &attr, tag.self_closing);
            }
            Token::EndTag(tag) => {
                let name = String::from_utf8_lossy(&tag.name).to_ascii_lowercase();
                if let Some((dropped, depth)) = &mut r.dropping {
                    if *dropped == name {
                        *depth -= 1;
                        if *depth == 0 {
                            r.dropping = None;
                        }
                    }
                    continue;
                }
                r.end(&name);
            }
            Token::String(s) if r.dropping.is_none() => {
                r.push_text(&String::from_utf8_lossy(&s.value));
            }
            _ => {}
        }
    }
    r.flush();
    for (i, link) in r.links.iter().enumerate() {
        r.blocks.push(Block::Item(format!("[{}] {link}", i + 1)));
    }
    Rendered {
        blocks: r.blocks,
        links: r.links,
    }
}

impl Renderer<'_> {
    fn start(&mut self, name: &str, attr: &dyn Fn(&str) -> Option<String>, self_closing: bool) {
        match name {
            "br" => {
                if self.pre_depth > 0 || self.kind == Kind::Code {
                    self.text.push('\n');
                } else {
                    // A line break inside a paragraph: keep it as a break.
                    self.trim_trailing_space();
                    if self.text.ends_with('\n') && self.kind != Kind::Item {
                        // Two in a row show a blank line in a browser: a
                        // paragraph break (more collapse into it).
                        self.flush();
                    } else {
                        self.text.push('\n');
                    }
                }
            }
            "img" => self.image(attr),
            "a" => {
                let href = attr("href").and_then(|h| self.resolve(&h));
                let number = href.map(|h| {
                    if let Some(i) = self.links.iter().position(|l| *l == h) {
                        i + 1
                    } else if self.links.len() < MAX_LINKS {
                        self.links.push(h);
                        self.links.len()
                    } else {
                        0
                    }
                });
                if !self_closing {
                    self.anchors.push(number.filter(|n| *n > 0));
                }
            }
            "li" => {
                self.flush();
                self.kind = Kind::Item;
                let depth = self.lists.len();
                let marker = match self.lists.last_mut() {
                    Some((true, n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => String::new(),
                };
                if depth > 1 {
                    self.text
                        .push_str(&"  ".repeat(depth.min(MAX_DEPTH_SHOWN) - 1));
                    if marker.is_empty() {
                        self.text.push_str("◦ ");
                    }
                }
                self.text.push_str(&marker);
            }
            "ul" | "ol" | "menu" => {
                self.flush();
                let start = attr("start")
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(1);
                self.lists.push((name == "ol", start));
            }
            "blockquote" => {
                self.flush();
                self.quote_depth += 1;
            }
            "pre" => {
                self.flush();
                self.pre_depth += 1;
            }
            "td" | "th" => self.push_text(" "),
            _ if BLOCKS.contains(&name) => self.flush(),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "a" => {
                if let Some(Some(n)) = self.anchors.pop() {
                    self.trim_trailing_space();
                    let _ = write!(self.text, " [{n}]");
                }
            }
            "ul" | "ol" | "menu" => {
                self.flush();
                self.lists.pop();
            }
            "blockquote" => {
                self.flush();
                self.quote_depth = self.quote_depth.saturating_sub(1);
            }
            "pre" => {
                self.flush();
                self.pre_depth = self.pre_depth.saturating_sub(1);
            }
            _ if BLOCKS.contains(&name) => self.flush(),
            _ => {}
        }
    }

    fn image(&mut self, attr: &dyn Fn(&str) -> Option<String>) {
        let tiny = |key: &str| {
            attr(key).is_some_and(|v| {
                v.trim()
                    .trim_end_matches("px")
                    .parse::<f32>()
                    .is_ok_and(|n| n <= 2.0)
            })
        };
        let src = attr("src").unwrap_or_default().to_ascii_lowercase();
        let tracker = [
            "pixel",
            "beacon",
            "/~r/",
            "tracking",
            "/open.gif",
            "stats.wordpress",
        ]
        .iter()
        .any(|t| src.contains(t));
        let alt = attr("alt").map(|a| collapse(&a)).unwrap_or_default();
        // Tracking pixels: 1x1, or a known counter without words.
        if tiny("width") || tiny("height") || (tracker && alt.is_empty()) {
            return;
        }
        let shown = if alt.is_empty() {
            "[image]".to_owned()
        } else {
            format!("[image: {alt}]")
        };
        self.push_text(&shown);
    }

    fn resolve(&self, href: &str) -> Option<String> {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') {
            return None;
        }
        let url = match Url::parse(href) {
            Ok(u) => u,
            Err(url::ParseError::RelativeUrlWithoutBase) => self.base?.join(href).ok()?,
            Err(_) => return None,
        };
        is_web_link(&url).then(|| url.to_string())
    }

    fn push_text(&mut self, text: &str) {
        if self.pre_depth > 0 {
            if self.text.is_empty() {
                self.kind = Kind::Code;
            }
            self.text.push_str(text);
            return;
        }
        for c in text.chars() {
            if c.is_whitespace() {
                if !self.text.is_empty() && !self.text.ends_with([' ', '\n']) {
                    self.text.push(' ');
                }
            } else {
                if self.text.is_empty() && self.kind == Kind::Paragraph && self.quote_depth > 0 {
                    self.kind = Kind::Quote;
                }
                self.text.push(c);
            }
        }
    }

    fn trim_trailing_space(&mut self) {
        while self.text.ends_with(' ') {
            self.text.pop();
        }
    }

    /// Ends the current block, if it has any text.
    fn flush(&mut self) {
        let kind = std::mem::replace(&mut self.kind, Kind::Paragraph);
        let raw = std::mem::take(&mut self.text);
        let text = if kind == Kind::Code {
            // Code keeps its lines and indentation; only the blank edges go.
            raw.trim_matches('\n').trim_end().to_owned()
        } else {
            raw.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        if text.trim().is_empty() {
            return;
        }
        let text = crate::text::screen_safe(&text, true);
        self.blocks.push(match kind {
            Kind::Item => Block::Item(text),
            Kind::Quote => Block::Paragraph(
                text.lines()
                    .map(|l| {
                        format!(
                            "{} {l}",
                            ">".repeat(self.quote_depth.clamp(1, MAX_DEPTH_SHOWN))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Kind::Code => Block::Paragraph(
                text.lines()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Kind::Paragraph => Block::Paragraph(text),
        });
    }
}

/// Whitespace runs as one space, trimmed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Plain text of an HTML fragment on one line (titles, summaries for tagging).
pub fn plain(html: &str) -> String {
    plain_of(&render(html, None))
}

/// [`plain`] of what `html` rendered to: the same text when the base did
/// not matter, which only links use (see [`base_matters`]).
pub fn plain_of(rendered: &Rendered) -> String {
    rendered
        .blocks
        .iter()
        .take(rendered.blocks.len() - rendered.links.len())
        .map(Block::text)
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\n', " ")
}

/// Whether rendering `html` against a base can differ from rendering it
/// without one: only an `<a>` resolves a URL. Conservative (any tag name
/// starting with `a` counts), so a summary that is also the body is
/// rendered once rather than twice when it holds no link.
pub fn base_matters(html: &str) -> bool {
    memchr::memchr_iter(b'<', html.as_bytes())
        .any(|i| matches!(html.as_bytes().get(i + 1), Some(b'a' | b'A')))
}

/// Whether a link is one the reader numbers in a body and hands to a
/// browser on `b`: a web address, never `javascript:`, `data:` or `file:`.
pub fn is_web_link(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https" | "mailto" | "ftp" | "gemini")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Block {
        Block::Paragraph(t.into())
    }
    fn i(t: &str) -> Block {
        Block::Item(t.into())
    }

    #[test]
    fn the_body_gives_the_plain_summary_when_the_base_does_not_matter() {
        let base = Url::parse("https://x.org/news/").unwrap();
        for html in [
            "<p>Nvidia <b>verliert</b>.</p><ul><li>eins</li></ul>",
            "Text&lt;br/&gt;more<br/><br/>and <img src=\"i.png\" alt=\"Chart\"> end",
            "<blockquote>Quote</blockquote><pre>  code\n line</pre>",
            "<p>A <a href=\"/rel\">link</a></p>",
            "<P>Upper <A HREF=\"rel\">link</A></P>",
            "<abbr>EU</abbr> and <article>x</article>",
        ] {
            let rendered = render(html, Some(&base));
            if !base_matters(html) {
                assert_eq!(plain_of(&rendered), plain(html), "{html}");
            }
        }
        assert!(base_matters("<p><a href=\"/x\">x</a></p>"));
        assert!(base_matters("<A HREF=x>x</A>"));
        assert!(!base_matters("<p>a &lt; b, <b>bold</b></p>"));
    }

    #[test]
    fn paragraphs_lists_quotes_code_and_headings() {
        let html = "<h2>Der Chip-Streit</h2><p>Nvidia   verliert\n an <b>Wert</b>.</p>\
            <ul><li>erstens</li><li>zweitens<ul><li>tief</li></ul></li></ul>\
            <ol start=\"3\"><li>drei</li><li>vier</li></ol>\
            <blockquote><p>Wir sind vorn.</p></blockquote>\
            <pre><code>fn main() {\n    run();\n}</code></pre>";
        assert_eq!(
            render(html, None).blocks,
            vec![
                p("Der Chip-Streit"),
                p("Nvidia verliert an Wert."),
                i("erstens"),
                i("zweitens"),
                i("◦ tief"),
                i("3. drei"),
                i("4. vier"),
                p("> Wir sind vorn."),
                p("    fn main() {\n        run();\n    }"),
            ]
        );
    }

    #[test]
    fn links_are_numbered_once_and_resolved() {
        let base = Url::parse("https://example.org/news/item.html").unwrap();
        let html = "<p>See <a href=\"/a\">the filing</a> and <a href=\"https://x.org/\">this</a>, \
            again <a href=\"/a\">here</a>; <a href=\"javascript:alert(1)\">no</a>.</p>";
        let r = render(html, Some(&base));
        assert_eq!(r.links, ["https://example.org/a", "https://x.org/"]);
        assert_eq!(
            r.blocks,
            vec![
                p("See the filing [1] and this [2], again here [1]; no."),
                i("[1] https://example.org/a"),
                i("[2] https://x.org/"),
            ]
        );
    }

    #[test]
    fn scripts_styles_frames_and_pixels_are_dropped() {
        let html = "<p>Before<script>if (a < b) { document.write('<p>x</p>') }</script>\
            <style>p { color: red }</style> after</p>\
            <iframe src=\"https://ads.example\"><p>frame</p></iframe>\
            <img src=\"https://feeds.feedburner.com/~r/x/~4/abc\" />\
            <img src=\"https://t.example/p.gif\" width=\"1\" height=\"1\" alt=\"\">\
            <p><img src=\"chart.png\" alt=\"Kurs der  Nvidia-Aktie\"> <img src=\"y.png\"></p>";
        assert_eq!(
            render(html, None).blocks,
            vec![
                p("Before after"),
                p("[image: Kurs der Nvidia-Aktie] [image]"),
            ]
        );
    }

    #[test]
    fn entities_and_control_characters() {
        let html = "<p>AT&amp;T &mdash; M&uuml;nchen &#8220;KI&#8221; \u{1b}[2J</p>";
        assert_eq!(
            render(html, None).blocks,
            vec![p("AT&T — München “KI” \u{241b}[2J")]
        );
    }

    #[test]
    fn deep_quotes_show_a_bounded_number_of_marks() {
        let html = format!("{}a<br>b", "<blockquote>".repeat(600));
        let marks = ">".repeat(MAX_DEPTH_SHOWN);
        assert_eq!(
            render(&html, None).blocks,
            vec![p(&format!("{marks} a\n{marks} b"))]
        );
    }

    #[test]
    fn line_breaks_and_plain_text() {
        assert_eq!(
            render("eins<br>zwei<br/>drei", None).blocks,
            vec![p("eins\nzwei\ndrei")]
        );
        // Two breaks are a blank line (a paragraph break), as a browser
        // shows them; three or more are one blank line too.
        assert_eq!(
            render(
                "<br><br>eins<br/><br/>zwei <br> <br><br>\n<br>drei<br>vier<br><br>",
                None
            )
            .blocks,
            vec![p("eins"), p("zwei"), p("drei\nvier")]
        );
        assert_eq!(
            render("<blockquote>a<br><br>b</blockquote>", None).blocks,
            vec![p("> a"), p("> b")]
        );
        assert_eq!(
            plain("<p>a <a href=\"https://x.org\">b</a></p><p>c</p>"),
            "a b [1] c"
        );
    }
}
