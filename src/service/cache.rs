//! The reply cache: a question's rendered answer, kept as shared bytes for the library version
//! it was answered from, so the same question on the same library costs a lookup. The library
//! is immutable between reloads, so an entry can only go stale by a swap, and a swap (a reload
//! or an edit) drops the whole cache at the first request that sees the new version. Bounded by
//! a byte budget, least recently used first out; counted in the metrics.
//!
//! What goes in is the caller's business (the router decides which commands may be cached and
//! builds the [`Key`]: the parsed command itself, hashed, with what else the answer depends on);
//! this module keeps the invariants: an entry is only ever served for the
//! version it was made from, an answer made from an older library is never stored, and no
//! single key or entry can push the others out.

use crate::charts::Png;
use crate::commands::Command;
use crate::metrics::Metrics;
use bytes::Bytes;
use hashlink::LruCache;
use std::sync::{Arc, Mutex};

/// Keys longer than this (their text, as [`Key::weight`] counts it) are not cached: a hostile
/// option must not fill the cache with itself.
pub const MAX_KEY_BYTES: usize = 512;

/// A question as the cache tells it apart: what was asked, on which day, and the topic a
/// command that names none answers from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Asked {
    pub today: chrono::NaiveDate,
    pub default_topic: Option<String>,
    pub cmd: Command,
}

/// What an entry is kept under.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// An answer rendered for one door (`door`: its platform; `variant`: how it renders there),
    /// with or without what shows its chart.
    Answer {
        door: &'static str,
        variant: &'static str,
        with_picture: bool,
        asked: Asked,
    },
    /// The chart that goes with an answer.
    Picture(Asked),
    /// A web page: one tab of a topic.
    Page {
        topic: usize,
        tab: String,
        asked: Asked,
    },
    /// Discord's autocomplete choices for what is typed in one option of one command.
    Choices {
        default_topic: Option<String>,
        command: String,
        option: String,
        typed: String,
        topic: Option<String>,
        what: Option<String>,
    },
}

impl Asked {
    fn weight(&self) -> usize {
        self.default_topic.as_ref().map_or(0, String::len) + self.cmd.to_line().len() + 10
    }
}

impl Key {
    /// About how many bytes the key holds: what the budget counts, and what
    /// [`MAX_KEY_BYTES`] bounds.
    pub fn weight(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        match self {
            Key::Answer { variant, asked, .. } => variant.len() + asked.weight() + 8,
            Key::Picture(asked) => asked.weight(),
            Key::Page { tab, asked, .. } => tab.len() + asked.weight() + 8,
            Key::Choices {
                default_topic,
                command,
                option,
                typed,
                topic,
                what,
            } => {
                opt(default_topic)
                    + command.len()
                    + option.len()
                    + typed.len()
                    + opt(topic)
                    + opt(what)
            }
        }
    }
}

/// The default budget: enough for thousands of long answers.
pub const DEFAULT_BUDGET: usize = 32 * 1024 * 1024;

/// One rendered answer: its bytes, whether it was a user's mistake (for the metrics), and, for
/// the doors that attach one, its chart and what the door sends to show it (Discord: the edit
/// of the message `body` made, uploading the chart).
#[derive(Clone, Debug)]
pub struct Entry {
    pub body: Bytes,
    pub user_error: bool,
    pub picture: Option<Arc<Png>>,
    pub with_picture: Option<Bytes>,
}

struct Inner {
    /// The library version every entry was made from.
    version: u64,
    /// Each entry with its key's weight.
    lru: LruCache<Key, (usize, Entry)>,
    /// Bytes held: keys and bodies.
    bytes: usize,
}

pub struct ReplyCache {
    inner: Mutex<Inner>,
    budget: usize,
    metrics: Arc<Metrics>,
}

impl Entry {
    /// An answer with no chart.
    pub fn text(body: Bytes, user_error: bool) -> Entry {
        Entry {
            body,
            user_error,
            picture: None,
            with_picture: None,
        }
    }
}

fn size(key_weight: usize, e: &Entry) -> usize {
    key_weight
        + e.body.len()
        + e.picture
            .as_ref()
            .map_or(0, |p| p.bytes.len() + p.alt.len())
        + e.with_picture.as_ref().map_or(0, Bytes::len)
}

impl ReplyCache {
    /// A cache of at most `budget` bytes (0 turns it off).
    pub fn new(budget: usize, metrics: Arc<Metrics>) -> ReplyCache {
        ReplyCache {
            inner: Mutex::new(Inner {
                version: 0,
                lru: LruCache::new_unbounded(),
                bytes: 0,
            }),
            budget,
            metrics,
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The answer kept for `key` on library `version`, if any. A newer version than the
    /// cache's drops everything first.
    pub fn get(&self, version: u64, key: &Key) -> Option<Entry> {
        if !self.enabled() {
            return None;
        }
        let mut inner = self.lock();
        if version > inner.version {
            self.reset(&mut inner, version);
        }
        let found = (version == inner.version)
            .then(|| inner.lru.get(key).map(|(_, e)| e.clone()))
            .flatten();
        drop(inner);
        match &found {
            Some(_) => self.metrics.cache_hit(),
            None => self.metrics.cache_miss(),
        }
        found
    }

    /// Keep `entry` for `key` on library `version`. Not kept: an answer made from a library
    /// older than the cache's, an over-long key, or an entry bigger than an eighth of the
    /// budget (it would push out many others).
    pub fn insert(&self, version: u64, key: &Key, entry: Entry) {
        if !self.enabled() {
            return;
        }
        let weight = key.weight();
        let n = size(weight, &entry);
        if weight > MAX_KEY_BYTES || n > self.budget / 8 {
            return;
        }
        let mut inner = self.lock();
        if version < inner.version {
            return;
        }
        if version > inner.version {
            self.reset(&mut inner, version);
        }
        if let Some((w, old)) = inner.lru.insert(key.clone(), (weight, entry)) {
            inner.bytes -= size(w, &old);
        }
        inner.bytes += n;
        let mut evicted = 0;
        while inner.bytes > self.budget {
            let Some((_, (w, e))) = inner.lru.remove_lru() else {
                break;
            };
            inner.bytes -= size(w, &e);
            evicted += 1;
        }
        let bytes = inner.bytes;
        drop(inner);
        self.metrics.cache_evicted(evicted);
        self.metrics.cache_bytes(bytes);
    }

    fn reset(&self, inner: &mut Inner, version: u64) {
        inner.version = version;
        inner.lru.clear();
        inner.bytes = 0;
        self.metrics.cache_bytes(0);
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.lock().lru.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> Entry {
        Entry::text(Bytes::from(vec![b'x'; n]), false)
    }

    /// A question typed into an option, as the cache keeps autocomplete choices.
    fn key(typed: &str) -> Key {
        Key::Choices {
            default_topic: None,
            command: "position".into(),
            option: "actor".into(),
            typed: typed.into(),
            topic: None,
            what: None,
        }
    }

    #[test]
    fn commands_that_differ_are_kept_apart_and_the_same_command_is_one_key() {
        let c = ReplyCache::new(1 << 20, Arc::default());
        let asked = |line: &str| Asked {
            today: chrono::NaiveDate::from_ymd_opt(2026, 10, 10).unwrap(),
            default_topic: Some("iran-us-talks".into()),
            cmd: crate::commands::parse(line).unwrap(),
        };
        c.insert(1, &Key::Picture(asked("position iran")), entry(10));
        c.insert(1, &Key::Picture(asked("position oman")), entry(20));
        assert_eq!(
            c.get(1, &Key::Picture(asked("position  iran")))
                .unwrap()
                .body
                .len(),
            10
        );
        assert_eq!(
            c.get(1, &Key::Picture(asked("position oman")))
                .unwrap()
                .body
                .len(),
            20
        );
        assert!(
            c.get(1, &Key::Picture(asked("position iran on 2026-03-01")))
                .is_none()
        );
    }

    #[test]
    fn an_entry_is_served_only_for_its_version() {
        let c = ReplyCache::new(1 << 20, Arc::default());
        c.insert(1, &key("position iran"), entry(100));
        assert!(c.get(1, &key("position iran")).is_some());
        // The library was swapped: the old answer is gone at once.
        assert!(c.get(2, &key("position iran")).is_none());
        assert!(c.is_empty());
        // An answer made from the old library, finished after the swap, is not kept.
        c.insert(1, &key("position iran"), entry(100));
        assert!(c.get(2, &key("position iran")).is_none());
        // A request still holding the old snapshot misses and leaves the new entries alone.
        c.insert(2, &key("brief"), entry(10));
        assert!(c.get(1, &key("brief")).is_none());
        assert!(c.get(2, &key("brief")).is_some());
    }

    #[test]
    fn the_byte_budget_holds_over_ten_thousand_questions() {
        let metrics = Arc::new(Metrics::default());
        let budget = 256 * 1024;
        let c = ReplyCache::new(budget, metrics.clone());
        for i in 0..10_000 {
            c.insert(7, &key(&format!("word{i}")), entry(100 + i % 900));
            assert!(c.bytes() <= budget);
        }
        assert!(c.len() > 100, "{}", c.len());
        // The newest are kept, the oldest went first.
        assert!(c.get(7, &key("word9999")).is_some());
        assert!(c.get(7, &key("word0")).is_none());
        let text = metrics.render();
        assert!(
            text.lines().any(
                |l| l.starts_with("dossier_reply_cache_evictions_total ") && !l.ends_with(" 0")
            ),
            "{text}"
        );
    }

    #[test]
    fn hostile_keys_and_huge_entries_are_not_kept_and_evict_nothing() {
        let c = ReplyCache::new(64 * 1024, Arc::default());
        c.insert(1, &key("brief"), entry(1000));
        let long = "x".repeat(64 * 1024);
        c.insert(1, &key(&long), entry(10));
        assert!(c.get(1, &key(&long)).is_none());
        c.insert(1, &key("huge"), entry(60 * 1024));
        assert!(c.get(1, &key("huge")).is_none());
        assert!(c.get(1, &key("brief")).is_some(), "nothing was pushed out");
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn a_zero_budget_turns_it_off() {
        let c = ReplyCache::new(0, Arc::default());
        c.insert(1, &key("brief"), entry(10));
        assert!(c.get(1, &key("brief")).is_none());
    }
}
