//! Opening one of the small SQLite stores under the state folder (the places' topics, the
//! change feed): the folder made if missing, a busy timeout, and the schema applied unless
//! the file was written by a newer dossier, which is refused with nothing changed. Errors name
//! the file.

use rusqlite::Connection;
use std::path::Path;

/// Open `path` with `schema` (idempotent SQL) at `version`; the error says what is wrong with
/// the file, after its path.
pub fn open(path: &Path, schema: &str, version: i64) -> Result<Connection, String> {
    let fail = |why: String| format!("{} {why}", path.display());
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot be created: {e}")))?;
    }
    let conn = Connection::open(path).map_err(|e| fail(format!("cannot be opened: {e}")))?;
    let bad = |e: rusqlite::Error| fail(format!("is not a readable dossier store ({e})"));
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(bad)?;
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(bad)?;
    if found > version {
        return Err(fail(format!(
            "was written by a newer dossier (schema {found}; this one knows {version}); nothing was changed"
        )));
    }
    conn.execute_batch(schema).map_err(bad)?;
    conn.pragma_update(None, "user_version", version)
        .map_err(bad)?;
    Ok(conn)
}
