//! The state of one process in one SQLite file, `state/dossier.sqlite3`: one versioned list of
//! migrations for every table, WAL, a busy timeout, and every call made on a blocking thread,
//! never on the runtime's workers. Writes go through one connection, one at a time; reads take
//! one of a few connections of their own, so a reader (a web request for a change page) never
//! waits for a writer (a feed record). A corrupt file, or one written by a newer dossier, is an
//! error naming the file with nothing changed, never a silent reset. On first start beside the
//! four files earlier versions kept, their rows are copied in (`upgrade`).

pub mod edits;
pub mod feed;
pub mod follows;
pub mod news;
pub mod places;
pub mod schedules;
pub mod sources;
pub mod upgrade;

use super::rows::{Cells, RowError};
use super::stamp;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The file's name in the state folder.
pub const FILE: &str = "dossier.sqlite3";

/// How long a call waits for another process holding the file's write lock.
const BUSY: Duration = Duration::from_secs(5);

/// Connections that only read, besides the one that writes.
const READERS: usize = 3;

/// Each migration takes the file from the version before it to its index + 1. The first holds
/// every table as the four files of earlier versions had them, so their rows copy across as
/// they are.
const MIGRATIONS: [&str; 6] = [
    r#"
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    destination TEXT NOT NULL,
    topic TEXT NOT NULL,
    at TEXT NOT NULL,
    timezone TEXT NOT NULL,
    when_unchanged TEXT NOT NULL,
    catch_up_secs INTEGER NOT NULL,
    from_config INTEGER NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX subscriptions_place ON subscriptions (platform, destination, topic, at, timezone);
CREATE TABLE posts (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    day TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    state TEXT NOT NULL,
    owner TEXT,
    claimed_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at TEXT,
    message_id TEXT,
    error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (subscription_id, day)
);
CREATE TABLE snapshots (
    platform TEXT NOT NULL,
    destination TEXT NOT NULL,
    topic TEXT NOT NULL,
    body TEXT NOT NULL,
    day TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (platform, destination, topic)
);
CREATE TABLE edits (
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
CREATE INDEX edits_undoes ON edits(undoes);
CREATE INDEX edits_file ON edits (file, id);
CREATE TABLE suggestions (
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
CREATE TABLE place_topics (
    platform TEXT NOT NULL,
    place TEXT NOT NULL,
    topic TEXT NOT NULL,
    set_by TEXT,
    set_at TEXT NOT NULL,
    PRIMARY KEY (platform, place)
);
CREATE TABLE feed_entries (
    topic TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    title TEXT NOT NULL,
    reply TEXT NOT NULL,
    PRIMARY KEY (topic, seq)
);
CREATE TABLE feed_marks (
    topic TEXT PRIMARY KEY,
    snapshot TEXT NOT NULL,
    day TEXT NOT NULL
);
"#,
    // Which files of earlier versions were taken in, and when.
    r#"
CREATE TABLE taken_in (
    file TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
"#,
    // The newsdesk: each feed's last fetch, the items seen, the proposals. And what the
    // scheduler wakes for (`unsettled`), without reading every post ever made.
    r#"
CREATE INDEX posts_unsettled ON posts (day) WHERE state IN ('claimed', 'failed');
CREATE TABLE news_feeds (
    topic TEXT NOT NULL,
    feed TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT,
    error TEXT,
    failing_since TEXT,
    items_seen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (topic, feed)
);
CREATE TABLE news_proposals (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    reason TEXT
);
CREATE TABLE news_items (
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    outlet TEXT NOT NULL,
    fate TEXT NOT NULL,
    score INTEGER NOT NULL,
    proposal_id INTEGER REFERENCES news_proposals(id),
    seen_at TEXT NOT NULL,
    PRIMARY KEY (topic, key)
);
CREATE INDEX news_items_seen ON news_items (seen_at);
"#,
    // The other files an edit wrote in the same commit (JSON); when a feed that said
    // `Retry-After` may be asked again.
    "ALTER TABLE edits ADD COLUMN also TEXT; ALTER TABLE news_feeds ADD COLUMN retry_at TEXT;",
    // What is known of each cited page.
    r#"
CREATE TABLE source_checks (
    topic TEXT NOT NULL,
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    http INTEGER,
    checked_at TEXT NOT NULL,
    failing_since TEXT,
    moved_to TEXT,
    fingerprint TEXT,
    words INTEGER,
    changed_at TEXT,
    PRIMARY KEY (topic, id)
);
"#,
    // Who follows what.
    r#"
CREATE TABLE follows (
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    topic TEXT,
    daily TEXT,
    created_at TEXT NOT NULL,
    paused_at TEXT,
    PRIMARY KEY (platform, user_id, key)
);
CREATE INDEX follows_by_topic ON follows (topic);
"#,
];

/// The schema this build reads and writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// What went wrong with the file: its path, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the state file {path} {why}")]
pub struct DbError {
    pub path: String,
    pub why: String,
}

/// The open file: one writing connection and a few reading ones.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    returned: Condvar,
}

impl Db {
    /// Open `state/dossier.sqlite3` in the folder `dir` (made if missing), migrated to this
    /// build's schema, with the rows of the older files beside it copied in. Blocking: call it
    /// before the runtime starts, or through [`Db::open_async`].
    pub fn open(dir: &Path) -> Result<Db, DbError> {
        let path = dir.join(FILE);
        let fail = |why: String| DbError {
            path: path.display().to_string(),
            why,
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot be created: {e}")))?;
        let mut writer = connect(&path)?;
        // Another process opening the same file at the same moment holds it for a moment (its
        // switch to WAL, its migration): wait for it, as every call waits for a busy file.
        let started = std::time::Instant::now();
        loop {
            match prepare(&mut writer, dir) {
                Ok(()) => break,
                Err(Prepare::Busy(_)) if started.elapsed() < BUSY => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(Prepare::Busy(why)) => {
                    return Err(fail(format!(
                        "is held by another process ({why}); nothing was changed. Stop the other dossier using it, or start again"
                    )));
                }
                Err(Prepare::Unreadable(e)) => {
                    return Err(fail(format!(
                        "is not a readable dossier store ({e}). Nothing was changed. Restore it from a backup, or move it aside to start afresh"
                    )));
                }
                Err(Prepare::Refused(why)) => return Err(fail(why)),
            }
        }
        let readers = (0..READERS)
            .map(|_| connect(&path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Db {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(readers),
                returned: Condvar::new(),
            }),
        })
    }

    /// [`Db::open`] on a blocking thread.
    pub async fn open_async(dir: &Path) -> Result<Db, DbError> {
        let dir = dir.to_path_buf();
        let fail = |why: String| DbError {
            path: dir.join(FILE).display().to_string(),
            why,
        };
        let d = dir.clone();
        tokio::task::spawn_blocking(move || Db::open(&d))
            .await
            .map_err(|e| fail(format!("could not be opened: {e}")))?
    }

    /// Where it is, for the logs and `status`.
    pub fn describe(&self) -> String {
        format!("SQLite {}", self.inner.path.display())
    }

    fn error(&self, e: impl std::fmt::Display) -> DbError {
        DbError {
            path: self.inner.path.display().to_string(),
            why: format!("could not be used: {e}"),
        }
    }

    /// Run `f` with the writing connection, on a blocking thread, after any write before it.
    pub async fn write<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut c = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut c)
        })
        .await;
        match done {
            Ok(r) => r.map_err(|e| self.error(e)),
            Err(e) => Err(self.error(format!("the call stopped: {e}"))),
        }
    }

    /// Run `f` with a reading connection, on a blocking thread; it sees every write committed
    /// before it began.
    pub async fn read<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        let done = tokio::task::spawn_blocking(move || {
            let c = {
                let mut free = inner.readers.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    match free.pop() {
                        Some(c) => break c,
                        None => free = inner.returned.wait(free).unwrap_or_else(|e| e.into_inner()),
                    }
                }
            };
            // Given back however `f` ends, a panic included.
            let lent = Lent {
                inner: &inner,
                conn: Some(c),
            };
            f(lent.conn.as_ref().expect("lent"))
        })
        .await;
        match done {
            Ok(r) => r.map_err(|e| self.error(e)),
            Err(e) => Err(self.error(format!("the call stopped: {e}"))),
        }
    }
}

/// Why a file could not be made ready.
enum Prepare {
    /// Another process holds it just now.
    Busy(String),
    Unreadable(rusqlite::Error),
    /// It must not be used by this build; the words say why.
    Refused(String),
}

impl From<rusqlite::Error> for Prepare {
    fn from(e: rusqlite::Error) -> Prepare {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Prepare::Busy(e.to_string())
            }
            _ => Prepare::Unreadable(e),
        }
    }
}

/// Check the file, switch it to WAL, migrate it and take in the older files.
fn prepare(writer: &mut Connection, dir: &Path) -> Result<(), Prepare> {
    let version: i64 = writer.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Prepare::Refused(format!(
            "was written by a newer dossier (schema {version}; this one knows {SCHEMA_VERSION}). Run that dossier, or restore a backup; nothing was changed"
        )));
    }
    let ok: String = writer.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if ok != "ok" {
        return Err(Prepare::Refused(format!(
            "failed its integrity check ({ok}). Nothing was changed. Restore it from a backup"
        )));
    }
    let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Prepare::Busy(format!("it stays in {mode} mode")));
    }
    migrate(writer, version)?;
    upgrade::from_older_files(writer, dir)
        .map(drop)
        .map_err(|e| match e {
            upgrade::UpgradeError::Busy(why) => Prepare::Busy(why),
            upgrade::UpgradeError::Refused(why) => Prepare::Refused(why),
        })
}

/// A reading connection lent to one call, given back when the call ends.
struct Lent<'a> {
    inner: &'a Inner,
    conn: Option<Connection>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.inner
                .readers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(c);
            self.inner.returned.notify_one();
        }
    }
}

/// A connection to `path` with the settings every one of them needs.
fn connect(path: &Path) -> Result<Connection, DbError> {
    let fail = |why: String| DbError {
        path: path.display().to_string(),
        why,
    };
    let c = Connection::open(path).map_err(|e| fail(format!("cannot be opened: {e}")))?;
    c.busy_timeout(BUSY)
        .and_then(|_| c.pragma_update(None, "foreign_keys", "ON"))
        .map_err(|e| fail(format!("is not a readable dossier store ({e})")))?;
    Ok(c)
}

/// Bring the file from `from` to [`SCHEMA_VERSION`], one migration per transaction; another
/// process that migrated first while this one waited is noticed and not repeated.
fn migrate(conn: &mut Connection, from: i64) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now > i as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// A row that did not read, as the query's error.
#[derive(Debug, thiserror::Error)]
#[error("a stored row does not read: {0}")]
struct Unreadable(RowError);

/// `f` over one row, its error the query's.
pub(crate) fn mapped<T>(
    r: &rusqlite::Row<'_>,
    f: impl Fn(&dyn Cells) -> Result<T, RowError>,
) -> rusqlite::Result<T> {
    f(r as &dyn Cells).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Null,
            Box::new(Unreadable(e)),
        )
    })
}

/// A prepared query's rows, each read by `f`.
pub(crate) trait Rows {
    fn rows_of<T>(
        &mut self,
        args: impl rusqlite::Params,
        f: impl Fn(&dyn Cells) -> Result<T, RowError>,
    ) -> rusqlite::Result<Vec<T>>;
}

impl Rows for rusqlite::Statement<'_> {
    fn rows_of<T>(
        &mut self,
        args: impl rusqlite::Params,
        f: impl Fn(&dyn Cells) -> Result<T, RowError>,
    ) -> rusqlite::Result<Vec<T>> {
        self.query_map(args, |r| mapped(r, &f))?.collect()
    }
}

fn column<T: rusqlite::types::FromSql>(r: &rusqlite::Row<'_>, i: usize) -> Result<T, RowError> {
    r.get(i).map_err(|e| format!("column {i}: {e}"))
}

impl Cells for rusqlite::Row<'_> {
    fn text(&self, i: usize) -> Result<String, RowError> {
        column(self, i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, RowError> {
        column(self, i)
    }
    fn int(&self, i: usize) -> Result<i64, RowError> {
        column(self, i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, RowError> {
        column(self, i)
    }
    fn flag(&self, i: usize) -> Result<bool, RowError> {
        column::<i64>(self, i).map(|v| v != 0)
    }
    fn instant(&self, i: usize) -> Result<DateTime<Utc>, RowError> {
        stamp::read(&column::<String>(self, i)?).map_err(|e| format!("column {i}: {e}"))
    }
    fn opt_instant(&self, i: usize) -> Result<Option<DateTime<Utc>>, RowError> {
        column::<Option<String>>(self, i)?
            .map(|s| stamp::read(&s).map_err(|e| format!("column {i}: {e}")))
            .transpose()
    }
    fn day(&self, i: usize) -> Result<NaiveDate, RowError> {
        stamp::read_day(&column::<String>(self, i)?).map_err(|e| format!("column {i}: {e}"))
    }
}

/// Tests of the file itself: a newer schema and a corrupt file refused, nothing touched.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_file_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        let e = Db::open(dir.path()).err().unwrap().to_string();
        assert!(e.contains("newer dossier") && e.contains(FILE), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn processes_opening_one_fresh_file_at_once_all_open_it() {
        let dir = tempfile::tempdir().unwrap();
        let opened: Vec<_> = (0..8)
            .map(|_| {
                let d = dir.path().to_path_buf();
                std::thread::spawn(move || Db::open(&d).map(drop))
            })
            .collect();
        for o in opened {
            o.join().unwrap().unwrap();
        }
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), vec![b'x'; 8192]).unwrap();
        let e = Db::open(dir.path()).err().unwrap().to_string();
        assert!(e.contains(FILE) && e.contains("not a readable"), "{e}");
    }

    #[test]
    fn reads_and_writes_run_off_the_runtime_and_readers_see_committed_writes() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let worker = std::thread::current().id();
            let on = db
                .write(move |c| {
                    c.execute(
                        "INSERT INTO feed_marks (topic, snapshot, day) VALUES ('t', '{}', '2026-10-05')",
                        [],
                    )?;
                    Ok(std::thread::current().id())
                })
                .await
                .unwrap();
            assert_ne!(on, worker);
            let reads = (0..8).map(|_| {
                db.read(|c| c.query_row("SELECT COUNT(*) FROM feed_marks", [], |r| r.get::<_, i64>(0)))
            });
            for n in futures_util::future::join_all(reads).await {
                assert_eq!(n.unwrap(), 1);
            }
        });
    }
}
