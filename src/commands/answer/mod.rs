//! Answering a [`Command`] from a [`Library`] snapshot, as a [`Reply`]. Pure: the same library,
//! command and day give the same reply. A user's mistake (unknown actor, bad page) is answered
//! with a reply that says how to ask instead, never with an empty one.
//!
//! One file per command, plus what they share: `resolve` (which topic and actor a name means),
//! `cite` (numbered citations and the as-of footer) and `paging`.

// A user's mistake travels as `Err(Reply)`: the reply that explains it. It is the cold path,
// and boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod actors;
mod brief;
mod cite;
mod compare;
mod ctx;
mod experts;
mod help;
mod paging;
mod position;
mod resolve;
mod search;
mod sources;
mod status;
mod subject;
mod timeline;
mod topics;

pub use help::{help, parse_error_reply};
pub use paging::PAGE_SIZE;

pub use ctx::{Ctx, ServiceReport};
pub use subject::{Subject, subject};

use super::command::Command;
use crate::reply::Reply;
use ctx::user_error;

/// Parse and answer one line as typed on any surface.
pub fn respond(ctx: &Ctx<'_>, line: &str) -> Reply {
    match super::parse::parse(line) {
        Ok(cmd) => answer(ctx, &cmd),
        Err(e) => parse_error_reply(&e),
    }
}

/// Answer a parsed command.
pub fn answer(ctx: &Ctx<'_>, cmd: &Command) -> Reply {
    let result = match cmd {
        Command::Brief(q) => ctx.topic(q.topic.as_deref()).map(|t| brief::brief(ctx, t)),
        Command::Position(q) => position::position(ctx, q),
        Command::Actors(q) => ctx
            .topic(q.topic.as_deref())
            .map(|t| actors::actors(ctx, t)),
        Command::Timeline(q) => timeline::timeline(ctx, q),
        Command::Experts(q) => experts::experts(ctx, q),
        Command::Compare(q) => compare::compare(ctx, q),
        Command::Sources(q) => ctx
            .topic(q.topic.as_deref())
            .map(|t| sources::sources(ctx, t)),
        Command::Search(q) => search::search(ctx, q),
        Command::Topics => Ok(topics::topics(ctx)),
        Command::Status => Ok(status::status(ctx)),
        Command::Reload
        | Command::Check
        | Command::Subscribe(_)
        | Command::Unsubscribe(_)
        | Command::Schedules
        | Command::Preview(_)
        | Command::Place(_)
        | Command::Edit(_)
        | Command::New(_)
        | Command::History(_)
        | Command::Undo
        | Command::Suggest(_)
        | Command::Approve(_)
        | Command::Reject(_)
        | Command::Suggestions
        | Command::Proposals(_)
        | Command::Feeds(_) => Err(user_error(
            format!("`{}` works where the bot runs", cmd.name()),
            format!(
                "Moderators use it in a Discord channel or Matrix room served by `dossier serve`.{}",
                match cmd {
                    Command::Reload | Command::Check =>
                        " In a terminal, `dossier check` checks the cards; a running `dossier serve` reloads them by itself when they are saved.",
                    Command::Preview(_) => " In a terminal, `dossier digest` prints a briefing.",
                    Command::Place(_) =>
                        " In a terminal, `--topic` (or DOSSIER_DEFAULT_TOPIC) chooses the topic.",
                    Command::New(_) =>
                        " In a terminal, `dossier new topic <id> --title …` and `dossier new actor <topic> <id> --name …` do the same.",
                    c if c.is_edit() =>
                        " In a terminal, edit the card files and run `dossier check`.",
                    _ => "",
                }
            ),
        )),
        Command::Help(q) => Ok(help(q.command.as_deref())),
    };
    result.unwrap_or_else(|e| e)
}
