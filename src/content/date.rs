//! News dates at the precision the facts give: a day, a month or a year.

use std::fmt;

/// A calendar date that may be known only to the month or the year.
///
/// Ordering puts a month-precision date before every day of that month and a
/// year-precision date before every month of that year, because a missing
/// month or day is stored as 0.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "(u16, u8, u8)", try_from = "(u16, u8, u8)")]
pub struct NewsDate {
    year: u16,
    month: u8,
    day: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Year,
    Month,
    Day,
}

impl From<NewsDate> for (u16, u8, u8) {
    fn from(d: NewsDate) -> Self {
        (d.year, d.month, d.day)
    }
}

/// Read back from a stored image: checked as `NewsDate::new` checks.
impl TryFrom<(u16, u8, u8)> for NewsDate {
    type Error = String;

    fn try_from((year, month, day): (u16, u8, u8)) -> Result<Self, Self::Error> {
        let month_given = (month > 0).then_some(month);
        let day_given = (day > 0).then_some(day);
        Self::new(year, month_given, day_given)
            .ok_or_else(|| format!("not a date: {year}-{month}-{day}"))
    }
}

impl NewsDate {
    /// A date, checked: month 1-12 when given, day valid for the month.
    pub fn new(year: u16, month: Option<u8>, day: Option<u8>) -> Option<Self> {
        if year == 0 || year > 9999 {
            return None;
        }
        match (month, day) {
            (None, None) => Some(Self {
                year,
                month: 0,
                day: 0,
            }),
            (Some(m @ 1..=12), None) => Some(Self {
                year,
                month: m,
                day: 0,
            }),
            (Some(m @ 1..=12), Some(d)) if d >= 1 && d <= days_in_month(year, m) => Some(Self {
                year,
                month: m,
                day: d,
            }),
            _ => None,
        }
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (digits only, exact widths).
    pub fn parse(s: &str) -> Option<Self> {
        let parts: Vec<&str> = s.split('-').collect();
        let widths_ok = matches!(parts.as_slice(), [y] | [y, _] | [y, _, _] if y.len() == 4)
            && parts[1..].iter().all(|p| p.len() == 2);
        if !widths_ok || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let year = parts[0].parse().ok()?;
        let month = parts.get(1).and_then(|m| m.parse().ok());
        let day = parts.get(2).and_then(|d| d.parse().ok());
        Self::new(year, month, day)
    }

    pub fn year(self) -> u16 {
        self.year
    }

    /// 1-12, or `None` at year precision.
    pub fn month(self) -> Option<u8> {
        (self.month != 0).then_some(self.month)
    }

    pub fn day(self) -> Option<u8> {
        (self.day != 0).then_some(self.day)
    }

    /// Compares at the coarser of the two precisions, so `2025` is neither
    /// before nor after `2025-02`: a date range includes every section that
    /// may fall in it.
    pub fn cmp_coarse(self, other: Self) -> std::cmp::Ordering {
        let cut = |d: Self, month: bool, day: bool| {
            (
                d.year,
                if month { d.month } else { 0 },
                if day { d.day } else { 0 },
            )
        };
        let month = self.month != 0 && other.month != 0;
        let day = month && self.day != 0 && other.day != 0;
        cut(self, month, day).cmp(&cut(other, month, day))
    }

    pub fn precision(self) -> Precision {
        match (self.month, self.day) {
            (0, _) => Precision::Year,
            (_, 0) => Precision::Month,
            _ => Precision::Day,
        }
    }
}

/// ISO form at the date's own precision: `2025`, `2025-01`, `2025-01-27`.
impl fmt::Display for NewsDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision() {
            Precision::Year => write!(f, "{:04}", self.year),
            Precision::Month => write!(f, "{:04}-{:02}", self.year, self.month),
            Precision::Day => write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day),
        }
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::year("2023", Precision::Year)]
    #[case::month("2025-01", Precision::Month)]
    #[case::day("2025-02-10", Precision::Day)]
    #[case::leap_day("2024-02-29", Precision::Day)]
    fn valid_dates_keep_their_precision(#[case] text: &str, #[case] precision: Precision) {
        let date = NewsDate::parse(text).unwrap();
        assert_eq!(date.precision(), precision);
        assert_eq!(date.to_string(), text);
    }

    #[rstest]
    #[case::month_13("2025-13-01")]
    #[case::day_32("2025-01-32")]
    #[case::not_leap("2025-02-29")]
    #[case::words("Feb 2025")]
    #[case::short_year("25-02")]
    #[case::one_digit_month("2025-2")]
    #[case::date_time("2025-02-10T10:00:00Z")]
    #[case::empty("")]
    #[case::year_zero("0000")]
    #[case::signs("+202-01")]
    fn invalid_dates_are_rejected(#[case] text: &str) {
        assert_eq!(NewsDate::parse(text), None);
    }

    #[test]
    fn coarse_comparison_treats_containing_dates_as_equal() {
        let d = |s: &str| NewsDate::parse(s).unwrap();
        assert!(d("2025").cmp_coarse(d("2025-02")).is_eq());
        assert!(d("2025-02-10").cmp_coarse(d("2025-02")).is_eq());
        assert!(d("2025-01-31").cmp_coarse(d("2025-02")).is_lt());
        assert!(d("2025-03").cmp_coarse(d("2025-02-28")).is_gt());
    }

    #[test]
    fn coarser_dates_sort_before_the_finer_ones_they_contain() {
        let mut dates: Vec<NewsDate> = [
            "2025-02-10",
            "2025-02",
            "2025",
            "2024-12-31",
            "2025-01-27",
            "2025-01",
        ]
        .iter()
        .map(|s| NewsDate::parse(s).unwrap())
        .collect();
        dates.sort();
        let shown: Vec<String> = dates.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "2024-12-31",
                "2025",
                "2025-01",
                "2025-01-27",
                "2025-02",
                "2025-02-10"
            ]
        );
    }
}
