//! Who may run a moderator command. The cards, their history and the suggestions are shared
//! by every place, so only the moderators the operator names in `[moderation]` may change
//! them; a place's own moderators (power in that room or server) keep its own settings. A pure
//! decision on what the door saw (`Standing`); the router asks it before any feature acts.

use super::asker::{Asker, Platform};
use crate::commands::Scope;
use crate::config::Moderators;

/// What an asker's standing grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// The terminal: the operator, who may do everything.
    Operator,
    /// A moderator the operator names, and the `[moderation]` key that names them.
    Named(&'static str),
    /// A moderator of the place asked in only (power there, not named).
    Place,
    /// Anyone else.
    Member,
}

impl Grant {
    /// Whether this grant may run a command of `scope`.
    pub fn permits(self, scope: Scope) -> bool {
        match scope {
            Scope::Anyone => true,
            Scope::Place => self != Grant::Member,
            Scope::Shared => matches!(self, Grant::Operator | Grant::Named(_)),
        }
    }
}

/// What `asker` is granted under the operator's `moderators`.
pub fn grant(moderators: &Moderators, asker: &Asker) -> Grant {
    let s = &asker.standing;
    let user = s.user.as_deref().unwrap_or("");
    let named = match asker.platform {
        Platform::Terminal => return Grant::Operator,
        Platform::Matrix => {
            if !user.is_empty() && moderators.matrix_users.iter().any(|u| u == user) {
                Some("matrix_users")
            } else if s
                .in_named_rooms
                .iter()
                .any(|r| moderators.matrix_rooms.contains(r))
            {
                Some("matrix_rooms")
            } else {
                None
            }
        }
        Platform::Discord => {
            let id = user.parse::<u64>().ok();
            if id.is_some_and(|id| moderators.discord_users.contains(&id)) {
                Some("discord_users")
            } else if s.place_moderator
                && s.guild
                    .is_some_and(|g| moderators.discord_guilds.contains(&g))
            {
                Some("discord_guilds")
            } else if s.guild.is_some()
                && s.roles.iter().any(|r| moderators.discord_roles.contains(r))
            {
                Some("discord_roles")
            } else {
                None
            }
        }
    };
    match named {
        Some(key) => Grant::Named(key),
        None if s.place_moderator => Grant::Place,
        None => Grant::Member,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Standing;

    fn asker(platform: Platform, standing: Standing) -> Asker {
        Asker {
            standing,
            ..Asker::on(platform)
        }
    }

    fn named() -> Moderators {
        Moderators {
            matrix_users: vec!["@editor:example.org".into()],
            matrix_rooms: vec!["!desk:example.org".into()],
            discord_users: vec![234567890123456789],
            discord_guilds: vec![123456789012345678],
            discord_roles: vec![345678901234567890],
        }
    }

    #[test]
    fn room_power_alone_keeps_the_place_but_not_the_shared_cards() {
        let stranger = asker(
            Platform::Matrix,
            Standing {
                user: Some("@stranger:example.org".into()),
                place_moderator: true,
                ..Standing::default()
            },
        );
        for m in [Moderators::default(), named()] {
            let g = grant(&m, &stranger);
            assert_eq!(g, Grant::Place);
            assert!(g.permits(Scope::Place));
            assert!(!g.permits(Scope::Shared));
        }
    }

    #[test]
    fn each_key_names_its_own_moderators() {
        let m = named();
        let cases = [
            (
                Platform::Matrix,
                Standing {
                    user: Some("@editor:example.org".into()),
                    ..Standing::default()
                },
                Grant::Named("matrix_users"),
            ),
            (
                Platform::Matrix,
                Standing {
                    user: Some("@desk-member:example.org".into()),
                    in_named_rooms: vec!["!desk:example.org".into()],
                    ..Standing::default()
                },
                Grant::Named("matrix_rooms"),
            ),
            (
                // At the power level in a room the operator did not name.
                Platform::Matrix,
                Standing {
                    user: Some("@desk-member:example.org".into()),
                    in_named_rooms: vec!["!other:example.org".into()],
                    ..Standing::default()
                },
                Grant::Member,
            ),
            (
                Platform::Discord,
                Standing {
                    user: Some("234567890123456789".into()),
                    ..Standing::default()
                },
                Grant::Named("discord_users"),
            ),
            (
                Platform::Discord,
                Standing {
                    user: Some("1".into()),
                    guild: Some(123456789012345678),
                    place_moderator: true,
                    ..Standing::default()
                },
                Grant::Named("discord_guilds"),
            ),
            (
                // A named server's member without the permission.
                Platform::Discord,
                Standing {
                    user: Some("1".into()),
                    guild: Some(123456789012345678),
                    ..Standing::default()
                },
                Grant::Member,
            ),
            (
                Platform::Discord,
                Standing {
                    user: Some("1".into()),
                    guild: Some(9),
                    roles: vec![5, 345678901234567890],
                    ..Standing::default()
                },
                Grant::Named("discord_roles"),
            ),
            (
                // Manage Server in a server nobody named.
                Platform::Discord,
                Standing {
                    user: Some("1".into()),
                    guild: Some(9),
                    place_moderator: true,
                    ..Standing::default()
                },
                Grant::Place,
            ),
        ];
        for (platform, standing, want) in cases {
            let a = asker(platform, standing.clone());
            assert_eq!(grant(&m, &a), want, "{standing:?}");
            // Nobody is named without a table.
            assert!(!matches!(
                grant(&Moderators::default(), &a),
                Grant::Named(_)
            ));
        }
        assert_eq!(grant(&m, &Asker::terminal()), Grant::Operator);
    }
}
