//! Reading the cards as a reload does: every topic loaded and checked, built into a library,
//! and the configured default topic checked against it. No service state: `check`, `serve`'s
//! start-up and the librarian all call it.

use crate::cards::{self, Topic};
use crate::diag::{Diagnostic, Report, Severity};
use crate::library::Library;
use std::path::{Path, PathBuf};

/// An error when the configured default topic names no loaded topic: otherwise every answer
/// that needs it would say "no default topic is set".
pub fn check_default_topic(
    default: Option<&str>,
    library: &Library,
    root: &Path,
) -> Option<Diagnostic> {
    let d = default?;
    if library.is_empty() || library.topic_index(d).is_some() {
        return None;
    }
    let ids: Vec<&str> = library.topics().iter().map(|t| t.id.as_str()).collect();
    Some(
        Diagnostic::file(
            Severity::Error,
            "unknown-default-topic",
            root,
            format!("`default_topic = \"{d}\"` in the config names no loaded topic"),
        )
        .help(format!(
            "the topics are {}; fix `default_topic` in the config, or restore the topic folder",
            crate::text::or_list(&ids)
        )),
    )
}

/// Build a library from loaded topics, with the default-topic check added to the report.
fn library_from(
    topics: Vec<Topic>,
    report: &mut Report,
    default: Option<&str>,
    root: &Path,
) -> Library {
    let library = Library::new(topics);
    if let Some(d) = check_default_topic(default, &library, root) {
        report.push(d);
    }
    library
}

/// Load the cards under `root` and check them as a reload would, without serving them.
pub fn load_checked(
    root: &Path,
    today: chrono::NaiveDate,
    default: Option<&str>,
) -> Result<(Library, Report), cards::LoadError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    load_checked_on(root, today, default, cores)
}

/// `load_checked` on at most `threads` threads.
pub(super) fn load_checked_on(
    root: &Path,
    today: chrono::NaiveDate,
    default: Option<&str>,
    threads: usize,
) -> Result<(Library, Report), cards::LoadError> {
    let loaded = cards::load::load_on(root, today, threads)?;
    let mut report = loaded.report;
    let library = library_from(loaded.topics, &mut report, default, root);
    Ok((library, report))
}

/// The briefings folder of a path given on the command line or in a config, made absolute so
/// watcher events (which carry absolute paths) can be compared with it.
pub fn absolute(root: &Path) -> PathBuf {
    std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}
