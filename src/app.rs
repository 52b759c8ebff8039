//! The composition of a running service, built in one place: the shelf the library is served
//! from, the clock, the reloader, the edit desk, the schedule store, the doors' states, the
//! metrics, the moderators' notices and the work in flight. `App` holds the parts and lends
//! each feature the narrow handles it needs; it decides nothing itself (the router does) and
//! no feature imports it.

use crate::clock::Clock;
use crate::config::Moderators;
use crate::desk::{Desk, Handles};
use crate::feed::Feed;
use crate::library::Library;
use crate::metrics::Metrics;
use crate::places::Places;
use crate::reload::{ReloadRecord, Reloader, Trigger};
use crate::scheduler::{Poster, Scheduler};
use crate::service::cache::DEFAULT_BUDGET;
use crate::service::{Doors, Notice, Notices, ReplyCache, Shelf};
use crate::store::schedules::ScheduleStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::broadcast;
use tokio_util::task::TaskTracker;

pub struct App {
    /// The library being served: one snapshot per command.
    pub shelf: Arc<Shelf>,
    /// The topic to use when several are loaded and none is named.
    pub default_topic: Option<String>,
    pub clock: Clock,
    pub started: Instant,
    pub doors: Arc<Doors>,
    pub metrics: Arc<Metrics>,
    pub notices: Notices,
    /// Answers and sends in flight: a graceful shutdown waits for them.
    pub tasks: TaskTracker,
    pub reloader: Arc<Reloader>,
    /// The daily briefings' store, when `serve` keeps one.
    pub schedules: Option<Arc<dyn ScheduleStore>>,
    /// The scheduler's lines about failing or missed briefings, and whether its store answers,
    /// for `status` and `/readyz` (kept in memory: both answer even when the store is down).
    pub schedule_watch: Arc<crate::scheduler::ScheduleWatch>,
    /// Edits from chat, when `serve` reads a briefings folder and keeps a state folder.
    pub desk: Option<Arc<Desk>>,
    /// Answers already rendered from the library being served.
    pub replies: Arc<ReplyCache>,
    /// The topic each channel or room answers from, where moderators chose one.
    pub places: Arc<Places>,
    /// What changed in each topic, reload by reload: the web door's Atom feeds.
    pub feed: Arc<Feed>,
    /// The cited pages' latest looks, counted by verdict on `/metrics`.
    pub sources: Option<Arc<dyn crate::store::sources::SourceStore>>,
    /// Where the web pages are reached from outside (`[web] public_url`): chat replies link
    /// to them.
    pub public_url: Option<url::Url>,
    /// How long a claim on a daily briefing holds unrenewed (`[schedules] claim_lease`).
    pub claim_lease: std::time::Duration,
    /// Whether answers that have a chart carry it (`[charts] enabled`).
    pub charts: bool,
    /// The moderators the operator names (`[moderation]`): the only chat users who may change
    /// what every place shares.
    pub moderators: Arc<Moderators>,
}

impl App {
    pub fn new(library: Library, default_topic: Option<String>, clock: Clock) -> Self {
        let metrics = Arc::new(Metrics::default());
        metrics.loaded(library.topics().len(), library.card_files());
        let shelf = Arc::new(Shelf::new(library));
        let notices = Notices::default();
        let reloader = Reloader::new(
            shelf.clone(),
            clock,
            default_topic.clone(),
            metrics.clone(),
            notices.clone(),
        );
        App {
            shelf,
            default_topic,
            clock,
            started: Instant::now(),
            doors: Arc::new(Doors::default()),
            notices,
            tasks: TaskTracker::new(),
            reloader: Arc::new(reloader),
            schedules: None,
            schedule_watch: Default::default(),
            desk: None,
            replies: Arc::new(ReplyCache::new(DEFAULT_BUDGET, metrics.clone())),
            places: Arc::new(Places::in_memory()),
            feed: Arc::new(Feed::in_memory()),
            sources: None,
            public_url: None,
            claim_lease: crate::deadlines::CLAIM_LEASE,
            charts: true,
            moderators: Arc::new(Moderators::default()),
            metrics,
        }
    }

    /// The moderators the operator names (`[moderation]`).
    pub fn with_moderators(mut self, moderators: Moderators) -> Self {
        self.moderators = Arc::new(moderators);
        self
    }

    /// Keep the places' topics in `places` (a store under the state folder).
    pub fn with_places(mut self, places: Places) -> Self {
        self.places = Arc::new(places);
        self
    }

    /// Keep the change feed in `feed` (a store under the state folder).
    pub fn with_feed(mut self, feed: Feed) -> Self {
        self.feed = Arc::new(feed);
        self
    }

    /// Count the cited pages' looks kept in `store` on `/metrics`.
    pub fn with_sources(mut self, store: Arc<dyn crate::store::sources::SourceStore>) -> Self {
        self.sources = Some(store);
        self
    }

    /// Let a replica's claim on a briefing lapse this long after its last renewal.
    pub fn with_claim_lease(mut self, lease: std::time::Duration) -> Self {
        self.claim_lease = lease;
        self
    }

    /// Link chat replies to the web pages at `url`.
    pub fn with_public_url(mut self, url: Option<url::Url>) -> Self {
        self.public_url = url;
        self
    }

    /// Draw charts beside the answers that have one, or not.
    pub fn with_charts(mut self, on: bool) -> Self {
        self.charts = on;
        self
    }

    /// Record what changes in the cards in the feed, from now until `stop` (on the task
    /// tracker, so a shutdown waits for a record in progress).
    pub fn follow_changes(&self, stop: tokio_util::sync::CancellationToken) {
        self.tasks.spawn(crate::feed::follow(
            self.feed.clone(),
            self.shelf.clone(),
            self.clock,
            stop,
        ));
    }

    /// Keep at most `bytes` of rendered answers (0: cache nothing).
    pub fn with_reply_cache(mut self, bytes: usize) -> Self {
        self.replies = Arc::new(ReplyCache::new(bytes, self.metrics.clone()));
        self
    }

    /// Take edits from chat at `desk`.
    pub fn with_desk(mut self, desk: Arc<Desk>) -> Self {
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
        let reloader = Reloader::new(
            self.shelf.clone(),
            self.clock,
            self.default_topic.clone(),
            self.metrics.clone(),
            self.notices.clone(),
        )
        .reading(root, startup);
        self.reloader = Arc::new(reloader);
        self
    }

    /// The library as it is now; a command keeps its snapshot even if a reload swaps it.
    pub fn snapshot(&self) -> Arc<Library> {
        self.shelf.snapshot()
    }

    /// Notices for the moderators, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    /// Read the cards again now (what the `reload` command does, without the notices).
    pub async fn reload(&self, trigger: Trigger) -> ReloadRecord {
        self.reloader.reload(trigger).await
    }

    /// How many reloads have run since start-up.
    pub fn reloads(&self) -> u64 {
        self.reloader.reloads()
    }

    /// What the edit desk may use of the service for one command, asked where
    /// `default_topic` is the topic used when none is named.
    pub fn desk_handles<'a>(&'a self, default_topic: Option<&'a str>) -> Handles<'a> {
        Handles {
            shelf: &self.shelf,
            clock: self.clock,
            default_topic,
            reloader: &self.reloader,
            notices: &self.notices,
        }
    }

    /// The scheduler of the daily briefings kept in `store`, posting through `posters`.
    pub fn scheduler(
        &self,
        store: Arc<dyn ScheduleStore>,
        posters: Vec<Arc<dyn Poster>>,
    ) -> Arc<Scheduler> {
        Scheduler::new(
            self.shelf.clone(),
            self.clock,
            self.metrics.clone(),
            self.tasks.clone(),
            store,
            posters,
            self.public_url.as_ref().map(|u| u.to_string()),
            self.schedule_watch.clone(),
            self.claim_lease,
        )
    }
}
