//! The store's schema and its migrations. `PRAGMA user_version` holds the
//! number of migrations applied; a file with a higher number than this
//! build knows is left alone by the caller.

use rusqlite::{Connection, TransactionBehavior};

/// Each entry moves the schema one version up; never edit a released one,
/// add a new one.
const MIGRATIONS: &[&str] = &[
    V1,
    V_STATE,
    V_SEARCH,
    V_FEEDS,
    V_TERMS,
    V_SEARCH_TEXT,
    V_HINTS,
    V_INDEX,
    V_READERS,
    V_STORY_BOUNDS,
    V_FEED_INDEX,
];

/// The schema this build writes.
#[allow(clippy::cast_possible_wrap)] // a handful of migrations
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 1: files with their stamps and diagnostics, and what parsing
/// them gave, the index (articles, sections, tags) apart from the bodies.
const V1: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per content file seen by the last sync, in load order (ord).
-- size, mtime_ns and hash are the stamp compared at the next sync; a NULL
-- mtime_ns means the stamp could not be trusted and the file is parsed again.
CREATE TABLE files (
    id       INTEGER PRIMARY KEY,
    path     TEXT NOT NULL UNIQUE,
    ord      INTEGER NOT NULL,
    size     INTEGER,
    mtime_ns INTEGER,
    hash     INTEGER,
    loaded   INTEGER NOT NULL
);

-- Problems found in a file, kept with it so a warm start still shows them.
CREATE TABLE diagnostics (
    file_id  INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    path     TEXT NOT NULL,
    line     INTEGER,
    col      INTEGER,
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    message  TEXT NOT NULL,
    PRIMARY KEY (file_id, seq)
) WITHOUT ROWID;

-- Problems with the content folders themselves (missing, unreadable).
CREATE TABLE root_diagnostics (
    seq      INTEGER PRIMARY KEY,
    path     TEXT NOT NULL,
    line     INTEGER,
    col      INTEGER,
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
    message  TEXT NOT NULL
);

-- Dates are ISO text at their own precision: 2025, 2025-01, 2025-01-27.
CREATE TABLE articles (
    file_id   INTEGER PRIMARY KEY,
    id        TEXT NOT NULL,
    lang      TEXT NOT NULL,
    title     TEXT NOT NULL,
    published TEXT NOT NULL,
    source    TEXT,
    url       TEXT,
    summary   TEXT,
    id_line   INTEGER,
    id_col    INTEGER
);
CREATE INDEX articles_by_id ON articles (id, lang);

-- date is NULL when the section inherits the article's published date.
CREATE TABLE sections (
    file_id INTEGER NOT NULL,
    idx     INTEGER NOT NULL,
    heading TEXT NOT NULL,
    date    TEXT,
    url     TEXT,
    PRIMARY KEY (file_id, idx)
) WITHOUT ROWID;

-- Actor and topic tags as written; section -1 holds the article's own.
CREATE TABLE tags (
    file_id INTEGER NOT NULL,
    section INTEGER NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('actor', 'topic')),
    pos     INTEGER NOT NULL,
    tag     TEXT NOT NULL,
    PRIMARY KEY (file_id, section, kind, pos)
) WITHOUT ROWID;

-- Bodies, apart from the index so they can be read on demand.
CREATE TABLE blocks (
    file_id INTEGER NOT NULL,
    section INTEGER NOT NULL,
    pos     INTEGER NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('paragraph', 'item')),
    text    TEXT NOT NULL,
    PRIMARY KEY (file_id, section, pos)
) WITHOUT ROWID;
";

/// Version 2: the reading state, by section key (`id|lang|heading`), so
/// marks survive edits to other files and sections not loaded this time.
/// One row per mark: a save adds and removes rows, never rewrites them all.
const V_STATE: &str = "
CREATE TABLE read_marks (
    key TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE stars (
    key TEXT PRIMARY KEY
) WITHOUT ROWID;

-- Every section key present at a save: a section not here is new since
-- the last visit.
CREATE TABLE known_sections (
    key TEXT PRIMARY KEY
) WITHOUT ROWID;

-- 'view': the last view as JSON; 'saved': present once any state was
-- saved or migrated (before that, nothing counts as new).
CREATE TABLE reading (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// Search: each section's searchable text (heading, body, actor tags and
/// topics as written, one per line), folded by `text::fold` (lowercase, no
/// diacritics, `ß` as `ss`), under a trigram index so that any substring of
/// three characters or more is found through the index. rowid packs the
/// file's id and the section's position (`bodies::search_rowid`). Stores
/// synced before this table existed are parsed again at the next sync
/// (forgetting the parser stamp does that), which fills it.
const V_SEARCH: &str = "
CREATE VIRTUAL TABLE search USING fts5 (
    text,
    tokenize = 'trigram case_sensitive 1'
);
DELETE FROM meta WHERE key = 'parser';
";

/// Feeds: what was fetched when (one row per configured URL), and which
/// `files` rows are fetched items rather than content files (a sync leaves
/// those alone). A fetched item is stored as an article like any other
/// (`articles`, `sections`, `tags`, `blocks`, `search` by its `file_id`),
/// so the reader, `list`, `show`, `serve` and search read it unchanged.
/// See `library_store/feeds.rs`.
const V_FEEDS: &str = "
CREATE TABLE feeds (
    url           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    puts          INTEGER NOT NULL DEFAULT 0,
    etag          TEXT,
    last_modified TEXT,
    at            TEXT,
    outcome       TEXT CHECK (outcome IN ('fetched', 'not_modified', 'failed')),
    items         INTEGER,
    reason        TEXT,
    moved_to      TEXT,
    retry_after   TEXT
) WITHOUT ROWID;

-- at and retry_after: RFC 3339 text (exact to the nanosecond).
-- key: the identity (guid:, link:, hash:); link: the canonical link.
-- last_put: the feed's put that last carried the item (items that left
-- the feed have an older one). hash: of the stored text, so an unchanged
-- item costs no write. Times in Unix seconds. story: the file_id of the first item of its story.
CREATE TABLE feed_items (
    file_id    INTEGER PRIMARY KEY,
    feed       TEXT NOT NULL,
    key        TEXT NOT NULL,
    guid       TEXT,
    link       TEXT,
    title      TEXT NOT NULL,
    at         INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    last_put   INTEGER NOT NULL,
    hash       INTEGER NOT NULL,
    story      INTEGER NOT NULL,
    UNIQUE (feed, key)
);
CREATE INDEX feed_items_guid ON feed_items (feed, guid);
CREATE INDEX feed_items_link ON feed_items (link);
CREATE INDEX feed_items_at ON feed_items (at);
CREATE INDEX feed_items_story ON feed_items (story);
";

/// Search without a scan (`library_store::search`): per section, its
/// distinct whitespace-separated tokens and one- and two-character grams
/// (folded, hex-encoded), doc ids only; the vocabulary of tokens is read
/// through `search_vocab`. It keeps its own text so that a file's rows go
/// by a rowid range, as in `search` (a contentless table deletes row by
/// row, and that made a sync or a feed put several times slower).
/// `migrate` fills it from the folded text in `search` (fetched items
/// included, which a sync never parses again).
const V_TERMS: &str = "
CREATE VIRTUAL TABLE search_terms USING fts5 (
    terms,
    detail = none,
    tokenize = 'ascii'
);
CREATE VIRTUAL TABLE search_vocab USING fts5vocab (search_terms, row);
";

/// The searchable text without its trigram index: since `V_TERMS` a search
/// goes through `search_terms` and reads `search` only by rowid (the text
/// of sections with a token too long for the vocabulary), so indexing
/// every trigram of every section was pure cost: most of the time of a
/// sync or a feed put (about 13 of the CPU seconds of a 50,000-item put,
/// docs/performance.md). The rows stay, with the same rowids, so nothing
/// that reads or deletes them changes.
const V_SEARCH_TEXT: &str = "
CREATE TABLE search_text (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL
);
INSERT INTO search_text (id, text) SELECT rowid, text FROM search;
DROP TABLE search;
ALTER TABLE search_text RENAME TO search;
";

/// A feed's own refresh hint (RSS `ttl`, `Cache-Control: max-age`,
/// `Expires`) in seconds, from its last fetch that said one, so `serve`'s
/// schedule survives a restart (`library_store::refresh_hints`).
const V_HINTS: &str = "
ALTER TABLE feeds ADD COLUMN hint_s INTEGER;
";

/// The index in the shape the first frame reads it: each article's and
/// each section's actor and topic tags packed into one column of its own
/// row (`tags::pack`: every tag as written, after a `\x1f` and its kind,
/// `a` or `t`, in order), instead of a row per tag in `tags`. A warm start
/// then reads one row per section, not one per tag (about three times as
/// many). Filled from `tags`, which goes. And per file a hash of what its
/// parse gave apart from the bodies (`sync::index_hash`; NULL: not known),
/// so a sync can tell an edit of text only, which needs no new library.
const V_INDEX: &str = "
ALTER TABLE files ADD COLUMN index_hash INTEGER;
ALTER TABLE articles ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE sections ADD COLUMN tags TEXT NOT NULL DEFAULT '';
UPDATE articles SET tags = coalesce((
    SELECT group_concat(
        char(31) || (CASE t.kind WHEN 'actor' THEN 'a' ELSE 't' END)
            || replace(t.tag, char(31), char(9247)),
        '' ORDER BY t.kind, t.pos)
    FROM tags t WHERE t.file_id = articles.file_id AND t.section = -1
), '');
UPDATE sections SET tags = coalesce((
    SELECT group_concat(
        char(31) || (CASE t.kind WHEN 'actor' THEN 'a' ELSE 't' END)
            || replace(t.tag, char(31), char(9247)),
        '' ORDER BY t.kind, t.pos)
    FROM tags t WHERE t.file_id = sections.file_id AND t.section = sections.idx
), '');
DROP TABLE tags;
";

/// Readers of `serve` remembered by their public key (the SHA256
/// fingerprint, `SHA256:...`), apart from the local reader's tables,
/// which stay as they were. `readers`: one row per reader; `seen` orders
/// them by their last save (the oldest go past `max_remembered`);
/// `known_upto` is the highest `section_seen.seq` they have seen, so
/// "new since the last visit" costs one number per reader, not a row per
/// section. `reader_marks`: read marks and stars by section key.
/// `section_seen`: every section key any remembered reader was shown, in
/// the order first shown (`seq` only grows).
const V_READERS: &str = "
CREATE TABLE readers (
    fingerprint TEXT PRIMARY KEY,
    seen        INTEGER NOT NULL,
    known_upto  INTEGER NOT NULL DEFAULT 0,
    view        TEXT
);
CREATE INDEX readers_by_seen ON readers (seen);

CREATE TABLE reader_marks (
    fingerprint TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('read', 'star')),
    key         TEXT NOT NULL,
    PRIMARY KEY (fingerprint, kind, key)
) WITHOUT ROWID;

CREATE TABLE section_seen (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE
);
";

/// The tables of the reading state (the local reader's and `serve`'s
/// readers'), with what a user loses when one is gone. A store whose
/// version is current has them all; one dropped by hand (the `SQLite`
/// shell) is made again, empty, when the store is opened
/// ([`recreate_missing`]), so saves work again and the loss is said.
pub const READING_STATE_TABLES: [(&str, &str); 7] = [
    ("read_marks", "the read marks it held are lost"),
    ("stars", "the stars it held are lost"),
    (
        "known_sections",
        "which sections were seen before is lost (every section counts as new)",
    ),
    ("reading", "the last view it held is lost"),
    ("readers", "the readers serve remembered are forgotten"),
    (
        "reader_marks",
        "the read marks and stars of serve's readers are lost",
    ),
    (
        "section_seen",
        "the order in which sections were first shown is lost",
    ),
];

/// A subquery counting the [`READING_STATE_TABLES`] in `sqlite_master`,
/// for the one query that checks a store at open.
pub const COUNT_READING_STATE_TABLES: &str = "(SELECT count(*) FROM sqlite_master \
     WHERE type = 'table' AND name IN ('read_marks', 'stars', 'known_sections', 'reading', \
     'readers', 'reader_marks', 'section_seen'))";

/// Makes the [`READING_STATE_TABLES`] missing from a current store again,
/// empty, as the migrations build them (with their indexes), in one
/// transaction; the tables this made. One another process made meanwhile
/// is left alone.
pub fn recreate_missing(conn: &mut Connection) -> rusqlite::Result<Vec<&'static str>> {
    let fresh = built_in_memory()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut made = Vec::new();
    for (table, _) in READING_STATE_TABLES {
        let exists: bool = tx.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )?;
        if exists {
            continue;
        }
        // The table first, then its indexes.
        let mut statements = fresh.prepare(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ?1 AND sql IS NOT NULL \
             ORDER BY type = 'table' DESC",
        )?;
        let sql: Vec<String> = statements
            .query_map([table], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for statement in sql {
            tx.execute_batch(&statement)?;
        }
        made.push(table);
    }
    tx.commit()?;
    Ok(made)
}

/// An empty database with the schema the migrations build.
fn built_in_memory() -> rusqlite::Result<Connection> {
    let mut fresh = Connection::open_in_memory()?;
    migrate(&mut fresh)?;
    Ok(fresh)
}

pub enum Migrated {
    Current,
    /// Another process wrote a newer schema meanwhile; nothing was changed.
    Newer(i64),
}

/// Applies the missing migrations in one transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Ok(Migrated::Newer(found));
    }
    if found == SCHEMA_VERSION {
        return Ok(Migrated::Current);
    }
    for migration in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        run(&tx, migration)?;
    }
    tx.pragma_update(None, "application_id", super::APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(Migrated::Current)
}

/// One migration: its statements, and the rows it fills in code.
fn run(tx: &rusqlite::Transaction<'_>, migration: &str) -> rusqlite::Result<()> {
    tx.execute_batch(migration)?;
    if migration == V_TERMS {
        fill_terms(tx)?;
    }
    if migration == V_STORY_BOUNDS {
        split_unbounded_stories(tx)?;
    }
    Ok(())
}

/// Migrations that change rows only, never the schema: a store at an
/// older number whose schema is already as built still needs them.
const ROWS_ONLY: &[&str] = &[V_STORY_BOUNDS, V_FEED_INDEX];

/// A store whose schema is as built but whose number is older (set by
/// hand, damaged, or simply before a migration of rows only): the
/// migrations of rows after `found` run (each can run again safely), then
/// the number is put right. Running the schema's migrations again would
/// fail ("table meta already exists").
pub fn put_number_right(conn: &mut Connection, found: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for migration in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
        if ROWS_ONLY.contains(migration) {
            run(&tx, migration)?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()
}

/// Whether the schema in `conn` lacks a table, index, trigger or view that
/// the migrations build, or has one described otherwise: a store whose
/// version says current while its own description was overwritten (a
/// damaged `sqlite_master` page). Entries the user added (an index made in
/// the `SQLite` shell, `ANALYZE`'s statistics) do not count.
pub fn differs_from_built(conn: &Connection) -> rusqlite::Result<bool> {
    static BUILT: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    let built = if let Some(built) = BUILT.get() {
        built
    } else {
        let described = described(&built_in_memory()?)?;
        BUILT.get_or_init(|| described)
    };
    let found: std::collections::HashMap<String, Vec<u8>> = described(conn)?.into_iter().collect();
    Ok(built.iter().any(|(name, sql)| found.get(name) != Some(sql)))
}

/// Every named schema entry and the statement that made it, as bytes: a
/// damaged description need not be UTF-8.
fn described(conn: &Connection) -> rusqlite::Result<Vec<(String, Vec<u8>)>> {
    let mut statement = conn.prepare(
        "SELECT CAST(name AS BLOB), CAST(sql AS BLOB) FROM sqlite_master \
         WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
    )?;
    let rows = statement.query_map([], |r| {
        let name: Vec<u8> = r.get(0)?;
        Ok((String::from_utf8_lossy(&name).into_owned(), r.get(1)?))
    })?;
    rows.collect()
}

/// Stories grouped before a story was bounded (single link chained one
/// day's news to the next: one story of 92,120 items over eight years was
/// seen) are split: each item of a story that spans more than
/// `group::WINDOW_HOURS`, holds two items of one feed or more than
/// `group::MAX_STORY` items is a story of its own again
/// ([`split_unbounded_stories`]). Stories within the bounds stay.
const V_STORY_BOUNDS: &str = "-- feed_items.story: bounded stories (see split_unbounded_stories)";

/// Fetched items stored before their rows kept an index hash
/// (`feeds::set_index_hash`) left the store without an index image, read
/// row by row at every start: their item's text hash stands for it (it
/// changes whenever the article does), and the next put of a changed item
/// writes its own.
const V_FEED_INDEX: &str = "
UPDATE files SET index_hash = (SELECT hash FROM feed_items WHERE feed_items.file_id = files.id)
WHERE index_hash IS NULL AND id IN (SELECT file_id FROM feed_items);
";

/// What [`V_STORY_BOUNDS`] does; the number of items set apart.
fn split_unbounded_stories(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<usize> {
    use crate::feeds::group::{MAX_STORY, WINDOW_HOURS};
    tx.execute(
        "UPDATE feed_items SET story = file_id WHERE story IN (
             SELECT story FROM feed_items GROUP BY story
             HAVING max(at) - min(at) > ?1 OR count(*) > count(DISTINCT feed) OR count(*) > ?2)",
        rusqlite::params![
            WINDOW_HOURS * 3600,
            i64::try_from(MAX_STORY).unwrap_or(i64::MAX)
        ],
    )
}

/// The word index of every section already in `search` (a store from
/// before `V_TERMS`: content files and fetched items alike).
fn fill_terms(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let mut read = tx.prepare("SELECT rowid, text FROM search")?;
    let mut write = tx.prepare("INSERT INTO search_terms (rowid, terms) VALUES (?1, ?2)")?;
    let mut rows = read.query([])?;
    while let Some(row) = rows.next()? {
        let text: String = row.get(1)?;
        write.execute(rusqlite::params![
            row.get::<_, i64>(0)?,
            super::search::terms(&text)
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_described_otherwise_differs_and_one_with_more_does_not() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert!(!differs_from_built(&conn).unwrap());
        conn.execute_batch("CREATE INDEX mine ON files (size); ANALYZE;")
            .unwrap();
        assert!(!differs_from_built(&conn).unwrap());
        conn.execute_batch("ALTER TABLE diagnostics RENAME COLUMN path TO pathx")
            .unwrap();
        assert!(differs_from_built(&conn).unwrap());
    }

    /// The tables counted at open are those listed, and each dropped one
    /// is made again as built (with its indexes), empty, once.
    #[test]
    fn reading_state_tables_dropped_are_made_again_as_built() {
        let mut conn = built_in_memory().unwrap();
        let count = |conn: &Connection| -> i64 {
            conn.query_row(&format!("SELECT {COUNT_READING_STATE_TABLES}"), [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        assert_eq!(count(&conn), 7);
        assert_eq!(READING_STATE_TABLES.len(), 7);
        assert_eq!(recreate_missing(&mut conn).unwrap(), Vec::<&str>::new());
        conn.execute_batch("DROP TABLE stars; DROP TABLE readers; DROP TABLE section_seen;")
            .unwrap();
        assert_eq!(count(&conn), 4);
        assert_eq!(
            recreate_missing(&mut conn).unwrap(),
            ["stars", "readers", "section_seen"]
        );
        assert!(!differs_from_built(&conn).unwrap());
        assert_eq!(count(&conn), 7);
        assert_eq!(recreate_missing(&mut conn).unwrap(), Vec::<&str>::new());
    }

    #[test]
    fn migrations_build_the_current_schema_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert!(matches!(migrate(&mut conn).unwrap(), Migrated::Current));
        assert!(matches!(migrate(&mut conn).unwrap(), Migrated::Current));
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn a_newer_schema_is_reported_not_changed() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(
            matches!(migrate(&mut conn).unwrap(), Migrated::Newer(v) if v == SCHEMA_VERSION + 1)
        );
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 0);
    }

    #[test]
    fn the_readers_migration_keeps_the_local_state() {
        let mut conn = Connection::open_in_memory().unwrap();
        let before = MIGRATIONS.iter().position(|m| *m == V_READERS).unwrap();
        for migration in &MIGRATIONS[..before] {
            conn.execute_batch(migration).unwrap();
        }
        conn.pragma_update(None, "user_version", i64::try_from(before).unwrap())
            .unwrap();
        let local = crate::store::SavedState {
            version: crate::store::VERSION,
            read: vec!["a|en|x".into()],
            starred: vec!["b|en|y".into()],
            known: vec!["a|en|x".into(), "b|en|y".into()],
            view: None,
        };
        super::super::state::save(&mut conn, &crate::store::SavedState::default(), &local).unwrap();
        assert!(matches!(migrate(&mut conn).unwrap(), Migrated::Current));
        assert_eq!(super::super::state::load(&mut conn).unwrap(), Some(local));
        let readers: i64 = conn
            .query_row("SELECT count(*) FROM readers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(readers, 0);
    }

    #[test]
    fn the_story_bounds_migration_splits_chained_stories_only() {
        let mut conn = Connection::open_in_memory().unwrap();
        let before = MIGRATIONS
            .iter()
            .position(|m| *m == V_STORY_BOUNDS)
            .unwrap();
        for migration in &MIGRATIONS[..before] {
            conn.execute_batch(migration).unwrap();
        }
        conn.pragma_update(None, "user_version", i64::try_from(before).unwrap())
            .unwrap();
        let day = 86_400;
        // (file_id, feed, at, story): story 1 chains over three days, story
        // 4 holds two items of feed a, story 6 is a fine two-outlet story.
        let rows = [
            (1, "a", 0, 1),
            (2, "b", day, 1),
            (3, "c", 3 * day, 1),
            (4, "a", 0, 4),
            (5, "a", 60, 4),
            (6, "a", 0, 6),
            (7, "b", day, 6),
        ];
        for (id, feed, at, story) in rows {
            conn.execute(
                "INSERT INTO feed_items (file_id, feed, key, title, at, first_seen, last_seen,
                 last_put, hash, story) VALUES (?1, ?2, ?1, 't', ?3, 0, 0, 1, 0, ?4)",
                rusqlite::params![id, feed, at, story],
            )
            .unwrap();
        }
        assert!(matches!(migrate(&mut conn).unwrap(), Migrated::Current));
        let stories: Vec<(i64, i64)> = conn
            .prepare("SELECT file_id, story FROM feed_items ORDER BY file_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            stories,
            [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 6)]
        );
    }

    #[test]
    fn fetched_items_stored_before_get_an_index_hash_and_content_files_do_not() {
        let mut conn = Connection::open_in_memory().unwrap();
        let before = MIGRATIONS.iter().position(|m| *m == V_FEED_INDEX).unwrap();
        for migration in &MIGRATIONS[..before] {
            conn.execute_batch(migration).unwrap();
        }
        conn.pragma_update(None, "user_version", i64::try_from(before).unwrap())
            .unwrap();
        // File 1 a fetched item, file 2 a content file not yet hashed.
        for (id, path) in [(1, "https://x/feed#1"), (2, "content/a.toml")] {
            conn.execute(
                "INSERT INTO files (id, path, ord, loaded) VALUES (?1, ?2, ?1, 1)",
                rusqlite::params![id, path],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO feed_items (file_id, feed, key, title, at, first_seen, last_seen,
             last_put, hash, story) VALUES (1, 'f', 'k', 't', 0, 0, 0, 1, 77, 1)",
            [],
        )
        .unwrap();
        assert!(matches!(migrate(&mut conn).unwrap(), Migrated::Current));
        let hashes: Vec<Option<i64>> = conn
            .prepare("SELECT index_hash FROM files ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(hashes, [Some(77), None]);
    }
}
