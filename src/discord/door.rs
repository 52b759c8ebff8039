//! Opening the Discord door for `serve`: the gateway client, the interactions endpoint's
//! routes, the moderators' channel and the daily briefings' poster, as the config asks.

use super::settings::{ENDPOINT, GATEWAY, Settings, http};
use super::{briefings, commands, endpoint, gateway, moderation, rest};
use crate::app::App;
use crate::config::Config;
use crate::service::{DoorState, Doors};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The running doors, each named; `serve` stops when one of them stops.
pub type DoorTasks = tokio::task::JoinSet<(&'static str, Result<(), String>)>;

/// What opening the Discord door gives `serve`.
#[derive(Default)]
pub struct Opened {
    /// The interactions endpoint's routes, for the one HTTP listener.
    pub routes: Option<axum::Router>,
    /// Posts daily briefings (needs the bot token).
    pub poster: Option<Arc<dyn crate::scheduler::Poster>>,
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
    let poster: Option<Arc<dyn crate::scheduler::Poster>> = d.token.as_ref().map(|t| {
        Arc::new(briefings::DiscordPoster {
            http: Arc::new(http(&d, t.expose())),
        }) as Arc<dyn crate::scheduler::Poster>
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
