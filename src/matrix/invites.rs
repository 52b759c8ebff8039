//! Invites: accepted when the config allows the inviter (`autojoin`, `autojoin_from`: by
//! default the bot's own homeserver, `*` for anyone), joined with retries.

use crate::config::MatrixConfig;
use matrix_sdk::Room;
use matrix_sdk::ruma::UserId;
use std::time::Duration;
/// Whether an invite from `sender` may be accepted. An empty `autojoin_from` (a config made
/// in code, not read from a file) accepts the bot's own homeserver only, as the file's default.
pub fn invite_allowed(cfg: &MatrixConfig, sender: &UserId) -> bool {
    let own_server = cfg.user.split_once(':').map(|(_, s)| s);
    let from_server = |s: &str| s == sender.server_name().as_str();
    cfg.autojoin
        && if cfg.autojoin_from.is_empty() {
            own_server.is_some_and(from_server)
        } else {
            cfg.autojoin_from.iter().any(|a| {
                a == "*"
                    || if a.starts_with('@') {
                        a == sender.as_str()
                    } else {
                        from_server(a)
                    }
            })
        }
}

/// Decline an invite the config does not allow, saying so in the log.
pub(super) async fn decline(room: Room, sender: &UserId) {
    tracing::info!(room = %room.room_id(), %sender, "declining an invite not allowed by autojoin_from");
    if let Err(e) = room.leave().await {
        tracing::warn!(room = %room.room_id(), error = %e, "could not decline the invite");
    }
}

/// How a failed join is tried again: from 0.2 s, doubling with jitter to 30 s.
const JOIN_RETRY: crate::retry::Policy =
    crate::retry::Policy::new(Duration::from_millis(200), Duration::from_secs(30));

pub(super) async fn join(room: Room) {
    let mut waits = JOIN_RETRY.waits();
    for attempt in 0..6 {
        match room.join().await {
            Ok(()) => {
                tracing::info!(room = %room.room_id(), "joined a room");
                return;
            }
            Err(e) if attempt < 5 => {
                tracing::warn!(room = %room.room_id(), error = %e, "joining failed; retrying");
                tokio::time::sleep(waits.next().unwrap_or(JOIN_RETRY.longest)).await;
            }
            Err(e) => {
                tracing::error!(room = %room.room_id(), error = %e, "could not join the room")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{MatrixLogin, Secret};

    fn config(autojoin_from: &[&str]) -> MatrixConfig {
        MatrixConfig {
            homeserver: url::Url::parse("https://matrix.example.org").expect("url"),
            user: "@dossier:example.org".into(),
            login: MatrixLogin::Password(Secret::new("pw")),
            store: "state/matrix".into(),
            store_passphrase: None,
            prefix: "!".into(),
            autojoin: true,
            autojoin_from: autojoin_from.iter().map(|s| (*s).to_owned()).collect(),
            moderator_power_level: 50,
            deadline: crate::deadlines::MATRIX_REQUEST,
        }
    }

    fn user(id: &str) -> matrix_sdk::ruma::OwnedUserId {
        UserId::parse(id).expect("user id")
    }

    #[test]
    fn invites_come_from_the_bots_own_server_unless_the_operator_says_otherwise() {
        let own = user("@alice:example.org");
        let other = user("@mallory:elsewhere.net");
        // As a config file's default (its own server) and as an empty list made in code.
        for c in [config(&["example.org"]), config(&[])] {
            assert!(invite_allowed(&c, &own));
            assert!(!invite_allowed(&c, &other));
        }
        let anyone = config(&["*"]);
        assert!(invite_allowed(&anyone, &other));
        let named = config(&["@mallory:elsewhere.net"]);
        assert!(invite_allowed(&named, &other) && !invite_allowed(&named, &own));
        let off = MatrixConfig {
            autojoin: false,
            ..config(&["*"])
        };
        assert!(!invite_allowed(&off, &own));
    }
}
