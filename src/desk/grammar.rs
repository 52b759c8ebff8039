//! The desk's answers to the chat grammar: `edit …` and `suggest …` with `field: value`
//! lines (or without, for the form to fill in), `history`, `undo`, `suggestions`, `approve`
//! and `reject`; and a form submitted on a platform (a Discord modal). Who asks becomes the
//! edit's author.

use super::state::{Desk, Handles, user_error};
use super::target::Prefill;
use crate::commands::Command;
use crate::commands::command::{DecideQuery, Decides, EditQuery};
use crate::edit::Author;
use crate::edit::form::{self, Form, FormKind};
use crate::reply::{Line, Reply, ReplyKind};
use crate::service::Asker;

fn author(asker: &crate::service::Asker) -> Author {
    asker.author.clone().unwrap_or_else(|| {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Author {
            platform: asker.platform,
            id: user.clone(),
            name: user,
        }
    })
}

impl Desk {
    /// A form filled in on a platform (a Discord modal): applied as `edit` with fields does,
    /// or, when `suggest`, kept for the moderators as `suggest` does.
    pub async fn submit(
        &self,
        h: &Handles<'_>,
        req: &crate::edit::EditRequest,
        form: &Form,
        asker: &Asker,
        suggest: bool,
    ) -> Reply {
        if suggest {
            self.suggest(h, req, form, &author(asker)).await
        } else {
            self.apply(h, req, form, &author(asker)).await
        }
    }
}

/// Answer `edit`, `new`, `suggest`, `suggestions`, `approve`, `reject`, `history` and `undo`.
pub async fn respond(desk: &Desk, h: &Handles<'_>, cmd: &Command, asker: &Asker) -> Reply {
    let by = author(asker);
    match cmd {
        Command::Edit(q) => match q.fields.as_deref().map(str::trim) {
            _ if q.request.remove => desk.apply(h, &q.request, &Form::default(), &by).await,
            Some(text) if !text.is_empty() => match form::parse_form(q.request.kind, text) {
                Ok(form) => desk.apply(h, &q.request, &form, &by).await,
                Err(e) => {
                    let mut r = user_error(
                        "The edit could not be read",
                        format!("{} Nothing was changed.", e.explain(q.request.kind)),
                    );
                    r.bullets(
                        "Fields",
                        form::grammar_help(q.request.kind)
                            .into_iter()
                            .map(Line::new)
                            .collect(),
                    );
                    r
                }
            },
            _ => match desk.prefill(h, &q.request) {
                Ok(p) => form_reply(q, &p, false),
                Err(r) => r,
            },
        },
        Command::Suggest(q) => match q.fields.as_deref().map(str::trim) {
            _ if q.request.remove => desk.suggest(h, &q.request, &Form::default(), &by).await,
            Some(text) if !text.is_empty() => match form::parse_form(q.request.kind, text) {
                Ok(form) => desk.suggest(h, &q.request, &form, &by).await,
                Err(e) => user_error(
                    "The suggestion could not be read",
                    format!("{} Nothing was sent.", e.explain(q.request.kind)),
                ),
            },
            _ => match desk.prefill(h, &q.request) {
                Ok(p) => form_reply(q, &p, true),
                Err(r) => r,
            },
        },
        Command::Suggestions => desk.pending().await,
        Command::Approve(q) | Command::Reject(q) if q.what == Decides::Either => {
            match desk.numbered(q.id).await {
                Ok(what) => {
                    let q = DecideQuery { what, ..q.clone() };
                    let cmd = match cmd {
                        Command::Approve(_) => Command::Approve(q),
                        _ => Command::Reject(q),
                    };
                    Box::pin(respond(desk, h, &cmd, asker)).await
                }
                Err(r) => r,
            }
        }
        Command::Approve(q) if q.what == Decides::Proposal => {
            match q.fields.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
                None => desk.approve_proposal(h, q.id, &Form::default(), &by).await,
                Some(text) => match form::parse_form(FormKind::Event, text) {
                    Ok(form) => desk.approve_proposal(h, q.id, &form, &by).await,
                    Err(e) => user_error(
                        "The changes could not be read",
                        format!(
                            "{} Nothing was changed; the proposal is still open.",
                            e.explain(FormKind::Event)
                        ),
                    ),
                },
            }
        }
        Command::Reject(q) if q.what == Decides::Proposal => {
            desk.reject_proposal(q.id, q.reason.as_deref().unwrap_or_default(), &by)
                .await
        }
        Command::Approve(q) => desk.decide(h, q.id, true, None, &by).await,
        Command::Reject(q) => desk.decide(h, q.id, false, q.reason.as_deref(), &by).await,
        Command::Feeds(q) => match &q.change {
            None => desk.feeds(h, q.topic.as_deref()).await,
            Some(c) => desk.change_feeds(h, q.topic.as_deref(), c, &by).await,
        },
        Command::Proposals(q) => match q.id {
            Some(id) => desk.show_proposal(id).await,
            None => desk.proposals(q.topic.as_deref()).await,
        },
        Command::History(q) => desk.history(h, q.topic.as_deref(), q.card.as_deref()).await,
        Command::Undo => desk.undo(h, &by, asker.admin).await,
        Command::New(q) => desk.new_card(h, q, &by).await,
        _ => user_error("Not an edit", "This command does not edit cards."),
    }
}

/// The answer to `edit …` sent without fields: how to send them, and the current values to
/// copy and change.
fn form_reply(q: &EditQuery, p: &Prefill, suggest: bool) -> Reply {
    let kind = q.request.kind;
    let line = if suggest {
        Command::Suggest(q.clone()).to_line()
    } else {
        Command::Edit(q.clone()).to_line()
    };
    let title = match (&p.target.actor_name, kind, &p.entry) {
        (Some(a), FormKind::Person, Some(e)) => format!("Change {} on {a}'s card", e.label),
        (Some(a), FormKind::Person, None) => format!("Add a person to {a}'s card"),
        (Some(a), FormKind::Position, Some(e)) => {
            format!("Correct {a}'s position of {}", e.label)
        }
        (Some(a), ..) => format!("Edit {a}'s position"),
        (None, FormKind::Event, Some(e)) => format!("Change the event {}", e.label),
        (None, FormKind::Source, Some(e)) => format!("Change the source {}", e.label),
        (None, FormKind::Expert, Some(e)) => format!("Change the expert view {}", e.label),
        (None, FormKind::Expert, None) => "Add an expert view".into(),
        (None, FormKind::Event, None) => "Add an event to the timeline".into(),
        _ => "Add a source".into(),
    };
    let how = match kind {
        _ if p.entry.is_some() => {
            "changes it in place; fields you leave out keep their values, and `field:` with nothing after it empties an optional one"
        }
        FormKind::Position if q.request.correct => {
            "corrects the latest entry in place; fields you leave out keep their values"
        }
        FormKind::Position => {
            "adds a new dated entry to the history; fields you leave out keep their current values, and `as of` defaults to today"
        }
        _ => "adds it; the required fields are marked",
    };
    let mut r = Reply::new(ReplyKind::Help, title).summary(Line::new(format!(
        "Send `{line}` followed by the fields to set, one `field: value` per line (list fields take one item per line). It {how}. The cards are checked before anything is written."
    )));
    if !p.values.is_empty() {
        r.section(
            "Now",
            crate::reply::Block::Text(Line::new(form::render_form(kind, &p.values))),
        );
    }
    r.bullets(
        "Fields",
        form::grammar_help(kind)
            .into_iter()
            .map(Line::new)
            .collect(),
    );
    r
}
