//! The activity chart's numbers: how many listed sections fall in each
//! month (or week, when the range is short), per active actor, with long
//! runs of empty months folded into one row. Computed in `update` while
//! the chart is shown; the view only draws it.

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

/// One month (or week) of the calendar: what a chart row stands for, and
/// what the timeline can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub unit: Unit,
    /// Months since year 0 (`year * 12 + month - 1`), or for a week the
    /// day number of its Monday (days since 1970-01-01).
    pub index: i64,
}

impl Period {
    /// Whether a section's date falls in the period; a date known only to
    /// the year (or, for a week, only to the month) falls in none.
    pub fn contains(self, date: NewsDate) -> bool {
        match self.unit {
            Unit::Month => date.precision() != Precision::Year && month_index(date) == self.index,
            Unit::Week => {
                date.precision() == Precision::Day
                    && (self.index..self.index + 7).contains(&days(date))
            }
        }
    }

    /// The year the period starts in.
    pub fn year(self) -> i64 {
        match self.unit {
            Unit::Month => self.index.div_euclid(12),
            Unit::Week => civil(self.index).0,
        }
    }

    /// The month (1-12) the period starts in.
    pub fn month(self) -> u8 {
        let month = match self.unit {
            Unit::Month => self.index.rem_euclid(12) + 1,
            Unit::Week => civil(self.index).1,
        };
        u8::try_from(month).unwrap_or(1)
    }

    /// The period in words: "March 2025", or the week's Monday "10.2.2025".
    pub fn describe(self, strings: &Strings) -> String {
        match self.unit {
            Unit::Month => format!("{} {}", strings.month_name(self.month()), self.year()),
            Unit::Week => {
                let (y, m, d) = civil(self.index);
                format!("{d}.{m}.{y}")
            }
        }
    }
}

/// A month (or week) with at least one section, or the first of a short
/// run of empty ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub period: Period,
    /// "Mar", or the week's Monday as "10.2.".
    pub label: String,
    /// One count per series, in the order of `Chart::series`.
    pub counts: Vec<u64>,
}

/// A row of the chart, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Bucket(Bucket),
    /// A run of this many empty months (or weeks), shown as one row.
    Gap(u64),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chart {
    pub unit: Option<Unit>,
    pub series: Vec<Series>,
    pub rows: Vec<Row>,
    /// Sections known only to the year: they cannot be placed in a month.
    pub year_only: usize,
}

impl Chart {
    /// The buckets, without the gaps.
    pub fn buckets(&self) -> impl Iterator<Item = &Bucket> {
        self.rows.iter().filter_map(|r| match r {
            Row::Bucket(b) => Some(b),
            Row::Gap(_) => None,
        })
    }
}

/// Ranges of at most this many weeks are shown by week.
const WEEKS_MAX: i64 = 10;
/// Runs of at least this many empty months become one "… N empty" row;
/// shorter ones are shown month by month.
pub const GAP_MIN: i64 = 3;

/// Counts `sections` per month (or week), per series. Only months with a
/// section and short runs of empty ones become rows, so the work and the
/// memory follow the number of sections, never the span of their dates
/// (a file dated 0001 and another 9999 make two rows and a gap).
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
            rows: Vec::new(),
            year_only,
        };
    };
    let all_days = dated.iter().all(|(_, d)| d.precision() == Precision::Day);
    let unit = if all_days && (days(last) - days(first)) / 7 < WEEKS_MAX {
        Unit::Week
    } else {
        Unit::Month
    };
    let period_of = |date: NewsDate| match unit {
        Unit::Week => {
            let d = days(date);
            d - weekday(d)
        }
        Unit::Month => month_index(date),
    };
    let step = match unit {
        Unit::Week => 7,
        Unit::Month => 1,
    };
    let mut keyed: Vec<(i64, SectionId)> = dated.iter().map(|&(s, d)| (period_of(d), s)).collect();
    keyed.sort_unstable();
    let mut rows: Vec<Row> = Vec::new();
    let mut previous: Option<i64> = None;
    let empty = |index: i64| {
        Row::Bucket(Bucket {
            period: Period { unit, index },
            label: label(unit, index, strings),
            counts: vec![0; series.len()],
        })
    };
    for (index, s) in keyed {
        if previous != Some(index) {
            if let Some(p) = previous {
                let missing = (index - p) / step - 1;
                if missing >= GAP_MIN {
                    rows.push(Row::Gap(u64::try_from(missing).unwrap_or(0)));
                } else {
                    rows.extend((1..=missing).map(|k| empty(p + k * step)));
                }
            }
            rows.push(empty(index));
            previous = Some(index);
        }
        if let Some(Row::Bucket(bucket)) = rows.last_mut() {
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
    }
    Chart {
        unit: Some(unit),
        series,
        rows,
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

fn label(unit: Unit, index: i64, strings: &Strings) -> String {
    match unit {
        Unit::Month => strings
            .months
            .short
            .get(usize::try_from(index.rem_euclid(12)).unwrap_or(0))
            .cloned()
            .unwrap_or_default(),
        Unit::Week => {
            // The Monday the week starts on, as day.month.
            let (_, m, d) = civil(index);
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

    #[test]
    fn periods_contain_their_dates_only() {
        let march = Period {
            unit: Unit::Month,
            index: 2025 * 12 + 2,
        };
        assert!(march.contains(NewsDate::parse("2025-03-31").unwrap()));
        assert!(march.contains(NewsDate::parse("2025-03").unwrap()));
        assert!(!march.contains(NewsDate::parse("2025-04-01").unwrap()));
        assert!(!march.contains(NewsDate::parse("2025").unwrap()));
        assert_eq!((march.year(), march.month()), (2025, 3));
        let week = Period {
            unit: Unit::Week,
            index: 20_129,
        };
        assert!(week.contains(NewsDate::parse("2025-02-16").unwrap()));
        assert!(!week.contains(NewsDate::parse("2025-02-17").unwrap()));
        assert_eq!((week.year(), week.month()), (2025, 2));
    }
}
