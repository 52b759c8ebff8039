//! The daily briefings' poster for Matrix rooms, ready once the door has connected.

use super::invites::join;
use crate::render::matrix::render;
use crate::reply::Reply;
use matrix_sdk::ruma::OwnedTransactionId;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::{Client, RoomState};
use std::sync::Arc;
use std::time::Duration;
/// Posts daily briefings into rooms once the door has connected: each as an `m.notice` (bots'
/// messages that other bots ignore) with HTML, mentioning nobody, sent with a transaction id
/// derived from the post's key, so a send retried after a crash is deduplicated.
#[derive(Clone, Default)]
pub struct MatrixPoster {
    client: Arc<std::sync::OnceLock<Client>>,
    prefix: Arc<std::sync::OnceLock<String>>,
}

impl MatrixPoster {
    pub(super) fn connected(&self, client: &Client, prefix: &str) {
        let _ = self.client.set(client.clone());
        let _ = self.prefix.set(prefix.to_owned());
    }
}

/// The message for a briefing.
pub fn briefing_content(reply: &Reply, prefix: &str) -> RoomMessageEventContent {
    let m = render(reply, prefix);
    let mut c = RoomMessageEventContent::notice_html(m.plain, m.html);
    c.mentions = Some(Mentions::new());
    c
}

impl crate::scheduler::Poster for MatrixPoster {
    fn platform(&self) -> &'static str {
        "matrix"
    }

    fn post<'a>(
        &'a self,
        destination: &'a crate::schedule::Destination,
        reply: &'a Reply,
        key: &'a str,
    ) -> crate::scheduler::PostFuture<'a> {
        use crate::scheduler::PostError;
        Box::pin(async move {
            let crate::schedule::Destination::Matrix { room } = destination else {
                return Err(PostError::Refused("not a Matrix room".into()));
            };
            let Some(client) = self.client.get() else {
                return Err(PostError::Retry {
                    why: "the Matrix door has not connected yet".into(),
                    after: Some(Duration::from_secs(5)),
                });
            };
            let room_id = matrix_sdk::ruma::OwnedRoomId::try_from(room.as_str())
                .map_err(|_| PostError::Refused(format!("`{room}` is not a room id")))?;
            let room = match client.get_room(&room_id) {
                Some(r) if r.state() == RoomState::Joined => r,
                Some(r) if r.state() == RoomState::Invited => {
                    join(r.clone()).await;
                    r
                }
                _ => {
                    return Err(PostError::Refused(format!(
                        "the bot is not in {room_id}; invite it"
                    )));
                }
            };
            let prefix = self.prefix.get().map_or("!", String::as_str);
            let txn: OwnedTransactionId = format!("dossier-{key}").into();
            room.send(briefing_content(reply, prefix))
                .with_transaction_id(txn)
                .await
                .map(|r| r.response.event_id.to_string())
                .map_err(|e| PostError::Retry {
                    why: e.to_string(),
                    after: None,
                })
        })
    }
}
