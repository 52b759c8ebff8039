//! The HTTP interactions endpoint (axum): `POST /interactions` verifies Discord's Ed25519
//! signature over the raw body before parsing anything, refuses replays and oversized bodies,
//! and answers in the response body. Served on the one HTTP listener (`crate::http`).

use super::followups::Followups;
use super::handler::handle;
use super::respond::Outcome;
use super::settings::Settings;
use super::signatures::Signatures;
use crate::app::App;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serenity::model::application::Interaction;
use std::sync::Arc;

/// Largest request body accepted.
pub const MAX_BODY: usize = 1024 * 1024;
/// How far a request's timestamp may be from now, in seconds, before it counts as a replay.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

#[derive(Clone)]
pub struct Endpoint {
    pub app: Arc<App>,
    pub settings: Settings,
    pub signatures: Signatures,
    /// Completes deferred responses and adds charts (needs no bot token, only the
    /// interaction token), through a bounded queue.
    pub followups: Followups,
}

/// `POST /interactions`.
pub fn router(endpoint: Endpoint) -> Router {
    Router::new()
        .route("/interactions", post(interactions))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(endpoint)
}

/// Parse an interaction straight into its kind's type. serenity's own `Deserialize` for
/// `Interaction` builds a `serde_json::Value` tree of the whole body first just to read `type`;
/// here `type` is read on its own and the body is then deserialized once, directly.
pub fn parse_interaction(body: &[u8]) -> Result<Interaction, serde_json::Error> {
    use serenity::model::application::InteractionType as T;
    #[derive(serde::Deserialize)]
    struct Kind {
        #[serde(rename = "type")]
        kind: u8,
    }
    let Kind { kind } = serde_json::from_slice(body)?;
    Ok(match T::from(kind) {
        T::Ping => Interaction::Ping(serde_json::from_slice(body)?),
        T::Command => Interaction::Command(serde_json::from_slice(body)?),
        T::Autocomplete => Interaction::Autocomplete(serde_json::from_slice(body)?),
        T::Component => Interaction::Component(serde_json::from_slice(body)?),
        T::Modal => Interaction::Modal(serde_json::from_slice(body)?),
        _ => return Err(serde::de::Error::custom("unknown interaction type")),
    })
}

fn refuse(status: StatusCode, why: &'static str) -> Response {
    (status, why).into_response()
}

async fn interactions(State(ep): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    let (Some(sig), Some(ts)) = (
        headers
            .get("x-signature-ed25519")
            .and_then(|v| v.to_str().ok()),
        headers
            .get("x-signature-timestamp")
            .and_then(|v| v.to_str().ok()),
    ) else {
        return refuse(StatusCode::UNAUTHORIZED, "missing signature headers");
    };
    if !ep.signatures.verify(sig, ts, &body).await {
        return refuse(StatusCode::UNAUTHORIZED, "invalid request signature");
    }
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() <= MAX_SKEW_SECS);
    if !fresh {
        return refuse(StatusCode::UNAUTHORIZED, "stale request timestamp");
    }
    let interaction = match parse_interaction(&body) {
        Ok(i) => i,
        Err(e) => {
            tracing::debug!(error = %e, "malformed interaction body");
            return refuse(StatusCode::BAD_REQUEST, "malformed interaction");
        }
    };
    let body = match handle(ep.app.clone(), &ep.settings, interaction).await {
        // Exactly `{"type": 1}`: serenity's builder would add `"data": null`.
        Outcome::Respond(serenity::builder::CreateInteractionResponse::Pong) => {
            Ok(br#"{"type":1}"#.to_vec())
        }
        Outcome::Respond(r) => serde_json::to_vec(&r),
        Outcome::Body(b) => {
            ep.app.metrics.sent("discord");
            return ([(header::CONTENT_TYPE, "application/json")], b).into_response();
        }
        Outcome::Deferred { ack, work, token } => {
            ep.followups.complete(token, work);
            serde_json::to_vec(&ack)
        }
        // Discord does not take multipart in the body of the endpoint's response: the answer
        // goes out here at once, and its chart follows as an edit of it.
        Outcome::Upload {
            body,
            edit,
            picture,
            token,
            ..
        } => {
            ep.followups.chart(token, edit, picture, true);
            ep.app.metrics.sent("discord");
            return ([(header::CONTENT_TYPE, "application/json")], body).into_response();
        }
        Outcome::Ignore => return refuse(StatusCode::BAD_REQUEST, "unsupported interaction type"),
    };
    match body {
        Ok(b) => {
            ep.app.metrics.sent("discord");
            ([(header::CONTENT_TYPE, "application/json")], b).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "serializing a response failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}
