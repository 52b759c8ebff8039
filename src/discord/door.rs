//! Opening the Discord door for `serve`: the gateway client, the interactions endpoint's
//! routes, the moderators' channel and the daily briefings' poster, as the config asks.

use super::settings::{ENDPOINT, Settings, gateway_name, http};
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
    db: Option<crate::store::postgres::Database>,
    stop: &CancellationToken,
    tasks: &mut DoorTasks,
) -> Result<Opened, String> {
    let Some(d) = config.discord.clone() else {
        return Ok(Opened::default());
    };
    let settings = Settings::from_config(&d);
    let rest = Arc::new(
        rest::Rest::within(d.api_proxy.as_deref(), d.application_id, d.deadline)
            .map_err(|e| e.to_string())?,
    );
    // One bounded queue for everything sent after an answer, whichever door answered.
    let followups =
        super::followups::Followups::start(rest.clone(), app.metrics.clone(), app.tasks.clone());
    let mut routes = None;
    if config.listen.is_some()
        && let Some(key) = d.public_key
    {
        let signatures = super::signatures::Signatures::new(key)
            .map_err(|e| format!("the Discord public key is not usable: {e}"))?;
        app.doors.set(ENDPOINT, DoorState::Starting);
        routes = Some(endpoint::router(endpoint::Endpoint {
            app: app.clone(),
            settings: settings.clone(),
            signatures,
            followups: followups.clone(),
        }));
    }
    let poster: Option<Arc<dyn crate::scheduler::Poster>> = d.token.as_ref().map(|t| {
        Arc::new(briefings::DiscordPoster {
            http: Arc::new(http(&d, t.expose())),
        }) as Arc<dyn crate::scheduler::Poster>
    });
    if let (Some(token), Some(channel)) = (&d.token, config.moderation.discord_channel) {
        app.tasks.spawn(moderation::post_notices(
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
        let api = http(&d, token.expose());
        let state_file = config.state.join("discord-commands.json");
        if let Err(e) = commands::register(
            &api,
            (!config.moderation.moderators.names_discord_people())
                .then_some(settings.moderator_permission),
            d.dev_guild,
            Some(&state_file),
        )
        .await
        {
            tracing::error!(error = %e, "registering slash commands failed; answering anyway");
        }
        // Discord's recommended shard count, and how many shards may identify at once: asked
        // when shards are "auto", or shared with other replicas (who must pace their identifies).
        let bot_gateway = match (&d.shards, &db) {
            (crate::config::Shards::Count(_), None) => None,
            _ => match api.get_bot_gateway().await {
                Ok(g) => Some(g),
                Err(e) if d.shards == crate::config::Shards::Auto => {
                    return Err(format!(
                        "cannot ask Discord how many shards to run (GET /gateway/bot): {e}"
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot ask Discord how many shards may identify at once (GET /gateway/bot); identifying one at a time");
                    None
                }
            },
        };
        let total = match d.shards {
            crate::config::Shards::Count(n) => n,
            crate::config::Shards::Auto => bot_gateway
                .as_ref()
                .map_or(1, |g| g.shards.clamp(1, crate::config::MAX_SHARDS)),
        };
        let concurrency = bot_gateway.as_ref().map_or(1, |g| {
            g.session_start_limit.max_concurrency.clamp(1, 64) as u32
        });
        tracing::info!(shards = total, concurrency, "Discord gateway shards");
        match db {
            None => spawn_gateway(
                &d,
                token.expose(),
                (rest, followups),
                app,
                settings,
                total,
                stop,
                tasks,
            )
            .await
            .map_err(|e| format!("cannot start the Discord client: {e}"))?,
            Some(db) => {
                // The shards spread evenly over the replicas running them, late joiners too.
                let group = crate::service::lease::Group::join(
                    db.clone(),
                    format!("discord:{}:shards/{total}", d.application_id),
                    total,
                );
                for shard in 0..total {
                    let group = group.clone();
                    let door = gateway_name(shard, total);
                    let lease = format!("discord:{}:shard:{shard}/{total}", d.application_id);
                    let (d, token) = (d.clone(), token.expose().to_owned());
                    let (app, rest, settings) = (app.clone(), rest.clone(), settings.clone());
                    let followups = followups.clone();
                    let (db, stop) = (db.clone(), stop.clone());
                    tasks.spawn(async move {
                        let doors = app.doors.clone();
                        let ran = crate::service::lease::run_leased(
                            db.clone(),
                            lease,
                            &doors,
                            door,
                            stop,
                            GRACE,
                            Some(group),
                            |own, _handed| {
                                let (d, token) = (d.clone(), token.clone());
                                let (app, rest, settings) =
                                    (app.clone(), rest.clone(), settings.clone());
                                let followups = followups.clone();
                                let (db, app_id) = (db.clone(), d.application_id);
                                async move {
                                    // Shards of one bucket identify at least 5 s apart, across
                                    // every replica: the bucket's lock is held that long after
                                    // this shard starts to connect.
                                    let bucket = format!(
                                        "discord:{app_id}:identify:{}",
                                        shard % concurrency
                                    );
                                    let pace = crate::service::lease::exclusive(
                                        &db,
                                        &bucket,
                                        IDENTIFY_WAIT,
                                    )
                                    .await
                                    .map_err(|e| {
                                        format!("cannot take the shard's turn to identify: {e}")
                                    })?;
                                    app.tasks.spawn(async move {
                                        tokio::time::sleep(IDENTIFY_SPACING).await;
                                        drop(pace);
                                    });
                                    let client = gateway::client(
                                        http(&d, &token),
                                        rest,
                                        followups,
                                        app.clone(),
                                        settings,
                                        total,
                                    )
                                    .await
                                    .map_err(|e| format!("cannot start the Discord client: {e}"))?;
                                    run_shards(client, app, shard..shard, total, own).await
                                }
                            },
                        )
                        .await;
                        (door, ran)
                    });
                }
            }
        }
    }
    Ok(Opened { routes, poster })
}

/// Discord lets the shards of one bucket (shard id modulo `max_concurrency`) identify once per
/// 5 s; a shard's turn is held a little longer, as its IDENTIFY follows the connection by a
/// moment.
const IDENTIFY_SPACING: std::time::Duration = std::time::Duration::from_millis(5_500);

/// How long a shard waits for its turn to identify (many shards of one bucket queue up).
const IDENTIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// How long a shard that lost its lease gets to close.
const GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Every shard in one client, in this process (no shared database: nothing to share them with).
#[allow(clippy::too_many_arguments)]
async fn spawn_gateway(
    d: &crate::config::DiscordConfig,
    token: &str,
    (rest, followups): (Arc<rest::Rest>, super::followups::Followups),
    app: &Arc<App>,
    settings: Settings,
    total: u32,
    stop: &CancellationToken,
    tasks: &mut DoorTasks,
) -> serenity::Result<()> {
    let client = gateway::client(
        http(d, token),
        rest,
        followups,
        app.clone(),
        settings,
        total,
    )
    .await?;
    let (app, stop) = (app.clone(), stop.clone());
    tasks.spawn(async move {
        let ran = run_shards(client, app, 0..total - 1, total, stop).await;
        (gateway_name(0, 1), ran)
    });
    Ok(())
}

/// Run shards `range.start..=range.end` of `total` until `stop`, then close them.
async fn run_shards(
    mut client: serenity::Client,
    app: Arc<App>,
    range: std::ops::Range<u32>,
    total: u32,
    stop: CancellationToken,
) -> Result<(), String> {
    for shard in range.start..=range.end {
        app.doors
            .set(gateway_name(shard, total), DoorState::Starting);
    }
    let shards = client.shard_manager.clone();
    let ended = tokio::select! {
        r = client.start_shard_range(range.clone(), total) => r.map_err(|e| e.to_string()),
        _ = stop.cancelled() => {
            shards.shutdown_all().await;
            Ok(())
        }
    };
    for shard in range.start..=range.end {
        app.doors.set(
            gateway_name(shard, total),
            DoorState::Down("stopped".into()),
        );
    }
    ended
}

/// Mark the endpoint ready once the HTTP listener it is served on is bound.
pub fn endpoint_listening(doors: &Doors) {
    doors.set(ENDPOINT, DoorState::Connected);
}
