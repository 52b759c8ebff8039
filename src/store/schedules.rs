//! Where subscriptions, posts and the snapshot each place was last sent are kept: the
//! [`ScheduleStore`] trait the scheduler uses, in the state file for one process
//! (`sqlite::schedules`) or in the database replicas share (`postgres::schedules`), over the
//! types of `schedule::store`.

use crate::schedule::store::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Open(String),
    #[error("the schedule store failed: {0}")]
    Query(String),
    /// The store cannot be reached just now (a database that is down): try again later.
    #[error("the schedule store is unavailable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Conflict(String),
}

/// A subscription with the last local day handled for it (sent, skipped or missed).
pub type WithLast = (Subscription, Option<NaiveDate>);

/// How subscriptions, posts and snapshots are kept: SQLite in one process, PostgreSQL shared
/// by replicas. Every method is one transaction; `claim` must be safe against other processes
/// using the same store. Async, so a store across the network never holds a worker thread.
#[async_trait::async_trait]
pub trait ScheduleStore: Send + Sync {
    /// What it is, for `status` and errors: "SQLite state/dossier.sqlite3", "PostgreSQL …".
    fn describe(&self) -> String;
    /// Make the stored config subscriptions match the config: add new ones, keep matching
    /// ones (and their history), deactivate the ones the config no longer has.
    async fn sync_config(
        &self,
        subs: &[NewSubscription],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Add a subscription made in chat; an identical active one is a conflict.
    async fn subscribe(
        &self,
        s: &NewSubscription,
        now: DateTime<Utc>,
    ) -> Result<Subscription, StoreError>;
    /// Deactivate the chat subscriptions of `destination` (all, or the one with `id`); how many.
    async fn unsubscribe(
        &self,
        destination: &Destination,
        id: Option<i64>,
    ) -> Result<usize, StoreError>;
    /// Every active subscription.
    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;
    /// Every active subscription with its last handled day, in one query: what a tick reads.
    async fn active_with_last(&self) -> Result<Vec<WithLast>, StoreError>;
    /// The last local day handled for a subscription (sent, skipped or missed).
    async fn last_handled(&self, subscription: i64) -> Result<Option<NaiveDate>, StoreError>;
    /// The claimed and failed posts of active subscriptions for `from` or a later day: when
    /// each may next be taken on is when the scheduler next looks.
    async fn unsettled(&self, from: NaiveDate) -> Result<Vec<Unsettled>, StoreError>;
    /// Renew this process's claim on the post for `day` (it is still sending): the claim lives
    /// as long as the work, and lapses a lease after the process dies. False when the claim is
    /// no longer this process's.
    async fn renew(
        &self,
        subscription: i64,
        day: NaiveDate,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Take on the post for `day`, unless another process holds a claim younger than `lease`,
    /// it is handled, or a failed attempt's retry time has not come.
    #[allow(clippy::too_many_arguments)]
    async fn claim(
        &self,
        sub: &Subscription,
        day: NaiveDate,
        scheduled: DateTime<Utc>,
        owner: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Claim, StoreError>;
    /// Record the outcome of a post (and, when sent, the snapshot the place now has).
    async fn record(
        &self,
        sub: &Subscription,
        outcome: &PostOutcome<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The snapshot last sent to `destination` about `topic`, and the local day it was for.
    async fn snapshot(
        &self,
        destination: &Destination,
        topic: &str,
    ) -> Result<Option<(String, NaiveDate)>, StoreError>;
    /// The most recent records of a subscription, newest first.
    async fn recent(&self, subscription: i64, n: usize) -> Result<Vec<PostRecord>, StoreError>;
    /// Active subscriptions whose newest post failed or was missed, with that post.
    async fn attention(&self) -> Result<Vec<(Subscription, PostRecord)>, StoreError>;
}
