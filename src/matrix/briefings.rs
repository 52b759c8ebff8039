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
    /// The connected client and the command prefix; `None` while the door is not running here
    /// (not connected yet, or another replica holds it).
    connected: Arc<std::sync::RwLock<Option<(Client, String)>>>,
}

impl MatrixPoster {
    pub(super) fn connected(&self, client: &Client, prefix: &str) {
        *self.connected.write().unwrap_or_else(|e| e.into_inner()) =
            Some((client.clone(), prefix.to_owned()));
    }

    /// The door stopped in this replica: its briefings are left to the one that holds it.
    pub fn disconnected(&self) {
        *self.connected.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn current(&self) -> Option<(Client, String)> {
        self.connected
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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

    fn ready(&self) -> bool {
        self.current().is_some()
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
            let Some((client, prefix)) = self.current() else {
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
            let txn: OwnedTransactionId = format!("dossier-{key}").into();
            room.send(briefing_content(reply, &prefix))
                .with_transaction_id(txn)
                .await
                .map(|r| r.response.event_id.to_string())
                .map_err(|e| PostError::Retry {
                    why: crate::deadlines::causes(&e),
                    after: None,
                })
        })
    }
}
