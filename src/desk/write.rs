//! Applying an edit: the form applied to the card's text, the whole topic checked with it by
//! the rules of `dossier check`, the card written atomically, committed in git, logged with
//! its author, and served by a reload; or the reply that says what to fix.

use super::files::{read_card, write_atomically};
use super::git;
use super::state::{Desk, Handles, user_error};
use super::target::{Target, more_fields, not_found};
use crate::cards::load::check_topic_with;
use crate::diag::{Diagnostic, Report};
use crate::edit::apply::{self, ApplyError, Change};
use crate::edit::form::{self, Form, FormKind};
use crate::edit::{Author, EditRequest, content_hash};
use crate::reload::{ReloadOutcome, ReloadRecord, Trigger};
use crate::reply::{Line, Reply, ReplyKind};
use crate::store::edits::Entry;
use std::path::PathBuf;

impl Desk {
    /// Apply an edit: check, write, log, reload; the reply says what changed or what to fix.
    pub async fn apply(
        &self,
        h: &Handles<'_>,
        req: &EditRequest,
        form: &Form,
        by: &Author,
    ) -> Reply {
        self.apply_inner(h, req, form, by, None).await.0
    }

    /// `apply`, crediting the member who suggested the edit, if any; also the edit's number in
    /// the log.
    pub(super) async fn apply_inner(
        &self,
        h: &Handles<'_>,
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
        let (req, target) = match self.resolve(h, req) {
            Ok(t) => t,
            Err(r) => refuse!(r),
        };
        let req = &req;
        let _held = match self.hold(&target.topic_dir).await {
            Ok(h) => h,
            Err(r) => refuse!(r),
        };
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
        let (applied, changed) = match self.applied(h, req, form, &target, &before).await {
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
        let action = crate::store::edits::Logged::Edit(req.action());
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
        if let Some(Err(why)) = &committed {
            // The work tree refused the commit (an operator's pre-commit hook, say): the card
            // goes back as it was, so what is served and what is committed never part.
            self.put_back(&target.file, existed, &before).await;
            refuse!(user_error(
                "The edit was not committed",
                format!(
                    "The cards' git work tree refused to commit {} ({}), so the card was put back as it was and nothing changed. If a hook checks the cards, its message says what to fix; then send the edit again.",
                    self.relative(&target.file),
                    crate::text::truncate_words(why, 300)
                ),
            ));
        }
        let entry = Entry {
            id: 0,
            at: chrono::Utc::now(),
            topic: target.topic_id.clone(),
            file: self.relative(&target.file),
            action,
            summary: summary.clone(),
            by: by.clone(),
            existed,
            before,
            after: applied.text.clone(),
            after_hash: content_hash(&applied.text),
            undoes: None,
            git_commit: committed.as_ref().and_then(|c| c.clone().ok()),
            also: Vec::new(),
        };
        let id = self.log_entry(&entry).await;
        tracing::info!(file = %entry.file, by = %by.describe(), edit = ?id, "{summary}");
        let record = h.reloader.reload_and_announce(Trigger::Edit).await;
        let when = changed
            .as_ref()
            .and_then(|e| e.label.split(' ').next())
            .unwrap_or_default();
        let title = {
            use crate::edit::Verb::*;
            use crate::edit::form::FormKind::*;
            match (req.action().kind, req.action().verb) {
                (Position, Change) => format!("{card}'s position of {when} corrected"),
                (Position, Remove) => format!("{card}'s position of {when} removed"),
                (Position, Correct) => format!("{what}'s latest position corrected"),
                (Position, Add) => format!("{what}'s position: a new entry"),
                (Event, Add) => "Event added to the timeline".into(),
                (Event, Change | Correct) => "Event changed".into(),
                (Event, Remove) => "Event removed from the timeline".into(),
                (Expert, Add) => "Expert view added".into(),
                (Expert, Change | Correct) => "Expert view changed".into(),
                (Expert, Remove) => "Expert view removed".into(),
                (Person, Add) => format!("Person added to {card}'s card"),
                (Person, Change | Correct) => format!("Person changed on {card}'s card"),
                (Person, Remove) => format!("Person removed from {card}'s card"),
                (Source, Add) => "Source added".into(),
                (Source, Change | Correct) => "Source changed".into(),
                (Source, Remove) => "Source removed".into(),
            }
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
    pub(super) async fn applied(
        &self,
        h: &Handles<'_>,
        req: &EditRequest,
        form: &Form,
        target: &Target,
        before: &str,
    ) -> Result<(apply::Applied, Option<apply::Entry>), Reply> {
        let today = h.clock.today().format("%Y-%m-%d").to_string();
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
        self.check(h, target, before, &applied.text).await?;
        Ok((applied, entry))
    }

    /// Check the topic with `after` in place of the card; `Err` with the reply when the edit
    /// brings errors the cards on disk do not have.
    pub(super) async fn check(
        &self,
        h: &Handles<'_>,
        target: &Target,
        before: &str,
        after: &str,
    ) -> Result<(), Reply> {
        let file = target.file.clone();
        self.check_files(
            h,
            &target.topic_dir,
            vec![(file, before.to_owned(), after.to_owned())],
        )
        .await
    }

    /// Check the topic folder `dir` with each `(file, before, after)` of `files` written as its
    /// `after`; `Err` with the reply when that brings errors the cards as `before` do not have.
    pub(super) async fn check_files(
        &self,
        h: &Handles<'_>,
        dir: &std::path::Path,
        files: Vec<(std::path::PathBuf, String, String)>,
    ) -> Result<(), Reply> {
        let today = h.clock.today();
        let dir = dir.to_path_buf();
        let checked = tokio::task::spawn_blocking(move || {
            let (after, before): (Vec<_>, Vec<_>) = files
                .into_iter()
                .map(|(f, b, a)| ((f.clone(), a), (f, b)))
                .unzip();
            let (_, with) = check_topic_with(&dir, today, after);
            if !with.has_errors() {
                return Ok(());
            }
            // Errors the topic already had are not this edit's.
            let (_, without) = check_topic_with(&dir, today, before);
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
}

/// One card file an edit writes: as it was (and whether it was there) and as it will be.
pub(super) struct CardWrite {
    pub file: PathBuf,
    pub existed: bool,
    pub before: String,
    pub after: String,
}

/// How an edit is logged and committed: its action, its one-line summary (the commit's subject
/// after the topic's id, and the log's), and the commit message's body.
pub(super) struct Described {
    pub action: crate::store::edits::Logged,
    pub summary: String,
    pub body: String,
}

/// What writing checked cards did: the log entry (its number, when it was logged), the commit,
/// and the reload that serves them.
pub(super) struct Written {
    pub entry: Entry,
    pub edit: Option<i64>,
    pub committed: Option<Result<String, String>>,
    pub record: ReloadRecord,
}

impl Desk {
    /// Write cards an edit has changed and the topic's check has passed, as one edit: each
    /// written atomically, all committed in one commit authored by `by` as `described` says,
    /// logged as one entry whose first file is the first of `writes`
    /// (so `undo` reverts them together), and served by a reload. A write or commit that fails
    /// puts every card back as it was; the reply says why.
    pub(super) async fn write_checked(
        &self,
        h: &Handles<'_>,
        topic: &str,
        writes: Vec<CardWrite>,
        by: &Author,
        described: Described,
    ) -> Result<Written, Reply> {
        let Described {
            action,
            summary,
            body,
        } = described;
        let put_back = async |writes: &[CardWrite]| {
            for w in writes {
                self.put_back(&w.file, w.existed, &w.before).await;
            }
        };
        for (i, w) in writes.iter().enumerate() {
            if let Err(e) = write_atomically(&w.file, &w.after) {
                tracing::error!(file = %w.file.display(), error = %e, "writing an edited card failed");
                put_back(&writes[..i]).await;
                return Err(user_error(
                    "The edit could not be saved",
                    format!(
                        "Writing {} failed ({e}); nothing was changed.",
                        self.relative(&w.file)
                    ),
                ));
            }
        }
        let files: Vec<PathBuf> = writes.iter().map(|w| w.file.clone()).collect();
        let committed = self
            .commit_all(files, by, format!("{topic}: {summary}"), body, None)
            .await;
        if let Some(Err(why)) = &committed {
            put_back(&writes).await;
            return Err(user_error(
                "The edit was not committed",
                format!(
                    "The cards' git work tree refused to commit it ({}), so the cards were put back as they were and nothing changed. If a hook checks the cards, its message says what to fix.",
                    crate::text::truncate_words(why, 300)
                ),
            ));
        }
        let mut writes = writes.into_iter();
        let Some(first) = writes.next() else {
            return Err(user_error("Nothing to change", "The edit writes no card."));
        };
        let entry = Entry {
            id: 0,
            at: chrono::Utc::now(),
            topic: topic.to_owned(),
            file: self.relative(&first.file),
            action,
            summary: summary.clone(),
            by: by.clone(),
            existed: first.existed,
            after_hash: content_hash(&first.after),
            before: first.before,
            after: first.after,
            undoes: None,
            git_commit: committed.as_ref().and_then(|c| c.clone().ok()),
            also: writes
                .map(|w| crate::store::edits::FileChange {
                    file: self.relative(&w.file),
                    existed: w.existed,
                    after_hash: content_hash(&w.after),
                    before: w.before,
                    after: w.after,
                })
                .collect(),
        };
        let edit = self.log_entry(&entry).await;
        tracing::info!(file = %entry.file, by = %by.describe(), edit = ?edit, "{summary}");
        let record = h.reloader.reload_and_announce(Trigger::Edit).await;
        Ok(Written {
            entry,
            edit,
            committed,
            record,
        })
    }
}

fn identity(d: &Diagnostic) -> (String, String) {
    (d.path.to_string_lossy().into_owned(), d.message.clone())
}

pub(super) fn reloaded(record: &ReloadRecord) -> String {
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

pub(super) fn committed_note(c: Option<&Result<String, String>>) -> String {
    match c {
        None => String::new(),
        Some(Ok(id)) => format!("; git commit {}", &id[..id.len().min(10)]),
        Some(Err(e)) => format!(
            "; the card is saved, but committing it to git failed ({}), so the operators must commit it",
            crate::text::truncate_words(e, 200)
        ),
    }
}

pub(super) fn change_lines(changes: &[Change]) -> Vec<Line> {
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
