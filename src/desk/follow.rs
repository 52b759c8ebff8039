//! Following the other replicas' edits: with `cards_remote`, each replica listens on the shared
//! database for a replica's word that it pushed an edit (`NOTIFY dossier_cards`), pulls the
//! remote (fast-forward only) and reloads, so an edit made on one replica is answered by the
//! others within moments. It also pulls every [`FETCH_EVERY`] whatever it hears, so an edit
//! pushed by hand, or a notification lost while the database was down, arrives all the same.

use super::git;
use super::state::{CARDS_CHANNEL, Desk};
use crate::reload::{Reloader, Trigger};
use crate::store::postgres::logged;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the remote is pulled without being told to.
pub const FETCH_EVERY: Duration = Duration::from_secs(30);

/// Pull, and reload when something came.
async fn pull_and_reload(desk: &Desk, reloader: &Reloader) -> Result<(), String> {
    let Some((top, remote)) = desk.remote() else {
        return Ok(());
    };
    let deadline = desk.network_deadline();
    match desk
        .in_work_tree(move || git::pull(&top, &remote, deadline))
        .await
    {
        Ok(Ok(true)) => {
            let record = reloader.reload_and_announce(Trigger::Pull).await;
            tracing::info!(reload = %record.status_line(), "pulled edits from the cards' remote");
            Ok(())
        }
        Ok(Ok(false)) | Err(_) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
    }
}

/// Follow the remote until `stop`: on every notification, and every [`FETCH_EVERY`]. Failed
/// pulls are logged once until one works again.
pub async fn follow(desk: Arc<Desk>, reloader: Arc<Reloader>, stop: CancellationToken) {
    const WHAT: &str = "pull the cards' remote";
    match desk.cluster() {
        Some(db) => {
            crate::store::postgres::follow_channel(
                db,
                CARDS_CHANNEL,
                FETCH_EVERY,
                &stop,
                WHAT,
                || pull_and_reload(&desk, &reloader),
            )
            .await
        }
        None => {
            let mut failing = false;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(FETCH_EVERY) => {
                        logged(pull_and_reload(&desk, &reloader), WHAT, &mut failing).await;
                    }
                }
            }
        }
    }
}
