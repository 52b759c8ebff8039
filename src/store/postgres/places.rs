//! The places' topics in the database replicas share; a change is announced
//! (`NOTIFY dossier_places`) so every replica reads them again.

use super::{Database, PgError, unreadable};
use crate::store::places::*;
use crate::store::rows::{self, PLACE_COLUMNS, millis};
use deadpool_postgres::GenericClient;

/// Each migration takes the table from the version before it to its index + 1.
const MIGRATIONS: [&str; 2] = [
    "
CREATE TABLE IF NOT EXISTS place_topics (
    platform TEXT NOT NULL,
    place TEXT NOT NULL,
    topic TEXT NOT NULL,
    set_by TEXT,
    set_at TEXT NOT NULL,
    PRIMARY KEY (platform, place)
);
",
    // An instant in its own type, as in every other table.
    "ALTER TABLE place_topics ALTER COLUMN set_at TYPE TIMESTAMPTZ USING set_at::timestamptz;",
];

/// The places' topics kept in the shared database.
pub struct PgPlaces {
    db: Database,
}

impl PgPlaces {
    /// The places in `db`, the table migrated to this build's schema.
    pub async fn open(db: Database) -> Result<PgPlaces, PlaceError> {
        db.migrate("places", &MIGRATIONS)
            .await
            .map_err(|e| PlaceError::Store(e.to_string()))?;
        Ok(PgPlaces { db })
    }
}

fn fail(e: PgError) -> PlaceError {
    match e {
        PgError::Unreachable(..) => PlaceError::Unavailable(e.to_string()),
        PgError::Refused(..) => PlaceError::Store(e.to_string()),
    }
}

async fn insert(
    c: &impl GenericClient,
    r: &PlaceRow,
    replace: bool,
) -> Result<u64, tokio_postgres::Error> {
    let on_conflict = match replace {
        true => "DO UPDATE SET topic = $3, set_by = $4, set_at = $5",
        false => "DO NOTHING",
    };
    c.execute(
        &format!(
            "INSERT INTO place_topics ({PLACE_COLUMNS}) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (platform, place) {on_conflict}"
        ),
        &[
            &r.platform,
            &r.place,
            &r.topic,
            &r.set_by,
            &millis(r.set_at),
        ],
    )
    .await
}

#[async_trait::async_trait]
impl PlaceStore for PgPlaces {
    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.db.name)
    }

    fn shared(&self) -> Option<&Database> {
        Some(&self.db)
    }

    async fn all(&self) -> Result<Vec<PlaceRow>, PlaceError> {
        let c = self.db.client().await.map_err(fail)?;
        let found = c
            .query(
                &format!("SELECT {PLACE_COLUMNS} FROM place_topics ORDER BY platform, place"),
                &[],
            )
            .await
            .map_err(|e| fail(self.db.error(e)))?;
        found
            .iter()
            .map(|r| rows::place(r).map_err(|e| fail(unreadable(&self.db, e))))
            .collect()
    }

    async fn set(&self, row: &PlaceRow) -> Result<(), PlaceError> {
        let c = self.db.client().await.map_err(fail)?;
        insert(&c, row, true)
            .await
            .map_err(|e| fail(self.db.error(e)))?;
        drop(c);
        self.db.notify(PLACES_CHANNEL).await;
        Ok(())
    }

    async fn load(&self, rows: &[PlaceRow]) -> Result<u64, PlaceError> {
        let mut c = self.db.client().await.map_err(fail)?;
        let tx = c.transaction().await.map_err(|e| fail(self.db.error(e)))?;
        let mut added = 0;
        for r in rows {
            added += insert(&tx, r, false)
                .await
                .map_err(|e| fail(self.db.error(e)))?;
        }
        tx.commit().await.map_err(|e| fail(self.db.error(e)))?;
        Ok(added)
    }
}
