//! `status`, for moderators: what is loaded, in numbers.

use super::Ctx;
use crate::date::human_day;
use crate::reply::{Line, Reply, ReplyKind};

pub(super) fn status(ctx: &Ctx<'_>) -> Reply {
    let lib = ctx.library;
    let lines: Vec<Line> = lib
        .topics()
        .iter()
        .map(|t| {
            let stale = if t.staleness().is_stale(t.as_of, ctx.today) {
                ", stale"
            } else {
                ""
            };
            Line::new(format!(
                "{} actors, {} events, {} expert views, {} sources; as of {}{stale}",
                t.actors.len(),
                t.events.len(),
                t.experts.len(),
                t.sources.len(),
                human_day(t.as_of)
            ))
            .label(&t.id)
        })
        .collect();
    let cards: usize = lib.topics().iter().map(|t| 4 + t.actors.len()).sum();
    let mut r = Reply::new(ReplyKind::Answer, "dossier status").summary(Line::new(format!(
        "{} topic(s) loaded from about {cards} card files; all cards are valid.",
        lib.topics().len()
    )));
    r.bullets("Topics", lines);
    r
}
