//! The position-history chart: one lane per actor asked (`position iran`, `compare iran
//! united-states`), each entry of the actor's history a step on a shared dated axis, held until
//! the next entry (the last one until the cards' as-of day), with a short label of its stance
//! cut to the step's width. With `on DATE`, that day is a line across the lanes. Linear in the
//! histories; every text cut to its room.

use super::axis::Axis;
use super::style::{GRID, INK, MUTED, palette};
use super::svg::{Svg, fit};
use crate::cards::{Actor, Topic};
use chrono::NaiveDate;

/// A step's label is shown only if at least this many of its letters fit.
const MIN_LABEL_CHARS: usize = 10;

pub const WIDTH: f64 = 1000.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = WIDTH - 30.0;
const TOP: f64 = 70.0;
const LANE: f64 = 64.0;

/// The chart's SVG and alt text, and the axis (for the tests).
pub fn draw(t: &Topic, actors: &[&Actor], on: Option<NaiveDate>) -> (String, String, Axis) {
    let first = actors
        .iter()
        .filter_map(|a| a.history.entries().next().map(|p| p.as_of))
        .min()
        .unwrap_or(t.as_of);
    let last = actors
        .iter()
        .map(|a| a.history.latest().as_of)
        .max()
        .unwrap_or(t.as_of)
        .max(t.as_of);
    let (first, last) = match on {
        Some(d) => (first.min(d), last.max(d)),
        None => (first, last),
    };
    let axis = Axis::new(first, last, LEFT, RIGHT);
    let names: Vec<&str> = actors.iter().map(|a| a.name.as_str()).collect();
    let title = format!("How the positions moved: {}", names.join(" and "));
    let alt = alt_text(t, actors, on);
    let height = TOP + actors.len().max(1) as f64 * LANE + 50.0;
    let mut svg = Svg::panel(WIDTH, height, &title, &t.title, &alt);
    let bottom = TOP + actors.len() as f64 * LANE;
    for (x, label) in axis.ticks() {
        svg.line(x, TOP - 4.0, x, bottom, GRID, "");
        svg.text(x + 3.0, bottom + 16.0, 11.0, "start", MUTED, &label);
    }
    for (lane, a) in actors.iter().enumerate() {
        let colour = palette(lane, false);
        let y0 = TOP + lane as f64 * LANE;
        let mid = y0 + LANE / 2.0;
        svg.text(
            LEFT - 10.0,
            mid + 4.0,
            12.0,
            "end",
            INK,
            &fit(&a.name, LEFT - 24.0, 12.0),
        );
        let entries: Vec<&crate::cards::Position> = a.history.entries().collect();
        let n = entries.len();
        for (i, p) in entries.iter().enumerate() {
            let x = axis.x(p.as_of);
            let end = entries
                .get(i + 1)
                .map_or(axis.x(last), |next| axis.x(next.as_of));
            // Alternate the step's height so each entry reads as a step, not one bar.
            let up = i % 2 == 0;
            let y = if up { mid - 12.0 } else { mid + 2.0 };
            svg.rect(x, y, (end - x).max(2.0), 10.0, colour, r#" opacity="0.9""#);
            svg.line(
                x,
                y0 + 6.0,
                x,
                y0 + LANE - 6.0,
                colour,
                r#" stroke-width="2""#,
            );
            // Labels alternate sides with the steps, so a label has the room up to the next
            // one on its side. One that would show only a few letters is left out: every
            // entry is in the alt text.
            let next_same_side = entries
                .get(i + 2)
                .map_or(RIGHT, |after| axis.x(after.as_of));
            let room = (next_same_side - x - 8.0).max(0.0);
            let label = fit(&p.stance, room, 10.0);
            if label.trim_end_matches('…').chars().count() >= MIN_LABEL_CHARS {
                let ly = if up { mid - 16.0 } else { mid + 24.0 };
                svg.text(x + 3.0, ly, 10.0, "start", INK, &label);
            }
            if i + 1 == n {
                svg.circle(x, if up { mid - 7.0 } else { mid + 7.0 }, 4.0, INK, "");
            }
        }
    }
    if let Some(d) = on {
        let x = axis.x(d);
        svg.line(
            x,
            TOP - 10.0,
            x,
            bottom,
            INK,
            r#" stroke-width="2" stroke-dasharray="5 3""#,
        );
        let label = format!("on {}", crate::date::human_day(d));
        let anchor = if x > WIDTH * 0.7 { "end" } else { "start" };
        svg.text(
            if anchor == "end" { x - 4.0 } else { x + 4.0 },
            TOP - 12.0,
            12.0,
            anchor,
            INK,
            &label,
        );
    }
    svg.text(
        RIGHT,
        height - 14.0,
        11.0,
        "end",
        MUTED,
        &format!("as of {}", crate::date::human_day(t.as_of)),
    );
    (svg.finish(), alt, axis)
}

fn alt_text(t: &Topic, actors: &[&Actor], on: Option<NaiveDate>) -> String {
    let parts: Vec<String> = actors
        .iter()
        .map(|a| {
            let steps: Vec<String> = a
                .history
                .entries()
                .map(|p| {
                    format!(
                        "{}: {}",
                        crate::date::human_day(p.as_of),
                        hedged_short(t, p)
                    )
                })
                .collect();
            format!(
                "{} ({} entries): {}",
                a.name,
                a.history.len(),
                steps.join("; ")
            )
        })
        .collect();
    let on = on
        .map(|d| format!(" The line marks {}.", crate::date::human_day(d)))
        .unwrap_or_default();
    let text = format!(
        "Position history chart, {}. {}.{on}",
        t.title,
        parts.join(". ")
    );
    crate::text::truncate_words(&text, 1000)
}

/// A stance cut to 80 characters for the alt text, with the hedge it needs kept after the cut.
fn hedged_short(t: &Topic, p: &crate::cards::Position) -> String {
    let short = crate::text::truncate_words(&p.stance, 80);
    if t.needs_hedge(&p.stance, &p.sources) {
        format!("{short} (reported)")
    } else {
        short
    }
}
