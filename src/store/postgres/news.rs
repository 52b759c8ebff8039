//! The newsdesk's fetches, items and proposals in the database replicas share: any replica
//! reads what another saw, and one decision on a proposal wins.

use super::{Database, PgError, unreadable};
use crate::store::news::*;
use crate::store::rows::{self, FEED_FETCH_COLUMNS, PROPOSAL_COLUMNS, SEEN_ITEM_COLUMNS, millis};
use chrono::{DateTime, Utc};

/// Each migration takes the tables from the version before it to its index + 1.
const MIGRATIONS: [&str; 2] = [
    "
CREATE TABLE news_feeds (
    topic TEXT NOT NULL,
    feed TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    fetched_at TIMESTAMPTZ,
    error TEXT,
    failing_since TIMESTAMPTZ,
    items_seen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (topic, feed)
);
CREATE TABLE news_proposals (
    id BIGSERIAL PRIMARY KEY,
    topic TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    decided_by TEXT,
    reason TEXT
);
CREATE TABLE news_items (
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    outlet TEXT NOT NULL,
    fate TEXT NOT NULL,
    score BIGINT NOT NULL,
    proposal_id BIGINT REFERENCES news_proposals(id),
    seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (topic, key)
);
CREATE INDEX news_items_seen ON news_items (seen_at);
",
    // When a feed that said `Retry-After` may be asked again.
    "ALTER TABLE news_feeds ADD COLUMN retry_at TIMESTAMPTZ;",
];

/// The newsdesk's keeping in the shared database.
pub struct PgNews {
    db: Database,
}

impl PgNews {
    /// The newsdesk's tables in `db`, migrated to this build's schema.
    pub async fn open(db: Database) -> Result<PgNews, NewsError> {
        db.migrate("newsdesk", &MIGRATIONS).await.map_err(fail)?;
        Ok(PgNews { db })
    }

    fn q(&self, e: tokio_postgres::Error) -> NewsError {
        fail(self.db.error(e))
    }

    fn rows<T>(
        &self,
        found: &[tokio_postgres::Row],
        f: impl Fn(&dyn rows::Cells) -> Result<T, rows::RowError>,
    ) -> Result<Vec<T>, NewsError> {
        found
            .iter()
            .map(|r| f(r).map_err(|e| fail(unreadable(&self.db, e))))
            .collect()
    }
}

fn fail(e: PgError) -> NewsError {
    match e {
        PgError::Unreachable(..) => NewsError::Unavailable(e.to_string()),
        PgError::Refused(..) => NewsError::Store(e.to_string()),
    }
}

#[async_trait::async_trait]
impl NewsStore for PgNews {
    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.db.name)
    }

    async fn fetches(&self, topic: &str) -> Result<Vec<FeedFetch>, NewsError> {
        let c = self.db.client().await.map_err(fail)?;
        let found = c
            .query(
                &format!(
                    "SELECT {FEED_FETCH_COLUMNS} FROM news_feeds WHERE topic = $1 ORDER BY feed"
                ),
                &[&topic],
            )
            .await
            .map_err(|e| self.q(e))?;
        self.rows(&found, rows::feed_fetch)
    }

    async fn save_fetch(&self, f: &FeedFetch) -> Result<(), NewsError> {
        let c = self.db.client().await.map_err(fail)?;
        c.execute(
            &format!(
                "INSERT INTO news_feeds ({FEED_FETCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (topic, feed) DO UPDATE SET etag = $3, last_modified = $4,
                   fetched_at = $5, error = $6, failing_since = $7, items_seen = $8, retry_at = $9"
            ),
            &[
                &f.topic,
                &f.feed,
                &f.etag,
                &f.last_modified,
                &f.fetched_at.map(millis),
                &f.error,
                &f.failing_since.map(millis),
                &f.items_seen,
                &f.retry_at.map(millis),
            ],
        )
        .await
        .map_err(|e| self.q(e))?;
        Ok(())
    }

    async fn seen(&self, topic: &str, keys: &[String]) -> Result<Vec<String>, NewsError> {
        let c = self.db.client().await.map_err(fail)?;
        let found = c
            .query(
                "SELECT key FROM news_items WHERE topic = $1 AND key = ANY($2)",
                &[&topic, &keys],
            )
            .await
            .map_err(|e| self.q(e))?;
        self.rows(&found, |r| r.text(0))
    }

    async fn record(
        &self,
        topic: &str,
        proposals: &[String],
        items: &[SeenItem],
        at: DateTime<Utc>,
    ) -> Result<Vec<i64>, NewsError> {
        let mut c = self.db.client().await.map_err(fail)?;
        let tx = c.transaction().await.map_err(|e| self.q(e))?;
        let mut ids = Vec::with_capacity(proposals.len());
        for body in proposals {
            let row = tx
                .query_one(
                    "INSERT INTO news_proposals (topic, body, state, created_at) VALUES ($1, $2, 'open', $3) RETURNING id",
                    &[&topic, body, &millis(at)],
                )
                .await
                .map_err(|e| self.q(e))?;
            ids.push(row.try_get::<_, i64>(0).map_err(|e| self.q(e))?);
        }
        for i in items {
            let proposal = i.proposal.map(|p| resolve(p, &ids));
            tx.execute(
                &format!(
                    "INSERT INTO news_items ({SEEN_ITEM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (topic, key) DO NOTHING"
                ),
                &[&i.topic, &i.key, &i.title, &i.outlet, &i.fate, &i.score, &proposal, &millis(i.seen_at)],
            )
            .await
            .map_err(|e| self.q(e))?;
        }
        tx.commit().await.map_err(|e| self.q(e))?;
        Ok(ids)
    }

    async fn proposals(
        &self,
        topic: Option<&str>,
        all: bool,
        limit: usize,
    ) -> Result<Vec<StoredProposal>, NewsError> {
        let c = self.db.client().await.map_err(fail)?;
        let found = c
            .query(
                &format!(
                    "SELECT {PROPOSAL_COLUMNS} FROM news_proposals
                     WHERE ($1::TEXT IS NULL OR topic = $1) AND ($2 OR state = 'open')
                     ORDER BY id DESC LIMIT $3"
                ),
                &[&topic, &all, &(limit as i64)],
            )
            .await
            .map_err(|e| self.q(e))?;
        self.rows(&found, rows::stored_proposal)
    }

    async fn decide(
        &self,
        id: i64,
        state: &str,
        by: &str,
        reason: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, NewsError> {
        let c = self.db.client().await.map_err(fail)?;
        let n = c
            .execute(
                "UPDATE news_proposals SET state = $2, decided_by = $3, reason = $4, decided_at = $5
                 WHERE id = $1 AND state = 'open'",
                &[&id, &state, &by, &reason, &millis(at)],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(n == 1)
    }

    async fn proposal(&self, id: i64) -> Result<Option<StoredProposal>, NewsError> {
        let c = self.db.client().await.map_err(fail)?;
        let found = c
            .query(
                &format!("SELECT {PROPOSAL_COLUMNS} FROM news_proposals WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(self.rows(&found, rows::stored_proposal)?.pop())
    }

    async fn reopen(&self, id: i64, state: &str) -> Result<bool, NewsError> {
        let c = self.db.client().await.map_err(fail)?;
        let n = c
            .execute(
                "UPDATE news_proposals SET state = 'open', decided_by = NULL, reason = NULL,
                 decided_at = NULL WHERE id = $1 AND state = $2",
                &[&id, &state],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(n == 1)
    }

    async fn items(&self, topic: &str, limit: usize) -> Result<Vec<SeenItem>, NewsError> {
        let c = self.db.client().await.map_err(fail)?;
        let found = c
            .query(
                &format!(
                    "SELECT {SEEN_ITEM_COLUMNS} FROM news_items WHERE topic = $1 ORDER BY seen_at DESC, key LIMIT $2"
                ),
                &[&topic, &(limit as i64)],
            )
            .await
            .map_err(|e| self.q(e))?;
        self.rows(&found, rows::seen_item)
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, NewsError> {
        let c = self.db.client().await.map_err(fail)?;
        c.execute(
            "DELETE FROM news_items WHERE seen_at < $1",
            &[&millis(before)],
        )
        .await
        .map_err(|e| self.q(e))
    }
}
