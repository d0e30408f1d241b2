//! The reading state inside the store: read marks, stars, the sections
//! seen (what is new since the last visit) and the last view. A save
//! writes only what changed since the state it started from, in one small
//! transaction, so two readers saving at once both keep their marks. It
//! knows the saved-state type, not the app.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::store::{SavedState, SavedView, VERSION};

/// The state as stored, or `None` when none was ever saved or migrated.
pub fn load(conn: &mut Connection) -> rusqlite::Result<Option<SavedState>> {
    let tx = conn.transaction()?;
    let saved: Option<String> = tx
        .query_row("SELECT value FROM reading WHERE key = 'saved'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if saved.is_none() {
        return Ok(None);
    }
    let keys = |table: &str| -> rusqlite::Result<Vec<String>> {
        let mut stmt = tx.prepare(&format!("SELECT key FROM {table} ORDER BY key"))?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect()
    };
    let read = keys("read_marks")?;
    let starred = keys("stars")?;
    let known = keys("known_sections")?;
    let view: Option<String> = tx
        .query_row("SELECT value FROM reading WHERE key = 'view'", [], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(Some(stored(read, starred, known, view)))
}

/// A state as read back; `view` is the stored JSON. Only the last view:
/// one that does not parse (edited by hand) is simply not restored, it is
/// not worth refusing the store over.
pub(super) fn stored(
    read: Vec<String>,
    starred: Vec<String>,
    known: Vec<String>,
    view: Option<String>,
) -> SavedState {
    SavedState {
        version: VERSION,
        read,
        starred,
        known,
        view: view.and_then(|v| serde_json::from_str::<SavedView>(&v).ok()),
    }
}

/// Writes what changed from `before` (the state this process last read or
/// saved) to `after`, in one transaction: marks added or removed here are
/// added or removed; marks another process saved meanwhile are left alone.
pub fn save(
    conn: &mut Connection,
    before: &SavedState,
    after: &SavedState,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (table, old, new) in [
        ("read_marks", &before.read, &after.read),
        ("stars", &before.starred, &after.starred),
    ] {
        let old: BTreeSet<&String> = old.iter().collect();
        let new: BTreeSet<&String> = new.iter().collect();
        insert(&tx, table, new.difference(&old).copied())?;
        let mut remove = tx.prepare_cached(&format!("DELETE FROM {table} WHERE key = ?1"))?;
        for key in old.difference(&new) {
            remove.execute([key])?;
        }
    }
    // Sections seen only grow: another reader may know sections this one
    // never loaded.
    let seen: BTreeSet<&String> = before.known.iter().collect();
    insert(
        &tx,
        "known_sections",
        after.known.iter().filter(|k| !seen.contains(k)),
    )?;
    write_view(&tx, after.view.as_ref())?;
    tx.commit()
}

/// Adds a state from elsewhere (a `state.json` being migrated) to what is
/// stored: marks and sections seen are joined, the view is taken only when
/// none is stored. Doing it twice changes nothing.
pub fn merge(conn: &mut Connection, state: &SavedState) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    insert(&tx, "read_marks", &state.read)?;
    insert(&tx, "stars", &state.starred)?;
    insert(&tx, "known_sections", &state.known)?;
    let has_view: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM reading WHERE key = 'view')",
        [],
        |r| r.get(0),
    )?;
    if has_view {
        write_view(&tx, None)?;
    } else {
        write_view(&tx, state.view.as_ref())?;
    }
    tx.commit()
}

fn insert<'a>(
    tx: &Transaction<'_>,
    table: &str,
    keys: impl IntoIterator<Item = &'a String>,
) -> rusqlite::Result<()> {
    let mut stmt =
        tx.prepare_cached(&format!("INSERT OR IGNORE INTO {table} (key) VALUES (?1)"))?;
    for key in keys {
        stmt.execute([key])?;
    }
    Ok(())
}

/// Records that state was saved, and the view when there is one.
fn write_view(tx: &Transaction<'_>, view: Option<&SavedView>) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO reading (key, value) VALUES ('saved', '1')",
        [],
    )?;
    if let Some(view) = view {
        let json = serde_json::to_string(view)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        tx.execute(
            "INSERT OR REPLACE INTO reading (key, value) VALUES ('view', ?1)",
            params![json],
        )?;
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An in-memory store at the current schema.
    pub(in crate::library_store) fn conn() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        conn
    }

    /// A state with these keys and a view in `lang`.
    pub(in crate::library_store) fn state(
        read: &[&str],
        starred: &[&str],
        known: &[&str],
        lang: &str,
    ) -> SavedState {
        let list = |l: &[&str]| l.iter().map(|&s| s.to_owned()).collect();
        SavedState {
            version: VERSION,
            read: list(read),
            starred: list(starred),
            known: list(known),
            view: Some(SavedView {
                language: lang.to_owned(),
                ..SavedView::default()
            }),
        }
    }

    #[test]
    fn nothing_saved_reads_as_none_and_a_save_reads_back() {
        let mut conn = conn();
        assert_eq!(load(&mut conn).unwrap(), None);
        let empty = SavedState::default();
        let after = state(&["a"], &["b"], &["a", "b"], "de");
        save(&mut conn, &empty, &after).unwrap();
        assert_eq!(load(&mut conn).unwrap(), Some(after));
    }

    #[test]
    fn a_save_writes_only_its_own_changes() {
        let mut conn = conn();
        let start = state(&["a"], &["s"], &["a", "s"], "en");
        save(&mut conn, &SavedState::default(), &start).unwrap();
        // Two readers started from `start`; each reads one more and one unstars.
        let one = state(&["a", "x"], &[], &["a", "s", "x"], "en");
        let two = state(&["a", "y"], &["s", "t"], &["a", "s", "y", "t"], "de");
        save(&mut conn, &start, &one).unwrap();
        save(&mut conn, &start, &two).unwrap();
        let stored = load(&mut conn).unwrap().unwrap();
        assert_eq!(stored.read, ["a", "x", "y"]);
        assert_eq!(
            stored.starred,
            ["t"],
            "s unstarred by one, t starred by two"
        );
        assert_eq!(stored.known, ["a", "s", "t", "x", "y"]);
        assert_eq!(stored.view.unwrap().language, "de", "the last save's view");
    }

    #[test]
    fn merging_joins_marks_keeps_the_stored_view_and_can_repeat() {
        let mut conn = conn();
        let stored = state(&["a"], &[], &["a"], "en");
        save(&mut conn, &SavedState::default(), &stored).unwrap();
        let migrated = state(&["b"], &["b"], &["b"], "de");
        merge(&mut conn, &migrated).unwrap();
        merge(&mut conn, &migrated).unwrap();
        let back = load(&mut conn).unwrap().unwrap();
        assert_eq!(back.read, ["a", "b"]);
        assert_eq!(back.starred, ["b"]);
        assert_eq!(back.view.unwrap().language, "en");
        // Into an empty store, the migrated view is taken.
        let mut fresh = self::conn();
        merge(&mut fresh, &migrated).unwrap();
        assert_eq!(load(&mut fresh).unwrap(), Some(migrated));
    }
}
