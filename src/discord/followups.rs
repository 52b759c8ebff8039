//! What goes to Discord after an answer was sent: the edit that adds its chart, and the edit
//! that completes a deferred answer. They go through one bounded queue per kind, worked by a
//! fixed number of workers, so a slow, rate-limiting or unreachable Discord costs a bounded
//! amount of memory and no task per request:
//! - a full queue drops the new follow-up (a chart: the answer stands alone), counted in
//!   `/metrics` and logged at most once a minute;
//! - a follow-up older than the interaction token's life (15 minutes), or than a minute while
//!   the queue is more than half full, is dropped instead of sent;
//! - while Discord cannot be reached, a circuit breaker stops trying (30 s, doubling to 5
//!   minutes) instead of paying a failed connection per answer;
//! - a 429 waits its `retry_after` in `rest` (per route and token, or for every route when
//!   Discord says it is global).
//!
//! Must not: spawn a task per follow-up, or retry without end.

use super::respond::{Answering, completion, send_edit};
use super::rest::{Rest, RestError};
use crate::charts::Png;
use crate::metrics::Metrics;
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;

/// How many follow-ups of each kind may wait.
pub const CAPACITY: usize = 64;
/// How many follow-ups are sent at once.
pub const WORKERS: usize = 4;
/// An interaction token's life: nothing is sent with it after this.
pub const TOKEN_LIFE: Duration = Duration::from_secs(15 * 60);
/// How old a waiting follow-up may be while the queue is more than half full.
const UNDER_PRESSURE: Duration = Duration::from_secs(60);
/// Failed connections in a row that open the circuit.
const TRIP_AFTER: u32 = 5;
/// How long an open circuit stays open at first, and at most.
const FIRST_PAUSE: Duration = Duration::from_secs(30);
const LONGEST_PAUSE: Duration = Duration::from_secs(300);
/// How often dropped follow-ups are logged.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// A follow-up waiting to be sent.
enum Job {
    /// Add a chart to an answer already sent. `just_sent`: the answer is the HTTP response to
    /// this very interaction, and may not be recorded at Discord yet (a 404 is tried again).
    Chart {
        token: String,
        edit: Bytes,
        picture: Arc<Png>,
        just_sent: bool,
    },
    /// Complete a deferred answer with what `work` answers.
    Complete { token: String, work: Answering },
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Job::Chart { .. } => "chart",
            Job::Complete { .. } => "deferred",
        }
    }
}

struct Queued {
    job: Job,
    at: Instant,
    /// Keeps a graceful shutdown waiting until this follow-up is sent or dropped.
    _tracked: TaskTrackerToken,
}

/// The queues and their workers. Cheap to clone; the workers end when every clone is gone.
#[derive(Clone)]
pub struct Followups {
    charts: mpsc::Sender<Queued>,
    completions: mpsc::Sender<Queued>,
    shared: Arc<Shared>,
    tasks: TaskTracker,
}

struct Shared {
    metrics: Arc<Metrics>,
    breaker: Mutex<Breaker>,
    /// Drops since the last log line, and when that was.
    drops: Mutex<(u64, Option<Instant>)>,
}

/// Whether Discord is worth trying: closed (yes), or open until a moment (no).
#[derive(Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    pause: Duration,
    /// The pauses of this run of failures ([`PAUSES`]), from when it first opened.
    pauses: Option<crate::retry::Waits>,
}

/// How long the breaker stays open: 30 s at first, doubling (with jitter) to 5 minutes.
const PAUSES: crate::retry::Policy = crate::retry::Policy::new(FIRST_PAUSE, LONGEST_PAUSE);

impl Breaker {
    fn allows(&self, now: Instant) -> bool {
        self.open_until.is_none_or(|t| now >= t)
    }

    fn failed(&mut self, now: Instant) {
        self.failures += 1;
        let half_open = self.open_until.is_some_and(|t| now >= t);
        if self.failures >= TRIP_AFTER || half_open {
            if !half_open {
                self.pauses = Some(PAUSES.waits());
            }
            self.pause = self
                .pauses
                .get_or_insert_with(|| PAUSES.waits())
                .next()
                .unwrap_or(LONGEST_PAUSE)
                .min(LONGEST_PAUSE);
            self.open_until = Some(now + self.pause);
            tracing::warn!(
                pause_s = self.pause.as_secs(),
                "Discord cannot be reached: charts and deferred answers wait"
            );
        }
    }

    fn reached(&mut self) {
        if self.open_until.take().is_some() {
            tracing::info!("Discord can be reached again");
        }
        self.failures = 0;
        self.pauses = None;
    }
}

impl Followups {
    /// The queues, and [`WORKERS`] workers sending through `rest` (on the current runtime).
    /// A graceful shutdown that waits for `tasks` waits for the follow-ups queued too.
    pub fn start(rest: Arc<Rest>, metrics: Arc<Metrics>, tasks: TaskTracker) -> Followups {
        let (charts, chart_rx) = mpsc::channel(CAPACITY);
        let (completions, completion_rx) = mpsc::channel(CAPACITY);
        let shared = Arc::new(Shared {
            metrics,
            breaker: Mutex::new(Breaker::default()),
            drops: Mutex::new((0, None)),
        });
        let queues = Arc::new(tokio::sync::Mutex::new((completion_rx, chart_rx)));
        for _ in 0..WORKERS {
            let (rest, shared, queues) = (rest.clone(), shared.clone(), queues.clone());
            tokio::spawn(async move {
                loop {
                    // Completions first: they are the answer itself.
                    let next = {
                        let mut q = queues.lock().await;
                        let (completions, charts) = &mut *q;
                        tokio::select! {
                            biased;
                            j = completions.recv() => j,
                            j = charts.recv() => j,
                        }
                    };
                    let Some(q) = next else { return };
                    shared.metrics.followup_waiting(-1);
                    shared.run(&rest, q).await;
                }
            });
        }
        Followups {
            charts,
            completions,
            shared,
            tasks,
        }
    }

    /// Add `picture` to the answer sent with `token`, by an edit whose body is `edit`.
    /// `just_sent`: the answer is this interaction's HTTP response.
    pub fn chart(&self, token: String, edit: Bytes, picture: Arc<Png>, just_sent: bool) {
        let job = Job::Chart {
            token,
            edit,
            picture,
            just_sent,
        };
        self.push(&self.charts, job);
    }

    /// Complete the deferred answer of `token` with what `work` answers.
    pub fn complete(&self, token: String, work: Answering) {
        self.push(&self.completions, Job::Complete { token, work });
    }

    fn push(&self, queue: &mpsc::Sender<Queued>, job: Job) {
        let kind = job.kind();
        // While the breaker is open, nothing would be tried: drop at once, waking no worker.
        if !self.shared.lock_breaker().allows(Instant::now()) {
            return self.shared.dropped(kind, "unreachable");
        }
        match queue.try_send(Queued {
            job,
            at: Instant::now(),
            _tracked: self.tasks.token(),
        }) {
            Ok(()) => self.shared.metrics.followup_waiting(1),
            Err(_) => self.shared.dropped(kind, "full"),
        }
    }
}

impl Shared {
    async fn run(&self, rest: &Rest, q: Queued) {
        let kind = q.job.kind();
        let now = Instant::now();
        let age = now.duration_since(q.at);
        if age >= TOKEN_LIFE
            || (age >= UNDER_PRESSURE && self.metrics.followups_waiting() as usize > CAPACITY)
        {
            return self.dropped(kind, "expired");
        }
        if !self.lock_breaker().allows(now) {
            return self.dropped(kind, "unreachable");
        }
        let left = TOKEN_LIFE - age;
        let sent = match tokio::time::timeout(left, send(rest, q.job)).await {
            Ok(r) => r,
            Err(_) => return self.dropped(kind, "expired"),
        };
        // A completion is the answer itself, counted as a message sent or failed; a chart is
        // an edit of a message already counted.
        let answer = kind == "deferred";
        match sent {
            Ok(()) => {
                self.lock_breaker().reached();
                if answer {
                    self.metrics.sent("discord");
                }
            }
            Err(e) => {
                if matches!(e, RestError::Transport(_)) {
                    self.lock_breaker().failed(Instant::now());
                } else {
                    // Discord answered: it can be reached, whatever it said.
                    self.lock_breaker().reached();
                }
                if answer {
                    self.metrics.failed("discord");
                }
                self.dropped(kind, "failed");
                tracing::debug!(kind, error = %e, "a follow-up to Discord failed");
            }
        }
    }

    fn lock_breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count a follow-up not sent, and say so in the log at most once a minute.
    fn dropped(&self, kind: &'static str, why: &'static str) {
        self.metrics.followup_dropped(kind, why);
        let mut d = self.drops.lock().unwrap_or_else(|e| e.into_inner());
        d.0 += 1;
        let now = Instant::now();
        if d.1.is_none_or(|t| now.duration_since(t) >= LOG_EVERY) {
            tracing::warn!(
                dropped = d.0,
                last_kind = kind,
                last_reason = why,
                "follow-ups to Discord were dropped (charts not added, or deferred answers not completed); see dossier_discord_followups_dropped_total"
            );
            *d = (0, Some(now));
        }
    }
}

async fn send(rest: &Rest, job: Job) -> Result<(), RestError> {
    match job {
        Job::Chart {
            token,
            edit,
            picture,
            just_sent,
        } => {
            // The edit may reach Discord before the response it edits is recorded there.
            let mut wait = Duration::from_millis(100);
            let mut tries = if just_sent { 0 } else { 4 };
            loop {
                match rest
                    .edit_original_upload(&token, edit.clone(), &picture)
                    .await
                {
                    Err(RestError::Status { status: 404, .. }) if tries < 4 => {
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                        tries += 1;
                    }
                    done => return done,
                }
            }
        }
        Job::Complete { token, work } => {
            let m = completion(work).await;
            send_edit(rest, &token, &m).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_failures_in_a_row_and_backs_off() {
        let t0 = Instant::now();
        let mut b = Breaker::default();
        for _ in 0..TRIP_AFTER - 1 {
            b.failed(t0);
        }
        assert!(b.allows(t0), "a few failures do not open it");
        b.failed(t0);
        assert!(!b.allows(t0 + Duration::from_secs(29)));
        let later = t0 + FIRST_PAUSE * 2;
        assert!(
            b.allows(later),
            "half open after the pause (with jitter, at most twice it)"
        );
        b.failed(later);
        assert!(
            !b.allows(later + FIRST_PAUSE * 2 - Duration::from_millis(1)),
            "the pause doubled"
        );
        assert!(b.allows(later + FIRST_PAUSE * 4));
        b.reached();
        assert!(b.allows(later) && b.failures == 0);
        // The pause never grows past its bound.
        let mut at = later;
        for _ in 0..20 {
            at += LONGEST_PAUSE;
            b.open_until = Some(at);
            b.failed(at);
        }
        assert!(b.pause <= LONGEST_PAUSE);
    }
}
