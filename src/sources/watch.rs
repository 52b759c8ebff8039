//! The sources inside `serve`: every few minutes, the sources due are looked at (each every
//! `[sources] check_every`, one never looked at, or whose address changed, at the next look),
//! by one replica at a time (the caller runs it under the service's lease); the moderators
//! hear once of a page gone, changed since it was cited, or back. Then the pages the cards keep
//! no snapshot of are given one (found in the web archive, or taken now), a few each look,
//! and written into the cards through the desk as dossier; a page asked for whose snapshot was
//! not kept (none given, or the cards refused it) is asked for again a day later.

use super::archive::{Archive, archive, missing, to_keep};
use super::check::{Pace, Report, Told, check_due};
use crate::fetch::client::Fetcher;
use crate::service::{Notice, NoticeKind, Notices, Shelf};
use crate::store::sources::SourceStore;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the watcher looks for sources that are due.
pub const LOOK_EVERY: Duration = Duration::from_secs(300);
/// How long after the start the first look waits, so the doors come up first.
pub const FIRST_LOOK_AFTER: Duration = Duration::from_secs(10);

/// How many pages are given a snapshot on one look at most.
pub const ARCHIVED_PER_LOOK: usize = 20;
/// How long a page the archive gave no snapshot of waits before it is asked for again.
pub const ARCHIVE_AGAIN_AFTER: Duration = Duration::from_secs(86_400);

/// What the watcher needs.
pub struct Watching {
    pub fetcher: Fetcher,
    pub store: Arc<dyn SourceStore>,
    /// `[sources] check_every`.
    pub every: Duration,
    pub pace: Pace,
    /// Where snapshots are found or taken and kept, when the cards are edited by a desk.
    pub archiving: Option<Archiving>,
}

/// The web archive, and the desk that keeps its snapshots in the cards.
pub struct Archiving {
    pub archive: Archive,
    pub desk: Arc<crate::desk::state::Desk>,
    pub reloader: Arc<crate::reload::Reloader>,
    pub clock: crate::clock::Clock,
    /// The pages asked for lately that got no snapshot, and when.
    pub tried: std::sync::Mutex<HashMap<String, tokio::time::Instant>>,
}

impl Archiving {
    /// Give the pages that have no snapshot one, a few at a time, and keep them in the cards.
    async fn pass(&self, shelf: &Shelf, notices: &Notices) {
        let lib = shelf.snapshot();
        let missing: Vec<_> = {
            let tried = self.tried.lock().unwrap_or_else(|e| e.into_inner());
            missing(&lib, None, usize::MAX, self.archive.is_internal())
                .into_iter()
                .filter(|p| {
                    tried
                        .get(&p.url)
                        .is_none_or(|at| at.elapsed() >= ARCHIVE_AGAIN_AFTER)
                })
                .take(ARCHIVED_PER_LOOK)
                .collect()
        };
        if missing.is_empty() {
            return;
        }
        let (done, stopped) = archive(&self.archive, missing).await;
        {
            // Every page asked for waits a day before it is asked for again: one the archive
            // gave no snapshot of, and one whose snapshot the cards could not keep.
            let mut tried = self.tried.lock().unwrap_or_else(|e| e.into_inner());
            for a in &done {
                tried.insert(a.url.clone(), tokio::time::Instant::now());
            }
        }
        if let Some(s) = stopped {
            tracing::info!("{s}");
        }
        let h = crate::desk::state::Handles {
            shelf,
            clock: self.clock,
            default_topic: None,
            reloader: &self.reloader,
            notices,
        };
        for (topic, kept) in to_keep(&done) {
            match self.desk.keep_snapshots(&h, &topic, &kept).await {
                Ok(ids) if !ids.is_empty() => {
                    tracing::info!(topic, sources = ids.len(), "snapshots kept in the cards")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(topic, error = %e, "the snapshots could not be kept"),
            }
        }
    }
}

/// The notice of what one look found, when the moderators should hear of it.
pub fn notice(r: &Report) -> Option<Notice> {
    let (title, detail) = match r.told? {
        Told::Gone => (
            format!("A cited page is gone: {}/{}", r.topic, r.id),
            format!(
                "{}\nIt has not answered (or answered {}) on looks more than a day apart. Cite a snapshot or another source.",
                r.url,
                r.http.map_or("nothing".to_owned(), |h| format!("HTTP {h}"))
            ),
        ),
        Told::Changed => (
            format!(
                "A cited page changed since it was cited: {}/{}",
                r.topic, r.id
            ),
            format!(
                "{}\nIts text differs from what it said when first seen by more than a small share of its words. Check that it still says what the cards rest on it for.",
                r.url
            ),
        ),
        Told::Moved => (
            format!("A cited page moved: {}/{}", r.topic, r.id),
            format!(
                "{}\nnow redirects for good to {}. Answers say so beside the citation; if the new address is the same article, cite it instead.",
                r.url,
                r.moved_to.as_deref().unwrap_or("another address")
            ),
        ),
        Told::Back => (
            format!("A cited page answers again: {}/{}", r.topic, r.id),
            r.url.clone(),
        ),
    };
    Some(Notice {
        kind: NoticeKind::Source,
        title,
        detail,
    })
}

/// One look: the sources due, looked at now, and what the moderators should hear posted.
pub async fn look(w: &Watching, shelf: &Shelf, notices: &Notices) {
    let lib = shelf.snapshot();
    let now = Utc::now();
    let every = chrono::Duration::from_std(w.every).unwrap_or(chrono::Duration::days(7));
    let due = |last: Option<&crate::store::sources::SourceCheck>| {
        last.is_none_or(|l| now - l.checked_at >= every)
    };
    match check_due(&lib, None, &w.fetcher, w.store.as_ref(), w.pace, now, &due).await {
        Ok(reports) => {
            if !reports.is_empty() {
                tracing::info!(sources = reports.len(), "looked at the cited pages due");
            }
            for n in reports.iter().filter_map(notice) {
                notices.post(n);
            }
            if !reports.is_empty() {
                super::shown::refresh(w.store.as_ref(), shelf).await;
                w.store.tell_replicas().await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "the sources' looks could not be kept"),
    }
    if let Some(a) = &w.archiving {
        a.pass(shelf, notices).await;
    }
}

/// Look until `stop`, every [`LOOK_EVERY`] (the first [`FIRST_LOOK_AFTER`] the start).
pub async fn run(w: Arc<Watching>, shelf: Arc<Shelf>, notices: Notices, stop: CancellationToken) {
    let mut wait = FIRST_LOOK_AFTER;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        // A look (and its archive pass) ends with the task: at shutdown, or when the lease
        // goes to another replica.
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = look(&w, &shelf, &notices) => {}
        }
        wait = LOOK_EVERY;
    }
}
