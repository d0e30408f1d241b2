//! A store of an earlier schema, for the tests of its migration: a
//! current store rewritten in the layout it had before `V_INDEX` (and so
//! before `V_READERS`).

#![allow(dead_code, clippy::unwrap_used)] // shared by several test crates

use std::path::Path;

use aiwatch_tui::library_store::SCHEMA_VERSION;

/// Rewrites a current store in the layout of the schema before `V_INDEX`
/// (a row per tag in `tags`; no packed `tags` columns, no `index_hash`),
/// as the previous version left it.
pub fn downgrade_to_tag_rows(path: &Path) {
    fn unpack(packed: &str) -> Vec<(&'static str, String)> {
        packed
            .split('\x1f')
            .skip(1)
            .map(|p| {
                let kind = if p.starts_with('a') { "actor" } else { "topic" };
                (kind, p[1..].to_owned())
            })
            .collect()
    }
    let mut conn = rusqlite::Connection::open(path).unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute_batch(
        "CREATE TABLE tags (
            file_id INTEGER NOT NULL,
            section INTEGER NOT NULL,
            kind    TEXT NOT NULL CHECK (kind IN ('actor', 'topic')),
            pos     INTEGER NOT NULL,
            tag     TEXT NOT NULL,
            PRIMARY KEY (file_id, section, kind, pos)
        ) WITHOUT ROWID;",
    )
    .unwrap();
    let rows: Vec<(i64, i64, String)> = tx
        .prepare(
            "SELECT file_id, -1, tags FROM articles
             UNION ALL SELECT file_id, idx, tags FROM sections",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut tagged = 0;
    for (file_id, section, packed) in rows {
        let tags = unpack(&packed);
        for kind in ["actor", "topic"] {
            for (pos, (_, tag)) in (0i64..).zip(tags.iter().filter(|(k, _)| *k == kind)) {
                tagged += 1;
                tx.execute(
                    "INSERT INTO tags (file_id, section, kind, pos, tag) VALUES (?1, ?2, ?3, ?4, ?5)",
                    rusqlite::params![file_id, section, kind, pos, tag],
                )
                .unwrap();
            }
        }
    }
    assert!(tagged > 50, "the fixture has tags to migrate");
    tx.execute_batch(
        "ALTER TABLE articles DROP COLUMN tags;
         ALTER TABLE sections DROP COLUMN tags;
         ALTER TABLE files DROP COLUMN index_hash;
         DROP TABLE readers;
         DROP TABLE reader_marks;
         DROP TABLE section_seen;",
    )
    .unwrap();
    // Before the tags were packed, and before readers were remembered
    // (and so before stories were bounded and fetched items hashed, the
    // migrations after those).
    tx.pragma_update(None, "user_version", SCHEMA_VERSION - 4)
        .unwrap();
    tx.commit().unwrap();
}
