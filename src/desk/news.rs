//! The newsdesk's poll: every feed of a topic read now (a file in the topic folder, or fetched
//! through [`Fetcher`] with its address policy), each item judged against the topic, and the
//! items merged into proposals. One broken feed never stops the others: it is reported with why.

use crate::cards::model::{FeedAt, FeedSource, Topic};
use crate::fetch::client::{Fetched, Fetcher, Validators};
use crate::newsdesk::items::{Read, read};
use crate::newsdesk::matching::Matcher;
use crate::newsdesk::proposals::{Candidate, Fate, Proposal, merge};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// What one feed gave.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FeedReport {
    /// The address or the path, as the card writes it.
    pub feed: String,
    pub outlet: String,
    pub items: usize,
    /// Why nothing was read, when nothing was.
    pub error: Option<String>,
}

/// One topic's poll.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Poll {
    pub topic: String,
    pub feeds: Vec<FeedReport>,
    pub proposals: Vec<Proposal>,
    /// What became of each item, with its title and outlet.
    pub items: Vec<(String, String, Fate)>,
}

/// The largest feed file read from a topic folder.
const MAX_FILE: u64 = 5 << 20;

/// Read the bytes of one feed.
async fn body(topic: &Topic, at: &FeedAt, fetcher: &Fetcher) -> Result<Vec<u8>, String> {
    match at {
        FeedAt::Path(p) => {
            let path = topic.dir.join(p);
            let size = std::fs::metadata(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .len();
            if size > MAX_FILE {
                return Err(format!("{} is over {MAX_FILE} bytes", path.display()));
            }
            std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
        }
        FeedAt::Url(u) => match fetcher.get(u, &Validators::default()).await {
            Ok(Fetched::Page(page)) => Ok(page.body),
            Ok(Fetched::NotModified) => Ok(Vec::new()),
            Err(e) => Err(e.to_string()),
        },
    }
}

/// Poll every feed of `topic` now; at most `max` proposals come out.
pub async fn poll(topic: &Topic, fetcher: &Fetcher, max: usize, now: DateTime<Utc>) -> Poll {
    let Some(feeds) = &topic.feeds else {
        return Poll {
            topic: topic.id.clone(),
            feeds: Vec::new(),
            proposals: Vec::new(),
            items: Vec::new(),
        };
    };
    let matcher = Matcher::new(topic, feeds);
    let mut reports = Vec::new();
    let mut candidates = Vec::new();
    for (i, feed) in feeds.feeds.iter().enumerate() {
        let got: Result<Read, String> = match body(topic, &feed.at, fetcher).await {
            Ok(b) => read(&b),
            Err(e) => Err(e),
        };
        let outlet = |read: Option<&Read>| outlet_of(feed, read);
        match got {
            Ok(r) => {
                let name = outlet(Some(&r));
                reports.push(FeedReport {
                    feed: feed.at.as_str().to_owned(),
                    outlet: name.clone(),
                    items: r.items.len(),
                    error: None,
                });
                for item in r.items {
                    let verdict = matcher.judge(&item.title, &item.summary, Some(i));
                    candidates.push(Candidate {
                        outlet: name.clone(),
                        item,
                        verdict,
                        seen_at: now,
                    });
                }
            }
            Err(why) => reports.push(FeedReport {
                feed: feed.at.as_str().to_owned(),
                outlet: outlet(None),
                items: 0,
                error: Some(why),
            }),
        }
    }
    let cited: HashSet<String> = topic
        .sources
        .iter()
        .filter_map(|s| crate::newsdesk::canon::canonical(&s.url))
        .collect();
    let (proposals, fates) = merge(&topic.id, &candidates, &cited, max);
    Poll {
        topic: topic.id.clone(),
        feeds: reports,
        proposals,
        items: candidates
            .into_iter()
            .zip(fates)
            .map(|(c, f)| (c.item.title, c.outlet, f))
            .collect(),
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
