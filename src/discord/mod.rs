//! The Discord door: slash commands over the gateway (serenity's client) and over an HTTP
//! interactions endpoint (axum), both calling one handler. Everything it says comes from the
//! core's `Reply`, rendered by `render::discord`. Only this module and `cli/discord.rs` (which
//! builds the REST client for `discord register`) import serenity.

pub mod commands;
pub mod endpoint;
pub mod gateway;
pub mod handler;
pub mod rest;

use crate::config::{DiscordConfig, ModeratorPermission};
use serenity::model::Permissions;
use std::time::Duration;

/// What the handler needs to know about the Discord setup.
#[derive(Clone, Debug)]
pub struct Settings {
    pub application_id: u64,
    pub moderator_permission: Permissions,
    /// Command answers slower than this are deferred, then completed by an edit.
    pub defer_after: Duration,
}

impl Settings {
    pub fn from_config(c: &DiscordConfig) -> Self {
        Settings {
            application_id: c.application_id,
            moderator_permission: permission(c.moderator_permission),
            defer_after: Duration::from_millis(c.defer_after_ms),
        }
    }
}

/// The serenity flag for a moderator permission from the config.
pub fn permission(p: ModeratorPermission) -> Permissions {
    match p {
        ModeratorPermission::ManageGuild => Permissions::MANAGE_GUILD,
        ModeratorPermission::Administrator => Permissions::ADMINISTRATOR,
        ModeratorPermission::ManageChannels => Permissions::MANAGE_CHANNELS,
        ModeratorPermission::ManageMessages => Permissions::MANAGE_MESSAGES,
        ModeratorPermission::ModerateMembers => Permissions::MODERATE_MEMBERS,
        ModeratorPermission::KickMembers => Permissions::KICK_MEMBERS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configurable_permission_has_its_own_flag() {
        let flags: Vec<Permissions> = ModeratorPermission::ALL
            .iter()
            .map(|(_, p)| permission(*p))
            .collect();
        for (i, (name, p)) in ModeratorPermission::ALL.iter().enumerate() {
            assert!(!flags[..i].contains(&flags[i]), "{name} shares a flag");
            // The config's name is Discord's own name for the flag.
            let discord_name = permission(*p).get_permission_names().join(",");
            assert_eq!(
                discord_name.to_ascii_uppercase().replace(' ', "_"),
                *name,
                "{name}"
            );
        }
    }
}
