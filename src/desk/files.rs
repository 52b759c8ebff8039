//! Reading and writing files as the desk does: an absent card reads as empty, and a write is
//! atomic (a reader sees the old file or the new one, never half); a secret's file is created
//! private.

use std::path::Path;

/// A card's text; an absent card reads as empty (a timeline not written yet).
pub fn read_card(path: &Path) -> std::io::Result<String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e),
    }
}

/// Write `text` to `path` so that a reader sees the old file or the new one, never half:
/// a hidden temporary file in the same folder (the watcher ignores it), flushed to disk, then
/// renamed over the card, and the folder flushed. The card keeps its permissions.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    write_file(path, text.as_bytes(), None)
}

/// [`write_atomically`] for a secret (a session's access token): the file is created readable
/// and writable by this user only (mode 0600) before a byte is written, so no other user can
/// read it at any moment, whatever the old file's mode was.
pub fn write_private_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_file(path, bytes, Some(0o600))
}

fn write_file(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.dossier-{}.tmp", std::process::id()));
    let result = (|| {
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if let Some(mode) = mode {
            use std::os::unix::fs::OpenOptionsExt;
            // A leftover temporary file from a crash may have any mode: start afresh.
            let _ = std::fs::remove_file(&tmp);
            open.create_new(true).mode(mode);
        }
        let mut f = open.open(&tmp)?;
        if mode.is_none()
            && let Ok(meta) = std::fs::metadata(path)
        {
            let _ = f.set_permissions(meta.permissions());
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_never_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("session.json");
        // An old file anyone could read is replaced by a private one.
        std::fs::write(&path, "old").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private_atomically(&path, b"{\"token\":\"new\"}").expect("write");
        let meta = std::fs::metadata(&path).expect("meta");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).expect("read"), b"{\"token\":\"new\"}");
        // Nothing is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("session.json")]);
    }
}
