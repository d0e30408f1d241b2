//! The activity chart's numbers: how many listed sections fall in each
//! month (or week, when the range is short), per active actor. Computed
//! in `update` whenever the list changes; the view only draws it.

use crate::content::{Library, NewsDate, Precision, SectionId};
use crate::i18n::Strings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Month,
    Week,
}

/// What one series counts: every listed section, or one active actor's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    All,
    Actor(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub label: String,
    /// One count per series, in the order of `Chart::series`.
    pub counts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chart {
    pub unit: Option<Unit>,
    pub series: Vec<Series>,
    pub buckets: Vec<Bucket>,
    /// Sections known only to the year: they cannot be placed in a month.
    pub year_only: usize,
}

/// Ranges of at most this many weeks are shown by week.
const WEEKS_MAX: i64 = 10;

pub fn build(
    library: &Library,
    sections: &[SectionId],
    active: &[usize],
    strings: &Strings,
) -> Chart {
    let series: Vec<Series> = if active.is_empty() {
        vec![Series::All]
    } else {
        active.iter().map(|&a| Series::Actor(a)).collect()
    };
    let dated: Vec<(SectionId, NewsDate)> = sections
        .iter()
        .map(|&s| (s, library.sections[s].date))
        .filter(|(_, d)| d.precision() != Precision::Year)
        .collect();
    let year_only = sections.len() - dated.len();
    let (Some(first), Some(last)) = (
        dated.iter().map(|d| d.1).min(),
        dated.iter().map(|d| d.1).max(),
    ) else {
        return Chart {
            unit: None,
            series,
            buckets: Vec::new(),
            year_only,
        };
    };
    let all_days = dated.iter().all(|(_, d)| d.precision() == Precision::Day);
    let weeks = all_days && (days(last) - days(first)) / 7 < WEEKS_MAX;
    let (unit, start, count) = if weeks {
        let start = days(first) - weekday(days(first));
        (Unit::Week, start, (days(last) - start) / 7 + 1)
    } else {
        let start = month_index(first);
        (Unit::Month, start, month_index(last) - start + 1)
    };
    let mut buckets: Vec<Bucket> = (0..count)
        .map(|i| Bucket {
            label: label(unit, start, i, strings),
            counts: vec![0; series.len()],
        })
        .collect();
    for (s, date) in dated {
        let index = match unit {
            Unit::Week => (days(date) - start) / 7,
            Unit::Month => month_index(date) - start,
        };
        let Some(bucket) = usize::try_from(index).ok().and_then(|i| buckets.get_mut(i)) else {
            continue;
        };
        for (k, serie) in series.iter().enumerate() {
            let counts = match serie {
                Series::All => true,
                Series::Actor(a) => library.sections[s].actors.contains(a),
            };
            if counts {
                bucket.counts[k] += 1;
            }
        }
    }
    Chart {
        unit: Some(unit),
        series,
        buckets,
        year_only,
    }
}

fn month_index(d: NewsDate) -> i64 {
    i64::from(d.year()) * 12 + i64::from(d.month().unwrap_or(1)) - 1
}

/// Days since 1970-01-01 (proleptic Gregorian), for week arithmetic.
fn days(d: NewsDate) -> i64 {
    let (y, m, day) = (
        i64::from(d.year()),
        i64::from(d.month().unwrap_or(1)),
        i64::from(d.day().unwrap_or(1)),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// 0 for Monday.
fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

fn label(unit: Unit, start: i64, i: i64, strings: &Strings) -> String {
    match unit {
        Unit::Month => {
            let m = start + i;
            let (year, month) = (m.div_euclid(12), m.rem_euclid(12) + 1);
            let name = strings
                .months
                .short
                .get(usize::try_from(month - 1).unwrap_or(0))
                .cloned()
                .unwrap_or_default();
            if month == 1 || i == 0 {
                format!("{name} {:02}", year % 100)
            } else {
                name
            }
        }
        Unit::Week => {
            // The Monday the week starts on, as day.month.
            let (y, m, d) = civil(start + 7 * i);
            let _ = y;
            format!("{d}.{m}.")
        }
    }
}

/// The calendar date of a day count (inverse of `days`).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_arithmetic_round_trips() {
        let d = NewsDate::parse("2025-02-10").unwrap();
        assert_eq!(days(d), 20_129);
        assert_eq!(civil(20_129), (2025, 2, 10));
        assert_eq!(weekday(days(d)), 0, "10 Feb 2025 was a Monday");
        assert_eq!(days(NewsDate::parse("1970-01-01").unwrap()), 0);
    }
}
