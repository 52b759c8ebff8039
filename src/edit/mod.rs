//! Editing cards from chat. A moderator's form (Discord) or `field: value` message (Matrix)
//! becomes a change to one card file: applied with `toml_edit` so the rest of the file keeps
//! its comments and layout (`apply`), checked with the whole topic by the same rules as
//! `dossier check` before anything is written, written atomically, logged with its author
//! (`log`), and followed by a reload. `undo` reverts the newest edit not yet undone, checked
//! the same way; `history` lists the edits. Edits to one topic are serialized; a form opened on
//! a card that changed before it was sent is refused.
//!
//! Platform-neutral: doors turn their input into an [`EditRequest`] and show the [`Reply`].

// A refused edit is a reply to show; it happens once per command, not worth a box.
#![allow(clippy::result_large_err)]

pub mod apply;
pub mod form;
pub mod git;
pub mod log;

use crate::app::App;
use crate::cards::load::check_topic_with;
use crate::commands::Ctx;
use crate::diag::{Diagnostic, Report};
use crate::reply::{Line, Reply, ReplyKind};
use crate::service::Trigger;
use apply::{ApplyError, Change};
use form::{Form, FormKind, Value};
use log::{Author, EditLog, Entry};
use sha2::Digest;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many edits `history` lists.
pub const HISTORY_LEN: usize = 10;

/// How many suggestions one member may have waiting: enough for real use, too few to flood the
/// moderators' channel.
pub const MAX_PENDING_SUGGESTIONS: usize = 5;

/// What a moderator asked to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditRequest {
    pub kind: FormKind,
    /// Correct the latest position in place instead of adding a dated entry.
    pub correct: bool,
    pub topic: Option<String>,
    /// The actor whose position changes (positions only).
    pub actor: Option<String>,
    /// The card's content hash when the form was opened: a changed card refuses the edit.
    pub base: Option<String>,
    /// An existing event, source, expert view or person to change (or remove), named as
    /// [`apply::select`] takes it; `None` adds a new one.
    pub entry: Option<String>,
    /// Remove that entry instead of changing it.
    pub remove: bool,
}

/// Every action an edit can be, by the name the edit log, suggestions and Discord forms keep:
/// its kind, whether it corrects the latest position, whether it works on an existing entry,
/// and whether it removes it.
const ACTIONS: &[(&str, FormKind, bool, bool, bool)] = &[
    ("position", FormKind::Position, false, false, false),
    ("correction", FormKind::Position, true, false, false),
    ("change-position", FormKind::Position, false, true, false),
    ("remove-position", FormKind::Position, false, true, true),
    ("event", FormKind::Event, false, false, false),
    ("change-event", FormKind::Event, false, true, false),
    ("remove-event", FormKind::Event, false, true, true),
    ("source", FormKind::Source, false, false, false),
    ("change-source", FormKind::Source, false, true, false),
    ("remove-source", FormKind::Source, false, true, true),
    ("expert", FormKind::Expert, false, false, false),
    ("change-expert", FormKind::Expert, false, true, false),
    ("remove-expert", FormKind::Expert, false, true, true),
    ("person", FormKind::Person, false, false, false),
    ("change-person", FormKind::Person, false, true, false),
    ("remove-person", FormKind::Person, false, true, true),
];

impl EditRequest {
    /// What the request does, as the edit log and the suggestions name it (see [`ACTIONS`]).
    pub fn action(&self) -> &'static str {
        // Naming an entry of a position history is what corrects it; only an entry is removed.
        let existing = self.entry.is_some();
        let correct = self.correct && !existing;
        let remove = self.remove && existing;
        ACTIONS
            .iter()
            .find(|a| a.1 == self.kind && a.2 == correct && a.3 == existing && a.4 == remove)
            .map_or(self.kind.name(), |a| a.0)
    }

    /// Whether the request works on what is already in the card (so a card changed since the
    /// form opened refuses it).
    fn edits_existing(&self) -> bool {
        self.kind == FormKind::Position || self.entry.is_some()
    }
}

/// The kind, correction, change and removal an action name (see [`EditRequest::action`])
/// stands for.
pub fn parse_action(action: &str) -> Option<(FormKind, bool, bool, bool)> {
    ACTIONS
        .iter()
        .find(|a| a.0 == action)
        .map(|&(_, kind, correct, existing, remove)| (kind, correct, existing, remove))
}

/// The content hash of a card's text, as forms carry it: 16 hex digits of its SHA-256.
pub fn content_hash(text: &str) -> String {
    let d = sha2::Sha256::digest(text.as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The card an edit writes to, and its topic.
#[derive(Clone, Debug)]
pub struct Target {
    pub topic_id: String,
    pub topic_dir: PathBuf,
    /// The card file (absolute).
    pub file: PathBuf,
    /// The actor's display name (positions only).
    pub actor_name: Option<String>,
}

/// A form as it opens: the card's current values and its hash.
#[derive(Clone, Debug)]
pub struct Prefill {
    /// The request as resolved (a person's actor name made whole).
    pub request: EditRequest,
    pub target: Target,
    pub hash: String,
    pub values: Vec<(&'static str, Value)>,
    /// The existing entry the form changes, if it changes one.
    pub entry: Option<apply::Entry>,
}

fn user_error(title: impl Into<String>, text: impl Into<String>) -> Reply {
    Reply::new(ReplyKind::UserError, title).summary(Line::new(text))
}

/// The `edit` line that opens what an edit just wrote, for a door whose forms show only some
/// fields: the latest position of the actor (corrected in place), or the entry as it now is
/// (its key follows its new label). Whether a door shows it is the door's business.
fn more_fields(
    req: &EditRequest,
    target: &Target,
    changed: Option<&apply::Entry>,
    after: &str,
) -> Option<String> {
    let topic = &target.topic_id;
    if req.remove {
        return None;
    }
    let actor = target.file.file_stem()?.to_string_lossy();
    if req.kind == FormKind::Position && changed.is_none() {
        return Some(format!("edit correction {actor} topic {topic}"));
    }
    let now = apply::entries(after, req.kind).ok()?;
    let index = changed.map_or(now.len().checked_sub(1)?, |e| e.index);
    let key = &now.get(index)?.key;
    let actor = if req.kind.of_actor() {
        format!("{actor} ")
    } else {
        String::new()
    };
    Some(format!(
        "edit {} {actor}#{key} topic {topic}",
        req.kind.name()
    ))
}

/// Where an edit was made, as a suggestion or a Discord form keeps it: the actor's id for an
/// edit of an actor's card, then `#key` for an existing entry, space-separated.
pub fn card_ref(target: &Target, kind: FormKind, entry: Option<&apply::Entry>) -> String {
    let actor = target
        .file
        .file_stem()
        .filter(|_| kind.of_actor())
        .map(|s| s.to_string_lossy().into_owned());
    let entry = entry.map(|e| format!("#{}", e.key));
    [actor, entry]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The actor and the entry's `#key` a [`card_ref`] names.
pub fn split_card_ref(r: &str) -> (Option<String>, Option<String>) {
    let mut actor = None;
    let mut entry = None;
    for word in r.split_whitespace() {
        if word.starts_with('#') {
            entry = Some(word.to_owned());
        } else {
            actor = Some(word.to_owned());
        }
    }
    (actor, entry)
}

/// The reply when a selector names no entry, or several, or one that changed since a form
/// named it.
fn not_found(kind: FormKind, e: ApplyError) -> Reply {
    let title = match &e {
        ApplyError::Ambiguous { .. } => format!("Which {}?", kind.name()),
        ApplyError::NoEntry { .. } => format!("No such {}", kind.name()),
        ApplyError::EntryGone { .. } => format!("That {} changed", kind.name()),
        _ => "This card cannot be edited from chat".into(),
    };
    let how = match kind {
        FormKind::Event => {
            "Name an event by its date and words of its title, e.g. `edit event 2026-02-06 muscat`; `timeline` lists them."
        }
        FormKind::Expert => {
            "Name an expert view by its id or words of the expert's name, e.g. `edit expert trita-parsi`; `experts` lists them."
        }
        FormKind::Person => {
            "Name a person by the actor and words of their name, e.g. `edit person iran araghchi`; `position <actor>` lists the people."
        }
        FormKind::Position => {
            "Name an entry of the history by the actor and its date, e.g. `edit correction iran 2026-03-12`; `position <actor>` lists them under \"How it changed\"."
        }
        _ => {
            "Name a source by its id, e.g. `edit source dawn-muscat-dialogue`; `sources` lists them."
        }
    };
    let mut text = e.to_string();
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    user_error(title, format!("{text}. {how}"))
}

/// The edit desk of a running service: the briefings folder, the edit log, and one lock per
/// topic.
pub struct Desk {
    root: PathBuf,
    /// The git work tree the briefings folder is in, if any: edits are committed there.
    git: Option<PathBuf>,
    log: Mutex<EditLog>,
    locks: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
}

impl Desk {
    /// Edit the cards under `root`, logging to `log_path` (`state/edits.sqlite3`).
    pub fn open(root: &Path, log_path: &Path) -> Result<Desk, log::LogError> {
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
    fn log(&self) -> std::sync::MutexGuard<'_, EditLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_for(&self, dir: &Path) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(dir.to_path_buf())
            .or_default()
            .clone()
    }

    fn relative(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    }

    /// Which card a request edits.
    pub fn target(&self, app: &App, req: &EditRequest) -> Result<Target, Reply> {
        let lib = app.snapshot();
        let ctx = Ctx {
            library: &lib,
            today: app.clock.today(),
            default_topic: app.default_topic.as_deref(),
            service: None,
        };
        let t = ctx.topic(req.topic.as_deref())?;
        let topic = lib.topic(t);
        // Cards are edited where they are read from; the topic's folder is under our root.
        let dir = topic.dir.clone();
        let (file, actor_name) = match req.kind {
            kind if kind.of_actor() => {
                let Some(name) = req.actor.as_deref() else {
                    return Err(user_error(
                        "Which actor?",
                        if kind == FormKind::Person {
                            "Name the actor whose card the person is on, e.g. `edit person iran`."
                        } else {
                            "Name the actor whose position changes, e.g. `edit position iran`."
                        },
                    ));
                };
                let actor = ctx.actor(t, name)?;
                (
                    dir.join(crate::cards::load::ACTORS_DIR)
                        .join(format!("{}.toml", actor.id)),
                    Some(actor.name.clone()),
                )
            }
            kind => (dir.join(kind.card().unwrap_or_default()), None),
        };
        Ok(Target {
            topic_id: topic.id.clone(),
            topic_dir: dir,
            file,
            actor_name,
        })
    }

    /// The request and the card it edits. A person is named after the actor, so an actor's
    /// name of several words runs into the person's (`person united states rubio`): when the
    /// first word names no actor, up to four more are tried as part of its name.
    fn resolve(&self, app: &App, req: &EditRequest) -> Result<(EditRequest, Target), Reply> {
        let first = match self.target(app, req) {
            Ok(t) => return Ok((req.clone(), t)),
            Err(r) => r,
        };
        let (FormKind::Person, Some(actor), Some(rest)) = (req.kind, &req.actor, &req.entry) else {
            return Err(first);
        };
        let words: Vec<&str> = rest.split_whitespace().take(5).collect();
        for k in 1..=words.len().min(4) {
            let mut r = req.clone();
            r.actor = Some(format!("{actor} {}", words[..k].join(" ")));
            let left: Vec<&str> = rest.split_whitespace().skip(k).collect();
            r.entry = (!left.is_empty()).then(|| left.join(" "));
            if r.entry.is_none() && r.remove {
                continue;
            }
            if let Ok(t) = self.target(app, &r) {
                return Ok((r, t));
            }
        }
        Err(first)
    }

    /// What a form opens with: the latest position for a position edit (nothing for a new
    /// event or source), and the card's hash.
    pub fn prefill(&self, app: &App, req: &EditRequest) -> Result<Prefill, Reply> {
        let (req, target) = self.resolve(app, req)?;
        let req = &req;
        let text = read_card(&target.file).map_err(|e| self.unreadable(&target.file, &e))?;
        let cannot =
            |e: ApplyError| user_error("This card cannot be edited from chat", e.to_string());
        let (values, entry) = match (req.kind, &req.entry) {
            (FormKind::Position, None) => (
                apply::latest_position(&text)
                    .map_err(cannot)?
                    .unwrap_or_default(),
                None,
            ),
            (kind, Some(selector)) => {
                let e = apply::select(&text, kind, selector).map_err(|e| not_found(kind, e))?;
                (e.values.clone(), Some(e))
            }
            (_, None) => (Vec::new(), None),
        };
        Ok(Prefill {
            request: req.clone(),
            target,
            hash: content_hash(&text),
            values,
            entry,
        })
    }

    fn unreadable(&self, file: &Path, e: &std::io::Error) -> Reply {
        tracing::error!(file = %file.display(), error = %e, "cannot read a card to edit");
        user_error(
            "The card could not be read",
            format!(
                "{} could not be read ({e}); the operators have been told.",
                self.relative(file)
            ),
        )
    }

    /// Apply an edit: check, write, log, reload; the reply says what changed or what to fix.
    pub async fn apply(&self, app: &App, req: &EditRequest, form: &Form, by: &Author) -> Reply {
        self.apply_inner(app, req, form, by, None).await.0
    }

    /// `apply`, crediting the member who suggested the edit, if any; also the edit's number in
    /// the log.
    async fn apply_inner(
        &self,
        app: &App,
        req: &EditRequest,
        form: &Form,
        by: &Author,
        suggested_by: Option<&Author>,
    ) -> (Reply, Option<i64>) {
        macro_rules! refuse {
            ($e:expr) => {
                return ($e, None)
            };
        }
        let (req, target) = match self.resolve(app, req) {
            Ok(t) => t,
            Err(r) => refuse!(r),
        };
        let req = &req;
        let lock = self.lock_for(&target.topic_dir);
        let _held = lock.lock().await;
        let existed = target.file.exists();
        let before = match read_card(&target.file) {
            Ok(t) => t,
            Err(e) => refuse!(self.unreadable(&target.file, &e)),
        };
        if req.edits_existing()
            && let Some(base) = &req.base
            && *base != content_hash(&before)
        {
            let mut r = user_error(
                "The card changed since you opened it",
                format!(
                    "Someone saved {} after your form opened, so your edit was not written. {}",
                    self.relative(&target.file),
                    if req.kind == FormKind::Position {
                        "Here is its position now; open the form again to edit it."
                    } else {
                        "Open the form again to see it as it is now."
                    }
                ),
            );
            if req.kind == FormKind::Position
                && let Ok(Some(values)) = apply::latest_position(&before)
            {
                r.section(
                    "Current position",
                    crate::reply::Block::Text(Line::new(form::render_form(
                        FormKind::Position,
                        &values,
                    ))),
                );
            }
            refuse!(r);
        }
        let (applied, changed) = match self.applied(app, req, form, &target, &before).await {
            Ok(a) => a,
            Err(r) => refuse!(r),
        };
        if let Err(e) = write_atomically(&target.file, &applied.text) {
            tracing::error!(file = %target.file.display(), error = %e, "writing an edited card failed");
            refuse!(user_error(
                "The edit could not be saved",
                format!(
                    "Writing {} failed ({e}); nothing was changed.",
                    self.relative(&target.file)
                ),
            ));
        }
        let action = match req.action() {
            "correction" => "correct position",
            a => a,
        };
        let card = target
            .actor_name
            .clone()
            .unwrap_or_else(|| req.kind.card_name().into());
        let what = match &changed {
            Some(e) => format!("{card} ({})", crate::text::truncate_words(&e.label, 60)),
            None => card.clone(),
        };
        let fields: Vec<&str> = applied.changes.iter().map(|c| c.label).collect();
        let credit = suggested_by.map_or(String::new(), |s| {
            format!(", suggested by {} ({})", s.name, s.platform)
        });
        let summary = format!("{what}: {} ({action}{credit})", fields.join(", "));
        let committed = self
            .commit(
                &target.file,
                by,
                format!("{}: {summary}", target.topic_id),
                format!(
                    "Edited from chat by {} ({} {}).\nCard: {}\nFields: {}{}",
                    by.name,
                    by.platform,
                    by.id,
                    self.relative(&target.file),
                    fields.join(", "),
                    suggested_by.map_or(String::new(), |s| format!(
                        "\n\nSuggested-by: {} {} ({})",
                        s.platform,
                        git::clean(&s.id),
                        git::clean(&s.name)
                    ))
                ),
                None,
            )
            .await;
        let entry = Entry {
            id: 0,
            at: chrono::Utc::now(),
            topic: target.topic_id.clone(),
            file: self.relative(&target.file),
            action: action.into(),
            summary: summary.clone(),
            by: by.clone(),
            existed,
            before,
            after: applied.text.clone(),
            after_hash: content_hash(&applied.text),
            undoes: None,
            git_commit: committed.as_ref().and_then(|c| c.clone().ok()),
        };
        let id = self.log_entry(&entry);
        tracing::info!(file = %entry.file, by = %by.describe(), edit = ?id, "{summary}");
        let record = app.reload_and_announce(Trigger::Edit).await;
        let when = changed
            .as_ref()
            .and_then(|e| e.label.split(' ').next())
            .unwrap_or_default();
        let title = match req.action() {
            "change-position" => format!("{card}'s position of {when} corrected"),
            "remove-position" => format!("{card}'s position of {when} removed"),
            "correction" => format!("{what}'s latest position corrected"),
            "position" => format!("{what}'s position: a new entry"),
            "event" => "Event added to the timeline".into(),
            "expert" => "Expert view added".into(),
            "change-expert" => "Expert view changed".into(),
            "remove-expert" => "Expert view removed".into(),
            "person" => format!("Person added to {card}'s card"),
            "change-person" => format!("Person changed on {card}'s card"),
            "remove-person" => format!("Person removed from {card}'s card"),
            "change-event" => "Event changed".into(),
            "remove-event" => "Event removed from the timeline".into(),
            "change-source" => "Source changed".into(),
            "remove-source" => "Source removed".into(),
            _ => "Source added".into(),
        };
        let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(format!(
            "Written to {} by {}{}{}. {}",
            entry.file,
            by.name,
            id.map_or(String::new(), |n| format!(
                " (edit #{n}; `undo` reverts it)"
            )),
            committed_note(committed.as_ref()),
            reloaded(&record)
        )));
        r.bullets("What changed", change_lines(&applied.changes));
        r.more_fields = more_fields(req, &target, changed.as_ref(), &applied.text);
        (r, id)
    }

    /// The card's text with the form applied, checked with the whole topic, and the existing
    /// entry it changed or removed; or the reply that says why not.
    async fn applied(
        &self,
        app: &App,
        req: &EditRequest,
        form: &Form,
        target: &Target,
        before: &str,
    ) -> Result<(apply::Applied, Option<apply::Entry>), Reply> {
        let today = app.clock.today().format("%Y-%m-%d").to_string();
        let refused = |e: ApplyError| match e {
            ApplyError::NoChange => user_error("Nothing to change", e.to_string()),
            e => user_error("The edit was not written", e.to_string()),
        };
        let (applied, entry) = match (req.kind, &req.entry) {
            (FormKind::Position, None) => (
                apply::position(before, form, req.correct, &today).map_err(refused)?,
                None,
            ),
            (kind, Some(selector)) => {
                let e = apply::select(before, kind, selector).map_err(|e| not_found(kind, e))?;
                let a = if req.remove {
                    apply::remove(before, kind, &e)
                } else {
                    apply::amend(before, kind, e.index, form)
                }
                .map_err(refused)?;
                (a, Some(e))
            }
            (kind, None) => (
                apply::append(before, kind, form, &today).map_err(refused)?,
                None,
            ),
        };
        self.check(app, target, before, &applied.text).await?;
        Ok((applied, entry))
    }

    /// Check the topic with `after` in place of the card; `Err` with the reply when the edit
    /// brings errors the cards on disk do not have.
    async fn check(
        &self,
        app: &App,
        target: &Target,
        before: &str,
        after: &str,
    ) -> Result<(), Reply> {
        let today = app.clock.today();
        let (dir, file, before, after) = (
            target.topic_dir.clone(),
            target.file.clone(),
            before.to_owned(),
            after.to_owned(),
        );
        let checked = tokio::task::spawn_blocking(move || {
            let (_, with) = check_topic_with(&dir, today, &file, after);
            if !with.has_errors() {
                return Ok(());
            }
            // Errors the topic already had are not this edit's.
            let (_, without) = check_topic_with(&dir, today, &file, before);
            let known: std::collections::HashSet<(String, String)> = without
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(identity)
                .collect();
            let mut new = Report::default();
            for d in with.diagnostics {
                if d.is_error() && !known.contains(&identity(&d)) {
                    new.push(d);
                }
            }
            if new.has_errors() { Err(new) } else { Ok(()) }
        })
        .await;
        match checked {
            Ok(Ok(())) => Ok(()),
            Ok(Err(report)) => {
                let mut r = Reply::new(
                    ReplyKind::UserError,
                    format!(
                        "The edit was not written: {} error{}",
                        report.errors(),
                        if report.errors() == 1 { "" } else { "s" }
                    ),
                )
                .summary(Line::new(
                    "Nothing was changed. The card as it would be after your edit fails the same checks as `dossier check`; fix these fields and send the edit again.",
                ));
                crate::reload::diagnostics_sections(&mut r, &report, &self.root);
                r.sections.retain(|s| s.heading != "Warnings");
                Err(r)
            }
            Err(e) => {
                tracing::error!(error = %e, "checking an edit failed");
                Err(user_error(
                    "The edit could not be checked",
                    "Nothing was changed; the error has been logged for the operators.",
                ))
            }
        }
    }

    /// Commit a written card when the briefings are in a git work tree: the commit id, or why
    /// it failed (the card stays written and served either way).
    async fn commit(
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

    fn log_entry(&self, entry: &Entry) -> Option<i64> {
        match self.log().add(entry) {
            Ok(id) => Some(id),
            Err(e) => {
                // The card is written and served; only its record is missing.
                tracing::error!(error = %e, file = %entry.file, "could not log an edit");
                None
            }
        }
    }

    /// Revert the newest edit from chat that is not yet undone: the asker's own, or anyone's
    /// when `admin`.
    pub async fn undo(&self, app: &App, by: &Author, admin: bool) -> Reply {
        let last = self.log().last_undoable();
        let edit = match last {
            Ok(Some(e)) => e,
            Ok(None) => {
                return user_error("Nothing to undo", "No edit made from chat is left to undo.");
            }
            Err(e) => {
                tracing::error!(error = %e, "reading the edit log failed");
                return user_error(
                    "The edit log could not be read",
                    "Nothing was changed; the error has been logged for the operators.",
                );
            }
        };
        if !admin && (edit.by.platform != by.platform || edit.by.id != by.id) {
            return user_error(
                "That edit is someone else's",
                format!(
                    "The last edit (#{}, {}) was made by {}. Moderators undo their own edits; undoing another's needs a higher permission (Administrator on Discord, power level 100 on Matrix).",
                    edit.id, edit.summary, edit.by.name
                ),
            );
        }
        let file = self.root.join(&edit.file);
        let dir = file
            .ancestors()
            .find(|a| a.parent() == Some(self.root.as_path()))
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        let lock = self.lock_for(&dir);
        let _held = lock.lock().await;
        let current = read_card(&file).unwrap_or_default();
        if content_hash(&current) != edit.after_hash {
            return user_error(
                "The card changed since that edit",
                format!(
                    "{} was changed after edit #{} ({}), by hand or by another edit, so undoing it would lose that change. Edit the card instead.",
                    edit.file, edit.id, edit.summary
                ),
            );
        }
        let target = Target {
            topic_id: edit.topic.clone(),
            topic_dir: dir,
            file: file.clone(),
            actor_name: None,
        };
        if edit.existed
            && let Err(r) = self.check(app, &target, &current, &edit.before).await
        {
            return r;
        }
        let written = if edit.existed {
            write_atomically(&file, &edit.before)
        } else {
            std::fs::remove_file(&file)
        };
        if let Err(e) = written {
            tracing::error!(file = %file.display(), error = %e, "undoing an edit failed");
            return user_error(
                "The undo could not be saved",
                format!("Writing {} failed ({e}); nothing was changed.", edit.file),
            );
        }
        let summary = format!("undo #{}: {}", edit.id, edit.summary);
        let committed = self
            .commit(
                &file,
                by,
                format!("{}: {}", edit.topic, edit.summary),
                String::new(),
                Some(
                    edit.git_commit
                        .clone()
                        .unwrap_or_else(|| format!("(edit #{}, not committed)", edit.id)),
                ),
            )
            .await;
        let entry = Entry {
            id: 0,
            at: chrono::Utc::now(),
            topic: edit.topic.clone(),
            file: edit.file.clone(),
            action: "undo".into(),
            summary: summary.clone(),
            by: by.clone(),
            existed: true,
            before: current,
            after: edit.before.clone(),
            after_hash: content_hash(&edit.before),
            undoes: Some(edit.id),
            git_commit: committed.as_ref().and_then(|c| c.clone().ok()),
        };
        let id = self.log_entry(&entry);
        tracing::info!(file = %entry.file, by = %by.describe(), edit = ?id, "{summary}");
        let record = app.reload_and_announce(Trigger::Edit).await;
        Reply::new(ReplyKind::Answer, format!("Edit #{} undone", edit.id)).summary(Line::new(
            format!(
                "{} is back as it was before {} made that edit ({}){}. {}",
                edit.file,
                edit.by.name,
                edit.summary,
                committed_note(committed.as_ref()),
                reloaded(&record)
            ),
        ))
    }

    /// The latest edits from chat, of one card when `card` names an actor, `timeline` or
    /// `sources`.
    pub fn history(&self, app: &App, topic: Option<&str>, card: Option<&str>) -> Reply {
        let file = match card {
            None => None,
            Some(c) => {
                let kind = match c.to_ascii_lowercase().as_str() {
                    "timeline" | "events" | "event" => FormKind::Event,
                    "sources" | "source" => FormKind::Source,
                    "experts" | "expert" | "views" => FormKind::Expert,
                    _ => FormKind::Position,
                };
                let req = EditRequest {
                    kind,
                    correct: false,
                    topic: topic.map(str::to_owned),
                    actor: Some(c.to_owned()),
                    base: None,
                    entry: None,
                    remove: false,
                };
                match self.target(app, &req) {
                    Ok(t) => Some(self.relative(&t.file)),
                    Err(r) => return r,
                }
            }
        };
        let rows = self.log().recent(file.as_deref(), HISTORY_LEN);
        let rows = match rows {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "reading the edit log failed");
                return user_error(
                    "The edit log could not be read",
                    "The error has been logged for the operators.",
                );
            }
        };
        let title = match &file {
            Some(f) => format!("Edits from chat to {f}"),
            None => "Edits from chat".into(),
        };
        if rows.is_empty() {
            return Reply::new(ReplyKind::Answer, title).summary(Line::new(
                "No edits have been made from chat yet. Moderators can use `edit position <actor>`, `edit event` and `edit source`.",
            ));
        }
        let undone: std::collections::HashSet<i64> = rows.iter().filter_map(|r| r.undoes).collect();
        let lines = rows
            .iter()
            .map(|e| {
                let mark = if undone.contains(&e.id) {
                    " (undone)"
                } else {
                    ""
                };
                let commit = e.git_commit.as_deref().map_or(String::new(), |c| {
                    format!(", commit {}", &c[..c.len().min(10)])
                });
                Line::new(format!(
                    "{} by {} ({}): {}{mark}{commit}",
                    e.at.format("%Y-%m-%d %H:%M UTC"),
                    e.by.name,
                    e.by.platform,
                    e.summary
                ))
                .label(format!("#{}", e.id))
            })
            .collect();
        let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(format!(
            "The last {} edit{}, newest first; `undo` reverts the newest not yet undone.",
            rows.len(),
            if rows.len() == 1 { "" } else { "s" }
        )));
        r.bullets("Edits", lines);
        r
    }
}

impl Desk {
    /// Keep a member's suggested edit and put it before the moderators. It is checked first,
    /// so a suggestion that could never be approved is refused at once with the diagnostics.
    pub async fn suggest(&self, app: &App, req: &EditRequest, form: &Form, by: &Author) -> Reply {
        let pending = self.log().pending_from(by);
        if pending.is_ok_and(|n| n >= MAX_PENDING_SUGGESTIONS) {
            return user_error(
                "Your suggestions are waiting",
                format!(
                    "You have {MAX_PENDING_SUGGESTIONS} suggestions the moderators have not decided yet; send more once they have."
                ),
            );
        }
        let (req, target) = match self.resolve(app, req) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let req = &req;
        let before = match read_card(&target.file) {
            Ok(t) => t,
            Err(e) => return self.unreadable(&target.file, &e),
        };
        let (applied, changed) = match self.applied(app, req, form, &target, &before).await {
            Ok(a) => a,
            Err(mut r) => {
                r.title = r
                    .title
                    .replace("The edit was not written", "The suggestion was not sent");
                return r;
            }
        };
        let suggestion = log::Suggestion {
            id: 0,
            what: req.action().into(),
            topic: target.topic_id.clone(),
            // The actor's card, and the existing entry by its key.
            actor: Some(card_ref(&target, req.kind, changed.as_ref())).filter(|r| !r.is_empty()),
            base: req.edits_existing().then(|| content_hash(&before)),
            fields: form.to_json(),
            by: by.clone(),
            decision: None,
        };
        let id = match self.log().suggest(&suggestion) {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(error = %e, "keeping a suggestion failed");
                return user_error(
                    "The suggestion could not be kept",
                    "The error has been logged for the operators.",
                );
            }
        };
        let card = match (&target.actor_name, req.kind) {
            (Some(a), FormKind::Position) => format!("{a}'s position"),
            (Some(a), _) => format!("{a}'s people"),
            (None, kind) => format!("the {}", kind.card_name()),
        };
        let card = match &changed {
            Some(e) => format!(
                "{card} ({} {})",
                if req.remove { "remove" } else { "change" },
                crate::text::truncate_words(&e.label, 60)
            ),
            None => card,
        };
        let changes = change_lines(&applied.changes);
        let detail: String = changes
            .iter()
            .map(|l| format!("{}: {}\n", l.label.as_deref().unwrap_or(""), l.text))
            .collect();
        app.notify(crate::service::Notice {
            kind: crate::service::NoticeKind::Suggestion(id),
            title: format!(
                "Suggestion #{id} from {} ({}): {card}",
                by.name, by.platform
            ),
            detail: format!(
                "{detail}\nApprove with `approve {id}` (on Discord, the button), or reject with `reject {id}`."
            ),
        });
        tracing::info!(suggestion = id, by = %by.describe(), "a suggested edit to {card}");
        let mut r = Reply::new(ReplyKind::Answer, format!("Suggestion #{id} sent to the moderators"))
            .summary(Line::new(format!(
                "Thank you. A moderator will approve or reject your change to {card}; nothing changes until then."
            )));
        r.bullets("Your change", changes);
        r.private = true;
        r
    }

    /// `suggestions`: what waits for a decision, oldest first.
    pub fn pending(&self) -> Reply {
        let found = self.log().pending(HISTORY_LEN);
        let (rows, total) = match found {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "reading the suggestions failed");
                return user_error(
                    "The suggestions could not be read",
                    "The error has been logged for the operators.",
                );
            }
        };
        if rows.is_empty() {
            return Reply::new(ReplyKind::Answer, "No suggestions waiting").summary(Line::new(
                "Members' suggested edits appear here, and in the moderators' channel or room, until someone approves or rejects them.",
            ));
        }
        let lines = rows
            .iter()
            .map(|(s, at)| {
                let kind = parse_action(&s.what).map_or(FormKind::Position, |a| a.0);
                let form = Form::from_json(kind, &s.fields);
                let fields: Vec<&str> = form.values.iter().map(|(f, _)| f.label).collect();
                let what = match &s.actor {
                    Some(a) => format!("{} {a}", s.what),
                    None => s.what.clone(),
                };
                Line::new(format!(
                    "{what} ({}) from {} ({}), {}",
                    fields.join(", "),
                    s.by.name,
                    s.by.platform,
                    at.get(..10).unwrap_or(at)
                ))
                .label(format!("#{}", s.id))
            })
            .collect();
        let mut r = Reply::new(
            ReplyKind::Answer,
            format!("{total} suggestion{} waiting", if total == 1 { "" } else { "s" }),
        )
        .summary(Line::new(
            "Oldest first. `approve N` applies one (checked like an edit), `reject N [reason …]` turns it down.",
        ));
        r.bullets("Waiting", lines);
        r
    }

    /// Approve (apply, credited to both) or reject a suggestion.
    pub async fn decide(
        &self,
        app: &App,
        id: i64,
        approve: bool,
        reason: Option<&str>,
        by: &Author,
    ) -> Reply {
        let found = self.log().suggestion(id);
        let s = match found {
            Ok(Some(s)) => s,
            Ok(None) => {
                return user_error(
                    "No such suggestion",
                    format!("There is no suggestion #{id}."),
                );
            }
            Err(e) => {
                tracing::error!(error = %e, "reading a suggestion failed");
                return user_error(
                    "The suggestion could not be read",
                    "The error has been logged for the operators.",
                );
            }
        };
        if let Some(d) = &s.decision {
            return user_error(
                format!("Suggestion #{id} was already {d}"),
                "Each suggestion is decided once.",
            );
        }
        let record =
            |decision: &str, edit: Option<i64>| self.log().decide(id, decision, by, reason, edit);
        if !approve {
            return match record("rejected", None) {
                Ok(true) => Reply::new(ReplyKind::Answer, format!("Suggestion #{id} rejected"))
                    .summary(Line::new(format!(
                        "{}'s suggestion was turned down by {}{}. Nothing was changed.",
                        s.by.name,
                        by.name,
                        reason.map_or(String::new(), |r| format!(": {r}"))
                    ))),
                Ok(false) => user_error(
                    format!("Suggestion #{id} was already decided"),
                    "Each suggestion is decided once.",
                ),
                Err(e) => {
                    tracing::error!(error = %e, "recording a decision failed");
                    user_error(
                        "The decision could not be recorded",
                        "The error has been logged for the operators.",
                    )
                }
            };
        }
        let (kind, correct, existing, remove) =
            parse_action(&s.what).unwrap_or((FormKind::Position, false, false, false));
        let (actor, entry) = split_card_ref(s.actor.as_deref().unwrap_or_default());
        let req = EditRequest {
            kind,
            correct,
            topic: Some(s.topic.clone()),
            actor,
            base: s.base.clone(),
            entry: entry.filter(|_| existing),
            remove,
        };
        let form = Form::from_json(kind, &s.fields);
        let (mut r, edit) = self.apply_inner(app, &req, &form, by, Some(&s.by)).await;
        if r.is_user_error() {
            r.title = format!("Suggestion #{id} could not be applied: {}", r.title);
            return r;
        }
        if let Err(e) = record("approved", edit) {
            tracing::error!(error = %e, "recording a decision failed");
        }
        r.title = format!("Suggestion #{id} approved: {}", r.title);
        if let Some(sum) = &mut r.summary {
            sum.text = format!(
                "Suggested by {} ({}). {}",
                s.by.name, s.by.platform, sum.text
            );
        }
        r
    }
}

fn identity(d: &Diagnostic) -> (String, String) {
    (d.path.to_string_lossy().into_owned(), d.message.clone())
}

fn reloaded(record: &crate::service::ReloadRecord) -> String {
    use crate::service::ReloadOutcome;
    match &record.outcome {
        ReloadOutcome::Loaded { topics, cards, .. } => format!(
            "Reloaded: every door now answers from {topics} topic{} ({cards} card files).",
            if *topics == 1 { "" } else { "s" }
        ),
        ReloadOutcome::Failed { errors, .. } => format!(
            "The reload found {errors} error{} elsewhere in the cards, so users still see the last good set; `check` lists them.",
            if *errors == 1 { "" } else { "s" }
        ),
        ReloadOutcome::Unreadable(why) => format!("The reload failed: {why}."),
    }
}

fn committed_note(c: Option<&Result<String, String>>) -> String {
    match c {
        None => String::new(),
        Some(Ok(id)) => format!("; git commit {}", &id[..id.len().min(10)]),
        Some(Err(e)) => format!(
            "; the card is saved, but committing it to git failed ({}), so the operators must commit it",
            crate::text::truncate_words(e, 200)
        ),
    }
}

fn change_lines(changes: &[Change]) -> Vec<Line> {
    const MAX: usize = 300;
    let short = |s: &str| crate::text::truncate_words(&s.replace('\n', "; "), MAX);
    changes
        .iter()
        .map(|c| {
            let text = match &c.before {
                Some(b) if !b.is_empty() => format!("{} → {}", short(b), short(&c.after)),
                _ => short(&c.after),
            };
            Line::new(text).label(c.label)
        })
        .collect()
}

/// A card's text; an absent card reads as empty (a timeline not written yet).
fn read_card(path: &Path) -> std::io::Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e),
    }
}

/// Write `text` to `path` so that a reader sees the old file or the new one, never half:
/// a hidden temporary file in the same folder (the watcher ignores it), flushed to disk, then
/// renamed over the card, and the folder flushed.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.dossier-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            let _ = f.set_permissions(meta.permissions());
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn desk(app: &App) -> Result<&Desk, Reply> {
    app.desk.as_deref().ok_or_else(|| {
        user_error(
            "Editing from chat is not set up here",
            "`dossier serve` takes edits from chat when it reads a briefings folder and has a state folder to keep the edit log in.",
        )
    })
}

fn author(asker: &crate::service::Asker) -> Author {
    asker.author.clone().unwrap_or_else(|| {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Author {
            platform: asker.platform.name().into(),
            id: user.clone(),
            name: user,
        }
    })
}

/// What a form (a Discord modal) opens with.
pub fn prefill(app: &App, req: &EditRequest) -> Result<Prefill, Reply> {
    desk(app)?.prefill(app, req)
}

/// A form filled in on a platform (a Discord modal): applied as `edit` with fields does, or,
/// when `suggest`, kept for the moderators as `suggest` does.
pub async fn submit_form(
    app: &App,
    req: &EditRequest,
    form: &Form,
    asker: &crate::service::Asker,
    suggest: bool,
) -> Reply {
    let started = std::time::Instant::now();
    let reply = match desk(app) {
        Ok(d) if suggest => d.suggest(app, req, form, &author(asker)).await,
        Ok(d) => d.apply(app, req, form, &author(asker)).await,
        Err(r) => r,
    };
    let outcome = if reply.is_user_error() {
        "user_error"
    } else {
        "answer"
    };
    let name = if suggest { "suggest" } else { "edit" };
    app.metrics.command(name, asker.platform.name(), outcome);
    app.metrics
        .answered_in(asker.platform.name(), started.elapsed());
    reply
}

/// Answer `edit`, `history` and `undo` for a door.
pub async fn respond(
    app: &App,
    cmd: &crate::commands::Command,
    asker: &crate::service::Asker,
) -> Reply {
    use crate::commands::Command;
    let desk = match desk(app) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let by = author(asker);
    match cmd {
        Command::Edit(q) => match q.fields.as_deref().map(str::trim) {
            _ if q.request.remove => desk.apply(app, &q.request, &Form::default(), &by).await,
            Some(text) if !text.is_empty() => match form::parse_form(q.request.kind, text) {
                Ok(form) => desk.apply(app, &q.request, &form, &by).await,
                Err(e) => {
                    let mut r = user_error(
                        "The edit could not be read",
                        format!("{} Nothing was changed.", e.explain(q.request.kind)),
                    );
                    r.bullets(
                        "Fields",
                        form::grammar_help(q.request.kind)
                            .into_iter()
                            .map(Line::new)
                            .collect(),
                    );
                    r
                }
            },
            _ => match desk.prefill(app, &q.request) {
                Ok(p) => form_reply(q, &p, false),
                Err(r) => r,
            },
        },
        Command::Suggest(q) => match q.fields.as_deref().map(str::trim) {
            _ if q.request.remove => desk.suggest(app, &q.request, &Form::default(), &by).await,
            Some(text) if !text.is_empty() => match form::parse_form(q.request.kind, text) {
                Ok(form) => desk.suggest(app, &q.request, &form, &by).await,
                Err(e) => user_error(
                    "The suggestion could not be read",
                    format!("{} Nothing was sent.", e.explain(q.request.kind)),
                ),
            },
            _ => match desk.prefill(app, &q.request) {
                Ok(p) => form_reply(q, &p, true),
                Err(r) => r,
            },
        },
        Command::Suggestions => desk.pending(),
        Command::Approve(q) => desk.decide(app, q.id, true, None, &by).await,
        Command::Reject(q) => {
            desk.decide(app, q.id, false, q.reason.as_deref(), &by)
                .await
        }
        Command::History(q) => desk.history(app, q.topic.as_deref(), q.card.as_deref()),
        Command::Undo => desk.undo(app, &by, asker.admin).await,
        _ => user_error("Not an edit", "This command does not edit cards."),
    }
}

/// The answer to `edit …` sent without fields: how to send them, and the current values to
/// copy and change.
fn form_reply(q: &crate::commands::command::EditQuery, p: &Prefill, suggest: bool) -> Reply {
    let kind = q.request.kind;
    let line = if suggest {
        crate::commands::Command::Suggest(q.clone()).to_line()
    } else {
        crate::commands::Command::Edit(q.clone()).to_line()
    };
    let title = match (&p.target.actor_name, kind, &p.entry) {
        (Some(a), FormKind::Person, Some(e)) => format!("Change {} on {a}'s card", e.label),
        (Some(a), FormKind::Person, None) => format!("Add a person to {a}'s card"),
        (Some(a), FormKind::Position, Some(e)) => {
            format!("Correct {a}'s position of {}", e.label)
        }
        (Some(a), ..) => format!("Edit {a}'s position"),
        (None, FormKind::Event, Some(e)) => format!("Change the event {}", e.label),
        (None, FormKind::Source, Some(e)) => format!("Change the source {}", e.label),
        (None, FormKind::Expert, Some(e)) => format!("Change the expert view {}", e.label),
        (None, FormKind::Expert, None) => "Add an expert view".into(),
        (None, FormKind::Event, None) => "Add an event to the timeline".into(),
        _ => "Add a source".into(),
    };
    let how = match kind {
        _ if p.entry.is_some() => {
            "changes it in place; fields you leave out keep their values, and `field:` with nothing after it empties an optional one"
        }
        FormKind::Position if q.request.correct => {
            "corrects the latest entry in place; fields you leave out keep their values"
        }
        FormKind::Position => {
            "adds a new dated entry to the history; fields you leave out keep their current values, and `as of` defaults to today"
        }
        _ => "adds it; the required fields are marked",
    };
    let mut r = Reply::new(ReplyKind::Help, title).summary(Line::new(format!(
        "Send `{line}` followed by the fields to set, one `field: value` per line (list fields take one item per line). It {how}. The cards are checked before anything is written."
    )));
    if !p.values.is_empty() {
        r.section(
            "Now",
            crate::reply::Block::Text(Line::new(form::render_form(kind, &p.values))),
        );
    }
    r.bullets(
        "Fields",
        form::grammar_help(kind)
            .into_iter()
            .map(Line::new)
            .collect(),
    );
    r
}
