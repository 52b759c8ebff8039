//! The upgrade from the four files earlier versions kept in the state folder (`schedules`,
//! `edits`, `places` and `feed`, each `.sqlite3`) into the one file: every row copied with its
//! ids, instants rewritten in the one stored form, in one transaction per file; then the old
//! file is renamed `*.migrated` (never deleted), so a second start copies nothing. A start
//! stopped between the copy and the rename copies again and adds nothing, as rows already in
//! the one file are left as they are.

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
    /// Rows added per table (rows already there are not counted).
    pub rows: Vec<(&'static str, usize)>,
    pub renamed_to: PathBuf,
}

/// Copy the rows of every old file in `dir` into `conn`'s file, then rename the old file.
/// Returns what was copied, for the log.
pub fn from_older_files(conn: &mut Connection, dir: &Path) -> Result<Vec<Copied>, String> {
    let mut done = Vec::new();
    for old in &OLD_FILES {
        let path = dir.join(old.file);
        if !path.is_file() {
            continue;
        }
        let rows = copy(conn, &path, old).map_err(|e| {
            format!(
                "could not take in the rows of {} ({e}); nothing was changed in that file",
                path.display()
            )
        })?;
        let renamed_to = set_aside(&path).map_err(|e| {
            format!(
                "took in the rows of {} but could not rename it ({e}); rename it to {}.migrated by hand",
                path.display(),
                old.file
            )
        })?;
        tracing::info!(
            from = %path.display(),
            to = %renamed_to.display(),
            rows = ?rows,
            "copied an older state file into the one state file"
        );
        done.push(Copied {
            file: old.file,
            rows,
            renamed_to,
        });
    }
    Ok(done)
}

fn copy(
    conn: &mut Connection,
    path: &Path,
    old: &OldFile,
) -> rusqlite::Result<Vec<(&'static str, usize)>> {
    {
        let c = Connection::open(path)?;
        let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > OLD_VERSION {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "it was written by a newer dossier (schema {version})"
            )));
        }
        // Its write-ahead log folded in, so the file stands alone once renamed.
        let _: String = c.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
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
    conn.execute(
        "ATTACH DATABASE ?1 AS old",
        [path.to_string_lossy().as_ref()],
    )?;
    let copied = (|| {
        let tx = conn.transaction()?;
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
                    "INSERT OR IGNORE INTO main.{name} ({cols}) SELECT {select} FROM old.{name}",
                    name = t.name,
                    cols = t.columns.join(", "),
                    select = select.join(", ")
                ),
                [],
            )?;
            rows.push((t.name, n));
        }
        tx.commit()?;
        Ok(rows)
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
