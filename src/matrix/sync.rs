//! The sync loop: log in or restore the session, sync once (history is not answered), accept
//! pending invites, then answer commands until `stop`; sync errors are retried with capped
//! backoff, and a server that ignores the long-poll timeout is never spun on.

use super::answer::register;
use super::door::{Door, MAX_BACKOFF, NAME, retrying};
use super::invites::{decline, invite_allowed, join};
use super::moderation::post_notices;
use super::session::connect;
use crate::service::DoorState;
use anyhow::Context as _;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::filter::{Filter, FilterDefinition, RoomEventFilter};
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter as SyncFilter;
use matrix_sdk::ruma::{UInt, UserId};
use matrix_sdk::{Client, Room};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Room events a sync may bring per room before it is cut short: enough that a burst of
/// commands between two syncs is answered whole.
const TIMELINE_LIMIT: u32 = 100;

/// What the bot asks its syncs for: other people's room events and room state, never its own
/// replies (there is nothing to answer in them, and the homeserver then neither builds a sync
/// response for the bot out of each reply it sends nor wakes it for one), and no presence,
/// typing or read receipts, which a bot never reads and which on a busy server wake syncs
/// all the time. To-device messages and device lists (end-to-end encryption) are not room
/// events and still come.
pub fn sync_filter(own: &UserId) -> FilterDefinition {
    let mut timeline = RoomEventFilter::default();
    timeline.not_senders = vec![own.to_owned()];
    timeline.limit = Some(UInt::from(TIMELINE_LIMIT));
    let mut def = FilterDefinition::default();
    def.room.timeline = timeline;
    def.room.ephemeral = RoomEventFilter::ignore_all();
    def.presence = Filter::ignore_all();
    def
}

/// The filter uploaded once (the SDK keeps its id in the store), or, if the homeserver will not
/// take it, sent whole with each sync.
async fn filter_for(client: &Client, own: &UserId) -> SyncFilter {
    let def = sync_filter(own);
    match client
        .get_or_upload_filter("dossier-sync", def.clone())
        .await
    {
        Ok(id) => SyncFilter::FilterId(id),
        Err(e) => {
            tracing::warn!(error = %e, "could not upload the sync filter; sending it with each sync");
            SyncFilter::FilterDefinition(def)
        }
    }
}

/// Log in, sync once (history is not answered), accept pending invites, then answer commands
/// until `stop` is cancelled. Sync errors are retried with capped backoff.
pub async fn run(door: Door, stop: CancellationToken) -> anyhow::Result<()> {
    let app = door.app.clone();
    app.doors.set(NAME, DoorState::Starting);
    let client = connect(&door.cfg).await?;
    let own = client
        .user_id()
        .map(ToOwned::to_owned)
        .context("no user id after login")?;
    let door = Arc::new(Door { own, ..door });
    let filter = filter_for(&client, &door.own).await;
    let mut waits = retrying(Duration::from_millis(500)).waits();
    let first = loop {
        let synced = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            s = client.sync_once(SyncSettings::default().filter(filter.clone())) => s,
        };
        match synced {
            Ok(r) => break r,
            Err(e) => {
                app.doors
                    .set(NAME, DoorState::Down(format!("initial sync failed: {e}")));
                tracing::warn!(error = %e, "initial sync failed; retrying");
                tokio::time::sleep(waits.next().unwrap_or(MAX_BACKOFF)).await;
            }
        }
    };
    // The invites that came while the bot was away, one at a time on one task.
    let pending = client.invited_rooms();
    if !pending.is_empty() {
        let door = door.clone();
        app.tasks.spawn(async move {
            for room in pending {
                answer_pending_invite(&door, room).await;
            }
        });
    }
    let mut since = first.next_batch.clone();
    register(&client, door.clone());
    client.add_event_handler(super::reactions::on_reaction);
    super::catch_up::dispatch_first(&client, &door, &first);
    door.poster.connected(&client, &door.cfg.prefix);
    if let Some(room) = &door.moderation_room {
        app.tasks.spawn(post_notices(
            client.clone(),
            room.clone(),
            door.clone(),
            app.subscribe(),
            stop.clone(),
        ));
    }
    app.doors.set(NAME, DoorState::Connected);
    tracing::info!(user = %door.own, "Matrix door ready");
    // Our own loop rather than `Client::sync`: that one sleeps a full second whenever two syncs
    // come back within a second of each other, so in a lively room every command waited up to
    // a second before the bot even saw it. Long-polling already keeps the requests sparse;
    // only a server that ignores the timeout and answers at once with nothing new gets a pause.
    let mut failures = 0u32;
    loop {
        let asked = Instant::now();
        let settings = SyncSettings::default()
            .filter(filter.clone())
            .timeout(SYNC_TIMEOUT)
            .token(since.clone());
        let synced = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            s = client.sync_once(settings) => s,
        };
        match synced {
            Ok(r) => {
                failures = 0;
                app.doors.set(NAME, DoorState::Connected);
                let advanced = r.next_batch != since;
                since = r.next_batch;
                if let Some(pause) = pause_after_sync(asked.elapsed(), advanced) {
                    tracing::debug!(
                        pause_ms = pause.as_millis() as u64,
                        "sync answered at once with nothing new; pausing"
                    );
                    tokio::time::sleep(pause).await;
                }
            }
            Err(e) => {
                let wait = retry_wait(failures);
                failures = failures.saturating_add(1);
                app.doors
                    .set(NAME, DoorState::Down(format!("sync failed: {e}")));
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "Matrix sync failed; retrying");
                tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// How long the server may hold a sync request open when nothing happens.
pub(super) const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// After a successful sync: a pause before the next one only when the server answered at once
/// without anything new (it ignored the long-poll timeout), so the bot never spins.
pub(super) fn pause_after_sync(took: Duration, advanced: bool) -> Option<Duration> {
    (!advanced && took < Duration::from_millis(100)).then_some(Duration::from_secs(1))
}

/// The wait before retrying after `failures` failed syncs in a row before this one: 0.5 s
/// doubling (with jitter) to 30 s.
pub(super) fn retry_wait(failures: u32) -> Duration {
    retrying(Duration::from_millis(500)).after(failures.saturating_add(1))
}

/// Join or decline an invite that arrived while the bot was away, as it would have been had the
/// bot been there.
async fn answer_pending_invite(door: &Door, room: Room) {
    let inviter = room
        .invite_details()
        .await
        .ok()
        .and_then(|d| d.inviter)
        .map(|m| m.user_id().to_owned());
    match inviter {
        Some(u) if invite_allowed(&door.cfg, &u) => join(room).await,
        // An invite whose sender is unknown is accepted only where anyone's would be.
        None if door.cfg.autojoin && door.cfg.autojoin_from.iter().any(|a| a == "*") => {
            join(room).await
        }
        Some(u) if door.cfg.autojoin => decline(room, &u).await,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sync_filter_leaves_out_own_replies_presence_and_ephemeral_events() {
        let own = UserId::parse("@dossier:example.org").unwrap();
        let json = serde_json::to_value(sync_filter(&own)).unwrap();
        assert_eq!(
            json["room"]["timeline"],
            serde_json::json!({"not_senders": ["@dossier:example.org"], "limit": 100})
        );
        assert_eq!(json["room"]["ephemeral"], serde_json::json!({"types": []}));
        assert_eq!(json["presence"], serde_json::json!({"types": []}));
        // Room state (power levels, members) and to-device messages are not filtered.
        assert!(
            json["room"]
                .get("state")
                .is_none_or(|s| s.as_object().is_some_and(|o| o.is_empty()))
        );
    }

    #[test]
    fn sync_pauses_only_when_the_server_ignores_the_timeout() {
        // News: sync again at once, however fast it came.
        assert_eq!(pause_after_sync(Duration::from_millis(3), true), None);
        // A long poll that timed out with nothing new: sync again at once.
        assert_eq!(pause_after_sync(SYNC_TIMEOUT, false), None);
        // Nothing new, answered at once: the server ignored the timeout, so pause.
        assert_eq!(
            pause_after_sync(Duration::from_millis(2), false),
            Some(Duration::from_secs(1))
        );
        let first = retry_wait(0);
        assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
        let second = retry_wait(1);
        assert!(second >= Duration::from_secs(1) && second <= Duration::from_secs(2));
        assert!(retry_wait(40) <= MAX_BACKOFF && retry_wait(40) >= MAX_BACKOFF / 2);
    }
}
