//! `brief`: the bottom line, status, where each main actor stands, the latest events and what
//! to watch.

use super::cite::Cites;
use super::ctx::Ctx;
use crate::cards::{Actor, Choice, Status};
use crate::date::human_day;
use crate::reply::{Block, Line, Reply, ReplyKind};

fn status_word(s: Status) -> String {
    let w = s.as_str();
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub(super) fn brief(ctx: &Ctx<'_>, ti: usize) -> Reply {
    let lib = ctx.library;
    let t = lib.topic(ti);
    let mut cites = Cites::new(lib, ti);
    let top = cites.cite(&t.sources_cited);
    let mut r =
        Reply::new(ReplyKind::Answer, &t.title).summary(Line::cited(&t.bottom_line, top.clone()));
    let status = Line::new(t.status_note.clone().unwrap_or_default()).label(status_word(t.status));
    r.section("Status", Block::Text(status));
    r.section(
        "Why it matters",
        Block::Text(Line::cited(&t.why_it_matters, top)),
    );
    let main: Vec<&Actor> = if t.main_actors.is_empty() {
        t.actors.iter().collect()
    } else {
        t.main_actors
            .iter()
            .filter_map(|id| lib.actor(ti, id))
            .collect()
    };
    // Each stance is dated: in a history, actors' latest entries are of different days.
    let stances: Vec<Line> = main
        .iter()
        .map(|a| {
            let p = a.position();
            Line::cited(t.hedged(&p.stance, &p.sources), cites.cite(&p.sources)).label(format!(
                "{} ({})",
                a.name,
                human_day(p.as_of)
            ))
        })
        .collect();
    let heading = "Where the actors stand (each as of its latest position)";
    r.bullets(heading, stances);
    let latest: Vec<Line> = t
        .events
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|e| Line::cited(e.shown_title(), cites.cite(&e.sources)).label(e.date.to_string()))
        .collect();
    r.bullets("Latest events", latest);
    let watch: Vec<Line> = t
        .watch
        .iter()
        .map(|w| t.watch_line(w, cites.cite(&w.sources)))
        .collect();
    r.bullets("What to watch", watch);
    r.citations = cites.list;
    let mut footer = ctx.footer(t, t.as_of, "this briefing");
    footer.note =
        Some("More: position <actor> · timeline · experts · compare <actor> <actor>".into());
    r.footer = Some(footer);
    r
}
