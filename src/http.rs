//! The one HTTP listener of `serve`: `GET /healthz` (the process is alive), `GET /readyz` (a
//! library is loaded and every configured door is connected; 503 with a JSON body naming what
//! is not), `GET /metrics` (OpenMetrics text), and the Discord interactions endpoint's routes
//! when that door is configured. Stops accepting on shutdown and lets requests in flight end.

use crate::app::App;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The service routes, plus `extra` (the interactions endpoint) when given.
pub fn router(app: Arc<App>, extra: Option<Router>) -> Router {
    let base = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(app);
    match extra {
        Some(r) => base.merge(r),
        None => base,
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    let not_ready = app.doors.not_ready();
    let lib = app.snapshot();
    let body = serde_json::json!({
        "ready": not_ready.is_empty(),
        "topics": lib.topics().len(),
        "card_files": lib.card_files(),
        "not_ready": not_ready,
        "doors": app.doors.all().iter().map(|d| serde_json::json!({
            "name": d.name,
            "state": d.state.describe(),
            "since": d.since.to_rfc3339(),
        })).collect::<Vec<_>>(),
    });
    let status = if not_ready.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        app.metrics.render(),
    )
        .into_response()
}

/// Serve `router` on `listener` until `stop`, then finish the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    stop: CancellationToken,
) -> Result<(), String> {
    axum::serve(listener, router)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
        .map_err(|e| e.to_string())
}
