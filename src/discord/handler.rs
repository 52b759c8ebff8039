//! The one interaction handler both the gateway and the HTTP endpoint call: an interaction in,
//! the response to send out. Slash commands, autocomplete and paging buttons are answered here;
//! who may run a moderator command is the router's call, on the member's standing. A command
//! whose answer takes longer than `Settings::defer_after` is acknowledged first and completed
//! by an edit.

use super::commands::PRIVATE;
use super::respond::{
    Outcome, components, discord_asker, embeds, message, no_mentions, reply_message,
    respond_or_defer, serialized, short, with_and_without,
};
use super::settings::Settings;
use crate::app::App;
use crate::commands::answer::parse_error_reply;
use crate::commands::parse::{Args, from_args, parse};
use crate::commands::spec::{self, COMMANDS};
use crate::render::discord::{self as dr, PAGE_PREFIX, limits};
use crate::schedule::Destination;
use serenity::builder::{
    CreateAutocompleteResponse, CreateInteractionResponse, CreateInteractionResponseMessage,
};
use serenity::model::application::{
    CommandInteraction, ComponentInteraction, Interaction, ResolvedValue,
};
use std::sync::Arc;

/// Decide the response to an interaction. Answers in `defer_after` or defers.
pub async fn handle(app: Arc<App>, s: &Settings, interaction: Interaction) -> Outcome {
    match interaction {
        Interaction::Ping(_) => Outcome::Respond(CreateInteractionResponse::Pong),
        Interaction::Command(ci) => command(app, s, ci).await,
        Interaction::Autocomplete(ci) => cached_autocomplete(&app, &ci),
        Interaction::Component(ci) => match super::proposals::pressed(app.clone(), s, &ci).await {
            Some(o) => o,
            None => match super::edit::decide(app.clone(), s, &ci).await {
                Some(o) => o,
                None if ci.data.custom_id.starts_with(dr::MORE_FIELDS_PREFIX) => {
                    Outcome::Respond(more_fields(&app, s, &ci))
                }
                None => Outcome::Respond(component(&app, &ci)),
            },
        },
        Interaction::Modal(mi) => match super::proposals::submitted(app.clone(), s, &mi).await {
            Some(o) => o,
            None => super::edit::submit(app, s, mi).await,
        },
        _ => Outcome::Ignore,
    }
}

/// The slash command's options as named arguments, plus whether to answer privately.
fn args(spec: &'static spec::CommandSpec, ci: &CommandInteraction) -> (Args, bool) {
    let mut args = Args::new();
    let mut private = false;
    for o in ci.data.options() {
        match (o.name, &o.value) {
            (PRIVATE, ResolvedValue::Boolean(b)) => private = *b,
            (name, value) => {
                let Some(arg) = spec.arg(name) else { continue };
                let text = match value {
                    ResolvedValue::String(s) => (*s).to_owned(),
                    ResolvedValue::Integer(i) => i.to_string(),
                    ResolvedValue::Number(n) => n.to_string(),
                    ResolvedValue::Boolean(b) => b.to_string(),
                    _ => continue,
                };
                args.insert(arg.name, text);
            }
        }
    }
    (args, private)
}

async fn command(app: Arc<App>, s: &Settings, ci: CommandInteraction) -> Outcome {
    let Some(spec) = COMMANDS.iter().find(|c| c.name == ci.data.name) else {
        return Outcome::Respond(short(
            "Unknown command",
            "dossier does not know that command any more. Try `/help`.",
        ));
    };
    let (args, private) = args(spec, &ci);
    let cmd = match from_args(spec, args) {
        Ok(c) => c,
        Err(e) => {
            return Outcome::Respond(CreateInteractionResponse::Message(message(
                &reply_message(&parse_error_reply(&e)),
                true,
            )));
        }
    };
    // Who may run it is the router's call, before a form opens or anything is answered. A
    // question needs no standing: the asker is made only off the cached path.
    let asker = || {
        discord_asker(
            ci.channel_id.get(),
            ci.guild_id,
            &ci.user,
            ci.member.as_deref(),
            s,
        )
    };
    if cmd.is_moderator()
        && let Err(refused) = crate::router::permit(&app, &cmd, &asker())
    {
        return Outcome::Respond(CreateInteractionResponse::Message(message(
            &reply_message(&refused),
            true,
        )));
    }
    let place = Destination::Discord {
        channel: ci.channel_id.get(),
    };
    match &cmd {
        // A removal has nothing to fill in: it is answered like any command.
        crate::commands::Command::Edit(q) if !q.request.remove => {
            return Outcome::Respond(super::edit::open(&app, q, false, &place));
        }
        crate::commands::Command::Suggest(q) if !q.request.remove => {
            return Outcome::Respond(super::edit::open(&app, q, true, &place));
        }
        _ => {}
    }
    let private = private || cmd.answers_privately();
    // A question this library has answered before is the same bytes again. Not when every
    // answer is to be acknowledged first (`defer_after` of zero): the operator asked for that.
    // An answer with a chart is kept with the edit that uploads it (see `Outcome::Upload`).
    if !s.defer_after.is_zero()
        && let Some(hit) = crate::router::cached_answer_with_picture(
            &app,
            &cmd,
            crate::service::Platform::Discord,
            Some(&place),
            if private { "private" } else { "public" },
            |reply, picture| {
                let ephemeral = private || reply.is_user_error();
                let m = reply_message(reply).with_picture(picture.cloned().map(Arc::new));
                match with_and_without(&m, ephemeral) {
                    Some((body, shown)) => Some((body, Some(shown))),
                    None => serialized(&CreateInteractionResponse::Message(message(
                        &reply_message(reply),
                        ephemeral,
                    )))
                    .map(|b| (b, None)),
                }
            },
        )
    {
        return match (hit.picture, hit.with_picture) {
            (Some(picture), Some(edit)) => Outcome::Upload {
                body: hit.body,
                edit,
                picture,
                ephemeral: private,
                token: ci.token.clone(),
            },
            _ => Outcome::Body(hit.body),
        };
    }
    let asker = asker();
    let worker = app.clone();
    // Answers take microseconds from an in-memory snapshot: a task on the runtime, not a
    // blocking thread per request. It still runs apart, so a slow answer (a reload) can be
    // deferred, and it is tracked, so a graceful shutdown waits for it.
    let work = app.tasks.spawn(async move {
        let reply = crate::router::respond(&worker, &cmd, &asker).await;
        let picture = (!reply.is_user_error())
            .then(|| crate::router::picture(&worker, &cmd, asker.place.as_ref()))
            .flatten();
        (
            reply.is_user_error() || reply.private,
            reply_message(&reply).with_picture(picture),
        )
    });
    respond_or_defer(s, work, ci.token.clone(), private, spec.name).await
}

/// "More fields" under an edit's answer: the second form of what was edited, for moderators.
fn more_fields(app: &App, s: &Settings, ci: &ComponentInteraction) -> CreateInteractionResponse {
    let asker = discord_asker(
        ci.channel_id.get(),
        ci.guild_id,
        &ci.user,
        ci.member.as_ref(),
        s,
    );
    if let Err(refused) =
        crate::router::permit_scope(app, crate::commands::Scope::Shared, "edit", &asker)
    {
        return CreateInteractionResponse::Message(message(&reply_message(&refused), true));
    }
    let line = ci
        .data
        .custom_id
        .strip_prefix(dr::MORE_FIELDS_PREFIX)
        .unwrap_or_default();
    match parse(line) {
        Ok(crate::commands::Command::Edit(q)) if !q.request.remove => {
            let place = Destination::Discord {
                channel: ci.channel_id.get(),
            };
            super::edit::open_page(app, &q, false, super::edit::Page::More, &place)
        }
        _ => short("This button no longer works", "Run `/edit` again."),
    }
}

/// A paging button: its custom id holds the command line, so any instance can answer it.
fn component(app: &App, ci: &ComponentInteraction) -> CreateInteractionResponse {
    let Some(line) = ci.data.custom_id.strip_prefix(PAGE_PREFIX) else {
        return short("This button no longer works", "Run the command again.");
    };
    let reply = match parse(line) {
        Ok(cmd) if !cmd.is_moderator() => {
            let place = Destination::Discord {
                channel: ci.channel_id.get(),
            };
            crate::router::answer_in(app, &cmd, Some(&place))
        }
        Ok(_) => return short("This button no longer works", "Run the command again."),
        Err(e) => parse_error_reply(&e),
    };
    let m = reply_message(&reply);
    if reply.is_user_error() {
        return CreateInteractionResponse::Message(message(&m, true));
    }
    CreateInteractionResponse::UpdateMessage(
        CreateInteractionResponseMessage::new()
            .embeds(embeds(&m))
            .components(components(&m))
            .allowed_mentions(no_mentions()),
    )
}

/// The value of a string option given beside the one being typed.
fn string_option(ci: &CommandInteraction, name: &str) -> Option<String> {
    ci.data.options().into_iter().find_map(|o| match o.value {
        ResolvedValue::String(v) if o.name == name => Some(v.to_owned()),
        _ => None,
    })
}

/// Autocomplete, from the reply cache when the library being served has offered the same
/// choices before: what is typed, in which option of which command, beside which topic and
/// kind of entry, is all the choices depend on.
fn cached_autocomplete(app: &App, ci: &CommandInteraction) -> Outcome {
    let lib = app.snapshot();
    let focused = ci.data.autocomplete();
    let place = Destination::Discord {
        channel: ci.channel_id.get(),
    };
    let default = crate::router::default_topic(app, Some(&place));
    let key = crate::service::cache::Key::Choices {
        default_topic: default.clone(),
        command: ci.data.name.clone(),
        option: focused.as_ref().map_or("", |f| f.name).to_owned(),
        typed: focused.as_ref().map_or("", |f| f.value).to_owned(),
        topic: string_option(ci, "topic"),
        what: string_option(ci, "what"),
    };
    if let Some(hit) = app.replies.get(lib.version(), &key) {
        return Outcome::Body(hit.body);
    }
    let response = autocomplete(&lib, default.as_deref(), ci);
    if let Some(body) = serialized(&response) {
        let entry = crate::service::cache::Entry::text(body.clone(), false);
        app.replies.insert(lib.version(), &key, entry);
        return Outcome::Body(body);
    }
    Outcome::Respond(response)
}

/// Autocomplete: the choices `commands::complete` ranks for what is typed, at most 25, names
/// and values within Discord's 100 characters.
pub fn autocomplete(
    lib: &crate::library::Library,
    default_topic: Option<&str>,
    ci: &CommandInteraction,
) -> CreateInteractionResponse {
    let mut r = CreateAutocompleteResponse::new();
    if let Some(focused) = ci.data.autocomplete() {
        let topic = string_option(ci, "topic");
        let what = string_option(ci, "what");
        let typing = crate::commands::complete::Typing {
            command: &ci.data.name,
            option: focused.name,
            typed: focused.value,
            topic: topic.as_deref(),
            what: what.as_deref(),
        };
        let fit = crate::commands::complete::Fit {
            most: limits::AUTOCOMPLETE_CHOICES,
            name_chars: limits::CHOICE_NAME,
        };
        for c in crate::commands::complete::choices(lib, default_topic, &typing, fit) {
            let value: String = c.value.chars().take(limits::CHOICE_VALUE).collect();
            r = r.add_string_choice(c.name, value);
        }
    }
    CreateInteractionResponse::Autocomplete(r)
}
