//! The edit log: every edit made from chat, who made it and the card's text before and after.
//! Edits are only ever added; an undo is a row of its own that names the edit it reverts.
//! `history` and `undo` read it, with or without git. Suggestions live beside it, each decided
//! once (approved, with the edit it became, or rejected).
//!
//! The log is the [`EditStore`] trait, so the desk does not care where it lives: in the state
//! file for one process (`sqlite::edits`), or in the PostgreSQL database replicas share
//! (`postgres::edits`), where the edits made on every replica land in one log, in the order
//! the topic's cluster-wide lock let them in.

use crate::edit::Author;

/// A suggested edit, waiting for a moderator or decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub id: i64,
    /// `position`, `correction`, `event` or `source`.
    pub what: String,
    pub topic: String,
    pub actor: Option<String>,
    /// The card's content hash when the suggestion was made.
    pub base: Option<String>,
    /// The fields, as `Form::to_json` keeps them.
    pub fields: String,
    pub by: Author,
    /// `approved` or `rejected`, once decided.
    pub decision: Option<String>,
}

/// A suggestion as stored, with when it was made and how it was decided: what a copy from one
/// store to another carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuggestionRecord {
    pub suggestion: Suggestion,
    pub at: chrono::DateTime<chrono::Utc>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    /// The edit an approved suggestion became.
    pub edit: Option<i64>,
}

impl SuggestionRecord {
    /// A suggestion made now, not yet decided.
    pub fn new(suggestion: Suggestion) -> SuggestionRecord {
        SuggestionRecord {
            suggestion,
            at: chrono::Utc::now(),
            decided_at: None,
            decided_by: None,
            reason: None,
            edit: None,
        }
    }
}

/// An edit as logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub topic: String,
    /// Relative to the briefings folder.
    pub file: String,
    pub action: String,
    pub summary: String,
    pub by: Author,
    /// The file existed before the edit (an undo of its creation removes it).
    pub existed: bool,
    pub before: String,
    pub after: String,
    pub after_hash: String,
    pub undoes: Option<i64>,
    pub git_commit: Option<String>,
}

/// Everything a log holds, for `dossier state migrate`.
#[derive(Clone, Debug, Default)]
pub struct LogDump {
    pub edits: Vec<Entry>,
    pub suggestions: Vec<SuggestionRecord>,
}

/// How many rows a copy added (rows already in the target are left alone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogLoaded {
    pub edits: u64,
    pub suggestions: u64,
}

/// What went wrong with the edit log: which log, and why.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The log cannot be reached now (a database that is down); edits wait until it is back.
    #[error("the edit log {0} cannot be reached: {1}")]
    Unavailable(String, String),
    /// The log answered with an error, or cannot be opened.
    #[error("the edit log {0}: {1}")]
    Failed(String, String),
}

impl LogError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, LogError::Unavailable(..))
    }
}

/// Where the edits from chat and the members' suggestions are kept.
#[async_trait::async_trait]
pub trait EditStore: Send + Sync {
    /// Where the log is, for the logs and `status` (never a password).
    fn describe(&self) -> String;

    /// Add an edit; its id. Ids only grow: a later edit has a larger id.
    async fn add(&self, e: &Entry) -> Result<i64, LogError>;

    /// The latest edits, newest first; only those of `file` when given.
    async fn recent(&self, file: Option<&str>, n: usize) -> Result<Vec<Entry>, LogError>;

    /// The newest edit that is not an undo and has not been undone.
    async fn last_undoable(&self) -> Result<Option<Entry>, LogError>;

    /// Keep a suggestion, made now; its number.
    async fn suggest(&self, s: &Suggestion) -> Result<i64, LogError>;

    /// How many of `by`'s suggestions wait for a decision.
    async fn pending_from(&self, by: &Author) -> Result<usize, LogError>;

    /// The suggestions waiting for a decision, oldest first, at most `n`, each with when it
    /// was made (RFC 3339); and how many wait.
    async fn pending(&self, n: usize) -> Result<(Vec<(Suggestion, String)>, usize), LogError>;

    async fn suggestion(&self, id: i64) -> Result<Option<Suggestion>, LogError>;

    /// Record a decision on a pending suggestion; false if it was already decided (by anyone,
    /// on any replica: of two moderators deciding at once, one wins).
    async fn decide(
        &self,
        id: i64,
        decision: &str,
        by: &Author,
        reason: Option<&str>,
        edit: Option<i64>,
    ) -> Result<bool, LogError>;

    /// Every row, oldest first.
    async fn dump(&self) -> Result<LogDump, LogError>;

    /// Add a dump's rows with their ids; rows whose id is already there are left as they are,
    /// so loading twice adds nothing. New rows continue after the largest id.
    async fn load(&self, dump: &LogDump) -> Result<LogLoaded, LogError>;
}
