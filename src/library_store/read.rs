//! Reads the stored library back into a `content::Library`, through the
//! same `Library::build` the file loader uses, so ids, order, clashes and
//! diagnostics come out as loading the files would give them. Reads in one
//! transaction: a sync committed meanwhile is seen whole or not at all.
//! Only the index is read (what the first frame needs); bodies stay in the
//! store and are read on demand through `bodies::StoreBodies`. A current
//! index image (`image.rs`) stands in for the rows when there is one.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;
use rusqlite::types::Type;

use crate::content::parse::{ParsedFile, RawArticle, RawSection};
use crate::content::{ActorDirectory, Bodies, Library, NewsDate};
use crate::diag::{Diagnostic, Severity};

/// The library as stored: from the index image when it is one of the rows
/// as they are now (`image`), else from the rows; whether it came from the
/// image is returned beside it.
pub fn load(
    conn: &mut Connection,
    actors: &ActorDirectory,
    path: &Path,
) -> rusqlite::Result<(Library, bool)> {
    let tx = conn.transaction()?;
    let rows = super::image::rows_stamp(&tx)?;
    let stamp = rows.map(|rows| super::image::Stamp::new(actors, rows));
    let from_image = match stamp {
        Some(stamp) => super::image::read(&tx, stamp, actors.names().len())?,
        None => None,
    };
    let used_image = from_image.is_some();
    let (mut library, file_ids) = match from_image {
        Some(read) => read,
        None => load_rows(&tx, actors)?,
    };
    drop(tx);
    let places = library
        .articles
        .iter()
        .zip(&file_ids)
        .map(|(a, &file_id)| (file_id, u32::try_from(a.sections.len()).unwrap_or(u32::MAX)));
    let bodies = super::bodies::StoreBodies::new(path, places);
    library.set_bodies(Bodies::new(Arc::new(bodies)));
    Ok((library, used_image))
}

/// The library built from the rows, through `Library::build` as the file
/// loader builds it, and each article's `files` row; no bodies.
pub(super) fn load_rows(
    tx: &Connection,
    actors: &ActorDirectory,
) -> rusqlite::Result<(Library, Vec<i64>)> {
    let root_diagnostics = {
        let mut stmt = tx.prepare(
            "SELECT path, line, col, severity, message FROM root_diagnostics ORDER BY seq",
        )?;
        stmt.query_map([], |r| diagnostic(r, 0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
    };
    let files: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, path FROM files ORDER BY ord")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut diagnostics: HashMap<i64, Vec<Diagnostic>> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT file_id, path, line, col, severity, message FROM diagnostics
             ORDER BY file_id, seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            diagnostics
                .entry(r.get(0)?)
                .or_default()
                .push(diagnostic(r, 1)?);
        }
    }
    let mut articles = read_articles(tx)?;
    read_sections(tx, &mut articles)?;
    let file_ids: HashMap<&str, i64> = files.iter().map(|(id, p)| (p.as_str(), *id)).collect();
    let parsed = files.iter().map(|(id, path)| {
        (
            path.as_str(),
            ParsedFile {
                article: articles.remove(id),
                diagnostics: diagnostics.remove(id).unwrap_or_default(),
            },
        )
    });
    let library = Library::build(parsed, root_diagnostics, actors);
    let ids = library
        .articles
        .iter()
        .map(|a| file_ids.get(a.path.as_str()).copied().unwrap_or(-1))
        .collect();
    Ok((library, ids))
}

/// A diagnostic from the columns path, line, col, severity, message,
/// starting at `first`.
fn diagnostic(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Diagnostic> {
    let line: Option<u32> = r.get(first + 1)?;
    let col: Option<u32> = r.get(first + 2)?;
    let severity: String = r.get(first + 3)?;
    Ok(Diagnostic {
        path: r.get(first)?,
        position: line.zip(col),
        severity: match severity.as_str() {
            "warning" => Severity::Warning,
            _ => Severity::Error,
        },
        message: r.get(first + 4)?,
    })
}

/// A stored date, or a conversion error (the store is then treated as damaged).
fn date(text: &str, column: usize) -> rusqlite::Result<NewsDate> {
    NewsDate::parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            Type::Text,
            format!("not a date: {text:?}").into(),
        )
    })
}

fn read_articles(tx: &Connection) -> rusqlite::Result<HashMap<i64, RawArticle>> {
    let mut stmt = tx.prepare(
        "SELECT a.file_id, a.id, a.lang, a.title, a.published, a.source, a.url, a.summary,
                a.id_line, a.id_col, f.path, a.tags
         FROM articles a JOIN files f ON f.id = a.file_id",
    )?;
    let mut rows = stmt.query([])?;
    let mut articles = HashMap::new();
    while let Some(r) = rows.next()? {
        let published = r.get_ref(4)?.as_str()?;
        let id_line: Option<u32> = r.get(8)?;
        let id_col: Option<u32> = r.get(9)?;
        let (actors, topics) = tags(r, 11)?;
        articles.insert(
            r.get(0)?,
            RawArticle {
                id: r.get(1)?,
                lang: r.get(2)?,
                title: r.get(3)?,
                published: date(published, 4)?,
                source: r.get(5)?,
                url: r.get(6)?,
                summary: r.get(7)?,
                topics,
                actors,
                sections: Vec::new(),
                path: r.get(10)?,
                id_position: id_line.zip(id_col),
            },
        );
    }
    Ok(articles)
}

fn read_sections(tx: &Connection, articles: &mut HashMap<i64, RawArticle>) -> rusqlite::Result<()> {
    let mut stmt =
        tx.prepare("SELECT file_id, heading, date, url, tags FROM sections ORDER BY file_id, idx")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let Some(article) = articles.get_mut(&r.get(0)?) else {
            continue;
        };
        let date = match r.get_ref(2)?.as_str_or_null()? {
            Some(text) => Some(date(text, 2)?),
            None => None,
        };
        let (actors, topics) = tags(r, 4)?;
        article.sections.push(RawSection {
            heading: r.get(1)?,
            date,
            topics,
            actors,
            url: r.get(3)?,
            body: Vec::new(),
        });
    }
    Ok(())
}

/// The packed tags in column `column` (`tags::unpack`), or a conversion
/// error (the store is then treated as damaged).
fn tags(r: &rusqlite::Row<'_>, column: usize) -> rusqlite::Result<(Vec<String>, Vec<String>)> {
    let packed = r.get_ref(column)?.as_str()?;
    super::tags::unpack(packed).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            Type::Text,
            format!("not packed tags: {packed:?}").into(),
        )
    })
}
