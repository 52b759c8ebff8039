//! `position <actor>`: one actor's stance, summary, demands, red lines, signals and key people,
//! with confidence, as-of date and sources.

use super::Ctx;
use super::cite::Cites;
use crate::cards::Choice;
use crate::commands::command::PositionQuery;
use crate::date::human_day;
use crate::reply::{Block, Field, Line, Reply, ReplyKind};

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
                },
            );
        }
        _ => return Err(ctx.unknown_actor(ti, &q.actor)),
    };
    let t = lib.topic(ti);
    let p = &a.position;
    let mut cites = Cites::new(lib, ti);
    let ps = cites.cite(&p.sources);
    let mut r = Reply::new(ReplyKind::Answer, format!("{}: position", a.name))
        .summary(Line::cited(&p.stance, ps.clone()));
    r.section("Summary", Block::Text(Line::cited(&p.summary, ps)));
    let plain = |v: &Vec<String>| v.iter().map(Line::new).collect::<Vec<_>>();
    r.bullets("Demands", plain(&p.demands));
    r.bullets("Red lines", plain(&p.red_lines));
    r.bullets("Signals and concessions", plain(&p.signals));
    let people: Vec<Line> = a
        .people
        .iter()
        .map(|person| {
            let mut text = format!("{} (as of {})", person.role, person.as_of);
            if let Some(n) = &person.note {
                text.push_str(&format!(". {n}"));
            }
            Line::cited(text, cites.cite(&person.sources)).label(&person.name)
        })
        .collect();
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
    if p.as_of < t.as_of {
        footer.note = Some(format!(
            "The topic itself is updated to {}: see `timeline since {}` for what happened after this position was written.",
            human_day(t.as_of),
            p.as_of
        ));
    }
    r.footer = Some(footer);
    Ok(r)
}
