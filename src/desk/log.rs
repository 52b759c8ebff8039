//! The edit log: every edit made from chat, who made it and the card's text before and after,
//! in `state/edits.sqlite3`. Edits are only ever added; an undo is a row of its own that names
//! the edit it reverts. `history` and `undo` read it, with or without git. Suggestions live
//! beside it, each decided once (approved, with the edit it became, or rejected).

use crate::edit::Author;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};

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

/// A suggested edit, waiting for a moderator or decided.
#[derive(Clone, Debug)]
pub struct Suggestion {
    pub id: i64,
    /// `position`, `correction`, `event` or `source`.
    pub what: String,
    pub topic: String,
    pub actor: Option<String>,
    /// The card's content hash when the suggestion was made.
    pub base: Option<String>,
    /// The fields, as `Form::to_json` keeps them.
    pub fields: String,
    pub by: Author,
    /// `approved` or `rejected`, once decided.
    pub decision: Option<String>,
}

/// An edit as logged.
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub topic: String,
    /// Relative to the briefings folder.
    pub file: String,
    pub action: String,
    pub summary: String,
    pub by: Author,
    /// The file existed before the edit (an undo of its creation removes it).
    pub existed: bool,
    pub before: String,
    pub after: String,
    pub after_hash: String,
    pub undoes: Option<i64>,
    pub git_commit: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("the edit log {}: {source}", path.display())]
pub struct LogError {
    path: PathBuf,
    #[source]
    source: rusqlite::Error,
}

pub struct EditLog {
    conn: Connection,
    path: PathBuf,
}

impl EditLog {
    pub fn open(path: &Path) -> Result<EditLog, LogError> {
        let err = |source| LogError {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(EditLog {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self, source: rusqlite::Error) -> LogError {
        LogError {
            path: self.path.clone(),
            source,
        }
    }

    /// Add an edit; its id.
    pub fn add(&self, e: &Entry) -> Result<i64, LogError> {
        self.conn
            .execute(
                "INSERT INTO edits (at, topic, file, action, summary, platform, user_id, user_name,
                 existed, before, after, after_hash, undoes, git_commit)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
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
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
        let at: String = r.get(1)?;
        Ok(Entry {
            id: r.get(0)?,
            at: chrono::DateTime::parse_from_rfc3339(&at)
                .map(|d| d.with_timezone(&chrono::Utc))
                .unwrap_or_default(),
            topic: r.get(2)?,
            file: r.get(3)?,
            action: r.get(4)?,
            summary: r.get(5)?,
            by: Self::author(r, 6)?,
            existed: r.get(9)?,
            before: r.get(10)?,
            after: r.get(11)?,
            after_hash: r.get(12)?,
            undoes: r.get(13)?,
            git_commit: r.get(14)?,
        })
    }

    /// An author from three columns: platform, user id, name.
    fn author(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Author> {
        Ok(Author {
            platform: r.get(first)?,
            id: r.get(first + 1)?,
            name: r.get(first + 2)?,
        })
    }

    const COLUMNS: &'static str = "id, at, topic, file, action, summary, platform, user_id, user_name, existed, before, after, after_hash, undoes, git_commit";

    /// The latest edits, newest first; only those of `file` when given.
    pub fn recent(&self, file: Option<&str>, n: usize) -> Result<Vec<Entry>, LogError> {
        let sql = format!(
            "SELECT {} FROM edits WHERE (?1 IS NULL OR file = ?1) ORDER BY id DESC LIMIT ?2",
            Self::COLUMNS
        );
        let mut st = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![file, n as i64], Self::row)
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// How many of `by`'s suggestions wait for a decision.
    pub fn pending_from(&self, by: &Author) -> Result<usize, LogError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM suggestions
                 WHERE platform = ?1 AND user_id = ?2 AND decision IS NULL",
                params![by.platform, by.id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }

    /// Keep a suggestion; its number.
    pub fn suggest(&self, s: &Suggestion) -> Result<i64, LogError> {
        self.conn
            .execute(
                "INSERT INTO suggestions (at, what, topic, actor, base, fields, platform, user_id, user_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    s.what,
                    s.topic,
                    s.actor,
                    s.base,
                    s.fields,
                    s.by.platform,
                    s.by.id,
                    s.by.name,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The suggestions waiting for a decision, oldest first, at most `n`; and how many wait.
    pub fn pending(&self, n: usize) -> Result<(Vec<(Suggestion, String)>, usize), LogError> {
        let total: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM suggestions WHERE decision IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let mut st = self
            .conn
            .prepare(
                "SELECT id, what, topic, actor, base, fields, platform, user_id, user_name, decision, at
                 FROM suggestions WHERE decision IS NULL ORDER BY id LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([n as i64], |r| {
                Ok((Self::suggestion_row(r)?, r.get::<_, String>(10)?))
            })
            .map_err(|e| self.err(e))?;
        let rows = rows.collect::<Result<_, _>>().map_err(|e| self.err(e))?;
        Ok((rows, total as usize))
    }

    fn suggestion_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suggestion> {
        Ok(Suggestion {
            id: r.get(0)?,
            what: r.get(1)?,
            topic: r.get(2)?,
            actor: r.get(3)?,
            base: r.get(4)?,
            fields: r.get(5)?,
            by: Self::author(r, 6)?,
            decision: r.get(9)?,
        })
    }

    pub fn suggestion(&self, id: i64) -> Result<Option<Suggestion>, LogError> {
        self.conn
            .query_row(
                "SELECT id, what, topic, actor, base, fields, platform, user_id, user_name, decision
                 FROM suggestions WHERE id = ?1",
                [id],
                Self::suggestion_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Record a decision on a pending suggestion; false if it was already decided.
    pub fn decide(
        &self,
        id: i64,
        decision: &str,
        by: &Author,
        reason: Option<&str>,
        edit: Option<i64>,
    ) -> Result<bool, LogError> {
        let n = self
            .conn
            .execute(
                "UPDATE suggestions SET decision = ?2, decided_at = ?3, decided_by = ?4, reason = ?5, edit = ?6
                 WHERE id = ?1 AND decision IS NULL",
                params![
                    id,
                    decision,
                    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    by.describe(),
                    reason,
                    edit,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    /// The newest edit that is not an undo and has not been undone.
    pub fn last_undoable(&self) -> Result<Option<Entry>, LogError> {
        let sql = format!(
            "SELECT {} FROM edits e WHERE e.undoes IS NULL
             AND NOT EXISTS (SELECT 1 FROM edits u WHERE u.undoes = e.id)
             ORDER BY e.id DESC LIMIT 1",
            Self::COLUMNS
        );
        self.conn
            .query_row(&sql, [], Self::row)
            .optional()
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(file: &str, undoes: Option<i64>) -> Entry {
        Entry {
            id: 0,
            at: chrono::Utc::now(),
            topic: "t".into(),
            file: file.into(),
            action: "position".into(),
            summary: "s".into(),
            by: Author {
                platform: "matrix".into(),
                id: "@a:b".into(),
                name: "A".into(),
            },
            existed: true,
            before: "x".into(),
            after: "y".into(),
            after_hash: "h".into(),
            undoes,
            git_commit: None,
        }
    }

    #[test]
    fn undo_walks_back_through_edits_not_yet_undone() {
        let dir = std::env::temp_dir().join(format!("dossier-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let log = EditLog::open(&dir.join("edits.sqlite3")).unwrap();
        assert!(log.last_undoable().unwrap().is_none());
        let a = log.add(&entry("a.toml", None)).unwrap();
        let b = log.add(&entry("b.toml", None)).unwrap();
        assert_eq!(log.last_undoable().unwrap().unwrap().id, b);
        log.add(&entry("b.toml", Some(b))).unwrap();
        assert_eq!(log.last_undoable().unwrap().unwrap().id, a);
        assert_eq!(log.recent(None, 10).unwrap().len(), 3);
        assert_eq!(log.recent(Some("a.toml"), 10).unwrap().len(), 1);
        // Reopened, it remembers.
        drop(log);
        let log = EditLog::open(&dir.join("edits.sqlite3")).unwrap();
        assert_eq!(log.last_undoable().unwrap().unwrap().id, a);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
