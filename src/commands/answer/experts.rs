//! `experts [about <actor>]`: what experts and observers said, each with affiliation, date,
//! summary, verbatim quote and source.

use super::cite::Cites;
use super::ctx::{Ctx, plural};
use crate::commands::command::ExpertsQuery;
use crate::reply::{Block, Line, Reply, ReplyKind};

pub(super) fn experts(ctx: &Ctx<'_>, q: &ExpertsQuery) -> Result<Reply, Reply> {
    let lib = ctx.library;
    let (ti, about) = ctx.topic_or_actor(q.topic.as_deref(), q.about.as_deref())?;
    let t = lib.topic(ti);
    let who = about.map(|a| ctx.actor(ti, a)).transpose()?;
    let views: Vec<_> = t
        .experts
        .iter()
        .filter(|v| who.is_none_or(|a| v.about.contains(&a.id)))
        .collect();
    let title = match who {
        Some(a) => format!("Expert views on {}", a.name),
        None => format!("Expert views: {}", t.title),
    };
    let mut r = Reply::new(ReplyKind::Answer, title);
    let mut cites = Cites::new(lib, ti);
    for v in &views {
        let mut who_line = v.affiliation.clone();
        if let Some(role) = &v.role {
            who_line = format!("{role}, {who_line}");
        }
        let mut lines = vec![Line::cited(&v.summary, cites.cite(&v.sources))];
        if let Some(q) = &v.quote {
            lines.push(
                Line::cited(
                    format!("“{}”", q.text),
                    cites.cite(std::slice::from_ref(&q.source)),
                )
                .label("Quote"),
            );
        }
        if !v.about.is_empty() {
            let names: Vec<&str> = v
                .about
                .iter()
                .filter_map(|id| lib.actor(ti, id))
                .map(|a| a.name.as_str())
                .collect();
            lines.push(Line::new(names.join(", ")).label("About"));
        }
        r.section(
            format!(
                "{} — {who_line} ({}{})",
                v.name,
                if v.reported { "reported " } else { "" },
                v.date
            ),
            Block::Bullets(lines),
        );
    }
    r.summary = Some(Line::new(match (views.len(), who) {
        (0, Some(a)) => format!(
            "No expert view in the cards is about {}. Try `experts` for all of them.",
            a.name
        ),
        (0, None) => "The cards hold no expert views yet.".to_owned(),
        (n, _) => format!(
            "{n} view{}, in the experts' words as summarised by the card authors; quotes are verbatim.",
            plural(n)
        ),
    }));
    r.citations = cites.list;
    r.footer = Some(ctx.footer(t, t.as_of, "this topic"));
    Ok(r)
}
