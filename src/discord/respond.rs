//! What the Discord door's handlers share: turning a rendered reply into an interaction
//! response (never mentioning anyone), with its chart as the first embed's image and the
//! message's one attachment; the moderator checks, who asked, and answering within
//! `defer_after` or acknowledging first and completing later.

use super::rest::{Rest, RestError};
use super::settings::Settings;
use crate::charts::Png;
use crate::render::discord::{self as dr, Button, Message};
use crate::reply::{Line, Reply, ReplyKind};
use crate::schedule::Destination;
use crate::service::{Asker, Platform};
use crate::text::truncate_words;
use serenity::builder::{
    CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateButton, CreateEmbed,
    CreateEmbedFooter, CreateInteractionResponse, CreateInteractionResponseMessage,
    EditInteractionResponse,
};
use serenity::model::guild::Member;
use std::sync::Arc;

/// Mention nobody, whatever the text says.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

pub(crate) fn embeds(m: &Message) -> Vec<CreateEmbed> {
    m.embeds
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut b = CreateEmbed::new().colour(e.colour);
            if i == 0
                && let Some(p) = &m.picture
            {
                // `attachment://<name>`: the file uploaded with the message.
                b = b.attachment(p.name);
            }
            if let Some(t) = &e.title {
                b = b.title(t);
            }
            if let Some(u) = &e.url {
                b = b.url(u);
            }
            if let Some(d) = &e.description {
                b = b.description(d);
            }
            for f in &e.fields {
                b = b.field(&f.name, &f.value, f.inline);
            }
            if let Some(f) = &e.footer {
                b = b.footer(CreateEmbedFooter::new(f));
            }
            b
        })
        .collect()
}

pub(crate) fn components(m: &Message) -> Vec<CreateActionRow> {
    if m.buttons.is_empty() {
        return Vec::new();
    }
    let buttons = m
        .buttons
        .iter()
        .map(|b| match b {
            Button::Page { label, custom_id } => CreateButton::new(custom_id).label(label),
            Button::Link { label, url } => CreateButton::new_link(url).label(label),
            Button::Form { label, custom_id } => CreateButton::new(custom_id)
                .label(label)
                .style(serenity::all::ButtonStyle::Secondary),
        })
        .collect();
    vec![CreateActionRow::Buttons(buttons)]
}

/// The attachment's metadata (its name and alt text); the bytes go in the multipart body.
fn attachment(p: &Png) -> CreateAttachment {
    CreateAttachment::bytes(Vec::new(), p.name)
        .description(truncate_words(&p.alt, dr::limits::ATTACHMENT_DESCRIPTION))
}

/// A message response from a rendered reply.
pub fn message(m: &Message, ephemeral: bool) -> CreateInteractionResponseMessage {
    let mut r = CreateInteractionResponseMessage::new()
        .embeds(embeds(m))
        .components(components(m))
        .allowed_mentions(no_mentions())
        .ephemeral(ephemeral);
    if let Some(p) = &m.picture {
        r = r.add_file(attachment(p));
    }
    r
}

/// The edit that completes a deferred response.
pub fn edit(m: &Message) -> EditInteractionResponse {
    let mut r = EditInteractionResponse::new()
        .embeds(embeds(m))
        .components(components(m))
        .allowed_mentions(no_mentions());
    if let Some(p) = &m.picture {
        r = r.new_attachment(attachment(p));
    }
    r
}

/// `m` as a response without its chart, and as the edit of that response that adds it
/// (`PATCH …/messages/@original`, referring to the chart as attachment 0). `None` if either
/// cannot be serialized, or `m` has no chart.
pub fn with_and_without(m: &Message, ephemeral: bool) -> Option<(bytes::Bytes, bytes::Bytes)> {
    m.picture.as_ref()?;
    let shown = serialized(&edit(m))?;
    let plain = Message {
        picture: None,
        ..m.clone()
    };
    let body = serialized(&CreateInteractionResponse::Message(message(
        &plain, ephemeral,
    )))?;
    Some((body, shown))
}

/// How an answer with a chart goes out.
pub fn upload(m: &Message, ephemeral: bool, token: String) -> Outcome {
    match (with_and_without(m, ephemeral), m.picture.clone()) {
        (Some((body, edit)), Some(picture)) => Outcome::Upload {
            body,
            edit,
            picture,
            ephemeral,
            token,
        },
        // No chart (or, never expected, one that cannot be serialized): the answer alone.
        _ => {
            let plain = Message {
                picture: None,
                ..m.clone()
            };
            Outcome::Respond(CreateInteractionResponse::Message(message(
                &plain, ephemeral,
            )))
        }
    }
}

/// Complete a deferred response with `m`: an edit of the original, as multipart when `m` has
/// a chart.
pub async fn send_edit(rest: &Rest, token: &str, m: &Message) -> Result<(), RestError> {
    match &m.picture {
        Some(p) => match serialized(&edit(m)) {
            Some(body) => rest.edit_original_upload(token, body, p).await,
            None => rest.edit_original(token, &edit(m)).await,
        },
        None => rest.edit_original(token, &edit(m)).await,
    }
}

/// The interaction callback (type 4, a message) whose data is `edit`, an edit's JSON object:
/// every field an edit carries is a field of a callback's message.
pub fn callback_of_edit(edit: &[u8]) -> bytes::Bytes {
    let mut b = Vec::with_capacity(edit.len() + 20);
    b.extend_from_slice(br#"{"type":4,"data":"#);
    b.extend_from_slice(edit);
    b.push(b'}');
    b.into()
}

pub(crate) fn reply_message(reply: &Reply) -> Message {
    dr::render(reply)
}

pub(crate) fn short(title: &str, text: &str) -> CreateInteractionResponse {
    let r = Reply::new(ReplyKind::UserError, title).summary(Line::new(text));
    CreateInteractionResponse::Message(message(&reply_message(&r), true))
}

/// Whether the member who sent an interaction holds the moderator permission.
pub fn is_moderator(member: Option<&Member>, s: &Settings) -> bool {
    member
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.administrator() || p.contains(s.moderator_permission))
}

/// Whether the member holds more than the moderator permission: may undo others' edits.
pub fn is_admin(member: Option<&Member>) -> bool {
    member
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.administrator())
}

/// What to do about an interaction.
pub enum Outcome {
    /// Send this response now.
    Respond(CreateInteractionResponse),
    /// Send this response now, already serialized (an answer from the reply cache).
    Body(bytes::Bytes),
    /// Acknowledge with `ack` now, then edit the original response with
    /// `completion(work)`.
    Deferred {
        ack: CreateInteractionResponse,
        work: Answering,
        token: String,
    },
    /// An answer with a chart. Discord takes a file as multipart on the REST callback and on
    /// an edit of the original response, but not in the body of the endpoint's HTTP response.
    /// `body` is the response without the chart, `edit` the edit of it that uploads the chart
    /// ([`with_and_without`]).
    Upload {
        body: bytes::Bytes,
        edit: bytes::Bytes,
        picture: Arc<Png>,
        ephemeral: bool,
        token: String,
    },
    /// Nothing to answer (interaction types dossier does not use).
    Ignore,
}

/// A response (or an edit) serialized as Discord takes it, for the reply cache; `None` only if
/// serde_json fails on it (then it is answered the usual way).
pub fn serialized(r: &impl serde::Serialize) -> Option<bytes::Bytes> {
    match serde_json::to_vec(r) {
        Ok(b) => Some(b.into()),
        Err(e) => {
            tracing::error!(error = %e, "serializing a response failed");
            None
        }
    }
}

/// A command being answered: whether the reply is a user's mistake, and the message.
pub type Answering = tokio::task::JoinHandle<(bool, Message)>;

/// The message that completes a deferred response: the answer, or, when answering failed, a
/// short apology (the cause goes to the log). The asker never stays on "thinking…".
pub async fn completion(work: Answering) -> Message {
    match work.await {
        Ok((_, m)) => m,
        Err(e) => {
            tracing::error!(error = %e, "answering a deferred command failed");
            reply_message(&apology())
        }
    }
}

fn apology() -> Reply {
    Reply::new(ReplyKind::UserError, "Sorry, something went wrong").summary(Line::new(
        "dossier could not answer that; the error has been logged for the operators.",
    ))
}

/// Answer `cmd` for `asker` through the router on a tracked task, responding as
/// [`respond_or_defer`] does; a user error is shown to the asker alone.
pub(crate) async fn answer_command(
    app: &Arc<crate::app::App>,
    s: &Settings,
    cmd: crate::commands::Command,
    asker: Asker,
    token: String,
    command: &'static str,
) -> Outcome {
    let worker = app.clone();
    let work: Answering = app.tasks.spawn(async move {
        let reply = crate::router::respond(&worker, &cmd, &asker).await;
        (reply.is_user_error(), reply_message(&reply))
    });
    respond_or_defer(s, work, token, false, command).await
}

/// Respond with the answer if it comes within `defer_after`; otherwise acknowledge now and
/// complete the response when it comes.
pub(crate) async fn respond_or_defer(
    s: &Settings,
    mut work: Answering,
    token: String,
    private: bool,
    command: &'static str,
) -> Outcome {
    // `defer_after` of zero means: always acknowledge first.
    let in_time = if s.defer_after.is_zero() {
        Err(())
    } else {
        tokio::time::timeout(s.defer_after, &mut work)
            .await
            .map_err(|_| ())
    };
    match in_time {
        Ok(Ok((user_error, m))) => match m.picture.clone() {
            Some(_) => upload(&m, private || user_error, token),
            None => Outcome::Respond(CreateInteractionResponse::Message(message(
                &m,
                private || user_error,
            ))),
        },
        Ok(Err(e)) => {
            tracing::error!(error = %e, command, "answering a command failed");
            Outcome::Respond(CreateInteractionResponse::Message(message(
                &reply_message(&apology()),
                true,
            )))
        }
        Err(_) => {
            let ack = CreateInteractionResponse::Defer(
                CreateInteractionResponseMessage::new().ephemeral(private),
            );
            Outcome::Deferred { ack, work, token }
        }
    }
}

/// Who asked, on Discord: the channel, the member as an edit's author, and their standing
/// (user, server, roles, whether they hold the moderator permission there) for the router.
pub fn discord_asker(
    channel: u64,
    guild: Option<serenity::model::id::GuildId>,
    user: &serenity::model::user::User,
    member: Option<&serenity::model::guild::Member>,
    s: &Settings,
) -> Asker {
    let name = member
        .and_then(|m| m.nick.clone())
        .or_else(|| user.global_name.clone())
        .unwrap_or_else(|| user.name.clone());
    Asker {
        platform: Platform::Discord,
        place: Some(Destination::Discord { channel }),
        who: Some(format!("discord:{} ({})", user.id, user.name)),
        author: Some(crate::edit::Author {
            platform: crate::platform::Platform::Discord,
            id: user.id.to_string(),
            name,
        }),
        admin: is_admin(member),
        standing: crate::service::Standing {
            user: Some(user.id.to_string()),
            guild: guild.map(|g| g.get()),
            roles: member.map_or_else(Vec::new, |m| m.roles.iter().map(|r| r.get()).collect()),
            place_moderator: guild.is_some() && is_moderator(member, s),
            in_named_rooms: Vec::new(),
            place_rule: format!(
                "members with the {} permission in this server",
                human_permission(s)
            ),
        },
    }
}

/// The moderator permission's name as Discord's settings show it.
pub fn human_permission(s: &Settings) -> String {
    s.moderator_permission
        .get_permission_names()
        .first()
        .map_or_else(|| "Manage Server".to_owned(), |n| (*n).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_deferred_answer_completes_with_an_apology() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let failed: Answering = tokio::spawn(async { panic!("answer blew up") });
            let m = completion(failed).await;
            let title = m.embeds.first().and_then(|e| e.title.as_deref());
            assert_eq!(title, Some("Sorry, something went wrong"));
            let fine: Answering = tokio::spawn(async {
                (false, reply_message(&Reply::new(ReplyKind::Answer, "Iran")))
            });
            let m = completion(fine).await;
            assert_eq!(m.embeds[0].title.as_deref(), Some("Iran"));
        });
    }
}
