//! The edit log in `state/edits.sqlite3`, for one process: the [`EditStore`] of `dossier serve`
//! when it keeps its state in a folder. One connection behind a mutex; each call is one short
//! statement on a local file.

use super::log::{
    COLUMNS, EditStore, Entry, LogDump, LogError, LogLoaded, SUGGESTION_COLUMNS, Suggestion,
    SuggestionRecord, stamp,
};
use crate::edit::Author;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS edits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    topic TEXT NOT NULL,
    file TEXT NOT NULL,
    action TEXT NOT NULL,
    summary TEXT NOT NULL,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    existed INTEGER NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    after_hash TEXT NOT NULL,
    undoes INTEGER REFERENCES edits(id),
    git_commit TEXT
);
CREATE INDEX IF NOT EXISTS edits_undoes ON edits(undoes);
CREATE TABLE IF NOT EXISTS suggestions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    what TEXT NOT NULL,
    topic TEXT NOT NULL,
    actor TEXT,
    base TEXT,
    fields TEXT NOT NULL,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    decision TEXT,
    decided_at TEXT,
    decided_by TEXT,
    reason TEXT,
    edit INTEGER REFERENCES edits(id)
);
";

/// The schema this build reads and writes (`PRAGMA user_version`; files from before versions
/// were kept read as 0 and are the same tables).
const SCHEMA_VERSION: i64 = 1;

pub struct SqliteLog {
    conn: Mutex<Connection>,
    path: PathBuf,
}

fn parse_ts(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

/// An author from three columns: platform, user id, name.
fn author(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Author> {
    Ok(Author {
        platform: r.get(first)?,
        id: r.get(first + 1)?,
        name: r.get(first + 2)?,
    })
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        at: parse_ts(&r.get::<_, String>(1)?),
        topic: r.get(2)?,
        file: r.get(3)?,
        action: r.get(4)?,
        summary: r.get(5)?,
        by: author(r, 6)?,
        existed: r.get(9)?,
        before: r.get(10)?,
        after: r.get(11)?,
        after_hash: r.get(12)?,
        undoes: r.get(13)?,
        git_commit: r.get(14)?,
    })
}

fn suggestion(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suggestion> {
    Ok(Suggestion {
        id: r.get(0)?,
        what: r.get(1)?,
        topic: r.get(2)?,
        actor: r.get(3)?,
        base: r.get(4)?,
        fields: r.get(5)?,
        by: author(r, 6)?,
        decision: r.get(9)?,
    })
}

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<SuggestionRecord> {
    Ok(SuggestionRecord {
        suggestion: suggestion(r)?,
        at: parse_ts(&r.get::<_, String>(10)?),
        decided_at: r.get::<_, Option<String>>(11)?.as_deref().map(parse_ts),
        decided_by: r.get(12)?,
        reason: r.get(13)?,
        edit: r.get(14)?,
    })
}

impl SqliteLog {
    /// The log in `path` (created, with its folder, if missing); a file written by a newer
    /// dossier is refused with nothing changed.
    pub fn open(path: &Path) -> Result<SqliteLog, LogError> {
        let conn = crate::service::sqlite::open(path, SCHEMA, SCHEMA_VERSION)
            .map_err(|e| LogError::Failed(path.display().to_string(), e))?;
        Ok(SqliteLog {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    fn err(&self, e: rusqlite::Error) -> LogError {
        LogError::Failed(self.path.display().to_string(), e.to_string())
    }

    /// The connection; a panic elsewhere while it was held leaves it usable (SQLite keeps the
    /// file consistent).
    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn insert_edit(c: &Connection, e: &Entry, id: Option<i64>) -> rusqlite::Result<usize> {
        c.execute(
            "INSERT OR IGNORE INTO edits (id, at, topic, file, action, summary, platform, user_id,
             user_name, existed, before, after, after_hash, undoes, git_commit)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                id,
                stamp(e.at),
                e.topic,
                e.file,
                e.action,
                e.summary,
                e.by.platform,
                e.by.id,
                e.by.name,
                e.existed,
                e.before,
                e.after,
                e.after_hash,
                e.undoes,
                e.git_commit,
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
                stamp(r.at),
                s.what,
                s.topic,
                s.actor,
                s.base,
                s.fields,
                s.by.platform,
                s.by.id,
                s.by.name,
                s.decision,
                r.decided_at.map(stamp),
                r.decided_by,
                r.reason,
                r.edit,
            ],
        )
    }

    fn all<T>(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, LogError> {
        let c = self.conn();
        let mut st = c.prepare(sql).map_err(|e| self.err(e))?;
        let rows = st.query_map(args, row).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

#[async_trait::async_trait]
impl EditStore for SqliteLog {
    fn describe(&self) -> String {
        format!("SQLite file {}", self.path.display())
    }

    async fn add(&self, e: &Entry) -> Result<i64, LogError> {
        let c = self.conn();
        Self::insert_edit(&c, e, None).map_err(|e| self.err(e))?;
        Ok(c.last_insert_rowid())
    }

    async fn recent(&self, file: Option<&str>, n: usize) -> Result<Vec<Entry>, LogError> {
        self.all(
            &format!(
                "SELECT {COLUMNS} FROM edits WHERE (?1 IS NULL OR file = ?1) ORDER BY id DESC LIMIT ?2"
            ),
            params![file, n as i64],
            entry,
        )
    }

    async fn last_undoable(&self) -> Result<Option<Entry>, LogError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM edits e WHERE e.undoes IS NULL
             AND NOT EXISTS (SELECT 1 FROM edits u WHERE u.undoes = e.id)
             ORDER BY e.id DESC LIMIT 1"
        );
        self.conn()
            .query_row(&sql, [], entry)
            .optional()
            .map_err(|e| self.err(e))
    }

    async fn suggest(&self, s: &Suggestion) -> Result<i64, LogError> {
        let c = self.conn();
        Self::insert_suggestion(&c, &SuggestionRecord::new(s.clone()), None)
            .map_err(|e| self.err(e))?;
        Ok(c.last_insert_rowid())
    }

    async fn pending_from(&self, by: &Author) -> Result<usize, LogError> {
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM suggestions
                 WHERE platform = ?1 AND user_id = ?2 AND decision IS NULL",
                params![by.platform, by.id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }

    async fn pending(&self, n: usize) -> Result<(Vec<(Suggestion, String)>, usize), LogError> {
        let total: i64 = self
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM suggestions WHERE decision IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let rows = self.all(
            &format!(
                "SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE decision IS NULL ORDER BY id LIMIT ?1"
            ),
            [n as i64],
            |r| Ok((suggestion(r)?, r.get::<_, String>(10)?)),
        )?;
        Ok((rows, total as usize))
    }

    async fn suggestion(&self, id: i64) -> Result<Option<Suggestion>, LogError> {
        self.conn()
            .query_row(
                &format!("SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE id = ?1"),
                [id],
                suggestion,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    async fn decide(
        &self,
        id: i64,
        decision: &str,
        by: &Author,
        reason: Option<&str>,
        edit: Option<i64>,
    ) -> Result<bool, LogError> {
        let n = self
            .conn()
            .execute(
                "UPDATE suggestions SET decision = ?2, decided_at = ?3, decided_by = ?4, reason = ?5, edit = ?6
                 WHERE id = ?1 AND decision IS NULL",
                params![
                    id,
                    decision,
                    stamp(chrono::Utc::now()),
                    by.describe(),
                    reason,
                    edit,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    async fn dump(&self) -> Result<LogDump, LogError> {
        Ok(LogDump {
            edits: self.all(
                &format!("SELECT {COLUMNS} FROM edits ORDER BY id"),
                [],
                entry,
            )?,
            suggestions: self.all(
                &format!("SELECT {SUGGESTION_COLUMNS} FROM suggestions ORDER BY id"),
                [],
                record,
            )?,
        })
    }

    async fn load(&self, dump: &LogDump) -> Result<LogLoaded, LogError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let mut loaded = LogLoaded::default();
        for e in &dump.edits {
            loaded.edits += Self::insert_edit(&tx, e, Some(e.id)).map_err(|e| self.err(e))? as u64;
        }
        for r in &dump.suggestions {
            let added = Self::insert_suggestion(&tx, r, Some(r.suggestion.id));
            loaded.suggestions += added.map_err(|e| self.err(e))? as u64;
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(loaded)
    }
}
