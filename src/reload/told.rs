//! What has been told to the moderators after each reload, so each distinct failure, its fix
//! and each new set of warnings is posted once. A pure decision: a reload record in, the
//! notices to post out.

use super::record::{ReloadOutcome, ReloadRecord, WarningSet, identity, warning_set};
use crate::diag::Report;
use crate::service::notices::{Notice, NoticeKind};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

/// What has been told to the moderators, so each distinct failure and each new warning set is
/// posted once.
#[derive(Default, Debug)]
pub struct Told {
    /// The failure last posted, while the cards stay broken.
    failure: Option<BTreeSet<String>>,
    warnings: Option<Arc<WarningSet>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Diagnostic, Severity};
    use crate::reload::record::Trigger;
    use chrono::Utc;
    use std::path::PathBuf;
    use std::time::Duration;

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
}
