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
use crate::commands::spec::{self, ArgKind, COMMANDS};
use crate::render::discord::{self as dr, PAGE_PREFIX, limits};
use crate::schedule::Destination;
use crate::text::{fold, truncate_words};
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
        Interaction::Component(ci) => match super::edit::decide(app.clone(), s, &ci).await {
            Some(o) => o,
            None if ci.data.custom_id.starts_with(dr::MORE_FIELDS_PREFIX) => {
                Outcome::Respond(more_fields(&app, s, &ci))
            }
            None => Outcome::Respond(component(&app, &ci)),
        },
        Interaction::Modal(mi) => super::edit::submit(app, s, mi).await,
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

/// A ranked candidate for autocomplete.
struct Candidate {
    score: u8,
    name: String,
    value: String,
}

/// Rank names against what was typed: exact, then prefix of a name, then prefix of a word (or
/// of several words), then close (fuzzy) matches.
fn score(typed: &str, names: &[&str]) -> u8 {
    if typed.is_empty() {
        return 1;
    }
    let mut best = 0;
    for n in names {
        let f = fold(n);
        let s = if f == typed {
            5
        } else if f.starts_with(typed) {
            4
        } else if f.split(' ').any(|w| w.starts_with(typed))
            || typed.contains(' ')
                && typed
                    .split(' ')
                    .all(|t| f.split(' ').any(|w| w.starts_with(t)))
        {
            // A word's start, or each typed word the start of one ("strikes iran").
            3
        } else if strsim::jaro_winkler(typed, &f) >= 0.8 {
            2
        } else {
            0
        };
        best = best.max(s);
    }
    best
}

fn choice_name(s: &str) -> String {
    truncate_words(s, limits::CHOICE_NAME)
}

/// Offer entries by id: each is (id, another name it is known by, what the choice shows).
fn offer_ids<'a>(
    out: &mut Vec<Candidate>,
    typed: &str,
    entries: impl Iterator<Item = (&'a String, &'a String, String)>,
) {
    for (id, other, shown) in entries {
        let sc = score(typed, &[id.as_str(), other.as_str()]);
        if sc > 0 && !out.iter().any(|c| c.value == *id) {
            out.push(Candidate {
                score: sc,
                name: choice_name(&shown),
                value: id.clone(),
            });
        }
    }
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

/// Autocomplete: ranked prefix-then-fuzzy matches, at most 25, names and values ≤ 100.
pub fn autocomplete(
    lib: &crate::library::Library,
    default_topic: Option<&str>,
    ci: &CommandInteraction,
) -> CreateInteractionResponse {
    let mut out: Vec<Candidate> = Vec::new();
    if let (Some(spec), Some(focused)) = (
        COMMANDS.iter().find(|c| c.name == ci.data.name),
        ci.data.autocomplete(),
    ) {
        let typed = fold(focused.value);
        let kind = spec.arg(focused.name).map(|a| a.kind);
        // The topic chosen in another option, else the default or only topic.
        let topic_opt = string_option(ci, "topic");
        let topics: Vec<usize> = match topic_opt.as_deref().and_then(|t| lib.topic_index(t)) {
            Some(t) => vec![t],
            None => match default_topic.and_then(|d| lib.topic_index(d)) {
                Some(t) => vec![t],
                None => (0..lib.topics().len()).collect(),
            },
        };
        // `/edit` and `/suggest` of an event or a source offer that card's entries instead of
        // actors.
        let what = string_option(ci, "what")
            .filter(|_| matches!(spec.name, "edit" | "suggest"))
            .and_then(|w| crate::edit::Action::parse(&w).map(|a| a.kind));
        match kind {
            Some(ArgKind::Actor) if what == Some(crate::edit::form::FormKind::Event) => {
                for &t in &topics {
                    for e in &lib.topic(t).events {
                        let when = e.date.iso();
                        let sc = score(&typed, &[e.title.as_str(), &format!("{when} {}", e.title)]);
                        if sc > 0 {
                            let value = format!("{when} {}", e.title);
                            out.push(Candidate {
                                score: sc,
                                name: choice_name(&value),
                                value,
                            });
                        }
                    }
                }
            }
            Some(ArgKind::Actor) if what == Some(crate::edit::form::FormKind::Source) => {
                for &t in &topics {
                    let sources = lib.topic(t).sources.iter();
                    offer_ids(
                        &mut out,
                        &typed,
                        sources.map(|x| (&x.id, &x.title, format!("{} · {}", x.id, x.title))),
                    );
                }
            }
            Some(ArgKind::Actor) if what == Some(crate::edit::form::FormKind::Expert) => {
                for &t in &topics {
                    let views = lib.topic(t).experts.iter();
                    offer_ids(
                        &mut out,
                        &typed,
                        views.map(|v| (&v.id, &v.name, format!("{} · {}", v.name, v.date.iso()))),
                    );
                }
            }
            Some(ArgKind::Actor) if what == Some(crate::edit::form::FormKind::Person) => {
                // The actor, to add someone to its card, or one of its people, to change.
                for &t in &topics {
                    for a in &lib.topic(t).actors {
                        let sc = score(&typed, &[a.id.as_str(), a.name.as_str()]);
                        if sc > 0 {
                            out.push(Candidate {
                                score: sc,
                                name: choice_name(&format!("{} (add a person)", a.name)),
                                value: a.id.clone(),
                            });
                        }
                        for p in &a.people {
                            let sc = score(&typed, &[p.name.as_str(), a.id.as_str()]);
                            if sc > 0 {
                                out.push(Candidate {
                                    score: sc,
                                    name: choice_name(&format!("{} · {}", p.name, a.name)),
                                    value: format!("{} {}", a.id, p.name),
                                });
                            }
                        }
                    }
                }
            }
            Some(ArgKind::Actor) => {
                // `/experts about:` offers only the actors some expert view is about, and
                // says how many views each has.
                let of_experts = spec.name == "experts";
                for &t in &topics {
                    let topic = lib.topic(t);
                    for a in &topic.actors {
                        let views = if of_experts {
                            topic
                                .experts
                                .iter()
                                .filter(|v| v.about.contains(&a.id))
                                .count()
                        } else {
                            0
                        };
                        if of_experts && views == 0 {
                            continue;
                        }
                        let mut names = vec![a.id.as_str(), a.name.as_str()];
                        names.extend(a.aliases.iter().map(String::as_str));
                        let sc = score(&typed, &names);
                        if sc > 0 && !out.iter().any(|c| c.value == a.id) {
                            let mut name = a.name.clone();
                            if of_experts {
                                let s = if views == 1 { "" } else { "s" };
                                name.push_str(&format!(" · {views} expert view{s}"));
                            }
                            if topics.len() > 1 {
                                name.push_str(&format!(" · {}", topic.id));
                            }
                            out.push(Candidate {
                                score: sc,
                                name: choice_name(&name),
                                value: a.id.clone(),
                            });
                        }
                    }
                }
            }
            Some(ArgKind::Topic) => {
                for t in lib.topics() {
                    let mut names = vec![t.id.as_str(), t.title.as_str()];
                    names.extend(t.aliases.iter().map(String::as_str));
                    let sc = score(&typed, &names);
                    if sc > 0 {
                        out.push(Candidate {
                            score: sc,
                            name: choice_name(&t.title),
                            value: t.id.clone(),
                        });
                    }
                }
            }
            Some(ArgKind::Timezone) => {
                for (i, z) in
                    crate::schedule::zones_starting(focused.value, limits::AUTOCOMPLETE_CHOICES)
                        .into_iter()
                        .enumerate()
                {
                    out.push(Candidate {
                        // Keep the order zones_starting gives: names first, then cities.
                        score: 5u8.saturating_sub((i / 10) as u8).max(1),
                        name: z.to_owned(),
                        value: z.to_owned(),
                    });
                }
            }
            Some(ArgKind::Command) => {
                for c in COMMANDS.iter().filter(|c| !c.moderator) {
                    let sc = score(&typed, &[c.name]);
                    if sc > 0 {
                        out.push(Candidate {
                            score: sc,
                            name: choice_name(&format!("{}: {}", c.name, c.summary)),
                            value: c.name.into(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.name.cmp(&b.name)));
    out.truncate(limits::AUTOCOMPLETE_CHOICES);
    let mut r = CreateAutocompleteResponse::new();
    for c in out {
        let value: String = c.value.chars().take(limits::CHOICE_VALUE).collect();
        r = r.add_string_choice(c.name, value);
    }
    CreateInteractionResponse::Autocomplete(r)
}
