//! The daily briefing: what changed in a topic since the last briefing posted to a place,
//! then the bottom line, what to watch and numbered sources, as a [`Reply`]. A compact,
//! versioned [`TopicSnapshot`] of what a place was last sent (`changes`) is enough to say
//! "added", "revised", "removed", "corrected" and "before → after". Platform-neutral and pure.

mod changes;

use crate::cards::{Actor, Topic};
use crate::date::human_day;
use crate::library::{Cites, Library};
use crate::reply::{Block, Footer, Line, Reply, ReplyKind};
use chrono::NaiveDate;

/// At most this many items of each kind of change; the rest are counted, with the command that
/// shows them.
pub const MAX_ITEMS: usize = 8;

pub use changes::{
    Changes, Correction, EntryMark, EventMark, PositionChange, PositionMark, SNAPSHOT_VERSION,
    TopicSnapshot, diff,
};

/// What a briefing says when nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WhenUnchanged {
    /// The full briefing anyway.
    Post,
    /// One line: no change since the last briefing.
    Short,
    /// Nothing.
    Skip,
}

impl WhenUnchanged {
    pub const ALL: [(&'static str, WhenUnchanged); 3] = [
        ("post", WhenUnchanged::Post),
        ("short", WhenUnchanged::Short),
        ("skip", WhenUnchanged::Skip),
    ];

    pub fn parse(s: &str) -> Option<WhenUnchanged> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, w)| *w)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, w)| *w == self)
            .map_or("post", |(n, _)| n)
    }
}

/// The last briefing a place was sent: what it said, and the local day it went out.
pub struct Previous<'a> {
    pub snapshot: &'a TopicSnapshot,
    pub day: NaiveDate,
}

/// How a list of a position (its demands, its red lines) changed, in words that do not read
/// a list the entry stopped stating as one that is now empty.
fn list_change(what: &str, before: &[String], after: &[String]) -> String {
    let mut named = what.to_owned();
    if let Some(first) = named.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    match (before.is_empty(), after.is_empty()) {
        (true, _) => format!("{named}, newly stated: {}", after.join("; ")),
        (_, true) => format!(
            "The entry no longer states {what} (before: {})",
            before.join("; ")
        ),
        _ => format!("{named}: {} → {}", before.join("; "), after.join("; ")),
    }
}

/// Parts joined as sentences: each ends with one full stop, however its text ended.
fn sentences(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| {
            let p = p.trim_end();
            if p.ends_with(['.', '!', '?']) {
                p.to_owned()
            } else {
                format!("{p}.")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lines for at most `MAX_ITEMS` items, then "… and N more: `command`".
fn capped(mut lines: Vec<Line>, more: &str) -> Vec<Line> {
    if lines.len() > MAX_ITEMS {
        let rest = lines.len() - MAX_ITEMS;
        lines.truncate(MAX_ITEMS);
        lines.push(Line::new(format!("… and {rest} more: `{more}`")));
    }
    lines
}

/// The briefing for topic `ti` to a place last sent `previous` (none: its first briefing,
/// which is the full one, marked as such); `day` is the local day it is for. `None` when
/// nothing changed and the place asked for nothing then.
pub fn digest(
    lib: &Library,
    ti: usize,
    previous: Option<Previous<'_>>,
    day: NaiveDate,
    today: NaiveDate,
    when_unchanged: WhenUnchanged,
) -> Option<Reply> {
    let t = lib.topic(ti);
    let changes = previous.as_ref().map(|p| diff(p.snapshot, t));
    let mut cites = Cites::new(lib, ti);
    let title = format!("Daily briefing: {} · {}", t.title, human_day(day));
    let mut r = Reply::new(ReplyKind::Answer, title);
    match (&previous, &changes) {
        (None, _) => {
            r.summary = Some(Line::new(
                "The first briefing here: the whole picture. From tomorrow each briefing starts with what changed since the one before.",
            ));
        }
        (Some(p), Some(c)) if c.is_empty() => match when_unchanged {
            WhenUnchanged::Skip => return None,
            WhenUnchanged::Short => {
                let mut r = Reply::new(ReplyKind::Answer, format!("No change since {}", human_day(p.day)))
                    .summary(Line::new(format!(
                        "Nothing in the {} cards has changed since the briefing of {}. Ask `brief` for the whole picture.",
                        t.title,
                        human_day(p.day)
                    )));
                r.footer = Some(footer(t, today));
                return Some(r);
            }
            WhenUnchanged::Post => {
                r.summary = Some(Line::new(format!(
                    "No change in the cards since the briefing of {}; here is the whole picture again.",
                    human_day(p.day)
                )));
            }
        },
        (Some(p), Some(c)) => {
            r.summary = Some(Line::new(format!(
                "{} change{} since the briefing of {}.",
                c.count(),
                if c.count() == 1 { "" } else { "s" },
                human_day(p.day)
            )));
            changes_sections(&mut r, t, c, p, &mut cites);
        }
        (Some(_), None) => {}
    }
    let top = cites.cite(&t.sources_cited);
    r.section("Bottom line", Block::Text(Line::cited(&t.bottom_line, top)));
    if previous.is_none() || changes.as_ref().is_some_and(Changes::is_empty) {
        // The whole picture: where each main actor stands.
        let main: Vec<&Actor> = if t.main_actors.is_empty() {
            t.actors.iter().collect()
        } else {
            t.main_actors
                .iter()
                .filter_map(|id| lib.actor(ti, id))
                .collect()
        };
        let stances =
            main.iter()
                .map(|a| {
                    let p = a.position();
                    Line::cited(t.hedged(&p.stance, &p.sources), cites.cite(&p.sources))
                        .label(format!("{} ({})", a.name, human_day(p.as_of)))
                })
                .collect();
        r.bullets("Where the actors stand", stances);
    }
    let watch = t
        .watch
        .iter()
        .map(|w| t.watch_line(w, cites.cite(&w.sources)))
        .collect();
    r.bullets("What to watch", watch);
    r.citations = cites.list;
    r.footer = Some(footer(t, today));
    Some(r)
}

/// The changes `c` of topic `ti` (all of what changed since `previous`, or a part of it), told
/// in the daily briefing's words with its numbered sources under `title`, and nothing else.
pub fn changes_told(
    lib: &Library,
    ti: usize,
    c: &Changes,
    previous: &Previous<'_>,
    title: String,
    today: NaiveDate,
) -> Reply {
    let t = lib.topic(ti);
    let mut cites = Cites::new(lib, ti);
    let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(format!(
        "{} change{} since {}.",
        c.count(),
        if c.count() == 1 { "" } else { "s" },
        human_day(previous.day)
    )));
    changes_sections(&mut r, t, c, previous, &mut cites);
    r.citations = cites.list;
    r.footer = Some(footer(t, today));
    r
}

/// What changed in topic `ti` since `previous`, in the daily briefing's words and with its
/// numbered sources, and nothing else (the change feed's entry); `None` when nothing did.
pub fn changes_only(
    lib: &Library,
    ti: usize,
    previous: Previous<'_>,
    today: NaiveDate,
) -> Option<(Changes, Reply)> {
    let t = lib.topic(ti);
    let c = diff(previous.snapshot, t);
    if c.is_empty() {
        return None;
    }
    let title = format!("What changed in {}", t.title);
    let r = changes_told(lib, ti, &c, &previous, title, today);
    Some((c, r))
}

fn footer(t: &Topic, today: NaiveDate) -> Footer {
    let stale = t.staleness().is_stale(t.as_of, today).then(|| {
        format!(
            "Stale: the cards are as of {}, {} days ago.",
            human_day(t.as_of),
            (today - t.as_of).num_days()
        )
    });
    Footer {
        topic: t.title.clone(),
        as_of: t.as_of,
        stale,
        note: Some("More: brief · position <actor> · timeline".into()),
    }
}

/// "Corrected: …(was: …)", cited to what the corrected entry or event cites now.
fn correction_line(t: &Topic, k: &Correction, cites: &mut Cites<'_>) -> Line {
    let entry_sources = |e: &EntryMark| {
        t.actors
            .iter()
            .find(|a| a.id == e.actor)
            .and_then(|a| a.history.entries().find(|p| p.as_of == e.as_of))
            .map(|p| p.sources.clone())
            .unwrap_or_default()
    };
    match k {
        Correction::Entry { before, after } => {
            let text = if before.stance == after.stance {
                format!(
                    "Corrected: {}'s position of {}, beyond its stance: {} (the stance is unchanged)",
                    after.name,
                    human_day(after.as_of),
                    after.stance
                )
            } else {
                format!(
                    "Corrected: {}'s position of {}: {} (was: {})",
                    after.name,
                    human_day(after.as_of),
                    after.stance,
                    before.stance
                )
            };
            Line::cited(text, cites.cite(&entry_sources(after))).label(after.name.clone())
        }
        Correction::EntryDate { before, after } => Line::cited(
            format!(
                "Corrected: {}'s position dated {} (was: {}): {}",
                after.name,
                human_day(after.as_of),
                human_day(before.as_of),
                after.stance
            ),
            cites.cite(&entry_sources(after)),
        )
        .label(after.name.clone()),
        Correction::EventDate { event, was } => {
            let e = &t.events[*event];
            Line::cited(
                format!(
                    "Corrected: {} dated {} (was: {})",
                    e.shown_title(),
                    e.date,
                    crate::date::Date::parse(was).map_or_else(|_| was.clone(), |d| d.to_string())
                ),
                cites.cite(&e.sources),
            )
            .label(e.date.to_string())
        }
    }
}

fn changes_sections(
    r: &mut Reply,
    t: &Topic,
    c: &Changes,
    p: &Previous<'_>,
    cites: &mut Cites<'_>,
) {
    let since = format!("timeline since {}", p.day);
    let event_line = |i: usize, cites: &mut Cites<'_>, mark: &str| {
        let e = &t.events[i];
        let text = format!("{}{}. {}", mark, e.shown_title(), e.detail);
        Line::cited(text, cites.cite(&e.sources)).label(e.date.to_string())
    };
    let mut events: Vec<Line> = c
        .events_added
        .iter()
        .map(|&i| event_line(i, cites, ""))
        .collect();
    events.extend(
        c.events_revised
            .iter()
            .map(|&i| event_line(i, cites, "Revised: ")),
    );
    events.extend(c.events_removed.iter().map(|k| {
        let (date, title) = k.split_once('|').unwrap_or(("", k));
        Line::new(format!("Removed from the cards: {title}")).label(date.to_owned())
    }));
    r.bullets("New and revised events", capped(events, &since));
    let corrections: Vec<Line> = c
        .corrections
        .iter()
        .map(|k| correction_line(t, k, cites))
        .collect();
    r.bullets("Corrections", capped(corrections, "corrections"));
    let positions: Vec<Line> = c
        .positions
        .iter()
        .map(|pc| {
            let a = t.actors.iter().find(|a| a.id == pc.actor);
            let sources = a.map(|a| a.position().sources.clone()).unwrap_or_default();
            let text = match &pc.before {
                None => format!("New in the cards: {}", t.hedged(&pc.after.stance, &sources)),
                Some(b) => {
                    let mut parts = vec![format!("Stance: {} → {}", b.stance, pc.after.stance)];
                    if b.demands != pc.after.demands {
                        parts.push(list_change("demands", &b.demands, &pc.after.demands));
                    }
                    if b.red_lines != pc.after.red_lines {
                        parts.push(list_change("red lines", &b.red_lines, &pc.after.red_lines));
                    }
                    sentences(&parts)
                }
            };
            Line::cited(text, cites.cite(&sources)).label(format!(
                "{} (as of {})",
                pc.after.name,
                human_day(pc.after.as_of)
            ))
        })
        .chain(
            c.actors_removed
                .iter()
                .map(|name| Line::new("Removed from the cards").label(name.clone())),
        )
        .collect();
    r.bullets("Positions that moved", capped(positions, "actors"));
    let experts: Vec<Line> = c
        .experts_added
        .iter()
        .map(|&i| (i, ""))
        .chain(c.experts_revised.iter().map(|&i| (i, "Revised: ")))
        .map(|(i, mark)| {
            let v = &t.experts[i];
            Line::cited(format!("{mark}{}", v.summary), cites.cite(&v.sources)).label(&v.name)
        })
        .collect();
    r.bullets("New expert views", capped(experts, "experts"));
    let sources: Vec<Line> = c
        .sources_added
        .iter()
        .map(|&i| {
            let s = &t.sources[i];
            Line::cited(
                format!("{} ({})", s.title, s.publisher),
                cites.cite(std::slice::from_ref(&s.id)),
            )
        })
        .collect();
    r.bullets("New sources", capped(sources, "sources"));
    let mut status = Vec::new();
    if let Some((before, after)) = &c.status {
        status.push(Line::new(format!("{before} → {after}")).label("Status"));
    }
    if c.status_note_changed
        && let Some(n) = &t.status_note
    {
        status.push(Line::new(n).label("Now"));
    }
    r.bullets("Status", status);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_unchanged_names() {
        for (n, w) in WhenUnchanged::ALL {
            assert_eq!(WhenUnchanged::parse(n), Some(w));
            assert_eq!(w.name(), n);
        }
        assert_eq!(WhenUnchanged::parse("never"), None);
    }
}
