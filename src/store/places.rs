//! Where the places' own topics are kept (`topic set` by a place's moderators): the
//! [`PlaceStore`] trait, in the state file for one process, in the shared database for
//! replicas (which say so on [`PLACES_CHANNEL`]), or nowhere (`memory`) where nothing is kept.

use chrono::{DateTime, Utc};

/// The channel on which a replica says it set a place's topic.
pub const PLACES_CHANNEL: &str = "dossier_places";

/// One place's topic as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceRow {
    pub platform: String,
    /// The channel or room id.
    pub place: String,
    pub topic: String,
    pub set_by: Option<String>,
    pub set_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("the places store {0}")]
    Store(String),
    /// The shared database cannot be reached now; nothing was changed.
    #[error("the places' topics cannot be written: {0}")]
    Unavailable(String),
}

/// Where the places' topics are kept.
#[async_trait::async_trait]
pub trait PlaceStore: Send + Sync {
    /// Where, for the logs and `status`.
    fn describe(&self) -> String;

    /// Whether other processes write it too (and the places must be read again when they say
    /// so): the shared database.
    fn shared(&self) -> Option<&crate::store::postgres::Database> {
        None
    }

    /// Every place's topic.
    async fn all(&self) -> Result<Vec<PlaceRow>, PlaceError>;

    /// Set a place's topic (replacing the one it had), and tell the other replicas.
    async fn set(&self, row: &PlaceRow) -> Result<(), PlaceError>;

    /// Add rows copied from another store; a place that already has a topic keeps it. How
    /// many were added.
    async fn load(&self, rows: &[PlaceRow]) -> Result<u64, PlaceError>;
}
