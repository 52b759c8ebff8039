//! The scheduler: a thin loop around `due`. Each tick it asks, for every subscription, whether
//! a briefing is due; a due one is claimed in the store (so no other process posts it), built
//! from the current library and the snapshot the place was last sent, posted through the
//! door's [`Poster`] with an idempotency key derived from the post, and recorded. Each post runs
//! on its own task, so a failing destination (deleted channel, missing permission, 429) is
//! retried with capped backoff and never delays the others.

use crate::clock::Clock;
use crate::digest::{self, Previous, TopicSnapshot};
use crate::metrics::Metrics;
use crate::reply::Reply;
use crate::schedule::due::{Due, due};
use crate::schedule::store::*;
use crate::service::Shelf;
use crate::store::schedules::*;
use arc_swap::ArcSwap;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The scheduler wakes at the next due time or the next claim's lapse or retry, and besides
/// looks at least this often (or once a lease, when that is shorter): for subscriptions another
/// replica made, and claims it made after this one last looked.
const LOOK_AT_LEAST: std::time::Duration = std::time::Duration::from_secs(30);
/// A wake for a lapse comes this much after it, so the claim has lapsed by the store's clock.
const AFTER_LAPSE: std::time::Duration = std::time::Duration::from_millis(50);
/// Posts one process works on at the same time (each holds a store connection for its claim
/// and its record, and waits on the platform in between).
const MAX_IN_FLIGHT: usize = 32;
/// How soon a tick that found the store down is tried again.
const DOWN_RETRY: std::time::Duration = std::time::Duration::from_secs(2);
/// The longest wait between retries of a failing destination.
const MAX_RETRY: Duration = Duration::minutes(30);

/// Why a post did not go out.
#[derive(Debug, Clone)]
pub enum PostError {
    /// The destination refuses (deleted channel, missing permission, room left): retried later,
    /// slowly, and shown in `status`.
    Refused(String),
    /// A passing failure (a 429, a network error); `after` is the wait the platform asked for.
    Retry {
        why: String,
        after: Option<std::time::Duration>,
    },
}

impl std::fmt::Display for PostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostError::Refused(why) => write!(f, "refused: {why}"),
            PostError::Retry { why, .. } => f.write_str(why),
        }
    }
}

pub type PostFuture<'a> = Pin<Box<dyn Future<Output = Result<String, PostError>> + Send + 'a>>;

/// A door that can post a briefing: Discord through its REST API, Matrix into a room.
pub trait Poster: Send + Sync {
    fn platform(&self) -> &'static str;
    /// Whether this replica can post now. A door that runs in one replica at a time (held
    /// elsewhere, or not connected yet) says no, and its due briefings are left unclaimed for
    /// the replica that holds it.
    fn ready(&self) -> bool {
        true
    }
    /// Post `reply` to `destination`; the same `key` must never produce a second message.
    /// Returns the platform's message id.
    fn post<'a>(
        &'a self,
        destination: &'a Destination,
        reply: &'a Reply,
        key: &'a str,
    ) -> PostFuture<'a>;
}

/// A test-only fault point: `DOSSIER_FAULT=after-claim` makes the process exit right after a
/// post is claimed and before it is sent; `after-send` right after it is sent and before it is
/// recorded. Debug builds only.
fn fault(point: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("DOSSIER_FAULT").is_ok_and(|f| f == point) {
        eprintln!("DOSSIER_FAULT={point}: exiting as asked");
        std::process::exit(86);
    }
    #[cfg(not(debug_assertions))]
    let _ = point;
}

/// The scheduler's shared state.
pub struct Scheduler {
    shelf: Arc<Shelf>,
    clock: Clock,
    metrics: Arc<Metrics>,
    /// Posts in flight: a graceful shutdown waits for them.
    tasks: TaskTracker,
    pub store: Arc<dyn ScheduleStore>,
    pub posters: Vec<Arc<dyn Poster>>,
    /// Where the web pages are reached from outside: each briefing links to its topic's.
    public_url: Option<String>,
    /// Who this process is, in claims.
    pub owner: String,
    /// Posts being worked on by this process, so a tick does not start one twice.
    busy: Mutex<std::collections::HashSet<(i64, NaiveDate)>>,
    /// Posts claimed and sent at the same time: a tick with thousands due queues them here,
    /// rather than have thousands of claims wait on a handful of database connections (and
    /// time out) at once.
    slots: tokio::sync::Semaphore,
    /// What `status` and `/readyz` read without waiting on the store.
    pub watch: Arc<ScheduleWatch>,
    /// How long a claim holds unrenewed.
    lease: Duration,
}

/// What the scheduler last saw, for `status` and `/readyz`, which must answer while the store
/// is down.
#[derive(Default)]
pub struct ScheduleWatch {
    /// `status`'s lines about failing or missed briefings, as of the last tick or failure.
    pub attention: ArcSwap<Vec<String>>,
    /// Set while the store cannot be read (logged once; `/readyz` says it is degraded).
    pub store_down: std::sync::atomic::AtomicBool,
    /// Wakes the scheduler before its next look (a subscription made here just now).
    pub wake: tokio::sync::Notify,
}

impl ScheduleWatch {
    pub fn store_down(&self) -> bool {
        self.store_down.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Scheduler {
    // Each is a separate handle the service holds; App::scheduler is the one caller.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        shelf: Arc<Shelf>,
        clock: Clock,
        metrics: Arc<Metrics>,
        tasks: TaskTracker,
        store: Arc<dyn ScheduleStore>,
        posters: Vec<Arc<dyn Poster>>,
        public_url: Option<String>,
        watch: Arc<ScheduleWatch>,
        lease: std::time::Duration,
    ) -> Arc<Self> {
        let owner = format!(
            "{}-{}",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        );
        Arc::new(Scheduler {
            shelf,
            clock,
            metrics,
            tasks,
            store,
            posters,
            public_url,
            owner,
            busy: Mutex::new(Default::default()),
            slots: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
            watch,
            lease: Duration::from_std(lease).unwrap_or(Duration::seconds(10)),
        })
    }

    fn poster(&self, d: &Destination) -> Option<Arc<dyn Poster>> {
        self.posters
            .iter()
            .find(|p| p.platform() == d.platform())
            .cloned()
    }

    /// Run until `stop`: one tick at once (catching up on downtime), then one at each next due
    /// time, claim lapse or retry, and at least every [`LOOK_AT_LEAST`].
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let most = LOOK_AT_LEAST.min(self.lease.to_std().unwrap_or(LOOK_AT_LEAST));
        loop {
            let due = self.tick(Utc::now()).await;
            // A store that is down is asked again soon, so briefings resume within seconds of
            // its return.
            let wait = if self.watch.store_down() {
                DOWN_RETRY
            } else {
                let now = Utc::now();
                let next = [due, self.next_opening(now).await]
                    .into_iter()
                    .flatten()
                    .min();
                next.map(|n| (n - now).to_std().unwrap_or_default())
                    .unwrap_or(most)
                    .min(most)
                    .max(std::time::Duration::from_millis(200))
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
                _ = self.watch.wake.notified() => {}
            }
        }
    }

    /// The first instant after `now` at which a claimed post lapses or a failed one may be
    /// retried (a moment after, so it has by then).
    async fn next_opening(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = now.date_naive() - Duration::days(2);
        let unsettled = self.store.unsettled(from).await.ok()?;
        let after = Duration::from_std(AFTER_LAPSE).unwrap_or_default();
        unsettled
            .iter()
            .filter_map(|u| u.opens_at(self.lease))
            .map(|t| t + after)
            .filter(|t| *t > now)
            .min()
    }

    /// Look at every subscription once (one query); start the posts that are due. Returns the
    /// next instant anything is due. When the store cannot be read, nothing is started and the
    /// next tick tries again: posts catch up within their window once it is back.
    pub async fn tick(self: &Arc<Self>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let subs = match self.store.active_with_last().await {
            Ok(s) => {
                if self.store_ok(true) {
                    tracing::info!(store = %self.store.describe(), "the schedule store answers again; due briefings catch up");
                }
                s
            }
            Err(e) => {
                if self.store_ok(false) {
                    tracing::error!(store = %self.store.describe(), error = %e, "cannot read the subscriptions; daily briefings wait until the store is back");
                }
                return None;
            }
        };
        let mut next: Option<DateTime<Utc>> = None;
        for (sub, last) in subs {
            match due(&sub.slot(), last, now) {
                Due::Wait { next: n } => next = Some(next.map_or(n, |x| x.min(n))),
                Due::Missed { day, scheduled } => {
                    tracing::warn!(subscription = sub.id, destination = %sub.destination.describe(), topic = %sub.topic, %day, scheduled = %scheduled, "a briefing was due while dossier was down, longer ago than the catch-up window: recorded as missed");
                    let outcome = PostOutcome {
                        day,
                        scheduled,
                        state: &PostState::Missed,
                        snapshot: None,
                        retry_at: None,
                    };
                    if let Err(e) = self.store.record(&sub, &outcome, now).await {
                        tracing::error!(error = %e, "cannot record a missed briefing");
                    }
                }
                Due::Post { day, scheduled } => {
                    if self.poster(&sub.destination).is_some_and(|p| !p.ready()) {
                        continue;
                    }
                    let key = (sub.id, day);
                    let fresh = self
                        .busy
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(key);
                    if fresh {
                        let me = self.clone();
                        self.tasks.spawn(async move {
                            if let Ok(_slot) = me.slots.acquire().await {
                                me.post(&sub, day, scheduled).await;
                            }
                            me.busy
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .remove(&key);
                        });
                    }
                }
            }
        }
        self.refresh_attention().await;
        next
    }

    /// Note whether the store answered; true when that is news (so it is logged once).
    fn store_ok(&self, ok: bool) -> bool {
        let was_down = self
            .watch
            .store_down
            .swap(!ok, std::sync::atomic::Ordering::Relaxed);
        was_down == ok
    }

    /// Re-read which subscriptions need a moderator's attention (for `status`, which must not
    /// wait on the store).
    async fn refresh_attention(&self) {
        let lines = match self.store.attention().await {
            Ok(found) => found
                .iter()
                .map(|(s, last)| super::chat::attention_line(s, last))
                .collect(),
            Err(_) => vec![format!(
                "the schedule store ({}) cannot be read; see the log",
                self.store.describe()
            )],
        };
        self.watch.attention.store(Arc::new(lines));
    }

    /// Claim, build, send and record one briefing.
    async fn post(&self, sub: &Subscription, day: NaiveDate, scheduled: DateTime<Utc>) {
        let now = Utc::now();
        let attempt = match self
            .store
            .claim(sub, day, scheduled, &self.owner, self.lease, now)
            .await
        {
            Ok(Claim::Won { attempt }) => {
                if attempt > 1 {
                    tracing::info!(subscription = sub.id, %day, attempt, "taking up a briefing that was claimed but not confirmed");
                }
                attempt
            }
            Ok(Claim::Taken) => return,
            Err(e) => {
                tracing::error!(error = %e, "cannot claim a briefing");
                return;
            }
        };
        fault("after-claim");
        let record = async |state: PostState,
                            snapshot: Option<String>,
                            retry: Option<DateTime<Utc>>| {
            let outcome = PostOutcome {
                day,
                scheduled,
                state: &state,
                snapshot: snapshot.as_deref(),
                retry_at: retry,
            };
            if let Err(e) = self.store.record(sub, &outcome, Utc::now()).await {
                tracing::error!(subscription = sub.id, error = %e, "cannot record a briefing's outcome");
            }
            // What `status` lists changes when a post fails, or succeeds after failing.
            if matches!(state, PostState::Failed { .. }) || attempt > 1 {
                self.refresh_attention().await;
            }
        };
        let Some(poster) = self.poster(&sub.destination) else {
            record(
                PostState::Failed {
                    error: format!("no {} door is open", sub.destination.platform()),
                },
                None,
                Some(Utc::now() + MAX_RETRY),
            )
            .await;
            return;
        };
        let (reply, snapshot) = match self.build(sub, day).await {
            Ok(Some(b)) => b,
            Ok(None) => {
                tracing::info!(subscription = sub.id, %day, "nothing changed and the place asked for nothing: skipped");
                record(PostState::Skipped, None, None).await;
                return;
            }
            Err(why) => {
                record(
                    PostState::Failed { error: why.clone() },
                    None,
                    Some(Utc::now() + MAX_RETRY),
                )
                .await;
                tracing::warn!(subscription = sub.id, %day, "cannot build the briefing: {why}");
                return;
            }
        };
        let key = sub.post_key(day);
        // Each door bounds its own requests; this bounds the whole send, whatever it does.
        let sending = async {
            let limit = crate::deadlines::BRIEFING_SEND;
            tokio::time::timeout(limit, poster.post(&sub.destination, &reply, &key))
                .await
                .unwrap_or_else(|_| {
                    Err(PostError::Retry {
                        why: format!("no answer within {}", crate::deadlines::describe(limit)),
                        after: None,
                    })
                })
        };
        match self.while_held(sub.id, day, sending).await {
            Ok(message_id) => {
                fault("after-send");
                self.metrics.sent(sub.destination.platform());
                tracing::info!(subscription = sub.id, destination = %sub.destination.describe(), topic = %sub.topic, %day, "posted the daily briefing");
                record(PostState::Sent { message_id }, Some(snapshot), None).await;
            }
            Err(e) => {
                self.metrics.failed(sub.destination.platform());
                let attempts = self
                    .store
                    .recent(sub.id, 1)
                    .await
                    .ok()
                    .and_then(|r| r.first().map(|p| p.attempts))
                    .unwrap_or(1);
                let wait = retry_wait(&e, attempts);
                tracing::warn!(subscription = sub.id, destination = %sub.destination.describe(), error = %e, retry_in_s = wait.num_seconds(), "posting a briefing failed");
                record(
                    PostState::Failed {
                        error: e.to_string(),
                    },
                    None,
                    Some(Utc::now() + wait),
                )
                .await;
            }
        }
    }

    /// Run `work` (a send), renewing this process's claim on the post every third of the lease,
    /// so the claim lives as long as the work and lapses a lease after this process dies.
    async fn while_held<T>(
        &self,
        subscription: i64,
        day: NaiveDate,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let every = (self.lease / 3)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(1))
            .max(std::time::Duration::from_millis(200));
        tokio::pin!(work);
        // Renewals start on a fixed beat, each within a third of the lease, and the send is
        // polled while one is under way: a slow store cannot stretch the gap past the lease.
        let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                done = &mut work => return done,
                _ = beat.tick() => {}
            }
            let renewal = tokio::time::timeout(
                every,
                self.store.renew(subscription, day, &self.owner, Utc::now()),
            );
            tokio::pin!(renewal);
            tokio::select! {
                done = &mut work => return done,
                renewed = &mut renewal => match renewed {
                    Ok(Ok(true)) => {}
                    Ok(Ok(false)) => tracing::warn!(subscription, %day, "the claim on a briefing being sent was taken over; the send goes on with the same key"),
                    Ok(Err(e)) => tracing::warn!(subscription, %day, error = %e, "could not renew the claim on a briefing being sent"),
                    Err(_) => tracing::warn!(subscription, %day, "renewing the claim on a briefing being sent took longer than a third of the lease"),
                },
            }
        }
    }

    /// The briefing for a subscription's day, and the snapshot to store once it is sent;
    /// `None` when nothing changed and the place asked for nothing.
    pub async fn build(
        &self,
        sub: &Subscription,
        day: NaiveDate,
    ) -> Result<Option<(Reply, String)>, String> {
        let lib = self.shelf.snapshot();
        let ti = lib
            .topic_index(&sub.topic)
            .ok_or_else(|| format!("no topic `{}` is loaded", sub.topic))?;
        let stored = self
            .store
            .snapshot(&sub.destination, &lib.topic(ti).id)
            .await
            .map_err(|e| e.to_string())?;
        let previous = stored
            .as_ref()
            .and_then(|(body, d)| TopicSnapshot::from_json(body).map(|s| (s, *d)));
        let reply = digest::digest(
            &lib,
            ti,
            previous.as_ref().map(|(s, d)| Previous {
                snapshot: s,
                day: *d,
            }),
            day,
            self.clock.today(),
            sub.when_unchanged,
        );
        let snapshot = TopicSnapshot::of(lib.topic(ti)).to_json();
        Ok(reply.map(|mut r| {
            // The briefing links to its topic's page, where there are public pages.
            if let Some(base) = &self.public_url {
                r.link = Some(format!(
                    "{}{}",
                    base.trim_end_matches('/'),
                    crate::commands::address::topic_path(&lib.topic(ti).id)
                ));
            }
            (r, snapshot)
        }))
    }
}

/// The wait before retrying a failed post: what the platform asked for, else the retry
/// policy's from 30 s, capped (a refusing destination is retried slowly).
pub fn retry_wait(e: &PostError, attempts: u32) -> Duration {
    let policy = crate::retry::Policy::new(
        std::time::Duration::from_secs(30),
        MAX_RETRY
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(3600)),
    );
    let doubling = Duration::from_std(policy.after(attempts)).unwrap_or(MAX_RETRY);
    match e {
        PostError::Retry { after: Some(a), .. } => {
            Duration::from_std(*a).unwrap_or(MAX_RETRY).min(MAX_RETRY)
        }
        PostError::Retry { after: None, .. } => doubling.min(MAX_RETRY),
        PostError::Refused(_) => MAX_RETRY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_honour_the_platform() {
        let passing = PostError::Retry {
            why: "network".into(),
            after: None,
        };
        let first = retry_wait(&passing, 1);
        assert!(
            first >= Duration::seconds(30) && first <= Duration::seconds(60),
            "{first}"
        );
        let third = retry_wait(&passing, 3);
        assert!(
            third >= Duration::seconds(120) && third <= Duration::seconds(240),
            "{third}"
        );
        assert!(retry_wait(&passing, 40) <= MAX_RETRY);
        assert!(retry_wait(&passing, 40) >= MAX_RETRY / 2);
        let limited = PostError::Retry {
            why: "429".into(),
            after: Some(std::time::Duration::from_millis(1500)),
        };
        assert_eq!(retry_wait(&limited, 5), Duration::milliseconds(1500));
        assert_eq!(retry_wait(&PostError::Refused("403".into()), 1), MAX_RETRY);
    }
}
