//! The change feed: for each topic, one entry for every reload or edit that changed its cards,
//! saying what changed in the daily briefing's words (`digest::changes_only`), with a stable
//! id and date, so a feed reader shows each change once. The first time a topic is seen its
//! entry is the whole briefing. What was last recorded of each topic (a digest snapshot) and
//! the entries are kept in a [`FeedStore`] (the state file, the database replicas share, or
//! memory), so the feed survives restarts and a change made while the bot was down is one
//! entry at start-up. Entries are stored as replies (JSON); the web door renders them.
//!
//! One algorithm records, wherever the feed is kept: each topic's change is recorded once, by
//! the first replica to serve it (the store locks the topic and gives its mark), and a replica
//! whose reload leaves a topic as it already served it records nothing, so one that is behind
//! another's change never records that change undone. Replicas read the entries again when one
//! says it added some, and every [`REFRESH_EVERY`].

use crate::clock::Clock;
use crate::digest::{self, Changes, Previous, TopicSnapshot, WhenUnchanged};
use crate::library::Library;
use crate::reply::{Line, Reply};
use crate::service::shelf::Shelf;
use crate::store::feed::{FeedCommit, FeedDump, FeedStore, StoredEntry, StoredMark};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use crate::store::feed::{FEED_CHANNEL, FeedError};

/// How often a replica reads the shared feed again without being told to.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The newest entries of each topic kept in memory, and the most a feed lists.
pub const KEPT: usize = 50;

/// The longest entry title, in characters.
const MAX_TITLE: usize = 140;

/// One change to a topic's cards.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub topic: String,
    /// 1 for a topic's first entry, then one more for each.
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub title: String,
    pub reply: Reply,
}

impl Entry {
    /// The entry's identity in a feed: the topic, its number and when it was made, so a
    /// state folder started afresh never reuses an id for other words.
    pub fn id(&self) -> String {
        format!(
            "urn:dossier:{}:{}:{}",
            self.topic,
            self.seq,
            self.at.timestamp()
        )
    }

    /// An entry as kept; `None` for one whose reply does not read (of another format).
    fn from_stored(e: StoredEntry) -> Option<Entry> {
        Some(Entry {
            reply: serde_json::from_str(&e.reply).ok()?,
            topic: e.topic,
            seq: e.seq,
            at: e.at,
            title: e.title,
        })
    }

    fn to_stored(&self) -> Result<StoredEntry, FeedError> {
        Ok(StoredEntry {
            topic: self.topic.clone(),
            seq: self.seq,
            at: self.at,
            title: self.title.clone(),
            reply: serde_json::to_string(&self.reply)
                .map_err(|e| FeedError::Store(format!("could not store an entry: {e}")))?,
        })
    }
}

/// What a topic was when its last entry was made.
#[derive(Clone)]
struct Mark {
    snapshot: TopicSnapshot,
    day: NaiveDate,
}

impl Mark {
    /// A stored mark; `None` for a snapshot of another format (the next entry is whole).
    fn from_stored(m: &StoredMark) -> Option<Mark> {
        Some(Mark {
            snapshot: TopicSnapshot::from_json(&m.snapshot)?,
            day: m.day,
        })
    }
}

#[derive(Default)]
struct State {
    marks: HashMap<String, Mark>,
    /// Oldest first, at most [`KEPT`].
    entries: HashMap<String, Vec<Arc<Entry>>>,
}

impl State {
    fn from_dump(dump: FeedDump) -> State {
        let mut state = State::default();
        for m in &dump.marks {
            if let Some(mark) = Mark::from_stored(m) {
                state.marks.insert(m.topic.clone(), mark);
            }
        }
        for e in dump.entries {
            if let Some(e) = Entry::from_stored(e) {
                state
                    .entries
                    .entry(e.topic.clone())
                    .or_default()
                    .push(Arc::new(e));
            }
        }
        state
    }
}

/// The change feed of every topic.
pub struct Feed {
    state: Mutex<State>,
    store: Arc<dyn FeedStore>,
    /// What this process itself last served of each topic: a reload that leaves a topic as
    /// this process already served it records nothing, even when another replica has since
    /// recorded a newer state (this one is behind, not changing it back).
    served: Mutex<HashMap<String, TopicSnapshot>>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed::in_memory()
    }
}

impl Feed {
    /// Kept only while the process runs.
    pub fn in_memory() -> Feed {
        Feed {
            state: Mutex::default(),
            store: Arc::new(crate::store::memory::MemoryFeed::default()),
            served: Mutex::default(),
        }
    }

    /// Kept in `store`, read now.
    pub async fn open(store: Arc<dyn FeedStore>) -> Result<Feed, FeedError> {
        let feed = Feed {
            state: Mutex::default(),
            store,
            served: Mutex::default(),
        };
        feed.refresh().await?;
        Ok(feed)
    }

    /// Read the kept feed again (after another replica added entries).
    async fn refresh(&self) -> Result<(), FeedError> {
        let state = State::from_dump(self.store.read(KEPT).await?);
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        Ok(())
    }

    /// The newest entries of `topic` (at most [`KEPT`]), newest first.
    pub fn entries(&self, topic: &str) -> Vec<Arc<Entry>> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .entries
            .get(topic)
            .map(|v| v.iter().rev().cloned().collect())
            .unwrap_or_default()
    }

    /// One entry of `topic`, also one older than those kept in memory.
    pub async fn entry(&self, topic: &str, seq: i64) -> Option<Arc<Entry>> {
        let held = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .get(topic)
            .and_then(|v| v.iter().find(|e| e.seq == seq).cloned());
        if held.is_some() {
            return held;
        }
        let stored = self.store.entry(topic, seq).await.ok()??;
        Entry::from_stored(stored).map(Arc::new)
    }

    /// Record what changed in each topic of `lib` since its last entry: at most one new entry
    /// per topic, none where nothing changed. Returns the new entries. A store that cannot be
    /// written loses nothing: the change is recorded on the next call.
    pub async fn record(
        &self,
        lib: &Library,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<Vec<Arc<Entry>>, FeedError> {
        let mut made = Vec::new();
        for (ti, t) in lib.topics().iter().enumerate() {
            let snapshot = TopicSnapshot::of(t);
            let served = self
                .served
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&t.id)
                == Some(&snapshot);
            if served {
                // Unchanged here: a reload for another topic, or of a tree that has not yet
                // caught up with a change another replica recorded. Recording it would read
                // as that change undone.
                continue;
            }
            let known = self
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .marks
                .get(&t.id)
                .is_some_and(|m| m.snapshot == snapshot);
            if !known {
                let mut failed = None;
                let mut marked = None;
                let decide = Box::new(|stored: Option<&StoredMark>, seq: i64| {
                    // Asked again when another process recorded in between: only the last
                    // answer counts.
                    (failed, marked) = (None, None);
                    let mark = stored.and_then(Mark::from_stored);
                    if mark.as_ref().is_some_and(|m| m.snapshot == snapshot) {
                        // Another replica recorded this change already.
                        return None;
                    }
                    let entry = change(lib, ti, mark.as_ref(), today).map(|(title, reply)| Entry {
                        topic: t.id.clone(),
                        seq,
                        // As the store keeps it, so the entry reads the same after a restart.
                        at: crate::store::rows::millis(now),
                        title,
                        reply,
                    });
                    // The day the next entry counts from: this one's, or, when nothing a
                    // briefing says moved (no entry), the last entry's.
                    let day = match (&entry, &mark) {
                        (None, Some(m)) => m.day,
                        _ => today,
                    };
                    let stored = match entry.as_ref().map(Entry::to_stored).transpose() {
                        Ok(s) => s,
                        Err(e) => {
                            failed = Some(e);
                            return None;
                        }
                    };
                    marked = Some(Mark {
                        snapshot: snapshot.clone(),
                        day,
                    });
                    Some(FeedCommit {
                        entry: stored,
                        mark: StoredMark {
                            topic: t.id.clone(),
                            snapshot: snapshot.to_json(),
                            day,
                        },
                    })
                });
                let committed = self.store.record(&t.id, decide).await?;
                if let Some(e) = failed {
                    return Err(e);
                }
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(m) = marked {
                    state.marks.insert(t.id.clone(), m);
                }
                if let Some(e) = committed.and_then(Entry::from_stored) {
                    let e = Arc::new(e);
                    let list = state.entries.entry(t.id.clone()).or_default();
                    list.push(e.clone());
                    if list.len() > KEPT {
                        list.remove(0);
                    }
                    made.push(e);
                }
            }
            self.served
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(t.id.clone(), snapshot);
        }
        if self.store.shared().is_some() {
            self.refresh().await?;
        }
        Ok(made)
    }
}

/// What a topic's next entry says: the whole briefing the first time, else what changed since
/// its mark (none when nothing a briefing says moved).
fn change(
    lib: &Library,
    ti: usize,
    mark: Option<&Mark>,
    today: NaiveDate,
) -> Option<(String, Reply)> {
    match mark {
        None => first_entry(lib, ti, today),
        Some(m) => digest::changes_only(
            lib,
            ti,
            Previous {
                snapshot: &m.snapshot,
                day: m.day,
            },
            today,
        )
        .map(|(c, reply)| (headline(lib, ti, &c), reply)),
    }
}

/// A topic's first entry: the whole briefing.
fn first_entry(lib: &Library, ti: usize, today: NaiveDate) -> Option<(String, Reply)> {
    let t = lib.topic(ti);
    let mut reply = digest::digest(lib, ti, None, today, today, WhenUnchanged::Post)?;
    reply.title = format!("{}: the briefing as first recorded", t.title);
    reply.summary = Some(Line::new(format!(
        "The first entry of this feed: the whole picture as of {}. Each later entry says what changed.",
        crate::date::human_day(t.as_of)
    )));
    Some((reply.title.clone(), reply))
}

/// A feed entry's title: the change itself when there is one, else how many and the first few.
pub fn headline(lib: &Library, ti: usize, c: &Changes) -> String {
    let t = lib.topic(ti);
    let name = |id: &str| {
        t.actors
            .iter()
            .find(|a| a.id == id)
            .map_or(id.to_owned(), |a| a.name.clone())
    };
    let mut items: Vec<String> = Vec::new();
    if let Some((before, after)) = &c.status {
        items.push(format!("status {before} → {after}"));
    }
    items.extend(
        c.events_added
            .iter()
            .map(|&i| format!("new event: {}", t.events[i].shown_title())),
    );
    items.extend(c.positions.iter().map(|p| match p.before {
        None => format!("new actor: {}", name(&p.actor)),
        Some(_) => format!("{}'s position moved", name(&p.actor)),
    }));
    items.extend(
        c.events_revised
            .iter()
            .map(|&i| format!("revised event: {}", t.events[i].shown_title())),
    );
    items.extend(c.corrections.iter().map(|k| match k {
        digest::Correction::Entry { after, .. } => format!(
            "corrected: {}'s position of {}",
            after.name,
            crate::date::human_day(after.as_of)
        ),
        digest::Correction::EntryDate { before, after } => format!(
            "corrected: the date of {}'s position of {}",
            after.name,
            crate::date::human_day(before.as_of)
        ),
        digest::Correction::EventDate { event, .. } => {
            format!("corrected: the date of {}", t.events[*event].shown_title())
        }
    }));
    items.extend(c.events_removed.iter().map(|k| {
        let title = k.split_once('|').map_or(k.as_str(), |(_, t)| t);
        format!("event removed: {title}")
    }));
    items.extend(
        c.actors_removed
            .iter()
            .map(|n| format!("actor removed: {n}")),
    );
    items.extend(
        c.experts_added
            .iter()
            .map(|&i| format!("new expert view: {}", t.experts[i].name)),
    );
    items.extend(
        c.experts_revised
            .iter()
            .map(|&i| format!("revised expert view: {}", t.experts[i].name)),
    );
    if c.bottom_line_changed {
        items.push("bottom line revised".into());
    }
    if c.status_note_changed {
        items.push("status note revised".into());
    }
    items.extend(
        c.sources_added
            .iter()
            .map(|&i| format!("new source: {}", t.sources[i].title)),
    );
    let n = c.count();
    let mut title = match items.len() {
        0 => format!("{n} change{}", if n == 1 { "" } else { "s" }),
        1 => items[0].clone(),
        2 => format!("{n} changes: {}; {}", items[0], items[1]),
        _ => format!(
            "{n} changes: {}; {}; and {} more",
            items[0],
            items[1],
            items.len() - 2
        ),
    };
    if let Some(first) = title.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    if title.chars().count() > MAX_TITLE {
        title = title.chars().take(MAX_TITLE - 1).collect::<String>() + "…";
    }
    title
}

/// Record the library being served now, then after every swap of the shelf, until `stop`. A
/// failed write is logged and retried at the next swap.
pub async fn follow(
    feed: Arc<Feed>,
    shelf: Arc<Shelf>,
    clock: Clock,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut versions = shelf.watch();
    loop {
        let lib = shelf.snapshot();
        match feed.record(&lib, Utc::now(), clock.today()).await {
            Ok(made) => {
                for e in made {
                    tracing::info!(topic = e.topic, seq = e.seq, "feed: {}", e.title);
                }
            }
            Err(e) => tracing::warn!("{e}; the change is recorded at the next reload"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            changed = versions.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// Keep a shared feed current until `stop`: read it again when another replica says it added
/// entries, and every [`REFRESH_EVERY`]. A feed in a file or in memory needs nothing.
pub async fn follow_shared(feed: Arc<Feed>, stop: tokio_util::sync::CancellationToken) {
    let Some(db) = feed.store.shared().cloned() else {
        return;
    };
    crate::store::postgres::follow_channel(
        &db,
        FEED_CHANNEL,
        REFRESH_EVERY,
        &stop,
        "read the shared feed again",
        || async { feed.refresh().await.map_err(|e| e.to_string()) },
    )
    .await;
}
