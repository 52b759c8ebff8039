//! Where the change feed is kept: the [`FeedStore`] trait. A store gives the feed's one
//! `record` algorithm (in `feed`) a topic's mark and next number under the topic's lock, and
//! commits the entry and the new mark together: in the state file under the process's lock,
//! in the shared database under an advisory lock held inside that transaction (so of two
//! replicas serving one change, one records it), or in memory.

use chrono::{DateTime, NaiveDate, Utc};

/// The channel on which a replica says it added entries.
pub const FEED_CHANNEL: &str = "dossier_feed";

/// One entry as kept: its reply still JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    pub topic: String,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub title: String,
    pub reply: String,
}

/// What a topic was when its last entry was made: a digest snapshot (JSON) and the day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMark {
    pub topic: String,
    pub snapshot: String,
    pub day: NaiveDate,
}

/// Marks and entries: the newest of each topic when read, every one in a dump.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedDump {
    pub marks: Vec<StoredMark>,
    /// Oldest first within each topic.
    pub entries: Vec<StoredEntry>,
}

/// What one record commits: the new mark, and the entry when something a briefing says moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedCommit {
    pub entry: Option<StoredEntry>,
    pub mark: StoredMark,
}

/// Given a topic's mark (if any) and the number its next entry takes, what to commit; `None`
/// when there is nothing to (another replica recorded the change already). A store may ask
/// again when another process recorded in between.
pub type Decide<'a> = Box<dyn FnMut(Option<&StoredMark>, i64) -> Option<FeedCommit> + Send + 'a>;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the feed store {0}")]
    Store(String),
}

/// Where the change feed is kept.
#[async_trait::async_trait]
pub trait FeedStore: Send + Sync {
    /// Where, for the logs and `status`.
    fn describe(&self) -> String;

    /// The shared database when other processes write the feed too (and say so on
    /// [`FEED_CHANNEL`]).
    fn shared(&self) -> Option<&crate::store::postgres::Database> {
        None
    }

    /// Every mark, and the newest `newest` entries of each topic, oldest first.
    async fn read(&self, newest: usize) -> Result<FeedDump, FeedError>;

    /// One entry.
    async fn entry(&self, topic: &str, seq: i64) -> Result<Option<StoredEntry>, FeedError>;

    /// Record one topic's change: `decide` is called under the topic's lock with its mark and
    /// next number, and what it returns is committed in one transaction. The entry committed.
    async fn record(
        &self,
        topic: &str,
        decide: Decide<'_>,
    ) -> Result<Option<StoredEntry>, FeedError>;

    /// Add a dump's rows; a topic's mark or an entry already there is left as it is. How many
    /// entries were added.
    async fn load(&self, dump: &FeedDump) -> Result<u64, FeedError>;
}
