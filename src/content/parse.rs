//! One content file (TOML) into a raw article, reporting every problem with
//! its line and column. Never panics on hostile input; strings are made
//! terminal-safe here, at the border.

use toml::Spanned;
use toml::de::DeValue;

use super::{Block, NewsDate};
use crate::diag::{Diagnostic, SourceText};
use crate::text::{is_bidi_control, sanitize, without_bidi_controls};
use crate::toml_doc::{DocReader, Table, describe, get};

const ARTICLE_KEYS: &[&str] = &[
    "title",
    "published",
    "lang",
    "source",
    "url",
    "id",
    "summary",
    "topics",
    "actors",
    "section",
];
const SECTION_KEYS: &[&str] = &["heading", "date", "actors", "topics", "url", "body"];

/// An article as written, before tags are interned into a library.
#[derive(Debug, Clone)]
pub struct RawArticle {
    pub id: String,
    pub lang: String,
    pub title: String,
    pub published: NewsDate,
    pub source: Option<String>,
    pub url: Option<String>,
    pub summary: Option<String>,
    pub topics: Vec<String>,
    pub actors: Vec<String>,
    pub sections: Vec<RawSection>,
    pub path: String,
    /// Line and column of the `id` key's value, when it is written out.
    pub id_position: Option<(u32, u32)>,
}

#[derive(Debug, Clone)]
pub struct RawSection {
    pub heading: String,
    pub date: Option<NewsDate>,
    pub topics: Vec<String>,
    pub actors: Vec<String>,
    pub url: Option<String>,
    pub body: Vec<Block>,
}

/// The outcome for one file: the article when it has no errors, and every
/// diagnostic (warnings also accompany a loaded article).
pub struct ParsedFile {
    pub article: Option<RawArticle>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one article file. `default_id` is its path below the root without
/// the `.toml` extension.
pub fn parse_article(source: &SourceText<'_>, default_id: &str) -> ParsedFile {
    let mut reader = DocReader::new(source);
    let root = match reader.parse() {
        Ok(root) => root,
        Err(d) => {
            return ParsedFile {
                article: None,
                diagnostics: vec![d],
            };
        }
    };
    let article = read_article(&mut reader, &root, default_id);
    let article = if reader.has_errors() { None } else { article };
    let mut diagnostics = reader.diagnostics;
    diagnostics.sort_by_key(|d| d.position);
    ParsedFile {
        article,
        diagnostics,
    }
}

fn read_article(
    r: &mut DocReader<'_>,
    root: &Spanned<Table<'_>>,
    default_id: &str,
) -> Option<RawArticle> {
    let table = root.get_ref();
    r.check_keys(table, ARTICLE_KEYS, "");
    let title = r.required_string(table, root.span(), "title", "");
    let published = read_date(r, table, "published", "", true);
    let lang = read_lang(r, table);
    let source = optional_text(r, table, "source", "");
    let url = read_url(r, table, "");
    let summary = optional_text(r, table, "summary", "");
    let (id, id_position) = match r.string(table, "id", "") {
        Some(id) if id.get_ref().trim().is_empty() => {
            let found = describe(&DeValue::String(id.get_ref().clone().into()));
            r.error(
                id.span(),
                format!("\"id\": expected a non-empty string, found {found}"),
            );
            (String::new(), None)
        }
        Some(id) if id.get_ref().contains('#') => {
            r.error(
                id.span(),
                format!(
                    "\"id\": \"#\" separates an id from a section number (`show ID#N`), so an id cannot hold it; found {}",
                    describe(&DeValue::String(id.get_ref().clone().into()))
                ),
            );
            (String::new(), None)
        }
        Some(id) => (
            clean(r, &id, false),
            Some(r.source.position(id.span().start)),
        ),
        None if default_id.contains('#') => {
            r.error(
                0..0,
                format!(
                    "the file name makes the id \"{}\", and \"#\" separates an id from a section number (`show ID#N`): rename the file or give an \"id\"",
                    crate::toml_doc::printable(default_id)
                ),
            );
            (String::new(), None)
        }
        None => (default_id.to_owned(), None),
    };
    let topics = read_tags(r, table, "topics", "");
    let actors = read_tags(r, table, "actors", "");
    let sections = read_sections(r, root);
    Some(RawArticle {
        id,
        lang,
        title: clean(r, &title?, false),
        published: published?,
        source,
        url,
        summary,
        topics,
        actors,
        sections,
        path: r.source.path.to_owned(),
        id_position,
    })
}

fn read_sections(r: &mut DocReader<'_>, root: &Spanned<Table<'_>>) -> Vec<RawSection> {
    let Some(value) = get(root.get_ref(), "section") else {
        r.error(
            root.span(),
            "missing [[section]]: expected at least one section with a \"heading\"",
        );
        return Vec::new();
    };
    let DeValue::Array(items) = value.get_ref() else {
        r.mismatch(value, "section", "an array of tables ([[section]])", "");
        return Vec::new();
    };
    if items.is_empty() {
        r.error(
            value.span(),
            "\"section\": expected at least one section, found an empty array",
        );
    }
    let mut sections = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let context = format!("section {}: ", i + 1);
        let DeValue::Table(table) = item.get_ref() else {
            let found = describe(item.get_ref());
            r.error(
                item.span(),
                format!("{context}expected a table, found {found}"),
            );
            continue;
        };
        if let Some(section) = read_section(r, table, item.span(), &context) {
            sections.push(section);
        }
    }
    sections
}

fn read_section(
    r: &mut DocReader<'_>,
    table: &Table<'_>,
    span: std::ops::Range<usize>,
    context: &str,
) -> Option<RawSection> {
    r.check_keys(table, SECTION_KEYS, context);
    let heading = r.required_string(table, span, "heading", context);
    let date = read_date(r, table, "date", context, false);
    let topics = read_tags(r, table, "topics", context);
    let actors = read_tags(r, table, "actors", context);
    let url = read_url(r, table, context);
    let body = r
        .string(table, "body", context)
        .map(|b| parse_body(&clean(r, &b, true)))
        .unwrap_or_default();
    Some(RawSection {
        heading: clean(r, &heading?, false),
        date,
        topics,
        actors,
        url,
        body,
    })
}

/// A date: a TOML local date or a string `YYYY`, `YYYY-MM`, `YYYY-MM-DD`.
fn read_date(
    r: &mut DocReader<'_>,
    table: &Table<'_>,
    key: &str,
    context: &str,
    required: bool,
) -> Option<NewsDate> {
    const EXPECTED: &str = "expected YYYY, YYYY-MM or YYYY-MM-DD";
    let Some(value) = get(table, key) else {
        if required {
            r.error(
                0..0,
                format!("{context}missing required key \"{key}\": {EXPECTED}"),
            );
        }
        return None;
    };
    let parsed = match value.get_ref() {
        DeValue::String(s) => NewsDate::parse(s),
        DeValue::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt
            .date
            .and_then(|d| NewsDate::new(d.year, Some(d.month), Some(d.day))),
        _ => None,
    };
    if parsed.is_none() {
        let found = describe(value.get_ref());
        r.error(
            value.span(),
            format!("{context}\"{key}\": {EXPECTED}, found {found}"),
        );
    }
    parsed
}

/// A BCP 47 language tag, simply checked: letters, then subtags of 1-8
/// letters or digits. Normalised to lowercase language, as written otherwise.
fn read_lang(r: &mut DocReader<'_>, table: &Table<'_>) -> String {
    let Some(lang) = r.string(table, "lang", "") else {
        return "en".to_owned();
    };
    let mut parts = lang.get_ref().split('-');
    let primary = parts.next().unwrap_or_default();
    let valid = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if !valid {
        let found = describe(&DeValue::String(lang.get_ref().clone().into()));
        r.error(
            lang.span(),
            format!("\"lang\": expected a language tag such as \"en\", \"de\" or \"de-AT\", found {found}"),
        );
        return "en".to_owned();
    }
    let rest = &lang.get_ref()[primary.len()..];
    format!("{}{rest}", primary.to_ascii_lowercase())
}

fn read_url(r: &mut DocReader<'_>, table: &Table<'_>, context: &str) -> Option<String> {
    let url = r.string(table, "url", context)?;
    let text = url.get_ref().trim();
    let lower = text.to_ascii_lowercase();
    let has_host = ["http://", "https://"]
        .iter()
        .any(|p| lower.starts_with(p) && text.len() > p.len());
    if !has_host || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        let found = describe(&DeValue::String(text.to_owned().into()));
        r.error(
            url.span(),
            format!("{context}\"url\": expected an http:// or https:// address, found {found}"),
        );
        return None;
    }
    Some(text.to_owned())
}

fn optional_text(
    r: &mut DocReader<'_>,
    table: &Table<'_>,
    key: &str,
    context: &str,
) -> Option<String> {
    let value = r.string(table, key, context)?;
    let text = clean(r, &value, false);
    (!text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// Tags: trimmed, empty ones dropped with a warning, control characters made safe.
fn read_tags(r: &mut DocReader<'_>, table: &Table<'_>, key: &str, context: &str) -> Vec<String> {
    let Some(items) = r.string_list(table, key, context, false) else {
        return Vec::new();
    };
    let mut tags = Vec::with_capacity(items.len());
    for item in &items {
        let tag = clean(r, item, false);
        if tag.trim().is_empty() {
            r.warn(
                item.span(),
                format!("{context}\"{key}\": empty tag (ignored)"),
            );
        } else {
            tags.push(tag.trim().to_owned());
        }
    }
    tags
}

/// Makes a string terminal-safe, warning where control characters were found.
fn clean(r: &mut DocReader<'_>, value: &Spanned<String>, keep_newlines: bool) -> String {
    let (text, replaced) = sanitize(value.get_ref(), keep_newlines);
    if replaced {
        r.warn(
            value.span(),
            "control characters replaced by visible symbols",
        );
    }
    if !text.contains(is_bidi_control) {
        return text;
    }
    // Overrides and isolates reorder what a terminal shows (and what a
    // reader believes): dropped, with the space they would leave.
    r.warn(
        value.span(),
        "right-to-left override and isolate characters removed",
    );
    let kept = without_bidi_controls(&text);
    if keep_newlines {
        kept
    } else {
        kept.trim().to_owned()
    }
}

/// Splits a body into paragraphs (blank-line separated, re-flowed) and list
/// items (lines starting with "- "; following lines continue the item).
pub fn parse_body(body: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            blocks.extend(current.take());
        } else if let Some(item) = trimmed.strip_prefix("- ") {
            blocks.extend(current.take());
            current = Some(Block::Item(item.trim().to_owned()));
        } else {
            match &mut current {
                Some(Block::Paragraph(t) | Block::Item(t)) => {
                    t.push(' ');
                    t.push_str(trimmed);
                }
                None => current = Some(Block::Paragraph(trimmed.to_owned())),
            }
        }
    }
    blocks.extend(current);
    blocks
}
