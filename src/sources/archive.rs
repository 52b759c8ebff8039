//! Snapshots from a web archive (the Wayback Machine, or any archive that answers as it does):
//! for a cited page without one, the availability API is asked for a snapshot it already has
//! (`GET {availability}?url=…`, `archived_snapshots.closest`); when it has none, Save Page Now 2
//! is asked to take one (`POST {archive}/save`, then `GET {archive}/save/status/{job}` until
//! `success` or `error`), as the operator's account when keys are given
//! (`Authorization: LOW access:secret`, sent to Save Page Now only). One request at a time with a
//! gap, never a burst; a `429` waits as long as it asks, up to ten minutes. Only the archive's
//! own snapshot of the page asked for is kept. Everything goes through `fetch` and its
//! address policy.

use crate::fetch::client::{Answer, Fetcher};
use crate::library::Library;
use chrono::NaiveDate;
use std::time::Duration;

/// How politely the archive is asked.
#[derive(Clone, Copy, Debug)]
pub struct ArchivePace {
    /// The least time between two requests to the archive.
    pub gap: Duration,
    /// How often a capture's progress is asked for.
    pub poll: Duration,
    /// How long a capture may stay pending before it is left for the next pass.
    pub give_up: Duration,
    /// How long a `429` without `Retry-After` waits.
    pub busy: Duration,
    /// How many `429`s in a row one request bears before the pass stops.
    pub busy_tries: u32,
}

impl ArchivePace {
    /// Requests at least `gap` apart, a capture's progress asked for every two gaps.
    pub fn paced(gap: Duration) -> Self {
        ArchivePace {
            gap,
            poll: gap * 2,
            give_up: Duration::from_secs(180),
            busy: Duration::from_secs(60),
            busy_tries: 3,
        }
    }
}

impl Default for ArchivePace {
    fn default() -> Self {
        ArchivePace::paced(Duration::from_secs(5))
    }
}

/// Where the archive answers, and as whom.
#[derive(Clone)]
pub struct Archive {
    pub fetcher: Fetcher,
    /// `[sources] archive`: Save Page Now 2 is at `{archive}/save`, snapshots at
    /// `{archive}/web/{timestamp}/{url}`.
    pub archive: String,
    /// `[sources] availability`.
    pub availability: String,
    /// "access:secret", when the operator gave keys.
    pub keys: Option<String>,
    pub pace: ArchivePace,
}

/// A snapshot the archive keeps.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    pub url: String,
    pub on: NaiveDate,
}

/// What became of one page.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    /// The archive had a snapshot already.
    Found(Snapshot),
    /// The archive took one now.
    Saved(Snapshot),
    /// No snapshot: why.
    Failed { why: String },
}

/// One page asked for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Archived {
    pub topic: String,
    pub id: String,
    pub url: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Archived {
    pub fn snapshot(&self) -> Option<&Snapshot> {
        match &self.outcome {
            Outcome::Found(s) | Outcome::Saved(s) => Some(s),
            Outcome::Failed { .. } => None,
        }
    }
}

/// Why a pass stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Stopped {
    #[error("the archive asked to wait {0} times in a row; the rest is left for the next pass")]
    Busy(u32),
    #[error("the archive asked to wait {0}; the rest is left for the next pass")]
    TooLong(String),
}

/// The longest a `429` is waited out within a pass; a longer wait ends the pass.
pub const LONGEST_WAIT: Duration = Duration::from_secs(600);

/// A page to give a snapshot: where the card cites it, and the day before which no snapshot
/// shows what was cited (its `published` day, when the card gives one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub topic: String,
    pub id: String,
    pub url: String,
    pub not_before: Option<NaiveDate>,
}

/// The day of a Wayback timestamp ("20260312101500").
fn day_of(timestamp: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(timestamp.get(..8)?, "%Y%m%d").ok()
}

/// The address the public Wayback Machine gives over `http`, as `https`.
fn secure(url: &str) -> String {
    match url.strip_prefix("http://web.archive.org/") {
        Some(rest) => format!("https://web.archive.org/{rest}"),
        None => url.to_owned(),
    }
}

/// A snapshot's address as the archive gave it, when it is one a card can keep (a hostile or
/// broken archive's answer is refused here, not by the card's check, so one bad answer cannot
/// hold back the others): on the archive's own host, `/web/<timestamp>/` followed by an
/// address on the page's host, at most 500 characters, with no control character or space,
/// and as the URL parser writes it.
fn snapshot_address(url: &str, archive_host: &str, page: &str) -> Option<String> {
    let raw = secure(url.trim());
    if raw.len() > 500 || raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let parsed = url::Url::parse(&raw).ok()?;
    let page_host = url::Url::parse(page).ok()?.host_str()?.to_ascii_lowercase();
    let rest = parsed.path().strip_prefix("/web/")?;
    let (timestamp, original) = rest.split_once('/')?;
    let original_host = url::Url::parse(original)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let same_site = |h: &str| {
        h == page_host
            || h.strip_prefix("www.") == Some(page_host.as_str())
            || page_host.strip_prefix("www.") == Some(h)
    };
    let ok = matches!(parsed.scheme(), "http" | "https")
        && parsed
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case(archive_host))
        && !timestamp.is_empty()
        && timestamp.len() <= 14
        && timestamp.chars().all(|c| c.is_ascii_digit())
        && original_host.is_some_and(|h| same_site(&h));
    ok.then(|| parsed.to_string())
}

/// A JSON answer's field as text.
fn text<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(serde_json::Value::as_str)
}

impl Archive {
    /// The host snapshots are kept on (`[sources] archive`'s).
    fn host(&self) -> String {
        url::Url::parse(&self.archive)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .unwrap_or_default()
    }

    /// The archive `[sources]` names, asked under its address policy, as the operator's
    /// account when it gave keys.
    pub fn of(config: &crate::config::Config) -> Result<Archive, String> {
        let policy = crate::fetch::address::Policy {
            allow_private: config.sources.allow_private,
            allowed: Vec::new(),
        };
        let fetcher = Fetcher::new(crate::fetch::client::Options::new(
            policy,
            config.newsdesk.contact.as_deref(),
        ))?;
        Ok(Archive {
            fetcher,
            archive: config.sources.archive.clone(),
            availability: config.sources.availability.clone(),
            keys: config
                .sources
                .archive_keys
                .as_ref()
                .map(|k| k.expose().to_owned()),
            pace: ArchivePace::paced(config.sources.archive_gap),
        })
    }

    /// Whether the archive is on this machine or the private network (then it may be told of
    /// pages there).
    pub fn is_internal(&self) -> bool {
        internal(&self.archive)
    }

    fn authorization(&self) -> Option<String> {
        self.keys.as_ref().map(|k| format!("LOW {k}"))
    }

    /// One request, after the gap, waiting out `429`s (as long as each asks, or
    /// [`ArchivePace::busy`]; longer than [`LONGEST_WAIT`] ends the pass) up to
    /// [`ArchivePace::busy_tries`] times. The keys go only with Save Page Now's requests
    /// (`signed`): the availability API needs none.
    async fn ask(
        &self,
        url: &str,
        form: Option<&[(&str, &str)]>,
        signed: bool,
    ) -> Result<Result<Answer, String>, Stopped> {
        let auth = self.authorization().filter(|_| signed);
        for attempt in 1..=self.pace.busy_tries {
            tokio::time::sleep(self.pace.gap).await;
            match self.fetcher.call(url, form, auth.as_deref()).await {
                Ok(a) if a.status == 429 => {
                    let wait = a.retry_after.unwrap_or(self.pace.busy);
                    if wait > LONGEST_WAIT {
                        return Err(Stopped::TooLong(crate::deadlines::describe(wait)));
                    }
                    if attempt == self.pace.busy_tries {
                        break;
                    }
                    tracing::info!(wait = ?wait, "the archive asks to wait");
                    tokio::time::sleep(wait).await;
                }
                Ok(a) => return Ok(Ok(a)),
                Err(e) => return Ok(Err(e.to_string())),
            }
        }
        Err(Stopped::Busy(self.pace.busy_tries))
    }

    /// The archive's closest snapshot of `page` that answered 2xx and was taken on or after
    /// `not_before`, if it has one.
    pub async fn available(
        &self,
        page: &str,
        not_before: Option<NaiveDate>,
    ) -> Result<Result<Option<Snapshot>, String>, Stopped> {
        let mut url = match url::Url::parse(&self.availability) {
            Ok(u) => u,
            Err(e) => return Ok(Err(format!("the availability address: {e}"))),
        };
        url.query_pairs_mut().append_pair("url", page);
        let answer = match self.ask(url.as_str(), None, false).await? {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        if answer.status != 200 {
            return Ok(Err(format!(
                "the availability API answered {}",
                answer.status
            )));
        }
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&answer.body) else {
            return Ok(Err("the availability API's answer is not JSON".into()));
        };
        let closest = v.pointer("/archived_snapshots/closest");
        let found = closest.and_then(|c| {
            let available = c.get("available").and_then(serde_json::Value::as_bool);
            let ok = text(c, "status").is_some_and(|s| s.starts_with('2'));
            if available == Some(false) || !ok {
                return None;
            }
            Some(Snapshot {
                url: snapshot_address(text(c, "url")?, &self.host(), page)?,
                on: day_of(text(c, "timestamp")?)?,
            })
        });
        let found = found.filter(|s| not_before.is_none_or(|d| s.on >= d));
        Ok(Ok(found))
    }

    /// Ask the archive to take a snapshot of `page` now, and wait for it.
    pub async fn save(&self, page: &str) -> Result<Result<Snapshot, String>, Stopped> {
        let base = self.archive.trim_end_matches('/');
        let form = [("url", page), ("skip_first_archive", "1")];
        let answer = match self.ask(&format!("{base}/save"), Some(&form), true).await? {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        let v: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        let Some(job) = text(&v, "job_id").filter(|_| answer.status == 200) else {
            let why = text(&v, "message")
                .or_else(|| text(&v, "status_ext"))
                .map(|m| crate::text::truncate_words(m, 200))
                .unwrap_or_else(|| format!("Save Page Now answered {}", answer.status));
            return Ok(Err(why));
        };
        // A job id goes into a path: only what such ids are made of.
        if job.is_empty()
            || job.len() > 100
            || !job
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Ok(Err(
                "Save Page Now gave a job id dossier does not use".into()
            ));
        }
        let status = format!("{base}/save/status/{job}");
        let began = tokio::time::Instant::now();
        loop {
            if began.elapsed() >= self.pace.give_up {
                return Ok(Err(format!(
                    "Save Page Now had not finished after {}; asked again at the next pass",
                    crate::deadlines::describe(self.pace.give_up)
                )));
            }
            tokio::time::sleep(self.pace.poll.saturating_sub(self.pace.gap)).await;
            let answer = match self.ask(&status, None, true).await? {
                Ok(a) => a,
                Err(e) => return Ok(Err(e)),
            };
            let v: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
            match text(&v, "status") {
                Some("success") => {
                    let (Some(ts), Some(original)) =
                        (text(&v, "timestamp"), text(&v, "original_url"))
                    else {
                        return Ok(Err("Save Page Now's success names no snapshot".into()));
                    };
                    let Some(on) = day_of(ts) else {
                        return Ok(Err("Save Page Now's timestamp is not a date".into()));
                    };
                    let Some(url) = snapshot_address(
                        &format!("{base}/web/{ts}/{original}"),
                        &self.host(),
                        page,
                    ) else {
                        return Ok(Err("Save Page Now's snapshot is not a web address".into()));
                    };
                    return Ok(Ok(Snapshot { url, on }));
                }
                Some("error") => {
                    let why = text(&v, "message")
                        .or_else(|| text(&v, "status_ext"))
                        .unwrap_or("an error");
                    return Ok(Err(format!(
                        "Save Page Now could not take it: {}",
                        crate::text::truncate_words(why, 200)
                    )));
                }
                _ => {}
            }
        }
    }

    /// A snapshot of `page`: the one the archive has (taken on or after `not_before`), or
    /// one taken now.
    pub async fn snapshot(
        &self,
        page: &str,
        not_before: Option<NaiveDate>,
    ) -> Result<Outcome, Stopped> {
        let found = self.available(page, not_before).await?;
        if let Ok(Some(s)) = found {
            return Ok(Outcome::Found(s));
        }
        Ok(match self.save(page).await? {
            Ok(s) => Outcome::Saved(s),
            Err(why) => Outcome::Failed {
                why: match found {
                    Err(first) => format!("{first}; {why}"),
                    Ok(_) => why,
                },
            },
        })
    }
}

/// The sources of `lib`'s topics (only `topic`'s when given) whose card keeps no snapshot, at
/// most `limit`, in topic and card order. Unless the archive itself is on this machine or the
/// private network (`internal_archive`), a page at a loopback, private or link-local address
/// written as such is left out: a public archive cannot reach it, and should not be told of it.
pub fn missing(
    lib: &Library,
    topic: Option<&str>,
    limit: usize,
    internal_archive: bool,
) -> Vec<Page> {
    lib.topics()
        .iter()
        .filter(|t| topic.is_none_or(|id| id == t.id))
        .flat_map(|t| {
            t.sources
                .iter()
                .filter(|s| s.archived.is_none() && (internal_archive || !internal(&s.url)))
                .map(|s| Page {
                    topic: t.id.clone(),
                    id: s.id.clone(),
                    url: s.url.clone(),
                    not_before: s.published.map(|d| d.first_day()),
                })
        })
        .take(limit)
        .collect()
}

/// Whether `url` names a loopback, private or link-local address literally.
fn internal(url: &str) -> bool {
    let Some(host) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    else {
        return false;
    };
    match host {
        url::Host::Ipv4(ip) => crate::fetch::address::not_public(ip.into()).is_some(),
        url::Host::Ipv6(ip) => crate::fetch::address::not_public(ip.into()).is_some(),
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
    }
}

/// Ask the archive for a snapshot of each of `pages`, one after another; what became of each,
/// and why the pass stopped early, if it did.
pub async fn archive(archive: &Archive, pages: Vec<Page>) -> (Vec<Archived>, Option<Stopped>) {
    let mut out = Vec::with_capacity(pages.len());
    for p in pages {
        match archive.snapshot(&p.url, p.not_before).await {
            Ok(outcome) => out.push(Archived {
                topic: p.topic,
                id: p.id,
                url: p.url,
                outcome,
            }),
            Err(stopped) => return (out, Some(stopped)),
        }
    }
    (out, None)
}

/// The snapshots of `done`, by topic, as the desk keeps them.
pub fn to_keep(done: &[Archived]) -> Vec<(String, Vec<crate::edit::snapshots::Kept>)> {
    let mut by_topic: Vec<(String, Vec<crate::edit::snapshots::Kept>)> = Vec::new();
    for a in done {
        let Some(s) = a.snapshot() else { continue };
        let kept = crate::edit::snapshots::Kept {
            id: a.id.clone(),
            page: a.url.clone(),
            url: s.url.clone(),
            on: s.on,
        };
        match by_topic.iter_mut().find(|(t, _)| *t == a.topic) {
            Some((_, list)) => list.push(kept),
            None => by_topic.push((a.topic.clone(), vec![kept])),
        }
    }
    by_topic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wayback_timestamps_are_days_and_its_http_addresses_become_https() {
        assert_eq!(
            day_of("20260312101500"),
            NaiveDate::from_ymd_opt(2026, 3, 12)
        );
        assert_eq!(day_of("2026"), None);
        assert_eq!(day_of("20261340000000"), None);
        assert_eq!(
            secure("http://web.archive.org/web/20260312101500/https://www.dawn.com/news/1"),
            "https://web.archive.org/web/20260312101500/https://www.dawn.com/news/1"
        );
        assert_eq!(
            secure("http://127.0.0.1:9/web/1/x"),
            "http://127.0.0.1:9/web/1/x"
        );
    }

    #[test]
    fn only_the_archives_own_snapshot_of_the_page_is_kept() {
        let page = "https://a.example.org/news/1";
        let keep = |u: &str| snapshot_address(u, "web.archive.org", page);
        assert_eq!(
            keep("http://web.archive.org/web/20260312101500/https://a.example.org/news/1"),
            Some("https://web.archive.org/web/20260312101500/https://a.example.org/news/1".into())
        );
        assert!(keep("https://web.archive.org/web/2026/http://www.a.example.org/news/1").is_some());
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "not a url",
            "https://evil.example/login",
            "https://evil.example/web/20260312101500/https://a.example.org/news/1",
            "https://web.archive.org/web/20260312101500/https://evil.example/",
            "https://web.archive.org/web/latest/https://a.example.org/news/1",
            "https://web.archive.org/save/https://a.example.org/news/1",
            "https://web.archive.org/web/2026/https://a.example.org/x\n[Verify](https://evil.example",
            &format!(
                "https://web.archive.org/web/2026/https://a.example.org/{}",
                "a".repeat(600)
            ),
        ] {
            assert_eq!(keep(bad), None, "{bad}");
        }
    }
}
