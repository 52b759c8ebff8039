//! The Discord door: slash commands over the gateway (serenity's client) and over an HTTP
//! interactions endpoint (axum), both calling one handler. The only module that imports
//! serenity. Everything it says comes from the core's `Reply`, rendered by `render::discord`.

pub mod commands;
pub mod endpoint;
pub mod gateway;
pub mod handler;
pub mod rest;

use crate::config::DiscordConfig;
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
            moderator_permission: permission(&c.moderator_permission),
            defer_after: Duration::from_millis(c.defer_after_ms),
        }
    }
}

/// The serenity permission for a name from `config::MODERATOR_PERMISSIONS`.
pub fn permission(name: &str) -> Permissions {
    match name {
        "ADMINISTRATOR" => Permissions::ADMINISTRATOR,
        "MANAGE_CHANNELS" => Permissions::MANAGE_CHANNELS,
        "MANAGE_MESSAGES" => Permissions::MANAGE_MESSAGES,
        "MODERATE_MEMBERS" => Permissions::MODERATE_MEMBERS,
        "KICK_MEMBERS" => Permissions::KICK_MEMBERS,
        _ => Permissions::MANAGE_GUILD,
    }
}
