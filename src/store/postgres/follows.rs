//! Who follows what, in the database replicas share. Adding a follow holds the person's
//! advisory lock for its transaction, so two replicas adding at once cannot pass the cap.

use super::{Database, PgError, unreadable};
use crate::store::follows::*;
use crate::store::rows::{self, FOLLOW_COLUMNS, millis};
use chrono::{DateTime, Utc};

/// Each migration takes the tables from the version before it to its index + 1.
const MIGRATIONS: [&str; 1] = ["
CREATE TABLE follows (
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    topic TEXT,
    daily TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    paused_at TIMESTAMPTZ,
    PRIMARY KEY (platform, user_id, key)
);
CREATE INDEX follows_by_topic ON follows (topic);
"];

/// The advisory locks' key space for a person's follows.
const FOLLOWS_KEY_SPACE: i32 = 0x666f_6c6c;

/// The follows kept in the shared database.
pub struct PgFollows {
    db: Database,
}

fn fail(e: PgError) -> FollowsError {
    match e {
        PgError::Unreachable(..) => FollowsError::Unavailable(e.to_string()),
        PgError::Refused(..) => FollowsError::Store(e.to_string()),
    }
}

impl PgFollows {
    /// The follows' tables in `db`, migrated to this build's schema.
    pub async fn open(db: Database) -> Result<PgFollows, FollowsError> {
        db.migrate("follows", &MIGRATIONS).await.map_err(fail)?;
        Ok(PgFollows { db })
    }

    fn q(&self, e: tokio_postgres::Error) -> FollowsError {
        fail(self.db.error(e))
    }

    fn read(&self, rows: Vec<tokio_postgres::Row>) -> Result<Vec<FollowRow>, FollowsError> {
        rows.iter()
            .map(|r| rows::follow(r).map_err(|e| fail(unreadable(&self.db, e))))
            .collect()
    }
}

#[async_trait::async_trait]
impl FollowStore for PgFollows {
    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.db.name)
    }

    async fn add(&self, r: &FollowRow, max: usize) -> Result<Added, FollowsError> {
        let mut c = self.db.client().await.map_err(fail)?;
        let tx = c.transaction().await.map_err(|e| self.q(e))?;
        let person = format!("{}/{}", r.platform, r.user);
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&FOLLOWS_KEY_SPACE, &person],
        )
        .await
        .map_err(|e| self.q(e))?;
        let updated = tx
            .execute(
                "UPDATE follows SET daily = $4, paused_at = NULL
                 WHERE platform = $1 AND user_id = $2 AND key = $3",
                &[&r.platform, &r.user, &r.key, &r.daily],
            )
            .await
            .map_err(|e| self.q(e))?;
        let added = if updated > 0 {
            Added::Already
        } else {
            let count: i64 = tx
                .query_one(
                    "SELECT count(*) FROM follows WHERE platform = $1 AND user_id = $2",
                    &[&r.platform, &r.user],
                )
                .await
                .map_err(|e| self.q(e))?
                .get(0);
            if count as usize >= max {
                Added::Full
            } else {
                tx.execute(
                    &format!(
                        "INSERT INTO follows ({FOLLOW_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    ),
                    &[
                        &r.platform,
                        &r.user,
                        &r.key,
                        &r.topic,
                        &r.daily,
                        &millis(r.created_at),
                        &r.paused_at.map(millis),
                    ],
                )
                .await
                .map_err(|e| self.q(e))?;
                Added::New
            }
        };
        tx.commit().await.map_err(|e| self.q(e))?;
        Ok(added)
    }

    async fn remove(&self, platform: &str, user: &str, key: &str) -> Result<bool, FollowsError> {
        let c = self.db.client().await.map_err(fail)?;
        let n = c
            .execute(
                "DELETE FROM follows WHERE platform = $1 AND user_id = $2 AND key = $3",
                &[&platform, &user, &key],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(n > 0)
    }

    async fn remove_all(&self, platform: &str, user: &str) -> Result<usize, FollowsError> {
        let c = self.db.client().await.map_err(fail)?;
        let n = c
            .execute(
                "DELETE FROM follows WHERE platform = $1 AND user_id = $2",
                &[&platform, &user],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(n as usize)
    }

    async fn of_person(&self, platform: &str, user: &str) -> Result<Vec<FollowRow>, FollowsError> {
        let c = self.db.client().await.map_err(fail)?;
        let found = c
            .query(
                &format!(
                    "SELECT {FOLLOW_COLUMNS} FROM follows WHERE platform = $1 AND user_id = $2
                     ORDER BY created_at, key"
                ),
                &[&platform, &user],
            )
            .await
            .map_err(|e| self.q(e))?;
        self.read(found)
    }

    async fn of_topic(&self, topic: &str) -> Result<Vec<FollowRow>, FollowsError> {
        let c = self.db.client().await.map_err(fail)?;
        let found = c
            .query(
                &format!(
                    "SELECT {FOLLOW_COLUMNS} FROM follows
                     WHERE (topic = $1 OR topic IS NULL) AND paused_at IS NULL
                     ORDER BY platform, user_id, key"
                ),
                &[&topic],
            )
            .await
            .map_err(|e| self.q(e))?;
        self.read(found)
    }

    async fn pause(
        &self,
        platform: &str,
        user: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, FollowsError> {
        let c = self.db.client().await.map_err(fail)?;
        let n = c
            .execute(
                "UPDATE follows SET paused_at = $3
                 WHERE platform = $1 AND user_id = $2 AND paused_at IS NULL",
                &[&platform, &user, &millis(at)],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(n as usize)
    }
}
