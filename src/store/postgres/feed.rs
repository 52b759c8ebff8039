//! The change feed in the database replicas share: each topic's change recorded once, under an
//! advisory lock taken inside the transaction that reads the topic's mark and commits its
//! entry, then announced (`NOTIFY dossier_feed`) so every replica reads the entries again.

use super::{Database, PgError, unreadable};
use crate::store::feed::*;
use crate::store::rows::{self, Cells, FEED_ENTRY_COLUMNS, millis};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

/// Each migration takes the feed's tables from the version before it to its index + 1.
const MIGRATIONS: [&str; 2] = [
    "
CREATE TABLE feed_entries (
    topic TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    title TEXT NOT NULL,
    reply TEXT NOT NULL,
    PRIMARY KEY (topic, seq)
);
CREATE TABLE feed_marks (
    topic TEXT PRIMARY KEY,
    snapshot TEXT NOT NULL,
    day TEXT NOT NULL
);
",
    // Instants and days in their own types, as in every other table.
    "
ALTER TABLE feed_entries ALTER COLUMN at TYPE TIMESTAMPTZ USING at::timestamptz;
ALTER TABLE feed_marks ALTER COLUMN day TYPE DATE USING day::date;
",
];

/// The first key of the locks that record one topic's change at a time across replicas:
/// "fd" in ASCII.
const FEED_KEY_SPACE: i32 = 0x0000_6664;

/// The change feed kept in the shared database.
pub struct PgFeed {
    db: Database,
}

impl PgFeed {
    /// The feed in `db`, its tables migrated to this build's schema.
    pub async fn open(db: Database) -> Result<PgFeed, FeedError> {
        db.migrate("feed", &MIGRATIONS).await.map_err(fail)?;
        Ok(PgFeed { db })
    }

    fn q(&self, e: tokio_postgres::Error) -> FeedError {
        fail(self.db.error(e))
    }

    fn read_rows<T>(
        &self,
        rows: &[Row],
        f: impl Fn(&dyn Cells) -> Result<T, String>,
    ) -> Result<Vec<T>, FeedError> {
        rows.iter()
            .map(|r| f(r).map_err(|e| fail(unreadable(&self.db, e))))
            .collect()
    }
}

fn fail(e: PgError) -> FeedError {
    FeedError::Store(e.to_string())
}

fn mark(r: &dyn Cells) -> Result<StoredMark, String> {
    Ok(StoredMark {
        topic: r.text(0)?,
        snapshot: r.text(1)?,
        day: r.day(2)?,
    })
}

/// Add an entry; a copy (`or_ignore`) leaves one already there as it is, a record never does
/// (a clash is an error, and nothing of the record is kept).
async fn insert_entry(
    c: &impl GenericClient,
    e: &StoredEntry,
    or_ignore: bool,
) -> Result<u64, tokio_postgres::Error> {
    c.execute(
        &format!(
            "INSERT INTO feed_entries ({FEED_ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5) {}",
            if or_ignore {
                "ON CONFLICT (topic, seq) DO NOTHING"
            } else {
                ""
            }
        ),
        &[&e.topic, &e.seq, &millis(e.at), &e.title, &e.reply],
    )
    .await
}

async fn put_mark(
    c: &impl GenericClient,
    m: &StoredMark,
    replace: bool,
) -> Result<u64, tokio_postgres::Error> {
    let on_conflict = match replace {
        true => "DO UPDATE SET snapshot = $2, day = $3",
        false => "DO NOTHING",
    };
    c.execute(
        &format!(
            "INSERT INTO feed_marks (topic, snapshot, day) VALUES ($1, $2, $3) ON CONFLICT (topic) {on_conflict}"
        ),
        &[&m.topic, &m.snapshot, &m.day],
    )
    .await
}

#[async_trait::async_trait]
impl FeedStore for PgFeed {
    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.db.name)
    }

    fn shared(&self) -> Option<&Database> {
        Some(&self.db)
    }

    async fn read(&self, newest: usize) -> Result<FeedDump, FeedError> {
        let c = self.db.client().await.map_err(fail)?;
        let marks = c
            .query(
                "SELECT topic, snapshot, day FROM feed_marks ORDER BY topic",
                &[],
            )
            .await
            .map_err(|e| self.q(e))?;
        let entries = c
            .query(
                &format!(
                    "SELECT {FEED_ENTRY_COLUMNS} FROM (
                        SELECT *, ROW_NUMBER() OVER (PARTITION BY topic ORDER BY seq DESC) AS n
                        FROM feed_entries) AS newest
                     WHERE n <= $1 ORDER BY topic, seq"
                ),
                &[&i64::try_from(newest).unwrap_or(i64::MAX)],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(FeedDump {
            marks: self.read_rows(&marks, mark)?,
            entries: self.read_rows(&entries, rows::feed_entry)?,
        })
    }

    async fn entry(&self, topic: &str, seq: i64) -> Result<Option<StoredEntry>, FeedError> {
        let c = self.db.client().await.map_err(fail)?;
        let rows = c
            .query(
                &format!(
                    "SELECT {FEED_ENTRY_COLUMNS} FROM feed_entries WHERE topic = $1 AND seq = $2"
                ),
                &[&topic, &seq],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(self.read_rows(&rows, rows::feed_entry)?.into_iter().next())
    }

    async fn record(
        &self,
        topic: &str,
        mut decide: Decide<'_>,
    ) -> Result<Option<StoredEntry>, FeedError> {
        let mut c = self.db.client().await.map_err(fail)?;
        let tx = c.transaction().await.map_err(|e| self.q(e))?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&FEED_KEY_SPACE, &topic],
        )
        .await
        .map_err(|e| self.q(e))?;
        let found = tx
            .query(
                "SELECT topic, snapshot, day FROM feed_marks WHERE topic = $1",
                &[&topic],
            )
            .await
            .map_err(|e| self.q(e))?;
        let found = self.read_rows(&found, mark)?.into_iter().next();
        let next: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM feed_entries WHERE topic = $1",
                &[&topic],
            )
            .await
            .and_then(|r| r.try_get(0))
            .map_err(|e| self.q(e))?;
        let Some(commit) = decide(found.as_ref(), next) else {
            tx.commit().await.map_err(|e| self.q(e))?;
            return Ok(None);
        };
        if let Some(e) = &commit.entry {
            insert_entry(&tx, e, false).await.map_err(|e| self.q(e))?;
        }
        put_mark(&tx, &commit.mark, true)
            .await
            .map_err(|e| self.q(e))?;
        tx.commit().await.map_err(|e| self.q(e))?;
        drop(c);
        if commit.entry.is_some() {
            self.db.notify(FEED_CHANNEL).await;
        }
        Ok(commit.entry)
    }

    async fn load(&self, dump: &FeedDump) -> Result<u64, FeedError> {
        let mut c = self.db.client().await.map_err(fail)?;
        let tx = c.transaction().await.map_err(|e| self.q(e))?;
        for m in &dump.marks {
            put_mark(&tx, m, false).await.map_err(|e| self.q(e))?;
        }
        let mut added = 0;
        for e in &dump.entries {
            added += insert_entry(&tx, e, true).await.map_err(|e| self.q(e))?;
        }
        tx.commit().await.map_err(|e| self.q(e))?;
        Ok(added)
    }
}
