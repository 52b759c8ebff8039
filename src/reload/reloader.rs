//! The reloader: reads the cards again (on a save, SIGHUP, the `reload` command or an edit),
//! swaps the new library onto the shelf only when it has no errors, keeps the record of the
//! last reload and tells the moderators what changed. Reloads never overlap. It owns its own
//! state and takes only what it needs: the shelf, the clock, the metrics and the notices.

use super::librarian::{Librarian, Loaded};
use super::record::{
    ReloadOutcome, ReloadRecord, Trigger, WarningSet, diagnostics_sections, plural,
};
use super::told::Told;
use crate::clock::Clock;
use crate::diag::Report;
use crate::library::Library;
use crate::metrics::Metrics;
use crate::reply::{Line, Reply, ReplyKind};
use crate::service::notices::{NoticeKind, Notices};
use crate::service::shelf::Shelf;
use chrono::Utc;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The reload feature of a running service.
pub struct Reloader {
    shelf: Arc<Shelf>,
    /// The briefings folder a reload reads; `None` when the library did not come from one.
    root: Option<PathBuf>,
    clock: Clock,
    default_topic: Option<String>,
    metrics: Arc<Metrics>,
    notices: Notices,
    /// Loads cards and frees replaced libraries, on a thread of its own.
    librarian: Librarian,
    /// Held for the whole of a reload, so two never interleave.
    reloading: tokio::sync::Mutex<()>,
    told: Mutex<Told>,
    last: Mutex<Option<ReloadRecord>>,
    count: AtomicU64,
}

impl Reloader {
    /// A reloader for the library on `shelf`, which was not read from a folder (yet).
    pub fn new(
        shelf: Arc<Shelf>,
        clock: Clock,
        default_topic: Option<String>,
        metrics: Arc<Metrics>,
        notices: Notices,
    ) -> Reloader {
        Reloader {
            shelf,
            root: None,
            clock,
            default_topic,
            metrics,
            notices,
            librarian: Librarian::start(),
            reloading: tokio::sync::Mutex::new(()),
            told: Mutex::new(Told::default()),
            last: Mutex::new(None),
            count: AtomicU64::new(0),
        }
    }

    /// Reload from `root`. `startup` is the report of the load the library came from: its
    /// warnings are the baseline, not news.
    pub fn reading(mut self, root: PathBuf, startup: &Report) -> Reloader {
        self.told = Mutex::new(Told::starting_with(startup, &root));
        self.root = Some(root);
        self
    }

    /// The briefings folder reloads read, if any.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// How many reloads have run since start-up, whatever their outcome.
    pub fn reloads(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// The last reload, if any.
    pub fn last_reload(&self) -> Option<ReloadRecord> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Serve `library` (after a successful reload); the one it replaces is freed by the
    /// librarian once the answers still reading it are done.
    fn swap(&self, library: Library) {
        self.metrics
            .loaded(library.topics().len(), library.card_files());
        let old = self.shelf.swap(library);
        self.librarian.retire(old);
    }

    /// Read the cards again and serve them if they have no errors. Reloads never overlap.
    pub async fn reload(&self, trigger: Trigger) -> ReloadRecord {
        let _one_at_a_time = self.reloading.lock().await;
        let started = Instant::now();
        let at = Utc::now();
        let Some(root) = self.root.clone() else {
            return ReloadRecord {
                at,
                took: started.elapsed(),
                trigger,
                outcome: ReloadOutcome::Unreadable(
                    "this library was not read from a folder".into(),
                ),
                report: Arc::default(),
                warnings: Arc::default(),
            };
        };
        let loaded = self
            .librarian
            .load(root, self.clock.today(), self.default_topic.clone())
            .await;
        let (outcome, report, warnings) = match loaded {
            Ok(Ok(Loaded {
                library,
                report,
                warnings,
            })) if !report.has_errors() => {
                let outcome = ReloadOutcome::Loaded {
                    topics: library.topics().len(),
                    cards: library.card_files(),
                    warnings: report.diagnostics.len(),
                };
                self.swap(library);
                (outcome, report, warnings)
            }
            Ok(Ok(Loaded {
                library,
                report,
                warnings,
            })) => {
                // A broken set is never served; it is freed where it was built.
                self.librarian.drop_later(library);
                let outcome = ReloadOutcome::Failed {
                    errors: report.errors(),
                    warnings: report.diagnostics.len() - report.errors(),
                };
                (outcome, report, warnings)
            }
            Ok(Err(e)) => (
                ReloadOutcome::Unreadable(e),
                Report::default(),
                WarningSet::default(),
            ),
            Err(_) => (
                ReloadOutcome::Unreadable("the reload stopped unexpectedly".into()),
                Report::default(),
                WarningSet::default(),
            ),
        };
        let record = ReloadRecord {
            at,
            took: started.elapsed(),
            trigger,
            outcome,
            report: Arc::new(report),
            warnings: Arc::new(warnings),
        };
        self.log_reload(&record);
        let previous = self
            .last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(record.clone());
        // Thousands of diagnostics take a while to free: not on an answering thread.
        self.librarian.drop_later(previous);
        self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        record
    }

    fn log_reload(&self, r: &ReloadRecord) {
        let ms = r.took.as_secs_f64() * 1000.0;
        let trigger = r.trigger.describe();
        match &r.outcome {
            ReloadOutcome::Loaded {
                topics,
                cards,
                warnings,
            } => {
                self.metrics.reload("loaded");
                tracing::info!(
                    trigger,
                    topics,
                    cards,
                    warnings,
                    took_ms = ms,
                    "reloaded the cards"
                );
            }
            ReloadOutcome::Failed { errors, .. } => {
                self.metrics.reload("failed");
                let root = self.root.as_deref().unwrap_or(Path::new(""));
                for d in r.report.diagnostics.iter().filter(|d| d.is_error()) {
                    tracing::warn!(trigger, "{}", d.one_line(root));
                }
                tracing::warn!(
                    trigger,
                    errors,
                    took_ms = ms,
                    "the cards have errors; still serving the last good ones"
                );
            }
            ReloadOutcome::Unreadable(why) => {
                self.metrics.reload("failed");
                tracing::error!(
                    trigger,
                    "cannot reload the cards: {why}; still serving the last good ones"
                );
            }
        }
    }

    /// Tell the moderators what a reload calls for: a new failure, its fix, new warnings.
    pub fn announce(&self, record: &ReloadRecord) {
        let root = self.root.clone().unwrap_or_default();
        let notices = self
            .told
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .after(record, &root);
        for n in notices {
            match n.kind {
                NoticeKind::Broken => tracing::warn!("moderators: {}", n.title),
                NoticeKind::Fixed
                | NoticeKind::Warnings
                | NoticeKind::Suggestion(_)
                | NoticeKind::Proposal(_)
                | NoticeKind::Feed
                | NoticeKind::Source => tracing::info!("moderators: {}", n.title),
            }
            self.notices.post(n);
        }
    }

    pub async fn reload_and_announce(&self, trigger: Trigger) -> ReloadRecord {
        let record = self.reload(trigger).await;
        self.announce(&record);
        record
    }

    /// `check`: the cards on disk, checked like a reload, without serving them.
    pub async fn check_on_disk(&self) -> Reply {
        let Some(root) = self.root.clone() else {
            return Reply::new(ReplyKind::UserError, "Nothing to check")
                .summary(Line::new("This library was not read from a folder."));
        };
        let loaded = self
            .librarian
            .load(root.clone(), self.clock.today(), self.default_topic.clone())
            .await;
        match loaded {
            Ok(Ok(Loaded {
                library, report, ..
            })) => {
                let n = library.topics().len();
                let files = library.card_files();
                self.librarian.drop_later(library);
                let title = if report.has_errors() {
                    format!(
                        "The cards on disk have {} error{}",
                        report.errors(),
                        plural(report.errors())
                    )
                } else {
                    "The cards on disk are valid".to_owned()
                };
                let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(
                    if report.has_errors() {
                        "Users are served the last good cards until these are fixed.".to_owned()
                    } else {
                        format!(
                            "{n} topic{}, {} card files; {} warning{}.",
                            plural(n),
                            files,
                            report.diagnostics.len(),
                            plural(report.diagnostics.len())
                        )
                    },
                ));
                diagnostics_sections(&mut r, &report, &root);
                r
            }
            Ok(Err(e)) => Reply::new(ReplyKind::Answer, "The briefings folder cannot be read")
                .summary(Line::new(e)),
            Err(_) => Reply::new(ReplyKind::Answer, "The check stopped unexpectedly")
                .summary(Line::new("see the log for why")),
        }
    }
}
