//! Invites: accepted when the config allows the inviter (`autojoin`, `autojoin_from`), joined
//! with retries.

use crate::config::MatrixConfig;
use matrix_sdk::Room;
use matrix_sdk::ruma::UserId;
use std::time::Duration;
/// Whether an invite from `sender` may be accepted.
pub fn invite_allowed(cfg: &MatrixConfig, sender: &UserId) -> bool {
    cfg.autojoin
        && (cfg.autojoin_from.is_empty()
            || cfg.autojoin_from.iter().any(|a| {
                if a.starts_with('@') {
                    a == sender.as_str()
                } else {
                    a == sender.server_name().as_str()
                }
            }))
}

pub(super) async fn join(room: Room) {
    let mut wait = Duration::from_millis(200);
    for attempt in 0..6 {
        match room.join().await {
            Ok(()) => {
                tracing::info!(room = %room.room_id(), "joined a room");
                return;
            }
            Err(e) if attempt < 5 => {
                tracing::warn!(room = %room.room_id(), error = %e, "joining failed; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => {
                tracing::error!(room = %room.room_id(), error = %e, "could not join the room")
            }
        }
    }
}
