//! The newsdesk's fetches, items and proposals in the state file.

use super::{Db, Rows};
use crate::store::news::*;
use crate::store::rows;
use crate::store::stamp;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

/// The newsdesk's keeping in the state file.
pub struct SqliteNews {
    db: Db,
}

impl SqliteNews {
    pub fn new(db: Db) -> SqliteNews {
        SqliteNews { db }
    }
}

fn fail(e: super::DbError) -> NewsError {
    NewsError::Store(e.to_string())
}

#[async_trait::async_trait]
impl NewsStore for SqliteNews {
    fn describe(&self) -> String {
        self.db.describe()
    }

    async fn fetches(&self, topic: &str) -> Result<Vec<FeedFetch>, NewsError> {
        let topic = topic.to_owned();
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {} FROM news_feeds WHERE topic = ?1 ORDER BY feed",
                    rows::FEED_FETCH_COLUMNS
                ))?
                .rows_of(params![topic], rows::feed_fetch)
            })
            .await
            .map_err(fail)
    }

    async fn save_fetch(&self, f: &FeedFetch) -> Result<(), NewsError> {
        let f = f.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &format!(
                        "INSERT INTO news_feeds ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                         ON CONFLICT (topic, feed) DO UPDATE SET etag = ?3, last_modified = ?4,
                           fetched_at = ?5, error = ?6, failing_since = ?7, items_seen = ?8,
                           retry_at = ?9",
                        rows::FEED_FETCH_COLUMNS
                    ),
                    params![
                        f.topic,
                        f.feed,
                        f.etag,
                        f.last_modified,
                        f.fetched_at.map(stamp::write),
                        f.error,
                        f.failing_since.map(stamp::write),
                        f.items_seen,
                        f.retry_at.map(stamp::write)
                    ],
                )
            })
            .await
            .map(|_| ())
            .map_err(fail)
    }

    async fn seen(&self, topic: &str, keys: &[String]) -> Result<Vec<String>, NewsError> {
        let (topic, keys) = (topic.to_owned(), keys.to_vec());
        self.db
            .read(move |c| {
                let mut q =
                    c.prepare_cached("SELECT 1 FROM news_items WHERE topic = ?1 AND key = ?2")?;
                let mut out = Vec::new();
                for k in keys {
                    if q.query_row(params![topic, k], |_| Ok(()))
                        .optional()?
                        .is_some()
                    {
                        out.push(k);
                    }
                }
                Ok(out)
            })
            .await
            .map_err(fail)
    }

    async fn record(
        &self,
        topic: &str,
        proposals: &[String],
        items: &[SeenItem],
        at: DateTime<Utc>,
    ) -> Result<Vec<i64>, NewsError> {
        let (topic, proposals, items) = (topic.to_owned(), proposals.to_vec(), items.to_vec());
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let mut ids = Vec::with_capacity(proposals.len());
                for body in &proposals {
                    tx.execute(
                        "INSERT INTO news_proposals (topic, body, state, created_at) VALUES (?1, ?2, 'open', ?3)",
                        params![topic, body, stamp::write(at)],
                    )?;
                    ids.push(tx.last_insert_rowid());
                }
                for i in &items {
                    let proposal = i.proposal.map(|p| resolve(p, &ids));
                    tx.execute(
                        &format!(
                            "INSERT INTO news_items ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                             ON CONFLICT (topic, key) DO NOTHING",
                            rows::SEEN_ITEM_COLUMNS
                        ),
                        params![i.topic, i.key, i.title, i.outlet, i.fate, i.score, proposal, stamp::write(i.seen_at)],
                    )?;
                }
                tx.commit()?;
                Ok(ids)
            })
            .await
            .map_err(fail)
    }

    async fn proposals(
        &self,
        topic: Option<&str>,
        all: bool,
        limit: usize,
    ) -> Result<Vec<StoredProposal>, NewsError> {
        let topic = topic.map(str::to_owned);
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {} FROM news_proposals WHERE (?1 IS NULL OR topic = ?1) AND (?2 OR state = 'open')
                     ORDER BY id DESC LIMIT ?3",
                    rows::PROPOSAL_COLUMNS
                ))?
                .rows_of(params![topic, all, limit as i64], rows::stored_proposal)
            })
            .await
            .map_err(fail)
    }

    async fn decide(
        &self,
        id: i64,
        state: &str,
        by: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, NewsError> {
        let (state, by, reason) = (state.to_owned(), by.to_owned(), reason.map(str::to_owned));
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE news_proposals SET state = ?2, decided_by = ?3, reason = ?4, decided_at = ?5
                     WHERE id = ?1 AND state = 'open'",
                    params![id, state, by, reason, stamp::write(at)],
                )
            })
            .await
            .map(|n| n == 1)
            .map_err(fail)
    }

    async fn proposal(&self, id: i64) -> Result<Option<StoredProposal>, NewsError> {
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {} FROM news_proposals WHERE id = ?1",
                    rows::PROPOSAL_COLUMNS
                ))?
                .rows_of(params![id], rows::stored_proposal)
            })
            .await
            .map(|mut v| v.pop())
            .map_err(fail)
    }

    async fn reopen(&self, id: i64, state: &str) -> Result<bool, NewsError> {
        let state = state.to_owned();
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE news_proposals SET state = 'open', decided_by = NULL, reason = NULL,
                     decided_at = NULL WHERE id = ?1 AND state = ?2",
                    params![id, state],
                )
            })
            .await
            .map(|n| n == 1)
            .map_err(fail)
    }

    async fn items(&self, topic: &str, limit: usize) -> Result<Vec<SeenItem>, NewsError> {
        let topic = topic.to_owned();
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {} FROM news_items WHERE topic = ?1 ORDER BY seen_at DESC, key LIMIT ?2",
                    rows::SEEN_ITEM_COLUMNS
                ))?
                .rows_of(params![topic, limit as i64], rows::seen_item)
            })
            .await
            .map_err(fail)
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, NewsError> {
        self.db
            .write(move |c| {
                c.execute(
                    "DELETE FROM news_items WHERE seen_at < ?1",
                    params![stamp::write(before)],
                )
            })
            .await
            .map(|n| n as u64)
            .map_err(fail)
    }
}
