//! A dated horizontal axis: days to x positions, and month ticks that thin out (every month,
//! two, three, six, a year, several years) so their labels never overlap. Whole-day arithmetic only, so the
//! same dates give the same positions everywhere. An axis may be broken: years of earlier
//! context squeezed into a narrow segment at the left, so the span the story happens in has
//! the room.

use chrono::{Datelike, NaiveDate};

#[derive(Clone, Copy, Debug)]
pub struct Axis {
    /// The first and last day drawn.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Where those days are, in pixels.
    pub left: f64,
    pub right: f64,
    /// Where the axis is broken, if it is.
    pub broken: Option<Break>,
}

/// A broken axis: the days before `story_from` are drawn in `left..x - GAP`, the rest from `x`.
#[derive(Clone, Copy, Debug)]
pub struct Break {
    pub story_from: NaiveDate,
    pub x: f64,
}

/// The room between the context segment and the story's, where the break is drawn.
pub const GAP: f64 = 14.0;
/// The share of the width the context segment takes.
const CONTEXT_SHARE: f64 = 0.14;

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
            broken: None,
        }
    }

    /// An axis over `first..=last` where the story starts at `story_from`: broken when what
    /// comes before it would take more than a third of the width, so the context keeps a
    /// narrow segment at the left and the story the rest.
    pub fn with_story(
        first: NaiveDate,
        story_from: NaiveDate,
        last: NaiveDate,
        left: f64,
        right: f64,
    ) -> Axis {
        let plain = Axis::new(first, last, left, right);
        if story_from <= first || story_from >= last {
            return plain;
        }
        if plain.x(story_from) - left <= (right - left) / 3.0 {
            return plain;
        }
        let story = Axis::new(story_from, last, left, right);
        let x = left + (right - left) * CONTEXT_SHARE;
        Axis {
            from: plain.from,
            to: story.to,
            left,
            right,
            broken: Some(Break {
                story_from: story.from,
                x,
            }),
        }
    }

    fn days(&self) -> f64 {
        (self.to - self.from).num_days().max(1) as f64
    }

    /// The x of day `d` (days outside the axis land outside `left..right`).
    pub fn x(&self, d: NaiveDate) -> f64 {
        match self.broken {
            Some(b) if d < b.story_from => {
                let span = (b.story_from - self.from).num_days().max(1) as f64;
                let at = (d - self.from).num_days() as f64;
                self.left + at / span * (b.x - GAP - self.left)
            }
            Some(_) => self.story().x(d),
            None => {
                let at = (d - self.from).num_days() as f64;
                self.left + at / self.days() * (self.right - self.left)
            }
        }
    }

    /// The story's own segment of a broken axis, as an axis of its own.
    fn story(&self) -> Axis {
        match self.broken {
            Some(b) => Axis {
                from: b.story_from,
                to: self.to,
                left: b.x,
                right: self.right,
                broken: None,
            },
            None => *self,
        }
    }

    /// Pixels per day (in the story's segment of a broken axis).
    pub fn scale(&self) -> f64 {
        let s = self.story();
        (s.right - s.left) / s.days()
    }

    /// The month ticks: the first of each month shown, with its label ("Feb 2026" in January
    /// and on the first tick, else "Mar").
    pub fn ticks(&self) -> Vec<(f64, String)> {
        let Some(b) = self.broken else {
            return self.month_ticks();
        };
        // The context segment: the first of each January in it, as far as their labels fit.
        let mut out: Vec<(f64, String)> = Vec::new();
        let mut year = self.from.year() + 1;
        while let Some(jan) = NaiveDate::from_ymd_opt(year, 1, 1) {
            if jan >= b.story_from {
                break;
            }
            let x = self.x(jan);
            if x + TICK_ROOM * 0.6 <= b.x - GAP
                && out
                    .last()
                    .is_none_or(|(last, _)| x - last >= TICK_ROOM * 0.6)
            {
                out.push((x, year.to_string()));
            }
            year += 1;
        }
        out.extend(self.story().month_ticks());
        out
    }

    fn month_ticks(&self) -> Vec<(f64, String)> {
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
    fn years_of_context_are_squeezed_to_the_left_and_the_story_has_the_room() {
        let (first, story, last) = (day("2023-10-07"), day("2026-02-06"), day("2026-10-10"));
        let a = Axis::with_story(first, story, last, 100.0, 900.0);
        let b = a
            .broken
            .expect("broken: the context is three times the story");
        assert!(b.x <= 100.0 + 800.0 * 0.15, "{}", b.x);
        // In order across the break, the context left of it, the story right of it.
        let xs: Vec<f64> = [
            "2023-10-07",
            "2025-06-13",
            "2026-01-15",
            "2026-02-06",
            "2026-10-10",
        ]
        .iter()
        .map(|d| a.x(day(d)))
        .collect();
        assert!(xs.windows(2).all(|w| w[1] > w[0]), "{xs:?}");
        assert!(xs[2] < b.x - GAP + 0.5 && xs[3] >= b.x, "{xs:?}");
        // The story's eight months take most of the width.
        assert!(xs[4] - xs[3] > 600.0, "{xs:?}");
        let ticks = a.ticks();
        assert_eq!(ticks[0].1, "2024");
        assert!(ticks.iter().any(|t| t.1 == "Feb 2026"), "{ticks:?}");
        assert!(ticks.windows(2).all(|w| w[1].0 > w[0].0), "{ticks:?}");
        // A story that starts near the first event needs no break.
        assert!(
            Axis::with_story(day("2026-01-20"), story, last, 100.0, 900.0)
                .broken
                .is_none()
        );
    }

    #[test]
    fn long_spans_thin_their_ticks() {
        let a = Axis::new(day("2000-01-01"), day("2026-01-01"), 0.0, 800.0);
        let ticks = a.ticks();
        assert!(ticks.len() <= 14, "{}", ticks.len());
        assert!(ticks.windows(2).all(|w| w[1].0 > w[0].0));
    }
}
