//! What one reload was and how it ended (its trigger, outcome, diagnostics and the identities
//! of its warnings), as `status`, the `reload` command, the moderators' notices and the edit
//! desk read it; and the reply sections that list a report's diagnostics. Plain data.

use crate::diag::{Diagnostic, Report};
use crate::reply::{Line, Reply, ReplyKind};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// What set a reload off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Start,
    FileChange,
    Signal,
    Command,
    /// A moderator's edit from chat was written.
    Edit,
    /// The file watcher failed or its folder was replaced; the watch was re-armed.
    Rewatch,
    /// Another replica's edits were pulled from the cards' remote.
    Pull,
}

impl Trigger {
    pub fn describe(self) -> &'static str {
        match self {
            Trigger::Start => "start-up",
            Trigger::FileChange => "a card was saved",
            Trigger::Signal => "SIGHUP",
            Trigger::Command => "the reload command",
            Trigger::Edit => "an edit from chat",
            Trigger::Rewatch => "the file watch was re-armed",
            Trigger::Pull => "edits pulled from the cards' remote",
        }
    }
}

/// How a reload ended.
#[derive(Clone, Debug)]
pub enum ReloadOutcome {
    /// The new cards are being served.
    Loaded {
        topics: usize,
        cards: usize,
        warnings: usize,
    },
    /// The cards have errors; the last good library is still served.
    Failed { errors: usize, warnings: usize },
    /// The briefings folder itself could not be read.
    Unreadable(String),
}

/// One reload, for `status` and the `reload` command's answer.
#[derive(Clone, Debug)]
pub struct ReloadRecord {
    pub at: DateTime<Utc>,
    pub took: Duration,
    pub trigger: Trigger,
    pub outcome: ReloadOutcome,
    /// Every diagnostic of the load, errors first.
    pub report: Arc<Report>,
    /// The identities of its warnings (worked out by the librarian, off the answering threads).
    pub warnings: Arc<WarningSet>,
}

/// Warnings by identity (code, file, line and column), to tell new warnings from known ones.
pub type WarningSet = BTreeSet<String>;

impl ReloadRecord {
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome, ReloadOutcome::Loaded { .. })
    }
}

impl ReloadRecord {
    /// One line for `status`: when, after what, how it ended, how long it took.
    pub fn status_line(&self) -> String {
        let what = match &self.outcome {
            ReloadOutcome::Loaded { topics, cards, .. } => {
                format!(
                    "loaded {topics} topic{} from {cards} card files",
                    plural(*topics)
                )
            }
            ReloadOutcome::Failed { errors, .. } => format!(
                "failed with {errors} error{}; serving the last good cards (`check` shows them)",
                plural(*errors)
            ),
            ReloadOutcome::Unreadable(why) => format!("failed: {why}"),
        };
        format!(
            "{} UTC, after {}: {what}, in {:.0} ms",
            self.at.format("%Y-%m-%d %H:%M:%S"),
            self.trigger.describe(),
            self.took.as_secs_f64() * 1000.0
        )
    }
}

/// A diagnostic's identity for "is this the same problem": where and what, not the wording
/// that changes by itself (a stale card's age in days).
pub(super) fn identity(d: &Diagnostic, root: &Path, with_message: bool) -> String {
    let path = d.path.strip_prefix(root).unwrap_or(&d.path).display();
    let mut s = format!("{}:{}:{}:{}", d.code, path, d.line, d.column);
    if with_message {
        s.push(':');
        s.push_str(&d.message);
    }
    s
}

/// The identities of a report's warnings.
pub fn warning_set(report: &Report, root: &Path) -> WarningSet {
    report
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| identity(d, root, false))
        .collect()
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// At most this many diagnostics of each kind in a chat reply; `dossier check` has them all.
const MAX_LISTED: usize = 15;

pub fn diagnostics_sections(r: &mut Reply, report: &Report, root: &Path) {
    for (heading, errors) in [("Errors", true), ("Warnings", false)] {
        let all: Vec<&Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.is_error() == errors)
            .collect();
        let mut lines: Vec<Line> = all
            .iter()
            .take(MAX_LISTED)
            .map(|d| Line::new(d.one_line(root)))
            .collect();
        if all.len() > MAX_LISTED {
            lines.push(Line::new(format!(
                "… and {} more: `dossier check` lists them all",
                all.len() - MAX_LISTED
            )));
        }
        r.bullets(heading, lines);
    }
}

impl ReloadRecord {
    /// The answer to the `reload` command.
    pub fn reply(&self, root: Option<&Path>) -> Reply {
        let root = root.unwrap_or(Path::new(""));
        let ms = self.took.as_secs_f64() * 1000.0;
        let mut r = match &self.outcome {
            ReloadOutcome::Loaded {
                topics,
                cards,
                warnings,
            } => Reply::new(ReplyKind::Answer, "Reloaded").summary(Line::new(format!(
                "Now serving {topics} topic{} from {cards} card files (read in {ms:.0} ms); {warnings} warning{}.",
                plural(*topics),
                plural(*warnings)
            ))),
            ReloadOutcome::Failed { errors, .. } => {
                Reply::new(ReplyKind::Answer, "Not reloaded: the cards have errors").summary(
                    Line::new(format!(
                        "{errors} error{}; users are still served the last good cards. Fix them and save, or run reload again.",
                        plural(*errors)
                    )),
                )
            }
            ReloadOutcome::Unreadable(why) => {
                Reply::new(ReplyKind::Answer, "Not reloaded: the briefings folder cannot be read")
                    .summary(Line::new(why.clone()))
            }
        };
        diagnostics_sections(&mut r, &self.report, root);
        r
    }
}
