//! What a running `serve` knows about itself: each door's connection state, the last reload,
//! and the notices for moderators (a broken edit, its fix, a changed set of warnings). Plain
//! data and small pure decisions; the doors fill it in and the `status` command, `/readyz`
//! and the moderators' channel read it. No chat platform types here.

use crate::diag::{Diagnostic, Report};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The platforms commands arrive from, as metrics and logs name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Terminal,
    Discord,
    Matrix,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Terminal => "terminal",
            Platform::Discord => "discord",
            Platform::Matrix => "matrix",
        }
    }
}

/// Who asked, and where: what commands that act on a place (subscriptions) need to know.
#[derive(Clone, Debug)]
pub struct Asker {
    pub platform: Platform,
    /// The channel or room the command came from; `None` in the terminal.
    pub place: Option<crate::schedule::Destination>,
    /// "discord:1234 (alice)", for the record of who made a subscription.
    pub who: Option<String>,
    /// Who asked, for edits from chat: platform, user id and display name.
    pub author: Option<crate::edit::log::Author>,
    /// Holds more than the moderator permission (Discord: Administrator; Matrix: power level
    /// 100): may undo another moderator's edit.
    pub admin: bool,
}

impl Asker {
    /// Someone at the terminal.
    pub fn terminal() -> Asker {
        Asker {
            platform: Platform::Terminal,
            place: None,
            who: None,
            author: None,
            admin: false,
        }
    }

    /// A user of a platform, in no particular place (tests, tools).
    pub fn on(platform: Platform) -> Asker {
        Asker {
            platform,
            place: None,
            who: None,
            author: None,
            admin: false,
        }
    }
}

/// Where a door is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DoorState {
    /// Configured, not connected yet.
    Starting,
    Connected,
    /// Lost its connection (and is retrying), or stopped; why.
    Down(String),
}

impl DoorState {
    pub fn describe(&self) -> String {
        match self {
            DoorState::Starting => "connecting".into(),
            DoorState::Connected => "connected".into(),
            DoorState::Down(why) => format!("down: {why}"),
        }
    }
}

/// One door as `status` shows it.
#[derive(Clone, Debug)]
pub struct DoorReport {
    pub name: &'static str,
    pub state: DoorState,
    pub since: DateTime<Utc>,
}

/// Every configured door's state.
#[derive(Default)]
pub struct Doors(Mutex<Vec<DoorReport>>);

impl Doors {
    /// Record `name`'s state (the first call adds the door).
    pub fn set(&self, name: &'static str, state: DoorState) {
        let mut doors = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match doors.iter_mut().find(|d| d.name == name) {
            Some(d) if d.state == state => {}
            Some(d) => {
                d.state = state;
                d.since = Utc::now();
            }
            None => doors.push(DoorReport {
                name,
                state,
                since: Utc::now(),
            }),
        }
    }

    pub fn all(&self) -> Vec<DoorReport> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The doors that are not connected, each with its state: empty when all are.
    pub fn not_ready(&self) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|d| d.state != DoorState::Connected)
            .map(|d| format!("{}: {}", d.name, d.state.describe()))
            .collect()
    }
}

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

/// A message for the moderators' channel or room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// One line: what happened.
    pub title: String,
    /// The `check` output (plain text, meant for a monospace block), possibly empty.
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// A reload found errors: the last good cards are still served.
    Broken,
    /// A reload succeeded after failing.
    Fixed,
    /// The warnings (stale cards, uncited sources, past watch dates) changed.
    Warnings,
    /// A member suggested an edit (its number): moderators approve or reject it.
    Suggestion(i64),
}

/// What has been told to the moderators, so each distinct failure and each new warning set is
/// posted once.
#[derive(Default, Debug)]
pub struct Told {
    /// The failure last posted, while the cards stay broken.
    failure: Option<BTreeSet<String>>,
    warnings: Option<Arc<WarningSet>>,
}

/// A diagnostic's identity for "is this the same problem": where and what, not the wording
/// that changes by itself (a stale card's age in days).
fn identity(d: &Diagnostic, root: &Path, with_message: bool) -> String {
    let path = d.path.strip_prefix(root).unwrap_or(&d.path).display();
    let mut s = format!("{}:{}:{}:{}", d.code, path, d.line, d.column);
    if with_message {
        s.push(':');
        s.push_str(&d.message);
    }
    s
}

impl Told {
    /// Start from what the service started with: its warnings are known, not news.
    pub fn starting_with(report: &Report, root: &Path) -> Told {
        Told {
            failure: None,
            warnings: Some(Arc::new(warning_set(report, root))),
        }
    }

    /// The notices a reload calls for, updating what has been told.
    pub fn after(&mut self, record: &ReloadRecord, root: &Path) -> Vec<Notice> {
        let mut out = Vec::new();
        let human = |r: &Report| r.human().replace(&format!("{}/", root.display()), "");
        match &record.outcome {
            ReloadOutcome::Loaded { topics, cards, .. } => {
                if self.failure.take().is_some() {
                    out.push(Notice {
                        kind: NoticeKind::Fixed,
                        title: format!(
                            "Fixed: the cards load again ({topics} topic{}, {cards} card files); the new cards are being served.",
                            if *topics == 1 { "" } else { "s" }
                        ),
                        detail: String::new(),
                    });
                }
                let warnings = &record.warnings;
                if self.warnings.as_ref() != Some(warnings) {
                    let n = warnings.len();
                    let title = match n {
                        0 => "The cards have no warnings now.".to_owned(),
                        n => format!(
                            "The cards load, with {n} warning{} (new since the last report):",
                            if n == 1 { "" } else { "s" }
                        ),
                    };
                    let only_warnings = Report {
                        diagnostics: record
                            .report
                            .diagnostics
                            .iter()
                            .filter(|d| !d.is_error())
                            .cloned()
                            .collect(),
                    };
                    out.push(Notice {
                        kind: NoticeKind::Warnings,
                        title,
                        detail: human(&only_warnings),
                    });
                    self.warnings = Some(Arc::clone(warnings));
                }
            }
            ReloadOutcome::Failed { errors, .. } => {
                let failure: BTreeSet<String> = record
                    .report
                    .diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| identity(d, root, true))
                    .collect();
                if self.failure.as_ref() != Some(&failure) {
                    let errors_only = Report {
                        diagnostics: record
                            .report
                            .diagnostics
                            .iter()
                            .filter(|d| d.is_error())
                            .cloned()
                            .collect(),
                    };
                    out.push(Notice {
                        kind: NoticeKind::Broken,
                        title: format!(
                            "The cards on disk have {errors} error{}: users still get the last good cards. Fix the file{} below and save again.",
                            if *errors == 1 { "" } else { "s" },
                            if *errors == 1 { "" } else { "s" }
                        ),
                        detail: human(&errors_only),
                    });
                    self.failure = Some(failure);
                }
            }
            ReloadOutcome::Unreadable(why) => {
                let failure = BTreeSet::from([format!("unreadable:{why}")]);
                if self.failure.as_ref() != Some(&failure) {
                    out.push(Notice {
                        kind: NoticeKind::Broken,
                        title: "The briefings folder cannot be read: users still get the last good cards.".into(),
                        detail: why.clone(),
                    });
                    self.failure = Some(failure);
                }
            }
        }
        out
    }
}

pub(crate) fn warning_set(report: &Report, root: &Path) -> WarningSet {
    report
        .diagnostics
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| identity(d, root, false))
        .collect()
}

/// What `status` shows about the running service.
#[derive(Clone, Debug)]
pub struct ServiceReport {
    pub version: &'static str,
    pub uptime: Duration,
    pub last_reload: Option<ReloadRecord>,
    pub doors: Vec<DoorReport>,
    /// Daily briefings that need attention: failing destinations, missed posts.
    pub schedules: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Severity;
    use std::path::PathBuf;

    fn diag(sev: Severity, code: &'static str, line: usize, msg: &str) -> Diagnostic {
        let mut d = Diagnostic::file(sev, code, Path::new("/b/t/topic.toml"), msg.into());
        d.line = line;
        d.column = 1;
        d
    }

    fn record(outcome: ReloadOutcome, diags: Vec<Diagnostic>) -> ReloadRecord {
        ReloadRecord {
            at: Utc::now(),
            took: Duration::ZERO,
            trigger: Trigger::FileChange,
            outcome,
            warnings: Arc::new(warning_set(
                &Report {
                    diagnostics: diags.clone(),
                },
                Path::new("/b"),
            )),
            report: Arc::new(Report { diagnostics: diags }),
        }
    }

    fn loaded(diags: Vec<Diagnostic>) -> ReloadRecord {
        record(
            ReloadOutcome::Loaded {
                topics: 1,
                cards: 6,
                warnings: diags.len(),
            },
            diags,
        )
    }

    fn failed(diags: Vec<Diagnostic>) -> ReloadRecord {
        record(
            ReloadOutcome::Failed {
                errors: diags.len(),
                warnings: 0,
            },
            diags,
        )
    }

    #[test]
    fn each_failure_is_told_once_then_its_fix() {
        let root = PathBuf::from("/b");
        let stale = diag(Severity::Warning, "stale", 3, "stale: 20 days ago");
        let mut told = Told::starting_with(
            &Report {
                diagnostics: vec![stale.clone()],
            },
            &root,
        );
        // A reload with the start-up warnings says nothing.
        assert!(told.after(&loaded(vec![stale.clone()]), &root).is_empty());
        // The stale card's age grows by a day: the same warning, not news.
        let older = diag(Severity::Warning, "stale", 3, "stale: 21 days ago");
        assert!(told.after(&loaded(vec![older.clone()]), &root).is_empty());
        let bad = diag(Severity::Error, "bad-date", 7, "`as_of`: not a date");
        let n = told.after(&failed(vec![bad.clone()]), &root);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].kind, NoticeKind::Broken);
        assert!(
            n[0].detail.contains("--> t/topic.toml:7:1"),
            "{}",
            n[0].detail
        );
        // The same failure again (another save that did not fix it): silence.
        assert!(told.after(&failed(vec![bad.clone()]), &root).is_empty());
        // A different failure is news.
        let other = diag(Severity::Error, "unknown-key", 9, "unknown key");
        assert_eq!(told.after(&failed(vec![other]), &root).len(), 1);
        // Fixed: one notice, and the unchanged warnings are not repeated.
        let n = told.after(&loaded(vec![older.clone()]), &root);
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0].kind, NoticeKind::Fixed);
        assert!(told.after(&loaded(vec![older]), &root).is_empty());
        // Warnings change: told once; then cleared: told once.
        let uncited = diag(Severity::Warning, "uncited-source", 4, "never cited");
        let n = told.after(&loaded(vec![uncited.clone()]), &root);
        assert_eq!((n.len(), n[0].kind), (1, NoticeKind::Warnings));
        assert!(n[0].detail.contains("uncited-source"));
        assert!(told.after(&loaded(vec![uncited]), &root).is_empty());
        let n = told.after(&loaded(vec![]), &root);
        assert_eq!(n[0].title, "The cards have no warnings now.");
    }

    #[test]
    fn doors_report_what_is_not_ready() {
        let doors = Doors::default();
        doors.set("Matrix", DoorState::Starting);
        doors.set("Discord gateway", DoorState::Connected);
        assert_eq!(doors.not_ready(), vec!["Matrix: connecting".to_owned()]);
        doors.set("Matrix", DoorState::Connected);
        assert!(doors.not_ready().is_empty());
        doors.set("Matrix", DoorState::Down("sync failed".into()));
        assert_eq!(
            doors.not_ready(),
            vec!["Matrix: down: sync failed".to_owned()]
        );
    }
}
