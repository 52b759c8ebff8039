//! `topics`: the loaded topics, with status and as-of date.

use super::ctx::Ctx;
use crate::date::human_day;
use crate::reply::{Line, Reply, ReplyKind};

pub(super) fn topics(ctx: &Ctx<'_>) -> Reply {
    let lines: Vec<Line> = ctx
        .library
        .topics()
        .iter()
        .map(|t| {
            let stale = if t.staleness().is_stale(t.as_of, ctx.today) {
                " (stale)"
            } else {
                ""
            };
            Line::new(format!(
                "`{}` · {} · as of {}{stale}",
                t.id,
                t.status,
                human_day(t.as_of)
            ))
            .label(&t.title)
        })
        .collect();
    let n = lines.len();
    let mut r = Reply::new(ReplyKind::Answer, "Topics").summary(Line::new(match n {
        0 => "No topics are loaded.".to_owned(),
        1 => "One topic is loaded; commands use it without being told.".to_owned(),
        n => format!("{n} topics are loaded. Name one with `topic <id>` where it matters."),
    }));
    r.bullets("Loaded", lines);
    r
}
