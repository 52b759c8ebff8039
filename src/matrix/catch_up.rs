//! Commands that arrived while nobody was listening. A replica that takes the sync over (and a
//! door that has just started) may be handed commands sent before it was ready: in its first
//! sync, whose events no handler sees, and in the syncs after it. Those sent within the
//! door's catch-up window ([`TAKEOVER_WINDOW`] for a replica holding a lease) are answered
//! only if the bot has not replied to them yet: its own replies in the room, read back from
//! the homeserver once per room, name the commands they answer. So a command sent in the
//! seconds of a takeover is answered once, by the new holder, and none the old holder
//! answered is answered again.

use super::door::Door;
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::api::client::filter::RoomEventFilter;
use matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use matrix_sdk::ruma::events::{AnySyncMessageLikeEvent, AnySyncTimelineEvent};
use matrix_sdk::ruma::{OwnedEventId, UInt};
use matrix_sdk::sync::SyncResponse;
use matrix_sdk::{Client, Room};
use std::collections::HashSet;
use std::sync::Arc;

/// How far back a replica that takes the sync over answers commands nobody answered: the
/// longest a takeover takes (a few seconds), with room to spare; older questions are left, as
/// the asker has likely asked again.
pub const TAKEOVER_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// Pages of the room's history read, newest first, to find the bot's replies.
const PAGES: usize = 5;
const PAGE: u32 = 100;

/// The room messages among `events`, oldest first.
pub fn messages(events: &[TimelineEvent]) -> Vec<OriginalSyncRoomMessageEvent> {
    events
        .iter()
        .filter_map(|e| match e.raw().deserialize().ok()? {
            AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(m)) => {
                m.as_original().cloned()
            }
            _ => None,
        })
        .collect()
}

/// The event a message replies to, from its raw JSON (an encrypted reply keeps its relation
/// outside the ciphertext, so this works in encrypted rooms too).
pub fn replied_to(event: &TimelineEvent) -> Option<OwnedEventId> {
    let content = event
        .raw()
        .get_field::<serde_json::Value>("content")
        .ok()??;
    let id = content["m.relates_to"]["m.in_reply_to"]["event_id"].as_str()?;
    OwnedEventId::try_from(id).ok()
}

/// The commands the bot replied to in `room`, reading back from the newest event until one
/// older than `since_ms` (at most [`PAGES`] pages).
async fn replies(
    room: &Room,
    door: &Door,
    since_ms: u64,
) -> matrix_sdk::Result<HashSet<OwnedEventId>> {
    let mut filter = RoomEventFilter::default();
    filter.senders = Some(vec![door.own.clone()]);
    let mut found = HashSet::new();
    let mut from = None;
    for _ in 0..PAGES {
        let mut options = MessagesOptions::backward();
        options.from = from.take();
        options.limit = UInt::from(PAGE);
        options.filter = filter.clone();
        let page = room.messages(options).await?;
        let mut older = false;
        for e in &page.chunk {
            found.extend(replied_to(e));
            let ts = e
                .raw()
                .get_field::<u64>("origin_server_ts")
                .ok()
                .flatten()
                .unwrap_or(u64::MAX);
            older |= ts < since_ms;
        }
        match page.end {
            Some(end) if !older && !page.chunk.is_empty() => from = Some(end),
            _ => break,
        }
    }
    Ok(found)
}

impl Door {
    /// Whether a command sent before the door was ready still waits for an answer: the bot
    /// has not replied to it, and this door has not taken it already. When the replies cannot
    /// be read it is left unanswered: better that than answered twice.
    pub(super) async fn still_waiting(
        &self,
        room: &Room,
        ev: &OriginalSyncRoomMessageEvent,
    ) -> bool {
        {
            let mut known = self.caught_up.replied.lock().await;
            if !known.contains_key(room.room_id()) {
                match replies(room, self, self.catch_up_from_ms).await {
                    Ok(found) => {
                        known.insert(room.room_id().to_owned(), found);
                    }
                    Err(e) => {
                        tracing::warn!(room = %room.room_id(), error = %e, "could not read the bot's replies back; a command sent before the door was ready is left unanswered");
                        return false;
                    }
                }
            }
            if known
                .get(room.room_id())
                .is_some_and(|r| r.contains(&ev.event_id))
            {
                return false;
            }
        }
        let taken = self
            .caught_up
            .taken
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ev.event_id.clone());
        if taken {
            tracing::info!(room = %room.room_id(), event = %ev.event_id, "answering a command that arrived before the door was ready");
        }
        taken
    }
}

/// Hand the commands of the first sync (which no handler sees) to the door, as the handler
/// would; those sent before the door was ready are answered only if still waiting.
pub fn dispatch_first(client: &Client, door: &Arc<Door>, synced: &SyncResponse) {
    for (room_id, update) in &synced.rooms.joined {
        let Some(room) = client.get_room(room_id) else {
            continue;
        };
        for ev in messages(&update.timeline.events) {
            door.dispatch(room.clone(), ev);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix_sdk::ruma::serde::Raw;

    fn event(json: serde_json::Value) -> TimelineEvent {
        TimelineEvent::from_plaintext(Raw::new(&json).unwrap().cast_unchecked())
    }

    #[test]
    fn a_reply_names_the_command_in_plain_and_encrypted_rooms() {
        let plain = event(serde_json::json!({
            "type": "m.room.message", "event_id": "$r1", "sender": "@dossier:hs",
            "origin_server_ts": 1, "content": {"msgtype": "m.notice", "body": "x",
                "m.relates_to": {"m.in_reply_to": {"event_id": "$cmd1"}}}
        }));
        assert_eq!(replied_to(&plain).unwrap().as_str(), "$cmd1");
        // In an encrypted room the relation stays outside the ciphertext.
        let encrypted = event(serde_json::json!({
            "type": "m.room.encrypted", "event_id": "$r2", "sender": "@dossier:hs",
            "origin_server_ts": 1, "content": {"algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AwgA", "m.relates_to": {"rel_type": "m.thread", "event_id": "$root",
                "m.in_reply_to": {"event_id": "$cmd2"}}}
        }));
        assert_eq!(replied_to(&encrypted).unwrap().as_str(), "$cmd2");
        let chatter = event(serde_json::json!({
            "type": "m.room.message", "event_id": "$r3", "sender": "@a:hs",
            "origin_server_ts": 1, "content": {"msgtype": "m.text", "body": "!brief"}
        }));
        assert!(replied_to(&chatter).is_none());
        assert_eq!(messages(&[chatter, plain]).len(), 2);
    }
}
