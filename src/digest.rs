//! The daily briefing: what changed in a topic since the last briefing posted to a place,
//! then the bottom line, what to watch and numbered sources, as a [`Reply`]. A compact,
//! versioned [`TopicSnapshot`] of what a place was last sent (ids and content hashes of
//! events, expert views and sources; each actor's latest stance, demands and red lines) is
//! enough to say "added", "revised", "removed" and "before → after". Platform-neutral and pure.

use crate::cards::{Actor, Choice, Topic};
use crate::date::human_day;
use crate::library::Library;
use crate::reply::{Block, Citation, Footer, Line, Reply, ReplyKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The snapshot format; a stored snapshot of another version is treated as absent (the next
/// briefing is then a full one), never misread.
pub const SNAPSHOT_VERSION: u32 = 1;

/// At most this many items of each kind of change; the rest are counted, with the command that
/// shows them.
pub const MAX_ITEMS: usize = 8;

/// A stable 64-bit hash (FNV-1a): stored snapshots must compare equal across builds and Rust
/// versions, which `std`'s hasher does not promise.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMark {
    /// The date and title: an event's identity in the cards.
    pub key: String,
    pub hash: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionMark {
    pub actor: String,
    pub name: String,
    pub as_of: NaiveDate,
    pub stance: String,
    pub demands: Vec<String>,
    pub red_lines: Vec<String>,
}

/// An earlier entry of an actor's history (any but the latest), so that a correction of it is
/// told as one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMark {
    pub actor: String,
    pub name: String,
    pub as_of: NaiveDate,
    pub stance: String,
    /// Of everything else the entry says: summary, lists, confidence, sources.
    pub hash: u64,
}

fn entry_mark(a: &Actor, p: &crate::cards::Position) -> EntryMark {
    let mut parts = vec![p.summary.as_str(), p.confidence.as_str()];
    for list in [&p.demands, &p.red_lines, &p.signals, &p.sources] {
        parts.push("\u{1f}");
        parts.extend(list.iter().map(String::as_str));
    }
    EntryMark {
        actor: a.id.clone(),
        name: a.name.clone(),
        as_of: p.as_of,
        stance: p.stance.clone(),
        hash: hash(&parts),
    }
}

/// What a place was last sent about a topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicSnapshot {
    pub version: u32,
    pub topic: String,
    pub as_of: NaiveDate,
    pub status: String,
    pub status_note: u64,
    pub bottom_line: u64,
    pub events: Vec<EventMark>,
    pub positions: Vec<PositionMark>,
    pub experts: Vec<(String, u64)>,
    pub sources: Vec<(String, u64)>,
    /// The actors' earlier entries; `None` in a snapshot stored before they were kept, which
    /// then tells no corrections of them.
    #[serde(default)]
    pub earlier: Option<Vec<EntryMark>>,
}

fn event_key(e: &crate::cards::Event) -> String {
    format!("{}|{}", e.date.iso(), e.title)
}

fn event_hash(e: &crate::cards::Event) -> u64 {
    let mut parts = vec![e.detail.as_str(), e.verification.as_str()];
    parts.extend(e.actors.iter().map(String::as_str));
    parts.extend(e.sources.iter().map(String::as_str));
    hash(&parts)
}

fn position_mark(a: &Actor, p: &crate::cards::Position) -> PositionMark {
    PositionMark {
        actor: a.id.clone(),
        name: a.name.clone(),
        as_of: p.as_of,
        stance: p.stance.clone(),
        demands: p.demands.clone(),
        red_lines: p.red_lines.clone(),
    }
}

impl TopicSnapshot {
    /// The topic as it is now.
    pub fn of(t: &Topic) -> TopicSnapshot {
        TopicSnapshot {
            version: SNAPSHOT_VERSION,
            topic: t.id.clone(),
            as_of: t.as_of,
            status: t.status.as_str().to_owned(),
            status_note: hash(&[t.status_note.as_deref().unwrap_or("")]),
            bottom_line: hash(&[&t.bottom_line]),
            events: t
                .events
                .iter()
                .map(|e| EventMark {
                    key: event_key(e),
                    hash: event_hash(e),
                })
                .collect(),
            positions: t
                .actors
                .iter()
                .map(|a| position_mark(a, a.position()))
                .collect(),
            experts: t
                .experts
                .iter()
                .map(|v| {
                    let quote = v.quote.as_ref().map_or("", |q| q.text.as_str());
                    (v.id.clone(), hash(&[&v.summary, quote, &v.date.iso()]))
                })
                .collect(),
            sources: t
                .sources
                .iter()
                .map(|s| (s.id.clone(), hash(&[&s.title, &s.url])))
                .collect(),
            earlier: Some(
                t.actors
                    .iter()
                    .flat_map(|a| a.history.earlier().iter().map(move |p| entry_mark(a, p)))
                    .collect(),
            ),
        }
    }

    /// The topic as the cards say it stood on `day`: events and views dated by then, sources
    /// published by then (or undated), each actor's position in force then. Status and bottom
    /// line have no history, so they count as unchanged.
    pub fn as_on(t: &Topic, day: NaiveDate) -> TopicSnapshot {
        let now = TopicSnapshot::of(t);
        TopicSnapshot {
            events: t
                .events
                .iter()
                .zip(now.events.iter())
                .filter(|(e, _)| e.date.first_day() <= day)
                .map(|(_, m)| m.clone())
                .collect(),
            positions: t
                .actors
                .iter()
                .filter_map(|a| a.history.on(day).map(|p| position_mark(a, p)))
                .collect(),
            experts: t
                .experts
                .iter()
                .zip(now.experts.iter())
                .filter(|(v, _)| v.date.first_day() <= day)
                .map(|(_, m)| m.clone())
                .collect(),
            sources: t
                .sources
                .iter()
                .zip(now.sources.iter())
                .filter(|(s, _)| s.published.is_none_or(|p| p.first_day() <= day))
                .map(|(_, m)| m.clone())
                .collect(),
            // The entries that were history then: older than the one in force on `day`.
            earlier: Some(
                t.actors
                    .iter()
                    .filter_map(|a| a.history.on(day).map(|now| (a, now.as_of)))
                    .flat_map(|(a, then)| {
                        a.history
                            .entries()
                            .filter(move |p| p.as_of < then)
                            .map(move |p| entry_mark(a, p))
                    })
                    .collect(),
            ),
            as_of: day,
            ..now
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored snapshot, if it is one this version of dossier reads.
    pub fn from_json(s: &str) -> Option<TopicSnapshot> {
        serde_json::from_str::<TopicSnapshot>(s)
            .ok()
            .filter(|t| t.version == SNAPSHOT_VERSION)
    }
}

/// One actor whose latest position moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionChange {
    pub actor: String,
    /// `None`: a new actor.
    pub before: Option<PositionMark>,
    pub after: PositionMark,
}

/// A dated entry corrected after it was told: the reader learns what it said before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Correction {
    /// An earlier entry of an actor's history says something else now.
    Entry { before: EntryMark, after: EntryMark },
    /// An earlier entry of an actor's history moved to another date, saying the same.
    EntryDate { before: EntryMark, after: EntryMark },
    /// An event moved to another date (index into the topic's events; the date it had).
    EventDate { event: usize, was: String },
}

/// What differs between a snapshot and the topic now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Indices into the topic's events.
    pub events_added: Vec<usize>,
    pub events_revised: Vec<usize>,
    /// Keys ("date|title") of events no longer in the cards.
    pub events_removed: Vec<String>,
    pub positions: Vec<PositionChange>,
    pub actors_removed: Vec<String>,
    /// Indices into the topic's expert views.
    pub experts_added: Vec<usize>,
    pub experts_revised: Vec<usize>,
    /// Indices into the topic's sources.
    pub sources_added: Vec<usize>,
    /// Earlier entries and event dates corrected.
    pub corrections: Vec<Correction>,
    /// (before, after), when the status word changed.
    pub status: Option<(String, String)>,
    pub status_note_changed: bool,
    pub bottom_line_changed: bool,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }

    /// How many things changed, for the digest's first line.
    pub fn count(&self) -> usize {
        self.events_added.len()
            + self.events_revised.len()
            + self.events_removed.len()
            + self.positions.len()
            + self.actors_removed.len()
            + self.experts_added.len()
            + self.experts_revised.len()
            + self.sources_added.len()
            + self.corrections.len()
            + usize::from(self.status.is_some())
            + usize::from(self.status_note_changed)
            + usize::from(self.bottom_line_changed)
    }
}

/// What changed from `before` to `t` now. Linear in the size of the topic.
pub fn diff(before: &TopicSnapshot, t: &Topic) -> Changes {
    use std::collections::HashMap;
    let now = TopicSnapshot::of(t);
    let mut c = Changes::default();
    let old_events: HashMap<&str, u64> = before
        .events
        .iter()
        .map(|e| (e.key.as_str(), e.hash))
        .collect();
    for (i, e) in now.events.iter().enumerate() {
        match old_events.get(e.key.as_str()) {
            None => c.events_added.push(i),
            Some(h) if *h != e.hash => c.events_revised.push(i),
            Some(_) => {}
        }
    }
    let new_keys: std::collections::HashSet<&str> =
        now.events.iter().map(|e| e.key.as_str()).collect();
    c.events_removed = before
        .events
        .iter()
        .filter(|e| !new_keys.contains(e.key.as_str()))
        .map(|e| e.key.clone())
        .collect();
    let old_positions: HashMap<&str, &PositionMark> = before
        .positions
        .iter()
        .map(|p| (p.actor.as_str(), p))
        .collect();
    for p in &now.positions {
        let old = old_positions.get(p.actor.as_str()).copied();
        let moved = old.is_none_or(|o| {
            o.stance != p.stance || o.demands != p.demands || o.red_lines != p.red_lines
        });
        if moved {
            c.positions.push(PositionChange {
                actor: p.actor.clone(),
                before: old.cloned(),
                after: p.clone(),
            });
        }
    }
    let actors_now: std::collections::HashSet<&str> =
        now.positions.iter().map(|p| p.actor.as_str()).collect();
    c.actors_removed = before
        .positions
        .iter()
        .filter(|p| !actors_now.contains(p.actor.as_str()))
        .map(|p| p.name.clone())
        .collect();
    let old_experts: HashMap<&str, u64> = before
        .experts
        .iter()
        .map(|(k, h)| (k.as_str(), *h))
        .collect();
    for (i, (id, h)) in now.experts.iter().enumerate() {
        match old_experts.get(id.as_str()) {
            None => c.experts_added.push(i),
            Some(old) if old != h => c.experts_revised.push(i),
            Some(_) => {}
        }
    }
    let old_sources: std::collections::HashSet<&str> =
        before.sources.iter().map(|(k, _)| k.as_str()).collect();
    c.sources_added = now
        .sources
        .iter()
        .enumerate()
        .filter(|(_, (id, _))| !old_sources.contains(id.as_str()))
        .map(|(i, _)| i)
        .collect();
    event_dates_corrected(t, &mut c);
    if let (Some(was), Some(is)) = (&before.earlier, &now.earlier) {
        entries_corrected(was, is, &mut c);
    }
    if before.status != now.status {
        c.status = Some((before.status.clone(), now.status.clone()));
    }
    c.status_note_changed = before.status_note != now.status_note;
    c.bottom_line_changed = before.bottom_line != now.bottom_line;
    c
}

/// An event removed under one date and added under another with the same title was moved: a
/// correction of its date, not a new event.
fn event_dates_corrected(t: &Topic, c: &mut Changes) {
    let mut removed: std::collections::HashMap<&str, Vec<usize>> = Default::default();
    for (k, key) in c.events_removed.iter().enumerate() {
        let (_, title) = key.split_once('|').unwrap_or(("", key));
        removed.entry(title).or_default().push(k);
    }
    let mut moved_keys = std::collections::HashSet::new();
    let mut added = Vec::new();
    for &i in &c.events_added {
        let k = removed
            .get_mut(t.events[i].title.as_str())
            .and_then(|ks| ks.pop());
        match k {
            Some(k) => {
                let key = &c.events_removed[k];
                let was = key.split_once('|').map_or("", |(d, _)| d).to_owned();
                moved_keys.insert(k);
                c.corrections.push(Correction::EventDate { event: i, was });
            }
            None => added.push(i),
        }
    }
    c.events_added = added;
    c.events_removed = std::mem::take(&mut c.events_removed)
        .into_iter()
        .enumerate()
        .filter(|(k, _)| !moved_keys.contains(k))
        .map(|(_, key)| key)
        .collect();
}

/// Earlier entries that say something else than when last told, or moved to another date.
/// An entry that only became history (the actor has a newer one) is not a correction.
fn entries_corrected(was: &[EntryMark], is: &[EntryMark], c: &mut Changes) {
    use std::collections::HashMap;
    let old: HashMap<(&str, NaiveDate), &EntryMark> = was
        .iter()
        .map(|e| ((e.actor.as_str(), e.as_of), e))
        .collect();
    let new: HashMap<(&str, NaiveDate), &EntryMark> = is
        .iter()
        .map(|e| ((e.actor.as_str(), e.as_of), e))
        .collect();
    // Entries gone from their date, by actor and what they said: where one turns up again
    // under a new date, its date was corrected.
    let mut gone: HashMap<(&str, &str, u64), &EntryMark> = was
        .iter()
        .filter(|e| !new.contains_key(&(e.actor.as_str(), e.as_of)))
        .map(|e| ((e.actor.as_str(), e.stance.as_str(), e.hash), e))
        .collect();
    for e in is {
        match old.get(&(e.actor.as_str(), e.as_of)) {
            Some(o) if o.stance != e.stance || o.hash != e.hash => {
                c.corrections.push(Correction::Entry {
                    before: (*o).clone(),
                    after: e.clone(),
                });
            }
            Some(_) => {}
            None => {
                if let Some(o) = gone.remove(&(e.actor.as_str(), e.stance.as_str(), e.hash)) {
                    c.corrections.push(Correction::EntryDate {
                        before: o.clone(),
                        after: e.clone(),
                    });
                }
            }
        }
    }
}

/// What a briefing says when nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenUnchanged {
    /// The full briefing anyway.
    Post,
    /// One line: no change since the last briefing.
    Short,
    /// Nothing.
    Skip,
}

impl WhenUnchanged {
    pub const ALL: [(&'static str, WhenUnchanged); 3] = [
        ("post", WhenUnchanged::Post),
        ("short", WhenUnchanged::Short),
        ("skip", WhenUnchanged::Skip),
    ];

    pub fn parse(s: &str) -> Option<WhenUnchanged> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, w)| *w)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, w)| *w == self)
            .map_or("post", |(n, _)| n)
    }
}

/// The last briefing a place was sent: what it said, and the local day it went out.
pub struct Previous<'a> {
    pub snapshot: &'a TopicSnapshot,
    pub day: NaiveDate,
}

/// Numbers sources in the order the digest first cites them.
struct Cites<'a> {
    t: &'a Topic,
    lib: &'a Library,
    ti: usize,
    list: Vec<Citation>,
}

impl Cites<'_> {
    fn cite(&mut self, ids: &[String]) -> Vec<u32> {
        let mut out = Vec::new();
        for id in ids {
            let n = match self.list.iter().find(|c| &c.source_id == id) {
                Some(c) => c.n,
                None => {
                    let Some(s) = self.lib.source(self.ti, id) else {
                        continue;
                    };
                    let n = self.list.len() as u32 + 1;
                    self.list.push(Citation {
                        n,
                        source_id: s.id.clone(),
                        title: s.title.clone(),
                        publisher: s.publisher.clone(),
                        published: s.published.map(|d| d.to_string()),
                        url: s.url.clone(),
                    });
                    n
                }
            };
            if !out.contains(&n) {
                out.push(n);
            }
        }
        let _ = self.t;
        out
    }
}

/// How a list of a position (its demands, its red lines) changed, in words that do not read
/// a list the entry stopped stating as one that is now empty.
fn list_change(what: &str, before: &[String], after: &[String]) -> String {
    let mut named = what.to_owned();
    if let Some(first) = named.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    match (before.is_empty(), after.is_empty()) {
        (true, _) => format!("{named}, newly stated: {}", after.join("; ")),
        (_, true) => format!(
            "The entry no longer states {what} (before: {})",
            before.join("; ")
        ),
        _ => format!("{named}: {} → {}", before.join("; "), after.join("; ")),
    }
}

/// Parts joined as sentences: each ends with one full stop, however its text ended.
fn sentences(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| {
            let p = p.trim_end();
            if p.ends_with(['.', '!', '?']) {
                p.to_owned()
            } else {
                format!("{p}.")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lines for at most `MAX_ITEMS` items, then "… and N more: `command`".
fn capped(mut lines: Vec<Line>, more: &str) -> Vec<Line> {
    if lines.len() > MAX_ITEMS {
        let rest = lines.len() - MAX_ITEMS;
        lines.truncate(MAX_ITEMS);
        lines.push(Line::new(format!("… and {rest} more: `{more}`")));
    }
    lines
}

/// The briefing for topic `ti` to a place last sent `previous` (none: its first briefing,
/// which is the full one, marked as such); `day` is the local day it is for. `None` when
/// nothing changed and the place asked for nothing then.
pub fn digest(
    lib: &Library,
    ti: usize,
    previous: Option<Previous<'_>>,
    day: NaiveDate,
    today: NaiveDate,
    when_unchanged: WhenUnchanged,
) -> Option<Reply> {
    let t = lib.topic(ti);
    let changes = previous.as_ref().map(|p| diff(p.snapshot, t));
    let mut cites = Cites {
        t,
        lib,
        ti,
        list: Vec::new(),
    };
    let title = format!("Daily briefing: {} · {}", t.title, human_day(day));
    let mut r = Reply::new(ReplyKind::Answer, title);
    match (&previous, &changes) {
        (None, _) => {
            r.summary = Some(Line::new(
                "The first briefing here: the whole picture. From tomorrow each briefing starts with what changed since the one before.",
            ));
        }
        (Some(p), Some(c)) if c.is_empty() => match when_unchanged {
            WhenUnchanged::Skip => return None,
            WhenUnchanged::Short => {
                let mut r = Reply::new(ReplyKind::Answer, format!("No change since {}", human_day(p.day)))
                    .summary(Line::new(format!(
                        "Nothing in the {} cards has changed since the briefing of {}. Ask `brief` for the whole picture.",
                        t.title,
                        human_day(p.day)
                    )));
                r.footer = Some(footer(t, today));
                return Some(r);
            }
            WhenUnchanged::Post => {
                r.summary = Some(Line::new(format!(
                    "No change in the cards since the briefing of {}; here is the whole picture again.",
                    human_day(p.day)
                )));
            }
        },
        (Some(p), Some(c)) => {
            r.summary = Some(Line::new(format!(
                "{} change{} since the briefing of {}.",
                c.count(),
                if c.count() == 1 { "" } else { "s" },
                human_day(p.day)
            )));
            changes_sections(&mut r, t, c, p, &mut cites);
        }
        (Some(_), None) => {}
    }
    let top = cites.cite(&t.sources_cited);
    r.section("Bottom line", Block::Text(Line::cited(&t.bottom_line, top)));
    if previous.is_none() || changes.as_ref().is_some_and(Changes::is_empty) {
        // The whole picture: where each main actor stands.
        let main: Vec<&Actor> = if t.main_actors.is_empty() {
            t.actors.iter().collect()
        } else {
            t.main_actors
                .iter()
                .filter_map(|id| lib.actor(ti, id))
                .collect()
        };
        let stances = main
            .iter()
            .map(|a| {
                let p = a.position();
                Line::cited(&p.stance, cites.cite(&p.sources)).label(format!(
                    "{} ({})",
                    a.name,
                    human_day(p.as_of)
                ))
            })
            .collect();
        r.bullets("Where the actors stand", stances);
    }
    let watch = t
        .watch
        .iter()
        .map(|w| {
            let l = Line::cited(&w.item, cites.cite(&w.sources));
            match w.expected {
                Some(d) => l.label(format!("by {d}")),
                None => l,
            }
        })
        .collect();
    r.bullets("What to watch", watch);
    r.citations = cites.list;
    r.footer = Some(footer(t, today));
    Some(r)
}

/// What changed in topic `ti` since `previous`, in the daily briefing's words and with its
/// numbered sources, and nothing else (the change feed's entry); `None` when nothing did.
pub fn changes_only(
    lib: &Library,
    ti: usize,
    previous: Previous<'_>,
    today: NaiveDate,
) -> Option<(Changes, Reply)> {
    let t = lib.topic(ti);
    let c = diff(previous.snapshot, t);
    if c.is_empty() {
        return None;
    }
    let mut cites = Cites {
        t,
        lib,
        ti,
        list: Vec::new(),
    };
    let mut r = Reply::new(ReplyKind::Answer, format!("What changed in {}", t.title)).summary(
        Line::new(format!(
            "{} change{} since {}.",
            c.count(),
            if c.count() == 1 { "" } else { "s" },
            human_day(previous.day)
        )),
    );
    changes_sections(&mut r, t, &c, &previous, &mut cites);
    r.citations = cites.list;
    r.footer = Some(footer(t, today));
    Some((c, r))
}

fn footer(t: &Topic, today: NaiveDate) -> Footer {
    let stale = t.staleness().is_stale(t.as_of, today).then(|| {
        format!(
            "Stale: the cards are as of {}, {} days ago.",
            human_day(t.as_of),
            (today - t.as_of).num_days()
        )
    });
    Footer {
        topic: t.title.clone(),
        as_of: t.as_of,
        stale,
        note: Some("More: brief · position <actor> · timeline".into()),
    }
}

/// "Corrected: …(was: …)", cited to what the corrected entry or event cites now.
fn correction_line(t: &Topic, k: &Correction, cites: &mut Cites<'_>) -> Line {
    let entry_sources = |e: &EntryMark| {
        t.actors
            .iter()
            .find(|a| a.id == e.actor)
            .and_then(|a| a.history.entries().find(|p| p.as_of == e.as_of))
            .map(|p| p.sources.clone())
            .unwrap_or_default()
    };
    match k {
        Correction::Entry { before, after } => {
            let text = if before.stance == after.stance {
                format!(
                    "Corrected: {}'s position of {}, beyond its stance: {} (the stance is unchanged)",
                    after.name,
                    human_day(after.as_of),
                    after.stance
                )
            } else {
                format!(
                    "Corrected: {}'s position of {}: {} (was: {})",
                    after.name,
                    human_day(after.as_of),
                    after.stance,
                    before.stance
                )
            };
            Line::cited(text, cites.cite(&entry_sources(after))).label(after.name.clone())
        }
        Correction::EntryDate { before, after } => Line::cited(
            format!(
                "Corrected: {}'s position dated {} (was: {}): {}",
                after.name,
                human_day(after.as_of),
                human_day(before.as_of),
                after.stance
            ),
            cites.cite(&entry_sources(after)),
        )
        .label(after.name.clone()),
        Correction::EventDate { event, was } => {
            let e = &t.events[*event];
            Line::cited(
                format!(
                    "Corrected: {} dated {} (was: {})",
                    e.shown_title(),
                    e.date,
                    crate::date::Date::parse(was).map_or_else(|_| was.clone(), |d| d.to_string())
                ),
                cites.cite(&e.sources),
            )
            .label(e.date.to_string())
        }
    }
}

fn changes_sections(
    r: &mut Reply,
    t: &Topic,
    c: &Changes,
    p: &Previous<'_>,
    cites: &mut Cites<'_>,
) {
    let since = format!("timeline since {}", p.day);
    let event_line = |i: usize, cites: &mut Cites<'_>, mark: &str| {
        let e = &t.events[i];
        let text = format!("{}{}. {}", mark, e.shown_title(), e.detail);
        Line::cited(text, cites.cite(&e.sources)).label(e.date.to_string())
    };
    let mut events: Vec<Line> = c
        .events_added
        .iter()
        .map(|&i| event_line(i, cites, ""))
        .collect();
    events.extend(
        c.events_revised
            .iter()
            .map(|&i| event_line(i, cites, "Revised: ")),
    );
    events.extend(c.events_removed.iter().map(|k| {
        let (date, title) = k.split_once('|').unwrap_or(("", k));
        Line::new(format!("Removed from the cards: {title}")).label(date.to_owned())
    }));
    r.bullets("New and revised events", capped(events, &since));
    let corrections: Vec<Line> = c
        .corrections
        .iter()
        .map(|k| correction_line(t, k, cites))
        .collect();
    r.bullets("Corrections", capped(corrections, "corrections"));
    let positions: Vec<Line> = c
        .positions
        .iter()
        .map(|pc| {
            let a = t.actors.iter().find(|a| a.id == pc.actor);
            let sources = a.map(|a| a.position().sources.clone()).unwrap_or_default();
            let text = match &pc.before {
                None => format!("New in the cards: {}", pc.after.stance),
                Some(b) => {
                    let mut parts = vec![format!("Stance: {} → {}", b.stance, pc.after.stance)];
                    if b.demands != pc.after.demands {
                        parts.push(list_change("demands", &b.demands, &pc.after.demands));
                    }
                    if b.red_lines != pc.after.red_lines {
                        parts.push(list_change("red lines", &b.red_lines, &pc.after.red_lines));
                    }
                    sentences(&parts)
                }
            };
            Line::cited(text, cites.cite(&sources)).label(format!(
                "{} (as of {})",
                pc.after.name,
                human_day(pc.after.as_of)
            ))
        })
        .chain(
            c.actors_removed
                .iter()
                .map(|name| Line::new("Removed from the cards").label(name.clone())),
        )
        .collect();
    r.bullets("Positions that moved", capped(positions, "actors"));
    let experts: Vec<Line> = c
        .experts_added
        .iter()
        .map(|&i| (i, ""))
        .chain(c.experts_revised.iter().map(|&i| (i, "Revised: ")))
        .map(|(i, mark)| {
            let v = &t.experts[i];
            Line::cited(format!("{mark}{}", v.summary), cites.cite(&v.sources)).label(&v.name)
        })
        .collect();
    r.bullets("New expert views", capped(experts, "experts"));
    let sources: Vec<Line> = c
        .sources_added
        .iter()
        .map(|&i| {
            let s = &t.sources[i];
            Line::cited(
                format!("{} ({})", s.title, s.publisher),
                cites.cite(std::slice::from_ref(&s.id)),
            )
        })
        .collect();
    r.bullets("New sources", capped(sources, "sources"));
    let mut status = Vec::new();
    if let Some((before, after)) = &c.status {
        status.push(Line::new(format!("{before} → {after}")).label("Status"));
    }
    if c.status_note_changed
        && let Some(n) = &t.status_note
    {
        status.push(Line::new(n).label("Now"));
    }
    r.bullets("Status", status);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_stable_and_separates_fields() {
        // Fixed values: a stored snapshot must read the same in every build.
        assert_eq!(hash(&["a"]), hash(&["a"]));
        assert_ne!(hash(&["ab", "c"]), hash(&["a", "bc"]));
        assert_eq!(hash(&[]), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn when_unchanged_names() {
        for (n, w) in WhenUnchanged::ALL {
            assert_eq!(WhenUnchanged::parse(n), Some(w));
            assert_eq!(w.name(), n);
        }
        assert_eq!(WhenUnchanged::parse("never"), None);
    }
}
