//! New topics and actor cards from the templates of `crate::edit::new`, for `dossier new` and
//! for moderators in chat (`new topic <id> <title>`, `new actor <id> <name>`). Nothing is ever
//! written over: a topic folder is made under a hidden name and renamed into place, so it
//! appears whole or not at all; an actor card is created only if its file does not exist.
//! From chat, the result is checked with its topic by the rules of `dossier check` (and taken
//! back if it brings an error), committed in git, logged with its author and served by a
//! reload, so `history` lists it and `undo` takes it away again, like any edit.

use super::state::{Desk, Handles, user_error};
use crate::cards::load::{ACTORS_DIR, check_topic};
use crate::commands::command::{NewQuery, NewWhat};
use crate::diag::Report;
use crate::edit::new::{actor_card, name, slug, topic_files};
use crate::edit::{Author, content_hash};
use crate::reload::Trigger;
use crate::reply::{Line, Reply, ReplyKind};
use crate::store::edits::{Entry, Logged};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a new topic or card was not made. Paths are as the caller gave the root.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("{} is not a folder: make it, or name another briefings folder", .0.display())]
    NotAFolder(PathBuf),
    #[error("{} already exists: choose another id, or edit what is there", .0.display())]
    Exists(PathBuf),
    #[error("there is no topic `{topic}` here (no {}): make it first with `new topic {topic} <title>`", .path.display())]
    NoTopic { topic: String, path: PathBuf },
    #[error("{} has no source to cite yet: add one first", .0.display())]
    NoSource(PathBuf),
    #[error("{} does not parse: fix it first (`check` says where)", .0.display())]
    Unparsable(PathBuf),
    #[error("cannot write {path}: {1}", path = .0.display())]
    Io(PathBuf, std::io::Error),
}

/// Make the folder of a new topic `id` under `root`, whole or not at all; its path.
pub fn create_topic(
    root: &Path,
    id: &str,
    title: &str,
    today: chrono::NaiveDate,
) -> Result<PathBuf, CreateError> {
    if !root.is_dir() {
        return Err(CreateError::NotAFolder(root.to_path_buf()));
    }
    let target = root.join(id);
    if target.symlink_metadata().is_ok() {
        return Err(CreateError::Exists(target));
    }
    // Made beside the target under a hidden name (the loader and the watcher skip it), then
    // renamed into place.
    let tmp = root.join(format!(".{id}.dossier-new-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        for (rel, text) in topic_files(id, title, today) {
            let path = tmp.join(&rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, text)?;
        }
        if target.symlink_metadata().is_ok() {
            return Err(std::io::ErrorKind::AlreadyExists.into());
        }
        std::fs::rename(&tmp, &target)
    })();
    match written {
        Ok(()) => Ok(target),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(if e.kind() == std::io::ErrorKind::AlreadyExists {
                CreateError::Exists(target)
            } else {
                CreateError::Io(target, e)
            })
        }
    }
}

/// A new actor card, as written.
pub struct CreatedActor {
    pub path: PathBuf,
    pub text: String,
    /// The source it cites until its authors cite their own: the topic's first.
    pub source: String,
}

/// Write the card of a new actor `id` in the topic folder `dir`, never over an existing one.
pub fn create_actor(
    dir: &Path,
    id: &str,
    actor_name: &str,
    today: chrono::NaiveDate,
) -> Result<CreatedActor, CreateError> {
    let topic_card = dir.join("topic.toml");
    if !topic_card.is_file() {
        return Err(CreateError::NoTopic {
            topic: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: topic_card,
        });
    }
    let source = first_source(dir)?;
    let actors = dir.join(ACTORS_DIR);
    let path = actors.join(format!("{id}.toml"));
    let text = actor_card(id, actor_name, today, &source);
    let written = std::fs::create_dir_all(&actors).and_then(|()| {
        use std::io::Write;
        // `create_new`: an existing card is never overwritten, even by a race.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    match written {
        Ok(()) => Ok(CreatedActor { path, text, source }),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(CreateError::Exists(path)),
        Err(e) => Err(CreateError::Io(path, e)),
    }
}

/// The first source id of a topic's sources card.
fn first_source(dir: &Path) -> Result<String, CreateError> {
    let path = dir.join("sources.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| CreateError::Io(path.clone(), e))?;
    let sources: crate::cards::raw::RawSources =
        toml::from_str(&text).map_err(|_| CreateError::Unparsable(path.clone()))?;
    sources
        .source
        .first()
        .map(|s| s.get_ref().id.get_ref().clone())
        .ok_or(CreateError::NoSource(path))
}

/// Every card file of a topic folder and its text, as one value: what the log keeps of a
/// topic made from chat, and what `undo` compares before taking it away.
pub fn folder_text(dir: &Path) -> std::io::Result<String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                let text = String::from_utf8_lossy(&std::fs::read(&path)?).into_owned();
                files.insert(rel.to_string_lossy().replace('\\', "/"), text);
            }
        }
    }
    Ok(serde_json::to_string_pretty(&files).unwrap_or_default())
}

/// Take a topic folder away at once (renamed out of sight, then deleted), so that neither the
/// loader nor the watcher sees half of it.
pub fn remove_folder(dir: &Path) -> std::io::Result<()> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hidden = dir.with_file_name(format!(".{name}.dossier-undo-{}", std::process::id()));
    std::fs::rename(dir, &hidden)?;
    std::fs::remove_dir_all(&hidden)
}

fn errors_of(report: &Report, root: &Path) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.one_line(root))
        .collect()
}

/// What `new` made, to commit, log and serve.
struct Made<'a> {
    topic: &'a str,
    /// The topic's folder, or the actor's card.
    path: &'a Path,
    action: Logged,
    summary: String,
    /// The card's text, or the folder's as [`folder_text`] gives it.
    after: String,
    by: &'a Author,
}

impl Desk {
    /// Commit what `new` made, log it and reload; the sentence that says so.
    async fn record(&self, h: &Handles<'_>, m: Made<'_>) -> String {
        let file = self.relative(m.path);
        let by = m.by;
        let committed = self
            .commit(
                m.path,
                by,
                format!("{}: {}", m.topic, m.summary),
                format!(
                    "Made from chat by {} ({} {}) from the template of `dossier {}`.\nPath: {file}",
                    by.name,
                    by.platform,
                    by.id,
                    m.action.name()
                ),
                None,
            )
            .await;
        let entry = Entry {
            id: 0,
            at: chrono::Utc::now(),
            topic: m.topic.to_owned(),
            file: file.clone(),
            action: m.action,
            summary: m.summary.clone(),
            by: by.clone(),
            existed: false,
            before: String::new(),
            after_hash: content_hash(&m.after),
            after: m.after,
            undoes: None,
            git_commit: committed.as_ref().and_then(|c| c.clone().ok()),
            also: Vec::new(),
        };
        let n = self.log_entry(&entry).await;
        tracing::info!(file = %file, by = %by.describe(), edit = ?n, "{}", m.summary);
        let record = h.reloader.reload_and_announce(Trigger::Edit).await;
        let shown = if m.action == Logged::NewTopic {
            format!("{file}/")
        } else {
            file
        };
        format!(
            "Written to {shown} by {}{}{}. {}",
            by.name,
            n.map_or(String::new(), |n| format!(
                " (edit #{n}; `undo` takes it away)"
            )),
            super::write::committed_note(committed.as_ref()),
            super::write::reloaded(&record)
        )
    }

    /// `new topic …` and `new actor …` from chat.
    pub async fn new_card(&self, h: &Handles<'_>, q: &NewQuery, by: &Author) -> Reply {
        match q.what {
            NewWhat::Topic => self.new_topic(h, &q.id, &q.name, by).await,
            NewWhat::Actor => self.new_actor(h, q, by).await,
        }
    }

    fn refused(&self, what: &str, why: impl std::fmt::Display) -> Reply {
        let mut why = why.to_string();
        let root = format!("{}/", self.root.display());
        why = why.replace(&root, "");
        user_error(
            format!("The {what} was not made"),
            format!("{why}; nothing was written."),
        )
    }

    async fn new_topic(&self, h: &Handles<'_>, id: &str, title: &str, by: &Author) -> Reply {
        let (id, title) = match (slug(id, "topic"), name(title, "title")) {
            (Ok(i), Ok(t)) => (i, t),
            (Err(e), _) | (_, Err(e)) => return self.refused("topic", e),
        };
        let _held = match self.hold(&self.root.join(&id)).await {
            Ok(h) => h,
            Err(r) => return r,
        };
        let today = h.clock.today();
        let dir = match create_topic(&self.root, &id, &title, today) {
            Ok(d) => d,
            Err(e) => return self.refused("topic", e),
        };
        let checked = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || check_topic(&dir, today).1).await
        };
        let errors = checked
            .as_ref()
            .map(|r| errors_of(r, &self.root))
            .unwrap_or_else(|e| vec![e.to_string()]);
        if !errors.is_empty() {
            // The templates pass the check; this is a bug or a broken disk, not the moderator's.
            tracing::error!(topic = %id, ?errors, "a new topic from the template failed its check");
            let _ = remove_folder(&dir);
            return user_error(
                "The topic was not made",
                "The new cards did not pass the check, so they were taken back; the operators have been told.",
            );
        }
        let written = self
            .record(
                h,
                Made {
                    topic: &id,
                    path: &dir,
                    action: Logged::NewTopic,
                    summary: format!("new topic {id} ({title})"),
                    after: folder_text(&dir).unwrap_or_default(),
                    by,
                },
            )
            .await;
        let mut r =
            Reply::new(ReplyKind::Answer, format!("New topic: {title}")).summary(Line::new(
                format!("{written} It holds examples to replace, and passes the check."),
            ));
        r.bullets(
            "Next",
            vec![
                Line::new(format!(
                    "`topic set {id}` makes it this channel's or room's topic."
                )),
                Line::new(format!(
                    "`edit source topic {id}` adds a source (the examples cite the placeholder `replace-me` until you change them)."
                )),
                Line::new(format!(
                    "`new actor <id> <name> topic {id}` adds an actor; `edit position <actor> topic {id}` gives it a position; `edit event topic {id}` starts the timeline."
                )),
                Line::new(format!(
                    "The bottom line and why it matters are in {id}/topic.toml, edited as a file."
                )),
            ],
        );
        r
    }

    async fn new_actor(&self, h: &Handles<'_>, q: &NewQuery, by: &Author) -> Reply {
        let (id, actor_name) = match (slug(&q.id, "actor"), name(&q.name, "name")) {
            (Ok(i), Ok(n)) => (i, n),
            (Err(e), _) | (_, Err(e)) => return self.refused("actor", e),
        };
        let (topic_id, dir) = match super::target::topic_folder(h, q.topic.as_deref()) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let _held = match self.hold(&dir).await {
            Ok(h) => h,
            Err(r) => return r,
        };
        let today = h.clock.today();
        let check = |dir: PathBuf| async move {
            tokio::task::spawn_blocking(move || check_topic(&dir, today).1)
                .await
                .ok()
        };
        let Some(before) = check(dir.clone()).await else {
            return user_error("The actor was not made", "The topic could not be checked.");
        };
        let created = match create_actor(&dir, &id, &actor_name, today) {
            Ok(c) => c,
            Err(e) => return self.refused("actor", e),
        };
        let Some(with) = check(dir.clone()).await else {
            let _ = std::fs::remove_file(&created.path);
            return user_error("The actor was not made", "The topic could not be checked.");
        };
        let known = errors_of(&before, &self.root);
        let new: Vec<String> = errors_of(&with, &self.root)
            .into_iter()
            .filter(|e| !known.contains(e))
            .collect();
        if !new.is_empty() {
            let _ = std::fs::remove_file(&created.path);
            let mut r = user_error(
                "The actor was not made",
                "The new card would not pass the check with its topic, so it was taken back; nothing was written.",
            );
            r.bullets("Errors", new.into_iter().map(Line::new).collect());
            return r;
        }
        let written = self
            .record(
                h,
                Made {
                    topic: &topic_id,
                    path: &created.path,
                    action: Logged::NewActor,
                    summary: format!("new actor {id} ({actor_name})"),
                    after: created.text,
                    by,
                },
            )
            .await;
        let mut r = Reply::new(ReplyKind::Answer, format!("New actor: {actor_name}")).summary(
            Line::new(format!(
                "{written} Its position is an example citing `{}` until you give it its own.",
                created.source
            )),
        );
        r.bullets(
            "Next",
            vec![
                Line::new(format!(
                    "`edit position {id} topic {topic_id}` gives it its position, from your sources."
                )),
                Line::new(format!(
                    "`edit person {id} topic {topic_id}` adds someone who speaks for it."
                )),
                Line::new(format!(
                    "List it in `main_actors` in {topic_id}/topic.toml to show it in the brief."
                )),
            ],
        );
        r
    }
}

/// What `undo` of a new topic does: the folder taken away, if it is still as it was made.
pub(super) fn undo_new_topic(dir: &Path, made: &Entry) -> Result<String, Reply> {
    let now = folder_text(dir).map_err(|_| {
        user_error(
            "That topic is gone",
            format!(
                "{}/ is no longer there, so there is nothing to undo.",
                made.file
            ),
        )
    })?;
    if content_hash(&now) != made.after_hash {
        return Err(user_error(
            "The topic changed since it was made",
            format!(
                "Cards in {}/ were changed after edit #{} ({}), so taking the topic away would lose that work. Undo those edits first, or remove the folder by hand.",
                made.file, made.id, made.summary
            ),
        ));
    }
    remove_folder(dir).map_err(|e| {
        tracing::error!(folder = %dir.display(), error = %e, "undoing a new topic failed");
        user_error(
            "The undo could not be saved",
            format!("Removing {}/ failed ({e}); nothing was changed.", made.file),
        )
    })?;
    Ok(now)
}
