//! Text laid out for a given width: a section's heading, metadata and body
//! (the reading pane, and `show` on the command line), and the overlays'
//! text. The reader builds it in `update` (cached per section and width),
//! never in `draw`. Widths are display columns (unicode-width), so wide and
//! combining characters wrap correctly.

use textwrap::Options;
use unicode_width::UnicodeWidthStr;

use crate::config::Role;
use crate::content::{Block, BodyError, Library, SectionId};
use crate::i18n::{Strings, fill};

/// How a span is painted: a theme role, or a configured actor's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    Role(Role),
    Actor(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub paint: Paint,
}

impl Span {
    pub fn new(text: impl Into<String>, role: Role) -> Self {
        Self {
            text: text.into(),
            paint: Paint::Role(role),
        }
    }
}

pub type Line = Vec<Span>;

/// Wraps text into lines of at most `width` columns, with indents.
pub fn wrap(text: &str, width: u16, first: &str, rest: &str, role: Role) -> Vec<Line> {
    let options = Options::new(usize::from(width.max(1)))
        .initial_indent(first)
        .subsequent_indent(rest);
    textwrap::wrap(text, options)
        .into_iter()
        .map(|l| vec![Span::new(l.into_owned(), role)])
        .collect()
}

/// Lays out a label and items (`Actors: Musk, OpenAI`) over as many lines
/// as needed, keeping each item whole where it fits on a line.
pub fn flow(label: &str, items: Vec<Span>, width: u16) -> Vec<Line> {
    let width = usize::from(width.max(1));
    let mut lines = vec![vec![Span::new(format!("{label}: "), Role::Label)]];
    let mut used = label.width() + 2;
    let count = items.len();
    for (i, mut item) in items.into_iter().enumerate() {
        if i + 1 < count {
            item.text.push(',');
        }
        let w = item.text.width();
        if used > label.width() + 2 && used + 1 + w > width {
            lines.push(vec![Span::new("  ", Role::Label)]);
            used = 2;
        } else if i > 0 {
            if let Some(line) = lines.last_mut() {
                line.push(Span::new(" ", Role::Body));
            }
            used += 1;
        }
        used += w;
        if let Some(line) = lines.last_mut() {
            line.push(item);
        }
    }
    lines
}

/// The reading pane's text for one section at one width.
pub fn section_lines(
    library: &Library,
    strings: &Strings,
    section: SectionId,
    width: u16,
    fallback_note: Option<&str>,
    body_limit: Option<BodyLimit>,
) -> Vec<Line> {
    let mut lines = head_lines(library, strings, section, width, fallback_note);
    each_body_line(library, strings, section, width, body_limit, &mut |l| {
        lines.push(l);
    });
    lines
}

/// The same text handed out line by line as it is laid out, the body
/// never cut: `show` prints a section of megabytes without holding its
/// whole layout.
pub fn each_section_line(
    library: &Library,
    strings: &Strings,
    section: SectionId,
    width: u16,
    emit: &mut dyn FnMut(Line),
) {
    for line in head_lines(library, strings, section, width, None) {
        emit(line);
    }
    each_body_line(library, strings, section, width, None, emit);
}

/// Everything above the body: title, heading, date, tags, link, sources.
fn head_lines(
    library: &Library,
    strings: &Strings,
    section: SectionId,
    width: u16,
    fallback_note: Option<&str>,
) -> Vec<Line> {
    let s = &library.sections[section];
    let article = &library.articles[s.article];
    let mut lines = Vec::new();
    let count = article.sections.len();
    let position = if count > 1 {
        let of = fill(
            &strings.ui.section_of,
            &[
                ("index", &(s.index + 1).to_string()),
                ("count", &count.to_string()),
            ],
        );
        format!(" · {of}")
    } else {
        String::new()
    };
    lines.extend(wrap(
        &format!("{}{position}", article.title),
        width,
        "",
        "",
        Role::Kicker,
    ));
    lines.extend(wrap(&s.heading, width, "", "", Role::Heading));
    let mut meta = strings.date_long(s.date);
    if let Some(source) = &article.source {
        meta.push_str(" · ");
        meta.push_str(source);
    }
    lines.extend(wrap(&meta, width, "", "", Role::Meta));
    if !s.actors.is_empty() {
        // Configured actors first, in config order (as in the header and
        // the timeline's markers); then the others as tagged.
        let mut tags: Vec<&(String, usize)> = s.actor_tags.iter().collect();
        tags.sort_by_key(|(_, a)| library.actors[*a].configured.unwrap_or(usize::MAX));
        let items = tags
            .into_iter()
            .map(|(tag, a)| Span {
                text: tag.clone(),
                paint: library.actors[*a]
                    .configured
                    .map_or(Paint::Role(Role::Meta), Paint::Actor),
            })
            .collect();
        lines.extend(flow(&strings.ui.actors, items, width));
    }
    if !s.topics.is_empty() {
        let items = s
            .topics
            .iter()
            .map(|&t| Span::new(library.topics[t].clone(), Role::Topic))
            .collect();
        lines.extend(flow(&strings.ui.topics_label, items, width));
    }
    if let Some(url) = s.url.as_ref().or(article.url.as_ref()) {
        let label = format!("{}: ", strings.ui.link);
        let mut wrapped = wrap(
            url,
            width.saturating_sub(label.width() as u16).max(8),
            "",
            "",
            Role::Link,
        );
        for (i, line) in wrapped.iter_mut().enumerate() {
            let prefix = if i == 0 {
                label.clone()
            } else {
                " ".repeat(label.width())
            };
            line.insert(0, Span::new(prefix, Role::Label));
        }
        lines.extend(wrapped);
    }
    lines.extend(story_lines(library, strings, section, width));
    if let Some(note) = fallback_note {
        lines.extend(wrap(note, width, "", "", Role::Warning));
    }
    lines
}

/// For a story told by several outlets: "Sources:" and each outlet's name
/// and link (links drawn as links, so each is openable where the terminal
/// has OSC 8; `y`/`b` act on the open one's).
fn story_lines(library: &Library, strings: &Strings, section: SectionId, width: u16) -> Vec<Line> {
    let Some(story) = library.fetched.story(section) else {
        return Vec::new();
    };
    let mut lines = wrap(
        &format!("{}:", strings.ui.sources_label),
        width,
        "",
        "",
        Role::Label,
    );
    for &s in story {
        let article = &library.articles[library.sections[s].article];
        let name = article.source.clone().unwrap_or_default();
        let prefix = format!("{} {name}: ", if s == section { "▸" } else { "·" });
        let url = library.sections[s]
            .url
            .as_ref()
            .or(article.url.as_ref())
            .cloned()
            .unwrap_or_default();
        let mut wrapped = wrap(
            &url,
            width.saturating_sub(prefix.width() as u16).max(8),
            "",
            "",
            Role::Link,
        );
        for (i, line) in wrapped.iter_mut().enumerate() {
            let lead = if i == 0 {
                prefix.clone()
            } else {
                " ".repeat(prefix.width())
            };
            line.insert(0, Span::new(lead, Role::Meta));
        }
        lines.extend(wrapped);
    }
    lines
}

/// A section's body, or a note saying why it cannot be read.
/// How much of a section's text the reading pane lays out: a feed item
/// may be megabytes of one paragraph, and its layout (kept per width,
/// painted again for every search keystroke) would take seconds and a
/// gigabyte; a long report fits many times over.
pub const READER_BODY_LIMIT: usize = 256 * 1024;

/// How much of a body the reading pane lays out, and how its cut is said.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    /// Bytes of text laid out at most.
    pub bytes: usize,
    /// Whether the reader can run `aiwatch-tui show` where it reads: a
    /// reader served over SSH has no command line on the server, so its
    /// notice does not send it to one.
    pub has_command_line: bool,
}

/// The body's blocks laid out, at most `limit` bytes of their text (the
/// rest said in one line, with how to print it whole), line by line.
fn each_body_line(
    library: &Library,
    strings: &Strings,
    section: SectionId,
    width: u16,
    limit: Option<BodyLimit>,
    emit: &mut dyn FnMut(Line),
) {
    let body = match library.body(section) {
        Ok(body) => body,
        Err(e) => {
            emit(Vec::new());
            let message = match e {
                BodyError::Gone => strings.ui.body_gone.clone(),
                BodyError::Read(reason) => {
                    fill(&strings.ui.body_unreadable, &[("reason", &reason)])
                }
            };
            wrap(&message, width, "", "", Role::Warning)
                .into_iter()
                .for_each(&mut *emit);
            return;
        }
    };
    let mut previous_item = false;
    let mut budget = limit.map_or(usize::MAX, |l| l.bytes);
    let mut left_out = 0;
    for block in body.iter() {
        let (Block::Paragraph(whole) | Block::Item(whole)) = block;
        if budget == 0 {
            left_out += whole.len();
            continue;
        }
        let text = crate::text::cut_at_char(whole, budget);
        budget -= text.len();
        left_out += whole.len() - text.len();
        let is_item = matches!(block, Block::Item(_));
        if !(is_item && previous_item) {
            emit(Vec::new());
        }
        if is_item {
            let mut first = true;
            wrap_in_pieces(text, width.saturating_sub(2).max(1), &mut |mut line| {
                let bullet = if std::mem::take(&mut first) {
                    "• "
                } else {
                    "  "
                };
                line.insert(0, Span::new(bullet, Role::Bullet));
                emit(line);
            });
        } else {
            wrap_in_pieces(text, width, emit);
        }
        previous_item = is_item;
    }
    if left_out > 0 {
        let s = &library.sections[section];
        let id = format!("{}#{}", library.articles[s.article].id, s.index + 1);
        // Megabytes past ten of them: no long numbers to group.
        let size = if left_out >= 10_000_000 {
            format!("{} MB", left_out.div_ceil(1_000_000))
        } else {
            format!("{} KB", left_out.div_ceil(1000))
        };
        emit(Vec::new());
        let template = match limit {
            Some(l) if !l.has_command_line => &strings.ui.body_cut_served,
            _ => &strings.ui.body_cut,
        };
        let note = fill(template, &[("size", &size), ("id", &id)]);
        wrap(&note, width, "", "", Role::Warning)
            .into_iter()
            .for_each(emit);
    }
}

/// Wraps body text; text longer than the reader lays out (only `show`
/// gets such) in pieces cut after a space, so a paragraph of megabytes
/// never has all its words and lines in memory at once. Within the
/// reader's limit the lines are exactly those of one wrap.
fn wrap_in_pieces(text: &str, width: u16, emit: &mut dyn FnMut(Line)) {
    let mut rest = text;
    while !rest.is_empty() {
        let mut piece = crate::text::cut_at_char(rest, READER_BODY_LIMIT);
        if piece.len() < rest.len()
            && let Some(space) = piece.rfind(' ')
            && space > 0
        {
            piece = &piece[..=space];
        }
        wrap(piece, width, "", "", Role::Body)
            .into_iter()
            .for_each(&mut *emit);
        rest = &rest[piece.len()..];
    }
}

/// The same lines with every occurrence of the query's words painted as
/// matches. Works on characters, so the highlight lands on the right cells
/// whatever their width.
pub fn highlight(lines: &[Line], query: &crate::query::SearchQuery) -> Vec<Line> {
    lines
        .iter()
        .map(|line| {
            let text: String = line.iter().map(|s| s.text.as_str()).collect();
            let ranges = query.find_in(&text);
            if ranges.is_empty() {
                return line.clone();
            }
            let mut out: Line = Vec::new();
            let mut index = 0; // character index into the whole line
            for span in line {
                let mut current = String::new();
                let mut current_match = None;
                for c in span.text.chars() {
                    let is_match = ranges.iter().any(|&(a, b)| index >= a && index < b);
                    if current_match.is_some_and(|m| m != is_match) {
                        out.push(painted(
                            std::mem::take(&mut current),
                            span.paint,
                            current_match == Some(true),
                        ));
                    }
                    current_match = Some(is_match);
                    current.push(c);
                    index += 1;
                }
                if !current.is_empty() {
                    out.push(painted(current, span.paint, current_match == Some(true)));
                }
            }
            out
        })
        .collect()
}

fn painted(text: String, paint: Paint, is_match: bool) -> Span {
    Span {
        text,
        paint: if is_match {
            Paint::Role(Role::Match)
        } else {
            paint
        },
    }
}

/// Display width of a laid-out line.
pub fn line_width(line: &Line) -> usize {
    line.iter().map(|s| s.text.width()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|s| s.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn wide_characters_wrap_by_display_width() {
        // Each ideograph takes two columns: six fit in twelve.
        let lines = wrap("漢字漢字漢字漢字", 12, "", "", Role::Body);
        assert_eq!(texts(&lines), ["漢字漢字漢字", "漢字"]);
        for line in &lines {
            assert!(line_width(line) <= 12);
        }
    }

    #[test]
    fn combining_marks_take_no_column() {
        // "e" + combining acute is one column; the word fits exactly.
        let word = "cafe\u{301}s";
        let lines = wrap(&format!("{word} {word}"), 5, "", "", Role::Body);
        assert_eq!(texts(&lines), [word, word]);
    }

    #[test]
    fn flow_keeps_items_whole() {
        let items = ["Musk", "OpenAI", "DeepSeek"]
            .iter()
            .map(|n| Span::new(*n, Role::Meta))
            .collect();
        let lines = flow("Actors", items, 22);
        assert_eq!(texts(&lines), ["Actors: Musk, OpenAI,", "  DeepSeek"]);
    }
}
