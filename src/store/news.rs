//! What the newsdesk keeps: each feed's last fetch (its validators, for conditional requests,
//! and how it went), the items it has seen (so the next poll proposes nothing twice, and
//! `desk log` says what became of each), and the proposals with their decisions. The
//! [`NewsStore`] trait, in the state file for one process or in the database replicas share.

use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum NewsError {
    #[error("the newsdesk store {0}")]
    Store(String),
    /// The shared database cannot be reached now; nothing was changed.
    #[error("the newsdesk store cannot be reached: {0}")]
    Unavailable(String),
}

/// How one feed's last fetch went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedFetch {
    pub topic: String,
    /// The address or path, as the card writes it.
    pub feed: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub fetched_at: Option<DateTime<Utc>>,
    /// Why the last fetch failed, when it did.
    pub error: Option<String>,
    /// Since when it has failed without a success between.
    pub failing_since: Option<DateTime<Utc>>,
    /// Items read over its life.
    pub items_seen: i64,
    /// Not to be asked again before this (what a `429` or `503` said with `Retry-After`).
    pub retry_at: Option<DateTime<Utc>>,
}

/// An item seen, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenItem {
    pub topic: String,
    /// `guid:…` or `url:…` (the canonical address): each key of an item is kept.
    pub key: String,
    pub title: String,
    pub outlet: String,
    /// What became of it: `proposed`, `merged`, `below`, `excluded`, …
    pub fate: String,
    pub score: i64,
    /// The proposal it made or joined.
    pub proposal: Option<i64>,
    pub seen_at: DateTime<Utc>,
}

/// A proposal as kept: its body is the proposal as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredProposal {
    pub id: i64,
    pub topic: String,
    pub body: String,
    /// `open`, `approved` or `rejected`.
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
}

/// Where the newsdesk keeps what it saw.
#[async_trait::async_trait]
pub trait NewsStore: Send + Sync {
    fn describe(&self) -> String;
    /// The last fetch of each feed of `topic`.
    async fn fetches(&self, topic: &str) -> Result<Vec<FeedFetch>, NewsError>;
    /// Keep how a feed's fetch went (replacing the last).
    async fn save_fetch(&self, fetch: &FeedFetch) -> Result<(), NewsError>;
    /// Which of `keys` of `topic` were seen before.
    async fn seen(&self, topic: &str, keys: &[String]) -> Result<Vec<String>, NewsError>;
    /// Keep new proposals and the items seen, in one transaction; each item's `proposal`,
    /// when it is an index into `proposals` (as `-1 - i`), is turned into the kept id. The ids
    /// of the proposals, in order.
    async fn record(
        &self,
        topic: &str,
        proposals: &[String],
        items: &[SeenItem],
        at: DateTime<Utc>,
    ) -> Result<Vec<i64>, NewsError>;
    /// The proposals of `topic` (every topic when `None`), open ones only unless `all`, newest
    /// first, at most `limit`.
    async fn proposals(
        &self,
        topic: Option<&str>,
        all: bool,
        limit: usize,
    ) -> Result<Vec<StoredProposal>, NewsError>;
    /// Decide an open proposal: true when this call decided it, false when it was decided
    /// already (exactly one of two deciding at once wins).
    async fn decide(
        &self,
        id: i64,
        state: &str,
        by: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, NewsError>;
    /// One proposal, whatever its state.
    async fn proposal(&self, id: i64) -> Result<Option<StoredProposal>, NewsError>;
    /// Open again a proposal decided `state` (an approval whose card could not be written):
    /// true when it was so decided and is open now.
    async fn reopen(&self, id: i64, state: &str) -> Result<bool, NewsError>;
    /// The items seen of `topic`, newest first, at most `limit`.
    async fn items(&self, topic: &str, limit: usize) -> Result<Vec<SeenItem>, NewsError>;
    /// Forget the items seen before `before` (kept 30 days); how many.
    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, NewsError>;
}

/// An item's proposal as recorded: an index into this record's proposals (`-1 - i`) is that
/// proposal's id; anything else is an id already.
pub fn resolve(p: i64, ids: &[i64]) -> i64 {
    if p < 0 {
        ids.get((-1 - p) as usize).copied().unwrap_or(p)
    } else {
        p
    }
}
