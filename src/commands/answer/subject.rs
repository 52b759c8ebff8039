//! What an answer is about, resolved exactly as the answer resolves it, for the pictures drawn
//! beside it: the events a `timeline` shows, or the actors whose histories `position` and
//! `compare` show (and the day asked, if any). `None` for every other command and for what
//! would be a user's mistake.

use super::ctx::Ctx;
use crate::cards::{Actor, Event};
use crate::commands::Command;
use chrono::NaiveDate;

pub enum Subject<'a> {
    Timeline {
        topic: usize,
        events: Vec<&'a Event>,
        /// "since Feb 2026, involving Oman", or empty.
        filter: String,
    },
    Positions {
        topic: usize,
        actors: Vec<&'a Actor>,
        on: Option<NaiveDate>,
    },
}

pub fn subject<'a>(ctx: &Ctx<'a>, cmd: &Command) -> Option<Subject<'a>> {
    let lib = ctx.library;
    match cmd {
        Command::Timeline(q) => {
            let (topic, events, filter) = super::timeline::asked(ctx, q).ok()?;
            Some(Subject::Timeline {
                topic,
                events,
                filter,
            })
        }
        Command::Position(q) => {
            let topic = match &q.topic {
                Some(t) => ctx.topic(Some(t)).ok()?,
                None => ctx.topic_of_actor(&q.actor).ok()?,
            };
            let actor = lib.actor(topic, &q.actor)?;
            Some(Subject::Positions {
                topic,
                actors: vec![actor],
                on: q.on.map(super::position::asked_day),
            })
        }
        Command::Compare(q) => {
            let topic = super::compare::topic_of(ctx, q).ok()?;
            let (a, b) =
                super::compare::two_actors(ctx, topic, &q.first, q.second.as_deref()).ok()?;
            (a.id != b.id).then(|| Subject::Positions {
                topic,
                actors: vec![a, b],
                on: q.on.map(super::position::asked_day),
            })
        }
        _ => None,
    }
}
