//! What is known of each cited page: the verdict of its latest look, since when it has failed,
//! where it moved, and the fingerprint of its text when it was first seen well (so a page
//! edited since it was cited is found). The [`SourceStore`] trait, in the state file for one
//! process or in the database replicas share, so every replica shows the same verdicts.

use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("the sources' store {0}")]
    Store(String),
    /// The shared database cannot be reached now; nothing was changed.
    #[error("the sources' store cannot be reached: {0}")]
    Unavailable(String),
}

/// One source's latest look and what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceCheck {
    pub topic: String,
    /// The source's id in the topic's `sources.toml`.
    pub id: String,
    /// The address looked at (a source whose address changes is looked at afresh).
    pub url: String,
    /// `ok`, `moved`, `blocked`, `failing` or `gone`.
    pub status: String,
    /// The last answer's status code, when there was an answer.
    pub http: Option<i64>,
    pub checked_at: DateTime<Utc>,
    /// Since when it has failed, without a good look between.
    pub failing_since: Option<DateTime<Utc>>,
    /// Where it moved for good.
    pub moved_to: Option<String>,
    /// The fingerprint of its text as first seen well, and its number of words.
    pub fingerprint: Option<String>,
    pub words: Option<i64>,
    /// When its text was found changed from that fingerprint.
    pub changed_at: Option<DateTime<Utc>>,
}

/// What the replica that looks says on the shared database when it has kept new looks.
pub const SOURCES_CHANNEL: &str = "dossier_sources";

/// Where the sources' looks are kept.
#[async_trait::async_trait]
pub trait SourceStore: Send + Sync {
    fn describe(&self) -> String;
    /// The database replicas share, when the looks are kept there.
    fn shared(&self) -> Option<&crate::store::postgres::Database> {
        None
    }
    /// Tell every replica that new looks were kept (on [`SOURCES_CHANNEL`]), so each shows
    /// them at once; nothing to do where only one process reads them.
    async fn tell_replicas(&self) {}
    /// The looks of `topic`'s sources (every topic's when `None`), by topic and id.
    async fn checks(&self, topic: Option<&str>) -> Result<Vec<SourceCheck>, SourcesError>;
    /// Keep a source's latest look (replacing the one before).
    async fn save(&self, check: &SourceCheck) -> Result<(), SourcesError>;
}
