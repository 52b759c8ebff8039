//! Which topic each channel or room answers from when a command names none, as moderators set
//! it with `topic set <topic>`. Answers read a map in memory; a change is written through to
//! `state/places.sqlite3`, or to the PostgreSQL database replicas share, or kept only in memory
//! where `serve` keeps no state. With the database, every replica reads the places whole at
//! start, and again when another replica says it set one (`NOTIFY dossier_places`) and every
//! [`REFRESH_EVERY`], so a channel answered by any replica behind a load balancer answers from
//! the same topic. A place with no topic of its own uses the configured default topic, or the
//! only one loaded.

use crate::schedule::Destination;
use crate::service::postgres::Database;
use rusqlite::{Connection, params};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS place_topics (
    platform TEXT NOT NULL,
    place TEXT NOT NULL,
    topic TEXT NOT NULL,
    set_by TEXT,
    set_at TEXT NOT NULL,
    PRIMARY KEY (platform, place)
);
";
const SCHEMA_VERSION: i64 = 1;

/// The same table in the shared database (the SQL is the same in both); each migration takes it
/// from the version before it to its index + 1.
const PG_MIGRATIONS: [&str; 1] = [SCHEMA];

/// The channel on which a replica says it set a place's topic.
pub const PLACES_CHANNEL: &str = "dossier_places";

/// How often a replica reads the places again without being told to.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// A place's own topic, and who set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceTopic {
    pub topic: String,
    pub set_by: Option<String>,
    pub set_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("the places store {0}")]
    Store(String),
    /// The shared database cannot be reached now; nothing was changed.
    #[error("the places' topics cannot be written: {0}")]
    Unavailable(String),
}

/// A database error, sorted: unreachable is "unavailable", anything else a store error.
fn shared_error(e: crate::service::postgres::PgError) -> PlaceError {
    match e {
        crate::service::postgres::PgError::Unreachable(..) => {
            PlaceError::Unavailable(e.to_string())
        }
        crate::service::postgres::PgError::Refused(..) => PlaceError::Store(e.to_string()),
    }
}

type Key = (String, String);

fn key(place: &Destination) -> Key {
    (place.platform().to_owned(), place.id())
}

/// Where a change to a place's topic is written.
enum Backing {
    Memory,
    Sqlite(Mutex<Connection>),
    Postgres(Database),
}

/// The places' topics: in memory, written through to SQLite or PostgreSQL.
pub struct Places {
    topics: RwLock<HashMap<Key, PlaceTopic>>,
    db: Backing,
}

impl Default for Places {
    fn default() -> Self {
        Places::in_memory()
    }
}

impl Places {
    /// Kept only while the process runs.
    pub fn in_memory() -> Places {
        Places {
            topics: RwLock::new(HashMap::new()),
            db: Backing::Memory,
        }
    }

    /// Kept in `path` (created if missing); refuses a file written by a newer dossier.
    pub fn open(path: &Path) -> Result<Places, PlaceError> {
        let conn = crate::service::sqlite::open(path, SCHEMA, SCHEMA_VERSION)
            .map_err(PlaceError::Store)?;
        let bad = |e: rusqlite::Error| {
            PlaceError::Store(format!(
                "{} is not a readable dossier store ({e})",
                path.display()
            ))
        };
        let mut topics = HashMap::new();
        {
            let mut q = conn
                .prepare("SELECT platform, place, topic, set_by, set_at FROM place_topics")
                .map_err(bad)?;
            let rows = q
                .query_map([], |r| {
                    Ok((
                        (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                        PlaceTopic {
                            topic: r.get(2)?,
                            set_by: r.get(3)?,
                            set_at: r.get(4)?,
                        },
                    ))
                })
                .map_err(bad)?;
            for row in rows {
                let (k, v) = row.map_err(bad)?;
                topics.insert(k, v);
            }
        }
        Ok(Places {
            topics: RwLock::new(topics),
            db: Backing::Sqlite(Mutex::new(conn)),
        })
    }

    /// Kept in the shared database `db` (its table migrated to this build's schema), read
    /// whole now; [`follow`] keeps it current with the other replicas' changes.
    pub async fn open_shared(db: Database) -> Result<Places, PlaceError> {
        db.migrate("places", &PG_MIGRATIONS)
            .await
            .map_err(|e| PlaceError::Store(e.to_string()))?;
        let topics = read_shared(&db).await?;
        Ok(Places {
            topics: RwLock::new(topics),
            db: Backing::Postgres(db),
        })
    }

    /// Where the topics are kept, for the logs.
    pub fn describe(&self) -> String {
        match &self.db {
            Backing::Memory => "memory only".into(),
            Backing::Sqlite(_) => "SQLite".into(),
            Backing::Postgres(db) => format!("PostgreSQL {}", db.name),
        }
    }

    /// Read the shared places again (after another replica changed one).
    async fn refresh(&self) -> Result<(), PlaceError> {
        let Backing::Postgres(db) = &self.db else {
            return Ok(());
        };
        let topics = read_shared(db).await?;
        *self.topics.write().unwrap_or_else(|e| e.into_inner()) = topics;
        Ok(())
    }

    /// The place's own topic, if a moderator set one.
    pub fn topic_of(&self, place: &Destination) -> Option<PlaceTopic> {
        self.topics
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key(place))
            .cloned()
    }

    /// Set the place's topic: written to the store first, so what is answered is what is kept.
    pub async fn set(
        &self,
        place: &Destination,
        topic: &str,
        by: Option<&str>,
    ) -> Result<PlaceTopic, PlaceError> {
        let entry = PlaceTopic {
            topic: topic.to_owned(),
            set_by: by.map(str::to_owned),
            set_at: chrono::Utc::now().to_rfc3339(),
        };
        let (platform, id) = key(place);
        match &self.db {
            Backing::Memory => {}
            Backing::Sqlite(db) => {
                db.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .execute(
                        "INSERT INTO place_topics (platform, place, topic, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (platform, place) DO UPDATE SET topic = ?3, set_by = ?4, set_at = ?5",
                        params![platform, id, entry.topic, entry.set_by, entry.set_at],
                    )
                    .map_err(|e| PlaceError::Store(format!("could not be written: {e}")))?;
            }
            Backing::Postgres(db) => {
                let c = db.client().await.map_err(shared_error)?;
                c.execute(
                    "INSERT INTO place_topics (platform, place, topic, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (platform, place) DO UPDATE SET topic = $3, set_by = $4, set_at = $5",
                    &[&platform, &id, &entry.topic, &entry.set_by, &entry.set_at],
                )
                .await
                .map_err(|e| shared_error(db.error(e)))?;
                drop(c);
                db.notify(PLACES_CHANNEL).await;
            }
        }
        self.topics
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((platform, id), entry.clone());
        Ok(entry)
    }

    /// Every place's topic with who set it and when, for a copy to another store:
    /// ((platform, place id), topic).
    pub fn rows(&self) -> Vec<((String, String), PlaceTopic)> {
        let mut rows: Vec<_> = self
            .topics
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    }

    /// Add rows copied from another store to the shared database; a place that already has a
    /// topic there keeps it. How many were added.
    pub async fn load_shared(
        &self,
        rows: &[((String, String), PlaceTopic)],
    ) -> Result<u64, PlaceError> {
        let Backing::Postgres(db) = &self.db else {
            return Err(PlaceError::Store("is not the shared database".into()));
        };
        let mut c = db
            .client()
            .await
            .map_err(|e| PlaceError::Store(e.to_string()))?;
        let fail = |e| PlaceError::Store(db.error(e).to_string());
        let tx = c.transaction().await.map_err(fail)?;
        let mut added = 0;
        for ((platform, place), t) in rows {
            added += tx
                .execute(
                    "INSERT INTO place_topics (platform, place, topic, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (platform, place) DO NOTHING",
                    &[platform, place, &t.topic, &t.set_by, &t.set_at],
                )
                .await
                .map_err(fail)?;
        }
        tx.commit().await.map_err(fail)?;
        self.refresh().await?;
        Ok(added)
    }

    /// Every place with a topic of its own, for `status`: (platform, place id, topic).
    pub fn all(&self) -> Vec<(String, String, String)> {
        let mut all: Vec<_> = self
            .topics
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|((p, id), t)| (p.clone(), id.clone(), t.topic.clone()))
            .collect();
        all.sort();
        all
    }
}

/// Every place's topic in the shared database.
async fn read_shared(db: &Database) -> Result<HashMap<Key, PlaceTopic>, PlaceError> {
    let c = db
        .client()
        .await
        .map_err(|e| PlaceError::Store(e.to_string()))?;
    let rows = c
        .query(
            "SELECT platform, place, topic, set_by, set_at FROM place_topics",
            &[],
        )
        .await
        .map_err(|e| PlaceError::Store(db.error(e).to_string()))?;
    rows.iter()
        .map(|r| {
            Ok((
                (r.try_get(0)?, r.try_get(1)?),
                PlaceTopic {
                    topic: r.try_get(2)?,
                    set_by: r.try_get(3)?,
                    set_at: r.try_get(4)?,
                },
            ))
        })
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(|e| PlaceError::Store(db.error(e).to_string()))
}

/// Keep shared places current until `stop`: read them again when another replica says it set
/// one, and every [`REFRESH_EVERY`]. Places kept in a file or in memory need nothing.
pub async fn follow(places: Arc<Places>, stop: CancellationToken) {
    let Backing::Postgres(db) = &places.db else {
        return;
    };
    crate::service::postgres::follow_channel(
        db,
        PLACES_CHANNEL,
        REFRESH_EVERY,
        &stop,
        "read the places' topics again",
        || async { places.refresh().await.map_err(|e| e.to_string()) },
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_places_topic_is_kept_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/places.sqlite3");
        let here = Destination::Discord { channel: 7 };
        let there = Destination::Matrix {
            room: "!a:hs".into(),
        };
        {
            let p = Places::open(&path).unwrap();
            assert!(p.topic_of(&here).is_none());
            block_on(p.set(&here, "iran-us-talks", Some("discord:1 (mod)"))).unwrap();
            block_on(p.set(&there, "delta-accord", None)).unwrap();
            block_on(p.set(&here, "river-treaty", None)).unwrap();
        }
        let p = Places::open(&path).unwrap();
        assert_eq!(p.topic_of(&here).unwrap().topic, "river-treaty");
        assert_eq!(p.topic_of(&there).unwrap().topic, "delta-accord");
        assert_eq!(p.all().len(), 2);
    }

    #[test]
    fn a_newer_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("places.sqlite3");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let e = Places::open(&path).err().unwrap().to_string();
        assert!(e.contains("newer dossier"), "{e}");
    }
}
