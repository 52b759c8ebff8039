//! The edit log and the members' suggestions in the state file: ids only grow (`AUTOINCREMENT`),
//! a decision is taken once (`WHERE decision IS NULL`), and a copy from another store keeps
//! its ids and adds nothing twice.

use super::{Db, DbError, Rows};
use crate::edit::Author;
use crate::store::edits::*;
use crate::store::rows::{self, EDIT_COLUMNS, SUGGESTION_COLUMNS};
use crate::store::stamp;
use rusqlite::{Connection, OptionalExtension, params};

/// The edit log kept in the state file.
pub struct SqliteLog {
    db: Db,
}

fn log_error(e: DbError) -> LogError {
    LogError::Failed(e.path, e.why)
}

fn insert_edit(c: &Connection, e: &Entry, id: Option<i64>) -> rusqlite::Result<usize> {
    c.execute(
        "INSERT OR IGNORE INTO edits (id, at, topic, file, action, summary, platform, user_id,
         user_name, existed, before, after, after_hash, undoes, git_commit, also)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            id,
            stamp::write(e.at),
            e.topic,
            e.file,
            e.action.name(),
            e.summary,
            e.by.platform.name(),
            e.by.id,
            e.by.name,
            e.existed,
            e.before,
            e.after,
            e.after_hash,
            e.undoes,
            e.git_commit,
            also_to_text(&e.also),
        ],
    )
}

fn insert_suggestion(
    c: &Connection,
    r: &SuggestionRecord,
    id: Option<i64>,
) -> rusqlite::Result<usize> {
    let s = &r.suggestion;
    c.execute(
        "INSERT OR IGNORE INTO suggestions (id, at, what, topic, actor, base, fields, platform,
         user_id, user_name, decision, decided_at, decided_by, reason, edit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            id,
            stamp::write(r.at),
            s.what.name(),
            s.topic,
            s.actor,
            s.base,
            s.fields,
            s.by.platform.name(),
            s.by.id,
            s.by.name,
            s.decision.map(Decision::name),
            r.decided_at.map(stamp::write),
            r.decided_by,
            r.reason,
            r.edit,
        ],
    )
}

impl SqliteLog {
    pub fn new(db: Db) -> SqliteLog {
        SqliteLog { db }
    }
}

#[async_trait::async_trait]
impl EditStore for SqliteLog {
    fn describe(&self) -> String {
        self.db.describe()
    }

    async fn add(&self, e: &Entry) -> Result<i64, LogError> {
        let e = e.clone();
        self.db
            .write(move |c| {
                insert_edit(c, &e, None)?;
                Ok(c.last_insert_rowid())
            })
            .await
            .map_err(log_error)
    }

    async fn recent(&self, file: Option<&str>, n: usize) -> Result<Vec<Entry>, LogError> {
        let file = file.map(str::to_owned);
        self.db
            .read(move |c| {
                c.prepare_cached(&format!(
                    "SELECT {EDIT_COLUMNS} FROM edits WHERE (?1 IS NULL OR file = ?1) ORDER BY id DESC LIMIT ?2"
                ))?
                .rows_of(params![file, n as i64], rows::entry)
            })
            .await
            .map_err(log_error)
    }

    async fn last_undoable(&self) -> Result<Option<Entry>, LogError> {
        self.db
            .read(|c| {
                c.query_row(
                    &format!(
                        "SELECT {EDIT_COLUMNS} FROM edits e WHERE e.undoes IS NULL
                         AND NOT EXISTS (SELECT 1 FROM edits u WHERE u.undoes = e.id)
                         ORDER BY e.id DESC LIMIT 1"
                    ),
                    [],
                    |r| super::mapped(r, rows::entry),
                )
                .optional()
            })
            .await
            .map_err(log_error)
    }

    async fn suggest(&self, s: &Suggestion) -> Result<i64, LogError> {
        let r = SuggestionRecord::new(s.clone());
        self.db
            .write(move |c| {
                insert_suggestion(c, &r, None)?;
                Ok(c.last_insert_rowid())
            })
            .await
            .map_err(log_error)
    }

    async fn pending_from(&self, by: &Author) -> Result<usize, LogError> {
        let by = by.clone();
        self.db
            .read(move |c| {
                c.query_row(
                    "SELECT COUNT(*) FROM suggestions
                     WHERE platform = ?1 AND user_id = ?2 AND decision IS NULL",
                    params![by.platform.name(), by.id],
                    |r| r.get::<_, i64>(0),
                )
            })
            .await
            .map(|n| n as usize)
            .map_err(log_error)
    }

    async fn pending(&self, n: usize) -> Result<(Vec<(Suggestion, String)>, usize), LogError> {
        self.db
            .read(move |c| {
                let total: i64 = c.query_row(
                    "SELECT COUNT(*) FROM suggestions WHERE decision IS NULL",
                    [],
                    |r| r.get(0),
                )?;
                let rows = c
                    .prepare_cached(&format!(
                        "SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE decision IS NULL ORDER BY id LIMIT ?1"
                    ))?
                    .rows_of([n as i64], rows::suggestion_record)?;
                let rows = rows
                    .into_iter()
                    .map(|r| (r.suggestion, stamp::write(r.at)))
                    .collect();
                Ok((rows, total as usize))
            })
            .await
            .map_err(log_error)
    }

    async fn suggestion(&self, id: i64) -> Result<Option<Suggestion>, LogError> {
        self.db
            .read(move |c| {
                c.query_row(
                    &format!("SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE id = ?1"),
                    [id],
                    |r| super::mapped(r, rows::suggestion),
                )
                .optional()
            })
            .await
            .map_err(log_error)
    }

    async fn decide(
        &self,
        id: i64,
        decision: Decision,
        by: &Author,
        reason: Option<&str>,
        edit: Option<i64>,
    ) -> Result<bool, LogError> {
        let (decision, by, reason) = (decision.name(), by.describe(), reason.map(str::to_owned));
        let n = self
            .db
            .write(move |c| {
                c.execute(
                    "UPDATE suggestions SET decision = ?2, decided_at = ?3, decided_by = ?4, reason = ?5, edit = ?6
                     WHERE id = ?1 AND decision IS NULL",
                    params![id, decision, stamp::write(chrono::Utc::now()), by, reason, edit],
                )
            })
            .await
            .map_err(log_error)?;
        Ok(n == 1)
    }

    async fn dump(&self) -> Result<LogDump, LogError> {
        self.db
            .read(|c| {
                Ok(LogDump {
                    edits: c
                        .prepare(&format!("SELECT {EDIT_COLUMNS} FROM edits ORDER BY id"))?
                        .rows_of([], rows::entry)?,
                    suggestions: c
                        .prepare(&format!(
                            "SELECT {SUGGESTION_COLUMNS} FROM suggestions ORDER BY id"
                        ))?
                        .rows_of([], rows::suggestion_record)?,
                })
            })
            .await
            .map_err(log_error)
    }

    async fn load(&self, dump: &LogDump) -> Result<LogLoaded, LogError> {
        let dump = dump.clone();
        self.db
            .write(move |c| {
                let tx = c.transaction()?;
                let mut loaded = LogLoaded::default();
                for e in &dump.edits {
                    loaded.edits += insert_edit(&tx, e, Some(e.id))? as u64;
                }
                for r in &dump.suggestions {
                    loaded.suggestions += insert_suggestion(&tx, r, Some(r.suggestion.id))? as u64;
                }
                tx.commit()?;
                Ok(loaded)
            })
            .await
            .map_err(log_error)
    }
}
