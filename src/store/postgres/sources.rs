//! The sources' looks in the database replicas share: one replica looks, every replica shows
//! the verdicts.

use super::{Database, PgError, unreadable};
use crate::store::rows::{self, SOURCE_CHECK_COLUMNS, millis};
use crate::store::sources::*;

/// Each migration takes the tables from the version before it to its index + 1.
const MIGRATIONS: [&str; 1] = ["
CREATE TABLE source_checks (
    topic TEXT NOT NULL,
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    http BIGINT,
    checked_at TIMESTAMPTZ NOT NULL,
    failing_since TIMESTAMPTZ,
    moved_to TEXT,
    fingerprint TEXT,
    words BIGINT,
    changed_at TIMESTAMPTZ,
    PRIMARY KEY (topic, id)
);
"];

/// The sources' looks kept in the shared database.
pub struct PgSources {
    db: Database,
}

fn fail(e: PgError) -> SourcesError {
    match e {
        PgError::Unreachable(..) => SourcesError::Unavailable(e.to_string()),
        PgError::Refused(..) => SourcesError::Store(e.to_string()),
    }
}

impl PgSources {
    /// The sources' tables in `db`, migrated to this build's schema.
    pub async fn open(db: Database) -> Result<PgSources, SourcesError> {
        db.migrate("sources", &MIGRATIONS).await.map_err(fail)?;
        Ok(PgSources { db })
    }
}

#[async_trait::async_trait]
impl SourceStore for PgSources {
    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.db.name)
    }

    fn shared(&self) -> Option<&Database> {
        Some(&self.db)
    }

    async fn tell_replicas(&self) {
        self.db.notify(SOURCES_CHANNEL).await;
    }

    async fn checks(&self, topic: Option<&str>) -> Result<Vec<SourceCheck>, SourcesError> {
        let c = self.db.client().await.map_err(fail)?;
        let found = c
            .query(
                &format!(
                    "SELECT {SOURCE_CHECK_COLUMNS} FROM source_checks
                     WHERE ($1::TEXT IS NULL OR topic = $1) ORDER BY topic, id"
                ),
                &[&topic],
            )
            .await
            .map_err(|e| fail(self.db.error(e)))?;
        found
            .iter()
            .map(|r| rows::source_check(r).map_err(|e| fail(unreadable(&self.db, e))))
            .collect()
    }

    async fn save(&self, k: &SourceCheck) -> Result<(), SourcesError> {
        let c = self.db.client().await.map_err(fail)?;
        c.execute(
            &format!(
                "INSERT INTO source_checks ({SOURCE_CHECK_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (topic, id) DO UPDATE SET url = $3, status = $4, http = $5,
                   checked_at = $6, failing_since = $7, moved_to = $8, fingerprint = $9,
                   words = $10, changed_at = $11"
            ),
            &[
                &k.topic,
                &k.id,
                &k.url,
                &k.status,
                &k.http,
                &millis(k.checked_at),
                &k.failing_since.map(millis),
                &k.moved_to,
                &k.fingerprint,
                &k.words,
                &k.changed_at.map(millis),
            ],
        )
        .await
        .map_err(|e| fail(self.db.error(e)))?;
        Ok(())
    }
}
