//! The gateway door: serenity's client receives `INTERACTION_CREATE` and answers through the
//! REST API with the shared handler. Reconnects and heartbeats are serenity's job; the door's
//! state (for `status` and `/readyz`) follows the shard's connection stage.

use super::followups::Followups;
use super::handler::handle;
use super::respond::{Outcome, callback_of_edit};
use super::rest::Rest;
use super::settings::{Settings, gateway_name};
use crate::app::App;
use crate::service::DoorState;
use serenity::all::{
    ConnectionStage, Context, EventHandler, GatewayIntents, Interaction, Ready, ResumedEvent,
    ShardStageUpdateEvent,
};
use serenity::async_trait;
use serenity::http::Http;
use std::sync::Arc;

pub struct Handler {
    pub app: Arc<App>,
    pub settings: Settings,
    pub rest: Arc<Rest>,
    /// Charts and deferred completions, sent after the response through a bounded queue.
    pub followups: Followups,
    /// How many shards the bot runs in all, for the shards' names.
    pub total: u32,
}

impl Handler {
    fn door(&self, shard: u32) -> &'static str {
        gateway_name(shard, self.total)
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let door = self.door(ctx.shard_id.0);
        self.app.doors.set(door, DoorState::Connected);
        tracing::info!(door, user = %ready.user.name, guilds = ready.guilds.len(), "connected to the Discord gateway");
    }

    async fn resume(&self, ctx: Context, _: ResumedEvent) {
        let door = self.door(ctx.shard_id.0);
        self.app.doors.set(door, DoorState::Connected);
        tracing::info!(door, "resumed the Discord gateway session");
    }

    async fn shard_stage_update(&self, _ctx: Context, ev: ShardStageUpdateEvent) {
        let state = match ev.new {
            ConnectionStage::Connected => DoorState::Connected,
            stage => DoorState::Down(format!("reconnecting ({stage})")),
        };
        self.app.doors.set(self.door(ev.shard_id.0), state);
    }

    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        // Tracked, so a graceful shutdown waits for the response to go out.
        let (app, settings, rest) = (self.app.clone(), self.settings.clone(), self.rest.clone());
        let followups = self.followups.clone();
        let _ = self
            .app
            .tasks
            .spawn(respond(app, settings, rest, followups, interaction))
            .await;
    }
}

/// Answer one interaction through the REST API.
async fn respond(
    app: Arc<App>,
    settings: Settings,
    rest: Arc<Rest>,
    followups: Followups,
    interaction: Interaction,
) {
    let (id, token) = match &interaction {
        Interaction::Command(c) | Interaction::Autocomplete(c) => (c.id, c.token.clone()),
        Interaction::Component(c) => (c.id, c.token.clone()),
        Interaction::Modal(m) => (m.id, m.token.clone()),
        _ => return,
    };
    let sent = |ok: bool| {
        if ok {
            app.metrics.sent("discord");
        } else {
            app.metrics.failed("discord");
        }
    };
    match handle(app.clone(), &settings, interaction).await {
        Outcome::Respond(r) => {
            let result = rest.callback(id.get(), &token, &r).await;
            sent(result.is_ok());
            if let Err(e) = result {
                tracing::error!(error = %e, "sending an interaction response failed");
            }
        }
        Outcome::Body(b) => {
            let result = rest.callback_body(id.get(), &token, b).await;
            sent(result.is_ok());
            if let Err(e) = result {
                tracing::error!(error = %e, "sending an interaction response failed");
            }
        }
        Outcome::Deferred { ack, work, token } => {
            let result = rest.callback(id.get(), &token, &ack).await;
            sent(result.is_ok());
            if let Err(e) = result {
                tracing::error!(error = %e, "acknowledging an interaction failed");
                return;
            }
            followups.complete(token, work);
        }
        // A public answer with its chart is one multipart callback. An ephemeral one is sent
        // as such, then edited to add the chart: an edit's body carries no flags.
        Outcome::Upload {
            edit,
            picture,
            ephemeral: false,
            ..
        } => {
            let result = rest
                .callback_upload(id.get(), &token, callback_of_edit(&edit), &picture)
                .await;
            sent(result.is_ok());
            if let Err(e) = result {
                tracing::error!(error = %e, "sending an interaction response with its chart failed");
            }
        }
        Outcome::Upload {
            body,
            edit,
            picture,
            ..
        } => {
            let result = rest.callback_body(id.get(), &token, body).await;
            sent(result.is_ok());
            if let Err(e) = result {
                tracing::error!(error = %e, "sending an interaction response failed");
                return;
            }
            followups.chart(token, edit, picture, false);
        }
        Outcome::Ignore => {}
    }
}

/// Interactions need no privileged intents.
pub fn intents() -> GatewayIntents {
    GatewayIntents::empty()
}

/// Build the client on an `Http` (pointed at Discord, or at a test double), answering through
/// `rest`.
pub async fn client(
    http: Http,
    rest: Arc<Rest>,
    followups: Followups,
    app: Arc<App>,
    settings: Settings,
    total: u32,
) -> serenity::Result<serenity::Client> {
    serenity::client::ClientBuilder::new_with_http(http, intents())
        .event_handler(Handler {
            app,
            settings,
            rest,
            followups,
            total,
        })
        .await
}
