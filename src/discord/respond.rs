//! What the Discord door's handlers share: turning a rendered reply into an interaction
//! response (never mentioning anyone), the moderator checks, who asked, and answering within
//! `defer_after` or acknowledging first and completing later.

use super::settings::Settings;
use crate::render::discord::{self as dr, Button, Message};
use crate::reply::{Line, Reply, ReplyKind};
use crate::schedule::Destination;
use crate::service::{Asker, Platform};
use serenity::builder::{
    CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed, CreateEmbedFooter,
    CreateInteractionResponse, CreateInteractionResponseMessage, EditInteractionResponse,
};
use serenity::model::guild::Member;

/// Mention nobody, whatever the text says.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

pub(crate) fn embeds(m: &Message) -> Vec<CreateEmbed> {
    m.embeds
        .iter()
        .map(|e| {
            let mut b = CreateEmbed::new().colour(e.colour);
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

/// A message response from a rendered reply.
pub fn message(m: &Message, ephemeral: bool) -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new()
        .embeds(embeds(m))
        .components(components(m))
        .allowed_mentions(no_mentions())
        .ephemeral(ephemeral)
}

/// The edit that completes a deferred response.
pub fn edit(m: &Message) -> EditInteractionResponse {
    EditInteractionResponse::new()
        .embeds(embeds(m))
        .components(components(m))
        .allowed_mentions(no_mentions())
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
    /// Nothing to answer (interaction types dossier does not use).
    Ignore,
}

/// A response serialized as Discord takes it, for the reply cache; `None` only if serde_json
/// fails on it (then it is answered the usual way).
pub fn serialized(r: &CreateInteractionResponse) -> Option<bytes::Bytes> {
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
        Ok(Ok((user_error, m))) => Outcome::Respond(CreateInteractionResponse::Message(message(
            &m,
            private || user_error,
        ))),
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

/// Who asked, on Discord: the channel, and the member as an edit's author.
pub fn discord_asker(
    channel: u64,
    user: &serenity::model::user::User,
    member: Option<&serenity::model::guild::Member>,
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
            platform: "discord".into(),
            id: user.id.to_string(),
            name,
        }),
        admin: is_admin(member),
    }
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
