//! The timeline chart: the events of the asked range on a dated axis, one lane per actor
//! involved (an event with three actors is a mark in each of their lanes; one with none goes to
//! "Other"), month ticks, confirmed events as filled circles and reported or disputed ones as
//! hollow diamonds (shape as well as colour), the newest event labelled. When a lane holds
//! more events than fit side by side it is drawn as density: a bar per week, as tall as the
//! week is busy. The phases of the story (an event's `phase`, say "talks", "war", "ceasefire",
//! running until the next event that opens one) are shaded bands behind the lanes, named in a
//! strip under the axis. Linear in the events; every text cut to its room.

use super::axis::Axis;
use super::style::{BACKGROUND, GRID, INK, MUTED, palette};
use super::svg::{Svg, fit};
use crate::cards::{Event, Topic, Verification};
use std::collections::HashMap;

pub const WIDTH: f64 = 1000.0;
const LEFT: f64 = 170.0;
const RIGHT: f64 = WIDTH - 30.0;
/// Where the first lane starts, and each lane's height.
pub const TOP: f64 = 78.0;
pub const LANE: f64 = 30.0;
/// At most this many lanes; the actors with fewest events share "Other".
const MAX_LANES: usize = 9;
/// Marks closer than this (pixels) in one lane make it a density lane.
const CROWDED: f64 = 3.0;
/// A lane draws density only past this many marks: fewer stay marks, so their shapes show.
const DENSE: usize = 100;

/// Shades of the phase bands, alternating: quiet behind the marks, told apart side by side.
const PHASE_FILLS: [&str; 2] = ["#eef3f8", "#f7efe6"];
/// The phase strip's height, under the month labels.
const PHASE_STRIP: f64 = 18.0;

/// A phase of the story within the drawn range: its first and last day and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase {
    pub from: chrono::NaiveDate,
    pub until: chrono::NaiveDate,
    pub name: String,
}

/// The topic's phases as its events open them, cut to `first..=last`: each runs from the day
/// of the event that opens it to the day before the next one (the last, to `last`).
pub fn phases(t: &Topic, first: chrono::NaiveDate, last: chrono::NaiveDate) -> Vec<Phase> {
    let opened: Vec<(chrono::NaiveDate, &str)> = t
        .events
        .iter()
        .filter_map(|e| Some((e.date.first_day(), e.phase.as_deref()?)))
        .collect();
    let mut out = Vec::new();
    for (i, (from, name)) in opened.iter().enumerate() {
        let until = opened
            .get(i + 1)
            .map_or(last, |(next, _)| next.pred_opt().unwrap_or(*next));
        let (from, until) = ((*from).max(first), until.min(last));
        if from <= until {
            out.push(Phase {
                from,
                until,
                name: (*name).to_owned(),
            });
        }
    }
    out
}

/// What the chart is of, for its title and alt text.
pub struct Range<'a> {
    pub topic: &'a Topic,
    pub events: Vec<&'a Event>,
    /// "since Feb 2026, involving Oman", or empty.
    pub filter: String,
}

/// Where one event's marks go: its lanes and its day.
struct Placed<'a> {
    event: &'a Event,
    lanes: Vec<usize>,
}

/// A drawn timeline: the SVG, its alt text, and where things are (the tests check positions
/// with them): the axis (none when there are no events) and the lanes' names, top first.
pub struct Drawn {
    pub svg: String,
    pub alt: String,
    pub axis: Option<Axis>,
    pub lanes: Vec<String>,
    /// The phases drawn, oldest first.
    pub phases: Vec<Phase>,
}

/// The y of lane `i`'s centre line.
pub fn lane_y(i: usize) -> f64 {
    TOP + i as f64 * LANE + LANE / 2.0
}

pub fn draw(r: &Range<'_>) -> Drawn {
    let t = r.topic;
    let n = r.events.len();
    // Lanes: the actors involved, the busiest first (in the topic's order on a tie).
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut unowned = 0;
    for e in &r.events {
        for a in &e.actors {
            *counts.entry(a.as_str()).or_default() += 1;
        }
        if e.actors.is_empty() {
            unowned += 1;
        }
    }
    let mut actors: Vec<(usize, &str, usize)> = t
        .actors
        .iter()
        .enumerate()
        .filter_map(|(i, a)| counts.get(a.id.as_str()).map(|c| (i, a.id.as_str(), *c)))
        .collect();
    actors.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let overflow = actors.len() > MAX_LANES || unowned > 0;
    let kept = if overflow {
        MAX_LANES.saturating_sub(1).min(actors.len())
    } else {
        actors.len()
    };
    let mut lane_of: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    for (lane, (i, id, _)) in actors.iter().take(kept).enumerate() {
        lane_of.insert(id, lane);
        names.push(t.actors[*i].name.clone());
    }
    let other = overflow.then(|| {
        names.push("Other".into());
        names.len() - 1
    });
    let placed: Vec<Placed<'_>> = r
        .events
        .iter()
        .map(|e| {
            let mut lanes: Vec<usize> = e
                .actors
                .iter()
                .map(|a| lane_of.get(a.as_str()).copied().or(other).unwrap_or(0))
                .collect();
            if lanes.is_empty() {
                lanes.extend(other);
            }
            lanes.sort_unstable();
            lanes.dedup();
            Placed { event: e, lanes }
        })
        .collect();

    let lanes = names.len().max(1);
    let title = format!("Timeline: {}", t.title);
    let (first, last) = match (r.events.first(), r.events.last()) {
        (Some(f), Some(l)) => (f.date.first_day(), l.date.last_day()),
        _ => (t.as_of, t.as_of),
    };
    let phases = if n == 0 {
        Vec::new()
    } else {
        phases(t, first, last)
    };
    let strip = if phases.is_empty() {
        0.0
    } else {
        PHASE_STRIP + 6.0
    };
    let height = TOP + lanes as f64 * LANE + 64.0 + strip;
    let alt = alt_text(r, &names, first, last, &phases);
    let sub = if n == 0 {
        format!(
            "No events{}",
            if r.filter.is_empty() {
                String::new()
            } else {
                format!(" {}", r.filter)
            }
        )
    } else {
        format!(
            "{n} event{}{}",
            if n == 1 { "" } else { "s" },
            if r.filter.is_empty() {
                String::new()
            } else {
                format!(", {}", r.filter)
            }
        )
    };
    let mut svg = Svg::panel(WIDTH, height, &title, &sub, &alt);
    if n == 0 {
        return Drawn {
            svg: svg.finish(),
            alt,
            axis: None,
            lanes: names,
            phases,
        };
    }
    // The story starts where its first phase does: earlier context gets a narrow segment.
    let axis = match phases.first() {
        Some(p) => Axis::with_story(first, p.from, last, LEFT, RIGHT),
        None => Axis::new(first, last, LEFT, RIGHT),
    };
    let bottom = TOP + lanes as f64 * LANE;
    if let Some(b) = axis.broken {
        // The break: a pale band and two slanted strokes across the axis line.
        let x = b.x - super::axis::GAP / 2.0;
        svg.rect(x - 3.0, TOP - 6.0, 6.0, bottom - TOP + 6.0, BACKGROUND, "");
        for dx in [-3.0, 3.0] {
            svg.line(
                x + dx - 3.0,
                bottom + 4.0,
                x + dx + 3.0,
                bottom - 4.0,
                MUTED,
                r#" stroke-width="1.5""#,
            );
        }
    }
    // The phases first, behind everything: a band over the lanes, its name in the strip.
    for (i, p) in phases.iter().enumerate() {
        let x0 = axis.x(p.from);
        let x1 = axis
            .x(p.until + chrono::Days::new(1))
            .min(RIGHT)
            .max(x0 + 1.0);
        let fill = PHASE_FILLS[i % PHASE_FILLS.len()];
        svg.rect(x0, TOP - 6.0, x1 - x0, bottom - TOP + 6.0, fill, "");
        let sy = bottom + 24.0;
        svg.rect(
            x0,
            sy,
            x1 - x0,
            PHASE_STRIP,
            fill,
            r##" stroke="#9aa5b1" stroke-width="0.5""##,
        );
        svg.text(
            x0 + 3.0,
            sy + 13.0,
            11.0,
            "start",
            INK,
            &fit(&p.name, x1 - x0 - 6.0, 11.0),
        );
    }
    for (x, label) in axis.ticks() {
        svg.line(x, TOP - 6.0, x, bottom, GRID, "");
        svg.text(x + 3.0, bottom + 16.0, 11.0, "start", MUTED, &label);
    }
    for (lane, name) in names.iter().enumerate() {
        let y = lane_y(lane);
        svg.line(LEFT, y, RIGHT, y, GRID, r#" stroke-dasharray="2 3""#);
        svg.text(
            LEFT - 10.0,
            y + 4.0,
            12.0,
            "end",
            INK,
            &fit(name, LEFT - 24.0, 12.0),
        );
    }
    // Per lane, the marks' x positions, to tell a crowded lane.
    let mut xs: Vec<Vec<(f64, &Event)>> = vec![Vec::new(); lanes];
    for p in &placed {
        let x = axis.x(p.event.date.first_day());
        for &l in &p.lanes {
            xs[l].push((x, p.event));
        }
    }
    for (lane, marks) in xs.iter().enumerate() {
        let colour = palette(lane, other == Some(lane));
        let y = lane_y(lane);
        let crowded = marks
            .windows(2)
            .filter(|w| w[1].0 - w[0].0 < CROWDED)
            .count();
        if crowded * 4 > marks.len() && marks.len() > DENSE {
            density(&mut svg, &axis, marks, y, colour);
            continue;
        }
        for (x, e) in marks {
            if e.verification == Verification::Confirmed {
                svg.circle(*x, y, 5.0, colour, "");
            } else {
                svg.diamond(
                    *x,
                    y,
                    6.0,
                    BACKGROUND,
                    &format!(r#" stroke="{colour}" stroke-width="2""#),
                );
            }
        }
    }
    // The newest event, labelled above the lanes, with a leader to its date.
    if let Some(newest) = r.events.last() {
        let x = axis.x(newest.date.first_day());
        let label = format!("{}: {}", newest.date, newest.shown_title());
        let (anchor, room) = if x > WIDTH * 0.6 {
            ("end", x - 16.0)
        } else {
            ("start", WIDTH - 16.0 - x)
        };
        svg.line(x, TOP - 14.0, x, bottom, INK, r#" stroke-width="1""#);
        svg.text(x, TOP - 18.0, 12.0, anchor, INK, &fit(&label, room, 12.0));
    }
    // The legend: shape as well as colour.
    let ly = height - 16.0;
    svg.circle(LEFT + 6.0, ly - 4.0, 5.0, INK, "");
    svg.text(LEFT + 16.0, ly, 11.0, "start", MUTED, "confirmed");
    svg.diamond(
        LEFT + 106.0,
        ly - 4.0,
        6.0,
        BACKGROUND,
        &format!(r#" stroke="{INK}" stroke-width="2""#),
    );
    svg.text(
        LEFT + 116.0,
        ly,
        11.0,
        "start",
        MUTED,
        "reported or disputed",
    );
    svg.text(
        RIGHT,
        ly,
        11.0,
        "end",
        MUTED,
        &format!("as of {}", crate::date::human_day(t.as_of)),
    );
    Drawn {
        svg: svg.finish(),
        alt,
        axis: Some(axis),
        lanes: names,
        phases,
    }
}

/// A lane too crowded for marks: a bar per week, its height the week's share of the busiest.
fn density(svg: &mut Svg, axis: &Axis, marks: &[(f64, &Event)], y: f64, colour: &str) {
    let week = 7.0 * axis.scale();
    let mut bins: HashMap<i64, usize> = HashMap::new();
    for (x, _) in marks {
        *bins
            .entry(((x - axis.left) / week.max(1.0)).floor() as i64)
            .or_default() += 1;
    }
    let busiest = bins.values().copied().max().unwrap_or(1) as f64;
    let mut keys: Vec<i64> = bins.keys().copied().collect();
    keys.sort_unstable();
    for k in keys {
        let h = (bins[&k] as f64 / busiest) * (LANE - 6.0);
        let x = axis.left + k as f64 * week;
        svg.rect(
            x,
            y + (LANE - 6.0) / 2.0 - h,
            week.max(1.5),
            h,
            colour,
            r#" opacity="0.85""#,
        );
    }
}

fn alt_text(
    r: &Range<'_>,
    lanes: &[String],
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
    phases: &[Phase],
) -> String {
    let n = r.events.len();
    if n == 0 {
        return format!(
            "Timeline chart of {}: no events{}.",
            r.topic.title,
            if r.filter.is_empty() {
                String::new()
            } else {
                format!(" {}", r.filter)
            }
        );
    }
    let reported = r
        .events
        .iter()
        .filter(|e| e.verification != Verification::Confirmed)
        .count();
    let newest = r
        .events
        .last()
        .map(|e| format!(" The newest: {}, {}.", e.date, e.shown_title()))
        .unwrap_or_default();
    let phases = if phases.is_empty() {
        String::new()
    } else {
        let named: Vec<String> = phases
            .iter()
            .map(|p| format!("{} from {}", p.name, crate::date::human_day(p.from)))
            .collect();
        format!(" Phases: {}.", named.join(", "))
    };
    let text = format!(
        "Timeline chart of {}: {n} event{} from {} to {}{}, in lanes for {}; {reported} of them reported or disputed.{newest}{phases}",
        r.topic.title,
        if n == 1 { "" } else { "s" },
        crate::date::human_day(first),
        crate::date::human_day(last),
        if r.filter.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.filter)
        },
        lanes.join(", "),
    );
    crate::text::truncate_words(&text, 900)
}
