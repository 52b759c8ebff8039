//! The edit desk of a running service: the briefings folder it writes to, the git work tree
//! it commits in, the edit log, and one lock per topic so edits to a topic never interleave.
//! What it needs of the rest of the service comes as [`Handles`], lent for one command.

use super::git;
use crate::clock::Clock;
use crate::edit::Author;
use crate::reload::Reloader;
use crate::reply::{Line, Reply, ReplyKind};
use crate::service::{Notices, Shelf};
use crate::store::edits::{EditStore, Entry, LogError};
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

/// The answer when the edit log failed: paused while the shared database cannot be reached
/// (nothing to report, it comes back by itself), else an error for the operators.
pub(super) fn log_failed(e: &crate::store::edits::LogError, reading: &str) -> Reply {
    if e.is_unavailable() {
        tracing::warn!(error = %e, "{reading} waits for the database");
        return user_error(
            "Edits are paused for a moment",
            "The edit log is in the database the replicas share, which cannot be reached just now. Nothing was changed; try again in a minute.",
        );
    }
    tracing::error!(error = %e, "{reading} failed");
    user_error(
        "The edit log could not be read",
        "Nothing was changed; the error has been logged for the operators.",
    )
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
    log: Arc<dyn EditStore>,
    /// The newsdesk's proposals, decided here.
    pub(super) news: Option<Arc<dyn crate::store::news::NewsStore>>,
    locks: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
    /// One git command at a time in the work tree: the pull that follows the other replicas
    /// and an edit's own pull, commit or push must not overlap (a pull that sees HEAD move
    /// under it takes the edit's files for local changes and refuses).
    work_tree: tokio::sync::Mutex<()>,
    /// How edits travel to the other replicas, when there are any.
    sharing: Option<Sharing>,
    /// The database the replicas share, whose advisory locks make each topic's edits one at a
    /// time across them (whether the cards travel by git or sit on one shared volume).
    cluster: Option<crate::store::postgres::Database>,
}

/// How edits travel between replicas: the git remote every replica pulls from and pushes to
/// (the shared database's notifications tell the others to pull).
#[derive(Clone, Debug)]
pub struct Sharing {
    pub remote: String,
    /// How long one pull or push may take (`git::NETWORK_DEADLINE` unless a test says less):
    /// the topic is held meanwhile.
    pub deadline: std::time::Duration,
}

/// The notification channel on which a replica says it pushed an edit.
pub const CARDS_CHANNEL: &str = "dossier_cards";

/// How long an edit waits for another replica's edit of the same topic to finish.
const EDIT_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// A topic held for one edit: in this process, and across the replicas when they share.
pub(super) struct Held {
    _local: tokio::sync::OwnedMutexGuard<()>,
    _cluster: Option<crate::service::lease::Exclusive>,
    /// The topic held against other processes on this machine (`serve` and `dossier desk
    /// approve` on one state file): a lock on a file, released when it closes.
    _machine: Option<std::fs::File>,
}

/// Hold the topic folder `dir` against other processes of this machine, waiting at most
/// `wait`: an advisory lock on a file in the temporary folder named after the folder's path.
/// `None` (and a warning) where the system cannot lock files: the process's own lock still
/// holds.
async fn hold_on_machine(
    dir: &Path,
    wait: std::time::Duration,
) -> Result<Option<std::fs::File>, ()> {
    use std::hash::{Hash, Hasher};
    let real = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut h = std::collections::hash_map::DefaultHasher::new();
    real.hash(&mut h);
    let path = std::env::temp_dir().join(format!("dossier-desk-{:016x}.lock", h.finish()));
    let file = match std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot open the desk's lock file; edits are held in this process only");
            return Ok(None);
        }
    };
    let until = tokio::time::Instant::now() + wait;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) if tokio::time::Instant::now() < until => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(()),
            Err(std::fs::TryLockError::Error(e)) => {
                tracing::warn!(file = %path.display(), error = %e, "cannot lock the desk's lock file; edits are held in this process only");
                return Ok(None);
            }
        }
    }
}

impl Desk {
    /// Edit the cards under `root`, logging to the state folder `state`'s file. Blocking:
    /// for a start before the runtime, and the tests.
    pub fn open(root: &Path, state: &Path) -> Result<Desk, LogError> {
        let stores = crate::store::Stores::in_folder(state)
            .map_err(|e| LogError::Failed(state.display().to_string(), e))?;
        Ok(Desk::with_log(root, stores.edits).with_news(stores.news))
    }

    /// Decide the newsdesk's proposals kept in `news`.
    pub fn with_news(mut self, news: Arc<dyn crate::store::news::NewsStore>) -> Desk {
        self.news = Some(news);
        self
    }

    /// Edit the cards under `root`, logging to `log` (a SQLite file, or the database the
    /// replicas share).
    pub fn with_log(root: &Path, log: Arc<dyn EditStore>) -> Desk {
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
        tracing::info!(log = %log.describe(), "edits from chat logged in");
        Desk {
            root,
            git,
            log,
            news: None,
            locks: Mutex::new(HashMap::new()),
            work_tree: tokio::sync::Mutex::new(()),
            sharing: None,
            cluster: None,
        }
    }

    /// Share edits with other replicas through `sharing` (the briefings must be a git work tree).
    pub fn sharing(mut self, sharing: Sharing) -> Result<Desk, String> {
        if self.git.is_none() {
            return Err(format!(
                "`cards_remote` needs the briefings folder {} to be a git clone of that remote",
                self.root.display()
            ));
        }
        self.sharing = Some(sharing);
        Ok(self)
    }

    /// Hold each topic across the replicas sharing `db` while one of them edits it.
    pub fn with_cluster(mut self, db: crate::store::postgres::Database) -> Desk {
        self.cluster = Some(db);
        self
    }

    pub fn shared(&self) -> Option<&Sharing> {
        self.sharing.as_ref()
    }

    /// The database the replicas share, when they do.
    pub fn cluster(&self) -> Option<&crate::store::postgres::Database> {
        self.cluster.as_ref()
    }

    /// The work tree and remote, when edits are shared.
    pub fn remote(&self) -> Option<(PathBuf, String)> {
        Some((self.git.clone()?, self.sharing.as_ref()?.remote.clone()))
    }

    /// How long one pull or push may take.
    pub fn network_deadline(&self) -> std::time::Duration {
        self.sharing
            .as_ref()
            .map_or(git::NETWORK_DEADLINE, |s| s.deadline)
    }

    /// Run `git` (a blocking call) in the work tree, after any other git command of this
    /// process there has finished.
    pub(super) async fn in_work_tree<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        let _turn = self.work_tree.lock().await;
        tokio::task::spawn_blocking(f).await
    }

    /// Hold `dir`'s topic for one edit: here, then across the replicas (when they share a
    /// database), then bring the cards up to date from the remote so the edit applies to what
    /// every replica has. Refused, with what to do, when that cannot be done.
    pub(super) async fn hold(&self, dir: &Path) -> Result<Held, Reply> {
        let local = self.lock_for(dir).lock_owned().await;
        let topic = self.relative(dir);
        let cluster = match &self.cluster {
            Some(db) => match crate::service::lease::exclusive(db, &topic, EDIT_WAIT).await {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::warn!(topic, error = %e, "an edit could not take the topic's lock");
                    return Err(user_error(
                        "Edits are paused for a moment",
                        format!(
                            "The replicas could not agree who edits {topic} now ({e}). Nothing was changed; try again in a minute."
                        ),
                    ));
                }
            },
            None => None,
        };
        // Without a shared database, another process on this machine may write the same cards.
        let machine = if cluster.is_none() {
            match hold_on_machine(dir, EDIT_WAIT).await {
                Ok(f) => f,
                Err(()) => {
                    return Err(user_error(
                        "The topic is being edited",
                        format!(
                            "Another dossier on this machine (a `dossier desk` command, or another `serve`) has been editing {topic} for {} s. Nothing was changed; try again in a minute.",
                            EDIT_WAIT.as_secs()
                        ),
                    ));
                }
            }
        } else {
            None
        };
        if let Some((top, remote)) = self.remote() {
            let deadline = self.network_deadline();
            let pulled = self
                .in_work_tree(move || git::pull(&top, &remote, deadline))
                .await;
            match pulled {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "could not bring the cards up to date before an edit");
                    return Err(user_error(
                        "The cards could not be brought up to date",
                        format!(
                            "Before editing, dossier fetches the other replicas' edits, and that failed ({e}). Nothing was changed; the operators have been told."
                        ),
                    ));
                }
                Err(_) => {
                    return Err(user_error(
                        "The cards could not be brought up to date",
                        "Nothing was changed; try again.",
                    ));
                }
            }
        }
        Ok(Held {
            _local: local,
            _cluster: cluster,
            _machine: machine,
        })
    }

    /// After a commit: push it, and tell the other replicas to pull. A push that fails is
    /// logged; the commit stays here and goes with the next push.
    async fn share(&self) {
        let Some((top, remote)) = self.remote() else {
            return;
        };
        let deadline = self.network_deadline();
        let pushed = self
            .in_work_tree({
                let remote = remote.clone();
                move || git::push(&top, &remote, deadline)
            })
            .await;
        match pushed {
            Ok(Ok(())) => {
                if let Some(db) = &self.cluster {
                    db.notify(CARDS_CHANNEL).await;
                }
            }
            Ok(Err(e)) => {
                tracing::error!(%remote, error = %e, "an edit is committed here but could not be pushed; it goes with the next push")
            }
            Err(e) => tracing::error!(%remote, error = %e, "pushing an edit did not finish"),
        }
    }

    /// The edit log.
    pub(super) fn log(&self) -> &dyn EditStore {
        self.log.as_ref()
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
        self.commit_all(vec![file.to_path_buf()], by, subject, body, reverts)
            .await
    }

    /// [`commit`](Self::commit) of several files in one commit.
    pub(super) async fn commit_all(
        &self,
        files: Vec<PathBuf>,
        by: &Author,
        subject: String,
        body: String,
        reverts: Option<String>,
    ) -> Option<Result<String, String>> {
        let top = self.git.clone()?;
        let by = by.clone();
        let done = self
            .in_work_tree(move || match reverts {
                Some(id) => git::revert(&top, &files, &by, &id, &subject),
                None => git::commit(&top, &files, &by, &subject, &body),
            })
            .await;
        Some(match done {
            Ok(Ok(id)) => {
                self.share().await;
                Ok(id)
            }
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

    /// Undo a written card whose commit was refused: its old text back (or no file, if it was
    /// new), and the work tree's index as it was.
    pub(super) async fn put_back(&self, file: &Path, existed: bool, before: &str) {
        let restored = if existed {
            super::files::write_atomically(file, before)
        } else {
            std::fs::remove_file(file)
        };
        if let Err(e) = restored {
            tracing::error!(file = %file.display(), error = %e, "could not put back a card whose commit was refused");
        }
        if let Some(top) = self.git.clone() {
            let file = file.to_path_buf();
            if let Ok(Err(e)) = self.in_work_tree(move || git::unstage(&top, &file)).await {
                tracing::warn!(error = %e, "could not unstage a card whose commit was refused");
            }
        }
    }

    pub(super) async fn log_entry(&self, entry: &Entry) -> Option<i64> {
        match self.log.add(entry).await {
            Ok(id) => Some(id),
            Err(e) => {
                // The card is written and served; only its record is missing.
                tracing::error!(error = %e, file = %entry.file, "could not log an edit");
                None
            }
        }
    }
}
