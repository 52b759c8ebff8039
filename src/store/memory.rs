//! Stores kept only while the process runs, for a run that keeps no state (`dossier chat`,
//! `ask`, the tests): the same traits, the same answers, nothing written.

use super::feed::*;
use super::places::*;
use std::sync::Mutex;

/// The places' topics in memory.
#[derive(Default)]
pub struct MemoryPlaces {
    rows: Mutex<Vec<PlaceRow>>,
}

#[async_trait::async_trait]
impl PlaceStore for MemoryPlaces {
    fn describe(&self) -> String {
        "memory only".into()
    }

    async fn all(&self) -> Result<Vec<PlaceRow>, PlaceError> {
        Ok(self.rows.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    async fn set(&self, row: &PlaceRow) -> Result<(), PlaceError> {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        rows.retain(|r| (&r.platform, &r.place) != (&row.platform, &row.place));
        rows.push(row.clone());
        Ok(())
    }

    async fn load(&self, rows: &[PlaceRow]) -> Result<u64, PlaceError> {
        let mut added = 0;
        let mut kept = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        for r in rows {
            if !kept
                .iter()
                .any(|k| (&k.platform, &k.place) == (&r.platform, &r.place))
            {
                kept.push(r.clone());
                added += 1;
            }
        }
        Ok(added)
    }
}

/// The change feed in memory.
#[derive(Default)]
pub struct MemoryFeed {
    kept: tokio::sync::Mutex<FeedDump>,
}

#[async_trait::async_trait]
impl FeedStore for MemoryFeed {
    fn describe(&self) -> String {
        "memory only".into()
    }

    async fn read(&self, newest: usize) -> Result<FeedDump, FeedError> {
        let kept = self.kept.lock().await;
        let mut entries = Vec::new();
        for m in &kept.marks {
            let of: Vec<_> = kept.entries.iter().filter(|e| e.topic == m.topic).collect();
            let skip = of.len().saturating_sub(newest);
            entries.extend(of.into_iter().skip(skip).cloned());
        }
        Ok(FeedDump {
            marks: kept.marks.clone(),
            entries,
        })
    }

    async fn entry(&self, topic: &str, seq: i64) -> Result<Option<StoredEntry>, FeedError> {
        let kept = self.kept.lock().await;
        Ok(kept
            .entries
            .iter()
            .find(|e| e.topic == topic && e.seq == seq)
            .cloned())
    }

    async fn record(
        &self,
        topic: &str,
        mut decide: Decide<'_>,
    ) -> Result<Option<StoredEntry>, FeedError> {
        let mut kept = self.kept.lock().await;
        let mark = kept.marks.iter().find(|m| m.topic == topic).cloned();
        let next = kept
            .entries
            .iter()
            .filter(|e| e.topic == topic)
            .map(|e| e.seq)
            .max()
            .unwrap_or(0)
            + 1;
        let Some(commit) = decide(mark.as_ref(), next) else {
            return Ok(None);
        };
        kept.marks.retain(|m| m.topic != topic);
        kept.marks.push(commit.mark);
        kept.entries.extend(commit.entry.clone());
        Ok(commit.entry)
    }

    async fn load(&self, dump: &FeedDump) -> Result<u64, FeedError> {
        let mut kept = self.kept.lock().await;
        for m in &dump.marks {
            if !kept.marks.iter().any(|k| k.topic == m.topic) {
                kept.marks.push(m.clone());
            }
        }
        let mut added = 0;
        for e in &dump.entries {
            if !kept
                .entries
                .iter()
                .any(|k| k.topic == e.topic && k.seq == e.seq)
            {
                kept.entries.push(e.clone());
                added += 1;
            }
        }
        Ok(added)
    }
}

/// The sources' looks in memory.
#[derive(Default)]
pub struct MemorySources {
    rows: Mutex<Vec<super::sources::SourceCheck>>,
}

#[async_trait::async_trait]
impl super::sources::SourceStore for MemorySources {
    fn describe(&self) -> String {
        "memory only".into()
    }

    async fn checks(
        &self,
        topic: Option<&str>,
    ) -> Result<Vec<super::sources::SourceCheck>, super::sources::SourcesError> {
        let rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        Ok(rows
            .iter()
            .filter(|r| topic.is_none_or(|t| t == r.topic))
            .cloned()
            .collect())
    }

    async fn save(
        &self,
        check: &super::sources::SourceCheck,
    ) -> Result<(), super::sources::SourcesError> {
        let mut rows = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        rows.retain(|r| (&r.topic, &r.id) != (&check.topic, &check.id));
        rows.push(check.clone());
        Ok(())
    }
}
