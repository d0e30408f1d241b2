//! Each feed's own refresh hint in the ledger (`feeds.hint_s`), written
//! after a fetch and read by `serve`'s schedule; apart from the items and
//! the fetch record, which `library_store::feeds` owns.

use std::time::Duration;

use rusqlite::{OptionalExtension, params};

use super::{LibraryStore, StoreError};
use crate::feeds::run::{Report, Status};

impl LibraryStore {
    /// The hint the feed gave at its last fetch that gave one.
    pub fn refresh_hint(&self, feed_url: &str) -> Result<Option<Duration>, StoreError> {
        let secs: Option<Option<i64>> = self
            .conn
            .query_row("SELECT hint_s FROM feeds WHERE url = ?1", [feed_url], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.error(e))?;
        Ok(secs
            .flatten()
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs))
    }

    /// Keeps what `reports` said of each feed's freshness: a fetched body
    /// sets the hint (or clears it when the feed no longer gives one); a
    /// 304 sets it only when its headers gave one; a failure changes
    /// nothing. Feeds never recorded are left out. Waits for another
    /// program's writer as a put does (`feeds::begin_waiting`).
    pub fn keep_refresh_hints(&mut self, reports: &[Report]) -> Result<(), StoreError> {
        let tx = super::feeds::begin_waiting(&self.conn, None)
            .map_err(|e| e.into_store_error(&self.path))?;
        let written = (|| {
            for report in reports {
                let secs = report
                    .hint
                    .map(|h| i64::try_from(h.as_secs()).unwrap_or(i64::MAX));
                match (&report.status, secs) {
                    (Status::Fetched, _) | (Status::NotModified, Some(_)) => {
                        tx.execute(
                            "UPDATE feeds SET hint_s = ?2 WHERE url = ?1",
                            params![report.url, secs],
                        )?;
                    }
                    _ => {}
                }
            }
            tx.commit()
        })();
        written.map_err(|source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::ledger::{FeedLedger, FetchRecord, Outcome};

    fn report(url: &str, status: Status, hint: Option<u64>) -> Report {
        Report {
            name: url.to_owned(),
            url: url.to_owned(),
            status,
            items: 0,
            elapsed: Duration::ZERO,
            moved_to: None,
            hint: hint.map(Duration::from_secs),
        }
    }

    #[test]
    fn hints_survive_a_reopen_and_only_a_body_clears_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("library.db");
        let url = "https://a.org/f";
        {
            let mut store = LibraryStore::open(&path).unwrap().store;
            let record = FetchRecord {
                at: chrono::Utc::now(),
                outcome: Outcome::Fetched { items: 1 },
                validators: crate::feeds::ledger::Validators::default(),
                moved_to: None,
                retry_after: None,
            };
            store.record(url, &record).unwrap();
            store
                .keep_refresh_hints(&[report(url, Status::Fetched, Some(600))])
                .unwrap();
        }
        let mut store = LibraryStore::open(&path).unwrap().store;
        let ten = Some(Duration::from_secs(600));
        assert_eq!(store.refresh_hint(url).unwrap(), ten);
        store
            .keep_refresh_hints(&[
                report(url, Status::NotModified, None),
                report(url, Status::Failed("x".into()), None),
            ])
            .unwrap();
        assert_eq!(store.refresh_hint(url).unwrap(), ten);
        store
            .keep_refresh_hints(&[report(url, Status::Fetched, None)])
            .unwrap();
        assert_eq!(store.refresh_hint(url).unwrap(), None);
        assert_eq!(store.refresh_hint("https://never.org/f").unwrap(), None);
    }
}
