//! From judged items to proposals: the same story told by several items becomes one proposed
//! timeline event with several sources. Items are the same story when they share a GUID or a
//! canonical address, or when their titles share most of their words and were published within
//! 48 hours of each other. Two or more outlets make a proposal `high` confidence, one makes it
//! `medium` (the rule the bundled facts use). An item whose address the cards already cite, or
//! that tells the same story as one they cite, is not proposed; at most `max` proposals come
//! out (the highest scores first), and the rest wait.

use super::canon::canonical;
use super::items::Item;
use super::matching::Verdict;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};

/// How far apart in time two items with similar titles may be and still be one story.
pub const SAME_STORY_WITHIN: Duration = Duration::hours(48);
/// How many of the newest stories an item's title is compared with.
const COMPARED: usize = 2000;
/// The share of title words two items must have in common to be one story.
const SIMILAR: f64 = 0.5;

/// An item as the newsdesk saw it: where from, and what matching made of it.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The feed it came from (its address or path): GUIDs are unique within it.
    pub feed: String,
    pub outlet: String,
    pub item: Item,
    pub verdict: Verdict,
    /// When it was first seen (its date, when it has none).
    pub seen_at: DateTime<Utc>,
}

/// How sure a proposal is, by how many outlets tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
}

/// One source of a proposal: a headline from an outlet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProposedSource {
    pub url: String,
    pub outlet: String,
    pub title: String,
    pub date: NaiveDate,
}

/// A proposed timeline event.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Proposal {
    pub topic: String,
    /// The earliest date among its sources.
    pub date: NaiveDate,
    /// The first headline: the moderator may reword it.
    pub title: String,
    /// The actors it names (ids), in order of first mention.
    pub actors: Vec<String>,
    pub score: u32,
    pub confidence: Confidence,
    pub sources: Vec<ProposedSource>,
    /// What matched, as the cards write it.
    pub named: Vec<String>,
    /// True when no source gave a date and the date is when it was first seen.
    pub undated: bool,
}

impl Confidence {
    /// How sure, and why, as moderators read it.
    pub fn explained(self) -> &'static str {
        match self {
            Confidence::High => "high confidence: two or more outlets",
            Confidence::Medium => "medium confidence: one outlet",
        }
    }
}

impl Proposal {
    /// The outlets of its sources, each once, in order.
    pub fn outlets(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.sources {
            if !out.contains(&s.outlet.as_str()) {
                out.push(&s.outlet);
            }
        }
        out
    }
}

/// What became of one item.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "fate")]
pub enum Fate {
    /// It made proposal `n` (0-based, in the order returned).
    Proposed {
        n: usize,
    },
    /// It joined proposal `n` as another source.
    Merged {
        n: usize,
    },
    /// The same item (GUID or address) again.
    Duplicate,
    /// The cards already cite its address.
    AlreadyCited,
    /// An earlier poll proposed the same story (it waits for a decision, or was approved).
    AlreadyProposed,
    /// A moderator turned the same story down: it is never proposed again.
    Rejected,
    /// Over the day's limit: it waits.
    Waiting,
    Below {
        score: u32,
    },
    Excluded {
        word: String,
    },
    NotIncluded,
    /// It has no http(s) link to cite.
    NoLink,
}

impl Fate {
    /// Its name, as kept and as JSON says it.
    pub fn name(&self) -> &'static str {
        match self {
            Fate::Proposed { .. } => "proposed",
            Fate::Merged { .. } => "merged",
            Fate::Duplicate => "duplicate",
            Fate::AlreadyCited => "already-cited",
            Fate::AlreadyProposed => "already-proposed",
            Fate::Rejected => "rejected",
            Fate::Waiting => "waiting",
            Fate::Below { .. } => "below",
            Fate::Excluded { .. } => "excluded",
            Fate::NotIncluded => "not-included",
            Fate::NoLink => "no-link",
        }
    }

    /// The proposal it made or joined, as an index into the proposals returned.
    pub fn proposal(&self) -> Option<usize> {
        match self {
            Fate::Proposed { n } | Fate::Merged { n } => Some(*n),
            _ => None,
        }
    }
}

/// The keys an item of `feed` is known by: its GUID within its feed (GUIDs are unique to a
/// feed only), and its canonical address when it has one.
pub fn keys(feed: &str, item: &Item) -> Vec<String> {
    let mut k = vec![format!("guid:{feed} {}", item.guid)];
    if let Some(u) = item.url.as_deref().and_then(canonical) {
        k.push(format!("url:{u}"));
    }
    k
}

/// Words of a title that tell stories apart: folded, without the small words and without the
/// topic's own `names` (every item that matches says some of those).
fn title_words(title: &str, names: &HashSet<String>) -> HashSet<String> {
    const SMALL: [&str; 24] = [
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "with", "by", "as",
        "is", "are", "was", "says", "said", "after", "over", "from", "its", "it",
    ];
    crate::text::words(title)
        .filter(|w| w.len() > 1 && !SMALL.contains(&w.as_str()) && !names.contains(w))
        .collect()
}

/// Whether two titles' words tell one story: at least two words in common, and at least half
/// of the shorter title's.
fn similar(a: &HashSet<String>, b: &HashSet<String>) -> bool {
    let shared = a.intersection(b).count();
    let smaller = a.len().min(b.len());
    shared >= 2 && shared as f64 / smaller as f64 >= SIMILAR
}

/// What the topic already knows of the news: the canonical addresses its cards cite, and the
/// proposals made before with whether a moderator rejected each.
#[derive(Clone, Debug, Default)]
pub struct Known {
    pub cited: HashSet<String>,
    pub earlier: Vec<(Proposal, bool)>,
}

/// An earlier proposal as items are compared with it.
struct Earlier {
    addresses: HashSet<String>,
    words: HashSet<String>,
    at: DateTime<Utc>,
    rejected: bool,
}

/// Merge `candidates` of `topic` into proposals. `known` says what the cards cite and what was
/// proposed before, `names` the words of the topic's names (left out when titles are
/// compared); at most `max` proposals are returned. The fates are in the order of the
/// candidates.
pub fn merge(
    topic: &str,
    candidates: &[Candidate],
    known: &Known,
    names: &HashSet<String>,
    max: usize,
) -> (Vec<Proposal>, Vec<Fate>) {
    let cited = &known.cited;
    let earlier: Vec<Earlier> = known
        .earlier
        .iter()
        .rev()
        .take(COMPARED)
        .map(|(p, rejected)| Earlier {
            addresses: p.sources.iter().filter_map(|s| canonical(&s.url)).collect(),
            words: p
                .sources
                .iter()
                .flat_map(|s| title_words(&s.title, names))
                .collect(),
            at: p
                .date
                .and_hms_opt(12, 0, 0)
                .map_or_else(Utc::now, |d| d.and_utc()),
            rejected: *rejected,
        })
        .collect();
    let mut fates: Vec<Fate> = Vec::with_capacity(candidates.len());
    // Stories as they form: (proposal, its title words, its time, its addresses and GUIDs).
    struct Story {
        p: Proposal,
        words: HashSet<String>,
        at: DateTime<Utc>,
        outlets: HashSet<String>,
    }
    // Stories the cards already tell: an item they cite, and any item like it.
    let told: Vec<(HashSet<String>, DateTime<Utc>)> = candidates
        .iter()
        .filter(|c| {
            c.item
                .url
                .as_deref()
                .and_then(canonical)
                .is_some_and(|u| cited.contains(&u))
        })
        .map(|c| {
            (
                title_words(&c.item.title, names),
                c.item.published.unwrap_or(c.seen_at),
            )
        })
        .take(COMPARED)
        .collect();
    let mut stories: Vec<Story> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut seen_keys: HashSet<String> = HashSet::new();
    for c in candidates {
        let canon = c.item.url.as_deref().and_then(canonical);
        let keys = keys(&c.feed, &c.item);
        if keys.iter().any(|k| seen_keys.contains(k)) {
            fates.push(Fate::Duplicate);
            continue;
        }
        seen_keys.extend(keys.iter().cloned());
        let (score, actors, named) = match &c.verdict {
            Verdict::Matches {
                score,
                actors,
                named,
            } => (*score, actors, named),
            Verdict::Below { score, .. } => {
                fates.push(Fate::Below { score: *score });
                continue;
            }
            Verdict::Excluded { word } => {
                fates.push(Fate::Excluded { word: word.clone() });
                continue;
            }
            Verdict::NotIncluded => {
                fates.push(Fate::NotIncluded);
                continue;
            }
        };
        let (Some(url), Some(canon)) = (c.item.url.clone(), canon) else {
            fates.push(Fate::NoLink);
            continue;
        };
        let at = c.item.published.unwrap_or(c.seen_at);
        let words = title_words(&c.item.title, names);
        if cited.contains(&canon)
            || told
                .iter()
                .any(|(w, t)| (*t - at).abs() <= SAME_STORY_WITHIN && similar(w, &words))
        {
            fates.push(Fate::AlreadyCited);
            continue;
        }
        // Within a day of its date either side, as an earlier proposal is dated by its day.
        if let Some(e) = earlier.iter().find(|e| {
            e.addresses.contains(&canon)
                || ((e.at - at).abs() <= SAME_STORY_WITHIN + Duration::hours(12)
                    && similar(&e.words, &words))
        }) {
            fates.push(if e.rejected {
                Fate::Rejected
            } else {
                Fate::AlreadyProposed
            });
            continue;
        }
        let source = ProposedSource {
            url,
            outlet: c.outlet.clone(),
            title: c.item.title.clone(),
            date: at.date_naive(),
        };
        let same = keys
            .iter()
            .find_map(|k| by_key.get(k).copied())
            .or_else(|| {
                // The newest stories only, so a poll of many items stays linear.
                let from = stories.len().saturating_sub(COMPARED);
                stories[from..]
                    .iter()
                    .position(|s| {
                        (s.at - at).abs() <= SAME_STORY_WITHIN && similar(&s.words, &words)
                    })
                    .map(|i| from + i)
            });
        match same {
            Some(n) => {
                let s = &mut stories[n];
                s.outlets.insert(c.outlet.clone());
                s.p.date = s.p.date.min(source.date);
                s.p.undated &= c.item.published.is_none();
                for a in actors {
                    if !s.p.actors.contains(a) {
                        s.p.actors.push(a.clone());
                    }
                }
                for w in named {
                    if !s.p.named.contains(w) {
                        s.p.named.push(w.clone());
                    }
                }
                s.p.score = s.p.score.max(score);
                s.p.sources.push(source);
                s.p.confidence = if s.outlets.len() >= 2 {
                    Confidence::High
                } else {
                    Confidence::Medium
                };
                for k in &keys {
                    by_key.insert(k.clone(), n);
                }
                fates.push(Fate::Merged { n });
            }
            None => {
                let n = stories.len();
                stories.push(Story {
                    p: Proposal {
                        topic: topic.to_owned(),
                        date: source.date,
                        title: c.item.title.clone(),
                        actors: actors.clone(),
                        score,
                        confidence: Confidence::Medium,
                        sources: vec![source],
                        named: named.clone(),
                        undated: c.item.published.is_none(),
                    },
                    words,
                    at,
                    outlets: HashSet::from([c.outlet.clone()]),
                });
                for k in &keys {
                    by_key.insert(k.clone(), n);
                }
                fates.push(Fate::Proposed { n });
            }
        }
    }
    // The highest scores (then the most sources, then the newest) go out; the rest wait.
    let mut order: Vec<usize> = (0..stories.len()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (&stories[*a].p, &stories[*b].p);
        (y.score, y.sources.len(), y.date).cmp(&(x.score, x.sources.len(), x.date))
    });
    let mut place: HashMap<usize, Option<usize>> = HashMap::new();
    for (rank, n) in order.iter().enumerate() {
        place.insert(*n, (rank < max).then_some(rank));
    }
    for f in &mut fates {
        match f {
            Fate::Proposed { n } | Fate::Merged { n } => match place.get(n).copied().flatten() {
                Some(r) => *n = r,
                None => *f = Fate::Waiting,
            },
            _ => {}
        }
    }
    let mut proposals: Vec<Option<Proposal>> = stories.into_iter().map(|s| Some(s.p)).collect();
    let out = order
        .iter()
        .take(max)
        .filter_map(|n| proposals[*n].take())
        .collect();
    (out, fates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(guid: &str, url: &str, title: &str, day: u32) -> Item {
        Item {
            guid: guid.into(),
            url: Some(url.into()),
            title: title.into(),
            summary: String::new(),
            published: Some(
                chrono::NaiveDate::from_ymd_opt(2026, 10, day)
                    .and_then(|d| d.and_hms_opt(9, 0, 0))
                    .expect("date")
                    .and_utc(),
            ),
        }
    }

    fn known(cited: HashSet<String>) -> Known {
        Known {
            cited,
            ..Known::default()
        }
    }

    #[test]
    fn a_story_proposed_or_rejected_before_is_not_proposed_again() {
        let earlier = |title: &str, url: &str| {
            let c = [matched("A", item("0", url, title, 8), 3)];
            merge("t", &c, &Known::default(), &HashSet::new(), 1)
                .0
                .remove(0)
        };
        let known = Known {
            cited: HashSet::new(),
            earlier: vec![
                (
                    earlier(
                        "Negotiators meet again in Muscat on Friday",
                        "https://a.example.org/m",
                    ),
                    true,
                ),
                (
                    earlier("Oman hosts a new round", "https://a.example.org/o"),
                    false,
                ),
            ],
        };
        let c = [
            // Another outlet, another address, the same rejected story a day later.
            matched(
                "B",
                item(
                    "1",
                    "https://b.example.org/1",
                    "Negotiators to meet again in Muscat",
                    9,
                ),
                3,
            ),
            // The address of the open one, from another feed.
            matched(
                "C",
                item("2", "https://a.example.org/o?utm_source=c", "Oman hosts", 9),
                3,
            ),
            // A new story.
            matched(
                "B",
                item("3", "https://b.example.org/3", "Qatar offers to mediate", 9),
                3,
            ),
        ];
        let (proposals, fates) = merge("t", &c, &known, &HashSet::new(), 20);
        assert_eq!(
            fates,
            [
                Fate::Rejected,
                Fate::AlreadyProposed,
                Fate::Proposed { n: 0 }
            ]
        );
        assert_eq!(proposals.len(), 1);
    }

    fn matched(outlet: &str, item: Item, score: u32) -> Candidate {
        Candidate {
            feed: format!("feed of {outlet}"),
            outlet: outlet.into(),
            seen_at: item.published.unwrap_or_default(),
            item,
            verdict: Verdict::Matches {
                score,
                actors: vec!["iran".into(), "united-states".into()],
                named: vec!["Iran".into(), "US".into()],
            },
        }
    }

    #[test]
    fn one_story_from_two_outlets_is_one_proposal_with_two_sources() {
        let c = [
            matched(
                "Outlet A",
                item(
                    "a1",
                    "https://a.example.org/iran-us-muscat",
                    "Iran and US negotiators meet in Muscat",
                    8,
                ),
                3,
            ),
            matched(
                "Outlet B",
                item(
                    "b1",
                    "https://b.example.org/story/77",
                    "US and Iran negotiators meet in Muscat for talks",
                    9,
                ),
                3,
            ),
            // The same item again, by GUID and by its address with tracking.
            matched(
                "Outlet A",
                item(
                    "a1",
                    "https://a.example.org/other",
                    "Iran and US negotiators meet in Muscat",
                    8,
                ),
                3,
            ),
            matched(
                "Outlet C",
                item(
                    "c1",
                    "https://www.a.example.org/iran-us-muscat/?utm_source=x",
                    "Muscat meeting",
                    8,
                ),
                3,
            ),
            // Cited already; a different story; one too weak.
            matched(
                "Outlet A",
                item(
                    "a2",
                    "https://cited.example.org/x",
                    "Iran says enrichment continues",
                    8,
                ),
                2,
            ),
            matched(
                "Outlet B",
                item(
                    "b2",
                    "https://b.example.org/story/78",
                    "Oil rises on Hormuz fears",
                    8,
                ),
                2,
            ),
            Candidate {
                verdict: Verdict::Below {
                    score: 1,
                    named: vec!["Iran".into()],
                },
                ..matched(
                    "Outlet B",
                    item("b3", "https://b.example.org/story/79", "Iran weather", 8),
                    1,
                )
            },
        ];
        let cited = HashSet::from(["cited.example.org/x".to_owned()]);
        let (proposals, fates) = merge(
            "iran-us-talks",
            &c,
            &known(cited.clone()),
            &HashSet::new(),
            20,
        );
        assert_eq!(proposals.len(), 2, "{proposals:#?}");
        let talks = &proposals[0];
        assert_eq!(talks.sources.len(), 2);
        assert_eq!(talks.confidence, Confidence::High);
        assert_eq!(
            talks.date,
            NaiveDate::from_ymd_opt(2026, 10, 8).expect("date")
        );
        assert_eq!(talks.title, "Iran and US negotiators meet in Muscat");
        assert_eq!(proposals[1].confidence, Confidence::Medium);
        assert_eq!(
            fates,
            [
                Fate::Proposed { n: 0 },
                Fate::Merged { n: 0 },
                Fate::Duplicate,
                Fate::Duplicate,
                Fate::AlreadyCited,
                Fate::Proposed { n: 1 },
                Fate::Below { score: 1 },
            ]
        );
        // Over the limit, the weaker story waits.
        let (one, fates) = merge("iran-us-talks", &c, &known(cited), &HashSet::new(), 1);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].sources.len(), 2);
        assert_eq!(fates[5], Fate::Waiting);
    }

    #[test]
    fn the_topics_own_names_do_not_make_two_stories_one_and_guids_belong_to_their_feed() {
        let names: HashSet<String> = ["iran", "us", "muscat"].map(String::from).into();
        let c = [
            matched(
                "A",
                item(
                    "1",
                    "https://a.example.org/1",
                    "Iran, US trade accusations",
                    8,
                ),
                2,
            ),
            matched(
                "B",
                item("2", "https://b.example.org/2", "US strikes Iran proxies", 8),
                2,
            ),
            // Another outlet's item with the same GUID is its own item.
            matched(
                "C",
                item("1", "https://c.example.org/9", "Qatar hosts envoys", 8),
                2,
            ),
            // A one-word title absorbs nothing.
            matched("D", item("4", "https://d.example.org/4", "Iran", 8), 2),
        ];
        let (proposals, fates) = merge("t", &c, &Known::default(), &names, 20);
        assert_eq!(proposals.len(), 4, "{fates:?}");
        assert!(fates.iter().all(|f| matches!(f, Fate::Proposed { .. })));
    }

    #[test]
    fn similar_titles_far_apart_in_time_are_two_stories() {
        let c = [
            matched(
                "A",
                item(
                    "1",
                    "https://a.example.org/1",
                    "Iran and US negotiators meet in Muscat",
                    1,
                ),
                3,
            ),
            matched(
                "B",
                item(
                    "2",
                    "https://b.example.org/2",
                    "Iran and US negotiators meet in Muscat",
                    9,
                ),
                3,
            ),
        ];
        let (proposals, _) = merge("t", &c, &Known::default(), &HashSet::new(), 20);
        assert_eq!(proposals.len(), 2);
    }
}
