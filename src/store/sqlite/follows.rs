//! Who follows what, in the state file.

use super::{Db, Rows};
use crate::store::follows::*;
use crate::store::rows::{self, FOLLOW_COLUMNS};
use crate::store::stamp;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

/// The follows kept in the state file.
pub struct SqliteFollows {
    db: Db,
}

impl SqliteFollows {
    pub fn new(db: Db) -> SqliteFollows {
        SqliteFollows { db }
    }
}

fn fail(e: super::DbError) -> FollowsError {
    FollowsError::Store(e.to_string())
}

#[async_trait::async_trait]
impl FollowStore for SqliteFollows {
    fn describe(&self) -> String {
        self.db.describe()
    }

    async fn add(&self, row: &FollowRow, max: usize) -> Result<Added, FollowsError> {
        let r = row.clone();
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let had: Option<i64> = tx
                    .query_row(
                        "SELECT 1 FROM follows WHERE platform = ?1 AND user_id = ?2 AND key = ?3",
                        params![r.platform, r.user, r.key],
                        |x| x.get(0),
                    )
                    .optional()?;
                let added = if had.is_some() {
                    tx.execute(
                        "UPDATE follows SET daily = ?4, paused_at = NULL
                         WHERE platform = ?1 AND user_id = ?2 AND key = ?3",
                        params![r.platform, r.user, r.key, r.daily],
                    )?;
                    Added::Already
                } else {
                    let count: i64 = tx.query_row(
                        "SELECT count(*) FROM follows WHERE platform = ?1 AND user_id = ?2",
                        params![r.platform, r.user],
                        |x| x.get(0),
                    )?;
                    if count as usize >= max {
                        Added::Full
                    } else {
                        tx.execute(
                            &format!("INSERT INTO follows ({FOLLOW_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                            params![
                                r.platform,
                                r.user,
                                r.key,
                                r.topic,
                                r.daily,
                                stamp::write(r.created_at),
                                r.paused_at.map(stamp::write),
                            ],
                        )?;
                        Added::New
                    }
                };
                tx.commit()?;
                Ok(added)
            })
            .await
            .map_err(fail)
    }

    async fn remove(&self, platform: &str, user: &str, key: &str) -> Result<bool, FollowsError> {
        let (p, u, k) = (platform.to_owned(), user.to_owned(), key.to_owned());
        self.db
            .write(move |c| {
                c.execute(
                    "DELETE FROM follows WHERE platform = ?1 AND user_id = ?2 AND key = ?3",
                    params![p, u, k],
                )
            })
            .await
            .map(|n| n > 0)
            .map_err(fail)
    }

    async fn remove_all(&self, platform: &str, user: &str) -> Result<usize, FollowsError> {
        let (p, u) = (platform.to_owned(), user.to_owned());
        self.db
            .write(move |c| {
                c.execute(
                    "DELETE FROM follows WHERE platform = ?1 AND user_id = ?2",
                    params![p, u],
                )
            })
            .await
            .map_err(fail)
    }

    async fn of_person(&self, platform: &str, user: &str) -> Result<Vec<FollowRow>, FollowsError> {
        let (p, u) = (platform.to_owned(), user.to_owned());
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {FOLLOW_COLUMNS} FROM follows WHERE platform = ?1 AND user_id = ?2
                     ORDER BY created_at, key"
                ))?
                .rows_of(params![p, u], rows::follow)
            })
            .await
            .map_err(fail)
    }

    async fn of_topic(&self, topic: &str) -> Result<Vec<FollowRow>, FollowsError> {
        let t = topic.to_owned();
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {FOLLOW_COLUMNS} FROM follows
                     WHERE (topic = ?1 OR topic IS NULL) AND paused_at IS NULL
                     ORDER BY platform, user_id, key"
                ))?
                .rows_of(params![t], rows::follow)
            })
            .await
            .map_err(fail)
    }

    async fn pause(
        &self,
        platform: &str,
        user: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, FollowsError> {
        let (p, u) = (platform.to_owned(), user.to_owned());
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE follows SET paused_at = ?3
                     WHERE platform = ?1 AND user_id = ?2 AND paused_at IS NULL",
                    params![p, u, stamp::write(at)],
                )
            })
            .await
            .map_err(fail)
    }
}
