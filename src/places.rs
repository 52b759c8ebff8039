//! Which topic each channel or room answers from when a command names none, as moderators set
//! it with `topic set <topic>`. Kept in `state/places.sqlite3` (read whole at start, written
//! through), or only in memory where `serve` keeps no state. A place with no topic of its own
//! uses the configured default topic, or the only one loaded.

use crate::schedule::Destination;
use rusqlite::{Connection, params};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};

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
}

type Key = (String, String);

fn key(place: &Destination) -> Key {
    (place.platform().to_owned(), place.id())
}

/// The places' topics: in memory, and in SQLite when opened on a file.
pub struct Places {
    topics: RwLock<HashMap<Key, PlaceTopic>>,
    db: Option<Mutex<Connection>>,
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
            db: None,
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
            db: Some(Mutex::new(conn)),
        })
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
    pub fn set(
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
        if let Some(db) = &self.db {
            db.lock()
                .unwrap_or_else(|e| e.into_inner())
                .execute(
                    "INSERT INTO place_topics (platform, place, topic, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (platform, place) DO UPDATE SET topic = ?3, set_by = ?4, set_at = ?5",
                    params![platform, id, entry.topic, entry.set_by, entry.set_at],
                )
                .map_err(|e| PlaceError::Store(format!("could not be written: {e}")))?;
        }
        self.topics
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((platform, id), entry.clone());
        Ok(entry)
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

#[cfg(test)]
mod tests {
    use super::*;

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
            p.set(&here, "iran-us-talks", Some("discord:1 (mod)"))
                .unwrap();
            p.set(&there, "delta-accord", None).unwrap();
            p.set(&here, "river-treaty", None).unwrap();
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
