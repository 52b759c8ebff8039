//! The moderators' room: each notice (a broken card, its fix, new warnings, a suggestion)
//! posted as an `m.notice` with the `check` output in a preformatted block.

use super::door::Door;
use super::invites::join;
use crate::service::Notice;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::{Client, RoomState};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
/// The notice as a Matrix message: `m.notice` (bots' messages that other bots ignore), the
/// `check` output in a preformatted block, within the event size limit, mentioning nobody.
pub fn notice_content(n: &Notice) -> RoomMessageEventContent {
    let budget = crate::render::matrix::MAX_BODY_BYTES / 2 - n.title.len() - 200;
    let mut detail = String::new();
    let lines: Vec<&str> = n.detail.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if detail.len() + line.len() + 1 > budget {
            detail.push_str(&format!(
                "… {} more lines: run `dossier check` where the cards are\n",
                lines.len() - i
            ));
            break;
        }
        detail.push_str(line);
        detail.push('\n');
    }
    let title = crate::render::matrix::escape_html(&n.title);
    let (plain, html) = if detail.trim().is_empty() {
        (
            crate::render::matrix::defuse(&n.title),
            format!("<p><strong>{title}</strong></p>"),
        )
    } else {
        (
            format!(
                "{}\n\n{}",
                crate::render::matrix::defuse(&n.title),
                crate::render::matrix::defuse(&detail)
            ),
            format!(
                "<p><strong>{title}</strong></p><pre><code>{}</code></pre>",
                crate::render::matrix::escape_html(&detail)
            ),
        )
    };
    let mut c = RoomMessageEventContent::notice_html(plain, html);
    c.mentions = Some(Mentions::new());
    c
}

/// Post each notice to the moderators' room until `stop`.
pub(super) async fn post_notices(
    client: Client,
    room_id: String,
    door: Arc<Door>,
    mut notices: tokio::sync::broadcast::Receiver<Notice>,
    stop: CancellationToken,
) {
    use tokio::sync::broadcast::error::RecvError;
    let Ok(room_id) = matrix_sdk::ruma::OwnedRoomId::try_from(room_id.as_str()) else {
        tracing::error!(room = %room_id, "the moderators' room id is not valid");
        return;
    };
    loop {
        let notice = tokio::select! {
            _ = stop.cancelled() => return,
            n = notices.recv() => match n {
                Ok(n) => n,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "moderator notices came faster than Matrix took them");
                    continue;
                }
                Err(RecvError::Closed) => return,
            },
        };
        let room = match client.get_room(&room_id) {
            Some(r) if r.state() == RoomState::Joined => r,
            Some(r) if r.state() == RoomState::Invited => {
                join(r.clone()).await;
                r
            }
            _ => {
                door.app.metrics.failed("matrix");
                tracing::error!(room = %room_id, "the bot is not in the moderators' room; invite it there");
                continue;
            }
        };
        let mut waits = super::door::retrying(Duration::from_millis(500)).waits();
        for attempt in 0..4 {
            match room.send(notice_content(&notice)).await {
                Ok(_) => {
                    door.app.metrics.sent("matrix");
                    break;
                }
                Err(e) if attempt < 3 => {
                    tracing::warn!(room = %room_id, error = %e, "posting to the moderators' room failed; retrying");
                    tokio::time::sleep(waits.next().unwrap_or(super::door::MAX_BACKOFF)).await;
                }
                Err(e) => {
                    door.app.metrics.failed("matrix");
                    tracing::error!(room = %room_id, error = %e, "could not post to the moderators' room");
                }
            }
        }
    }
}
