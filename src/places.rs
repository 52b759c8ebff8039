//! Which topic each channel or room answers from when a command names none, as moderators set
//! it with `topic set <topic>`. Answers read a map in memory; a change is written through to
//! the [`PlaceStore`] first (the state file, the database replicas share, or memory where
//! nothing is kept). With the database, every replica reads the places whole at start, and
//! again when another replica says it set one (`NOTIFY dossier_places`) and every
//! [`REFRESH_EVERY`], so a channel answered by any replica behind a load balancer answers from
//! the same topic. A place with no topic of its own uses the configured default topic, or the
//! only one loaded.

use crate::schedule::Destination;
use crate::store::places::{PLACES_CHANNEL, PlaceRow, PlaceStore};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub use crate::store::places::PlaceError;

/// How often a replica reads the places again without being told to.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// A place's own topic, and who set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaceTopic {
    pub topic: String,
    pub set_by: Option<String>,
    pub set_at: chrono::DateTime<chrono::Utc>,
}

type Key = (String, String);

fn key(place: &Destination) -> Key {
    (place.platform().to_owned(), place.id())
}

/// The places' topics: in memory, written through to a store.
pub struct Places {
    topics: RwLock<HashMap<Key, PlaceTopic>>,
    store: Arc<dyn PlaceStore>,
}

impl Default for Places {
    fn default() -> Self {
        Places::in_memory()
    }
}

fn map_of(rows: Vec<PlaceRow>) -> HashMap<Key, PlaceTopic> {
    rows.into_iter()
        .map(|r| {
            (
                (r.platform, r.place),
                PlaceTopic {
                    topic: r.topic,
                    set_by: r.set_by,
                    set_at: r.set_at,
                },
            )
        })
        .collect()
}

impl Places {
    /// Kept only while the process runs.
    pub fn in_memory() -> Places {
        Places {
            topics: RwLock::default(),
            store: Arc::new(crate::store::memory::MemoryPlaces::default()),
        }
    }

    /// Kept in `store`, read whole now.
    pub async fn open(store: Arc<dyn PlaceStore>) -> Result<Places, PlaceError> {
        let topics = map_of(store.all().await?);
        Ok(Places {
            topics: RwLock::new(topics),
            store,
        })
    }

    /// Read the places again (after another replica changed one).
    async fn refresh(&self) -> Result<(), PlaceError> {
        let topics = map_of(self.store.all().await?);
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
        let (platform, id) = key(place);
        let row = PlaceRow {
            platform,
            place: id,
            topic: topic.to_owned(),
            set_by: by.map(str::to_owned),
            set_at: crate::store::rows::millis(chrono::Utc::now()),
        };
        self.store.set(&row).await?;
        let entry = PlaceTopic {
            topic: row.topic,
            set_by: row.set_by,
            set_at: row.set_at,
        };
        self.topics
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((row.platform, row.place), entry.clone());
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

/// Keep shared places current until `stop`: read them again when another replica says it set
/// one, and every [`REFRESH_EVERY`]. Places kept in a file or in memory need nothing.
pub async fn follow(places: Arc<Places>, stop: CancellationToken) {
    let Some(db) = places.store.shared().cloned() else {
        return;
    };
    crate::store::postgres::follow_channel(
        &db,
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
        let state = dir.path().join("state");
        let here = Destination::Discord { channel: 7 };
        let there = Destination::Matrix {
            room: "!a:hs".into(),
        };
        let open = || {
            let stores = crate::store::Stores::in_folder(&state).unwrap();
            block_on(Places::open(stores.places)).unwrap()
        };
        {
            let p = open();
            assert!(p.topic_of(&here).is_none());
            block_on(p.set(&here, "iran-us-talks", Some("discord:1 (mod)"))).unwrap();
            block_on(p.set(&there, "delta-accord", None)).unwrap();
            block_on(p.set(&here, "river-treaty", None)).unwrap();
        }
        let p = open();
        assert_eq!(p.topic_of(&here).unwrap().topic, "river-treaty");
        assert_eq!(p.topic_of(&there).unwrap().topic, "delta-accord");
        assert_eq!(p.all().len(), 2);
    }
}
