//! The places' topics in the state file.

use super::{Db, Rows};
use crate::store::places::*;
use crate::store::rows::{self, PLACE_COLUMNS};
use crate::store::stamp;
use rusqlite::{Connection, params};

/// The places' topics kept in the state file.
pub struct SqlitePlaces {
    db: Db,
}

impl SqlitePlaces {
    pub fn new(db: Db) -> SqlitePlaces {
        SqlitePlaces { db }
    }
}

fn fail(e: super::DbError) -> PlaceError {
    PlaceError::Store(e.to_string())
}

fn insert(c: &Connection, r: &PlaceRow, replace: bool) -> rusqlite::Result<usize> {
    let on_conflict = match replace {
        true => "DO UPDATE SET topic = ?3, set_by = ?4, set_at = ?5",
        false => "DO NOTHING",
    };
    c.execute(
        &format!(
            "INSERT INTO place_topics ({PLACE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (platform, place) {on_conflict}"
        ),
        params![
            r.platform,
            r.place,
            r.topic,
            r.set_by,
            stamp::write(r.set_at)
        ],
    )
}

#[async_trait::async_trait]
impl PlaceStore for SqlitePlaces {
    fn describe(&self) -> String {
        self.db.describe()
    }

    async fn all(&self) -> Result<Vec<PlaceRow>, PlaceError> {
        self.db
            .read(|c| {
                c.prepare(&format!(
                    "SELECT {PLACE_COLUMNS} FROM place_topics ORDER BY platform, place"
                ))?
                .rows_of([], rows::place)
            })
            .await
            .map_err(fail)
    }

    async fn set(&self, row: &PlaceRow) -> Result<(), PlaceError> {
        let row = row.clone();
        self.db
            .write(move |c| insert(c, &row, true).map(drop))
            .await
            .map_err(fail)
    }

    async fn load(&self, rows: &[PlaceRow]) -> Result<u64, PlaceError> {
        let rows = rows.to_vec();
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let mut added = 0;
                for r in &rows {
                    added += insert(&tx, r, false)? as u64;
                }
                tx.commit()?;
                Ok(added)
            })
            .await
            .map_err(fail)
    }
}
