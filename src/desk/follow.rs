//! Following the other replicas' edits: with `cards_remote`, each replica listens on the shared
//! database for a replica's word that it pushed an edit (`NOTIFY dossier_cards`), pulls the
//! remote (fast-forward only) and reloads, so an edit made on one replica is answered by the
//! others within moments. It also pulls every [`FETCH_EVERY`] whatever it hears, so an edit
//! pushed by hand, or a notification lost while the database was down, arrives all the same.

use super::git;
use super::state::{CARDS_CHANNEL, Desk};
use crate::reload::{Reloader, Trigger};
use crate::service::postgres::Listening;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the remote is pulled without being told to.
pub const FETCH_EVERY: Duration = Duration::from_secs(30);

/// Pull, and reload when something came. Failures are logged once until a pull works again.
async fn pull_and_reload(desk: &Desk, reloader: &Reloader, failing: &mut bool) {
    let Some((top, remote)) = desk.remote() else {
        return;
    };
    match tokio::task::spawn_blocking(move || git::pull(&top, &remote)).await {
        Ok(Ok(true)) => {
            *failing = false;
            let record = reloader.reload_and_announce(Trigger::Pull).await;
            tracing::info!(reload = %record.status_line(), "pulled edits from the cards' remote");
        }
        Ok(Ok(false)) => *failing = false,
        Ok(Err(e)) => {
            if !*failing {
                tracing::warn!(error = %e, "could not pull the cards' remote; trying again");
            }
            *failing = true;
        }
        Err(_) => {}
    }
}

/// Follow the remote until `stop`: on every notification, and every [`FETCH_EVERY`].
pub async fn follow(desk: Arc<Desk>, reloader: Arc<Reloader>, stop: CancellationToken) {
    let db = desk.cluster().cloned();
    let mut failing = false;
    let mut told: Option<Listening> = None;
    let mut next_fetch = tokio::time::Instant::now() + FETCH_EVERY;
    loop {
        if told.is_none()
            && let Some(db) = &db
        {
            told = db.listen(CARDS_CHANNEL).await;
            if told.is_some() {
                // Whatever was pushed while we were not listening.
                pull_and_reload(&desk, &reloader, &mut failing).await;
            }
        }
        let not_listening = db.is_some() && told.is_none();
        let heard = async {
            match told.as_mut() {
                Some((rx, _)) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        let retry_listen = async {
            if not_listening {
                tokio::time::sleep(Duration::from_secs(2)).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            got = heard => match got {
                Some(()) => pull_and_reload(&desk, &reloader, &mut failing).await,
                None => told = None,
            },
            _ = tokio::time::sleep_until(next_fetch) => {
                next_fetch = tokio::time::Instant::now() + FETCH_EVERY;
                pull_and_reload(&desk, &reloader, &mut failing).await;
            }
            _ = retry_listen => {}
        }
    }
}
