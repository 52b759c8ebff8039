//! When a daily briefing is due: a pure function of the subscription, what was last done for
//! it, and now. Local times are turned into instants in the subscription's own time zone: a
//! time that does not exist that day (clocks spring forward) posts at the first valid instant
//! after it, and a time that happens twice (clocks fall back) posts once, at the first.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The post for local day `day` at local time `at` in `tz`, as an instant.
pub fn instant_on(day: NaiveDate, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let local = NaiveDateTime::new(day, at);
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        // Clocks fall back: the first of the two.
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        // Clocks spring forward over it: the first local minute after the gap. Gaps are at
        // most a few hours; a day has 1,440 minutes, so the search is bounded either way.
        chrono::LocalResult::None => (1..=1440)
            .find_map(|m| {
                tz.from_local_datetime(&(local + Duration::minutes(m)))
                    .earliest()
            })
            .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc)),
    }
}

/// The local day it is at `now` in `tz`.
pub fn local_day(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// What to do about one subscription now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// Post the briefing for this local day, scheduled for that instant.
    Post {
        day: NaiveDate,
        scheduled: DateTime<Utc>,
    },
    /// The briefing for this day was due longer ago than the catch-up window: record a miss.
    Missed {
        day: NaiveDate,
        scheduled: DateTime<Utc>,
    },
    /// Nothing to do until `next`.
    Wait { next: DateTime<Utc> },
}

/// The schedule of one subscription.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub at: NaiveTime,
    pub tz: Tz,
    /// How late a post may still go out (after a restart, say).
    pub catch_up: Duration,
    /// When the subscription was made: no briefing is owed for a time before it.
    pub since: DateTime<Utc>,
}

/// Decide, given the last local day already handled (posted, skipped or recorded as missed).
pub fn due(slot: &Slot, last_handled: Option<NaiveDate>, now: DateTime<Utc>) -> Due {
    // The most recent scheduled instant at or before now.
    let today = local_day(now, slot.tz);
    let mut day = today;
    let mut at = instant_on(day, slot.at, slot.tz);
    if at > now {
        day = day.pred_opt().unwrap_or(day);
        at = instant_on(day, slot.at, slot.tz);
    }
    let next_after = |d: NaiveDate| {
        let next = d.succ_opt().unwrap_or(d);
        instant_on(next, slot.at, slot.tz)
    };
    let handled = last_handled.is_some_and(|l| l >= day);
    if handled || at < slot.since || at > now {
        // Wait for the next slot that is not handled yet.
        let mut next_day = if at > now {
            day
        } else {
            day.succ_opt().unwrap_or(day)
        };
        if let Some(l) = last_handled
            && l >= next_day
        {
            next_day = l.succ_opt().unwrap_or(l);
        }
        let mut next = instant_on(next_day, slot.at, slot.tz);
        if next <= now {
            next = next_after(next_day);
        }
        return Due::Wait { next };
    }
    if now - at <= slot.catch_up {
        Due::Post { day, scheduled: at }
    } else {
        Due::Missed { day, scheduled: at }
    }
}

/// The next post of a subscription that has handled `last`, as an instant (for `schedules`).
pub fn next_post(
    slot: &Slot,
    last_handled: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    match due(slot, last_handled, now) {
        Due::Post { scheduled, .. } => scheduled,
        Due::Missed { day, .. } => instant_on(day.succ_opt().unwrap_or(day), slot.at, slot.tz),
        Due::Wait { next } => next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("instant")
            .with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    fn slot(at: &str, tz: &str) -> Slot {
        Slot {
            at: NaiveTime::parse_from_str(at, "%H:%M").expect("time"),
            tz: tz.parse().expect("zone"),
            catch_up: Duration::hours(6),
            since: utc("2026-01-01T00:00:00Z"),
        }
    }

    /// (zone, local time, local day) → the UTC instant of the post.
    #[test]
    fn local_times_across_daylight_saving_changes() {
        let cases = [
            // London springs forward at 01:00 GMT on 29 March 2026: 01:00–01:59 do not exist.
            (
                "Europe/London",
                "00:00",
                "2026-03-29",
                "2026-03-29T00:00:00Z",
            ),
            (
                "Europe/London",
                "01:30",
                "2026-03-29",
                "2026-03-29T01:00:00Z",
            ),
            (
                "Europe/London",
                "23:59",
                "2026-03-29",
                "2026-03-29T22:59:00Z",
            ),
            (
                "Europe/London",
                "01:30",
                "2026-03-28",
                "2026-03-28T01:30:00Z",
            ),
            // London falls back at 02:00 BST on 25 October 2026: 01:00–01:59 happen twice.
            (
                "Europe/London",
                "00:00",
                "2026-10-25",
                "2026-10-24T23:00:00Z",
            ),
            (
                "Europe/London",
                "01:30",
                "2026-10-25",
                "2026-10-25T00:30:00Z",
            ),
            (
                "Europe/London",
                "23:59",
                "2026-10-25",
                "2026-10-25T23:59:00Z",
            ),
            // New York springs forward at 02:00 on 8 March 2026 and falls back on 1 November.
            (
                "America/New_York",
                "01:30",
                "2026-03-08",
                "2026-03-08T06:30:00Z",
            ),
            (
                "America/New_York",
                "02:30",
                "2026-03-08",
                "2026-03-08T07:00:00Z",
            ),
            (
                "America/New_York",
                "23:59",
                "2026-03-08",
                "2026-03-09T03:59:00Z",
            ),
            (
                "America/New_York",
                "00:00",
                "2026-11-01",
                "2026-11-01T04:00:00Z",
            ),
            (
                "America/New_York",
                "01:30",
                "2026-11-01",
                "2026-11-01T05:30:00Z",
            ),
            (
                "America/New_York",
                "23:59",
                "2026-11-01",
                "2026-11-02T04:59:00Z",
            ),
            // Muscat keeps UTC+4 all year.
            ("Asia/Muscat", "00:00", "2026-03-29", "2026-03-28T20:00:00Z"),
            ("Asia/Muscat", "01:30", "2026-10-25", "2026-10-24T21:30:00Z"),
            ("Asia/Muscat", "23:59", "2026-11-01", "2026-11-01T19:59:00Z"),
        ];
        for (tz, at, d, want) in cases {
            let s = slot(at, tz);
            assert_eq!(
                instant_on(day(d), s.at, s.tz),
                utc(want),
                "{tz} {at} on {d}"
            );
        }
    }

    #[test]
    fn posts_once_a_day_at_the_local_time() {
        let s = slot("08:00", "Asia/Muscat"); // 04:00 UTC
        // Before the time: wait for it.
        assert_eq!(
            due(&s, Some(day("2026-10-04")), utc("2026-10-05T03:59:00Z")),
            Due::Wait {
                next: utc("2026-10-05T04:00:00Z")
            }
        );
        // At the time: post for the day.
        assert_eq!(
            due(&s, Some(day("2026-10-04")), utc("2026-10-05T04:00:00Z")),
            Due::Post {
                day: day("2026-10-05"),
                scheduled: utc("2026-10-05T04:00:00Z")
            }
        );
        // Posted: wait for tomorrow, however often asked.
        for now in [
            "2026-10-05T04:00:01Z",
            "2026-10-05T20:00:00Z",
            "2026-10-06T03:59:59Z",
        ] {
            assert_eq!(
                due(&s, Some(day("2026-10-05")), utc(now)),
                Due::Wait {
                    next: utc("2026-10-06T04:00:00Z")
                },
                "{now}"
            );
        }
    }

    #[test]
    fn a_fall_back_day_posts_once_and_a_spring_forward_day_still_posts() {
        let s = slot("01:30", "Europe/London");
        // 01:30 happens twice on 25 October; the post is at the first (00:30 UTC)...
        assert!(matches!(
            due(&s, Some(day("2026-10-24")), utc("2026-10-25T00:30:00Z")),
            Due::Post { .. }
        ));
        // ...and at the second 01:30 (01:30 UTC) it has been handled.
        assert!(matches!(
            due(&s, Some(day("2026-10-25")), utc("2026-10-25T01:30:00Z")),
            Due::Wait { .. }
        ));
        // 01:30 does not happen on 29 March: the post goes at 02:00 BST (01:00 UTC).
        assert_eq!(
            due(&s, Some(day("2026-03-28")), utc("2026-03-29T01:00:00Z")),
            Due::Post {
                day: day("2026-03-29"),
                scheduled: utc("2026-03-29T01:00:00Z")
            }
        );
    }

    #[test]
    fn downtime_is_caught_up_within_the_window_or_recorded_as_missed() {
        let s = slot("08:00", "Europe/Berlin"); // 06:00 UTC in summer
        // Back 5 hours late: still within 6 hours, post now.
        assert!(matches!(
            due(&s, Some(day("2026-07-09")), utc("2026-07-10T11:00:00Z")),
            Due::Post { .. }
        ));
        // Back 7 hours late: a miss, recorded.
        assert_eq!(
            due(&s, Some(day("2026-07-09")), utc("2026-07-10T13:00:00Z")),
            Due::Missed {
                day: day("2026-07-10"),
                scheduled: utc("2026-07-10T06:00:00Z")
            }
        );
        // Down for days: only the latest day is at stake.
        assert!(matches!(
            due(&s, Some(day("2026-07-01")), utc("2026-07-10T07:00:00Z")),
            Due::Post { day, .. } if day == super::tests::day("2026-07-10")
        ));
        // Never posted and subscribed yesterday evening: this morning's post is owed.
        let fresh = Slot {
            since: utc("2026-07-09T18:00:00Z"),
            ..s
        };
        assert!(matches!(
            due(&fresh, None, utc("2026-07-10T06:00:00Z")),
            Due::Post { .. }
        ));
        // Subscribed at noon: this morning's time had passed, so the first post is tomorrow.
        let noon = Slot {
            since: utc("2026-07-10T10:00:00Z"),
            ..s
        };
        assert_eq!(
            due(&noon, None, utc("2026-07-10T10:00:01Z")),
            Due::Wait {
                next: utc("2026-07-11T06:00:00Z")
            }
        );
        assert_eq!(
            next_post(&noon, None, utc("2026-07-10T10:00:01Z")),
            utc("2026-07-11T06:00:00Z")
        );
    }

    #[test]
    fn midnight_and_one_minute_to_midnight() {
        let s = slot("00:00", "America/New_York");
        assert_eq!(
            due(&s, Some(day("2026-03-07")), utc("2026-03-08T05:00:00Z")),
            Due::Post {
                day: day("2026-03-08"),
                scheduled: utc("2026-03-08T05:00:00Z")
            }
        );
        let s = slot("23:59", "America/New_York");
        // 23:59 on 1 November (EST) is 04:59 UTC on the 2nd.
        assert_eq!(
            due(&s, Some(day("2026-10-31")), utc("2026-11-02T04:59:00Z")),
            Due::Post {
                day: day("2026-11-01"),
                scheduled: utc("2026-11-02T04:59:00Z")
            }
        );
    }
}
