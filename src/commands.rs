//! The non-interactive commands: `check`, `list`, `show`, `completions`,
//! `man`. They use the same loader, filters, search and text layout as the
//! reader, and write to any `Write` so tests can read what they print.

use std::io::{self, Write};

use serde::Serialize;

use crate::cli::{CheckArgs, Format, ListArgs, ShowArgs, Sources};
use crate::config::Config;
use crate::content::{
    ActorId, Block, ContentRoot, Library, NewsDate, Precision, SectionId, tag_key,
};
use crate::diag::Diagnostic;
use crate::query::{ActorFilter, SearchQuery, SectionQuery, TopicChoice};
use crate::reflow::{self, Line};
use crate::setup::{self, Startup};

/// Exit status of a command.
pub type Status = u8;
pub const OK: Status = 0;
pub const WARNINGS: Status = 1;
pub const ERRORS: Status = 2;

/// Why `list` or `show` could not do what was asked (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("no actor or tag \"{0}\" in the loaded content")]
    NoActor(String),
    #[error("no topic \"{0}\" in the loaded content")]
    NoTopic(String),
    #[error("--since {since} is after --until {until}: no date can be both")]
    DatesReversed { since: NewsDate, until: NewsDate },
    #[error("no content could be read, so there is nothing to list")]
    NothingRead,
    #[error("\"{0}\": expected ID or ID#N with N from 1")]
    BadId(String),
    #[error("no article \"{0}\" (see `aiwatch-tui list`)")]
    NoArticle(String),
    #[error("\"{id}\" has {count} sections")]
    NoSection { id: String, count: usize },
    #[error("{0}")]
    Body(#[from] crate::content::BodyError),
}

/// Says a command error on stderr; its exit status.
fn refuse(error: &CommandError) -> io::Result<Status> {
    writeln!(io::stderr(), "aiwatch-tui: {error}")?;
    Ok(ERRORS)
}

/// `check`: every problem as `path:line:col: severity: message`, a
/// summary, and an exit status for CI.
pub fn check(sources: &Sources, args: &CheckArgs, out: &mut dyn Write) -> io::Result<Status> {
    let config_result =
        setup::load_config(setup::config_path(sources.config.as_deref()).as_deref());
    let (config, config_problems) = match config_result {
        Ok(c) => {
            let warnings = c.warnings.clone();
            (c, warnings)
        }
        // The content is still checked, with the built-in actors.
        Err(errors) => (
            Config::built_in().map_err(|_| io::Error::other("built-in config"))?,
            errors,
        ),
    };
    let roots: Vec<ContentRoot> = if args.roots.is_empty() {
        setup::content_roots(&sources.content, sources.bundled, &config)
    } else {
        let mut roots: Vec<ContentRoot> =
            args.roots.iter().cloned().map(ContentRoot::Dir).collect();
        if sources.bundled {
            roots.insert(0, ContentRoot::Bundled);
        }
        roots
    };
    let library = crate::content::load_library(&roots, &config.actor_directory());
    let all: Vec<&Diagnostic> = config_problems.iter().chain(&library.diagnostics).collect();
    for d in &all {
        writeln!(out, "{d}")?;
    }
    let errors = all.iter().filter(|d| d.is_error()).count();
    let warnings = all.len() - errors;
    writeln!(
        out,
        "checked {} {}: {} loaded, {} skipped; {} {}, {} {}",
        library.files_loaded + library.files_skipped,
        plural(
            library.files_loaded + library.files_skipped,
            "file",
            "files"
        ),
        library.files_loaded,
        library.files_skipped,
        errors,
        plural(errors, "error", "errors"),
        warnings,
        plural(warnings, "warning", "warnings"),
    )?;
    Ok(if errors > 0 {
        ERRORS
    } else if warnings > 0 && args.strict {
        WARNINGS
    } else {
        OK
    })
}

/// Load problems in one line: `2 of 24 files skipped, 1 folder unreadable, 3 warnings`.
pub fn load_summary(library: &Library) -> String {
    let files = library.files_loaded + library.files_skipped;
    let warnings = library.diagnostics.iter().filter(|d| !d.is_error()).count();
    let mut parts = Vec::new();
    if library.files_skipped > 0 {
        parts.push(format!(
            "{} of {files} {} skipped",
            library.files_skipped,
            plural(files, "file", "files")
        ));
    }
    if library.folders_unreadable > 0 {
        parts.push(format!(
            "{} {} unreadable",
            library.folders_unreadable,
            plural(library.folders_unreadable, "folder", "folders")
        ));
    }
    if warnings > 0 {
        parts.push(format!(
            "{warnings} {}",
            plural(warnings, "warning", "warnings")
        ));
    }
    if parts.is_empty() {
        "no problems".to_owned()
    } else {
        format!("content: {}", parts.join(", "))
    }
}

/// Whether loading read nothing it was asked to read: then an empty
/// listing would be a lie, and the command fails.
fn read_nothing(library: &Library) -> bool {
    library.files_loaded == 0 && library.diagnostics.iter().any(Diagnostic::is_error)
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The filter a `list` command describes, as the reader would apply it.
pub fn query_for(
    library: &Library,
    config: &Config,
    args: &ListArgs,
) -> Result<SectionQuery, CommandError> {
    if let (Some(since), Some(until)) = (args.since, args.until)
        && since.cmp_coarse(until).is_gt()
    {
        return Err(CommandError::DatesReversed { since, until });
    }
    let mut actors = ActorFilter::default();
    let directory = config.actor_directory();
    for name in &args.actor {
        let id = directory
            .resolve(name)
            .or_else(|| find_actor(library, name))
            .ok_or_else(|| CommandError::NoActor(name.clone()))?;
        if !actors.is_active(id) {
            actors.toggle(id);
        }
    }
    let mut topics = Vec::new();
    for name in &args.topic {
        let key = tag_key(name);
        let choice = if key == "untagged" {
            TopicChoice::Untagged
        } else {
            let id = library
                .topics
                .iter()
                .position(|t| tag_key(t) == key)
                .ok_or_else(|| CommandError::NoTopic(name.clone()))?;
            TopicChoice::Topic(id)
        };
        topics.push(choice);
    }
    Ok(SectionQuery {
        actors,
        topics,
        since: args.since,
        until: args.until,
        search: args.search.as_deref().and_then(SearchQuery::new),
    })
}

/// An actor no configured name or alias claims: by name or by a tag.
fn find_actor(library: &Library, name: &str) -> Option<ActorId> {
    let key = tag_key(name);
    library
        .actors
        .iter()
        .position(|a| tag_key(&a.name) == key)
        .or_else(|| {
            library
                .sections
                .iter()
                .flat_map(|s| &s.actor_tags)
                .find(|(tag, _)| tag_key(tag) == key)
                .map(|(_, id)| *id)
        })
}

/// `list`: the sections for a filter, in timeline order.
pub fn list(
    startup: &Startup,
    args: &ListArgs,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<Status> {
    let library = &startup.ctx.library;
    if read_nothing(library) {
        return refuse(&CommandError::NothingRead);
    }
    let query = match query_for(library, &startup.ctx.config, args) {
        Ok(q) => q,
        Err(e) => return refuse(&e),
    };
    let edition = library.edition(&startup.language);
    let sections = match query.select(library, &edition.sections) {
        Ok(sections) => sections,
        Err(e) => return refuse(&CommandError::Body(e)),
    };
    match args.format {
        Format::Json => {
            let document = ListDocument {
                format: "aiwatch-tui/list",
                version: 1,
                lang: &edition.lang,
                count: sections.len(),
                sections: match sections
                    .iter()
                    .map(|&s| record(library, s, true))
                    .collect::<Result<_, _>>()
                {
                    Ok(records) => records,
                    Err(e) => return refuse(&CommandError::Body(e)),
                },
            };
            serde_json::to_writer_pretty(&mut *out, &document)?;
            writeln!(out)?;
        }
        Format::Tsv => {
            writeln!(out, "key\tdate\tlang\tactors\ttopics\theading")?;
            for &s in &sections {
                let r = match record(library, s, false) {
                    Ok(r) => r,
                    Err(e) => return refuse(&CommandError::Body(e)),
                };
                let fields = [
                    r.key,
                    r.date,
                    r.lang.to_owned(),
                    r.actors.join(", "),
                    r.topics.join(", "),
                    r.heading.to_owned(),
                ];
                let cleaned: Vec<String> = fields
                    .iter()
                    .map(|f| f.replace(['\t', '\n'], " "))
                    .collect();
                writeln!(out, "{}", cleaned.join("\t"))?;
            }
        }
        Format::Text => {
            for &s in &sections {
                let r = match record(library, s, false) {
                    Ok(r) => r,
                    Err(e) => return refuse(&CommandError::Body(e)),
                };
                let line = format!(
                    "{:<10}  {:<22}  {}  [{}]",
                    r.date,
                    r.key,
                    r.heading,
                    r.actors.join(", ")
                );
                match width {
                    Some(w) => writeln!(out, "{}", crate::text::truncate(&line, w))?,
                    None => writeln!(out, "{line}")?,
                }
            }
        }
    }
    Ok(OK)
}

/// `show`: one article or section as wrapped text.
pub fn show(
    startup: &Startup,
    args: &ShowArgs,
    width: u16,
    out: &mut dyn Write,
) -> io::Result<Status> {
    let library = &startup.ctx.library;
    let (id, index) = match args.id.rsplit_once('#') {
        Some((id, n)) => match n.parse::<usize>() {
            Ok(n) if n >= 1 => (id, Some(n - 1)),
            _ => return refuse(&CommandError::BadId(args.id.clone())),
        },
        None => (args.id.as_str(), None),
    };
    let edition = library.edition(&startup.language);
    let sections: Vec<SectionId> = edition
        .sections
        .iter()
        .copied()
        .filter(|&s| library.article_of(s).id == id)
        .collect();
    let Some(&first) = sections.first() else {
        return refuse(&CommandError::NoArticle(id.to_owned()));
    };
    let article = library.article_of(first);
    let mut chosen: Vec<SectionId> = article.sections.clone().collect();
    if let Some(i) = index {
        let Some(&s) = chosen.get(i) else {
            return refuse(&CommandError::NoSection {
                id: id.to_owned(),
                count: chosen.len(),
            });
        };
        chosen = vec![s];
    }
    // A body that cannot be read fails the command (the pane would show
    // a note instead): `show` must not print a section without its text.
    for &s in &chosen {
        if let Err(e) = library.body(s) {
            return refuse(&CommandError::Body(e));
        }
    }
    let strings = startup.ctx.locales.get(&startup.language);
    for (n, &s) in chosen.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        // Line by line as laid out: a section of megabytes is never held
        // whole as lines (the first write error is kept and returned).
        let mut written = Ok(());
        reflow::each_section_line(library, &strings, s, width, &mut |line| {
            if written.is_ok() {
                written = writeln!(out, "{}", plain(&line).trim_end());
            }
        });
        written?;
    }
    Ok(OK)
}

fn plain(line: &Line) -> String {
    line.iter().map(|s| s.text.as_str()).collect()
}

/// The JSON document `list --format json` prints (schema in docs/cli.md).
#[derive(Serialize)]
struct ListDocument<'a> {
    format: &'static str,
    version: u32,
    lang: &'a str,
    count: usize,
    sections: Vec<SectionRecord<'a>>,
}

#[derive(Serialize)]
struct SectionRecord<'a> {
    key: String,
    article: &'a str,
    section: usize,
    lang: &'a str,
    date: String,
    precision: &'static str,
    heading: &'a str,
    article_title: &'a str,
    summary: Option<&'a str>,
    source: Option<&'a str>,
    url: Option<&'a str>,
    actors: Vec<&'a str>,
    tags: Vec<&'a str>,
    topics: Vec<&'a str>,
    body: Vec<BodyBlock>,
    path: &'a str,
}

#[derive(Serialize)]
struct BodyBlock {
    kind: &'static str,
    text: String,
}

/// A section as `list` prints it; its body only when `with_body` (JSON),
/// since reading it may mean reading the store.
fn record(
    library: &Library,
    s: SectionId,
    with_body: bool,
) -> Result<SectionRecord<'_>, crate::content::BodyError> {
    let section = &library.sections[s];
    let article = &library.articles[section.article];
    let body = if with_body {
        library
            .body(s)?
            .iter()
            .map(|b| BodyBlock {
                kind: match b {
                    Block::Paragraph(_) => "paragraph",
                    Block::Item(_) => "item",
                },
                text: b.text().to_owned(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(SectionRecord {
        key: format!("{}#{}", article.id, section.index + 1),
        article: &article.id,
        section: section.index + 1,
        lang: &article.lang,
        date: section.date.to_string(),
        precision: match section.date.precision() {
            Precision::Year => "year",
            Precision::Month => "month",
            Precision::Day => "day",
        },
        heading: &section.heading,
        article_title: &article.title,
        summary: article.summary.as_deref(),
        source: article.source.as_deref(),
        url: section.url.as_deref().or(article.url.as_deref()),
        actors: section
            .actors
            .iter()
            .map(|&a| library.actors[a].name.as_str())
            .collect(),
        tags: section.actor_tags.iter().map(|(t, _)| t.as_str()).collect(),
        topics: section
            .topics
            .iter()
            .map(|&t| library.topics[t].as_str())
            .collect(),
        body,
        path: &article.path,
    })
}
