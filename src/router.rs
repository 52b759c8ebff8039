//! The router: a parsed command plus who asked, turned into the one feature call that answers
//! it. It decides who may run a moderator command (`permit`: the moderators the operator names
//! for what every place shares, a place's own moderators for its settings). Questions are
//! answered from a library snapshot (`commands`); `reload` and `check` go to the reloader,
//! edits, suggestions, history and undo to the edit desk, the daily briefings' commands to the
//! scheduler's replies; every answer is counted and timed. The doors call only this (and render
//! what comes back); adding a command that acts on the service means a line here.

// A form that cannot open is a reply to show, once per command: not worth a box.
#![allow(clippy::result_large_err)]

use crate::app::App;
use crate::charts::Png;
use crate::commands::{Command, Ctx, Scope, ServiceReport, answer as answer_from};
use crate::desk::{self, Prefill};
use crate::edit::EditRequest;
use crate::edit::form::Form;
use crate::reload::Trigger;
use crate::reply::{Reply, ReplyKind};
use crate::schedule::Destination;
use crate::scheduler::chat;
use crate::service::cache::Entry;
use crate::service::moderators::{Grant, grant};
use crate::service::{Asker, Platform};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Instant;

/// What `status` shows about the running service.
pub fn service_report(app: &App) -> ServiceReport {
    ServiceReport {
        version: env!("CARGO_PKG_VERSION"),
        uptime: app.started.elapsed(),
        last_reload: app.reloader.last_reload().map(|r| r.status_line()),
        doors: app
            .doors
            .all()
            .iter()
            .map(|d| (d.name.to_owned(), d.status_line()))
            .collect(),
        schedules: app.schedule_watch.attention.load().as_ref().clone(),
        places: app
            .places
            .all()
            .into_iter()
            .map(|(platform, id, topic)| format!("{platform}:{id} → {topic}"))
            .collect(),
        sources: None,
    }
}

/// The topic a place answers from when a command names none: its own, when a moderator chose
/// one that is still loaded, else the configured default topic.
pub fn default_topic(app: &App, place: Option<&Destination>) -> Option<String> {
    let own = place.and_then(|p| app.places.topic_of(p)).map(|t| t.topic);
    match own {
        Some(t) if app.snapshot().topic_index(&t).is_some() => Some(t),
        _ => app.default_topic.clone(),
    }
}

/// Answer a command from the current snapshot. Questions only: what acts on the service
/// needs [`respond`].
pub fn answer(app: &App, cmd: &Command) -> Reply {
    answer_in(app, cmd, None)
}

/// [`answer`], asked in `place`: a command that names no topic uses the place's.
pub fn answer_in(app: &App, cmd: &Command, place: Option<&Destination>) -> Reply {
    let service = matches!(cmd, Command::Status).then(|| service_report(app));
    answer_with(app, cmd, place, service)
}

/// `status`, with the cited pages counted from their store.
async fn status(app: &App, cmd: &Command, place: Option<&Destination>) -> Reply {
    let mut service = service_report(app);
    if let Some(store) = &app.sources {
        // Nothing to say until a page has been looked at.
        service.sources = crate::sources::check::tally(store.as_ref())
            .await
            .filter(|t| t.by_status.iter().any(|(_, n)| *n > 0))
            .map(|t| t.line());
    }
    answer_with(app, cmd, place, Some(service))
}

fn answer_with(
    app: &App,
    cmd: &Command,
    place: Option<&Destination>,
    service: Option<ServiceReport>,
) -> Reply {
    let lib = app.snapshot();
    let default = default_topic(app, place);
    let ctx = Ctx {
        library: &lib,
        today: app.clock.today(),
        default_topic: default.as_deref(),
        service: service.as_ref(),
    };
    linked(app, &ctx, cmd, answer_from(&ctx, cmd))
}

/// An answer with the link to its web page, when the service has public pages and one shows
/// it (never on a user's mistake or a private reply).
fn linked(app: &App, ctx: &Ctx<'_>, cmd: &Command, mut reply: Reply) -> Reply {
    if let Some(base) = &app.public_url
        && !reply.is_user_error()
        && !reply.private
        && let Some(path) = ctx.address(cmd)
    {
        reply.link = Some(format!("{}{path}", base.as_str().trim_end_matches('/')));
    }
    reply
}

/// `topic` (which topic this place answers from) and `topic set <topic>` (choose it).
async fn place_topic(app: &App, ctx: &Ctx<'_>, set: Option<&str>, asker: &Asker) -> Reply {
    use crate::reply::Line;
    let what = |p: &Destination| match p {
        Destination::Discord { .. } => "channel",
        Destination::Matrix { .. } => "room",
    };
    let Some(place) = &asker.place else {
        return Reply::new(ReplyKind::UserError, "`topic` works in a channel or room").summary(
            Line::new(
                "It says, or sets, which topic a Discord channel or Matrix room answers from. In a terminal, `--topic` (or DOSSIER_DEFAULT_TOPIC) chooses the topic.",
            ),
        );
    };
    let lib = ctx.library;
    if let Some(name) = set {
        let t = match ctx.topic(Some(name)) {
            Ok(t) => lib.topic(t),
            Err(r) => return r,
        };
        return match app.places.set(place, &t.id, asker.who.as_deref()).await {
            Ok(_) => {
                tracing::info!(place = %place.describe(), topic = %t.id, by = ?asker.who, "a place's topic was set");
                Reply::new(
                    ReplyKind::Answer,
                    format!("This {} answers from {}", what(place), t.title),
                )
                .summary(Line::new(format!(
                    "Commands here that name no topic now answer from `{}`, and daily briefings subscribed here default to it. Another topic is still one `topic …` away.",
                    t.id
                )))
            }
            Err(crate::places::PlaceError::Unavailable(e)) => {
                tracing::warn!(error = %e, "a place's topic waits for the database");
                Reply::new(ReplyKind::UserError, "Choosing a topic is paused for a moment").summary(Line::new(
                    "The topics of channels and rooms are kept in the database the replicas share, which cannot be reached just now. Nothing was changed; try again in a minute.",
                ))
            }
            Err(e) => {
                tracing::error!(error = %e, "the places store failed");
                Reply::new(ReplyKind::UserError, "Sorry, something went wrong").summary(Line::new(
                    "dossier could not keep this place's topic; the error has been logged for the operators.",
                ))
            }
        };
    }
    let own = app.places.topic_of(place);
    let text = match (&own, ctx.default_topic) {
        (Some(o), _) if lib.topic_index(&o.topic).is_some() => format!(
            "Commands here that name no topic answer from `{}`{}.",
            o.topic,
            o.set_by
                .as_deref()
                .map_or(String::new(), |by| format!(", chosen by {by}"))
        ),
        (Some(o), d) => format!(
            "This {} chose `{}`, which is no longer loaded, so it answers from {}. A moderator can choose again with `topic set <topic>`.",
            what(place),
            o.topic,
            d.map_or("no topic in particular".to_owned(), |d| format!(
                "the default topic, `{d}`"
            ))
        ),
        (None, _) if lib.topics().len() == 1 => format!(
            "Only one topic is loaded, `{}`: commands here answer from it.",
            lib.topic(0).id
        ),
        (None, Some(d)) => format!(
            "This {} has no topic of its own, so it answers from the default topic, `{d}`. Moderators choose one with `topic set <topic>`.",
            what(place)
        ),
        (None, None) => format!(
            "This {} has no topic of its own and no default is set, so commands must name one (`topics` lists them). Moderators choose one with `topic set <topic>`.",
            what(place)
        ),
    };
    Reply::new(
        ReplyKind::Answer,
        format!("The topic of this {}", what(place)),
    )
    .summary(Line::new(text))
}

/// A question's answer as the bytes a door sends, from the reply cache when the library being
/// served has answered it before. `variant` names whatever else the door's bytes depend on
/// (Discord: whether the answer is private); `render` turns the reply into them and is called
/// only on a miss (`None` if it cannot, and then nothing is kept). `None` for commands whose
/// answer depends on more than the library, the day and the command: the door answers those
/// through [`respond`]. A user's mistake is answered but not kept, so nonsense typed at the bot
/// never pushes real answers out. Counted and timed like any answer.
pub fn cached_answer(
    app: &App,
    cmd: &Command,
    platform: Platform,
    place: Option<&Destination>,
    variant: &'static str,
    render: impl FnOnce(&Reply) -> Option<Bytes>,
) -> Option<Entry> {
    cached(app, cmd, platform, place, variant, false, |r, _| {
        render(r).map(|b| (b, None))
    })
}

/// [`cached_answer`] for a door that attaches charts: `render` is also given the answer's
/// chart (when the service draws charts, the command has one and did not ask to leave it out)
/// and returns, beside the body, what the door sends to show it; the entry carries both.
pub fn cached_answer_with_picture(
    app: &App,
    cmd: &Command,
    platform: Platform,
    place: Option<&Destination>,
    variant: &'static str,
    render: impl FnOnce(&Reply, Option<&Png>) -> Option<(Bytes, Option<Bytes>)>,
) -> Option<Entry> {
    cached(app, cmd, platform, place, variant, true, render)
}

/// The chart that goes with `cmd`'s answer, asked in `place`, drawn to PNG: `None` when the
/// service draws no charts, the command has none or asked to leave it out, or the answer is a
/// user's mistake. Kept in the reply cache per library version, day and question (including
/// the "no chart" outcome), so a repeated command draws nothing and a reload drops it.
pub fn picture(app: &App, cmd: &Command, place: Option<&Destination>) -> Option<Arc<Png>> {
    if !app.charts || !cmd.is_cacheable() {
        return None;
    }
    let lib = app.snapshot();
    let today = app.clock.today();
    let default = default_topic(app, place);
    let key = crate::service::cache::Key::Picture(crate::service::cache::Asked {
        today,
        default_topic: default.clone(),
        cmd: cmd.clone(),
    });
    if let Some(hit) = app.replies.get(lib.version(), &key) {
        return hit.picture;
    }
    let ctx = Ctx {
        library: &lib,
        today,
        default_topic: default.as_deref(),
        service: None,
    };
    let drawn = crate::charts::for_command(&ctx, cmd).and_then(|p| match p.to_png() {
        Ok(png) => Some(Arc::new(png)),
        Err(e) => {
            tracing::error!(error = %e, command = cmd.name(), "drawing a chart failed");
            None
        }
    });
    let entry = Entry {
        picture: drawn.clone(),
        ..Entry::text(Bytes::new(), false)
    };
    app.replies.insert(lib.version(), &key, entry);
    drawn
}

#[allow(clippy::too_many_arguments)]
fn cached(
    app: &App,
    cmd: &Command,
    platform: Platform,
    place: Option<&Destination>,
    variant: &'static str,
    with_picture: bool,
    render: impl FnOnce(&Reply, Option<&Png>) -> Option<(Bytes, Option<Bytes>)>,
) -> Option<Entry> {
    if !cmd.is_cacheable() || !app.replies.enabled() {
        return None;
    }
    let started = Instant::now();
    // One snapshot for the key and the answer: what is kept is what this version says.
    let lib = app.snapshot();
    let today = app.clock.today();
    // The topic a command that names none answers from is part of the question.
    let default = default_topic(app, place);
    let key = crate::service::cache::Key::Answer {
        door: platform.name(),
        variant,
        with_picture,
        asked: crate::service::cache::Asked {
            today,
            default_topic: default.clone(),
            cmd: cmd.clone(),
        },
    };
    let entry = match app.replies.get(lib.version(), &key) {
        Some(hit) => hit,
        None => {
            let ctx = Ctx {
                library: &lib,
                today,
                default_topic: default.as_deref(),
                service: None,
            };
            let reply = linked(app, &ctx, cmd, answer_from(&ctx, cmd));
            let picture = (with_picture && !reply.is_user_error())
                .then(|| picture(app, cmd, place))
                .flatten();
            let (body, shown) = render(&reply, picture.as_deref())?;
            let entry = Entry {
                body,
                user_error: reply.is_user_error(),
                picture: shown.is_some().then_some(picture).flatten(),
                with_picture: shown,
            };
            if !entry.user_error {
                app.replies.insert(lib.version(), &key, entry.clone());
            }
            entry
        }
    };
    let outcome = if entry.user_error {
        "user_error"
    } else if matches!(cmd, Command::Help(_)) {
        "help"
    } else {
        "answer"
    };
    app.metrics.command(cmd.name(), platform.name(), outcome);
    app.metrics.answered_in(platform.name(), started.elapsed());
    Some(entry)
}

/// Whether `asker` may run `cmd`. `Err` is the refusal to send: it is logged (who, where, the
/// command's name, never its text) and counted, and nothing was done.
pub fn permit(app: &App, cmd: &Command, asker: &Asker) -> Result<(), Reply> {
    permit_scope(app, cmd.scope(), cmd.name(), asker)
}

/// [`permit`] for a command known by its scope and name (a form's submission, a button).
pub fn permit_scope(
    app: &App,
    scope: Scope,
    name: &'static str,
    asker: &Asker,
) -> Result<(), Reply> {
    let granted = grant(&app.moderators, asker);
    if granted.permits(scope) {
        return Ok(());
    }
    let scope_name = match scope {
        Scope::Shared => "shared",
        _ => "place",
    };
    tracing::warn!(
        platform = asker.platform.name(),
        user = asker.standing.user.as_deref().unwrap_or("unknown"),
        place = %asker.place.as_ref().map_or_else(|| "none".to_owned(), Destination::describe),
        command = name,
        scope = scope_name,
        "refused a moderator command"
    );
    app.metrics.refused(name, asker.platform.name(), scope_name);
    Err(refusal(app, scope, name, granted, asker))
}

/// The reply to a refused command: who may run it, and why.
fn refusal(app: &App, scope: Scope, name: &str, granted: Grant, asker: &Asker) -> Reply {
    use crate::reply::Line;
    let here = match &asker.place {
        Some(Destination::Discord { .. }) => "channel",
        _ => "room",
    };
    let rule = if asker.standing.place_rule.is_empty() {
        "its own moderators".to_owned()
    } else {
        asker.standing.place_rule.clone()
    };
    if scope == Scope::Place {
        return Reply::new(ReplyKind::UserError, "Only moderators can do that").summary(Line::new(
            format!(
                "`{name}` changes this {here}'s own settings, so it is for {rule}, and for the moderators the bot's operator names. Everyone can use `brief`, `position` and the other questions."
            ),
        ));
    }
    let why = format!(
        "`{name}` changes what every channel and room shares (the cards, their history, the suggestions), so it is for the moderators the bot's operator names in its config"
    );
    let text = if app.moderators.is_empty() {
        format!(
            "{why}, and this bot names none yet: its operator can add you to `[moderation]` (`matrix_users`, `matrix_rooms`, `discord_users`, `discord_guilds` or `discord_roles`). Anyone can `suggest` a change meanwhile."
        )
    } else if granted == Grant::Place {
        format!(
            "{why}. Being a moderator of this {here} covers its own settings (its topic, its daily briefings), not the shared cards; `suggest` sends the change to the moderators to approve."
        )
    } else {
        format!("{why}. `suggest` sends the change to them to approve.")
    };
    Reply::new(
        ReplyKind::UserError,
        "Only the moderators the operator names can do that",
    )
    .summary(Line::new(text))
}

/// Answer a command as a door does: the commands that act on the service (`reload`, `check`,
/// edits, the daily briefings) go to their feature, once [`permit`] lets the asker run them;
/// every answer is counted and timed.
pub async fn respond(app: &App, cmd: &Command, asker: &Asker) -> Reply {
    let started = Instant::now();
    let platform = asker.platform;
    if let Err(refused) = permit(app, cmd, asker) {
        count(app, cmd.name(), platform.name(), &refused, started);
        return refused;
    }
    let lib = app.snapshot();
    let default = default_topic(app, asker.place.as_ref());
    let ctx = Ctx {
        library: &lib,
        today: app.clock.today(),
        default_topic: default.as_deref(),
        service: None,
    };
    let reply = match (cmd, app.schedules.as_deref()) {
        (Command::Reload, _) => app
            .reloader
            .reload_and_announce(Trigger::Command)
            .await
            .reply(app.reloader.root()),
        (Command::Check, _) => app.reloader.check_on_disk().await,
        (c, _) if c.is_edit() => match app.desk.as_deref() {
            Some(d) => desk::respond(d, &app.desk_handles(default.as_deref()), cmd, asker).await,
            None => desk::not_set_up(),
        },
        (Command::Place(q), _) => place_topic(app, &ctx, q.set.as_deref(), asker).await,
        (Command::Subscribe(q), Some(store)) => {
            let reply = chat::subscribe(&ctx, store, q, asker).await;
            // A briefing due soon is not left to the scheduler's next look.
            app.schedule_watch.wake.notify_one();
            reply
        }
        (Command::Unsubscribe(q), Some(store)) => chat::unsubscribe(store, q, asker).await,
        (Command::Schedules, Some(store)) => chat::schedules(store, asker).await,
        (Command::Preview(q), Some(store)) => chat::preview(&ctx, store, q, asker).await,
        (Command::Status, _) => status(app, cmd, asker.place.as_ref()).await,
        _ => answer_in(app, cmd, asker.place.as_ref()),
    };
    count(app, cmd.name(), platform.name(), &reply, started);
    reply
}

fn count(app: &App, name: &'static str, platform: &'static str, reply: &Reply, started: Instant) {
    let outcome = match reply.kind {
        ReplyKind::Answer => "answer",
        ReplyKind::Help => "help",
        ReplyKind::UserError => "user_error",
    };
    app.metrics.command(name, platform, outcome);
    app.metrics.answered_in(platform, started.elapsed());
}

/// What a form (a Discord modal) opens with.
pub fn prefill(
    app: &App,
    req: &EditRequest,
    place: Option<&Destination>,
) -> Result<Prefill, Reply> {
    let default = default_topic(app, place);
    match app.desk.as_deref() {
        Some(d) => d.prefill(&app.desk_handles(default.as_deref()), req),
        None => Err(desk::not_set_up()),
    }
}

/// The event approving the newsdesk's proposal `id` would write, as a form's values: what a
/// door's form to change it opens with.
pub async fn proposal_draft(
    app: &App,
    id: i64,
) -> Result<Vec<(&'static str, crate::edit::form::Value)>, Reply> {
    match app.desk.as_deref() {
        Some(d) => d
            .proposal_draft(&app.desk_handles(None), id)
            .await
            .map(|f| f.values.into_iter().map(|(s, v)| (s.key, v)).collect()),
        None => Err(desk::not_set_up()),
    }
}

/// A form filled in on a platform (a Discord modal): applied as `edit` with fields does, or,
/// when `suggest`, kept for the moderators as `suggest` does.
pub async fn submit_form(
    app: &App,
    req: &EditRequest,
    form: &Form,
    asker: &Asker,
    suggest: bool,
) -> Reply {
    let started = Instant::now();
    let name = if suggest { "suggest" } else { "edit" };
    let scope = if suggest {
        Scope::Anyone
    } else {
        Scope::Shared
    };
    if let Err(refused) = permit_scope(app, scope, name, asker) {
        count(app, name, asker.platform.name(), &refused, started);
        return refused;
    }
    let default = default_topic(app, asker.place.as_ref());
    let reply = match app.desk.as_deref() {
        Some(d) => {
            d.submit(
                &app.desk_handles(default.as_deref()),
                req,
                form,
                asker,
                suggest,
            )
            .await
        }
        None => desk::not_set_up(),
    };
    // A user's mistake is counted as such, whatever kind of reply explains it.
    let outcome = if reply.is_user_error() {
        "user_error"
    } else {
        "answer"
    };
    app.metrics.command(name, asker.platform.name(), outcome);
    app.metrics
        .answered_in(asker.platform.name(), started.elapsed());
    reply
}
