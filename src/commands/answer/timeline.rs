//! `timeline`: dated events, oldest first, ten a page, filtered by dates or by actor.

use super::cite::Cites;
use super::ctx::Ctx;
use super::paging::{no_such_page, page_bounds, pager};
use crate::cards::Event;
use crate::commands::command::TimelineQuery;
use crate::reply::{Line, Reply, ReplyKind};

/// The topic, the events a timeline query asks for (oldest first) and how they were filtered
/// ("since Feb 2026, involving Oman"), or the reply that says why not: what the answer and
/// its chart are both made from.
pub(super) fn asked<'a>(
    ctx: &Ctx<'a>,
    q: &TimelineQuery,
) -> Result<(usize, Vec<&'a Event>, String), Reply> {
    let lib = ctx.library;
    let (ti, actor) = ctx.topic_or_actor(q.topic.as_deref(), q.actor.as_deref())?;
    let t = lib.topic(ti);
    let who = actor.map(|a| ctx.actor(ti, a)).transpose()?;
    let events: Vec<&Event> = t
        .events
        .iter()
        .filter(|e| q.since.is_none_or(|s| e.date.last_day() >= s.first_day()))
        .filter(|e| q.until.is_none_or(|u| e.date.first_day() <= u.last_day()))
        .filter(|e| who.is_none_or(|a| e.actors.contains(&a.id)))
        .collect();
    let mut filters = Vec::new();
    if let Some(s) = q.since {
        filters.push(format!("since {s}"));
    }
    if let Some(u) = q.until {
        filters.push(format!("until {u}"));
    }
    if let Some(a) = who {
        filters.push(format!("involving {}", a.name));
    }
    Ok((ti, events, filters.join(", ")))
}

pub(super) fn timeline(ctx: &Ctx<'_>, q: &TimelineQuery) -> Result<Reply, Reply> {
    let lib = ctx.library;
    let (ti, events, filters) = asked(ctx, q)?;
    let t = lib.topic(ti);
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!(" {filters}")
    };
    let title = format!("Timeline: {}", t.title);
    if events.is_empty() {
        let text = if t.events.is_empty() {
            "No events yet: this topic's timeline is empty. Moderators add them to timeline.toml."
                .to_owned()
        } else {
            format!(
                "No events{filter}. The timeline has {} events in all.",
                t.events.len()
            )
        };
        let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(text));
        r.footer = Some(ctx.footer(t, t.as_of, "this timeline"));
        return Ok(r);
    }
    let (pages, range) = page_bounds(events.len(), q.page);
    if q.page.get() > pages {
        return Err(no_such_page(q.page, pages, "events", |p| q.with_page(p)));
    }
    let mut cites = Cites::new(lib, ti);
    let lines = events[range.clone()]
        .iter()
        .map(|e| {
            let text = format!("{}. {}", e.shown_title(), e.detail);
            Line::cited(text, cites.cite(&e.sources)).label(e.date.to_string())
        })
        .collect();
    let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(format!(
        "Events {}–{} of {}{filter}, oldest first.",
        range.start + 1,
        range.end,
        events.len()
    )));
    r.bullets("Events", lines);
    r.citations = cites.list;
    r.pager = pager(|p| q.with_page(p), q.page, pages, events.len(), "events");
    r.footer = Some(ctx.footer(t, t.as_of, "this timeline"));
    Ok(r)
}
