//! The reading state of `serve`'s readers remembered by their key: read
//! marks, stars, what they have seen and their last view, per key
//! fingerprint. Kept apart from the local reader's tables (`state`). A
//! save writes only what changed since the state it started from, in one
//! transaction, so two sessions of one reader (on two instances sharing
//! the store) both keep their marks; past `max` readers the ones saved
//! longest ago are forgotten. It knows the saved-state type, not the app
//! nor SSH.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::store::SavedState;

/// Read marks, and stars, kept for one reader at most. Both are bounded
/// by the sections of the library anyway; this holds whatever it holds.
pub const MAX_MARKS: usize = 200_000;

/// The reader's state, or `None` when nothing is kept for them.
pub fn load(conn: &mut Connection, fingerprint: &str) -> rusqlite::Result<Option<SavedState>> {
    let tx = conn.transaction()?;
    let row: Option<(i64, Option<String>)> = tx
        .query_row(
            "SELECT known_upto, view FROM readers WHERE fingerprint = ?1",
            [fingerprint],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((known_upto, view)) = row else {
        return Ok(None);
    };
    let marks = |kind: &str| -> rusqlite::Result<Vec<String>> {
        let mut stmt = tx.prepare_cached(
            "SELECT key FROM reader_marks WHERE fingerprint = ?1 AND kind = ?2 ORDER BY key",
        )?;
        let rows = stmt.query_map(params![fingerprint, kind], |r| r.get(0))?;
        rows.collect()
    };
    let read = marks("read")?;
    let starred = marks("star")?;
    let mut known: Vec<String> = {
        let mut stmt = tx.prepare_cached("SELECT key FROM section_seen WHERE seq <= ?1")?;
        let rows = stmt.query_map([known_upto], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    known.sort_unstable();
    Ok(Some(super::state::stored(read, starred, known, view)))
}

/// Writes what changed from `before` (what this session last read or
/// saved) to `after` for `fingerprint`, then forgets the readers saved
/// longest ago while more than `max` (at least 1) are kept. With
/// `kept_before` (the session read or saved a row for them), a row gone
/// meanwhile means the reader was erased (by another of their sessions) or
/// forgotten past `max`: nothing is written, and `false` says so.
pub fn save(
    conn: &mut Connection,
    fingerprint: &str,
    before: &SavedState,
    after: &SavedState,
    max: usize,
    kept_before: bool,
) -> rusqlite::Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if kept_before {
        let still: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM readers WHERE fingerprint = ?1)",
            [fingerprint],
            |r| r.get(0),
        )?;
        if !still {
            return Ok(false);
        }
    }
    for (kind, old, new) in [
        ("read", &before.read, &after.read),
        ("star", &before.starred, &after.starred),
    ] {
        let old: BTreeSet<&String> = old.iter().collect();
        let new: BTreeSet<&String> = new.iter().collect();
        let mut remove = tx.prepare_cached(
            "DELETE FROM reader_marks WHERE fingerprint = ?1 AND kind = ?2 AND key = ?3",
        )?;
        for key in old.difference(&new) {
            remove.execute(params![fingerprint, kind, key])?;
        }
        let held: i64 = tx.query_row(
            "SELECT count(*) FROM reader_marks WHERE fingerprint = ?1 AND kind = ?2",
            params![fingerprint, kind],
            |r| r.get(0),
        )?;
        let room = MAX_MARKS.saturating_sub(usize::try_from(held).unwrap_or(usize::MAX));
        let mut add = tx.prepare_cached(
            "INSERT OR IGNORE INTO reader_marks (fingerprint, kind, key) VALUES (?1, ?2, ?3)",
        )?;
        for key in new.difference(&old).take(room) {
            add.execute(params![fingerprint, kind, key])?;
        }
    }
    // Sections seen only grow, and are shared: a reader knows those
    // first shown up to their `known_upto`.
    let seen: BTreeSet<&String> = before.known.iter().collect();
    let mut shown = tx.prepare_cached("INSERT OR IGNORE INTO section_seen (key) VALUES (?1)")?;
    for key in after.known.iter().filter(|k| !seen.contains(k)) {
        shown.execute([key])?;
    }
    drop(shown);
    let view = after
        .view
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT INTO readers (fingerprint, seen, known_upto, view) VALUES (?1, \
             (SELECT coalesce(max(seen), 0) + 1 FROM readers), \
             (SELECT coalesce(max(seq), 0) FROM section_seen), ?2) \
         ON CONFLICT (fingerprint) DO UPDATE SET seen = excluded.seen, \
             known_upto = max(known_upto, excluded.known_upto), \
             view = coalesce(excluded.view, view)",
        params![fingerprint, view],
    )?;
    evict(&tx, max.max(1))?;
    tx.commit()?;
    Ok(true)
}

/// Forgets the readers saved longest ago while more than `max` are kept.
fn evict(tx: &Transaction<'_>, max: usize) -> rusqlite::Result<()> {
    let count: i64 = tx.query_row("SELECT count(*) FROM readers", [], |r| r.get(0))?;
    let over = count.saturating_sub(i64::try_from(max).unwrap_or(i64::MAX));
    if over <= 0 {
        return Ok(());
    }
    tx.execute(
        "CREATE TEMP TABLE IF NOT EXISTS evicted (fingerprint TEXT PRIMARY KEY)",
        [],
    )?;
    tx.execute("DELETE FROM temp.evicted", [])?;
    tx.execute(
        "INSERT INTO temp.evicted SELECT fingerprint FROM readers ORDER BY seen LIMIT ?1",
        [over],
    )?;
    tx.execute(
        "DELETE FROM reader_marks WHERE fingerprint IN (SELECT fingerprint FROM temp.evicted)",
        [],
    )?;
    tx.execute(
        "DELETE FROM readers WHERE fingerprint IN (SELECT fingerprint FROM temp.evicted)",
        [],
    )?;
    tx.execute("DELETE FROM temp.evicted", [])?;
    Ok(())
}

/// Erases everything kept for `fingerprint`; whether anything was.
pub fn forget(conn: &mut Connection, fingerprint: &str) -> rusqlite::Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "DELETE FROM reader_marks WHERE fingerprint = ?1",
        [fingerprint],
    )?;
    let gone = tx.execute("DELETE FROM readers WHERE fingerprint = ?1", [fingerprint])?;
    tx.commit()?;
    Ok(gone > 0)
}

/// How many readers are kept.
pub fn count(conn: &Connection) -> rusqlite::Result<usize> {
    conn.query_row("SELECT count(*) FROM readers", [], |r| r.get::<_, i64>(0))
        .map(|n| usize::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::super::state::tests::{conn, state};
    use super::*;

    const ANN: &str = "SHA256:ann";
    const BOB: &str = "SHA256:bob";

    #[test]
    fn each_reader_reads_back_their_own_state_and_not_the_local_one() {
        let mut conn = conn();
        assert_eq!(load(&mut conn, ANN).unwrap(), None);
        let ann = state(&["a"], &["b"], &["a", "b"], "de");
        save(&mut conn, ANN, &SavedState::default(), &ann, 10, false).unwrap();
        assert_eq!(load(&mut conn, ANN).unwrap(), Some(ann));
        assert_eq!(load(&mut conn, BOB).unwrap(), None);
        assert_eq!(
            super::super::state::load(&mut conn).unwrap(),
            None,
            "the local reader's state is apart"
        );
    }

    #[test]
    fn sections_shown_later_are_new_to_a_reader_who_had_not_seen_them() {
        let mut conn = conn();
        let ann = state(&[], &[], &["a", "b"], "en");
        save(&mut conn, ANN, &SavedState::default(), &ann, 10, false).unwrap();
        // Bob is shown a newer library with `c`.
        let bob = state(&[], &[], &["a", "b", "c"], "en");
        save(&mut conn, BOB, &SavedState::default(), &bob, 10, false).unwrap();
        assert_eq!(load(&mut conn, ANN).unwrap().unwrap().known, ["a", "b"]);
        assert_eq!(
            load(&mut conn, BOB).unwrap().unwrap().known,
            ["a", "b", "c"]
        );
    }

    #[test]
    fn two_sessions_of_one_reader_both_keep_their_changes() {
        let mut conn = conn();
        let start = state(&["a"], &["s"], &["a", "s"], "en");
        save(&mut conn, ANN, &SavedState::default(), &start, 10, false).unwrap();
        let one = state(&["a", "x"], &[], &["a", "s", "x"], "en");
        let two = state(&["a", "y"], &["s", "t"], &["a", "s", "t", "y"], "de");
        save(&mut conn, ANN, &start, &one, 10, false).unwrap();
        save(&mut conn, ANN, &start, &two, 10, false).unwrap();
        let back = load(&mut conn, ANN).unwrap().unwrap();
        assert_eq!(back.read, ["a", "x", "y"]);
        assert_eq!(back.starred, ["t"]);
        assert_eq!(back.view.unwrap().language, "de");
    }

    #[test]
    fn past_the_cap_the_reader_saved_longest_ago_is_forgotten() {
        let mut conn = conn();
        let s = state(&["a"], &["a"], &["a"], "en");
        let none = SavedState::default();
        save(&mut conn, ANN, &none, &s, 2, false).unwrap();
        save(&mut conn, BOB, &none, &s, 2, false).unwrap();
        // Ann comes back: now Bob is the one saved longest ago.
        save(&mut conn, ANN, &s, &s, 2, false).unwrap();
        save(&mut conn, "SHA256:cy", &none, &s, 2, false).unwrap();
        assert_eq!(count(&conn).unwrap(), 2);
        assert!(load(&mut conn, ANN).unwrap().is_some());
        assert_eq!(load(&mut conn, BOB).unwrap(), None);
        let marks: i64 = conn
            .query_row(
                "SELECT count(*) FROM reader_marks WHERE fingerprint = ?1",
                [BOB],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(marks, 0, "an evicted reader's marks go with them");
    }

    #[test]
    fn forgetting_erases_one_reader_only() {
        let mut conn = conn();
        let s = state(&["a"], &["b"], &["a", "b"], "en");
        save(&mut conn, ANN, &SavedState::default(), &s, 10, false).unwrap();
        save(&mut conn, BOB, &SavedState::default(), &s, 10, false).unwrap();
        assert!(forget(&mut conn, ANN).unwrap());
        assert!(!forget(&mut conn, ANN).unwrap(), "nothing left to erase");
        assert_eq!(load(&mut conn, ANN).unwrap(), None);
        assert_eq!(load(&mut conn, BOB).unwrap(), Some(s));
    }

    /// Found by a fresh-eyes test: another open session of a reader who
    /// erased everything brought part of it back at its next save.
    #[test]
    fn a_session_that_kept_a_reader_does_not_bring_them_back_after_an_erase() {
        let mut conn = conn();
        let s = state(&["a"], &["b"], &["a", "b"], "en");
        assert!(save(&mut conn, ANN, &SavedState::default(), &s, 10, false).unwrap());
        assert!(forget(&mut conn, ANN).unwrap());
        let more = state(&["a", "c"], &["b", "c"], &["a", "b", "c"], "en");
        assert!(!save(&mut conn, ANN, &s, &more, 10, true).unwrap());
        assert_eq!(load(&mut conn, ANN).unwrap(), None, "still erased");
        // A session that never saw them kept may start them anew.
        assert!(save(&mut conn, ANN, &SavedState::default(), &more, 10, false).unwrap());
        assert_eq!(load(&mut conn, ANN).unwrap(), Some(more));
    }

    #[test]
    fn marks_past_the_bound_are_not_kept() {
        let mut conn = conn();
        let many: Vec<String> = (0..=MAX_MARKS).map(|i| format!("k{i:07}")).collect();
        let after = SavedState {
            read: many,
            ..SavedState::default()
        };
        save(&mut conn, ANN, &SavedState::default(), &after, 10, false).unwrap();
        let back = load(&mut conn, ANN).unwrap().unwrap();
        assert_eq!(back.read.len(), MAX_MARKS);
    }
}
