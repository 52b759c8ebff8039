//! The Discord door: slash commands over the gateway (serenity's client) and over an HTTP
//! interactions endpoint (axum), both calling one handler, and the moderators' channel, where
//! broken cards and their fixes are posted. Everything it says comes from the core's `Reply`,
//! rendered by `render::discord`. The only module that imports serenity; `open` wires it all.

pub mod briefings;
pub mod commands;
pub mod edit;
pub mod endpoint;
pub mod gateway;
pub mod handler;
pub mod moderation;
pub mod rest;

use crate::app::App;
use crate::config::{Config, DiscordConfig, ModeratorPermission};
use crate::service::{DoorState, Doors};
use serenity::http::{Http, HttpBuilder};
use serenity::model::Permissions;
use serenity::model::id::ApplicationId;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The names the gateway and the endpoint have in `status`, `/readyz` and the logs.
pub const GATEWAY: &str = "Discord gateway";
pub const ENDPOINT: &str = "Discord interactions endpoint";

/// The running doors, each named; `serve` stops when one of them stops.
pub type DoorTasks = tokio::task::JoinSet<(&'static str, Result<(), String>)>;

/// An `Http` client for the configured application, through `api_proxy` when set. Behind a
/// proxy serenity's own rate limiter does not run (it would talk to discord.com directly); the
/// proxy is expected to pace requests, and dossier's responses honour 429s themselves.
pub fn http(d: &DiscordConfig, token: &str) -> Http {
    let mut b = HttpBuilder::new(token).application_id(ApplicationId::new(d.application_id.max(1)));
    if let Some(p) = &d.api_proxy {
        b = b.proxy(p.clone()).ratelimiter_disabled(true);
    }
    b.build()
}

/// What opening the Discord door gives `serve`.
#[derive(Default)]
pub struct Opened {
    /// The interactions endpoint's routes, for the one HTTP listener.
    pub routes: Option<axum::Router>,
    /// Posts daily briefings (needs the bot token).
    pub poster: Option<Arc<dyn crate::schedule::run::Poster>>,
}

/// Open the Discord door the config describes: the gateway client (a task in `tasks`), the
/// moderators' channel, the briefings poster, and the interactions endpoint's routes.
/// Everything stops when `stop` is cancelled.
pub async fn open(
    config: &Config,
    app: &Arc<App>,
    stop: &CancellationToken,
    tasks: &mut DoorTasks,
) -> Result<Opened, String> {
    let Some(d) = config.discord.clone() else {
        return Ok(Opened::default());
    };
    let settings = Settings::from_config(&d);
    let rest = Arc::new(
        rest::Rest::new(d.api_proxy.as_deref(), d.application_id).map_err(|e| e.to_string())?,
    );
    let mut routes = None;
    if config.listen.is_some()
        && let Some(key) = d.public_key
    {
        let verifier = serenity::interactions_endpoint::Verifier::try_new(key)
            .map_err(|e| format!("the Discord public key is not usable: {e}"))?;
        app.doors.set(ENDPOINT, DoorState::Starting);
        routes = Some(endpoint::router(endpoint::Endpoint {
            app: app.clone(),
            settings: settings.clone(),
            verifier,
            rest: rest.clone(),
        }));
    }
    let poster: Option<Arc<dyn crate::schedule::run::Poster>> = d.token.as_ref().map(|t| {
        Arc::new(briefings::DiscordPoster {
            http: Arc::new(http(&d, t.expose())),
        }) as Arc<dyn crate::schedule::run::Poster>
    });
    if let (Some(token), Some(channel)) = (&d.token, config.moderation.discord_channel) {
        tokio::spawn(moderation::post_notices(
            Arc::new(http(&d, token.expose())),
            channel,
            app.clone(),
            app.subscribe(),
            stop.clone(),
        ));
    }
    if d.gateway {
        let Some(token) = &d.token else {
            return Err("the gateway needs a bot token".into());
        };
        let http = http(&d, token.expose());
        let state_file = config.state.join("discord-commands.json");
        if let Err(e) = commands::register(
            &http,
            settings.moderator_permission,
            d.dev_guild,
            Some(&state_file),
        )
        .await
        {
            tracing::error!(error = %e, "registering slash commands failed; answering anyway");
        }
        app.doors.set(GATEWAY, DoorState::Starting);
        let mut client = gateway::client(http, rest, app.clone(), settings)
            .await
            .map_err(|e| format!("cannot start the Discord client: {e}"))?;
        let stop = stop.clone();
        let app = app.clone();
        tasks.spawn(async move {
            let shards = client.shard_manager.clone();
            let ended = tokio::select! {
                r = client.start() => r.map_err(|e| e.to_string()),
                _ = stop.cancelled() => {
                    shards.shutdown_all().await;
                    Ok(())
                }
            };
            app.doors.set(GATEWAY, DoorState::Down("stopped".into()));
            (GATEWAY, ended)
        });
    }
    Ok(Opened { routes, poster })
}

/// Mark the endpoint ready once the HTTP listener it is served on is bound.
pub fn endpoint_listening(doors: &Doors) {
    doors.set(ENDPOINT, DoorState::Connected);
}

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
