//! The schedule store in PostgreSQL, shared by every replica: the same tables as the SQLite
//! store, with real types, versioned migrations (`store::postgres`), and a claim that is one
//! statement: an insert that, on conflict, takes the row over only when its claim is stale or
//! its retry is due, so of two replicas claiming one post at the same instant exactly one wins.
//! Config subscriptions are synced under an advisory lock, so replicas starting together add
//! each once.

use super::{Database, PgError};
use crate::schedule::store::*;
use crate::store::rows::{self, SUBSCRIPTION_COLUMNS as SUB_COLUMNS};
use crate::store::schedules::*;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use tokio_postgres::Row;

/// Each migration takes the schedule tables from the version before it to its index + 1.
const MIGRATIONS: [&str; 2] = [
    r#"
CREATE TABLE subscriptions (
    id BIGSERIAL PRIMARY KEY,
    platform TEXT NOT NULL,
    destination TEXT NOT NULL,
    topic TEXT NOT NULL,
    at TEXT NOT NULL,
    timezone TEXT NOT NULL,
    when_unchanged TEXT NOT NULL,
    catch_up_secs BIGINT NOT NULL,
    from_config BOOLEAN NOT NULL,
    created_by TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX subscriptions_place ON subscriptions (platform, destination, topic, at, timezone);
CREATE TABLE posts (
    subscription_id BIGINT NOT NULL REFERENCES subscriptions (id),
    day DATE NOT NULL,
    scheduled_at TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL,
    owner TEXT,
    claimed_at TIMESTAMPTZ,
    attempts INT NOT NULL DEFAULT 0,
    retry_at TIMESTAMPTZ,
    message_id TEXT,
    error TEXT,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (subscription_id, day)
);
CREATE TABLE snapshots (
    platform TEXT NOT NULL,
    destination TEXT NOT NULL,
    topic TEXT NOT NULL,
    body TEXT NOT NULL,
    day DATE NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, destination, topic)
);
"#,
    // What the scheduler wakes for (`unsettled`), without reading every post ever made.
    "CREATE INDEX posts_unsettled ON posts (day) WHERE state IN ('claimed', 'failed');",
];

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Serializes the changes that look for a subscription before adding it.
const SUBSCRIPTIONS_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('dossier.subscriptions'))";

pub struct PgStore {
    db: Database,
}

impl PgStore {
    /// The store in `db`, its tables migrated to this build's schema.
    pub async fn open(db: Database) -> Result<PgStore, StoreError> {
        db.migrate("schedules", &MIGRATIONS)
            .await
            .map_err(|e| StoreError::Open(format!("the schedule store cannot be opened: {e}")))?;
        Ok(PgStore { db })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.db.client().await.map_err(store_error)
    }

    fn q(&self, e: tokio_postgres::Error) -> StoreError {
        store_error(self.db.error(e))
    }

    /// How many subscriptions it holds (active or not).
    pub async fn subscription_count(&self) -> Result<i64, StoreError> {
        let c = self.client().await?;
        c.query_one("SELECT count(*) FROM subscriptions", &[])
            .await
            .and_then(|r| r.try_get(0))
            .map_err(|e| self.q(e))
    }

    /// Add a dump's rows in one transaction, keeping ids; a row already there (the same id, the
    /// same post, the same place's snapshot) is left as it is, so loading twice adds nothing.
    pub async fn load(&self, dump: &Dump) -> Result<Loaded, StoreError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.q(e))?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('dossier.subscriptions'))",
            &[],
        )
        .await
        .map_err(|e| self.q(e))?;
        let mut loaded = Loaded::default();
        for r in &dump.subscriptions {
            loaded.subscriptions += tx
                .execute(
                    "INSERT INTO subscriptions (id, platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at, active)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING",
                    &[&r.id, &r.platform, &r.destination, &r.topic, &r.at, &r.timezone, &r.when_unchanged, &r.catch_up_secs, &r.from_config, &r.created_by, &r.created_at, &r.active],
                )
                .await
                .map_err(|e| self.q(e))?;
        }
        for p in &dump.posts {
            loaded.posts += tx
                .execute(
                    "INSERT INTO posts (subscription_id, day, scheduled_at, state, owner, claimed_at, attempts, retry_at, message_id, error, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (subscription_id, day) DO NOTHING",
                    &[&p.subscription_id, &p.day, &p.scheduled_at, &p.state, &p.owner, &p.claimed_at, &p.attempts, &p.retry_at, &p.message_id, &p.error, &p.updated_at],
                )
                .await
                .map_err(|e| self.q(e))?;
        }
        for s in &dump.snapshots {
            loaded.snapshots += tx
                .execute(
                    "INSERT INTO snapshots (platform, destination, topic, body, day, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (platform, destination, topic) DO NOTHING",
                    &[&s.platform, &s.destination, &s.topic, &s.body, &s.day, &s.updated_at],
                )
                .await
                .map_err(|e| self.q(e))?;
        }
        // New subscriptions continue after the copied ids.
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('subscriptions', 'id'), GREATEST((SELECT MAX(id) FROM subscriptions), 1))",
            &[],
        )
        .await
        .map_err(|e| self.q(e))?;
        tx.commit().await.map_err(|e| self.q(e))?;
        Ok(loaded)
    }
}

fn store_error(e: PgError) -> StoreError {
    match e {
        PgError::Unreachable(..) => StoreError::Unavailable(e.to_string()),
        PgError::Refused(..) => StoreError::Query(e.to_string()),
    }
}

/// A subscription from a row whose first columns are `SUB_COLUMNS`; `None` for one this build
/// cannot read (an unknown time zone, a column of another type), which is left alone: one bad
/// row never stops the others' briefings.
fn subscription(r: &Row) -> Option<Subscription> {
    rows::subscription(r).ok().flatten()
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

#[async_trait::async_trait]
impl ScheduleStore for PgStore {
    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.db.name)
    }

    async fn sync_config(
        &self,
        subs: &[NewSubscription],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.q(e))?;
        tx.batch_execute(SUBSCRIPTIONS_LOCK)
            .await
            .map_err(|e| self.q(e))?;
        let mut keep: Vec<i64> = Vec::new();
        for s in subs {
            let found = tx
                .query_opt(
                    "SELECT id FROM subscriptions WHERE from_config AND platform = $1 AND destination = $2 AND topic = $3 AND at = $4 AND timezone = $5",
                    &[&s.destination.platform(), &s.destination.id(), &s.topic, &hhmm(s.at), &s.tz.name()],
                )
                .await
                .map_err(|e| self.q(e))?;
            let id: i64 = match found {
                Some(r) => {
                    let id: i64 = r.try_get(0).map_err(|e| self.q(e))?;
                    tx.execute(
                        "UPDATE subscriptions SET active = TRUE, when_unchanged = $2, catch_up_secs = $3 WHERE id = $1",
                        &[&id, &s.when_unchanged.name(), &s.catch_up.num_seconds()],
                    )
                    .await
                    .map_err(|e| self.q(e))?;
                    id
                }
                // As in SQLite: a configured schedule counts from the start of its catch-up
                // window, so one whose time passed shortly before start-up posts now.
                None => tx
                    .query_one(
                        "INSERT INTO subscriptions (platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, NULL, $8) RETURNING id",
                        &[&s.destination.platform(), &s.destination.id(), &s.topic, &hhmm(s.at), &s.tz.name(), &s.when_unchanged.name(), &s.catch_up.num_seconds(), &(now - s.catch_up)],
                    )
                    .await
                    .and_then(|r| r.try_get(0))
                    .map_err(|e| self.q(e))?,
            };
            keep.push(id);
        }
        tx.execute(
            "UPDATE subscriptions SET active = FALSE WHERE from_config AND active AND NOT (id = ANY($1))",
            &[&keep],
        )
        .await
        .map_err(|e| self.q(e))?;
        tx.commit().await.map_err(|e| self.q(e))
    }

    async fn subscribe(
        &self,
        s: &NewSubscription,
        now: DateTime<Utc>,
    ) -> Result<Subscription, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.q(e))?;
        tx.batch_execute(SUBSCRIPTIONS_LOCK)
            .await
            .map_err(|e| self.q(e))?;
        let at = hhmm(s.at);
        let existing = tx
            .query_opt(
                "SELECT id, active FROM subscriptions WHERE platform = $1 AND destination = $2 AND topic = $3 AND at = $4 AND timezone = $5 ORDER BY active DESC, id LIMIT 1",
                &[&s.destination.platform(), &s.destination.id(), &s.topic, &at, &s.tz.name()],
            )
            .await
            .and_then(|r| {
                r.map(|r| Ok((r.try_get::<_, i64>(0)?, r.try_get::<_, bool>(1)?)))
                    .transpose()
            })
            .map_err(|e| self.q(e))?;
        let id: i64 = match existing {
            Some((_, true)) => {
                return Err(StoreError::Conflict(format!(
                    "{} already gets the {} briefing at {at} {}",
                    s.destination.describe(),
                    s.topic,
                    s.tz.name()
                )));
            }
            Some((id, false)) => {
                tx.execute(
                    "UPDATE subscriptions SET active = TRUE, when_unchanged = $2, catch_up_secs = $3, created_by = $4, created_at = $5 WHERE id = $1",
                    &[&id, &s.when_unchanged.name(), &s.catch_up.num_seconds(), &s.created_by, &now],
                )
                .await
                .map_err(|e| self.q(e))?;
                id
            }
            None => tx
                .query_one(
                    "INSERT INTO subscriptions (platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    &[&s.destination.platform(), &s.destination.id(), &s.topic, &at, &s.tz.name(), &s.when_unchanged.name(), &s.catch_up.num_seconds(), &s.from_config, &s.created_by, &now],
                )
                .await
                .and_then(|r| r.try_get(0))
                .map_err(|e| self.q(e))?,
        };
        let row = tx
            .query_one(
                &format!("SELECT {SUB_COLUMNS} FROM subscriptions WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(|e| self.q(e))?;
        let sub = subscription(&row)
            .ok_or_else(|| StoreError::Query("a new subscription could not be read back".into()))?;
        tx.commit().await.map_err(|e| self.q(e))?;
        Ok(sub)
    }

    async fn unsubscribe(
        &self,
        destination: &Destination,
        id: Option<i64>,
    ) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let n = client
            .execute(
                "UPDATE subscriptions SET active = FALSE WHERE platform = $1 AND destination = $2 AND ($3::BIGINT IS NULL OR id = $3) AND NOT from_config AND active",
                &[&destination.platform(), &destination.id(), &id],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(n as usize)
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {SUB_COLUMNS} FROM subscriptions WHERE active ORDER BY id"
            ))
            .await
            .map_err(|e| self.q(e))?;
        let rows = client.query(&stmt, &[]).await.map_err(|e| self.q(e))?;
        Ok(rows.iter().filter_map(subscription).collect())
    }

    async fn active_with_last(&self) -> Result<Vec<WithLast>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {SUB_COLUMNS}, (SELECT MAX(day) FROM posts WHERE subscription_id = subscriptions.id AND state IN ('sent', 'skipped', 'missed')) FROM subscriptions WHERE active ORDER BY id"
            ))
            .await
            .map_err(|e| self.q(e))?;
        let rows = client.query(&stmt, &[]).await.map_err(|e| self.q(e))?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                Some((
                    subscription(r)?,
                    r.try_get::<_, Option<NaiveDate>>(11).ok()?,
                ))
            })
            .collect())
    }

    async fn last_handled(&self, subscription: i64) -> Result<Option<NaiveDate>, StoreError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT MAX(day) FROM posts WHERE subscription_id = $1 AND state IN ('sent', 'skipped', 'missed')",
                &[&subscription],
            )
            .await
            .map_err(|e| self.q(e))?;
        row.try_get(0).map_err(|e| self.q(e))
    }

    async fn renew(
        &self,
        subscription: i64,
        day: NaiveDate,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE posts SET claimed_at = $4 WHERE subscription_id = $1 AND day = $2 AND owner = $3 AND state = 'claimed'",
                &[&subscription, &day, &owner, &now],
            )
            .await
            .map(|n| n == 1)
            .map_err(|e| self.q(e))
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
        let client = self.client().await?;
        // One statement: a new row is this replica's; an existing one is taken over only when
        // its claim is older than the lease (its owner died), it is this replica's own, or it
        // failed and its retry is due. The row lock of ON CONFLICT makes it one winner.
        let stmt = client
            .prepare_cached(
                "INSERT INTO posts AS p (subscription_id, day, scheduled_at, state, owner, claimed_at, attempts, updated_at)
                 VALUES ($1, $2, $3, 'claimed', $4, $5, 1, $5)
                 ON CONFLICT (subscription_id, day) DO UPDATE
                   SET state = 'claimed', owner = EXCLUDED.owner, claimed_at = EXCLUDED.claimed_at,
                       attempts = p.attempts + 1, updated_at = EXCLUDED.updated_at
                   WHERE (p.state = 'claimed' AND (p.claimed_at IS NULL OR p.claimed_at <= $6 OR p.owner = $4))
                      OR (p.state = 'failed' AND (p.retry_at IS NULL OR p.retry_at <= $5))
                 RETURNING p.attempts",
            )
            .await
            .map_err(|e| self.q(e))?;
        let row = client
            .query_opt(
                &stmt,
                &[&sub.id, &day, &scheduled, &owner, &now, &(now - lease)],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(match row {
            Some(r) => Claim::Won {
                attempt: r.try_get::<_, i32>(0).map_err(|e| self.q(e))?.max(1) as u32,
            },
            None => Claim::Taken,
        })
    }

    async fn record(
        &self,
        sub: &Subscription,
        outcome: &PostOutcome<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let PostOutcome {
            day,
            scheduled,
            state,
            snapshot,
            retry_at,
        } = *outcome;
        let (message_id, error) = state.columns();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.q(e))?;
        let upsert = tx
            .prepare_cached(
                "INSERT INTO posts AS p (subscription_id, day, scheduled_at, state, attempts, retry_at, message_id, error, updated_at)
                 VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8)
                 ON CONFLICT (subscription_id, day) DO UPDATE
                   SET state = EXCLUDED.state, retry_at = EXCLUDED.retry_at,
                       message_id = COALESCE(EXCLUDED.message_id, p.message_id),
                       error = EXCLUDED.error, updated_at = EXCLUDED.updated_at",
            )
            .await
            .map_err(|e| self.q(e))?;
        tx.execute(
            &upsert,
            &[
                &sub.id,
                &day,
                &scheduled,
                &state.name(),
                &retry_at,
                &message_id,
                &error,
                &now,
            ],
        )
        .await
        .map_err(|e| self.q(e))?;
        if let Some(body) = snapshot {
            let snap = tx
                .prepare_cached(
                    "INSERT INTO snapshots (platform, destination, topic, body, day, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (platform, destination, topic) DO UPDATE SET body = EXCLUDED.body, day = EXCLUDED.day, updated_at = EXCLUDED.updated_at",
                )
                .await
                .map_err(|e| self.q(e))?;
            tx.execute(
                &snap,
                &[
                    &sub.destination.platform(),
                    &sub.destination.id(),
                    &sub.topic,
                    &body,
                    &day,
                    &now,
                ],
            )
            .await
            .map_err(|e| self.q(e))?;
        }
        tx.commit().await.map_err(|e| self.q(e))
    }

    async fn snapshot(
        &self,
        destination: &Destination,
        topic: &str,
    ) -> Result<Option<(String, NaiveDate)>, StoreError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT body, day FROM snapshots WHERE platform = $1 AND destination = $2 AND topic = $3",
            )
            .await
            .map_err(|e| self.q(e))?;
        let row = client
            .query_opt(&stmt, &[&destination.platform(), &destination.id(), &topic])
            .await
            .map_err(|e| self.q(e))?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
            .map_err(|e| self.q(e))
    }

    async fn unsettled(&self, from: NaiveDate) -> Result<Vec<Unsettled>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {} FROM posts p JOIN subscriptions s ON s.id = p.subscription_id
                     WHERE s.active AND p.state IN ('claimed', 'failed') AND p.day >= $1",
                    rows::UNSETTLED_COLUMNS
                ),
                &[&from],
            )
            .await
            .map_err(|e| self.q(e))?;
        rows.iter()
            .map(|r| rows::unsettled(r))
            .collect::<Result<_, _>>()
            .map_err(|e| store_error(super::unreadable(&self.db, e)))
    }

    async fn recent(&self, subscription: i64, n: usize) -> Result<Vec<PostRecord>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT day, scheduled_at, state, attempts, message_id, error, updated_at FROM posts WHERE subscription_id = $1 ORDER BY day DESC LIMIT $2",
                &[&subscription, &(n as i64)],
            )
            .await
            .map_err(|e| self.q(e))?;
        rows.iter()
            .map(|r| rows::post_record(r, 0, subscription))
            .collect::<Result<_, _>>()
            .map_err(|e| store_error(super::unreadable(&self.db, e)))
    }

    async fn attention(&self) -> Result<Vec<(Subscription, PostRecord)>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {SUB_COLUMNS}, p.day, p.scheduled_at, p.state, p.attempts, p.message_id, p.error, p.updated_at
                     FROM subscriptions JOIN LATERAL (
                         SELECT * FROM posts WHERE subscription_id = subscriptions.id ORDER BY day DESC LIMIT 1
                     ) p ON TRUE
                     WHERE active AND p.state IN ('failed', 'missed') ORDER BY id"
                ),
                &[],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let s = subscription(r)?;
                let rec = rows::post_record(r, 11, s.id).ok()?;
                Some((s, rec))
            })
            .collect())
    }
}
