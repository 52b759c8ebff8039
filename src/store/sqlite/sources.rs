//! The sources' looks in the state file.

use super::{Db, Rows};
use crate::store::rows;
use crate::store::sources::*;
use crate::store::stamp;
use rusqlite::params;

/// The sources' looks kept in the state file.
pub struct SqliteSources {
    db: Db,
}

impl SqliteSources {
    pub fn new(db: Db) -> SqliteSources {
        SqliteSources { db }
    }
}

fn fail(e: super::DbError) -> SourcesError {
    SourcesError::Store(e.to_string())
}

#[async_trait::async_trait]
impl SourceStore for SqliteSources {
    fn describe(&self) -> String {
        self.db.describe()
    }

    async fn checks(&self, topic: Option<&str>) -> Result<Vec<SourceCheck>, SourcesError> {
        let topic = topic.map(str::to_owned);
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {} FROM source_checks WHERE (?1 IS NULL OR topic = ?1) ORDER BY topic, id",
                    rows::SOURCE_CHECK_COLUMNS
                ))?
                .rows_of(params![topic], rows::source_check)
            })
            .await
            .map_err(fail)
    }

    async fn save(&self, k: &SourceCheck) -> Result<(), SourcesError> {
        let k = k.clone();
        self.db
            .write(move |c| {
                c.execute(
                    &format!(
                        "INSERT INTO source_checks ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                         ON CONFLICT (topic, id) DO UPDATE SET url = ?3, status = ?4, http = ?5,
                           checked_at = ?6, failing_since = ?7, moved_to = ?8, fingerprint = ?9,
                           words = ?10, changed_at = ?11",
                        rows::SOURCE_CHECK_COLUMNS
                    ),
                    params![
                        k.topic,
                        k.id,
                        k.url,
                        k.status,
                        k.http,
                        stamp::write(k.checked_at),
                        k.failing_since.map(stamp::write),
                        k.moved_to,
                        k.fingerprint,
                        k.words,
                        k.changed_at.map(stamp::write),
                    ],
                )
            })
            .await
            .map(|_| ())
            .map_err(fail)
    }
}
