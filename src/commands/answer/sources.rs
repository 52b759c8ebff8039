//! `sources`: every source behind a topic's cards, numbered in the order of sources.toml.

use super::cite::Cites;
use super::ctx::Ctx;
use crate::reply::{Line, Reply, ReplyKind};

pub(super) fn sources(ctx: &Ctx<'_>, ti: usize) -> Reply {
    let lib = ctx.library;
    let t = lib.topic(ti);
    let mut cites = Cites::new(lib, ti);
    let ids: Vec<String> = t.sources.iter().map(|s| s.id.clone()).collect();
    cites.cite(&ids);
    let mut r =
        Reply::new(ReplyKind::Answer, format!("Sources: {}", t.title)).summary(Line::new(format!(
            "{} sources behind this topic's cards, in the order listed in sources.toml.",
            t.sources.len()
        )));
    r.citations = cites.list;
    r.footer = Some(ctx.footer(t, t.as_of, "this topic"));
    r
}
