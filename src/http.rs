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
    // Degraded, still ready: answers come from the library in memory, and what needs the
    // store (daily briefings, subscribing) waits for it.
    let mut degraded = Vec::new();
    if app.schedule_watch.store_down() {
        degraded.push(match &app.schedules {
            Some(s) => format!(
                "the schedule store ({}) cannot be read: daily briefings and subscribing wait for it",
                s.describe()
            ),
            None => "the schedule store cannot be read".to_owned(),
        });
    }
    let body = serde_json::json!({
        "ready": not_ready.is_empty(),
        "degraded": degraded,
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
    let mut body = app.metrics.render();
    // The doors' families go before OpenMetrics' closing `# EOF`.
    let end = body.rfind("# EOF").unwrap_or(body.len());
    let mut families = door_metrics(&app.doors.all());
    if let Some(store) = &app.sources {
        families.push_str(&source_metrics(store.as_ref()).await);
    }
    body.insert_str(end, &families);
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], body).into_response()
}

/// The cited pages by their latest verdict, and how many changed since they were cited, as
/// the store says (so every replica shows the same); nothing when it cannot be read in time.
async fn source_metrics(store: &dyn crate::store::sources::SourceStore) -> String {
    use std::fmt::Write as _;
    let Some(t) = crate::sources::check::tally(store).await else {
        return String::new();
    };
    let mut out = String::from(
        "# HELP dossier_sources The cited pages by the verdict of their latest look.\n# TYPE dossier_sources gauge\n",
    );
    for (status, n) in &t.by_status {
        let _ = writeln!(out, "dossier_sources{{status=\"{}\"}} {n}", status.name());
    }
    let changed = t.changed;
    let _ = writeln!(
        out,
        "# HELP dossier_sources_changed The cited pages whose text changed since they were cited.\n# TYPE dossier_sources_changed gauge\ndossier_sources_changed {changed}"
    );
    out
}

/// Each door's state as a gauge that is 1 for its current state: a replica whose door another
/// replica holds shows `standby`.
fn door_metrics(doors: &[crate::service::doors::DoorReport]) -> String {
    use crate::service::DoorState;
    use std::fmt::Write as _;
    let mut out = String::from(
        "# HELP dossier_door_state Each door's state in this replica (standby: another replica holds it).\n# TYPE dossier_door_state gauge\n",
    );
    for d in doors {
        let now = match d.state {
            DoorState::Starting => "starting",
            DoorState::Connected => "connected",
            DoorState::Standby => "standby",
            DoorState::Down(_) => "down",
        };
        for state in ["starting", "connected", "standby", "down"] {
            let _ = writeln!(
                out,
                "dossier_door_state{{door=\"{}\",state=\"{state}\"}} {}",
                d.name,
                u8::from(state == now)
            );
        }
    }
    out
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
