//! The change feed: for each topic, one entry for every reload or edit that changed its cards,
//! saying what changed in the daily briefing's words (`digest::changes_only`), with a stable
//! id and date, so a feed reader shows each change once. The first time a topic is seen its
//! entry is the whole briefing. What was last recorded of each topic (a digest snapshot) and
//! the entries are kept in `state/feed.sqlite3` (or only in memory where `serve` keeps no
//! state), so the feed survives restarts and a change made while the bot was down is one
//! entry at start-up. Entries are stored as replies (JSON); the web door renders them.
//!
//! Replicas sharing a PostgreSQL database share one feed (`shared`: the same tables there, each
//! change recorded once, every replica reading the entries again when told).

pub mod shared;

use crate::clock::Clock;
use crate::digest::{self, Changes, Previous, TopicSnapshot, WhenUnchanged};
use crate::library::Library;
use crate::reply::{Line, Reply};
use crate::service::postgres::Database;
use crate::service::shelf::Shelf;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS feed_entries (
    topic TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    title TEXT NOT NULL,
    reply TEXT NOT NULL,
    PRIMARY KEY (topic, seq)
);
CREATE TABLE IF NOT EXISTS feed_marks (
    topic TEXT PRIMARY KEY,
    snapshot TEXT NOT NULL,
    day TEXT NOT NULL
);
";
const SCHEMA_VERSION: i64 = 1;

/// The same tables in the shared database (an entry's number a BIGINT there); each migration
/// takes them from the version before it to its index + 1.
const PG_MIGRATIONS: [&str; 1] = ["
CREATE TABLE feed_entries (
    topic TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    title TEXT NOT NULL,
    reply TEXT NOT NULL,
    PRIMARY KEY (topic, seq)
);
CREATE TABLE feed_marks (
    topic TEXT PRIMARY KEY,
    snapshot TEXT NOT NULL,
    day TEXT NOT NULL
);
"];

/// The channel on which a replica says it added entries.
pub const FEED_CHANNEL: &str = "dossier_feed";

/// How often a replica reads the shared feed again without being told to.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The first key of the locks that record one topic's change at a time across replicas:
/// "fd" in ASCII.
const FEED_KEY_SPACE: i32 = 0x0000_6664;

/// The newest entries of each topic, oldest first, from a store.
const NEWEST: &str = "SELECT topic, seq, at, title, reply FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY topic ORDER BY seq DESC) AS n
    FROM feed_entries) AS newest
  WHERE n <= $1 ORDER BY topic, seq";

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
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the feed store {0}")]
    Store(String),
}

/// What a topic was when its last entry was made.
#[derive(Clone)]
struct Mark {
    snapshot: TopicSnapshot,
    day: NaiveDate,
}

#[derive(Default)]
struct State {
    marks: HashMap<String, Mark>,
    /// Oldest first, at most [`KEPT`].
    entries: HashMap<String, Vec<Arc<Entry>>>,
    /// The last seq of each topic (entries beyond [`KEPT`] are only in the store).
    last_seq: HashMap<String, i64>,
}

/// Where the feed is written.
enum Backing {
    Memory,
    Sqlite(Mutex<Connection>),
    Postgres(Database),
}

/// The change feed of every topic.
pub struct Feed {
    state: Mutex<State>,
    db: Backing,
    /// What this process itself last served of each topic, for a shared feed: a reload that
    /// leaves a topic as this replica already served it records nothing, even when another
    /// replica has since recorded a newer state (this one is behind, not changing it back).
    served: Mutex<HashMap<String, crate::digest::TopicSnapshot>>,
}

impl State {
    /// A state from a store's rows: each topic's mark (topic, snapshot JSON, day) and its
    /// newest entries (topic, seq, at, title, reply JSON), oldest first.
    fn from_rows(
        marks: impl IntoIterator<Item = (String, String, String)>,
        entries: impl IntoIterator<Item = (String, i64, String, String, String)>,
    ) -> State {
        let mut state = State::default();
        for (topic, snap, day) in marks {
            // A snapshot of another format is treated as absent: the next entry is whole.
            if let (Some(snapshot), Ok(day)) = (
                TopicSnapshot::from_json(&snap),
                NaiveDate::parse_from_str(&day, "%Y-%m-%d"),
            ) {
                state.marks.insert(topic, Mark { snapshot, day });
            }
        }
        for row in entries {
            let (topic, seq) = (row.0.clone(), row.1);
            let last = state.last_seq.entry(topic.clone()).or_default();
            *last = (*last).max(seq);
            if let Some(e) = to_entry(row) {
                state.entries.entry(topic).or_default().push(Arc::new(e));
            }
        }
        state
    }
}

impl Default for Feed {
    fn default() -> Self {
        Feed::in_memory()
    }
}

fn row_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, i64, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_entry(
    (topic, seq, at, title, reply): (String, i64, String, String, String),
) -> Option<Entry> {
    Some(Entry {
        topic,
        seq,
        at: DateTime::parse_from_rfc3339(&at).ok()?.with_timezone(&Utc),
        title,
        reply: serde_json::from_str(&reply).ok()?,
    })
}

impl Feed {
    /// Kept only while the process runs.
    pub fn in_memory() -> Feed {
        Feed {
            state: Mutex::new(State::default()),
            db: Backing::Memory,
            served: Mutex::default(),
        }
    }

    /// Kept in `path` (created if missing); refuses a file written by a newer dossier.
    pub fn open(path: &Path) -> Result<Feed, FeedError> {
        let conn =
            crate::service::sqlite::open(path, SCHEMA, SCHEMA_VERSION).map_err(FeedError::Store)?;
        let bad = |e: rusqlite::Error| {
            FeedError::Store(format!(
                "{} is not a readable dossier store ({e})",
                path.display()
            ))
        };
        let state = {
            let mut q = conn
                .prepare("SELECT topic, snapshot, day FROM feed_marks")
                .map_err(bad)?;
            let marks = q
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(bad)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(bad)?;
            let mut q = conn.prepare(&NEWEST.replace("$1", "?1")).map_err(bad)?;
            let entries = q
                .query_map([KEPT as i64], row_entry)
                .map_err(bad)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(bad)?;
            State::from_rows(marks, entries)
        };
        Ok(Feed {
            state: Mutex::new(state),
            db: Backing::Sqlite(Mutex::new(conn)),
            served: Mutex::default(),
        })
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
    pub fn entry(&self, topic: &str, seq: i64) -> Option<Arc<Entry>> {
        if let Some(e) = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .get(topic)
            .and_then(|v| v.iter().find(|e| e.seq == seq))
        {
            return Some(e.clone());
        }
        let Backing::Sqlite(db) = &self.db else {
            return None;
        };
        let db = db.lock().unwrap_or_else(|e| e.into_inner());
        db.query_row(
            "SELECT topic, seq, at, title, reply FROM feed_entries WHERE topic = ?1 AND seq = ?2",
            params![topic, seq],
            row_entry,
        )
        .optional()
        .ok()
        .flatten()
        .and_then(to_entry)
        .map(Arc::new)
    }

    /// Record what changed in each topic of `lib` since its last entry: at most one new entry
    /// per topic, none where nothing changed. Returns the new entries. A store that cannot be
    /// written loses nothing: the change is recorded on the next call.
    pub fn record(
        &self,
        lib: &Library,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<Vec<Arc<Entry>>, FeedError> {
        let mut made = Vec::new();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for (ti, t) in lib.topics().iter().enumerate() {
            let snapshot = TopicSnapshot::of(t);
            let mark = state.marks.get(&t.id).cloned();
            if mark.as_ref().is_some_and(|m| m.snapshot == snapshot) {
                continue;
            }
            let made_now = change(lib, ti, mark.as_ref(), today);
            let seq = state.last_seq.get(&t.id).copied().unwrap_or(0) + 1;
            let entry = made_now.map(|(title, reply)| Entry {
                topic: t.id.clone(),
                seq,
                at: now,
                title,
                reply,
            });
            // The day the next entry counts from: this one's, or, when only the as-of date or
            // nothing a briefing says moved (no entry), the last entry's, kept in both places.
            let day = match (&entry, &mark) {
                (None, Some(m)) => m.day,
                _ => today,
            };
            if let Backing::Sqlite(db) = &self.db {
                let mut db = db.lock().unwrap_or_else(|e| e.into_inner());
                let fail =
                    |e: rusqlite::Error| FeedError::Store(format!("could not be written: {e}"));
                let tx = db.transaction().map_err(fail)?;
                if let Some(e) = &entry {
                    let reply = serde_json::to_string(&e.reply)
                        .map_err(|e| FeedError::Store(format!("could not store an entry: {e}")))?;
                    tx.execute(
                        "INSERT INTO feed_entries (topic, seq, at, title, reply) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![e.topic, e.seq, e.at.to_rfc3339(), e.title, reply],
                    )
                    .map_err(fail)?;
                }
                tx.execute(
                    "INSERT INTO feed_marks (topic, snapshot, day) VALUES (?1, ?2, ?3)
                     ON CONFLICT (topic) DO UPDATE SET snapshot = ?2, day = ?3",
                    params![t.id, snapshot.to_json(), day.format("%Y-%m-%d").to_string()],
                )
                .map_err(fail)?;
                tx.commit().map_err(fail)?;
            }
            state.marks.insert(t.id.clone(), Mark { snapshot, day });
            if let Some(e) = entry {
                let e = Arc::new(e);
                state.last_seq.insert(t.id.clone(), seq);
                let list = state.entries.entry(t.id.clone()).or_default();
                list.push(e.clone());
                if list.len() > KEPT {
                    list.remove(0);
                }
                made.push(e);
            }
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

/// Everything a feed store holds, for a copy to another: each topic's mark (topic, snapshot
/// JSON, day) and every entry (topic, seq, at, title, reply JSON).
#[derive(Clone, Debug, Default)]
pub struct FeedDump {
    pub marks: Vec<(String, String, String)>,
    pub entries: Vec<(String, i64, String, String, String)>,
}

impl Feed {
    /// Every row of a feed kept in a file (an empty dump for one kept elsewhere).
    pub fn dump(&self) -> Result<FeedDump, FeedError> {
        let Backing::Sqlite(db) = &self.db else {
            return Ok(FeedDump::default());
        };
        let db = db.lock().unwrap_or_else(|e| e.into_inner());
        let bad = |e: rusqlite::Error| FeedError::Store(format!("could not be read: {e}"));
        let marks = db
            .prepare("SELECT topic, snapshot, day FROM feed_marks ORDER BY topic")
            .map_err(bad)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(bad)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        let entries = db
            .prepare("SELECT topic, seq, at, title, reply FROM feed_entries ORDER BY topic, seq")
            .map_err(bad)?
            .query_map([], row_entry)
            .map_err(bad)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        Ok(FeedDump { marks, entries })
    }
}

/// Record the library being served now, then after every swap of the shelf, until the
/// process ends. A failed write is logged and retried at the next swap.
pub async fn follow(feed: Arc<Feed>, shelf: Arc<Shelf>, clock: Clock) {
    let mut versions = shelf.watch();
    loop {
        let lib = shelf.snapshot();
        match feed.record_now(lib, Utc::now(), clock.today()).await {
            Ok(made) => {
                for e in made {
                    tracing::info!(topic = e.topic, seq = e.seq, "feed: {}", e.title);
                }
            }
            Err(e) => tracing::warn!("{e}; the change is recorded at the next reload"),
        }
        if versions.changed().await.is_err() {
            return;
        }
    }
}
