//! What readers are shown of the looks: every replica reads the latest looks from the store
//! (at the start, after each look of its own, when the replica that looked says so on the
//! shared database, and every minute in case that was missed) and puts them on the shelf, so citations lead with a snapshot when a page is
//! gone and show where a page moved.

use crate::library::{Liveness, Looks};
use crate::service::Shelf;
use crate::store::sources::{SourceCheck, SourceStore};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often each replica reads the looks again.
pub const READ_EVERY: Duration = Duration::from_secs(60);

/// The looks as readers are shown them, by topic and source id.
pub fn looks(checks: &[SourceCheck]) -> Looks {
    checks
        .iter()
        .map(|c| {
            (
                (c.topic.clone(), c.id.clone()),
                Liveness {
                    url: c.url.clone(),
                    status: c.status.clone(),
                    checked_on: c.checked_at.date_naive(),
                    offline_since: c.failing_since.map(|t| t.date_naive()),
                    moved_to: c.moved_to.clone(),
                    changed_on: c.changed_at.map(|t| t.date_naive()),
                },
            )
        })
        .collect()
}

/// Read the looks from `store` and show them; whether what is shown changed. A store that
/// cannot be read within 5 s changes nothing.
pub async fn refresh(store: &dyn SourceStore, shelf: &Shelf) -> bool {
    let read = tokio::time::timeout(Duration::from_secs(5), store.checks(None)).await;
    match read {
        Ok(Ok(checks)) => match shelf.show_looks(looks(&checks)) {
            Some(old) => {
                // The library replaced is freed off the answering threads, once the answers
                // still reading it are done.
                tokio::task::spawn_blocking(move || drop(old));
                true
            }
            None => false,
        },
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "the looks at the cited pages could not be read");
            false
        }
        Err(_) => {
            tracing::warn!("the looks at the cited pages could not be read within 5 s");
            false
        }
    }
}

/// Show the looks now, whenever the replica that looks says it kept new ones, and every
/// [`READ_EVERY`], until `stop`.
pub async fn follow(
    store: std::sync::Arc<dyn SourceStore>,
    shelf: std::sync::Arc<Shelf>,
    stop: CancellationToken,
) {
    if let Some(db) = store.shared().cloned() {
        // The channel's follower reads them as soon as it listens, and again on each word.
        crate::store::postgres::follow_channel(
            &db,
            crate::store::sources::SOURCES_CHANNEL,
            READ_EVERY,
            &stop,
            "read the looks at the cited pages",
            || async {
                refresh(store.as_ref(), &shelf).await;
                Ok(())
            },
        )
        .await;
        return;
    }
    loop {
        refresh(store.as_ref(), &shelf).await;
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(READ_EVERY) => {}
        }
    }
}
