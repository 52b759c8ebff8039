//! The edit log in the PostgreSQL database replicas share: the same rows as the SQLite log,
//! with real types and versioned migrations (`store::postgres`). An edit made on any replica
//! lands here; the topic's cluster-wide lock (`state`) lets one edit of a topic in at a time,
//! so the ids are the order the edits were made in. A decision on a suggestion is one
//! conditional `UPDATE`: of two moderators deciding at once on two replicas, one wins.

use super::{Database, PgError, unreadable};
use crate::edit::Author;
use crate::store::edits::{
    Decision, EditStore, Entry, LogDump, LogError, LogLoaded, Suggestion, SuggestionRecord,
    also_to_text,
};
use crate::store::rows::{self, Cells, EDIT_COLUMNS as COLUMNS, SUGGESTION_COLUMNS, millis};
use crate::store::stamp;
use chrono::Utc;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

/// Each migration takes the edit log's tables from the version before it to its index + 1.
const MIGRATIONS: [&str; 2] = [
    r#"
CREATE TABLE edits (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    topic TEXT NOT NULL,
    file TEXT NOT NULL,
    action TEXT NOT NULL,
    summary TEXT NOT NULL,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    existed BOOLEAN NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    after_hash TEXT NOT NULL,
    undoes BIGINT REFERENCES edits (id),
    git_commit TEXT
);
CREATE INDEX edits_undoes ON edits (undoes);
CREATE INDEX edits_file ON edits (file, id);
CREATE TABLE suggestions (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    what TEXT NOT NULL,
    topic TEXT NOT NULL,
    actor TEXT,
    base TEXT,
    fields TEXT NOT NULL,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    decision TEXT,
    decided_at TIMESTAMPTZ,
    decided_by TEXT,
    reason TEXT,
    edit BIGINT REFERENCES edits (id)
);
CREATE INDEX suggestions_pending ON suggestions (id) WHERE decision IS NULL;
"#,
    // The other files an edit wrote in the same commit.
    "ALTER TABLE edits ADD COLUMN also TEXT;",
];

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

pub struct PgLog {
    db: Database,
}

fn log_error(e: PgError) -> LogError {
    match e {
        PgError::Unreachable(db, why) => LogError::Unavailable(db, why),
        PgError::Refused(db, why) => LogError::Failed(db, why),
    }
}

/// Add an edit, under `id` when given (a copy; nothing is added when that id is taken) or the
/// next one; the id it was added under.
async fn insert_edit(
    c: &impl GenericClient,
    e: &Entry,
    id: Option<i64>,
) -> Result<Option<i64>, tokio_postgres::Error> {
    c.query_opt(
        "INSERT INTO edits (id, at, topic, file, action, summary, platform, user_id, user_name,
         existed, before, after, after_hash, undoes, git_commit, also)
         VALUES (COALESCE($1, nextval(pg_get_serial_sequence('edits', 'id'))), $2, $3, $4, $5, $6,
         $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (id) DO NOTHING RETURNING id",
        &[
            &id,
            &millis(e.at),
            &e.topic,
            &e.file,
            &e.action.name(),
            &e.summary,
            &e.by.platform.name(),
            &e.by.id,
            &e.by.name,
            &e.existed,
            &e.before,
            &e.after,
            &e.after_hash,
            &e.undoes,
            &e.git_commit,
            &also_to_text(&e.also),
        ],
    )
    .await
    .and_then(|r| r.map(|r| r.try_get(0)).transpose())
}

/// Add a suggestion as [`insert_edit`] adds an edit.
async fn insert_suggestion(
    c: &impl GenericClient,
    r: &SuggestionRecord,
    id: Option<i64>,
) -> Result<Option<i64>, tokio_postgres::Error> {
    let s = &r.suggestion;
    c.query_opt(
        "INSERT INTO suggestions (id, at, what, topic, actor, base, fields, platform, user_id,
         user_name, decision, decided_at, decided_by, reason, edit)
         VALUES (COALESCE($1, nextval(pg_get_serial_sequence('suggestions', 'id'))), $2, $3, $4,
         $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (id) DO NOTHING RETURNING id",
        &[
            &id,
            &millis(r.at),
            &s.what.name(),
            &s.topic,
            &s.actor,
            &s.base,
            &s.fields,
            &s.by.platform.name(),
            &s.by.id,
            &s.by.name,
            &s.decision.map(Decision::name),
            &r.decided_at.map(millis),
            &r.decided_by,
            &r.reason,
            &r.edit,
        ],
    )
    .await
    .and_then(|r| r.map(|r| r.try_get(0)).transpose())
}

impl PgLog {
    /// The log in `db`, its tables migrated to this build's schema.
    pub async fn open(db: Database) -> Result<PgLog, LogError> {
        db.migrate("edits", &MIGRATIONS).await.map_err(log_error)?;
        Ok(PgLog { db })
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, LogError> {
        self.db.client().await.map_err(log_error)
    }

    fn q(&self, e: tokio_postgres::Error) -> LogError {
        log_error(self.db.error(e))
    }

    /// Every row read by `f`; one that does not read is the store's error.
    fn read<T>(
        &self,
        rows: &[Row],
        f: impl Fn(&dyn Cells) -> Result<T, String>,
    ) -> Result<Vec<T>, LogError> {
        rows.iter()
            .map(|r| f(r).map_err(|e| log_error(unreadable(&self.db, e))))
            .collect()
    }

    async fn rows(
        &self,
        sql: &str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, LogError> {
        let c = self.client().await?;
        c.query(sql, args).await.map_err(|e| self.q(e))
    }
}

#[async_trait::async_trait]
impl EditStore for PgLog {
    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.db.name)
    }

    async fn add(&self, e: &Entry) -> Result<i64, LogError> {
        let c = self.client().await?;
        insert_edit(&c, e, None)
            .await
            .map_err(|e| self.q(e))?
            .ok_or_else(|| LogError::Failed(self.db.name.clone(), "no id for the edit".into()))
    }

    async fn recent(&self, file: Option<&str>, n: usize) -> Result<Vec<Entry>, LogError> {
        let rows = self
            .rows(
                &format!(
                    "SELECT {COLUMNS} FROM edits WHERE ($1::TEXT IS NULL OR file = $1) ORDER BY id DESC LIMIT $2"
                ),
                &[&file, &(n as i64)],
            )
            .await?;
        self.read(&rows, rows::entry)
    }

    async fn last_undoable(&self) -> Result<Option<Entry>, LogError> {
        let rows = self
            .rows(
                &format!(
                    "SELECT {COLUMNS} FROM edits e WHERE e.undoes IS NULL
                     AND NOT EXISTS (SELECT 1 FROM edits u WHERE u.undoes = e.id)
                     ORDER BY e.id DESC LIMIT 1"
                ),
                &[],
            )
            .await?;
        Ok(self.read(&rows, rows::entry)?.into_iter().next())
    }

    async fn suggest(&self, s: &Suggestion) -> Result<i64, LogError> {
        let c = self.client().await?;
        insert_suggestion(&c, &SuggestionRecord::new(s.clone()), None)
            .await
            .map_err(|e| self.q(e))?
            .ok_or_else(|| {
                LogError::Failed(self.db.name.clone(), "no id for the suggestion".into())
            })
    }

    async fn pending_from(&self, by: &Author) -> Result<usize, LogError> {
        let rows = self
            .rows(
                "SELECT count(*) FROM suggestions
                 WHERE platform = $1 AND user_id = $2 AND decision IS NULL",
                &[&by.platform.name(), &by.id],
            )
            .await?;
        let n = match rows.first() {
            Some(r) => r.try_get::<_, i64>(0).map_err(|e| self.q(e))?,
            None => 0,
        };
        Ok(n as usize)
    }

    async fn pending(&self, n: usize) -> Result<(Vec<(Suggestion, String)>, usize), LogError> {
        let c = self.client().await?;
        let total: i64 = c
            .query_one(
                "SELECT count(*) FROM suggestions WHERE decision IS NULL",
                &[],
            )
            .await
            .and_then(|r| r.try_get(0))
            .map_err(|e| self.q(e))?;
        let rows = c
            .query(
                &format!(
                    "SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE decision IS NULL ORDER BY id LIMIT $1"
                ),
                &[&(n as i64)],
            )
            .await
            .map_err(|e| self.q(e))?;
        let rows = self
            .read(&rows, rows::suggestion_record)?
            .into_iter()
            .map(|r| (r.suggestion, stamp::write(r.at)))
            .collect();
        Ok((rows, total as usize))
    }

    async fn suggestion(&self, id: i64) -> Result<Option<Suggestion>, LogError> {
        let rows = self
            .rows(
                &format!("SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE id = $1"),
                &[&id],
            )
            .await?;
        Ok(self.read(&rows, rows::suggestion)?.into_iter().next())
    }

    async fn decide(
        &self,
        id: i64,
        decision: Decision,
        by: &Author,
        reason: Option<&str>,
        edit: Option<i64>,
    ) -> Result<bool, LogError> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE suggestions SET decision = $2, decided_at = $3, decided_by = $4, reason = $5, edit = $6
                 WHERE id = $1 AND decision IS NULL",
                &[
                    &id,
                    &decision.name(),
                    &millis(Utc::now()),
                    &by.describe(),
                    &reason,
                    &edit,
                ],
            )
            .await
            .map_err(|e| self.q(e))?;
        Ok(n == 1)
    }

    async fn dump(&self) -> Result<LogDump, LogError> {
        let edits = self
            .rows(&format!("SELECT {COLUMNS} FROM edits ORDER BY id"), &[])
            .await?;
        let suggestions = self
            .rows(
                &format!("SELECT {SUGGESTION_COLUMNS} FROM suggestions ORDER BY id"),
                &[],
            )
            .await?;
        Ok(LogDump {
            edits: self.read(&edits, rows::entry)?,
            suggestions: self.read(&suggestions, rows::suggestion_record)?,
        })
    }

    async fn load(&self, dump: &LogDump) -> Result<LogLoaded, LogError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(|e| self.q(e))?;
        let mut loaded = LogLoaded::default();
        for e in &dump.edits {
            let added = insert_edit(&tx, e, Some(e.id)).await;
            loaded.edits += added.map_err(|e| self.q(e))?.is_some() as u64;
        }
        for r in &dump.suggestions {
            let added = insert_suggestion(&tx, r, Some(r.suggestion.id)).await;
            loaded.suggestions += added.map_err(|e| self.q(e))?.is_some() as u64;
        }
        // New rows continue after the copied ids.
        tx.batch_execute(
            "SELECT setval(pg_get_serial_sequence('edits', 'id'), GREATEST((SELECT MAX(id) FROM edits), 1));
             SELECT setval(pg_get_serial_sequence('suggestions', 'id'), GREATEST((SELECT MAX(id) FROM suggestions), 1));",
        )
        .await
        .map_err(|e| self.q(e))?;
        tx.commit().await.map_err(|e| self.q(e))?;
        Ok(loaded)
    }
}
