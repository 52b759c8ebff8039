//! `actors`: every actor of a topic with its id, kind, role, stance and aliases.

use super::cite::Cites;
use super::ctx::Ctx;
use crate::reply::{Line, Reply, ReplyKind};

pub(super) fn actors(ctx: &Ctx<'_>, ti: usize) -> Reply {
    let lib = ctx.library;
    let t = lib.topic(ti);
    let mut cites = Cites::new(lib, ti);
    let lines = t
        .actors
        .iter()
        .map(|a| {
            let aka = if a.aliases.is_empty() {
                String::new()
            } else {
                format!(" Also: {}.", a.aliases.join(", "))
            };
            let text = format!(
                "`{}` · {} · {} Stance: {}{aka}",
                a.id,
                a.kind,
                a.role,
                a.position().stance
            );
            Line::cited(text, cites.cite(&a.position().sources)).label(&a.name)
        })
        .collect();
    let mut r =
        Reply::new(ReplyKind::Answer, format!("Actors: {}", t.title)).summary(Line::new(format!(
            "{} actors. Ask `position <actor>` for any of them.",
            t.actors.len()
        )));
    r.bullets("Actors", lines);
    r.citations = cites.list;
    r.footer = Some(ctx.footer(t, t.as_of, "this topic"));
    r
}
