//! Calm by design: when a person's waiting alerts go out. Changes that arrive within the
//! debounce window of the first one waiting go out together, as one message; a person who
//! asked for one digest a day gets it at their minute, in their zone; a person who has had the
//! day's most messages waits for the next day, where everything waiting goes out as one. Pure:
//! instants in, an instant out.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

/// How calm the alerts are (`[follows] debounce` and `max_per_day`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calm {
    pub debounce: Duration,
    pub max_per_day: u32,
}

impl Default for Calm {
    fn default() -> Self {
        Calm {
            debounce: Duration::minutes(10),
            max_per_day: 10,
        }
    }
}

/// One digest a day at a local minute: "08:00 Europe/Berlin".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Daily {
    pub at: NaiveTime,
    pub tz: Tz,
}

impl Daily {
    /// "HH:MM Zone" (the zone an IANA name), as a follow keeps it.
    pub fn parse(s: &str) -> Option<Daily> {
        let (at, tz) = s.trim().split_once(' ')?;
        Some(Daily {
            at: NaiveTime::parse_from_str(at, "%H:%M").ok()?,
            tz: tz.trim().parse().ok()?,
        })
    }

    /// As a follow keeps it.
    pub fn key(&self) -> String {
        format!("{} {}", self.at.format("%H:%M"), self.tz.name())
    }

    /// The first digest minute strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let local_day = t.with_timezone(&self.tz).date_naive();
        let today = crate::schedule::due::instant_on(local_day, self.at, self.tz);
        if today > t {
            return today;
        }
        let tomorrow = local_day.succ_opt().unwrap_or(local_day);
        crate::schedule::due::instant_on(tomorrow, self.at, self.tz)
    }
}

/// When a person's waiting alerts go out: `first_waiting` is when the oldest of them came,
/// `sent_today` how many messages the person has had since the start of the UTC day, `daily`
/// their digest minute when they asked for one.
pub fn send_at(
    calm: &Calm,
    first_waiting: DateTime<Utc>,
    sent_today: u32,
    daily: Option<&Daily>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    if let Some(d) = daily {
        return d.next_after(first_waiting);
    }
    if sent_today >= calm.max_per_day {
        // Enough for today: what waits goes out as one at the start of the next day.
        let tomorrow = now.date_naive().succ_opt().unwrap_or(now.date_naive());
        return tomorrow
            .and_hms_opt(0, 0, 0)
            .map_or(now, |t| t.and_utc())
            .max(first_waiting + calm.debounce);
    }
    first_waiting + calm.debounce
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("instant")
            .with_timezone(&Utc)
    }

    #[test]
    fn changes_within_the_window_go_out_together() {
        let calm = Calm::default();
        let first = utc("2026-12-07T10:00:00Z");
        let at = send_at(&calm, first, 0, None, first);
        assert_eq!(at, utc("2026-12-07T10:10:00Z"));
        // Two more changes in the window: still waiting on the first, so the same message.
        for later in ["2026-12-07T10:03:00Z", "2026-12-07T10:09:59Z"] {
            assert_eq!(send_at(&calm, first, 0, None, utc(later)), at);
        }
    }

    #[test]
    fn the_days_most_messages_roll_the_rest_into_the_next_day() {
        let calm = Calm {
            debounce: Duration::minutes(10),
            max_per_day: 3,
        };
        let first = utc("2026-12-07T15:00:00Z");
        assert_eq!(
            send_at(&calm, first, 2, None, first),
            utc("2026-12-07T15:10:00Z")
        );
        assert_eq!(
            send_at(&calm, first, 3, None, first),
            utc("2026-12-08T00:00:00Z")
        );
        // Near midnight, the window still holds.
        let late = utc("2026-12-07T23:55:00Z");
        assert_eq!(
            send_at(&calm, late, 3, None, late),
            utc("2026-12-08T00:05:00Z")
        );
    }

    #[test]
    fn a_daily_digest_goes_out_at_its_local_minute_across_clock_changes() {
        let berlin = Daily::parse("08:00 Europe/Berlin").expect("daily");
        assert_eq!(berlin.key(), "08:00 Europe/Berlin");
        let calm = Calm::default();
        // Winter: 08:00 in Berlin is 07:00 UTC; a change after it waits for the next day.
        assert_eq!(
            send_at(
                &calm,
                utc("2026-12-07T06:00:00Z"),
                0,
                Some(&berlin),
                utc("2026-12-07T06:00:00Z")
            ),
            utc("2026-12-07T07:00:00Z")
        );
        assert_eq!(
            send_at(
                &calm,
                utc("2026-12-07T07:00:00Z"),
                0,
                Some(&berlin),
                utc("2026-12-07T07:30:00Z")
            ),
            utc("2026-12-08T07:00:00Z")
        );
        // The night the clocks go forward (29 March 2026): 08:00 is 06:00 UTC the next morning.
        assert_eq!(
            berlin.next_after(utc("2026-03-28T12:00:00Z")),
            utc("2026-03-29T06:00:00Z")
        );
        // A digest ignores the day's count: it is one message.
        assert_eq!(
            send_at(
                &calm,
                utc("2026-12-07T06:00:00Z"),
                99,
                Some(&berlin),
                utc("2026-12-07T06:00:00Z")
            ),
            utc("2026-12-07T07:00:00Z")
        );
        for bad in ["8am Europe/Berlin", "08:00 Mars/Olympus", "08:00", ""] {
            assert_eq!(Daily::parse(bad), None, "{bad}");
        }
    }
}
