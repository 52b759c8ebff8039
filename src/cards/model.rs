//! The validated briefing model the rest of dossier uses. Every value here has passed
//! `validate`: ids are slugs, references resolve, dates are real. No spans, no serde.

use crate::date::Date;
use chrono::NaiveDate;
use std::path::PathBuf;

/// A closed set of words a card field may take, with their spelling in the TOML.
pub trait Choice: Copy + Sized + 'static {
    const ALL: &'static [(&'static str, Self)];
    fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, v)| std::mem::discriminant(v) == std::mem::discriminant(&self))
            .map_or("?", |(s, _)| s)
    }
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, v)| *v)
    }
}

macro_rules! choice {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }
        impl Choice for $name {
            const ALL: &'static [(&'static str, Self)] = &[$(($text, $name::$variant)),+];
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

choice!(
    /// Where a story stands.
    Status { Active = "active", Paused = "paused", Concluded = "concluded", Superseded = "superseded" }
);
choice!(
    /// What kind of document a source is.
    /// `headline`: only the headline was seen (in a news monitor's digest, say), not the
    /// article; a claim resting on such sources alone says "reported".
    SourceKind { News = "news", Analysis = "analysis", Primary = "primary", Reference = "reference", Headline = "headline" }
);
choice!(
    /// What kind of party an actor is.
    ActorKind { State = "state", Person = "person", Organisation = "organisation", GroupOfStates = "group-of-states" }
);
choice!(
    /// How sure the card's authors are of a position.
    Confidence { High = "high", Medium = "medium", Low = "low" }
);
choice!(
    /// How well an event is established.
    Verification { Confirmed = "confirmed", Reported = "reported", Claimed = "claimed", Disputed = "disputed" }
);

/// One briefing topic: everything under `briefings/<topic-id>/`.
#[derive(Clone, Debug)]
pub struct Topic {
    pub id: String,
    pub title: String,
    pub aliases: Vec<String>,
    pub bottom_line: String,
    pub why_it_matters: String,
    pub sources_cited: Vec<String>,
    /// Actor ids for the brief, in order.
    pub main_actors: Vec<String>,
    pub status: Status,
    pub status_note: Option<String>,
    pub as_of: NaiveDate,
    pub stale_after_days: u32,
    pub tags: Vec<String>,
    pub key_questions: Vec<String>,
    pub watch: Vec<WatchItem>,
    pub sources: Vec<Source>,
    pub actors: Vec<Actor>,
    /// Chronological.
    pub events: Vec<Event>,
    pub experts: Vec<ExpertView>,
    pub dir: PathBuf,
    /// How many card files the topic was read from.
    pub card_files: usize,
    /// The news feeds the newsdesk reads for it (`feeds.toml`), if any.
    pub feeds: Option<Feeds>,
}

/// A topic's `feeds.toml`, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feeds {
    pub keywords: Vec<String>,
    pub exclude: Vec<String>,
    /// How many distinct things an item must name to be proposed.
    pub min_score: u32,
    pub feeds: Vec<FeedSource>,
}

/// How many distinct things an item must name, unless `min_score` says otherwise.
pub const DEFAULT_MIN_SCORE: u32 = 2;

/// One feed of a topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedSource {
    pub at: FeedAt,
    pub outlet: Option<String>,
    pub every: std::time::Duration,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// Where a feed is read from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeedAt {
    Url(String),
    /// A file in the topic folder (the path as written, relative to the folder).
    Path(String),
}

impl FeedAt {
    /// The address or the path, as written.
    pub fn as_str(&self) -> &str {
        match self {
            FeedAt::Url(u) | FeedAt::Path(u) => u,
        }
    }
}

/// Whether a claim's own words already say how it is known: "reported", "reportedly",
/// "claimed", "according to".
pub fn says_hedged(text: &str) -> bool {
    let t = text.to_lowercase();
    // Whole words: "misreported" or "proclaimed" say nothing of how a claim is known.
    let words: Vec<&str> = t.split(|c: char| !c.is_alphanumeric()).collect();
    words
        .iter()
        .any(|w| matches!(*w, "reported" | "reportedly" | "claimed" | "claims"))
        || words.windows(2).any(|w| w == ["according", "to"])
}

impl Topic {
    /// Whether every one of `sources` is headline-level (only a headline or a summary of it was
    /// seen): what rests on them alone is shown as reported. False for none.
    pub fn headline_only(&self, sources: &[String]) -> bool {
        !sources.is_empty()
            && sources.iter().all(|id| {
                self.sources
                    .iter()
                    .find(|s| &s.id == id)
                    .is_some_and(|s| s.kind == SourceKind::Headline)
            })
    }

    /// A watch item as every briefing shows it: hedged from its sources, with `cites` (its
    /// sources' numbers in the reply) and when it is expected.
    pub fn watch_line(&self, w: &WatchItem, cites: Vec<u32>) -> crate::reply::Line {
        let line = crate::reply::Line::cited(self.hedged(&w.item, &w.sources), cites);
        match w.expected {
            Some(d) => line.label(format!("by {d}")),
            None => line,
        }
    }

    /// Whether a claim resting on `sources` needs "(reported)" after it: they are headline-level
    /// only and its words do not say so.
    pub fn needs_hedge(&self, text: &str, sources: &[String]) -> bool {
        self.headline_only(sources) && !says_hedged(text)
    }

    /// A claim as a reader sees it wherever it is shown: followed by "(reported)" when it
    /// rests on headline-level `sources` alone and its words do not already say so. The mark
    /// comes from the sources' kind, never from a flag of its own.
    pub fn hedged(&self, text: &str, sources: &[String]) -> String {
        if self.needs_hedge(text, sources) {
            format!("{text} (reported)")
        } else {
            text.to_owned()
        }
    }
}

#[derive(Clone, Debug)]
pub struct WatchItem {
    pub item: String,
    pub expected: Option<Date>,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub publisher: String,
    pub url: String,
    /// When the source was published, where that is known.
    pub published: Option<Date>,
    pub accessed: Option<Date>,
    pub kind: SourceKind,
    pub note: Option<String>,
    /// A snapshot of the page in a web archive, where one was taken.
    pub archived: Option<Snapshot>,
}

/// A copy of a cited page kept by a web archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub url: String,
    /// When it was taken, where the card says.
    pub on: Option<Date>,
}

#[derive(Clone, Debug)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub kind: ActorKind,
    pub role: String,
    pub people: Vec<Person>,
    /// Where the actor stood, over time.
    pub history: History,
}

/// An actor's dated positions: never empty, oldest first, one per date.
#[derive(Clone, Debug)]
pub struct History {
    earlier: Vec<Position>,
    latest: Position,
}

#[derive(Clone, Debug)]
pub struct Person {
    pub name: String,
    pub role: String,
    pub as_of: Date,
    pub note: Option<String>,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Position {
    pub stance: String,
    pub summary: String,
    pub demands: Vec<String>,
    pub red_lines: Vec<String>,
    pub signals: Vec<String>,
    pub as_of: NaiveDate,
    pub confidence: Confidence,
    pub sources: Vec<String>,
    /// The items of `demands`, `red_lines` and `signals` that rest on sources of their own;
    /// every other item rests on `sources`.
    pub item_sources: Vec<ItemSources>,
}

/// Which of a position's lists an item is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimList {
    Demands,
    RedLines,
    Signals,
}

/// The sources one item of a position's lists rests on, where it names its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemSources {
    pub list: ClaimList,
    pub index: usize,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Event {
    pub date: Date,
    pub title: String,
    pub detail: String,
    pub actors: Vec<String>,
    pub verification: Verification,
    pub sources: Vec<String>,
    /// The phase of the story this event opens ("talks", "war", "ceasefire"), if any.
    pub phase: Option<String>,
}

impl Event {
    /// The title as a reader sees it wherever it is shown: with how sure it is in brackets
    /// ("reported", "claimed", "disputed") unless it is confirmed. The mark comes from the
    /// event's `verification`, which `check` requires to be more than "confirmed" when the
    /// event rests on headlines only; the card's title never carries it itself.
    pub fn shown_title(&self) -> String {
        let v = self.verification;
        let says_it = match v {
            Verification::Reported | Verification::Claimed => says_hedged(&self.title),
            _ => self
                .title
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == v.as_str()),
        };
        if v == Verification::Confirmed || says_it {
            self.title.clone()
        } else {
            format!("{} ({v})", self.title)
        }
    }
}

#[derive(Clone, Debug)]
pub struct ExpertView {
    pub id: String,
    pub name: String,
    pub affiliation: String,
    pub role: Option<String>,
    pub date: Date,
    /// `date` is when the view was reported (the source's publication), not when it was said.
    pub reported: bool,
    pub summary: String,
    pub quote: Option<Quote>,
    pub about: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Quote {
    pub text: String,
    pub source: String,
}

/// The one staleness rule: a card last checked on `as_of` is stale once more than
/// `after_days` days have passed. `check` warns by it and every answer's footer says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Staleness {
    pub after_days: u32,
}

impl Staleness {
    /// The last day on which a card checked on `as_of` is still fresh.
    pub fn fresh_until(self, as_of: NaiveDate) -> NaiveDate {
        as_of
            .checked_add_days(chrono::Days::new(u64::from(self.after_days)))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Whether a card last checked on `as_of` is stale on `today`.
    pub fn is_stale(self, as_of: NaiveDate, today: NaiveDate) -> bool {
        today > self.fresh_until(as_of)
    }
}

impl History {
    /// A history from entries in date order; `None` when there are none.
    pub fn new(mut entries: Vec<Position>) -> Option<History> {
        let latest = entries.pop()?;
        Some(History {
            earlier: entries,
            latest,
        })
    }

    /// The newest entry: where the actor stands as of the cards.
    pub fn latest(&self) -> &Position {
        &self.latest
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Position> {
        self.earlier.iter().chain(std::iter::once(&self.latest))
    }

    /// The entries before the latest, oldest first.
    pub fn earlier(&self) -> &[Position] {
        &self.earlier
    }

    pub fn len(&self) -> usize {
        self.earlier.len() + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The entry in force on `day`: the newest dated on or before it. `None` before the first.
    pub fn on(&self, day: NaiveDate) -> Option<&Position> {
        self.entries().rev().find(|p| p.as_of <= day)
    }

    /// The first entry.
    pub fn first(&self) -> &Position {
        self.earlier.first().unwrap_or(&self.latest)
    }
}

impl Actor {
    /// The latest position.
    pub fn position(&self) -> &Position {
        self.history.latest()
    }
}

impl Position {
    /// Whether `other` says anything this entry does not (its date and sources aside).
    pub fn same_content(&self, other: &Position) -> bool {
        self.stance == other.stance
            && self.summary == other.summary
            && self.demands == other.demands
            && self.red_lines == other.red_lines
            && self.signals == other.signals
            && self.confidence == other.confidence
            && self.item_sources == other.item_sources
    }

    /// The sources item `index` of `list` rests on: its own, else the position's.
    pub fn sources_of(&self, list: ClaimList, index: usize) -> &[String] {
        self.item_sources
            .iter()
            .find(|s| s.list == list && s.index == index)
            .map_or(&self.sources, |s| &s.sources)
    }

    /// Whether item `index` of `list` names sources of its own.
    pub fn has_own_sources(&self, list: ClaimList, index: usize) -> bool {
        self.item_sources
            .iter()
            .any(|s| s.list == list && s.index == index)
    }
}

impl Topic {
    /// How long this topic's cards stay fresh.
    pub fn staleness(&self) -> Staleness {
        Staleness {
            after_days: self.stale_after_days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hedge_is_whole_words() {
        for hedged in [
            "Talks reported to resume",
            "Strike reportedly hits port",
            "Iran claims the strike",
            "A ceasefire, according to Reuters",
        ] {
            assert!(says_hedged(hedged), "{hedged}");
        }
        for bare in [
            "Israel proclaimed a ceasefire",
            "A misreported death",
            "Land reclaimed",
        ] {
            assert!(!says_hedged(bare), "{bare}");
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn entry(as_of: &str, stance: &str) -> Position {
        Position {
            stance: stance.into(),
            summary: String::new(),
            demands: Vec::new(),
            red_lines: Vec::new(),
            signals: Vec::new(),
            as_of: day(as_of),
            confidence: Confidence::Medium,
            sources: Vec::new(),
            item_sources: Vec::new(),
        }
    }

    #[test]
    fn the_entry_in_force_on_a_date() {
        let h = History::new(vec![
            entry("2026-02-05", "before Muscat"),
            entry("2026-03-01", "after the strikes"),
            entry("2026-06-17", "the memorandum"),
        ])
        .expect("entries");
        let on = |d: &str| h.on(day(d)).map(|p| p.stance.as_str());
        assert_eq!(on("2026-02-04"), None, "before the first entry");
        assert_eq!(
            on("2026-02-05"),
            Some("before Muscat"),
            "on an entry's date"
        );
        assert_eq!(on("2026-02-28"), Some("before Muscat"), "between entries");
        assert_eq!(on("2026-03-01"), Some("after the strikes"));
        assert_eq!(on("2026-06-16"), Some("after the strikes"));
        assert_eq!(on("2026-11-26"), Some("the memorandum"), "after the last");
        assert_eq!(h.latest().stance, "the memorandum");
        assert_eq!(h.first().stance, "before Muscat");
        assert_eq!(h.len(), 3);
        assert_eq!(h.earlier().len(), 2);
        assert!(History::new(Vec::new()).is_none());
        let one = History::new(vec![entry("2026-02-05", "only")]).expect("one");
        assert_eq!((one.first().stance.as_str(), one.len()), ("only", 1));
    }
}
