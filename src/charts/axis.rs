//! A dated horizontal axis: days to x positions, and month ticks that thin out (every month,
//! two, three, six, a year, several years) so their labels never overlap. Whole-day arithmetic only, so the
//! same dates give the same positions everywhere.

use chrono::{Datelike, NaiveDate};

#[derive(Clone, Copy, Debug)]
pub struct Axis {
    /// The first and last day drawn.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Where those days are, in pixels.
    pub left: f64,
    pub right: f64,
}

/// The narrowest room a tick label takes, in pixels.
const TICK_ROOM: f64 = 64.0;

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

impl Axis {
    /// An axis over `first..=last`, padded a little on each side so nothing sits on the edge.
    pub fn new(first: NaiveDate, last: NaiveDate, left: f64, right: f64) -> Axis {
        let (first, last) = if last < first {
            (last, first)
        } else {
            (first, last)
        };
        let span = (last - first).num_days().max(1);
        let pad = chrono::Duration::days((span / 25).max(3));
        Axis {
            from: first - pad,
            to: last + pad,
            left,
            right,
        }
    }

    fn days(&self) -> f64 {
        (self.to - self.from).num_days().max(1) as f64
    }

    /// The x of day `d` (days outside the axis land outside `left..right`).
    pub fn x(&self, d: NaiveDate) -> f64 {
        let at = (d - self.from).num_days() as f64;
        self.left + at / self.days() * (self.right - self.left)
    }

    /// Pixels per day.
    pub fn scale(&self) -> f64 {
        (self.right - self.left) / self.days()
    }

    /// The month ticks: the first of each month shown, with its label ("Feb 2026" in January
    /// and on the first tick, else "Mar").
    pub fn ticks(&self) -> Vec<(f64, String)> {
        let month_px = 30.0 * self.scale();
        let step = [1i64, 2, 3, 6, 12, 24, 60, 120, 240, 600]
            .into_iter()
            .find(|s| *s as f64 * month_px >= TICK_ROOM)
            .unwrap_or(1200);
        let mut out = Vec::new();
        let mut d = next_month(month_start(self.from));
        if month_start(self.from) == self.from {
            d = self.from;
        }
        let mut first = true;
        // At most a few hundred months on any axis a card can make; bounded anyway.
        for _ in 0..2400 {
            if d > self.to {
                break;
            }
            let index = i64::from(d.year()) * 12 + i64::from(d.month() - 1);
            if index.rem_euclid(step) == 0 {
                let label = if first || d.month() == 1 {
                    d.format("%b %Y").to_string()
                } else {
                    d.format("%b").to_string()
                };
                out.push((self.x(d), label));
                first = false;
            }
            d = next_month(d);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    #[test]
    fn days_map_to_pixels_in_order() {
        let a = Axis::new(day("2026-02-06"), day("2026-10-07"), 100.0, 900.0);
        assert!(a.x(day("2026-02-06")) > 100.0 && a.x(day("2026-10-07")) < 900.0);
        assert!(a.x(day("2026-03-01")) < a.x(day("2026-03-02")));
        let ticks = a.ticks();
        assert_eq!(ticks[0].1, "Feb 2026");
        assert!(ticks.windows(2).all(|w| w[1].0 - w[0].0 >= TICK_ROOM));
    }

    #[test]
    fn long_spans_thin_their_ticks() {
        let a = Axis::new(day("2000-01-01"), day("2026-01-01"), 0.0, 800.0);
        let ticks = a.ticks();
        assert!(ticks.len() <= 14, "{}", ticks.len());
        assert!(ticks.windows(2).all(|w| w[1].0 > w[0].0));
    }
}
