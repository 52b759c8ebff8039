//! The chart that goes with an answer (`timeline`, `position`, `compare`): an `m.image` uploaded
//! to the media repository (encrypted, in an encrypted room: matrix-sdk encrypts the file and
//! the event), sent after the text reply and related to the command as the reply is (in its
//! thread, if it came from one), with the alt text as its body, mentioning nobody, under a
//! transaction id of its own derived from the command event, so a retry never posts it twice.

use super::door::{Door, MAX_BACKOFF};
use crate::charts::Png;
use matrix_sdk::Room;
use matrix_sdk::attachment::{AttachmentConfig, AttachmentInfo, BaseImageInfo};
use matrix_sdk::room::reply::{EnforceThread, Reply};
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, OriginalSyncRoomMessageEvent, Relation, ReplyWithinThread, TextMessageEventContent,
};
use matrix_sdk::ruma::{OwnedTransactionId, UInt};
use std::time::Duration;

/// The transaction id of the chart answering `ev`: the reply's, marked as the chart's.
pub fn transaction_id(ev: &OriginalSyncRoomMessageEvent) -> OwnedTransactionId {
    format!("{}-chart", super::door::transaction_id(ev)).into()
}

/// What is sent: the image's metadata, its caption (the alt text) and its relation.
pub fn config(ev: &OriginalSyncRoomMessageEvent, png: &Png) -> AttachmentConfig {
    let px = |n: u32| Some(UInt::from(n));
    let info = BaseImageInfo {
        width: px(png.width),
        height: px(png.height),
        size: UInt::new(png.bytes.len() as u64),
        blurhash: None,
        is_animated: Some(false),
    };
    let enforce_thread = match &ev.content.relates_to {
        Some(Relation::Thread(_)) => EnforceThread::Threaded(ReplyWithinThread::Yes),
        _ => EnforceThread::MaybeThreaded,
    };
    AttachmentConfig::new()
        .txn_id(transaction_id(ev))
        .info(AttachmentInfo::Image(info))
        .caption(Some(TextMessageEventContent::plain(png.alt.clone())))
        .mentions(Some(Mentions::new()))
        .reply(Some(Reply {
            event_id: ev.event_id.clone(),
            enforce_thread,
            add_mentions: AddMentions::No,
        }))
}

/// Upload and send `png` as the chart answering `ev`, retrying with the same transaction id.
pub async fn send(door: &Door, room: &Room, ev: &OriginalSyncRoomMessageEvent, png: &Png) {
    let mut wait = Duration::from_millis(250);
    for attempt in 0..4 {
        let sent = room
            .send_attachment(
                png.name,
                &mime::IMAGE_PNG,
                png.bytes.to_vec(),
                config(ev, png),
            )
            .await;
        match sent {
            Ok(_) => {
                door.app.metrics.sent("matrix");
                return;
            }
            Err(e) if attempt < 3 => {
                tracing::warn!(room = %room.room_id(), error = %e, "sending a chart failed; retrying with the same transaction id");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_BACKOFF);
            }
            Err(e) => {
                door.app.metrics.failed("matrix");
                tracing::error!(room = %room.room_id(), error = %e, "could not send a chart");
            }
        }
    }
}
