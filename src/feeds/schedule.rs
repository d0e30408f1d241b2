//! When a feed is due again, for `serve`'s background fetcher: the
//! interval (the config's `every`, else the feed's own hint, else an
//! hour), the backoff after failures, and a server's Retry-After. Pure
//! functions of the ledger's last record and the clock; no I/O.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::config::DEFAULT_EVERY;
use super::ledger::{FetchRecord, Outcome};

/// A feed's own hint (RSS `<ttl>`, `Cache-Control: max-age`, `Expires`)
/// is taken within these bounds: a publisher cannot make us poll every
/// second, nor forget the feed for a month.
pub const MIN_HINT: Duration = Duration::from_secs(5 * 60);
pub const MAX_HINT: Duration = Duration::from_secs(86_400);
/// Repeated failures double the wait up to this many intervals...
pub const MAX_BACKOFF_FACTOR: u32 = 8;
/// ...and never past a day (unless the interval itself is longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(86_400);

/// The refresh interval: `every` when the config sets one, else the
/// feed's hint within [`MIN_HINT`, `MAX_HINT`], else one hour.
pub fn interval(every: Option<Duration>, hint: Option<Duration>) -> Duration {
    every.unwrap_or_else(|| hint.map_or(DEFAULT_EVERY, |h| h.clamp(MIN_HINT, MAX_HINT)))
}

/// The wait after `failures` failures in a row (1 or more): the interval,
/// then twice, four and eight times it, but not past a day unless the
/// interval is longer than that.
pub fn backoff(interval: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(3);
    let cap = interval
        .saturating_mul(MAX_BACKOFF_FACTOR)
        .min(MAX_BACKOFF)
        .max(interval);
    interval.saturating_mul(factor).min(cap)
}

/// When the feed is due: `None` when it never was fetched (due now).
/// After a failure, the backoff for `failures` failures in a row and not
/// before the server's Retry-After.
pub fn next_due(
    last: Option<&FetchRecord>,
    interval: Duration,
    failures: u32,
) -> Option<DateTime<Utc>> {
    let last = last?;
    let wait = match last.outcome {
        Outcome::Failed { .. } => backoff(interval, failures.max(1)),
        _ => interval,
    };
    let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
    let due = last
        .at
        .checked_add_signed(wait)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    Some(last.retry_after.map_or(due, |r| r.max(due)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::ledger::Validators;

    const MIN: Duration = Duration::from_secs(60);

    fn record(outcome: Outcome, retry_after: Option<DateTime<Utc>>) -> FetchRecord {
        FetchRecord {
            at: DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            outcome,
            validators: Validators::default(),
            moved_to: None,
            retry_after,
        }
    }

    #[test]
    fn every_beats_the_hint_which_beats_an_hour() {
        assert_eq!(interval(Some(2 * MIN), Some(30 * MIN)), 2 * MIN);
        assert_eq!(interval(None, Some(30 * MIN)), 30 * MIN);
        assert_eq!(interval(None, None), 60 * MIN);
    }

    #[test]
    fn the_hint_is_bounded_to_five_minutes_and_a_day() {
        assert_eq!(interval(None, Some(Duration::from_secs(1))), 5 * MIN);
        assert_eq!(interval(None, Some(Duration::ZERO)), 5 * MIN);
        assert_eq!(interval(None, Some(30 * 24 * 60 * MIN)), 24 * 60 * MIN);
        // The user's own `every` is not bounded by the hint's limits.
        assert_eq!(interval(Some(MIN), Some(60 * MIN)), MIN);
    }

    #[test]
    fn failures_double_the_wait_up_to_eight_intervals_or_a_day() {
        let hour = 60 * MIN;
        let waits: Vec<Duration> = (1..=6).map(|n| backoff(hour, n)).collect();
        assert_eq!(
            waits,
            [hour, 2 * hour, 4 * hour, 8 * hour, 8 * hour, 8 * hour]
        );
        // Eight times 6 h would be two days: a day at most.
        assert_eq!(backoff(6 * hour, 3), 24 * hour);
        // An interval longer than a day is never shortened.
        assert_eq!(backoff(48 * hour, 5), 48 * hour);
        assert_eq!(backoff(hour, u32::MAX), 8 * hour);
    }

    #[test]
    fn due_after_the_interval_or_the_backoff_and_never_before_retry_after() {
        let hour = 60 * MIN;
        assert_eq!(next_due(None, hour, 0), None);
        let ok = record(Outcome::Fetched { items: 3 }, None);
        assert_eq!(
            next_due(Some(&ok), hour, 0),
            Some(ok.at + chrono::Duration::hours(1))
        );
        let unchanged = record(Outcome::NotModified, None);
        assert_eq!(
            next_due(Some(&unchanged), hour, 0),
            Some(unchanged.at + chrono::Duration::hours(1))
        );
        let failed = record(Outcome::Failed { reason: "x".into() }, None);
        assert_eq!(
            next_due(Some(&failed), hour, 3),
            Some(failed.at + chrono::Duration::hours(4))
        );
        // A failure remembered from before a restart counts as one.
        assert_eq!(
            next_due(Some(&failed), hour, 0),
            Some(failed.at + chrono::Duration::hours(1))
        );
        let later = failed.at + chrono::Duration::hours(10);
        let asked = record(
            Outcome::Failed {
                reason: "429".into(),
            },
            Some(later),
        );
        assert_eq!(next_due(Some(&asked), hour, 1), Some(later));
        let sooner = failed.at + chrono::Duration::minutes(5);
        let asked = record(
            Outcome::Failed {
                reason: "503".into(),
            },
            Some(sooner),
        );
        assert_eq!(
            next_due(Some(&asked), hour, 2),
            Some(failed.at + chrono::Duration::hours(2))
        );
    }
}
