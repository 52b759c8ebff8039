//! Undo and history: `undo` reverts the newest edit from chat not yet undone (the asker's
//! own, or anyone's for an admin), checked like an edit and refused when the card changed
//! since; `history` lists the last edits of a topic or card.

use super::files::{read_card, write_atomically};
use super::state::{Desk, HISTORY_LEN, Handles, log_failed, user_error};
use super::target::Target;
use super::write::{committed_note, reloaded};
use crate::edit::EditRequest;
use crate::edit::form::FormKind;
use crate::edit::{Author, content_hash};
use crate::reload::Trigger;
use crate::reply::{Line, Reply, ReplyKind};
use crate::store::edits::Entry;
use std::path::Path;

impl Desk {
    /// Revert the newest edit from chat that is not yet undone: the asker's own, dossier's own
    /// snapshots, or anyone's when `admin`.
    pub async fn undo(&self, h: &Handles<'_>, by: &Author, admin: bool) -> Reply {
        let last = self.log().last_undoable().await;
        let edit = match last {
            Ok(Some(e)) => e,
            Ok(None) => {
                return user_error("Nothing to undo", "No edit made from chat is left to undo.");
            }
            Err(e) => return log_failed(&e, "reading the edit log"),
        };
        // Snapshots dossier kept itself are anyone's to undo, so they never stand between a
        // moderator and their own last edit.
        let dossiers = edit.action == crate::store::edits::Logged::Snapshots;
        if !admin && !dossiers && (edit.by.platform != by.platform || edit.by.id != by.id) {
            return user_error(
                "That edit is someone else's",
                format!(
                    "The last edit (#{}, {}) was made by {}. Moderators undo their own edits; undoing another's needs a higher permission (Administrator on Discord, power level 100 on Matrix).",
                    edit.id, edit.summary, edit.by.name
                ),
            );
        }
        if edit.action == crate::store::edits::Logged::NewTopic {
            return self.undo_topic(h, edit, by).await;
        }
        let file = self.root.join(&edit.file);
        let dir = file
            .ancestors()
            .find(|a| a.parent() == Some(self.root.as_path()))
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        let _held = match self.hold(&dir).await {
            Ok(h) => h,
            Err(r) => return r,
        };
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
        // The other files the edit wrote, each as it is now: all must be as the edit left them.
        let mut others = Vec::new();
        for o in &edit.also {
            let now = read_card(&self.root.join(&o.file)).unwrap_or_default();
            if content_hash(&now) != o.after_hash {
                return user_error(
                    "The cards changed since that edit",
                    format!(
                        "{} was changed after edit #{} ({}), by hand or by another edit, so undoing it would lose that change. Edit the cards instead.",
                        o.file, edit.id, edit.summary
                    ),
                );
            }
            others.push(now);
        }
        let target = Target {
            topic_id: edit.topic.clone(),
            topic_dir: dir.clone(),
            file: file.clone(),
            actor_name: None,
        };
        if !edit.also.is_empty() {
            let files = std::iter::once((file.clone(), current.clone(), edit.before.clone()))
                .chain(
                    edit.also
                        .iter()
                        .zip(&others)
                        .map(|(o, now)| (self.root.join(&o.file), now.clone(), o.before.clone())),
                )
                .collect();
            if let Err(r) = self.check_files(h, &dir, files).await {
                return r;
            }
        } else if edit.existed
            && let Err(r) = self.check(h, &target, &current, &edit.before).await
        {
            return r;
        }
        let written = if edit.existed {
            write_atomically(&file, &edit.before)
        } else {
            match self.check_without(h, &target).await {
                Err(r) => return r,
                Ok(()) => std::fs::remove_file(&file),
            }
        }
        .and_then(|()| {
            edit.also.iter().try_for_each(|o| {
                let path = self.root.join(&o.file);
                if o.existed {
                    write_atomically(&path, &o.before)
                } else {
                    std::fs::remove_file(&path)
                }
            })
        });
        if let Err(e) = written {
            tracing::error!(file = %file.display(), error = %e, "undoing an edit failed");
            // Whatever was written goes back as it was, so the cards stay as the edit left them.
            self.put_back(&file, true, &current).await;
            for (o, now) in edit.also.iter().zip(&others) {
                self.put_back(&self.root.join(&o.file), true, now).await;
            }
            return user_error(
                "The undo could not be saved",
                format!("Writing {} failed ({e}); nothing was changed.", edit.file),
            );
        }
        let summary = format!("undo #{}: {}", edit.id, edit.summary);
        let files = std::iter::once(file.clone())
            .chain(edit.also.iter().map(|o| self.root.join(&o.file)))
            .collect();
        let committed = self
            .commit_all(
                files,
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
            action: crate::store::edits::Logged::Undo,
            summary: summary.clone(),
            by: by.clone(),
            existed: true,
            before: current,
            after: edit.before.clone(),
            after_hash: content_hash(&edit.before),
            undoes: Some(edit.id),
            git_commit: committed.as_ref().and_then(|c| c.clone().ok()),
            also: edit
                .also
                .iter()
                .zip(others)
                .map(|(o, now)| crate::store::edits::FileChange {
                    file: o.file.clone(),
                    existed: true,
                    after_hash: content_hash(&o.before),
                    after: o.before.clone(),
                    before: now,
                })
                .collect(),
        };
        let id = self.log_entry(&entry).await;
        tracing::info!(file = %entry.file, by = %by.describe(), edit = ?id, "{summary}");
        let record = h.reloader.reload_and_announce(Trigger::Edit).await;
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

    /// Check the topic as it would be without the card an edit created (an actor someone
    /// has cited since): the card is moved out of sight for the check and put back.
    async fn check_without(&self, h: &Handles<'_>, target: &Target) -> Result<(), Reply> {
        let name = target
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let aside = target
            .file
            .with_file_name(format!(".{name}.dossier-undo-{}", std::process::id()));
        let today = h.clock.today();
        let errors = |dir: &Path| {
            let (_, report) = crate::cards::load::check_topic(dir, today);
            report
                .diagnostics
                .into_iter()
                .filter(|d| d.is_error())
                .collect::<Vec<_>>()
        };
        let known: Vec<String> = errors(&target.topic_dir)
            .iter()
            .map(|d| d.message.clone())
            .collect();
        if std::fs::rename(&target.file, &aside).is_err() {
            return Ok(());
        }
        let without = errors(&target.topic_dir);
        let _ = std::fs::rename(&aside, &target.file);
        let mut new = crate::diag::Report::default();
        for d in without {
            if !known.contains(&d.message) {
                new.push(d);
            }
        }
        if !new.has_errors() {
            return Ok(());
        }
        let mut r = user_error(
            "That edit cannot be undone yet",
            format!(
                "Taking {} away would break the cards that now cite it; change those first. Nothing was changed.",
                self.relative(&target.file)
            ),
        );
        crate::reload::diagnostics_sections(&mut r, &new, &self.root);
        r.sections.retain(|s| s.heading != "Warnings");
        Err(r)
    }

    /// Undo a topic made from chat: its folder taken away, if it is as it was made.
    async fn undo_topic(&self, h: &Handles<'_>, made: Entry, by: &Author) -> Reply {
        let dir = self.root.join(&made.file);
        let _held = match self.hold(&dir).await {
            Ok(h) => h,
            Err(r) => return r,
        };
        let before = match super::new::undo_new_topic(&dir, &made) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let summary = format!("undo #{}: {}", made.id, made.summary);
        let committed = self
            .commit(
                &dir,
                by,
                format!("{}: {}", made.topic, made.summary),
                String::new(),
                Some(
                    made.git_commit
                        .clone()
                        .unwrap_or_else(|| format!("(edit #{}, not committed)", made.id)),
                ),
            )
            .await;
        let entry = Entry {
            id: 0,
            at: chrono::Utc::now(),
            topic: made.topic.clone(),
            file: made.file.clone(),
            action: crate::store::edits::Logged::Undo,
            summary: summary.clone(),
            by: by.clone(),
            existed: true,
            before,
            after: String::new(),
            after_hash: content_hash(""),
            undoes: Some(made.id),
            git_commit: committed.as_ref().and_then(|c| c.clone().ok()),
            also: Vec::new(),
        };
        let id = self.log_entry(&entry).await;
        tracing::info!(folder = %made.file, by = %by.describe(), edit = ?id, "{summary}");
        let record = h.reloader.reload_and_announce(Trigger::Edit).await;
        Reply::new(ReplyKind::Answer, format!("Edit #{} undone", made.id)).summary(Line::new(
            format!(
                "The topic {} that {} made is gone again ({}){}. {}",
                made.file,
                made.by.name,
                made.summary,
                committed_note(committed.as_ref()),
                reloaded(&record)
            ),
        ))
    }

    /// The latest edits from chat, of one card when `card` names an actor, `timeline` or
    /// `sources`.
    pub async fn history(&self, h: &Handles<'_>, topic: Option<&str>, card: Option<&str>) -> Reply {
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
                match self.target(h, &req) {
                    Ok(t) => Some(self.relative(&t.file)),
                    Err(r) => return r,
                }
            }
        };
        let rows = self.log().recent(file.as_deref(), HISTORY_LEN).await;
        let rows = match rows {
            Ok(r) => r,
            Err(e) => return log_failed(&e, "reading the edit log"),
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
