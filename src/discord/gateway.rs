//! The gateway door: serenity's client receives `INTERACTION_CREATE` and answers through the
//! REST API with the shared handler. Reconnects and heartbeats are serenity's job.

use super::Settings;
use super::handler::{Outcome, completion, edit, handle};
use super::rest::Rest;
use crate::app::App;
use serenity::all::{Context, EventHandler, GatewayIntents, Interaction, Ready};
use serenity::async_trait;
use serenity::http::Http;
use std::sync::Arc;

pub struct Handler {
    pub app: Arc<App>,
    pub settings: Settings,
    pub rest: Arc<Rest>,
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to the Discord gateway");
    }

    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        let (id, token) = match &interaction {
            Interaction::Command(c) | Interaction::Autocomplete(c) => (c.id, c.token.clone()),
            Interaction::Component(c) => (c.id, c.token.clone()),
            _ => return,
        };
        match handle(self.app.clone(), &self.settings, interaction).await {
            Outcome::Respond(r) => {
                if let Err(e) = self.rest.callback(id.get(), &token, &r).await {
                    tracing::error!(error = %e, "sending an interaction response failed");
                }
            }
            Outcome::Deferred { ack, work, token } => {
                if let Err(e) = self.rest.callback(id.get(), &token, &ack).await {
                    tracing::error!(error = %e, "acknowledging an interaction failed");
                    return;
                }
                let m = completion(work).await;
                if let Err(e) = self.rest.edit_original(&token, &edit(&m)).await {
                    tracing::error!(error = %e, "completing a deferred response failed");
                }
            }
            Outcome::Ignore => {}
        }
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
    app: Arc<App>,
    settings: Settings,
) -> serenity::Result<serenity::Client> {
    serenity::client::ClientBuilder::new_with_http(http, intents())
        .event_handler(Handler {
            app,
            settings,
            rest,
        })
        .await
}
