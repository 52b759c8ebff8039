//! The edit desk of a running service: the briefings folder it writes to, the git work tree
//! it commits in, the edit log, and one lock per topic so edits to a topic never interleave.
//! What it needs of the rest of the service comes as [`Handles`], lent for one command.

use super::git;
use super::log::{EditLog, Entry, LogError};
use crate::clock::Clock;
use crate::edit::Author;
use crate::reload::Reloader;
use crate::reply::{Line, Reply, ReplyKind};
use crate::service::{Notices, Shelf};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many edits `history` lists.
pub const HISTORY_LEN: usize = 10;

/// How many suggestions one member may have waiting: enough for real use, too few to flood the
/// moderators' channel.
pub const MAX_PENDING_SUGGESTIONS: usize = 5;

/// What the desk uses of the running service for one command: the library's shelf (to find
/// the card an edit names), the day, the default topic, the reloader (an edit is served at
/// once) and the moderators' notices (a member's suggestion).
#[derive(Clone, Copy)]
pub struct Handles<'a> {
    pub shelf: &'a Shelf,
    pub clock: Clock,
    pub default_topic: Option<&'a str>,
    pub reloader: &'a Reloader,
    pub notices: &'a Notices,
}

pub(super) fn user_error(title: impl Into<String>, text: impl Into<String>) -> Reply {
    Reply::new(ReplyKind::UserError, title).summary(Line::new(text))
}

/// The answer where no desk is set up.
pub fn not_set_up() -> Reply {
    user_error(
        "Editing from chat is not set up here",
        "`dossier serve` takes edits from chat when it reads a briefings folder and has a state folder to keep the edit log in.",
    )
}

/// The edit desk of a running service: the briefings folder, the edit log, and one lock per
/// topic.
pub struct Desk {
    pub(super) root: PathBuf,
    /// The git work tree the briefings folder is in, if any: edits are committed there.
    pub(super) git: Option<PathBuf>,
    log: Mutex<EditLog>,
    locks: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
}

impl Desk {
    /// Edit the cards under `root`, logging to `log_path` (`state/edits.sqlite3`).
    pub fn open(root: &Path, log_path: &Path) -> Result<Desk, LogError> {
        let root = crate::reload::absolute(root);
        let git = git::work_tree(&root);
        match &git {
            Some(top) => tracing::info!(
                work_tree = %top.display(),
                "edits from chat are committed to the briefings' git work tree"
            ),
            None => tracing::info!(
                "the briefings folder is not in a git work tree: edits from chat are kept in the edit log"
            ),
        }
        Ok(Desk {
            root,
            git,
            log: Mutex::new(EditLog::open(log_path)?),
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// The edit log; a panic elsewhere while it was held leaves it usable (SQLite keeps it
    /// consistent).
    pub(super) fn log(&self) -> std::sync::MutexGuard<'_, EditLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn lock_for(&self, dir: &Path) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(dir.to_path_buf())
            .or_default()
            .clone()
    }

    pub(super) fn relative(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    }

    /// Which card a request edits.
    pub(super) fn unreadable(&self, file: &Path, e: &std::io::Error) -> Reply {
        tracing::error!(file = %file.display(), error = %e, "cannot read a card to edit");
        user_error(
            "The card could not be read",
            format!(
                "{} could not be read ({e}); the operators have been told.",
                self.relative(file)
            ),
        )
    }

    /// Commit a written card when the briefings are in a git work tree: the commit id, or why
    /// it failed (the card stays written and served either way).
    pub(super) async fn commit(
        &self,
        file: &Path,
        by: &Author,
        subject: String,
        body: String,
        reverts: Option<String>,
    ) -> Option<Result<String, String>> {
        let top = self.git.clone()?;
        let (file, by) = (file.to_path_buf(), by.clone());
        let done = tokio::task::spawn_blocking(move || match reverts {
            Some(id) => git::revert(&top, &file, &by, &id, &subject),
            None => git::commit(&top, &file, &by, &subject, &body),
        })
        .await;
        Some(match done {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "committing an edit from chat failed");
                Err(e.to_string())
            }
            Err(e) => {
                tracing::error!(error = %e, "committing an edit from chat failed");
                Err("the commit did not finish".into())
            }
        })
    }

    pub(super) fn log_entry(&self, entry: &Entry) -> Option<i64> {
        match self.log().add(entry) {
            Ok(id) => Some(id),
            Err(e) => {
                // The card is written and served; only its record is missing.
                tracing::error!(error = %e, file = %entry.file, "could not log an edit");
                None
            }
        }
    }
}
