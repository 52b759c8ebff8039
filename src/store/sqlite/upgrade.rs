//! The upgrade from the four files earlier versions kept in the state folder (`schedules`,
//! `edits`, `places` and `feed`, each `.sqlite3`) into the one file: every row copied with its
//! ids, instants rewritten in the one stored form, in one transaction per file that also notes
//! the file as taken in (`taken_in`); then the old file is renamed `*.migrated` (never
//! deleted). A start stopped between the copy and the rename, or a second process doing the
//! same at once, finds the note and only renames. A one file that already holds rows of its
//! own is never mixed with an old file's: the start is refused with nothing changed.

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use std::path::{Path, PathBuf};

/// One table of an old file: its name, its columns, and which of them hold instants.
struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    instants: &'static [&'static str],
}

/// An old file and its tables, in the order rows that refer to others must be copied.
struct OldFile {
    file: &'static str,
    tables: &'static [Table],
}

const OLD_FILES: [OldFile; 4] = [
    OldFile {
        file: "schedules.sqlite3",
        tables: &[
            Table {
                name: "subscriptions",
                columns: &[
                    "id",
                    "platform",
                    "destination",
                    "topic",
                    "at",
                    "timezone",
                    "when_unchanged",
                    "catch_up_secs",
                    "from_config",
                    "created_by",
                    "created_at",
                    "active",
                ],
                instants: &["created_at"],
            },
            Table {
                name: "posts",
                columns: &[
                    "subscription_id",
                    "day",
                    "scheduled_at",
                    "state",
                    "owner",
                    "claimed_at",
                    "attempts",
                    "retry_at",
                    "message_id",
                    "error",
                    "updated_at",
                ],
                instants: &["scheduled_at", "claimed_at", "retry_at", "updated_at"],
            },
            Table {
                name: "snapshots",
                columns: &[
                    "platform",
                    "destination",
                    "topic",
                    "body",
                    "day",
                    "updated_at",
                ],
                instants: &["updated_at"],
            },
        ],
    },
    OldFile {
        file: "edits.sqlite3",
        tables: &[
            Table {
                name: "edits",
                columns: &[
                    "id",
                    "at",
                    "topic",
                    "file",
                    "action",
                    "summary",
                    "platform",
                    "user_id",
                    "user_name",
                    "existed",
                    "before",
                    "after",
                    "after_hash",
                    "undoes",
                    "git_commit",
                ],
                instants: &["at"],
            },
            Table {
                name: "suggestions",
                columns: &[
                    "id",
                    "at",
                    "what",
                    "topic",
                    "actor",
                    "base",
                    "fields",
                    "platform",
                    "user_id",
                    "user_name",
                    "decision",
                    "decided_at",
                    "decided_by",
                    "reason",
                    "edit",
                ],
                instants: &["at", "decided_at"],
            },
        ],
    },
    OldFile {
        file: "places.sqlite3",
        tables: &[Table {
            name: "place_topics",
            columns: &["platform", "place", "topic", "set_by", "set_at"],
            instants: &["set_at"],
        }],
    },
    OldFile {
        file: "feed.sqlite3",
        tables: &[
            Table {
                name: "feed_entries",
                columns: &["topic", "seq", "at", "title", "reply"],
                instants: &["at"],
            },
            Table {
                name: "feed_marks",
                columns: &["topic", "snapshot", "day"],
                instants: &[],
            },
        ],
    },
];

/// The newest schema any of the old files had.
const OLD_VERSION: i64 = 1;

/// What one old file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub file: &'static str,
    /// Rows added per table.
    pub rows: Vec<(&'static str, usize)>,
    pub renamed_to: Option<PathBuf>,
}

/// What the copy of one file found.
enum Outcome {
    Copied(Vec<(&'static str, usize)>),
    /// Another start (this one stopped before the rename, or a process beside it) copied it.
    CopiedBefore,
}

/// Why the old files were not taken in.
#[derive(Debug)]
pub enum UpgradeError {
    /// Another process holds a file just now: try again in a moment.
    Busy(String),
    Refused(String),
}

/// Copy the rows of every old file in `dir` into `conn`'s file, then rename the old file.
/// Returns what was copied, for the log.
pub fn from_older_files(conn: &mut Connection, dir: &Path) -> Result<Vec<Copied>, UpgradeError> {
    let mut done = Vec::new();
    for old in &OLD_FILES {
        let path = dir.join(old.file);
        if !path.is_file() {
            continue;
        }
        let outcome = match copy(conn, &path, old) {
            Ok(o) => o,
            // A process beside this one took it in and set it aside since it was seen.
            Err(_) if !path.exists() => continue,
            Err(e) => {
                let why = format!(
                    "could not take in the rows of {} ({e}); nothing was changed in that file",
                    path.display()
                );
                return Err(match e.sqlite_error_code() {
                    Some(
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked,
                    ) => UpgradeError::Busy(why),
                    _ => UpgradeError::Refused(why),
                });
            }
        };
        let renamed_to = match set_aside(&path) {
            Ok(to) => Some(to),
            // A process beside this one set it aside first.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(UpgradeError::Refused(format!(
                    "took in the rows of {} but could not rename it ({e}); rename it to {}.migrated by hand",
                    path.display(),
                    old.file
                )));
            }
        };
        let rows = match outcome {
            Outcome::Copied(rows) => rows,
            Outcome::CopiedBefore => Vec::new(),
        };
        tracing::info!(
            from = %path.display(),
            to = ?renamed_to,
            rows = ?rows,
            "took an older state file into the one state file"
        );
        done.push(Copied {
            file: old.file,
            rows,
            renamed_to,
        });
    }
    Ok(done)
}

/// A refusal, in the words the error gives.
fn refuse(why: String) -> rusqlite::Error {
    rusqlite::Error::InvalidParameterName(why)
}

fn copy(conn: &mut Connection, path: &Path, old: &OldFile) -> rusqlite::Result<Outcome> {
    // Opened for reading and writing but never created: a file set aside by a process beside
    // this one since it was seen is not made again, empty.
    let absolute = std::path::absolute(path).map_err(|e| refuse(e.to_string()))?;
    let address = url::Url::from_file_path(&absolute)
        .map_err(|()| refuse("its path cannot be named".into()))?;
    let address = format!("{address}?mode=rw");
    {
        let c = Connection::open_with_flags(
            &address,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )?;
        c.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > OLD_VERSION {
            return Err(refuse(format!(
                "it was written by a newer dossier (schema {version})"
            )));
        }
        // Its write-ahead log folded in, so the file stands alone once renamed.
        let mode: String = c.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(refuse(format!(
                "its write-ahead log could not be folded in (the file is in {mode} mode); stop the dossier that uses it"
            )));
        }
    }
    conn.create_scalar_function(
        "dossier_instant",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let v: Option<String> = ctx.get(0)?;
            // A value that is not an instant is kept as it was: reading it is a store error
            // that names it, where rewriting it would lose it.
            Ok(v.map(|s| crate::store::stamp::normalized(&s).unwrap_or(s)))
        },
    )?;
    conn.execute("ATTACH DATABASE ?1 AS old", [&address])?;
    let copied = (|| {
        // One process at a time: a process beside this one that got here first has left its
        // mark, and this one copies nothing.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let before: i64 = tx.query_row(
            "SELECT COUNT(*) FROM taken_in WHERE file = ?1",
            [old.file],
            |r| r.get(0),
        )?;
        if before > 0 {
            return Ok(Outcome::CopiedBefore);
        }
        // Rows already in the one file would be mixed with the old file's under the same ids:
        // refused, with nothing changed, for the operator to choose.
        for t in old.tables {
            let there: i64 = tx.query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM main.{})", t.name),
                [],
                |r| r.get(0),
            )?;
            let old_has: i64 = tx.query_row(
                "SELECT COUNT(*) FROM old.sqlite_master WHERE type = 'table' AND name = ?1",
                [t.name],
                |r| r.get(0),
            )?;
            if there > 0 && old_has > 0 {
                let old_rows: i64 = tx.query_row(
                    &format!("SELECT EXISTS (SELECT 1 FROM old.{})", t.name),
                    [],
                    |r| r.get(0),
                )?;
                if old_rows > 0 {
                    return Err(refuse(format!(
                        "the one state file already holds {} of its own, and ids of the two would clash; nothing was changed. Keep one: move {} aside to go on with the one file, or move the one file aside to take {} in",
                        t.name, old.file, old.file
                    )));
                }
            }
        }
        let mut rows = Vec::new();
        for t in old.tables {
            let there: i64 = tx.query_row(
                "SELECT COUNT(*) FROM old.sqlite_master WHERE type = 'table' AND name = ?1",
                [t.name],
                |r| r.get(0),
            )?;
            if there == 0 {
                continue;
            }
            let select: Vec<String> = t
                .columns
                .iter()
                .map(|c| match t.instants.contains(c) {
                    true => format!("dossier_instant({c})"),
                    false => (*c).to_owned(),
                })
                .collect();
            let n = tx.execute(
                &format!(
                    "INSERT INTO main.{name} ({cols}) SELECT {select} FROM old.{name}",
                    name = t.name,
                    cols = t.columns.join(", "),
                    select = select.join(", ")
                ),
                [],
            )?;
            rows.push((t.name, n));
        }
        tx.execute(
            "INSERT INTO taken_in (file, at) VALUES (?1, ?2)",
            rusqlite::params![old.file, crate::store::stamp::write(chrono::Utc::now())],
        )?;
        tx.commit()?;
        Ok(Outcome::Copied(rows))
    })();
    conn.execute("DETACH DATABASE old", [])?;
    copied
}

/// Rename `path` to `path.migrated` (or `.migrated.2`, … when that name is taken).
fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let mut n = 1;
    loop {
        let mut name = path.as_os_str().to_owned();
        name.push(".migrated");
        if n > 1 {
            name.push(format!(".{n}"));
        }
        let to = PathBuf::from(name);
        if !to.exists() {
            std::fs::rename(path, &to)?;
            return Ok(to);
        }
        n += 1;
    }
}
