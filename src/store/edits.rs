//! The edit log: every edit made from chat, who made it and the card's text before and after.
//! Edits are only ever added; an undo is a row of its own that names the edit it reverts.
//! `history` and `undo` read it, with or without git. Suggestions live beside it, each decided
//! once (approved, with the edit it became, or rejected).
//!
//! The log is the [`EditStore`] trait, so the desk does not care where it lives: in the state
//! file for one process (`sqlite::edits`), or in the PostgreSQL database replicas share
//! (`postgres::edits`), where the edits made on every replica land in one log, in the order
//! the topic's cluster-wide lock let them in.

use crate::edit::{Action, Author};

/// What an edit in the log did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Logged {
    /// An edit of a card.
    Edit(Action),
    /// The undo of an earlier edit (named by `undoes`).
    Undo,
    /// A topic made from the template.
    NewTopic,
    /// An actor's card made from the template.
    NewActor,
    /// A news feed added to or removed from a topic's `feeds.toml`.
    Feeds,
    /// Snapshots of cited pages kept in a topic's `sources.toml`.
    Snapshots,
}

impl Logged {
    /// As the log keeps it, and `history` says it.
    pub fn name(self) -> &'static str {
        match self {
            Logged::Edit(a) if a.verb == crate::edit::Verb::Correct => "correct position",
            Logged::Edit(a) => a.name(),
            Logged::Undo => "undo",
            Logged::NewTopic => "new topic",
            Logged::NewActor => "new actor",
            Logged::Feeds => "feeds",
            Logged::Snapshots => "snapshots",
        }
    }

    pub fn parse(s: &str) -> Option<Logged> {
        Some(match s {
            "undo" => Logged::Undo,
            "new topic" => Logged::NewTopic,
            "new actor" => Logged::NewActor,
            "feeds" => Logged::Feeds,
            "snapshots" => Logged::Snapshots,
            "correct position" => Logged::Edit(Action {
                kind: crate::edit::form::FormKind::Position,
                verb: crate::edit::Verb::Correct,
            }),
            other => Logged::Edit(Action::parse(other)?),
        })
    }
}

impl std::fmt::Display for Logged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a suggestion was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Approved,
    Rejected,
}

impl Decision {
    /// As the log keeps it, and says it.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        [Decision::Approved, Decision::Rejected]
            .into_iter()
            .find(|d| d.name() == s)
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A suggested edit, waiting for a moderator or decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub id: i64,
    /// What it would do.
    pub what: Action,
    pub topic: String,
    pub actor: Option<String>,
    /// The card's content hash when the suggestion was made.
    pub base: Option<String>,
    /// The fields, as `Form::to_json` keeps them.
    pub fields: String,
    pub by: Author,
    /// Once decided, how.
    pub decision: Option<Decision>,
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
    pub action: Logged,
    pub summary: String,
    pub by: Author,
    /// The file existed before the edit (an undo of its creation removes it).
    pub existed: bool,
    pub before: String,
    pub after: String,
    pub after_hash: String,
    pub undoes: Option<i64>,
    pub git_commit: Option<String>,
    /// The other files the same edit wrote, in the same commit (an approved proposal writes
    /// its sources and its event): undone together with `file`.
    pub also: Vec<FileChange>,
}

/// One more file an edit wrote, beside its `file`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileChange {
    /// Relative to the briefings folder.
    pub file: String,
    pub existed: bool,
    pub before: String,
    pub after: String,
    pub after_hash: String,
}

/// `also` as the log keeps it: JSON, or nothing when there are none.
pub fn also_to_text(also: &[FileChange]) -> Option<String> {
    (!also.is_empty()).then(|| serde_json::to_string(also).unwrap_or_default())
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
        decision: Decision,
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
