//! Who follows what: each person's follows (an actor of a topic, a topic, or a few words, as
//! `follows::Followed` keys them), whether each is told as it happens or in a daily digest,
//! and whether it is paused (a direct message that failed). The [`FollowStore`] trait, in the
//! state file for one process or in the database replicas share. A follow belongs to the
//! person, not the place: nobody but its owner lists it.

use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum FollowsError {
    #[error("the follows' store {0}")]
    Store(String),
    /// The shared database cannot be reached now; nothing was changed.
    #[error("the follows' store cannot be reached: {0}")]
    Unavailable(String),
}

/// One follow of one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowRow {
    /// The platform's name ("discord", "matrix") and the person's id there.
    pub platform: String,
    pub user: String,
    /// What is followed, as `follows::Followed::key` writes it.
    pub key: String,
    /// The topic of an actor's or a topic's follow (none for words), so a topic's followers
    /// are found at once.
    pub topic: Option<String>,
    /// "08:00 Europe/Berlin" for one digest a day; none to be told as it happens.
    pub daily: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Since when it is paused, when a message to the person failed for good.
    pub paused_at: Option<DateTime<Utc>>,
}

/// What became of a follow asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    New,
    /// The person follows it already (how it is told is updated).
    Already,
    /// The person has as many follows as the operator allows.
    Full,
}

/// Where the follows are kept.
#[async_trait::async_trait]
pub trait FollowStore: Send + Sync {
    fn describe(&self) -> String;
    /// Add `row` unless its person has `max` follows already.
    async fn add(&self, row: &FollowRow, max: usize) -> Result<Added, FollowsError>;
    /// Remove one follow of a person; whether there was one.
    async fn remove(&self, platform: &str, user: &str, key: &str) -> Result<bool, FollowsError>;
    /// Remove every follow of a person; how many there were.
    async fn remove_all(&self, platform: &str, user: &str) -> Result<usize, FollowsError>;
    /// A person's follows, oldest first.
    async fn of_person(&self, platform: &str, user: &str) -> Result<Vec<FollowRow>, FollowsError>;
    /// The follows a change of `topic` may concern, not paused: its actors' and its own, and
    /// every follow of words.
    async fn of_topic(&self, topic: &str) -> Result<Vec<FollowRow>, FollowsError>;
    /// Pause every follow of a person as of `at`; how many.
    async fn pause(
        &self,
        platform: &str,
        user: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, FollowsError>;
}
