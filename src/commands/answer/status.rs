//! `status`, for moderators: the running service (version, uptime, the last reload, each
//! door's connection) when there is one, the loaded topics in numbers, and the stale cards.

use super::ctx::{Ctx, ServiceReport, plural};
use crate::date::human_day;
use crate::reply::{Line, Reply, ReplyKind};
use std::time::Duration;

/// "3 d 4 h", "2 h 5 min", "40 s".
fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86400, s % 86400 / 3600),
    }
}

fn service_lines(s: &ServiceReport) -> Vec<Line> {
    let mut lines = vec![
        Line::new(format!("dossier {}", s.version)).label("Version"),
        Line::new(human_duration(s.uptime)).label("Up for"),
    ];
    let reload = s
        .last_reload
        .clone()
        .unwrap_or_else(|| "none since start-up".to_owned());
    lines.push(Line::new(reload).label("Last reload"));
    for (name, state) in &s.doors {
        lines.push(Line::new(state.clone()).label(name.clone()));
    }
    lines
}

pub(super) fn status(ctx: &Ctx<'_>) -> Reply {
    let lib = ctx.library;
    let mut stale = Vec::new();
    let lines: Vec<Line> = lib
        .topics()
        .iter()
        .map(|t| {
            let rule = t.staleness();
            let topic_stale = rule.is_stale(t.as_of, ctx.today);
            if topic_stale {
                stale.push(Line::new(format!(
                    "{}: topic as of {}",
                    t.id,
                    human_day(t.as_of)
                )));
            }
            for a in t
                .actors
                .iter()
                .filter(|a| rule.is_stale(a.position().as_of, ctx.today))
            {
                stale.push(Line::new(format!(
                    "{}: position of {} as of {}",
                    t.id,
                    a.id,
                    human_day(a.position().as_of)
                )));
            }
            Line::new(format!(
                "{} actors, {} events, {} expert views, {} sources, {} card files; as of {}{}",
                t.actors.len(),
                t.events.len(),
                t.experts.len(),
                t.sources.len(),
                t.card_files,
                human_day(t.as_of),
                if topic_stale { ", stale" } else { "" }
            ))
            .label(&t.id)
        })
        .collect();
    let n = lib.topics().len();
    let mut r = Reply::new(ReplyKind::Answer, "dossier status").summary(Line::new(format!(
        "{n} topic{} loaded from {} card files; all served cards are valid.",
        plural(n),
        lib.card_files()
    )));
    if let Some(s) = ctx.service {
        r.bullets("Service", service_lines(s));
        r.bullets(
            "Daily briefings that need attention",
            s.schedules.iter().map(Line::new).collect(),
        );
        r.bullets(
            "Channels and rooms with a topic of their own",
            s.places.iter().map(Line::new).collect(),
        );
        r.bullets(
            "Cited pages, by their latest look",
            s.sources.iter().map(Line::new).collect(),
        );
    }
    r.bullets("Topics", lines);
    let n_stale = stale.len();
    r.bullets(
        format!("Stale cards ({n_stale}): recheck them, then update `as_of`"),
        stale,
    );
    r
}
