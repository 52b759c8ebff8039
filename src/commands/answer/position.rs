//! `position <actor> [on DATE]`: one actor's stance, summary, demands, red lines, signals and
//! key people, with confidence, as-of date and sources; then how the position changed. With a
//! date, the entry in force on that day.

use super::cite::Cites;
use super::ctx::{Ctx, user_error};
use crate::cards::{Actor, Choice, ClaimList, Position, Topic};
use crate::commands::command::PositionQuery;
use crate::date::{Date, human_day};
use crate::reply::{Block, Field, Line, Reply, ReplyKind};
use chrono::NaiveDate;

/// Earlier entries listed under "How it changed"; older ones are named by count.
const MAX_CHANGES: usize = 10;

/// The day a date asked for means: the day itself, or the last day of a month or year.
pub(super) fn asked_day(d: Date) -> NaiveDate {
    d.last_day()
}

/// The entry of `a` in force on `on`, or a reply that says there is none yet.
pub(super) fn in_force(a: &Actor, on: Date) -> Result<&Position, Reply> {
    let day = asked_day(on);
    a.history.on(day).ok_or_else(|| {
        let first = a.history.first().as_of;
        user_error(
            format!("No position of {} before {}", a.name, human_day(first)),
            format!(
                "The cards record {}'s position from {} on; nothing is recorded for {on}. Try `position {} on {first}`.",
                a.name,
                human_day(first),
                a.id
            ),
        )
    })
}

pub(super) fn position(ctx: &Ctx<'_>, q: &PositionQuery) -> Result<Reply, Reply> {
    let lib = ctx.library;
    let ti = match &q.topic {
        Some(t) => ctx.topic(Some(t))?,
        None => ctx.topic_of_actor(&q.actor)?,
    };
    // "position iran iran-us-talks": a trailing topic name without the keyword. Only one
    // level: the retry names its topic, so it never comes back here.
    let a = match (lib.actor(ti, &q.actor), q.actor.rsplit_once(' ')) {
        (Some(a), _) => a,
        (None, Some((head, tail))) if q.topic.is_none() && lib.topic_index(tail).is_some() => {
            let t2 = lib.topic_index(tail).unwrap_or(ti);
            return position(
                ctx,
                &PositionQuery {
                    actor: head.to_owned(),
                    topic: Some(lib.topic(t2).id.clone()),
                    on: q.on,
                    picture: q.picture,
                },
            );
        }
        _ => return Err(ctx.unknown_actor(ti, &q.actor)),
    };
    let t = lib.topic(ti);
    let p = match q.on {
        Some(on) => in_force(a, on)?,
        None => a.position(),
    };
    let latest = std::ptr::eq(p, a.position());
    let mut cites = Cites::new(lib, ti);
    let ps = cites.cite(&p.sources);
    let title = match q.on {
        Some(on) => format!("{}: position on {}", a.name, human_day(asked_day(on))),
        None => format!("{}: position", a.name),
    };
    let mut r = Reply::new(ReplyKind::Answer, title)
        .summary(Line::cited(t.hedged(&p.stance, &p.sources), ps.clone()));
    r.section("Summary", Block::Text(Line::cited(&p.summary, ps)));
    let demands = claim_lines(t, p, ClaimList::Demands, &mut cites);
    r.bullets("Demands", demands);
    let red_lines = claim_lines(t, p, ClaimList::RedLines, &mut cites);
    r.bullets("Red lines", red_lines);
    let signals = claim_lines(t, p, ClaimList::Signals, &mut cites);
    r.bullets("Signals and concessions", signals);
    let people: Vec<Line> = a
        .people
        .iter()
        .map(|person| {
            let mut text = format!("{} (as of {})", person.role, person.as_of);
            if let Some(n) = &person.note {
                text.push_str(&format!(". {n}"));
            }
            Line::cited(
                t.hedged(&text, &person.sources),
                cites.cite(&person.sources),
            )
            .label(&person.name)
        })
        .collect();
    // How the stance moved matters more here than who the people are: it comes first.
    changes(&mut r, a, p, &mut cites);
    r.bullets("Key people", people);
    r.section(
        "Assessment",
        Block::Fields(vec![
            Field {
                name: "Confidence".into(),
                lines: vec![Line::new(p.confidence.as_str())],
            },
            Field {
                name: "As of".into(),
                lines: vec![Line::new(human_day(p.as_of))],
            },
            Field {
                name: "Role".into(),
                lines: vec![Line::new(&a.role)],
            },
        ]),
    );
    r.citations = cites.list;
    let mut footer = ctx.footer(t, p.as_of, "this position");
    if !latest {
        // An earlier entry is history, not a stale card.
        footer.stale = None;
        footer.note = Some(format!(
            "This is the position in force then. The latest is as of {}: `position {}`.",
            human_day(a.position().as_of),
            a.id
        ));
    } else if p.as_of < t.as_of {
        footer.note = Some(format!(
            "The topic itself is updated to {}: see `timeline since {}` for what happened after this position was written.",
            human_day(t.as_of),
            p.as_of
        ));
    }
    r.footer = Some(footer);
    Ok(r)
}

/// "How it changed": the other entries of the history, newest first, each with its date and
/// stance, cited; the one shown is left out.
/// The items of one of a position's lists as a reader sees them: each hedged where what it
/// rests on (its own sources, else the position's) is headline-level only, and cited when it
/// names sources of its own.
pub(super) fn claim_lines(
    t: &Topic,
    p: &Position,
    list: ClaimList,
    cites: &mut Cites<'_>,
) -> Vec<Line> {
    let items = match list {
        ClaimList::Demands => &p.demands,
        ClaimList::RedLines => &p.red_lines,
        ClaimList::Signals => &p.signals,
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let sources = p.sources_of(list, i);
            let text = t.hedged(item, sources);
            if p.has_own_sources(list, i) {
                Line::cited(text, cites.cite(sources))
            } else {
                Line::new(text)
            }
        })
        .collect()
}

fn changes(r: &mut Reply, a: &Actor, shown: &Position, cites: &mut Cites<'_>) {
    let others: Vec<&Position> = a
        .history
        .entries()
        .rev()
        .filter(|p| !std::ptr::eq(*p, shown))
        .collect();
    if others.is_empty() {
        return;
    }
    let mut lines: Vec<Line> = others
        .iter()
        .take(MAX_CHANGES)
        .map(|p| Line::cited(&p.stance, cites.cite(&p.sources)).label(human_day(p.as_of)))
        .collect();
    if others.len() > MAX_CHANGES {
        let oldest = others[others.len() - 1].as_of;
        lines.push(Line::new(format!(
            "… and {} earlier: `position {} on {oldest}`",
            others.len() - MAX_CHANGES,
            a.id
        )));
    }
    let heading = if std::ptr::eq(shown, a.position()) {
        "How it changed (newest first)"
    } else {
        "The other entries of its history (newest first)"
    };
    r.bullets(heading, lines);
}
