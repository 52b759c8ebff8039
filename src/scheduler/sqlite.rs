//! The schedule store in SQLite (`state/schedules.sqlite3`): versioned migrations, WAL, a busy
//! timeout, and claims taken in `BEGIN IMMEDIATE` transactions so that two `serve` processes on
//! one file never both post the same briefing. A corrupt file, or one written by a newer
//! dossier, is an error naming the file, never a silent reset; nothing is ever deleted
//! (unsubscribing deactivates).

use crate::digest::WhenUnchanged;
use crate::schedule::store::*;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

/// Each migration takes the schema from the version before it to its index + 1.
const MIGRATIONS: [&str; 1] = [r#"
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    destination TEXT NOT NULL,
    topic TEXT NOT NULL,
    at TEXT NOT NULL,
    timezone TEXT NOT NULL,
    when_unchanged TEXT NOT NULL,
    catch_up_secs INTEGER NOT NULL,
    from_config INTEGER NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX subscriptions_place ON subscriptions (platform, destination, topic, at, timezone);
CREATE TABLE posts (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    day TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    state TEXT NOT NULL,
    owner TEXT,
    claimed_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at TEXT,
    message_id TEXT,
    error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (subscription_id, day)
);
CREATE TABLE snapshots (
    platform TEXT NOT NULL,
    destination TEXT NOT NULL,
    topic TEXT NOT NULL,
    body TEXT NOT NULL,
    day TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (platform, destination, topic)
);
"#];

pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn parse_day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
}

impl SqliteStore {
    /// Open (or create) the store at `path`, migrating it to this build's schema.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let fail =
            |why: String| StoreError::Open(format!("the schedule store {} {why}", path.display()));
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot be created: {e}")))?;
        }
        let conn = Connection::open(path).map_err(|e| fail(format!("cannot be opened: {e}")))?;
        let corrupt = |e: rusqlite::Error| {
            fail(format!(
                "is not a readable dossier store ({e}). Nothing was changed. Restore it from a backup, or move it aside to start with no subscriptions"
            ))
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(corrupt)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(corrupt)?;
        if version > SCHEMA_VERSION {
            return Err(fail(format!(
                "was written by a newer dossier (schema {version}; this one knows {SCHEMA_VERSION}). Run that dossier, or restore a backup; nothing was changed"
            )));
        }
        let ok: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(corrupt)?;
        if ok != "ok" {
            return Err(fail(format!(
                "failed its integrity check ({ok}). Nothing was changed. Restore it from a backup"
            )));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(corrupt)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(corrupt)?;
        let store = SqliteStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        };
        store.migrate(version).map_err(corrupt)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every row, as kept, for `dossier state migrate`.
    pub fn dump(&self) -> Result<Dump, StoreError> {
        let conn = self.lock();
        let opt_ts = |s: Option<String>| s.as_deref().map(parse_ts);
        let subscriptions = conn
            .prepare("SELECT id, platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at, active FROM subscriptions ORDER BY id")
            .map_err(q)?
            .query_map([], |r| {
                Ok(SubscriptionRow {
                    id: r.get(0)?,
                    platform: r.get(1)?,
                    destination: r.get(2)?,
                    topic: r.get(3)?,
                    at: r.get(4)?,
                    timezone: r.get(5)?,
                    when_unchanged: r.get(6)?,
                    catch_up_secs: r.get(7)?,
                    from_config: r.get::<_, i64>(8)? != 0,
                    created_by: r.get(9)?,
                    created_at: parse_ts(&r.get::<_, String>(10)?),
                    active: r.get::<_, i64>(11)? != 0,
                })
            })
            .map_err(q)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(q)?;
        let posts = conn
            .prepare("SELECT subscription_id, day, scheduled_at, state, owner, claimed_at, attempts, retry_at, message_id, error, updated_at FROM posts ORDER BY subscription_id, day")
            .map_err(q)?
            .query_map([], |r| {
                Ok(PostRow {
                    subscription_id: r.get(0)?,
                    day: parse_day(&r.get::<_, String>(1)?),
                    scheduled_at: parse_ts(&r.get::<_, String>(2)?),
                    state: r.get(3)?,
                    owner: r.get(4)?,
                    claimed_at: opt_ts(r.get(5)?),
                    attempts: r.get(6)?,
                    retry_at: opt_ts(r.get(7)?),
                    message_id: r.get(8)?,
                    error: r.get(9)?,
                    updated_at: parse_ts(&r.get::<_, String>(10)?),
                })
            })
            .map_err(q)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(q)?;
        let snapshots = conn
            .prepare("SELECT platform, destination, topic, body, day, updated_at FROM snapshots ORDER BY platform, destination, topic")
            .map_err(q)?
            .query_map([], |r| {
                Ok(SnapshotRow {
                    platform: r.get(0)?,
                    destination: r.get(1)?,
                    topic: r.get(2)?,
                    body: r.get(3)?,
                    day: parse_day(&r.get::<_, String>(4)?),
                    updated_at: parse_ts(&r.get::<_, String>(5)?),
                })
            })
            .map_err(q)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(q)?;
        Ok(Dump {
            subscriptions,
            posts,
            snapshots,
        })
    }

    fn migrate(&self, from: i64) -> rusqlite::Result<()> {
        let mut conn = self.lock();
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process may have migrated while this one waited for the lock.
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now > i as i64 {
                continue;
            }
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn q(e: rusqlite::Error) -> StoreError {
    StoreError::Query(e.to_string())
}

/// A post's state, owner, claim time, attempts and retry time.
type ClaimRow = (String, Option<String>, Option<String>, i64, Option<String>);

const SUB_COLUMNS: &str = "id, platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at";

fn subscription(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Subscription>> {
    let platform: String = r.get(1)?;
    let dest: String = r.get(2)?;
    let at: String = r.get(4)?;
    let tz: String = r.get(5)?;
    let when: String = r.get(6)?;
    let (Some(destination), Ok(at), Ok(tz), Some(when_unchanged)) = (
        Destination::from_parts(&platform, &dest),
        NaiveTime::parse_from_str(&at, "%H:%M"),
        tz.parse::<chrono_tz::Tz>(),
        WhenUnchanged::parse(&when),
    ) else {
        // A row this build cannot read (an unknown time zone, say) is left alone.
        return Ok(None);
    };
    Ok(Some(Subscription {
        id: r.get(0)?,
        destination,
        topic: r.get(3)?,
        at,
        tz,
        when_unchanged,
        catch_up: Duration::seconds(r.get(7)?),
        from_config: r.get::<_, i64>(8)? != 0,
        created_by: r.get(9)?,
        created_at: parse_ts(&r.get::<_, String>(10)?),
    }))
}

/// A post's columns from `at`: day, scheduled_at, state, attempts, message_id, error,
/// updated_at.
fn post_record(
    r: &rusqlite::Row<'_>,
    at: usize,
    subscription: i64,
) -> rusqlite::Result<PostRecord> {
    let state: String = r.get(at + 2)?;
    let message_id: Option<String> = r.get(at + 4)?;
    let error: Option<String> = r.get(at + 5)?;
    Ok(PostRecord {
        subscription,
        day: parse_day(&r.get::<_, String>(at)?),
        scheduled: parse_ts(&r.get::<_, String>(at + 1)?),
        state: PostState::from_stored(&state, message_id, error),
        attempts: r.get::<_, i64>(at + 3)? as u32,
        updated: parse_ts(&r.get::<_, String>(at + 6)?),
    })
}

/// The rows this build can read (`None` ones are left alone in the file), or the first error.
fn readable<T>(
    rows: impl Iterator<Item = rusqlite::Result<Option<T>>>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for r in rows {
        out.extend(r.map_err(q)?);
    }
    Ok(out)
}

fn same_place_sql() -> &'static str {
    "platform = ?1 AND destination = ?2 AND topic = ?3 AND at = ?4 AND timezone = ?5"
}

#[async_trait::async_trait]
impl ScheduleStore for SqliteStore {
    fn describe(&self) -> String {
        format!("SQLite {}", self.path.display())
    }

    async fn sync_config(
        &self,
        subs: &[NewSubscription],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(q)?;
        let mut keep = Vec::new();
        for s in subs {
            let at = s.at.format("%H:%M").to_string();
            let found: Option<i64> = tx
                .query_row(
                    &format!(
                        "SELECT id FROM subscriptions WHERE from_config = 1 AND {}",
                        same_place_sql()
                    ),
                    params![
                        s.destination.platform(),
                        s.destination.id(),
                        s.topic,
                        at,
                        s.tz.name()
                    ],
                    |r| r.get(0),
                )
                .optional()
                .map_err(q)?;
            let id = match found {
                Some(id) => {
                    tx.execute(
                        "UPDATE subscriptions SET active = 1, when_unchanged = ?2, catch_up_secs = ?3 WHERE id = ?1",
                        params![id, s.when_unchanged.name(), s.catch_up.num_seconds()],
                    )
                    .map_err(q)?;
                    id
                }
                None => {
                    // A schedule the operator configured counts from the start of its
                    // catch-up window: one whose time passed shortly before start-up posts now.
                    tx.execute(
                        "INSERT INTO subscriptions (platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, NULL, ?8)",
                        params![s.destination.platform(), s.destination.id(), s.topic, at, s.tz.name(), s.when_unchanged.name(), s.catch_up.num_seconds(), ts(now - s.catch_up)],
                    )
                    .map_err(q)?;
                    tx.last_insert_rowid()
                }
            };
            keep.push(id);
        }
        let mut stale: Vec<i64> = Vec::new();
        {
            let mut stmt = tx
                .prepare("SELECT id FROM subscriptions WHERE from_config = 1 AND active = 1")
                .map_err(q)?;
            let rows = stmt.query_map([], |r| r.get::<_, i64>(0)).map_err(q)?;
            for id in rows {
                let id = id.map_err(q)?;
                if !keep.contains(&id) {
                    stale.push(id);
                }
            }
        }
        for id in stale {
            tx.execute("UPDATE subscriptions SET active = 0 WHERE id = ?1", [id])
                .map_err(q)?;
        }
        tx.commit().map_err(q)
    }

    async fn subscribe(
        &self,
        s: &NewSubscription,
        now: DateTime<Utc>,
    ) -> Result<Subscription, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(q)?;
        let at = s.at.format("%H:%M").to_string();
        let existing: Option<(i64, i64)> = tx
            .query_row(
                &format!(
                    "SELECT id, active FROM subscriptions WHERE {}",
                    same_place_sql()
                ),
                params![
                    s.destination.platform(),
                    s.destination.id(),
                    s.topic,
                    at,
                    s.tz.name()
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(q)?;
        let id = match existing {
            Some((_, 1)) => {
                return Err(StoreError::Conflict(format!(
                    "{} already gets the {} briefing at {at} {}",
                    s.destination.describe(),
                    s.topic,
                    s.tz.name()
                )));
            }
            Some((id, _)) => {
                tx.execute(
                    "UPDATE subscriptions SET active = 1, when_unchanged = ?2, catch_up_secs = ?3, created_by = ?4, created_at = ?5 WHERE id = ?1",
                    params![id, s.when_unchanged.name(), s.catch_up.num_seconds(), s.created_by, ts(now)],
                )
                .map_err(q)?;
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO subscriptions (platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![s.destination.platform(), s.destination.id(), s.topic, at, s.tz.name(), s.when_unchanged.name(), s.catch_up.num_seconds(), i64::from(s.from_config), s.created_by, ts(now)],
                )
                .map_err(q)?;
                tx.last_insert_rowid()
            }
        };
        let sub = tx
            .query_row(
                &format!("SELECT {SUB_COLUMNS} FROM subscriptions WHERE id = ?1"),
                [id],
                subscription,
            )
            .map_err(q)?
            .ok_or_else(|| StoreError::Query("a new subscription could not be read back".into()))?;
        tx.commit().map_err(q)?;
        Ok(sub)
    }

    async fn unsubscribe(
        &self,
        destination: &Destination,
        id: Option<i64>,
    ) -> Result<usize, StoreError> {
        let conn = self.lock();
        let n = match id {
            Some(id) => conn.execute(
                "UPDATE subscriptions SET active = 0 WHERE platform = ?1 AND destination = ?2 AND id = ?3 AND from_config = 0 AND active = 1",
                params![destination.platform(), destination.id(), id],
            ),
            None => conn.execute(
                "UPDATE subscriptions SET active = 0 WHERE platform = ?1 AND destination = ?2 AND from_config = 0 AND active = 1",
                params![destination.platform(), destination.id()],
            ),
        }
        .map_err(q)?;
        Ok(n)
    }

    async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {SUB_COLUMNS} FROM subscriptions WHERE active = 1 ORDER BY id"
            ))
            .map_err(q)?;
        let rows = stmt.query_map([], subscription).map_err(q)?;
        readable(rows)
    }

    async fn last_handled(&self, subscription: i64) -> Result<Option<NaiveDate>, StoreError> {
        let conn = self.lock();
        let day: Option<String> = conn
            .query_row(
                "SELECT MAX(day) FROM posts WHERE subscription_id = ?1 AND state IN ('sent', 'skipped', 'missed')",
                [subscription],
                |r| r.get(0),
            )
            .map_err(q)?;
        Ok(day.map(|d| parse_day(&d)))
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
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(q)?;
        let d = day.format("%Y-%m-%d").to_string();
        let row: Option<ClaimRow> = tx
            .query_row(
                "SELECT state, owner, claimed_at, attempts, retry_at FROM posts WHERE subscription_id = ?1 AND day = ?2",
                params![sub.id, d],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(q)?;
        let attempt = match row {
            None => {
                tx.execute(
                    "INSERT INTO posts (subscription_id, day, scheduled_at, state, owner, claimed_at, attempts, updated_at) VALUES (?1, ?2, ?3, 'claimed', ?4, ?5, 1, ?5)",
                    params![sub.id, d, ts(scheduled), owner, ts(now)],
                )
                .map_err(q)?;
                1
            }
            Some((state, row_owner, claimed_at, attempts, retry_at)) => {
                let fresh = claimed_at.is_some_and(|c| now - parse_ts(&c) < lease);
                let take = match state.as_str() {
                    "claimed" => !fresh || row_owner.as_deref() == Some(owner),
                    "failed" => retry_at.is_none_or(|r| parse_ts(&r) <= now),
                    _ => false,
                };
                if !take {
                    return Ok(Claim::Taken);
                }
                tx.execute(
                    "UPDATE posts SET state = 'claimed', owner = ?3, claimed_at = ?4, attempts = attempts + 1, updated_at = ?4 WHERE subscription_id = ?1 AND day = ?2",
                    params![sub.id, d, owner, ts(now)],
                )
                .map_err(q)?;
                attempts as u32 + 1
            }
        };
        tx.commit().map_err(q)?;
        Ok(Claim::Won { attempt })
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
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(q)?;
        let d = day.format("%Y-%m-%d").to_string();
        let (message_id, error) = state.columns();
        tx.execute(
            "INSERT INTO posts (subscription_id, day, scheduled_at, state, attempts, retry_at, message_id, error, updated_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?8)
             ON CONFLICT (subscription_id, day) DO UPDATE SET state = ?4, retry_at = ?5, message_id = COALESCE(?6, message_id), error = ?7, updated_at = ?8",
            params![sub.id, d, ts(scheduled), state.name(), retry_at.map(ts), message_id, error, ts(now)],
        )
        .map_err(q)?;
        if let Some(body) = snapshot {
            tx.execute(
                "INSERT INTO snapshots (platform, destination, topic, body, day, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (platform, destination, topic) DO UPDATE SET body = ?4, day = ?5, updated_at = ?6",
                params![sub.destination.platform(), sub.destination.id(), sub.topic, body, d, ts(now)],
            )
            .map_err(q)?;
        }
        tx.commit().map_err(q)
    }

    async fn snapshot(
        &self,
        destination: &Destination,
        topic: &str,
    ) -> Result<Option<(String, NaiveDate)>, StoreError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT body, day FROM snapshots WHERE platform = ?1 AND destination = ?2 AND topic = ?3",
            params![destination.platform(), destination.id(), topic],
            |r| Ok((r.get::<_, String>(0)?, parse_day(&r.get::<_, String>(1)?))),
        )
        .optional()
        .map_err(q)
    }

    async fn recent(&self, subscription: i64, n: usize) -> Result<Vec<PostRecord>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT day, scheduled_at, state, attempts, message_id, error, updated_at FROM posts WHERE subscription_id = ?1 ORDER BY day DESC LIMIT ?2",
            )
            .map_err(q)?;
        let rows = stmt
            .query_map(params![subscription, n as i64], |r| {
                post_record(r, 0, subscription)
            })
            .map_err(q)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(q)
    }
    async fn active_with_last(&self) -> Result<Vec<WithLast>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SUB_COLUMNS}, (SELECT MAX(day) FROM posts WHERE subscription_id = subscriptions.id AND state IN ('sent', 'skipped', 'missed')) FROM subscriptions WHERE active = 1 ORDER BY id"
            ))
            .map_err(q)?;
        let rows = stmt
            .query_map([], |r| {
                let last: Option<String> = r.get(11)?;
                Ok(subscription(r)?.map(|s| (s, last.map(|d| parse_day(&d)))))
            })
            .map_err(q)?;
        readable(rows)
    }

    async fn attention(&self) -> Result<Vec<(Subscription, PostRecord)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SUB_COLUMNS}, p.day, p.scheduled_at, p.state, p.attempts, p.message_id, p.error, p.updated_at
                 FROM subscriptions JOIN posts p ON p.subscription_id = subscriptions.id
                 WHERE active = 1 AND p.state IN ('failed', 'missed')
                   AND p.day = (SELECT MAX(day) FROM posts WHERE subscription_id = subscriptions.id)
                 ORDER BY id"
            ))
            .map_err(q)?;
        let rows = stmt
            .query_map([], |r| {
                let Some(s) = subscription(r)? else {
                    return Ok(None);
                };
                let rec = post_record(r, 11, s.id)?;
                Ok(Some((s, rec)))
            })
            .map_err(q)?;
        readable(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_or_newer_store_is_a_clear_error_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let junk = dir.path().join("junk.sqlite3");
        std::fs::write(&junk, b"this is not a database, but it is somebody's file").expect("write");
        let before = std::fs::read(&junk).expect("read");
        let err = SqliteStore::open(&junk).err().expect("refused").to_string();
        assert!(
            err.contains("junk.sqlite3") && err.contains("not a readable dossier store"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&junk).expect("read"),
            before,
            "nothing was changed"
        );
        let newer = dir.path().join("newer.sqlite3");
        {
            let c = Connection::open(&newer).expect("open");
            c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .expect("set");
        }
        let err = SqliteStore::open(&newer)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("newer.sqlite3") && err.contains("newer dossier"),
            "{err}"
        );
    }
}
