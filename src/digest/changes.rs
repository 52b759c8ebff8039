//! What changed in a topic since a place was last sent it: a compact, versioned snapshot of
//! what was sent (ids and content hashes of events, expert views and sources; each actor's
//! latest stance, demands and red lines, and its earlier entries), and the difference between
//! a snapshot and the cards now, corrections of earlier entries and event dates included.
//! Linear in the size of the topic.

use crate::cards::{Actor, Choice, Topic};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The snapshot format; a stored snapshot of another version is treated as absent (the next
/// briefing is then a full one), never misread.
pub const SNAPSHOT_VERSION: u32 = 1;

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
    let own: Vec<String> = p
        .item_sources
        .iter()
        .map(|s| format!("{:?}/{}/{}", s.list, s.index, s.sources.join(",")))
        .collect();
    parts.push("\u{1f}");
    parts.extend(own.iter().map(String::as_str));
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
        // The earliest removed first, so two same-titled events that both moved keep order.
        let k = removed
            .get_mut(t.events[i].title.as_str())
            .filter(|ks| !ks.is_empty())
            .map(|ks| ks.remove(0));
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
}
