//! Posting daily briefings to Discord channels: the rendered reply as a message with embeds,
//! mentioning nobody, sent through REST with the bot token (so it works beside the HTTP
//! endpoint with `gateway = false`, and through `api_proxy`), with the post's key as the
//! message `nonce` and `enforce_nonce` set, so a send retried after a crash is not posted twice.

use super::respond::{components, embeds, no_mentions};
use crate::reply::Reply;
use crate::schedule::Destination;
use crate::scheduler::{PostError, PostFuture, Poster};
use serenity::builder::CreateMessage;
use serenity::http::Http;
use serenity::model::channel::Nonce;
use serenity::model::id::ChannelId;
use std::sync::Arc;

pub struct DiscordPoster {
    pub http: Arc<Http>,
}

/// The message for a briefing: its embeds, and its link buttons (the main source, the topic's
/// web page), which need no interaction to answer.
pub fn message(reply: &Reply, key: &str) -> CreateMessage {
    let mut m = crate::render::discord::render(reply);
    m.buttons
        .retain(|b| matches!(b, crate::render::discord::Button::Link { .. }));
    CreateMessage::new()
        .embeds(embeds(&m))
        .components(components(&m))
        .allowed_mentions(no_mentions())
        .nonce(Nonce::String(key.to_owned()))
        .enforce_nonce(true)
}

/// Sort a serenity error into one to retry soon and one the destination keeps giving.
fn classify(e: serenity::Error) -> PostError {
    if let serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) = &e {
        let code = r.status_code.as_u16();
        let why = format!("Discord answered {code}: {}", r.error.message);
        return match code {
            // Deleted channel, missing access or permission: the place refuses.
            401 | 403 | 404 => PostError::Refused(why),
            _ => PostError::Retry { why, after: None },
        };
    }
    PostError::Retry {
        why: crate::deadlines::causes(&e),
        after: None,
    }
}

impl Poster for DiscordPoster {
    fn platform(&self) -> &'static str {
        "discord"
    }

    fn post<'a>(
        &'a self,
        destination: &'a Destination,
        reply: &'a Reply,
        key: &'a str,
    ) -> PostFuture<'a> {
        Box::pin(async move {
            let Destination::Discord { channel } = destination else {
                return Err(PostError::Refused("not a Discord channel".into()));
            };
            ChannelId::new(*channel)
                .send_message(&self.http, message(reply, key))
                .await
                .map(|m| m.id.to_string())
                .map_err(classify)
        })
    }
}
