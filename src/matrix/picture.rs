//! The chart that goes with an answer (`timeline`, `position`, `compare`): an `m.image` uploaded
//! to the media repository (encrypted, in an encrypted room: matrix-sdk encrypts the file and
//! the event), sent after the text reply and related to the command as the reply is (in its
//! thread, if it came from one), with the alt text as its body, mentioning nobody, under a
//! transaction id of its own derived from the command event, so a retry never posts it twice.
//!
//! In a plain room the file is uploaded once and its `mxc://` address reused for every later
//! answer with the same chart (the drawing is cached per library version already): uploading
//! made the homeserver store the file and draw its thumbnails for every answer, which on a
//! small homeserver slowed the next command's round trip by a third. An encrypted room gets a
//! freshly encrypted upload each time, as matrix-sdk makes it.

use super::door::{Door, MAX_BACKOFF, retrying};
use super::uploads::fingerprint;
use crate::charts::Png;
use matrix_sdk::attachment::{AttachmentConfig, AttachmentInfo, BaseImageInfo};
use matrix_sdk::room::reply::{EnforceThread, Reply};
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::ImageInfo;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, ImageMessageEventContent, MessageType,
    OriginalSyncRoomMessageEvent, Relation, ReplyWithinThread, RoomMessageEventContent,
    TextMessageEventContent,
};
use matrix_sdk::ruma::{OwnedMxcUri, OwnedTransactionId, UInt};
use matrix_sdk::{EncryptionState, Room};
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

/// The `m.image` event for a chart already uploaded to `uri`: what `config` gives an upload
/// (name, alt text as the body, size, no mentions, the same relation to the command).
pub fn image_content(
    ev: &OriginalSyncRoomMessageEvent,
    png: &Png,
    uri: OwnedMxcUri,
) -> RoomMessageEventContent {
    let mut info = ImageInfo::new();
    info.width = Some(UInt::from(png.width));
    info.height = Some(UInt::from(png.height));
    info.size = UInt::new(png.bytes.len() as u64);
    info.mimetype = Some(mime::IMAGE_PNG.to_string());
    let mut image = ImageMessageEventContent::plain(png.alt.clone(), uri).info(Box::new(info));
    image.filename = Some(png.name.to_owned());
    let base = RoomMessageEventContent::new(MessageType::Image(image));
    let mut c = match &ev.content.relates_to {
        Some(Relation::Thread(_)) => {
            base.make_for_thread(ev, ReplyWithinThread::Yes, AddMentions::No)
        }
        _ => base.make_reply_to(ev, ForwardThread::Yes, AddMentions::No),
    };
    c.mentions = Some(Mentions::new());
    c
}

/// Send `png` as the chart answering `ev` (in a plain room, reusing an earlier upload of the
/// same chart), retrying with the same transaction id.
pub async fn send(door: &Door, room: &Room, ev: &OriginalSyncRoomMessageEvent, png: &Png) {
    let mut waits = retrying(Duration::from_millis(250)).waits();
    // Known from the sync, else asked; unknown counts as encrypted: a chart never goes
    // unencrypted into an encrypted room.
    let state = match room.encryption_state() {
        EncryptionState::Unknown => room
            .latest_encryption_state()
            .await
            .unwrap_or(EncryptionState::Unknown),
        known => known,
    };
    let plain = matches!(state, EncryptionState::NotEncrypted);
    for attempt in 0..4 {
        let sent = if plain {
            send_plain(door, room, ev, png).await
        } else {
            room.send_attachment(
                png.name,
                &mime::IMAGE_PNG,
                png.bytes.to_vec(),
                config(ev, png),
            )
            .await
            .map(|_| ())
        };
        match sent {
            Ok(_) => {
                door.app.metrics.sent("matrix");
                return;
            }
            Err(e) if attempt < 3 => {
                tracing::warn!(room = %room.room_id(), error = %e, "sending a chart failed; retrying with the same transaction id");
                tokio::time::sleep(waits.next().unwrap_or(MAX_BACKOFF)).await;
            }
            Err(e) => {
                door.app.metrics.failed("matrix");
                tracing::error!(room = %room.room_id(), error = %e, "could not send a chart");
            }
        }
    }
}

/// In a plain room: upload the chart unless it was uploaded before, then send its event.
async fn send_plain(
    door: &Door,
    room: &Room,
    ev: &OriginalSyncRoomMessageEvent,
    png: &Png,
) -> matrix_sdk::Result<()> {
    let f = fingerprint(&png.bytes);
    let uri = match door.uploads.get(f) {
        Some(uri) => uri,
        None => {
            let uploaded = room
                .client()
                .media()
                .upload(&mime::IMAGE_PNG, png.bytes.to_vec(), None)
                .await?;
            door.uploads.put(f, uploaded.content_uri.clone());
            uploaded.content_uri
        }
    };
    room.send(image_content(ev, png, uri))
        .with_transaction_id(transaction_id(ev))
        .await
        .map(|_| ())
}
