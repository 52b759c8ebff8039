//! One look at every source of the served topics (or of one): the hosts looked at several at a
//! time, each host's pages one at a time with a gap, each page's verdict and fingerprint kept in
//! the store, and what the moderators should hear (a page gone, changed, or back) said once,
//! on the look that found it.

use super::fingerprint::{self, Fingerprint};
use super::verdict::{Look, Status, judge};
use crate::fetch::client::{Checked, Fetcher};
use crate::library::Library;
use crate::store::sources::{SourceCheck, SourceStore};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// How politely the pages are looked at.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// Hosts looked at at the same time.
    pub hosts: usize,
    /// The least time between two requests to one host.
    pub gap: Duration,
}

impl Pace {
    /// Eight hosts at once, each host's requests `[sources] host_gap` apart.
    pub fn of(config: &crate::config::SourcesConfig) -> Pace {
        Pace {
            gap: config.host_gap,
            ..Pace::default()
        }
    }
}

impl Default for Pace {
    fn default() -> Self {
        Pace {
            hosts: 8,
            gap: Duration::from_secs(2),
        }
    }
}

/// A change the moderators hear of once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Told {
    /// It went `gone`.
    Gone,
    /// Its text changed from what was cited.
    Changed,
    /// It answers again after being gone.
    Back,
    /// It moved for good to another address.
    Moved,
}

/// One source after its look, as `sources check` reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub topic: String,
    pub id: String,
    pub url: String,
    pub status: Status,
    /// The last answer's status code, or none when there was no answer.
    pub http: Option<u16>,
    pub checked_at: DateTime<Utc>,
    /// Its text changed since it was cited (from the fingerprint first kept).
    pub changed: bool,
    /// A snapshot's address, when the card gives one.
    pub archived: Option<String>,
    pub moved_to: Option<String>,
    /// Why there was no answer, when there was none.
    pub error: Option<String>,
    /// What the moderators should hear of this look, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub told: Option<Told>,
}

/// The sources by the verdict of their latest look, and how many changed since cited.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub by_status: Vec<(Status, usize)>,
    pub changed: usize,
}

impl Tally {
    /// "180 ok, 2 moved, 0 blocked, 1 failing, 3 gone; 4 changed since cited".
    pub fn line(&self) -> String {
        let parts: Vec<String> = self
            .by_status
            .iter()
            .map(|(s, n)| format!("{n} {}", s.name()))
            .collect();
        format!("{}; {} changed since cited", parts.join(", "), self.changed)
    }
}

/// The tally of what `store` keeps, read within 2 s (`None` past that, or when it fails).
pub async fn tally(store: &dyn SourceStore) -> Option<Tally> {
    let read = tokio::time::timeout(Duration::from_secs(2), store.checks(None)).await;
    let checks = read.ok()?.ok()?;
    Some(Tally {
        by_status: Status::ALL
            .into_iter()
            .map(|s| (s, checks.iter().filter(|c| c.status == s.name()).count()))
            .collect(),
        changed: checks.iter().filter(|c| c.changed_at.is_some()).count(),
    })
}

/// A source to look at.
struct Cited {
    topic: String,
    id: String,
    url: String,
    /// The snapshot the card keeps.
    archived: Option<String>,
}

/// Look at a page: `HEAD`, then `GET` when `HEAD` is refused (405, 501) or the page answers,
/// to read its text.
async fn look(fetcher: &Fetcher, url: &str, gap: Duration) -> Result<Checked, String> {
    let head = fetcher.check(url, false).await.map_err(|e| e.to_string())?;
    if !matches!(head.status, 200..=299 | 405 | 501) {
        return Ok(head);
    }
    tokio::time::sleep(gap).await;
    let got = fetcher.check(url, true).await.map_err(|e| e.to_string())?;
    Ok(got)
}

/// What a look means, given what the last one kept.
fn judged(
    c: &Cited,
    looked: &Result<Checked, String>,
    last: Option<&SourceCheck>,
    now: DateTime<Utc>,
) -> (SourceCheck, Report) {
    // A source whose address changed is a new page.
    let last = last.filter(|l| l.url == c.url);
    let verdict_look = match looked {
        Ok(k) => Look::Answered {
            status: k.status,
            moved_to: k.moved_to().map(str::to_owned),
        },
        Err(e) => Look::Unreachable(e.clone()),
    };
    let (status, failing_since) = judge(&verdict_look, last.and_then(|l| l.failing_since), now);
    let kept = last.and_then(|l| {
        Fingerprint::from_text(l.fingerprint.as_deref()?, l.words.unwrap_or(0) as usize)
    });
    let seen = match looked {
        Ok(k) if !k.body.is_empty() && matches!(status, Status::Ok | Status::Moved) => {
            Some(fingerprint::of_html(&String::from_utf8_lossy(&k.body)))
        }
        _ => None,
    };
    let mut changed_at = last.and_then(|l| l.changed_at);
    if let (Some(k), Some(s)) = (&kept, &seen)
        && changed_at.is_none()
        && k.words > 0
        && k.likeness(s) < fingerprint::CHANGED_BELOW
    {
        changed_at = Some(now);
    }
    let cited_print = kept.or(seen);
    let was = last.and_then(|l| Status::parse(&l.status));
    let told = if status == Status::Gone && was != Some(Status::Gone) {
        Some(Told::Gone)
    } else if was == Some(Status::Gone) && matches!(status, Status::Ok | Status::Moved) {
        Some(Told::Back)
    } else if changed_at.is_some() && last.and_then(|l| l.changed_at).is_none() {
        Some(Told::Changed)
    } else if status == Status::Moved && was.is_some_and(|w| w != Status::Moved) {
        Some(Told::Moved)
    } else {
        None
    };
    let (http, moved_to, error) = match looked {
        Ok(k) => (Some(k.status), k.moved_to().map(str::to_owned), None),
        Err(e) => (None, None, Some(e.clone())),
    };
    let check = SourceCheck {
        topic: c.topic.clone(),
        id: c.id.clone(),
        url: c.url.clone(),
        status: status.name().to_owned(),
        http: http.map(i64::from),
        checked_at: now,
        failing_since,
        moved_to: moved_to.clone(),
        fingerprint: cited_print.as_ref().map(Fingerprint::to_text),
        words: cited_print.as_ref().map(|f| f.words as i64),
        changed_at,
    };
    let report = Report {
        topic: c.topic.clone(),
        id: c.id.clone(),
        url: c.url.clone(),
        status,
        http,
        checked_at: now,
        changed: changed_at.is_some(),
        archived: c.archived.clone(),
        moved_to,
        error,
        told,
    };
    (check, report)
}

/// Look at every source of `lib`'s topics (only `topic`'s when given), keeping each look in
/// `store` as of `now`; the reports in topic and id order. Fails only when the store does.
pub async fn check(
    lib: &Library,
    topic: Option<&str>,
    fetcher: &Fetcher,
    store: &dyn SourceStore,
    pace: Pace,
    now: DateTime<Utc>,
) -> Result<Vec<Report>, String> {
    check_due(lib, topic, fetcher, store, pace, now, &|_| true).await
}

/// [`check`] of the sources `due` says are due, given each one's last look (none for a source
/// never looked at, or whose address changed since).
pub async fn check_due(
    lib: &Library,
    topic: Option<&str>,
    fetcher: &Fetcher,
    store: &dyn SourceStore,
    pace: Pace,
    now: DateTime<Utc>,
    due: &(dyn Fn(Option<&SourceCheck>) -> bool + Sync),
) -> Result<Vec<Report>, String> {
    let last: HashMap<(String, String), SourceCheck> = store
        .checks(topic)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|c| ((c.topic.clone(), c.id.clone()), c))
        .collect();
    // One queue per host.
    let mut hosts: BTreeMap<String, Vec<Cited>> = BTreeMap::new();
    for t in lib
        .topics()
        .iter()
        .filter(|t| topic.is_none_or(|id| id == t.id))
    {
        for s in &t.sources {
            let before = last
                .get(&(t.id.clone(), s.id.clone()))
                .filter(|l| l.url == s.url);
            if !due(before) {
                continue;
            }
            let host = url::Url::parse(&s.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                .unwrap_or_default();
            hosts.entry(host).or_default().push(Cited {
                topic: t.id.clone(),
                id: s.id.clone(),
                url: s.url.clone(),
                archived: s.archived.as_ref().map(|a| a.url.clone()),
            });
        }
    }
    let last = &last;
    let gap = pace.gap;
    let looked: Vec<Vec<(SourceCheck, Report)>> = futures_util::stream::iter(hosts.into_values())
        .map(|queue| async move {
            let mut out = Vec::with_capacity(queue.len());
            for (i, c) in queue.iter().enumerate() {
                if i > 0 {
                    tokio::time::sleep(gap).await;
                }
                let looked = look(fetcher, &c.url, gap).await;
                let before = last.get(&(c.topic.clone(), c.id.clone()));
                out.push(judged(c, &looked, before, now));
            }
            out
        })
        .buffer_unordered(pace.hosts.max(1))
        .collect()
        .await;
    let mut reports = Vec::new();
    for (kept, report) in looked.into_iter().flatten() {
        store.save(&kept).await.map_err(|e| e.to_string())?;
        reports.push(report);
    }
    reports.sort_by(|a, b| (&a.topic, &a.id).cmp(&(&b.topic, &b.id)));
    Ok(reports)
}
