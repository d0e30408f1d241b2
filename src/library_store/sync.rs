//! Brings the store in line with the content roots: files are compared by
//! path, size and modification time (the bundled edition by a content
//! hash); only new or changed files are parsed, and deleted ones leave.
//! Everything is written in one transaction, so a process killed during a
//! sync leaves the store as it was before or as it is after, never a mix.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::bodies::{SECTION_BITS, search_rowid};
use crate::content::load::{Discovered, FileStat, PendingFile, discover_stat, parse_files};
use crate::content::parse::{ParsedFile, RawArticle, RawSection};
use crate::content::{Block, ContentRoot};
use crate::diag::{Diagnostic, Severity};

/// Changes whenever the parser's output for the same file may change, so
/// files parsed by an older build are parsed again. Bump the number when
/// the parser changes within a release.
const PARSER_STAMP: &str = concat!(env!("CARGO_PKG_VERSION"), "/1");

/// A modification time this close to the sync is not trusted: the file
/// may still change within the file system's clock resolution without its
/// size or time changing, so it is parsed again next time.
const RACY_WINDOW: Duration = Duration::from_secs(2);

/// What one sync did, by file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Files read and parsed (new or changed): 0 on a warm start.
    pub parsed: usize,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Whether the library read back differs in more than the text of
    /// sections: a file came, went or moved in the load order, or a parse
    /// gave other articles, headings, dates, tags or diagnostics (by
    /// `index_hash`), or the folders' problems changed. When a sync parsed
    /// files but this is false, the library in memory still holds, and
    /// only its bodies (and searches) must be read again.
    pub index_changed: bool,
}

/// What identifies a file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: i64,
    /// `None` when the time could not be read or is too recent to trust.
    mtime_ns: Option<i64>,
    hash: Option<i64>,
}

impl Stamp {
    fn trusted(self) -> bool {
        self.mtime_ns.is_some() || self.hash.is_some()
    }
}

/// Files parsed and written between two progress reports: small enough
/// that the status line moves every fraction of a second, large enough to
/// keep every core busy.
const BATCH: usize = 256;

/// Told how far a sync is: (files parsed so far, files to parse). It
/// returns `false` to stop the sync: what it had not committed is rolled
/// back (all of it, except in a first build, which commits each batch).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize) -> bool;

/// Told, before the sync takes the store's write lock, how many files it
/// is about to parse (as the store stood a moment before); it may wait
/// there (the reader's first frame), and returns `false` to stop the sync.
pub type BeforeParse<'a> = &'a mut dyn FnMut(usize) -> bool;

/// The content folders as a sync sees them: every file in load order with
/// its stamp, and the folders' problems. Reading them touches only the
/// file system, so it can run before the store is opened.
pub struct Walked {
    files: Vec<PendingFile>,
    stamps: Vec<Option<Stamp>>,
    diagnostics: Vec<Diagnostic>,
}

/// Lists and stamps the files of `roots` (`content::load::discover_stat`:
/// each file's `stat` made through its folder's handle as it is listed).
pub fn walk(roots: &[ContentRoot]) -> Walked {
    let Discovered { files, diagnostics } = discover_stat(roots);
    let now = SystemTime::now();
    let stamps = files.iter().map(|f| stamp(f, now)).collect();
    Walked {
        files,
        stamps,
        diagnostics,
    }
}

/// What a sync has to do, worked out from the walked files and the stored
/// rows (read once, under a read transaction: no lock is taken to find
/// that nothing changed).
struct Plan {
    report: SyncReport,
    /// Files to parse, in load order; `Work::file` indexes the walk.
    work: Vec<Work>,
    /// Unchanged files that moved in the load order: (row id, new order).
    moved: Vec<(i64, i64)>,
    /// Rows of files no longer listed.
    removed: Vec<i64>,
    /// A sync finished (`meta.built`) with this build's parser: the store
    /// holds a whole library as this build reads it.
    whole: bool,
    /// No row stored, or no sync finished: committed batch by batch.
    first_build: bool,
    /// The folders' problems differ from the stored ones.
    root_diagnostics_changed: bool,
}

impl Plan {
    /// Nothing to write: every file as stored, the folders' problems too,
    /// and the store stamped by this parser as whole.
    fn is_empty(&self) -> bool {
        self.whole
            && self.work.is_empty()
            && self.moved.is_empty()
            && self.removed.is_empty()
            && !self.root_diagnostics_changed
    }
}

/// Compares the walked files with the stored rows.
fn plan(tx: &Transaction<'_>, walked: &Walked) -> rusqlite::Result<Plan> {
    let parser_current = parser_is_current(tx)?;
    let mut stored = stored_files(tx)?;
    // A first build (no sync has ever finished) commits batch by batch, so
    // a reader that quits (or is killed) keeps what was built and the next
    // start goes on from there, batch by batch again; a store holding a
    // whole library changes in one transaction, so it always holds the old
    // or the new library, whole.
    let built = tx
        .query_row("SELECT 1 FROM meta WHERE key = 'built'", [], |_| Ok(()))
        .optional()?
        .is_some();
    let first_build = stored.is_empty() || !built;
    let mut report = SyncReport::default();
    let mut work = Vec::new();
    let mut moved = Vec::new();
    for (index, (ord, (file, stamp))) in (0i64..)
        .zip(walked.files.iter().zip(&walked.stamps))
        .enumerate()
    {
        let stamp = *stamp;
        match stored.remove(file.path()) {
            Some(old) if unchanged(parser_current, stamp, &old) => {
                report.unchanged += 1;
                if old.ord != ord {
                    report.index_changed = true;
                    moved.push((old.id, ord));
                }
            }
            Some(old) => {
                report.changed += 1;
                report.index_changed |= old.ord != ord;
                work.push(Work {
                    file: index,
                    ord,
                    existing: Some((old.id, old.index_hash)),
                    stamp,
                });
            }
            None => {
                report.added += 1;
                report.index_changed = true;
                work.push(Work {
                    file: index,
                    ord,
                    existing: None,
                    stamp,
                });
            }
        }
    }
    let removed: Vec<i64> = stored.values().map(|old| old.id).collect();
    report.removed = removed.len();
    report.index_changed |= !removed.is_empty();
    let root_diagnostics_changed = stored_root_diagnostics(tx)? != walked.diagnostics;
    report.index_changed |= root_diagnostics_changed;
    Ok(Plan {
        report,
        work,
        moved,
        removed,
        whole: built && parser_current,
        first_build,
        root_diagnostics_changed,
    })
}

/// Whether the stored row of a file still stands for it.
fn unchanged(parser_current: bool, stamp: Option<Stamp>, old: &StoredFile) -> bool {
    parser_current && stamp.is_some_and(Stamp::trusted) && stamp == old.stamp
}

fn parser_is_current(tx: &Transaction<'_>) -> rusqlite::Result<bool> {
    Ok(tx
        .query_row("SELECT value FROM meta WHERE key = 'parser'", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .is_some_and(|v| v == PARSER_STAMP))
}

/// Brings the store in line with the walked files; `before_parse`, when
/// given, hears how many files are to be parsed before the write lock is
/// taken.
///
/// The stored rows are compared under a read transaction, which takes no
/// lock (WAL): a sync that finds nothing to do never waits for another
/// writer. Only when there is work is the write lock taken; when another
/// connection committed in between (`PRAGMA data_version`), the plan is
/// made again under the lock.
pub fn sync_walked(
    conn: &mut Connection,
    walked: Walked,
    progress: Progress<'_>,
    before_parse: Option<BeforeParse<'_>>,
) -> rusqlite::Result<SyncReport> {
    let (mut plan, version) = {
        let tx = conn.transaction()?;
        let plan = plan(&tx, &walked)?;
        (plan, data_version(&tx)?)
    };
    if plan.is_empty() {
        return Ok(plan.report);
    }
    if let Some(before_parse) = before_parse
        && !before_parse(plan.work.len())
    {
        return Err(cancelled());
    }
    // Immediate: one writer at a time; readers keep the last commit (WAL).
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if data_version(&tx)? != version {
        plan = self::plan(&tx, &walked)?;
        if plan.is_empty() {
            tx.rollback()?;
            return Ok(plan.report);
        }
    }
    let Plan {
        mut report,
        mut work,
        moved,
        removed,
        first_build,
        ..
    } = plan;
    for (id, ord) in moved {
        tx.execute("UPDATE files SET ord = ?1 WHERE id = ?2", params![ord, id])?;
    }
    for id in removed {
        delete_contents(&tx, id)?;
        tx.execute("DELETE FROM files WHERE id = ?1", [id])?;
    }
    let Walked {
        files, diagnostics, ..
    } = walked;
    // The files to parse, moved out of the walk in the plan's order.
    let mut files: Vec<Option<PendingFile>> = files.into_iter().map(Some).collect();
    let to_parse: Vec<PendingFile> = work
        .iter()
        .filter_map(|w| files.get_mut(w.file).and_then(Option::take))
        .collect();
    drop(files);
    // Parsed and written batch by batch, so progress can be told and only
    // one batch of parsed files is in memory; still one transaction.
    let total = to_parse.len();
    // Another process's commits between a first build's batches (two
    // readers starting on one empty store) change this number.
    let version = data_version(&tx)?;
    let mut start = 0;
    while start < work.len() {
        let end = (start + BATCH).min(work.len());
        if report.parsed == 0 && !progress(0, total) {
            return Err(cancelled());
        }
        write_batch(&tx, &work[start..end], &to_parse[start..end], &mut report)?;
        if first_build {
            // Parsed by this parser: trusted by the next sync.
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('parser', ?1)",
                [PARSER_STAMP],
            )?;
            tx.commit()?;
            // Told with the lock free, so another writer may go on meanwhile.
            if !progress(report.parsed, total) {
                return Err(cancelled());
            }
            tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if data_version(&tx)? != version {
                replace_stored_meanwhile(&tx, &mut work[end..], &to_parse[end..])?;
            }
        } else if !progress(report.parsed, total) {
            return Err(cancelled());
        }
        start = end;
    }
    write_root_diagnostics(&tx, &diagnostics)?;
    mark_built(&tx)?;
    tx.commit()?;
    Ok(report)
}

/// Stamps a finished sync: by this parser, and whole.
fn mark_built(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('parser', ?1)",
        [PARSER_STAMP],
    )?;
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('built', '1')",
        [],
    )?;
    Ok(())
}

/// Files the plan took as new that another process stored meanwhile are
/// replaced, not inserted a second time.
fn replace_stored_meanwhile(
    tx: &Transaction<'_>,
    work: &mut [Work],
    files: &[PendingFile],
) -> rusqlite::Result<()> {
    let stored = stored_files(tx)?;
    for (work, file) in work.iter_mut().zip(files) {
        if work.existing.is_none()
            && let Some(old) = stored.get(file.path())
        {
            work.existing = Some((old.id, old.index_hash));
        }
    }
    Ok(())
}

/// Changes when another connection commits (`PRAGMA data_version`).
fn data_version(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    tx.query_row("PRAGMA data_version", [], |r| r.get(0))
}

/// The error a sync stopped by its progress callback returns (nothing
/// was written: the transaction is rolled back).
fn cancelled() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_INTERRUPT),
        Some("sync stopped".to_owned()),
    )
}

/// Whether `e` is a sync stopped through its progress callback.
pub fn is_cancelled(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted)
}

/// Parses `files` (on every core) and writes what each gave.
fn write_batch(
    tx: &Transaction<'_>,
    work: &[Work],
    files: &[PendingFile],
    report: &mut SyncReport,
) -> rusqlite::Result<()> {
    let parsed = parse_files(files);
    for ((w, file), parsed) in work.iter().zip(files).zip(parsed) {
        let hash = index_hash(parsed.article.as_ref(), &parsed.diagnostics);
        report.index_changed |= w.existing.and_then(|(_, old)| old) != Some(hash);
        // A file that could not be read (permission denied) is read again
        // at the next sync: the user may fix that with `chmod`, which
        // changes neither its size nor its time, so a trusted stamp would
        // keep "cannot read" as its last word. Only files that gave no
        // article are tried, so a sync opens no file twice otherwise.
        let unreadable = parsed.article.is_none()
            && file
                .disk_path()
                .is_some_and(|p| std::fs::File::open(p).is_err());
        let stamp = if unreadable { None } else { w.stamp };
        write_file(
            tx,
            file.path(),
            w.ord,
            w.existing.map(|(id, _)| id),
            stamp,
            hash,
            &parsed,
        )?;
    }
    report.parsed += files.len();
    Ok(())
}

/// A file to parse: its place in the walk, its load position, its
/// existing row and that row's index hash (a changed file), and its stamp.
struct Work {
    file: usize,
    ord: i64,
    existing: Option<(i64, Option<i64>)>,
    stamp: Option<Stamp>,
}

/// Replaces the folders' problems.
fn write_root_diagnostics(
    tx: &Transaction<'_>,
    diagnostics: &[Diagnostic],
) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM root_diagnostics", [])?;
    for (seq, d) in (0i64..).zip(diagnostics) {
        tx.execute(
            "INSERT INTO root_diagnostics (seq, path, line, col, severity, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                seq,
                d.path,
                d.position.map(|p| p.0),
                d.position.map(|p| p.1),
                severity_name(d.severity),
                d.message
            ],
        )?;
    }
    Ok(())
}

struct StoredFile {
    id: i64,
    ord: i64,
    stamp: Option<Stamp>,
    index_hash: Option<i64>,
}

/// The folders' problems as the last sync stored them.
fn stored_root_diagnostics(tx: &Transaction<'_>) -> rusqlite::Result<Vec<Diagnostic>> {
    let mut stmt =
        tx.prepare("SELECT path, line, col, severity, message FROM root_diagnostics ORDER BY seq")?;
    stmt.query_map([], |r| {
        let line: Option<u32> = r.get(1)?;
        let col: Option<u32> = r.get(2)?;
        let severity: String = r.get(3)?;
        Ok(Diagnostic {
            path: r.get(0)?,
            position: line.zip(col),
            severity: if severity == "warning" {
                Severity::Warning
            } else {
                Severity::Error
            },
            message: r.get(4)?,
        })
    })?
    .collect()
}

fn stored_files(tx: &Transaction<'_>) -> rusqlite::Result<HashMap<String, StoredFile>> {
    // Fetched items are rows of `files` too, but no content folder lists them.
    let mut stmt = tx.prepare(
        "SELECT id, path, ord, size, mtime_ns, hash, index_hash FROM files
         WHERE id NOT IN (SELECT file_id FROM feed_items)",
    )?;
    let rows = stmt.query_map([], |r| {
        let size: Option<i64> = r.get(3)?;
        let mtime_ns: Option<i64> = r.get(4)?;
        let hash: Option<i64> = r.get(5)?;
        Ok((
            r.get::<_, String>(1)?,
            StoredFile {
                id: r.get(0)?,
                ord: r.get(2)?,
                stamp: size.map(|size| Stamp {
                    size,
                    mtime_ns,
                    hash,
                }),
                index_hash: r.get(6)?,
            },
        ))
    })?;
    rows.collect()
}

/// A disk file's size and time, or a bundled file's size and hash; `None`
/// when the file cannot be examined (it is then always parsed, which
/// reports why it cannot be read).
fn stamp(file: &PendingFile, now: SystemTime) -> Option<Stamp> {
    if let Some(text) = file.bundled_text() {
        return Some(Stamp {
            size: i64::try_from(text.len()).ok()?,
            mtime_ns: None,
            hash: Some(fnv1a(text.as_bytes())),
        });
    }
    let listed = match file.stat() {
        Some(listed) => listed,
        None => FileStat::of(&std::fs::metadata(file.disk_path()?).ok()?),
    };
    let modified = listed.modified?;
    let recent = now
        .duration_since(modified)
        .map_or(true, |age| age < RACY_WINDOW);
    let mtime_ns = modified
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .filter(|_| !recent);
    Some(Stamp {
        size: i64::try_from(listed.len).ok()?,
        mtime_ns,
        hash: None,
    })
}

/// FNV-1a, 64 bits, as an `SQLite` integer: stable across builds, unlike
/// the standard library's hasher. Only compares a bundled file with its
/// previous version, so no resistance to crafted collisions is needed.
fn fnv1a(bytes: &[u8]) -> i64 {
    let mut hash = super::image::Fnv::new();
    hash.write(bytes);
    hash.finish().cast_signed()
}

/// A hash of everything a parse gives apart from the bodies: what the
/// library read back holds of the file (article, headings, dates, urls,
/// tags as written, diagnostics). Equal before and after an edit: only
/// text changed, and the library in memory still holds. A fetched item
/// is an article without diagnostics: its row has one too, so a store of
/// fetched items gets its index image (`image::rows_stamp`).
pub(super) fn index_hash(article: Option<&RawArticle>, diagnostics: &[Diagnostic]) -> i64 {
    // Each field ends with a byte no text holds here (a NUL; text fields
    // are sanitised), so fields cannot run into each other.
    let mut text = String::with_capacity(512);
    let mut field = |value: &dyn std::fmt::Display| {
        use std::fmt::Write as _;
        let _ = write!(text, "{value}\0");
    };
    field(&diagnostics.len());
    for d in diagnostics {
        field(&d.path);
        field(&format_args!("{:?}", d.position));
        field(&severity_name(d.severity));
        field(&d.message);
    }
    if let Some(a) = article {
        field(&a.sections.len());
        field(&a.id);
        field(&a.lang);
        field(&a.title);
        field(&a.published);
        field(&format_args!("{:?}", a.source));
        field(&format_args!("{:?}", a.url));
        field(&format_args!("{:?}", a.summary));
        field(&format_args!("{:?}", a.id_position));
        field(&a.path);
        field(&super::tags::pack(&a.actors, &a.topics));
        for s in &a.sections {
            field(&s.heading);
            field(&format_args!("{:?}", s.date));
            field(&format_args!("{:?}", s.url));
            field(&super::tags::pack(&s.actors, &s.topics));
        }
    }
    fnv1a(text.as_bytes())
}

pub(super) fn delete_contents(tx: &Transaction<'_>, file_id: i64) -> rusqlite::Result<()> {
    // Cached: a feed put rewrites thousands of changed items this way.
    for table in ["diagnostics", "articles", "sections", "blocks"] {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE file_id = ?1"))?
            .execute([file_id])?;
    }
    for table in ["search", "search_terms"] {
        tx.prepare_cached(&format!(
            "DELETE FROM {table} WHERE rowid BETWEEN ?1 AND ?2"
        ))?
        .execute(params![
            search_rowid(file_id, 0),
            search_rowid(file_id, (1 << SECTION_BITS) - 1)
        ])?;
    }
    Ok(())
}

fn write_file(
    tx: &Transaction<'_>,
    path: &str,
    ord: i64,
    existing: Option<i64>,
    stamp: Option<Stamp>,
    index_hash: i64,
    parsed: &ParsedFile,
) -> rusqlite::Result<()> {
    let loaded = parsed.article.is_some();
    let (size, mtime_ns, hash) = match stamp {
        Some(s) => (Some(s.size), s.mtime_ns, s.hash),
        None => (None, None, None),
    };
    let file_id = if let Some(id) = existing {
        delete_contents(tx, id)?;
        tx.execute(
            "UPDATE files SET ord = ?1, size = ?2, mtime_ns = ?3, hash = ?4, loaded = ?5,
             index_hash = ?6 WHERE id = ?7",
            params![ord, size, mtime_ns, hash, loaded, index_hash, id],
        )?;
        id
    } else {
        tx.execute(
            "INSERT INTO files (path, ord, size, mtime_ns, hash, loaded, index_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![path, ord, size, mtime_ns, hash, loaded, index_hash],
        )?;
        tx.last_insert_rowid()
    };
    write_diagnostics(tx, file_id, &parsed.diagnostics)?;
    if let Some(article) = &parsed.article {
        write_article(tx, file_id, article)?;
    }
    Ok(())
}

fn write_diagnostics(
    tx: &Transaction<'_>,
    file_id: i64,
    diagnostics: &[Diagnostic],
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO diagnostics (file_id, seq, path, line, col, severity, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (seq, d) in (0i64..).zip(diagnostics) {
        stmt.execute(params![
            file_id,
            seq,
            d.path,
            d.position.map(|p| p.0),
            d.position.map(|p| p.1),
            severity_name(d.severity),
            d.message
        ])?;
    }
    Ok(())
}

pub(super) fn write_article(
    tx: &Transaction<'_>,
    file_id: i64,
    a: &RawArticle,
) -> rusqlite::Result<()> {
    write_article_searched(tx, file_id, a, None)
}

/// [`write_article`] with each section's searchable text and its terms
/// (`search`, as [`search_texts`] makes them) when they were worked out
/// already, in section order.
pub(super) fn write_article_searched(
    tx: &Transaction<'_>,
    file_id: i64,
    a: &RawArticle,
    search: Option<&[(String, String)]>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO articles
         (file_id, id, lang, title, published, source, url, summary, id_line, id_col, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        file_id,
        a.id,
        a.lang,
        a.title,
        a.published.to_string(),
        a.source,
        a.url,
        a.summary,
        a.id_position.map(|p| p.0),
        a.id_position.map(|p| p.1),
        super::tags::pack(&a.actors, &a.topics)
    ])?;
    let mut section_stmt = tx.prepare_cached(
        "INSERT INTO sections (file_id, idx, heading, date, url, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut block_stmt = tx.prepare_cached(
        "INSERT INTO blocks (file_id, section, pos, kind, text) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut search_stmt = tx.prepare_cached("INSERT INTO search (rowid, text) VALUES (?1, ?2)")?;
    let mut terms_stmt =
        tx.prepare_cached("INSERT INTO search_terms (rowid, terms) VALUES (?1, ?2)")?;
    for (idx, s) in (0i64..).zip(&a.sections) {
        section_stmt.execute(params![
            file_id,
            idx,
            s.heading,
            s.date.map(|d| d.to_string()),
            s.url,
            super::tags::pack(&s.actors, &s.topics)
        ])?;
        for (pos, block) in (0i64..).zip(&s.body) {
            let kind = match block {
                Block::Paragraph(_) => "paragraph",
                Block::Item(_) => "item",
            };
            block_stmt.execute(params![file_id, idx, pos, kind, block.text()])?;
        }
        if idx < 1 << SECTION_BITS {
            let rowid = search_rowid(file_id, idx);
            let made;
            let (text, terms) =
                if let Some(row) = search.and_then(|rows| rows.get(usize::try_from(idx).ok()?)) {
                    row
                } else {
                    made = search_texts(a, s);
                    &made
                };
            terms_stmt.execute(params![rowid, terms])?;
            search_stmt.execute(params![rowid, text])?;
        }
    }
    Ok(())
}

/// A section's searchable text and its `search_terms` terms.
pub(super) fn search_texts(a: &RawArticle, s: &RawSection) -> (String, String) {
    let text = searchable(a, s);
    let terms = super::search::terms(&text);
    (text, terms)
}

/// What a search looks at in a section, as `query::search` reads it from a
/// library (heading, body, actor tags, topics, one per line), folded; the
/// names of configured actors are added at search time (they depend on the
/// configuration, which the store does not know).
fn searchable(a: &RawArticle, s: &RawSection) -> String {
    let mut text = String::with_capacity(256);
    text.push_str(&s.heading);
    for block in &s.body {
        text.push('\n');
        text.push_str(block.text());
    }
    for tag in a
        .actors
        .iter()
        .chain(&s.actors)
        .chain(&a.topics)
        .chain(&s.topics)
    {
        text.push('\n');
        text.push_str(tag);
    }
    crate::text::fold(&text)
}

pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_hash_is_stable_across_builds() {
        // Published FNV-1a 64 test vectors: a stored hash must keep matching.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325_u64.cast_signed());
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c_u64.cast_signed());
    }
}
