//! The one way an instant is written where it is text (SQLite): RFC 3339 in UTC with
//! milliseconds, `2026-10-05T04:00:00.000Z`, so stored instants also sort as text. One parse
//! path reads it (and the older forms dossier wrote before: whole seconds, nanoseconds,
//! `+00:00`), and a value that is not an instant is an error, never 1970 or the earliest
//! date. PostgreSQL keeps instants as `TIMESTAMPTZ` and needs none of this.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// A stored value that is not what its column holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the stored {what} `{value}` cannot be read")]
pub struct BadValue {
    pub what: &'static str,
    pub value: String,
}

impl BadValue {
    pub fn new(what: &'static str, value: &str) -> BadValue {
        let mut value = value.to_owned();
        if value.len() > 64 {
            let mut end = 64;
            while !value.is_char_boundary(end) {
                end -= 1;
            }
            value.truncate(end);
            value.push('…');
        }
        BadValue { what, value }
    }
}

/// An instant as stored in text.
pub fn write(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An instant from its stored text, in any RFC 3339 form.
pub fn read(s: &str) -> Result<DateTime<Utc>, BadValue> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| BadValue::new("instant", s))
}

/// A day as stored in text: `2026-10-05`.
pub fn write_day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A day from its stored text.
pub fn read_day(s: &str) -> Result<NaiveDate, BadValue> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| BadValue::new("day", s))
}

/// An instant written before this form was the only one, in this form; `None` for text that is
/// not an instant (the upgrade leaves such a value as it was).
pub fn normalized(s: &str) -> Option<String> {
    read(s).ok().map(write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_dossier_wrote_reads_as_the_same_instant_and_writes_one_way() {
        let forms = [
            "2026-10-05T04:00:00Z",
            "2026-10-05T04:00:00.000Z",
            "2026-10-05T04:00:00+00:00",
            "2026-10-05T04:00:00.000000000+00:00",
            "2026-10-05T07:30:00+03:30",
        ];
        for f in forms {
            assert_eq!(write(read(f).unwrap()), "2026-10-05T04:00:00.000Z", "{f}");
        }
        assert_eq!(
            normalized("2026-12-07T10:35:14.044566488+00:00").as_deref(),
            Some("2026-12-07T10:35:14.044Z")
        );
    }

    #[test]
    fn a_value_that_is_not_an_instant_is_an_error_not_1970() {
        for bad in ["", "yesterday", "2026-13-01T00:00:00Z", "0", "2026-10-05"] {
            let e = read(bad).unwrap_err();
            assert_eq!(e.what, "instant");
        }
        assert!(read_day("2026-02-30").is_err());
        assert_eq!(normalized("nonsense"), None);
        let long = "x".repeat(10_000);
        assert!(read(&long).unwrap_err().value.chars().count() <= 65);
    }

    #[test]
    fn stored_instants_sort_as_text_in_time_order() {
        let a = write(read("2026-10-05T04:00:00Z").unwrap());
        let b = write(read("2026-10-05T04:00:00.5Z").unwrap());
        let c = write(read("2026-10-05T04:00:01Z").unwrap());
        assert!(a < b && b < c);
    }
}
