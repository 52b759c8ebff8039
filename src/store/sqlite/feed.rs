//! The change feed in the state file: one topic's change recorded at a time under the
//! process's lock, its entry and mark written in one transaction.

use super::{Db, Rows, mapped};
use crate::store::feed::*;
use crate::store::rows::{self, FEED_ENTRY_COLUMNS};
use crate::store::stamp;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// The change feed kept in the state file.
pub struct SqliteFeed {
    db: Db,
    /// One record at a time: the mark read is the mark replaced.
    recording: tokio::sync::Mutex<()>,
}

impl SqliteFeed {
    pub fn new(db: Db) -> SqliteFeed {
        SqliteFeed {
            db,
            recording: tokio::sync::Mutex::new(()),
        }
    }
}

fn fail(e: super::DbError) -> FeedError {
    FeedError::Store(e.to_string())
}

fn marks(c: &Connection) -> rusqlite::Result<Vec<StoredMark>> {
    c.prepare("SELECT topic, snapshot, day FROM feed_marks ORDER BY topic")?
        .rows_of([], |r| {
            Ok(StoredMark {
                topic: r.text(0)?,
                snapshot: r.text(1)?,
                day: r.day(2)?,
            })
        })
}

/// How often a record reads again when another process recorded first.
const RECORD_TRIES: usize = 3;

/// A topic's mark and the number its next entry takes.
fn read_mark(c: &Connection, topic: &str) -> rusqlite::Result<(Option<StoredMark>, i64)> {
    // A mark that does not read is as none: the topic's next entry is whole.
    let mark = c
        .query_row(
            "SELECT topic, snapshot, day FROM feed_marks WHERE topic = ?1",
            [topic],
            |r| {
                mapped(r, |r| {
                    Ok(Some(StoredMark {
                        topic: r.text(0)?,
                        snapshot: r.text(1)?,
                        day: r.day(2)?,
                    }))
                })
                .or(Ok(None))
            },
        )
        .optional()?
        .flatten();
    let next: i64 = c.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM feed_entries WHERE topic = ?1",
        [topic],
        |r| r.get(0),
    )?;
    Ok((mark, next))
}

fn insert_entry(c: &Connection, e: &StoredEntry, or_ignore: bool) -> rusqlite::Result<usize> {
    c.execute(
        &format!(
            "INSERT {} INTO feed_entries ({FEED_ENTRY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)",
            if or_ignore { "OR IGNORE" } else { "" }
        ),
        params![e.topic, e.seq, stamp::write(e.at), e.title, e.reply],
    )
}

fn put_mark(c: &Connection, m: &StoredMark, replace: bool) -> rusqlite::Result<usize> {
    let on_conflict = match replace {
        true => "DO UPDATE SET snapshot = ?2, day = ?3",
        false => "DO NOTHING",
    };
    c.execute(
        &format!(
            "INSERT INTO feed_marks (topic, snapshot, day) VALUES (?1, ?2, ?3) ON CONFLICT (topic) {on_conflict}"
        ),
        params![m.topic, m.snapshot, stamp::write_day(m.day)],
    )
}

#[async_trait::async_trait]
impl FeedStore for SqliteFeed {
    fn describe(&self) -> String {
        self.db.describe()
    }

    async fn read(&self, newest: usize) -> Result<FeedDump, FeedError> {
        let newest = i64::try_from(newest).unwrap_or(i64::MAX);
        self.db
            .read(move |c| {
                Ok(FeedDump {
                    marks: marks(c)?,
                    entries: c
                        .prepare_cached(&format!(
                            "SELECT {FEED_ENTRY_COLUMNS} FROM (
                                SELECT *, ROW_NUMBER() OVER (PARTITION BY topic ORDER BY seq DESC) AS n
                                FROM feed_entries) AS newest
                             WHERE n <= ?1 ORDER BY topic, seq"
                        ))?
                        .rows_of([newest], rows::feed_entry)?,
                })
            })
            .await
            .map_err(fail)
    }

    async fn entry(&self, topic: &str, seq: i64) -> Result<Option<StoredEntry>, FeedError> {
        let topic = topic.to_owned();
        self.db
            .read(move |c| {
                c.query_row(
                    &format!(
                        "SELECT {FEED_ENTRY_COLUMNS} FROM feed_entries WHERE topic = ?1 AND seq = ?2"
                    ),
                    params![topic, seq],
                    |r| mapped(r, rows::feed_entry),
                )
                .optional()
            })
            .await
            .map_err(fail)
    }

    async fn record(
        &self,
        topic: &str,
        mut decide: Decide<'_>,
    ) -> Result<Option<StoredEntry>, FeedError> {
        let _one = self.recording.lock().await;
        // Another process on the same file may record between the read and the write: the
        // write checks that the mark and the number are still those read, and reads again
        // when they are not.
        for _ in 0..RECORD_TRIES {
            let t = topic.to_owned();
            let (mark, next) = self
                .db
                .read(move |c| read_mark(c, &t))
                .await
                .map_err(fail)?;
            let Some(commit) = decide(mark.as_ref(), next) else {
                return Ok(None);
            };
            let t = topic.to_owned();
            let written = self
                .db
                .write(move |c| {
                    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                    if read_mark(&tx, &t)? != (mark, next) {
                        return Ok(Err(commit));
                    }
                    if let Some(e) = &commit.entry {
                        insert_entry(&tx, e, false)?;
                    }
                    put_mark(&tx, &commit.mark, true)?;
                    tx.commit()?;
                    Ok(Ok(commit.entry))
                })
                .await
                .map_err(fail)?;
            if let Ok(entry) = written {
                return Ok(entry);
            }
        }
        Err(FeedError::Store(
            "kept changing under another process; the change is recorded at the next reload".into(),
        ))
    }

    async fn load(&self, dump: &FeedDump) -> Result<u64, FeedError> {
        let dump = dump.clone();
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                for m in &dump.marks {
                    put_mark(&tx, m, false)?;
                }
                let mut added = 0;
                for e in &dump.entries {
                    added += insert_entry(&tx, e, true)? as u64;
                }
                tx.commit()?;
                Ok(added)
            })
            .await
            .map_err(fail)
    }
}
