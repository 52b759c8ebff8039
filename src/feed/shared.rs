//! The change feed shared by replicas through the PostgreSQL database: the same tables as the
//! SQLite store, each topic's change recorded once under an advisory lock by the first replica
//! to serve it (the others find the topic's mark already at what they serve and add nothing;
//! a replica whose reload leaves a topic as it already served it adds nothing either, so one
//! that is behind another's change never records that change undone),
//! and every replica reading the entries again when one says it added some (`NOTIFY
//! dossier_feed`) and every [`REFRESH_EVERY`], so a feed reader sees the same entries, under the
//! same ids, from every replica. Also the copy of a file's feed into the database.

use super::{
    Backing, Entry, FEED_CHANNEL, FEED_KEY_SPACE, Feed, FeedDump, FeedError, KEPT, Mark, NEWEST,
    PG_MIGRATIONS, REFRESH_EVERY, State, change, to_entry,
};
use crate::digest::TopicSnapshot;
use crate::library::Library;
use crate::service::postgres::Database;
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::{Arc, Mutex};

impl Feed {
    /// Kept in the shared database `db` (its tables migrated to this build's schema), read now;
    /// [`follow_shared`] keeps it current with the other replicas' entries.
    pub async fn open_shared(db: Database) -> Result<Feed, FeedError> {
        db.migrate("feed", &PG_MIGRATIONS)
            .await
            .map_err(|e| FeedError::Store(e.to_string()))?;
        let feed = Feed {
            state: Mutex::new(State::default()),
            db: Backing::Postgres(db),
            served: Mutex::default(),
        };
        feed.refresh().await?;
        Ok(feed)
    }

    /// Read the shared feed again (after another replica added entries).
    async fn refresh(&self) -> Result<(), FeedError> {
        let Backing::Postgres(db) = &self.db else {
            return Ok(());
        };
        let fail = |e| FeedError::Store(format!("{e}"));
        let c = db.client().await.map_err(fail)?;
        let marks = c
            .query("SELECT topic, snapshot, day FROM feed_marks", &[])
            .await
            .map_err(|e| fail(db.error(e)))?;
        let entries = c
            .query(NEWEST, &[&(KEPT as i64)])
            .await
            .map_err(|e| fail(db.error(e)))?;
        let state = State::from_rows(
            // A row that does not read is left out, as one of another format is.
            marks
                .iter()
                .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?, r.try_get(2).ok()?))),
            entries.iter().filter_map(entry_columns),
        );
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        Ok(())
    }

    /// [`Feed::record`], wherever the feed is kept: in the shared database each topic's change is
    /// recorded once, by the first replica to serve it, and this replica reads the feed again.
    pub async fn record_now(
        self: &Arc<Self>,
        lib: Arc<Library>,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<Vec<Arc<Entry>>, FeedError> {
        let Backing::Postgres(db) = &self.db else {
            let feed = self.clone();
            return tokio::task::spawn_blocking(move || feed.record(&lib, now, today))
                .await
                .map_err(|_| FeedError::Store("stopped recording unexpectedly".into()))?;
        };
        let fail = |e| FeedError::Store(format!("{e}"));
        let mut made = Vec::new();
        let mut c = db.client().await.map_err(fail)?;
        for (ti, t) in lib.topics().iter().enumerate() {
            let snapshot = TopicSnapshot::of(t);
            let serve = |snapshot: TopicSnapshot| {
                self.served
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(t.id.clone(), snapshot);
            };
            let unchanged = self
                .served
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&t.id)
                == Some(&snapshot);
            if unchanged {
                // Unchanged here: a reload for another topic, or of a tree that has not yet
                // caught up with a change another replica recorded. Recording it would read
                // as that change undone.
                continue;
            }
            let known = self
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .marks
                .get(&t.id)
                .is_some_and(|m| m.snapshot == snapshot);
            if known {
                serve(snapshot);
                continue;
            }
            let tx = c.transaction().await.map_err(|e| fail(db.error(e)))?;
            let q = |e| fail(db.error(e));
            tx.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                &[&FEED_KEY_SPACE, &t.id],
            )
            .await
            .map_err(q)?;
            let mark = tx
                .query_opt(
                    "SELECT snapshot, day FROM feed_marks WHERE topic = $1",
                    &[&t.id],
                )
                .await
                .map_err(q)?
                .and_then(|r| {
                    Some(Mark {
                        snapshot: TopicSnapshot::from_json(r.try_get(0).ok()?)?,
                        day: NaiveDate::parse_from_str(r.try_get(1).ok()?, "%Y-%m-%d").ok()?,
                    })
                });
            if mark.as_ref().is_some_and(|m| m.snapshot == snapshot) {
                // Another replica recorded this change already.
                tx.commit().await.map_err(q)?;
                serve(snapshot);
                continue;
            }
            let entry = match change(&lib, ti, mark.as_ref(), today) {
                Some((title, reply)) => {
                    let seq: i64 = tx
                        .query_one(
                            "SELECT COALESCE(MAX(seq), 0) + 1 FROM feed_entries WHERE topic = $1",
                            &[&t.id],
                        )
                        .await
                        .and_then(|r| r.try_get(0))
                        .map_err(q)?;
                    Some(Entry {
                        topic: t.id.clone(),
                        seq,
                        at: now,
                        title,
                        reply,
                    })
                }
                None => None,
            };
            let day = match (&entry, &mark) {
                (None, Some(m)) => m.day,
                _ => today,
            };
            if let Some(e) = &entry {
                let reply = serde_json::to_string(&e.reply)
                    .map_err(|e| FeedError::Store(format!("could not store an entry: {e}")))?;
                tx.execute(
                    "INSERT INTO feed_entries (topic, seq, at, title, reply) VALUES ($1, $2, $3, $4, $5)",
                    &[&e.topic, &e.seq, &e.at.to_rfc3339(), &e.title, &reply],
                )
                .await
                .map_err(q)?;
            }
            tx.execute(
                "INSERT INTO feed_marks (topic, snapshot, day) VALUES ($1, $2, $3)
                 ON CONFLICT (topic) DO UPDATE SET snapshot = $2, day = $3",
                &[
                    &t.id,
                    &snapshot.to_json(),
                    &day.format("%Y-%m-%d").to_string(),
                ],
            )
            .await
            .map_err(q)?;
            tx.commit().await.map_err(q)?;
            serve(snapshot);
            made.extend(entry.map(Arc::new));
        }
        drop(c);
        if !made.is_empty() {
            db.notify(FEED_CHANNEL).await;
        }
        self.refresh().await?;
        Ok(made)
    }

    /// One entry of `topic`, also one older than those kept in memory, wherever the feed is.
    pub async fn entry_any(&self, topic: &str, seq: i64) -> Option<Arc<Entry>> {
        if let Some(e) = self.entry(topic, seq) {
            return Some(e);
        }
        let Backing::Postgres(db) = &self.db else {
            return None;
        };
        let c = db.client().await.ok()?;
        let row = c
            .query_opt(
                "SELECT topic, seq, at, title, reply FROM feed_entries WHERE topic = $1 AND seq = $2",
                &[&topic, &seq],
            )
            .await
            .ok()??;
        to_entry(entry_columns(&row)?).map(Arc::new)
    }

    /// Add a dump's rows to the shared database in one transaction; rows already there (the
    /// same topic's mark, the same entry) are left as they are. How many entries were added.
    pub async fn load_shared(&self, dump: &FeedDump) -> Result<u64, FeedError> {
        let Backing::Postgres(db) = &self.db else {
            return Err(FeedError::Store("is not the shared database".into()));
        };
        let mut c = db
            .client()
            .await
            .map_err(|e| FeedError::Store(e.to_string()))?;
        let fail = |e| FeedError::Store(db.error(e).to_string());
        let tx = c.transaction().await.map_err(fail)?;
        for (topic, snapshot, day) in &dump.marks {
            tx.execute(
                "INSERT INTO feed_marks (topic, snapshot, day) VALUES ($1, $2, $3) ON CONFLICT (topic) DO NOTHING",
                &[topic, snapshot, day],
            )
            .await
            .map_err(fail)?;
        }
        let mut added = 0;
        for (topic, seq, at, title, reply) in &dump.entries {
            added += tx
                .execute(
                    "INSERT INTO feed_entries (topic, seq, at, title, reply) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (topic, seq) DO NOTHING",
                    &[topic, seq, at, title, reply],
                )
                .await
                .map_err(fail)?;
        }
        tx.commit().await.map_err(fail)?;
        self.refresh().await?;
        Ok(added)
    }
}

/// Keep a shared feed current until `stop`: read it again when another replica says it added
/// entries, and every [`REFRESH_EVERY`]. A feed in a file or in memory needs nothing.
pub async fn follow_shared(feed: Arc<Feed>, stop: tokio_util::sync::CancellationToken) {
    let Backing::Postgres(db) = &feed.db else {
        return;
    };
    crate::service::postgres::follow_channel(
        db,
        FEED_CHANNEL,
        REFRESH_EVERY,
        &stop,
        "read the shared feed again",
        || async { feed.refresh().await.map_err(|e| e.to_string()) },
    )
    .await;
}

/// An entry's columns (topic, seq, at, title, reply), or `None` for a row that does not read.
fn entry_columns(r: &tokio_postgres::Row) -> Option<(String, i64, String, String, String)> {
    Some((
        r.try_get(0).ok()?,
        r.try_get(1).ok()?,
        r.try_get(2).ok()?,
        r.try_get(3).ok()?,
        r.try_get(4).ok()?,
    ))
}
