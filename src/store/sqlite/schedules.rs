//! The schedules in the state file: subscriptions, each day's post and the snapshot each place
//! was last sent. Claims are taken in `BEGIN IMMEDIATE` transactions, so two `serve` processes
//! on one file never both post the same briefing; nothing is ever deleted (unsubscribing
//! deactivates).

use super::{Db, DbError, Rows, mapped};
use crate::schedule::store::*;
use crate::store::rows::{
    self, POST_COLUMNS, POST_ROW_COLUMNS, SNAPSHOT_ROW_COLUMNS, SUBSCRIPTION_COLUMNS,
    UNSETTLED_COLUMNS,
};
use crate::store::schedules::*;
use crate::store::stamp;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// The schedules kept in the state file.
pub struct SqliteStore {
    db: Db,
}

fn store_error(e: DbError) -> StoreError {
    StoreError::Query(e.to_string())
}

fn same_place_sql() -> &'static str {
    "platform = ?1 AND destination = ?2 AND topic = ?3 AND at = ?4 AND timezone = ?5"
}

/// A subscription's place: platform, destination, topic, time and zone, as kept.
fn place_of(s: &NewSubscription) -> (String, String, String, String, String) {
    (
        s.destination.platform().to_owned(),
        s.destination.id(),
        s.topic.clone(),
        s.at.format("%H:%M").to_string(),
        s.tz.name().to_owned(),
    )
}

/// The subscriptions this build can read (others are left alone in the file).
fn readable<T>(rows: Vec<Option<T>>) -> Vec<T> {
    rows.into_iter().flatten().collect()
}

impl SqliteStore {
    pub fn new(db: Db) -> SqliteStore {
        SqliteStore { db }
    }

    /// Every row, as kept, for `dossier state migrate`.
    pub async fn dump(&self) -> Result<Dump, StoreError> {
        self.db
            .read(|c| {
                Ok(Dump {
                    subscriptions: c
                        .prepare(&format!(
                            "SELECT {SUBSCRIPTION_COLUMNS}, active FROM subscriptions ORDER BY id"
                        ))?
                        .rows_of([], rows::subscription_row)?,
                    posts: c
                        .prepare(&format!(
                            "SELECT {POST_ROW_COLUMNS} FROM posts ORDER BY subscription_id, day"
                        ))?
                        .rows_of([], rows::post_row)?,
                    snapshots: c
                        .prepare(&format!(
                            "SELECT {SNAPSHOT_ROW_COLUMNS} FROM snapshots ORDER BY platform, destination, topic"
                        ))?
                        .rows_of([], rows::snapshot_row)?,
                })
            })
            .await
            .map_err(store_error)
    }
}

fn sync_config(
    conn: &mut Connection,
    subs: &[NewSubscription],
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut keep = Vec::new();
    for s in subs {
        let (platform, dest, topic, at, tz) = place_of(s);
        let found: Option<i64> = tx
            .query_row(
                &format!(
                    "SELECT id FROM subscriptions WHERE from_config = 1 AND {}",
                    same_place_sql()
                ),
                params![platform, dest, topic, at, tz],
                |r| r.get(0),
            )
            .optional()?;
        let id = match found {
            Some(id) => {
                tx.execute(
                    "UPDATE subscriptions SET active = 1, when_unchanged = ?2, catch_up_secs = ?3 WHERE id = ?1",
                    params![id, s.when_unchanged.name(), s.catch_up.num_seconds()],
                )?;
                id
            }
            None => {
                // A schedule the operator configured counts from the start of its catch-up
                // window: one whose time passed shortly before start-up posts now.
                tx.execute(
                    "INSERT INTO subscriptions (platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, NULL, ?8)",
                    params![platform, dest, topic, at, tz, s.when_unchanged.name(), s.catch_up.num_seconds(), stamp::write(now - s.catch_up)],
                )?;
                tx.last_insert_rowid()
            }
        };
        keep.push(id);
    }
    let active: Vec<i64> = tx
        .prepare("SELECT id FROM subscriptions WHERE from_config = 1 AND active = 1")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in active.into_iter().filter(|id| !keep.contains(id)) {
        tx.execute("UPDATE subscriptions SET active = 0 WHERE id = ?1", [id])?;
    }
    tx.commit()
}

/// Subscribe, or say (`Err` inside) which subscription the place already has.
fn subscribe(
    conn: &mut Connection,
    s: &NewSubscription,
    now: DateTime<Utc>,
) -> rusqlite::Result<Result<Subscription, StoreError>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (platform, dest, topic, at, tz) = place_of(s);
    let existing: Option<(i64, i64)> = tx
        .query_row(
            &format!(
                "SELECT id, active FROM subscriptions WHERE {}",
                same_place_sql()
            ),
            params![platform, dest, topic, at, tz],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let id = match existing {
        Some((_, 1)) => {
            return Ok(Err(StoreError::Conflict(format!(
                "{} already gets the {} briefing at {at} {tz}",
                s.destination.describe(),
                s.topic,
            ))));
        }
        Some((id, _)) => {
            tx.execute(
                "UPDATE subscriptions SET active = 1, when_unchanged = ?2, catch_up_secs = ?3, created_by = ?4, created_at = ?5 WHERE id = ?1",
                params![id, s.when_unchanged.name(), s.catch_up.num_seconds(), s.created_by, stamp::write(now)],
            )?;
            id
        }
        None => {
            tx.execute(
                "INSERT INTO subscriptions (platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![platform, dest, topic, at, tz, s.when_unchanged.name(), s.catch_up.num_seconds(), i64::from(s.from_config), s.created_by, stamp::write(now)],
            )?;
            tx.last_insert_rowid()
        }
    };
    let sub = tx.query_row(
        &format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?1"),
        [id],
        |r| mapped(r, rows::subscription),
    )?;
    tx.commit()?;
    Ok(sub.ok_or_else(|| StoreError::Query("a new subscription could not be read back".into())))
}

fn claim(
    conn: &mut Connection,
    sub: i64,
    day: NaiveDate,
    scheduled: DateTime<Utc>,
    owner: &str,
    lease: Duration,
    now: DateTime<Utc>,
) -> rusqlite::Result<Claim> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let d = stamp::write_day(day);
    let row = tx
        .query_row(
            "SELECT state, owner, claimed_at, attempts, retry_at FROM posts WHERE subscription_id = ?1 AND day = ?2",
            params![sub, d],
            |r| {
                mapped(r, |r| {
                    Ok((r.text(0)?, r.opt_text(1)?, r.opt_instant(2)?, r.int(3)?, r.opt_instant(4)?))
                })
            },
        )
        .optional()?;
    let attempt = match row {
        None => {
            tx.execute(
                "INSERT INTO posts (subscription_id, day, scheduled_at, state, owner, claimed_at, attempts, updated_at) VALUES (?1, ?2, ?3, 'claimed', ?4, ?5, 1, ?5)",
                params![sub, d, stamp::write(scheduled), owner, stamp::write(now)],
            )?;
            1
        }
        Some((state, row_owner, claimed_at, attempts, retry_at)) => {
            let fresh = claimed_at.is_some_and(|c| now - c < lease);
            let take = match state.as_str() {
                "claimed" => !fresh || row_owner.as_deref() == Some(owner),
                "failed" => retry_at.is_none_or(|r| r <= now),
                _ => false,
            };
            if !take {
                return Ok(Claim::Taken);
            }
            tx.execute(
                "UPDATE posts SET state = 'claimed', owner = ?3, claimed_at = ?4, attempts = attempts + 1, updated_at = ?4 WHERE subscription_id = ?1 AND day = ?2",
                params![sub, d, owner, stamp::write(now)],
            )?;
            attempts as u32 + 1
        }
    };
    tx.commit()?;
    Ok(Claim::Won { attempt })
}

/// A post's outcome, owned, to take to the store's thread.
struct Outcome {
    day: NaiveDate,
    scheduled: DateTime<Utc>,
    state: PostState,
    snapshot: Option<String>,
    retry_at: Option<DateTime<Utc>>,
}

fn record(
    conn: &mut Connection,
    sub: &Subscription,
    o: &Outcome,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let d = stamp::write_day(o.day);
    let (message_id, error) = o.state.columns();
    tx.execute(
        "INSERT INTO posts (subscription_id, day, scheduled_at, state, attempts, retry_at, message_id, error, updated_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8)
         ON CONFLICT (subscription_id, day) DO UPDATE SET state = ?4, retry_at = ?5, message_id = COALESCE(?6, message_id), error = ?7, updated_at = ?8",
        params![sub.id, d, stamp::write(o.scheduled), o.state.name(), o.retry_at.map(stamp::write), message_id, error, stamp::write(now)],
    )?;
    if let Some(body) = &o.snapshot {
        tx.execute(
            "INSERT INTO snapshots (platform, destination, topic, body, day, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (platform, destination, topic) DO UPDATE SET body = ?4, day = ?5, updated_at = ?6",
            params![sub.destination.platform(), sub.destination.id(), sub.topic, body, d, stamp::write(now)],
        )?;
    }
    tx.commit()
}

#[async_trait::async_trait]
impl ScheduleStore for SqliteStore {
    fn describe(&self) -> String {
        self.db.describe()
    }

    async fn sync_config(
        &self,
        subs: &[NewSubscription],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let subs = subs.to_vec();
        self.db
            .write(move |c| sync_config(c, &subs, now))
            .await
            .map_err(store_error)
    }

    async fn subscribe(
        &self,
        s: &NewSubscription,
        now: DateTime<Utc>,
    ) -> Result<Subscription, StoreError> {
        let s = s.clone();
        self.db
            .write(move |c| subscribe(c, &s, now))
            .await
            .map_err(store_error)?
    }

    async fn unsubscribe(
        &self,
        destination: &Destination,
        id: Option<i64>,
    ) -> Result<usize, StoreError> {
        let (platform, dest) = (destination.platform(), destination.id());
        self.db
            .write(move |c| match id {
                Some(id) => c.execute(
                    "UPDATE subscriptions SET active = 0 WHERE platform = ?1 AND destination = ?2 AND id = ?3 AND from_config = 0 AND active = 1",
                    params![platform, dest, id],
                ),
                None => c.execute(
                    "UPDATE subscriptions SET active = 0 WHERE platform = ?1 AND destination = ?2 AND from_config = 0 AND active = 1",
                    params![platform, dest],
                ),
            })
            .await
            .map_err(store_error)
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.db
            .read(|c| {
                c.prepare_cached(&format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE active = 1 ORDER BY id"
                ))?
                .rows_of([], |r| Ok(rows::subscription(r).ok().flatten()))
            })
            .await
            .map(readable)
            .map_err(store_error)
    }

    async fn active_with_last(&self) -> Result<Vec<WithLast>, StoreError> {
        self.db
            .read(|c| {
                c.prepare_cached(&format!(
                    "SELECT {SUBSCRIPTION_COLUMNS}, (SELECT MAX(day) FROM posts WHERE subscription_id = subscriptions.id AND state IN ('sent', 'skipped', 'missed')) FROM subscriptions WHERE active = 1 ORDER BY id"
                ))?
                // A row this build cannot read is left out: one bad row never stops the
                // others' briefings.
                .rows_of([], |r| {
                    let last = r.opt_text(11)?.map(|d| stamp::read_day(&d)).transpose().ok();
                    Ok(match (rows::subscription(r).ok().flatten(), last) {
                        (Some(s), Some(last)) => Some((s, last)),
                        _ => None,
                    })
                })
            })
            .await
            .map(readable)
            .map_err(store_error)
    }

    async fn last_handled(&self, subscription: i64) -> Result<Option<NaiveDate>, StoreError> {
        let day: Option<String> = self
            .db
            .read(move |c| {
                c.query_row(
                    "SELECT MAX(day) FROM posts WHERE subscription_id = ?1 AND state IN ('sent', 'skipped', 'missed')",
                    [subscription],
                    |r| r.get(0),
                )
            })
            .await
            .map_err(store_error)?;
        day.map(|d| stamp::read_day(&d))
            .transpose()
            .map_err(|e| StoreError::Query(e.to_string()))
    }

    async fn unsettled(&self, from: NaiveDate) -> Result<Vec<Unsettled>, StoreError> {
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {UNSETTLED_COLUMNS} FROM posts p JOIN subscriptions s ON s.id = p.subscription_id
                     WHERE s.active = 1 AND p.state IN ('claimed', 'failed') AND p.day >= ?1"
                ))?
                .rows_of(params![stamp::write_day(from)], |r| rows::unsettled(r))
            })
            .await
            .map_err(store_error)
    }

    async fn renew(
        &self,
        subscription: i64,
        day: NaiveDate,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let owner = owner.to_owned();
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE posts SET claimed_at = ?4 WHERE subscription_id = ?1 AND day = ?2 AND owner = ?3 AND state = 'claimed'",
                    params![subscription, stamp::write_day(day), owner, stamp::write(now)],
                )
            })
            .await
            .map(|n| n == 1)
            .map_err(store_error)
    }

    async fn claim(
        &self,
        sub: &Subscription,
        day: NaiveDate,
        scheduled: DateTime<Utc>,
        owner: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        let (id, owner) = (sub.id, owner.to_owned());
        self.db
            .write(move |c| claim(c, id, day, scheduled, &owner, lease, now))
            .await
            .map_err(store_error)
    }

    async fn record(
        &self,
        sub: &Subscription,
        outcome: &PostOutcome<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sub = sub.clone();
        let o = Outcome {
            day: outcome.day,
            scheduled: outcome.scheduled,
            state: outcome.state.clone(),
            snapshot: outcome.snapshot.map(str::to_owned),
            retry_at: outcome.retry_at,
        };
        self.db
            .write(move |c| record(c, &sub, &o, now))
            .await
            .map_err(store_error)
    }

    async fn snapshot(
        &self,
        destination: &Destination,
        topic: &str,
    ) -> Result<Option<(String, NaiveDate)>, StoreError> {
        let (platform, dest, topic) = (destination.platform(), destination.id(), topic.to_owned());
        self.db
            .read(move |c| {
                c.query_row(
                    "SELECT body, day FROM snapshots WHERE platform = ?1 AND destination = ?2 AND topic = ?3",
                    params![platform, dest, topic],
                    |r| {
                        mapped(r, |r| Ok((r.text(0)?, r.day(1)?)))
                    },
                )
                .optional()
            })
            .await
            .map_err(store_error)
    }

    async fn recent(&self, subscription: i64, n: usize) -> Result<Vec<PostRecord>, StoreError> {
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {POST_COLUMNS} FROM posts WHERE subscription_id = ?1 ORDER BY day DESC LIMIT ?2"
                ))?
                .rows_of(params![subscription, n as i64], |r| {
                    rows::post_record(r, 0, subscription)
                })
            })
            .await
            .map_err(store_error)
    }

    async fn attention(&self) -> Result<Vec<(Subscription, PostRecord)>, StoreError> {
        self.db
            .read(|c| {
                c.prepare_cached(&format!(
                    "SELECT {SUBSCRIPTION_COLUMNS}, p.day, p.scheduled_at, p.state, p.attempts, p.message_id, p.error, p.updated_at
                     FROM subscriptions JOIN posts p ON p.subscription_id = subscriptions.id
                     WHERE active = 1 AND p.state IN ('failed', 'missed')
                       AND p.day = (SELECT MAX(day) FROM posts WHERE subscription_id = subscriptions.id)
                     ORDER BY id"
                ))?
                .rows_of([], |r| {
                    let Some(s) = rows::subscription(r).ok().flatten() else {
                        return Ok(None);
                    };
                    Ok(rows::post_record(r, 11, s.id).ok().map(|rec| (s, rec)))
                })
            })
            .await
            .map(readable)
            .map_err(store_error)
    }
}
