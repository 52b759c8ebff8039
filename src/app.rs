//! The state every chat door shares: the current library snapshot (replaced whole by a reload,
//! never locked across an await), the default topic, the clock, and what a running service
//! knows about itself (doors, last reload, metrics, the work in flight, notices for the
//! moderators). Platform-neutral.

use crate::commands::{Command, Ctx, answer};
use crate::library::Library;
use crate::metrics::Metrics;
use crate::reply::{Reply, ReplyKind};
use crate::schedule::ScheduleStore;
use crate::service::{Asker, Doors, Notice, ReloadRecord, ServiceReport, Told};
use arc_swap::ArcSwap;
use chrono::NaiveDate;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::broadcast;
use tokio_util::task::TaskTracker;

/// Where "today" comes from: the system clock, or a fixed day for reproducible tests.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(NaiveDate),
}

impl Clock {
    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::System => chrono::Local::now().date_naive(),
            Clock::Fixed(d) => *d,
        }
    }
}

pub struct App {
    library: ArcSwap<Library>,
    pub default_topic: Option<String>,
    pub clock: Clock,
    /// The briefings folder a reload reads; `None` when the library did not come from one.
    pub briefings: Option<PathBuf>,
    pub started: Instant,
    pub doors: Doors,
    pub metrics: Metrics,
    /// Answers and sends in flight: a graceful shutdown waits for them.
    pub tasks: TaskTracker,
    notices: broadcast::Sender<Notice>,
    /// Held for the whole of a reload, so two never interleave.
    pub(crate) reloading: tokio::sync::Mutex<()>,
    pub(crate) told: Mutex<Told>,
    pub(crate) last_reload: Mutex<Option<ReloadRecord>>,
    pub(crate) reload_count: AtomicU64,
    /// Loads cards and frees replaced libraries, on a thread of its own.
    pub(crate) librarian: crate::reload::Librarian,
    /// The daily briefings' store, when `serve` keeps one.
    pub schedules: Option<Arc<dyn ScheduleStore>>,
    /// Edits from chat, when `serve` reads a briefings folder and keeps a state folder.
    pub desk: Option<Arc<crate::edit::Desk>>,
}

impl App {
    pub fn new(library: Library, default_topic: Option<String>, clock: Clock) -> Self {
        let metrics = Metrics::default();
        metrics.loaded(library.topics().len(), library.card_files());
        App {
            library: ArcSwap::from_pointee(library),
            default_topic,
            clock,
            briefings: None,
            started: Instant::now(),
            doors: Doors::default(),
            metrics,
            tasks: TaskTracker::new(),
            notices: broadcast::channel(32).0,
            reloading: tokio::sync::Mutex::new(()),
            told: Mutex::new(Told::default()),
            last_reload: Mutex::new(None),
            reload_count: AtomicU64::new(0),
            schedules: None,
            desk: None,
            librarian: crate::reload::Librarian::start(),
        }
    }

    /// Take edits from chat at `desk`.
    pub fn with_desk(mut self, desk: Arc<crate::edit::Desk>) -> Self {
        self.desk = Some(desk);
        self
    }

    /// Keep daily briefings in `store`.
    pub fn with_schedules(mut self, store: Arc<dyn ScheduleStore>) -> Self {
        self.schedules = Some(store);
        self
    }

    /// Serve cards read from `root`, so that reloads read it again. `startup` is the report of
    /// the load the library came from: its warnings are the baseline, not news.
    pub fn reading(mut self, root: PathBuf, startup: &crate::diag::Report) -> Self {
        self.told = Mutex::new(Told::starting_with(startup, &root));
        self.briefings = Some(root);
        self
    }

    /// The library as it is now; a command keeps its snapshot even if a reload swaps it.
    pub fn snapshot(&self) -> Arc<Library> {
        self.library.load_full()
    }

    /// Replace the library (after a successful reload).
    pub fn swap(&self, library: Library) {
        self.metrics
            .loaded(library.topics().len(), library.card_files());
        let old = self.library.swap(Arc::new(library));
        self.librarian.retire(old);
    }

    /// How many reloads have run since start-up, whatever their outcome.
    pub fn reloads(&self) -> u64 {
        self.reload_count.load(Ordering::SeqCst)
    }

    /// The last reload, if any.
    pub fn last_reload(&self) -> Option<ReloadRecord> {
        self.last_reload
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Notices for the moderators, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    pub(crate) fn notify(&self, notice: Notice) {
        // Nobody listening (no moderators' destination configured) is fine.
        let _ = self.notices.send(notice);
    }

    /// What `status` shows about the running service.
    pub fn service_report(&self) -> ServiceReport {
        ServiceReport {
            version: env!("CARGO_PKG_VERSION"),
            uptime: self.started.elapsed(),
            last_reload: self
                .last_reload
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            doors: self.doors.all(),
            schedules: self
                .schedules
                .as_deref()
                .map(crate::schedule::chat::attention)
                .unwrap_or_default(),
        }
    }

    /// Answer a command from the current snapshot. Pure commands only: `reload` and `check`
    /// need [`App::respond`].
    pub fn answer(&self, cmd: &Command) -> Reply {
        let lib = self.snapshot();
        let service = matches!(cmd, Command::Status).then(|| self.service_report());
        answer(
            &Ctx {
                library: &lib,
                today: self.clock.today(),
                default_topic: self.default_topic.as_deref(),
                service: service.as_ref(),
            },
            cmd,
        )
    }

    /// Answer a command as a door does: moderator commands that act on the service (`reload`,
    /// `check`, the daily briefings) run here; every answer is counted and timed.
    pub async fn respond(&self, cmd: &Command, asker: &Asker) -> Reply {
        use crate::schedule::chat;
        let started = Instant::now();
        let platform = asker.platform;
        let reply = match (cmd, self.schedules.as_deref()) {
            (Command::Reload, _) => self
                .reload_and_announce(crate::service::Trigger::Command)
                .await
                .reply(self.briefings.as_deref()),
            (Command::Check, _) => self.check_on_disk().await,
            (c, _) if c.is_edit() => crate::edit::respond(self, cmd, asker).await,
            (Command::Subscribe(q), Some(store)) => chat::subscribe(self, store, q, asker),
            (Command::Unsubscribe(q), Some(store)) => chat::unsubscribe(self, store, q, asker),
            (Command::Schedules, Some(store)) => chat::schedules(self, store, asker),
            (Command::Preview(q), Some(store)) => chat::preview(self, store, q, asker),
            _ => self.answer(cmd),
        };
        let outcome = match reply.kind {
            ReplyKind::Answer => "answer",
            ReplyKind::Help => "help",
            ReplyKind::UserError => "user_error",
        };
        self.metrics.command(cmd.name(), platform.name(), outcome);
        self.metrics.answered_in(platform.name(), started.elapsed());
        reply
    }
}
