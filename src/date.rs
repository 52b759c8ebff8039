//! Dates of stated precision for cards: a year ("2025"), a month ("2026-06") or a day
//! ("2026-02-06"). Parsing rejects impossible dates with a message that says why.

use chrono::{Datelike, NaiveDate};
use std::cmp::Ordering;
use std::fmt;

/// A calendar date known to a year, a month or a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Date {
    year: i32,
    month: Option<u32>,
    day: Option<u32>,
}

/// How precisely a [`Date`] is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    Year,
    Month,
    Day,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Date {
    /// Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. The error says what is wrong in words a
    /// moderator can act on ("February 2026 has 28 days").
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize, what: &str| -> Result<u32, String> {
            if p.len() != len || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "`{s}` is not a date: the {what} must be {len} digits (write YYYY, YYYY-MM or YYYY-MM-DD)"
                ));
            }
            p.parse::<u32>().map_err(|_| format!("`{s}` is not a date"))
        };
        if parts.is_empty() || parts.len() > 3 {
            return Err(format!(
                "`{s}` is not a date: write YYYY, YYYY-MM or YYYY-MM-DD"
            ));
        }
        let year = num(parts[0], 4, "year")? as i32;
        if year < 1000 {
            return Err(format!("`{s}`: the year {year} is out of range"));
        }
        let month = match parts.get(1) {
            Some(p) => {
                let m = num(p, 2, "month")?;
                if !(1..=12).contains(&m) {
                    return Err(format!("`{s}` is impossible: there is no month {m}"));
                }
                Some(m)
            }
            None => None,
        };
        let day = match (parts.get(2), month) {
            (Some(p), Some(m)) => {
                let d = num(p, 2, "day")?;
                if NaiveDate::from_ymd_opt(year, m, d).is_none() {
                    let last = days_in_month(year, m);
                    return Err(format!(
                        "`{s}` is impossible: {} {year} has {last} days",
                        MONTHS[(m - 1) as usize]
                    ));
                }
                Some(d)
            }
            _ => None,
        };
        Ok(Date { year, month, day })
    }

    /// A date known only to the year.
    pub const fn year_only(year: i32) -> Self {
        Date {
            year,
            month: None,
            day: None,
        }
    }

    /// A day-precision date.
    pub fn from_naive(d: NaiveDate) -> Self {
        Date {
            year: d.year(),
            month: Some(d.month()),
            day: Some(d.day()),
        }
    }

    pub fn precision(&self) -> Precision {
        match (self.month, self.day) {
            (Some(_), Some(_)) => Precision::Day,
            (Some(_), None) => Precision::Month,
            _ => Precision::Year,
        }
    }

    /// The first day this date could mean.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
            .unwrap_or(NaiveDate::MIN)
    }

    /// The last day this date could mean.
    pub fn last_day(&self) -> NaiveDate {
        let m = self.month.unwrap_or(12);
        let d = self.day.unwrap_or_else(|| days_in_month(self.year, m));
        NaiveDate::from_ymd_opt(self.year, m, d).unwrap_or(NaiveDate::MAX)
    }

    /// Day precision or an error naming the field, for `as_of` dates.
    pub fn as_day(&self) -> Option<NaiveDate> {
        (self.precision() == Precision::Day).then(|| self.first_day())
    }

    /// The ISO form it was written in: `2026`, `2026-06` or `2026-06-20`.
    pub fn iso(&self) -> String {
        match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{:04}-{m:02}-{d:02}", self.year),
            (Some(m), None) => format!("{:04}-{m:02}", self.year),
            _ => format!("{:04}", self.year),
        }
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map(|d| d.day())
        .unwrap_or(28)
}

/// Human form: "6 Feb 2026", "June 2026", "2025".
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.month, self.day) {
            (Some(m), Some(d)) => write!(f, "{d} {} {}", &MONTHS[(m - 1) as usize][..3], self.year),
            (Some(m), None) => write!(f, "{} {}", MONTHS[(m - 1) as usize], self.year),
            _ => write!(f, "{}", self.year),
        }
    }
}

/// Chronological by first possible day; a less precise date sorts before a precise one on the
/// same first day ("2026-06" before "2026-06-01").
impl Ord for Date {
    fn cmp(&self, other: &Self) -> Ordering {
        self.first_day()
            .cmp(&other.first_day())
            .then_with(|| self.month.is_some().cmp(&other.month.is_some()))
            .then_with(|| self.day.is_some().cmp(&other.day.is_some()))
    }
}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// "6 Feb 2026" for a day.
pub fn human_day(d: NaiveDate) -> String {
    Date::from_naive(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_precision() {
        let d = Date::parse("2026-02-06").unwrap();
        assert_eq!(d.precision(), Precision::Day);
        assert_eq!(d.to_string(), "6 Feb 2026");
        let m = Date::parse("2026-06").unwrap();
        assert_eq!(m.to_string(), "June 2026");
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
        let y = Date::parse("2025").unwrap();
        assert_eq!(y.iso(), "2025");
        assert!(y < m && m < d.max(m) || m > d);
    }

    #[test]
    fn rejects_impossible_dates_with_a_reason() {
        let e = Date::parse("2026-02-30").unwrap_err();
        assert!(e.contains("February 2026 has 28 days"), "{e}");
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2026-13").unwrap_err().contains("no month 13"));
        assert!(Date::parse("6 Feb 2026").is_err());
        assert!(Date::parse("2026-2-6").is_err());
        assert!(Date::parse("").is_err());
        assert!(Date::parse("2026-02-06-01").is_err());
    }

    #[test]
    fn orders_chronologically() {
        let mut v: Vec<Date> = ["2026-06-20", "2026-06", "2025", "2026-02-06"]
            .iter()
            .map(|s| Date::parse(s).unwrap())
            .collect();
        v.sort();
        let iso: Vec<String> = v.iter().map(Date::iso).collect();
        assert_eq!(iso, ["2025", "2026-02-06", "2026-06", "2026-06-20"]);
    }
}
