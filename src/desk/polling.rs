//! The newsdesk inside `serve`: every topic's feeds read on their own `every`, by one replica at
//! a time (the caller runs it under the service's lease), one request at a time per host with a
//! gap between; a failing feed backs off (its wait doubles with its failing, with jitter, to
//! six hours), and one that answered `429` or `503` with `Retry-After` is left alone that long.
//! Each new proposal is posted to the moderators, as is each feed's day of failing and its
//! recovery, once each. Items seen are forgotten after 30 days.

use super::news::{FailingDay, Pacer, poll_due};
use super::proposals::notice;
use crate::cards::model::FeedSource;
use crate::fetch::client::Fetcher;
use crate::service::{Notice, NoticeKind, Notices, Shelf};
use crate::store::news::{FeedFetch, NewsStore};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the poller looks for feeds that are due (each feed's `every` is at least 5 min).
pub const LOOK_EVERY: Duration = Duration::from_secs(30);
/// The least time between two requests to one host.
pub const HOST_GAP: Duration = Duration::from_secs(2);
/// The longest a failing feed waits before it is asked again.
pub const LONGEST_BACKOFF: chrono::Duration = chrono::Duration::hours(6);
/// How long the items seen are kept (for `desk log`, and so an item is never proposed twice).
pub const KEEP_ITEMS: chrono::Duration = chrono::Duration::days(30);

/// What the poller needs.
pub struct Polling {
    pub fetcher: Fetcher,
    pub store: Arc<dyn NewsStore>,
    /// `[newsdesk] max_proposals_per_day`.
    pub max: usize,
}

/// A jitter factor from 0.85 to 1.15, the same for one feed's one failure (so looking again
/// does not draw again), different across feeds (so failing feeds do not retry together).
fn jitter(feed: &str, at: DateTime<Utc>) -> f64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (feed, at.timestamp_millis()).hash(&mut h);
    0.85 + (h.finish() % 1000) as f64 * 0.0003
}

/// Whether `feed`, last fetched as `last` says, is due at `now`.
pub fn due(feed: &FeedSource, last: Option<&FeedFetch>, now: DateTime<Utc>) -> bool {
    let Some(l) = last else { return true };
    let Some(at) = l.fetched_at else { return true };
    if l.retry_at.is_some_and(|r| now < r) {
        return false;
    }
    let every = chrono::Duration::from_std(feed.every).unwrap_or(chrono::Duration::minutes(30));
    let wait = match l.failing_since {
        None => every,
        Some(since) => {
            let doubled = ((at - since) * 2).max(every).min(LONGEST_BACKOFF);
            let millis = doubled.num_milliseconds() as f64 * jitter(feed.at.as_str(), at);
            chrono::Duration::milliseconds(millis as i64)
        }
    };
    now >= at + wait
}

/// The notice of a feed's day of failing, or of its recovery.
fn day_notice(topic: &str, feed: &str, day: &FailingDay, error: Option<&str>) -> Notice {
    match day {
        FailingDay::Failing { since } => Notice {
            kind: NoticeKind::Feed,
            title: format!("A news feed of {topic} has failed for a day: {feed}"),
            detail: format!(
                "It has failed since {} UTC; the last try: {}.\nThe newsdesk keeps trying, less often (at most every 6 hours). Fix or remove it in {topic}/feeds.toml.",
                since.format("%Y-%m-%d %H:%M"),
                error.unwrap_or("no answer")
            ),
        },
        FailingDay::Recovered { since } => Notice {
            kind: NoticeKind::Feed,
            title: format!("A news feed of {topic} works again: {feed}"),
            detail: format!(
                "It had failed since {} UTC; it was read again now.",
                since.format("%Y-%m-%d %H:%M")
            ),
        },
    }
}

/// One look: every due feed of every topic read now, and what came of it posted.
pub async fn look(polling: &Polling, shelf: &Shelf, notices: &Notices, pacer: &Pacer) {
    let lib = shelf.snapshot();
    let now = Utc::now();
    for topic in lib.topics().iter().filter(|t| t.feeds.is_some()) {
        let polled = poll_due(
            topic,
            &polling.fetcher,
            Some(polling.store.as_ref()),
            polling.max,
            now,
            &|feed, last| due(feed, last, now),
            Some(pacer),
        )
        .await;
        let p = match polled {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(topic = %topic.id, error = %e, "the newsdesk's poll could not be kept");
                continue;
            }
        };
        for f in &p.feeds {
            if let Some(e) = &f.error {
                tracing::info!(topic = %topic.id, feed = %f.feed, error = %e, "a news feed was not read");
            }
            if let Some(day) = &f.day {
                notices.post(day_notice(&topic.id, &f.feed, day, f.error.as_deref()));
            }
        }
        for (pr, id) in p.proposals.iter().zip(&p.ids) {
            tracing::info!(topic = %topic.id, proposal = id, "the newsdesk proposes: {}", pr.title);
            notices.post(notice(*id, pr));
        }
    }
}

/// How long after the start the first look waits, so the doors come up first.
pub const FIRST_LOOK_AFTER: Duration = Duration::from_secs(3);

/// Poll until `stop`: a look every [`LOOK_EVERY`] (the first [`FIRST_LOOK_AFTER`] the start),
/// and the items seen pruned once a day.
pub async fn run(
    polling: Arc<Polling>,
    shelf: Arc<Shelf>,
    notices: Notices,
    stop: CancellationToken,
) {
    let pacer = Pacer::new(HOST_GAP);
    let mut pruned: Option<DateTime<Utc>> = None;
    tokio::select! {
        _ = stop.cancelled() => return,
        _ = tokio::time::sleep(FIRST_LOOK_AFTER) => {}
    }
    loop {
        look(&polling, &shelf, &notices, &pacer).await;
        let now = Utc::now();
        if pruned.is_none_or(|p| now - p >= chrono::Duration::days(1)) {
            match polling.store.prune(now - KEEP_ITEMS).await {
                Ok(n) if n > 0 => {
                    tracing::info!(items = n, "the newsdesk forgot items seen over 30 days ago")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the newsdesk could not forget old items"),
            }
            pruned = Some(now);
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::model::FeedAt;

    fn feed(every_min: u64) -> FeedSource {
        FeedSource {
            at: FeedAt::Url("https://news.example.org/rss".into()),
            outlet: None,
            every: Duration::from_secs(every_min * 60),
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).expect("instant")
            + chrono::Duration::minutes(min)
    }

    fn fetched(min: i64, failing_since: Option<i64>, retry_at: Option<i64>) -> FeedFetch {
        FeedFetch {
            fetched_at: Some(at(min)),
            failing_since: failing_since.map(at),
            retry_at: retry_at.map(at),
            ..FeedFetch::default()
        }
    }

    #[test]
    fn a_feed_is_due_on_its_every_backs_off_when_failing_and_waits_for_retry_after() {
        let f = feed(30);
        assert!(due(&f, None, at(0)));
        assert!(!due(&f, Some(&fetched(0, None, None)), at(29)));
        assert!(due(&f, Some(&fetched(0, None, None)), at(30)));
        // Failing for two hours: about four hours' wait (jitter ±15 %), not 30 min.
        let failing = fetched(120, Some(0), None);
        assert!(!due(&f, Some(&failing), at(120 + 200)));
        assert!(due(&f, Some(&failing), at(120 + 280)));
        // Failing for days: at most six hours (with jitter).
        let long = fetched(5000, Some(0), None);
        assert!(due(&f, Some(&long), at(5000 + 6 * 60 + 60)));
        // A Retry-After is kept even when the feed's every has passed.
        let asked = fetched(0, Some(0), Some(90));
        assert!(!due(&f, Some(&asked), at(60)));
        assert!(due(&f, Some(&asked), at(91)));
    }
}
