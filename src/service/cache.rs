//! The reply cache: a question's rendered answer, kept as shared bytes for the library version
//! it was answered from, so the same question on the same library costs a lookup. The library
//! is immutable between reloads, so an entry can only go stale by a swap, and a swap (a reload
//! or an edit) drops the whole cache at the first request that sees the new version. Bounded by
//! a byte budget, least recently used first out; counted in the metrics.
//!
//! What goes in is the caller's business (the router decides which commands may be cached and
//! builds the key); this module keeps the invariants: an entry is only ever served for the
//! version it was made from, an answer made from an older library is never stored, and no
//! single key or entry can push the others out.

use crate::charts::Png;
use crate::metrics::Metrics;
use bytes::Bytes;
use hashlink::LruCache;
use std::sync::{Arc, Mutex};

/// Keys longer than this are not cached: a hostile option must not fill the cache with itself.
pub const MAX_KEY_BYTES: usize = 512;

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
    lru: LruCache<String, Entry>,
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

fn size(key: &str, e: &Entry) -> usize {
    key.len()
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
    pub fn get(&self, version: u64, key: &str) -> Option<Entry> {
        if !self.enabled() || key.len() > MAX_KEY_BYTES {
            return None;
        }
        let mut inner = self.lock();
        if version > inner.version {
            self.reset(&mut inner, version);
        }
        let found = (version == inner.version)
            .then(|| inner.lru.get(key).cloned())
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
    pub fn insert(&self, version: u64, key: &str, entry: Entry) {
        let n = size(key, &entry);
        if !self.enabled() || key.len() > MAX_KEY_BYTES || n > self.budget / 8 {
            return;
        }
        let mut inner = self.lock();
        if version < inner.version {
            return;
        }
        if version > inner.version {
            self.reset(&mut inner, version);
        }
        if let Some(old) = inner.lru.insert(key.to_owned(), entry) {
            inner.bytes -= size(key, &old);
        }
        inner.bytes += n;
        let mut evicted = 0;
        while inner.bytes > self.budget {
            let Some((k, e)) = inner.lru.remove_lru() else {
                break;
            };
            inner.bytes -= size(&k, &e);
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

    #[test]
    fn an_entry_is_served_only_for_its_version() {
        let c = ReplyCache::new(1 << 20, Arc::default());
        c.insert(1, "position iran", entry(100));
        assert!(c.get(1, "position iran").is_some());
        // The library was swapped: the old answer is gone at once.
        assert!(c.get(2, "position iran").is_none());
        assert!(c.is_empty());
        // An answer made from the old library, finished after the swap, is not kept.
        c.insert(1, "position iran", entry(100));
        assert!(c.get(2, "position iran").is_none());
        // A request still holding the old snapshot misses and leaves the new entries alone.
        c.insert(2, "brief", entry(10));
        assert!(c.get(1, "brief").is_none());
        assert!(c.get(2, "brief").is_some());
    }

    #[test]
    fn the_byte_budget_holds_over_ten_thousand_questions() {
        let metrics = Arc::new(Metrics::default());
        let budget = 256 * 1024;
        let c = ReplyCache::new(budget, metrics.clone());
        for i in 0..10_000 {
            c.insert(7, &format!("search word{i}"), entry(100 + i % 900));
            assert!(c.bytes() <= budget);
        }
        assert!(c.len() > 100, "{}", c.len());
        // The newest are kept, the oldest went first.
        assert!(c.get(7, "search word9999").is_some());
        assert!(c.get(7, "search word0").is_none());
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
        c.insert(1, "brief", entry(1000));
        let long = "x".repeat(64 * 1024);
        c.insert(1, &long, entry(10));
        assert!(c.get(1, &long).is_none());
        c.insert(1, "huge", entry(60 * 1024));
        assert!(c.get(1, "huge").is_none());
        assert!(c.get(1, "brief").is_some(), "nothing was pushed out");
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn a_zero_budget_turns_it_off() {
        let c = ReplyCache::new(0, Arc::default());
        c.insert(1, "brief", entry(10));
        assert!(c.get(1, "brief").is_none());
    }
}
