//! The newsdesk's poll: every feed of a topic read now (a file in the topic folder, or fetched
//! through [`Fetcher`] with its address policy, conditionally on what the last fetch said),
//! each item judged against the topic, and the items not seen before merged into proposals.
//! With a [`NewsStore`], what was fetched, seen and proposed is kept (so the next poll proposes
//! nothing twice); without one, nothing is. One broken feed never stops the others: it is
//! reported with why.

use crate::cards::model::{FeedAt, FeedSource, Topic};
use crate::fetch::client::{Fetched, Fetcher, Validators};
use crate::newsdesk::items::{Read, read};
use crate::newsdesk::matching::Matcher;
use crate::newsdesk::proposals::{Candidate, Fate, Known, Proposal, keys, merge};
use crate::store::news::{FeedFetch, NewsStore, SeenItem};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// What one feed gave.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FeedReport {
    /// The address or the path, as the card writes it.
    pub feed: String,
    pub outlet: String,
    pub items: usize,
    /// Unchanged since the last fetch (it answered `304`).
    pub unchanged: bool,
    /// Why nothing was read, when nothing was.
    pub error: Option<String>,
    /// A day of failing began or ended with this fetch: the moderators are told once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<FailingDay>,
}

/// A feed's day of failing, as the moderators hear of it: once when it has failed for a day,
/// once when it works again after that.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailingDay {
    /// It has failed since then, for a day now.
    Failing { since: DateTime<Utc> },
    /// It works again, after failing since then.
    Recovered { since: DateTime<Utc> },
}

/// How long a feed fails before the moderators are told.
pub const FAILING_DAY: chrono::Duration = chrono::Duration::hours(24);

/// One topic's poll.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Poll {
    pub topic: String,
    pub feeds: Vec<FeedReport>,
    pub proposals: Vec<Proposal>,
    /// The kept ids of the proposals, in order (none when nothing is kept).
    pub ids: Vec<i64>,
    /// What became of each item, with its title and outlet.
    pub items: Vec<(String, String, Fate)>,
}

/// How many of a topic's latest proposals a poll compares its items with.
const EARLIER: usize = 1000;

/// The largest feed file read from a topic folder.
const MAX_FILE: u64 = 5 << 20;

/// What reading one feed brought: its bytes (none when unchanged), and the validators of the
/// answer for next time.
struct Body {
    bytes: Option<Vec<u8>>,
    validators: Validators,
}

/// Why a feed was not read: in words, and how long it asked to be left alone (`Retry-After`).
type NotRead = (String, Option<std::time::Duration>);

/// Read the bytes of one feed, conditionally on `last`.
async fn body(
    topic: &Topic,
    at: &FeedAt,
    fetcher: &Fetcher,
    last: &Validators,
) -> Result<Body, NotRead> {
    match at {
        FeedAt::Path(p) => {
            let bytes = read_inside(&topic.dir, p).map_err(|e| (e, None))?;
            Ok(Body {
                bytes: Some(bytes),
                validators: Validators::default(),
            })
        }
        FeedAt::Url(u) => match fetcher.get(u, last).await {
            Ok(Fetched::Page(page)) => Ok(Body {
                bytes: Some(page.body),
                validators: page.validators,
            }),
            Ok(Fetched::NotModified) => Ok(Body {
                bytes: None,
                validators: last.clone(),
            }),
            Err(e) => {
                let wait = match &e {
                    crate::fetch::client::FetchError::Status { retry_after, .. } => *retry_after,
                    _ => None,
                };
                Err((e.to_string(), wait))
            }
        },
    }
}

/// The feed file `relative` inside the topic folder `dir`, at most [`MAX_FILE`] bytes: a path
/// that leads out of the folder (through a link, say) is refused.
fn read_inside(dir: &std::path::Path, relative: &str) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let path = dir.join(relative);
    let shown = || path.display().to_string();
    let real = path
        .canonicalize()
        .map_err(|e| format!("{}: {e}", shown()))?;
    let folder = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    if !real.starts_with(&folder) || !real.is_file() {
        return Err(format!("{} is not a file inside the topic folder", shown()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&real)
        .and_then(|f| f.take(MAX_FILE + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("{}: {e}", shown()))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!("{} is over {MAX_FILE} bytes", shown()));
    }
    Ok(bytes)
}

/// Poll every feed of `topic` now, keeping what it saw in `store` when there is one; at most
/// `max` proposals a day come out (with no store, `max` in this poll). Fails only when the
/// store does.
pub async fn poll(
    topic: &Topic,
    fetcher: &Fetcher,
    store: Option<&dyn NewsStore>,
    max: usize,
    now: DateTime<Utc>,
) -> Result<Poll, String> {
    poll_due(topic, fetcher, store, max, now, &|_, _| true, None).await
}

/// The longest a feed's `Retry-After` is honoured: a server asking for more is asked again
/// after a day.
const LONGEST_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// [`poll`] of the feeds `due` says are due (given each feed's last fetch), each host asked
/// no sooner than `pacer` allows.
pub async fn poll_due(
    topic: &Topic,
    fetcher: &Fetcher,
    store: Option<&dyn NewsStore>,
    max: usize,
    now: DateTime<Utc>,
    due: &(dyn Fn(&FeedSource, Option<&FeedFetch>) -> bool + Sync),
    pacer: Option<&Pacer>,
) -> Result<Poll, String> {
    let mut out = Poll {
        topic: topic.id.clone(),
        feeds: Vec::new(),
        proposals: Vec::new(),
        ids: Vec::new(),
        items: Vec::new(),
    };
    let Some(feeds) = &topic.feeds else {
        return Ok(out);
    };
    let matcher = Matcher::new(topic, feeds);
    let last: Vec<FeedFetch> = match store {
        Some(s) => s.fetches(&topic.id).await.map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let mut candidates = Vec::new();
    // How each feed read went, kept once the items are judged.
    let mut fetched: Vec<FeedFetch> = Vec::new();
    for (i, feed) in feeds.feeds.iter().enumerate() {
        let name = feed.at.as_str();
        let before = last.iter().find(|f| f.feed == name);
        if !due(feed, before) {
            continue;
        }
        if let (Some(p), FeedAt::Url(u)) = (pacer, &feed.at) {
            p.wait_for(u).await;
        }
        let validators = before.map_or_else(Validators::default, |f| Validators {
            etag: f.etag.clone(),
            last_modified: f.last_modified.clone(),
        });
        let got = body(topic, &feed.at, fetcher, &validators).await;
        let mut retry_after = None;
        let (read, unchanged, kept): (Result<Option<Read>, String>, bool, Validators) = match got {
            Ok(Body {
                bytes: None,
                validators,
            }) => (Ok(None), true, validators),
            Ok(Body {
                bytes: Some(b),
                validators,
            }) => (read(&b).map(Some), false, validators),
            Err((e, wait)) => {
                retry_after = wait;
                (Err(e), false, validators)
            }
        };
        let outlet = outlet_of(feed, read.as_ref().ok().and_then(Option::as_ref));
        let (items, error) = match read {
            Ok(Some(r)) => {
                let n = r.items.len();
                for item in r.items {
                    let verdict = matcher.judge(&item.title, &item.summary, Some(i));
                    candidates.push(Candidate {
                        feed: name.to_owned(),
                        outlet: outlet.clone(),
                        item,
                        verdict,
                        seen_at: now,
                    });
                }
                (n, None)
            }
            Ok(None) => (0, None),
            Err(why) => (0, Some(why)),
        };
        let failing_since = match &error {
            Some(_) => before.and_then(|f| f.failing_since).or(Some(now)),
            None => None,
        };
        let day = failing_day(before, failing_since, now);
        if store.is_some() {
            fetched.push(FeedFetch {
                topic: topic.id.clone(),
                feed: name.to_owned(),
                etag: kept.etag,
                last_modified: kept.last_modified,
                fetched_at: Some(now),
                error: error.clone(),
                failing_since,
                items_seen: before.map_or(0, |f| f.items_seen) + items as i64,
                retry_at: retry_after.map(|w| {
                    now + chrono::Duration::from_std(w.min(LONGEST_RETRY_AFTER))
                        .unwrap_or(FAILING_DAY)
                }),
            });
        }
        out.feeds.push(FeedReport {
            feed: name.to_owned(),
            outlet,
            items,
            unchanged,
            error,
            day,
        });
    }
    if out.feeds.is_empty() {
        // No feed was due: nothing to judge, keep or compare.
        return Ok(out);
    }
    // Items seen by an earlier poll are not judged again.
    let seen: HashSet<String> = match store {
        Some(s) => {
            let all: Vec<String> = candidates
                .iter()
                .flat_map(|c| keys(&c.feed, &c.item))
                .collect();
            let mut found = HashSet::new();
            for chunk in all.chunks(500) {
                found.extend(s.seen(&topic.id, chunk).await.map_err(|e| e.to_string())?);
            }
            found
        }
        None => HashSet::new(),
    };
    let (old, fresh): (Vec<Candidate>, Vec<Candidate>) = candidates
        .into_iter()
        .partition(|c| keys(&c.feed, &c.item).iter().any(|k| seen.contains(k)));
    let cited: HashSet<String> = topic
        .sources
        .iter()
        .filter_map(|s| crate::newsdesk::canon::canonical(&s.url))
        .collect();
    // What earlier polls proposed (the newest [`EARLIER`]), and the day's limit, which counts
    // what they proposed today (UTC).
    let earlier = match store {
        Some(s) => s
            .proposals(Some(&topic.id), true, EARLIER)
            .await
            .map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    let already_today = earlier
        .iter()
        .filter(|p| p.created_at.date_naive() == now.date_naive())
        .count();
    let known = Known {
        cited,
        earlier: earlier
            .iter()
            .rev()
            .filter_map(|p| {
                let body = serde_json::from_str::<Proposal>(&p.body).ok()?;
                Some((body, p.state == "rejected"))
            })
            .collect(),
    };
    let room = max.saturating_sub(already_today);
    let (proposals, fates) = merge(&topic.id, &fresh, &known, &matcher.name_words(), room);
    if let Some(s) = store {
        // A feed with items over the day's limit is read whole again next time (not answered
        // `304`), so those items are judged again.
        let waiting: HashSet<&str> = fresh
            .iter()
            .zip(&fates)
            .filter(|(_, f)| matches!(f, Fate::Waiting))
            .map(|(c, _)| c.feed.as_str())
            .collect();
        for f in &mut fetched {
            if waiting.contains(f.feed.as_str()) {
                f.etag = None;
                f.last_modified = None;
            }
            s.save_fetch(f).await.map_err(|e| e.to_string())?;
        }
        let bodies: Vec<String> = proposals
            .iter()
            .map(|p| serde_json::to_string(p).unwrap_or_default())
            .collect();
        // Items over the day's limit are not kept as seen: a later poll judges them again.
        let items: Vec<SeenItem> = fresh
            .iter()
            .zip(&fates)
            .filter(|(_, f)| !matches!(f, Fate::Waiting))
            .flat_map(|(c, f)| {
                keys(&c.feed, &c.item).into_iter().map(move |key| SeenItem {
                    topic: topic.id.clone(),
                    key,
                    title: c.item.title.clone(),
                    outlet: c.outlet.clone(),
                    fate: f.name().to_owned(),
                    score: c.verdict.score() as i64,
                    proposal: f.proposal().map(|n| -1 - n as i64),
                    seen_at: now,
                })
            })
            .collect();
        out.ids = s
            .record(&topic.id, &bodies, &items, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    out.proposals = proposals;
    out.items = fresh
        .into_iter()
        .zip(fates)
        .map(|(c, f)| (c.item.title, c.outlet, f))
        .chain(
            old.into_iter()
                .map(|c| (c.item.title, c.outlet, Fate::Duplicate)),
        )
        .collect();
    Ok(out)
}

/// Whether this fetch begins a feed's day of failing (it has failed since `failing_since`, a day
/// or more, and had not at the last fetch) or ends one (it works again after failing for a day
/// or more by the last fetch). Each happens once, so the moderators hear once each way.
fn failing_day(
    before: Option<&FeedFetch>,
    failing_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<FailingDay> {
    let last = before.and_then(|b| b.fetched_at);
    match (failing_since, before.and_then(|b| b.failing_since)) {
        (Some(since), _) if now - since >= FAILING_DAY => {
            let told = last.is_some_and(|l| l - since >= FAILING_DAY);
            (!told).then_some(FailingDay::Failing { since })
        }
        (None, Some(since)) if last.is_some_and(|l| l - since >= FAILING_DAY) => {
            Some(FailingDay::Recovered { since })
        }
        _ => None,
    }
}

/// One request at a time per host, at least `gap` apart: feeds of one outlet, listed in several
/// topics or several times, never arrive at its server together.
pub struct Pacer {
    gap: std::time::Duration,
    last: tokio::sync::Mutex<std::collections::HashMap<String, tokio::time::Instant>>,
}

impl Pacer {
    pub fn new(gap: std::time::Duration) -> Pacer {
        Pacer {
            gap,
            last: Default::default(),
        }
    }

    /// Wait until `url`'s host may be asked again, and mark it asked now.
    pub async fn wait_for(&self, url: &str) {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .unwrap_or_default();
        let mut last = self.last.lock().await;
        let now = tokio::time::Instant::now();
        let at = last.get(&host).map_or(now, |t| (*t + self.gap).max(now));
        // Hosts are few (one per feed); forget those not asked for an hour.
        if last.len() > 10_000 {
            last.retain(|_, t| {
                now.saturating_duration_since(*t) < std::time::Duration::from_secs(3600)
            });
        }
        last.insert(host, at);
        drop(last);
        tokio::time::sleep_until(at).await;
    }
}

/// Who publishes a feed: the card's `outlet`, else the feed's own title, else its host.
fn outlet_of(feed: &FeedSource, read: Option<&Read>) -> String {
    feed.outlet
        .clone()
        .or_else(|| read.and_then(|r| r.title.clone()))
        .unwrap_or_else(|| match &feed.at {
            FeedAt::Url(u) => url::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| u.clone()),
            FeedAt::Path(p) => p.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).expect("instant") + chrono::Duration::hours(h)
    }

    fn fetch(fetched: i64, failing_since: Option<i64>) -> FeedFetch {
        FeedFetch {
            fetched_at: Some(at(fetched)),
            failing_since: failing_since.map(at),
            ..FeedFetch::default()
        }
    }

    #[test]
    fn a_day_of_failing_is_told_once_when_it_begins_and_once_when_it_ends() {
        // Failing since hour 0: not yet at hour 23, told at 25, not again at 27.
        assert_eq!(
            failing_day(Some(&fetch(20, Some(0))), Some(at(0)), at(23)),
            None
        );
        assert_eq!(
            failing_day(Some(&fetch(23, Some(0))), Some(at(0)), at(25)),
            Some(FailingDay::Failing { since: at(0) })
        );
        assert_eq!(
            failing_day(Some(&fetch(25, Some(0))), Some(at(0)), at(27)),
            None
        );
        // Works again after it was told: told once; after a shorter failing: nothing.
        assert_eq!(
            failing_day(Some(&fetch(27, Some(0))), None, at(28)),
            Some(FailingDay::Recovered { since: at(0) })
        );
        assert_eq!(failing_day(Some(&fetch(5, Some(0))), None, at(6)), None);
        assert_eq!(failing_day(None, None, at(6)), None);
    }
}
