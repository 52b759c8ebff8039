//! Reading a briefings folder: walk it, read every card even when some are broken, and
//! report every problem found. Walking is fixed-depth (`<topic>/<file>` and
//! `<topic>/actors/<file>`), so symlink loops cannot make it spin: a looping link is an I/O
//! error on that entry, reported like any other.

use super::parse::{MAX_CARD_BYTES, decode, parse};
use super::raw::*;
use super::validate::{TopicCards, Validator};
use crate::cards::model::Topic;
use crate::diag::{Diagnostic, Report, Severity};
use crate::text::did_you_mean;
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The files a topic folder may hold, besides the `actors/` folder.
pub const TOPIC_FILES: [&str; 5] = [
    "topic.toml",
    "sources.toml",
    "timeline.toml",
    "experts.toml",
    "feeds.toml",
];

/// The topic's sources, each cited page once.
pub const SOURCES_FILE: &str = "sources.toml";

/// The topic's news feeds, read by the newsdesk.
pub const FEEDS_FILE: &str = "feeds.toml";

/// The folder of actor cards inside a topic.
pub const ACTORS_DIR: &str = "actors";

/// What a load produced: the topics that validated, and everything found on the way.
#[derive(Debug, Default)]
pub struct Loaded {
    pub topics: Vec<Topic>,
    pub report: Report,
}

impl Loaded {
    /// The topics, only if no card had an error: a library is served all or nothing.
    pub fn valid_topics(&self) -> Option<&[Topic]> {
        (!self.report.has_errors()).then_some(&self.topics[..])
    }
}

/// The briefings folder itself could not be read: a usage or I/O error, not a card error.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the briefings folder {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a folder; point --briefings (or DOSSIER_BRIEFINGS) at the folder that holds the topic folders", path.display())]
    NotAFolder { path: PathBuf },
}

/// Load and validate every topic under `root`. `today` decides what is stale.
pub fn load(root: &Path, today: NaiveDate) -> Result<Loaded, LoadError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    load_on(root, today, cores)
}

/// `load`, reading topics on at most `threads` threads (1: all on the calling thread, which a
/// long-running service prefers: the library's memory is then allocated, and later freed, on
/// one thread).
pub fn load_on(root: &Path, today: NaiveDate, threads: usize) -> Result<Loaded, LoadError> {
    let meta = std::fs::metadata(root).map_err(|source| LoadError::Unreadable {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(LoadError::NotAFolder {
            path: root.to_path_buf(),
        });
    }
    let entries = std::fs::read_dir(root).map_err(|source| LoadError::Unreadable {
        path: root.to_path_buf(),
        source,
    })?;
    let mut report = Report::default();
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                report.push(io_diag(root, &e));
                continue;
            }
        };
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        // Follow symlinks: a topic folder may be a link. A loop shows up as an error here.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => dirs.push((name, path)),
            Ok(_) if name.ends_with(".toml") => report.push(
                Diagnostic::file(
                    Severity::Error,
                    "misplaced-file",
                    &path,
                    format!("`{name}` is directly in the briefings folder, where only topic folders are read"),
                )
                .help("move it into a topic folder (briefings/<topic-id>/), or rename it so it does not end in .toml"),
            ),
            Ok(_) => {}
            Err(e) => report.push(io_diag(&path, &e)),
        }
    }
    dirs.sort();
    let mut topics = Vec::new();
    for (topic, mut found) in load_topics(&dirs, today, threads) {
        topics.extend(topic);
        report.diagnostics.append(&mut found.diagnostics);
    }
    let mut v = Validator::new(today);
    v.check_topic_names(&topics);
    report.diagnostics.append(&mut v.report.diagnostics);
    if dirs.is_empty() {
        report.push(
            Diagnostic::file(
                Severity::Warning,
                "no-topics",
                root,
                "the briefings folder holds no topic folders".into(),
            )
            .help("create briefings/<topic-id>/topic.toml (see briefings/README.md)"),
        );
    }
    report.sort();
    Ok(Loaded { topics, report })
}

/// Load each topic folder, on every core: topics are independent until the final name check.
fn load_topics(
    dirs: &[(String, PathBuf)],
    today: NaiveDate,
    threads: usize,
) -> Vec<(Option<Topic>, Report)> {
    let one = |(name, dir): &(String, PathBuf)| {
        let mut v = Validator::new(today);
        let topic = load_topic(&mut v, name, dir);
        (topic, v.report)
    };
    let threads = threads.min(dirs.len());
    if threads <= 1 {
        return dirs.iter().map(one).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, (Option<Topic>, Report))> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(d) = dirs.get(i) else { break };
                        done.push((i, one(d)));
                    }
                    done
                })
            })
            .collect();
        // A worker can only end by panicking, which the loader never does; if it did, its
        // topics are missing and the error below says so.
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    if results.len() != dirs.len() {
        let mut r = Report::default();
        r.push(
            Diagnostic::file(
                Severity::Error,
                "internal",
                Path::new(""),
                "a topic could not be loaded (internal error)".into(),
            )
            .help("please report this with the briefings folder that caused it"),
        );
        results.push((usize::MAX, (None, r)));
    }
    results.into_iter().map(|(_, r)| r).collect()
}

fn io_diag(path: &Path, e: &std::io::Error) -> Diagnostic {
    let help = match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "make the file readable by the user dossier runs as"
        }
        std::io::ErrorKind::NotFound => {
            "the entry vanished or is a broken symlink; fix or remove it"
        }
        _ if e.raw_os_error() == Some(40) => {
            "this symlink points back into itself; remove the loop"
        }
        _ => "check the file system entry; dossier reads plain files and folders",
    };
    Diagnostic::file(
        Severity::Error,
        "io",
        path,
        format!("cannot read {}: {e}", path.display()),
    )
    .help(help)
}

/// Check one topic folder alone, as `dossier check` would: its topic and its report.
pub fn check_topic(dir: &Path, today: NaiveDate) -> (Option<Topic>, Report) {
    check_folder(Validator::new(today), dir)
}

fn check_folder(mut v: Validator, dir: &Path) -> (Option<Topic>, Report) {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let topic = load_topic(&mut v, &name, dir);
    let mut report = v.report;
    report.sort();
    (topic, report)
}

/// Check one topic folder as `load` would, with each file of `files` read as its text instead
/// of from disk (it need not exist yet): how an edit made from chat is checked before anything
/// is written. The report holds that topic's diagnostics; the topic, when it has no errors.
pub fn check_topic_with(
    dir: &Path,
    today: NaiveDate,
    files: Vec<(std::path::PathBuf, String)>,
) -> (Option<Topic>, Report) {
    let mut v = Validator::new(today);
    v.overlay = files;
    check_folder(v, dir)
}

/// Read a card file: `Ok(None)` when it does not exist (the caller decides if that is fine).
fn read_file(v: &mut Validator, path: &Path) -> Option<File> {
    if let Some((_, text)) = v.overlay.iter().find(|(p, _)| p == path) {
        return Some(File {
            path: path.to_path_buf(),
            text: text.clone(),
        });
    }
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && path.symlink_metadata().is_err() => {
            return None;
        }
        Err(e) => {
            v.report.push(io_diag(path, &e));
            return None;
        }
    };
    if meta.is_dir() {
        v.report.push(
            Diagnostic::file(
                Severity::Error,
                "not-a-file",
                path,
                format!(
                    "{} is a folder, but a card file was expected here",
                    path.display()
                ),
            )
            .help("replace the folder with a TOML file of that name, or remove it"),
        );
        return None;
    }
    if meta.len() > MAX_CARD_BYTES {
        v.report.push(too_big(path, meta.len()));
        return None;
    }
    // Sized from the metadata: one allocation, as `fs::read` does.
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    let read =
        std::fs::File::open(path).and_then(|f| f.take(MAX_CARD_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        v.report.push(io_diag(path, &e));
        return None;
    }
    if bytes.len() as u64 > MAX_CARD_BYTES {
        // It grew while we read it.
        v.report.push(too_big(path, bytes.len() as u64));
        return None;
    }
    match decode(path, bytes) {
        Ok(text) => Some(File {
            path: path.to_path_buf(),
            text,
        }),
        Err(d) => {
            v.report.push(d);
            None
        }
    }
}

fn too_big(path: &Path, len: u64) -> Diagnostic {
    Diagnostic::file(
        Severity::Error,
        "file-too-large",
        path,
        format!(
            "the file is {:.1} MB; a card may be at most {} KiB",
            len as f64 / 1_000_000.0,
            MAX_CARD_BYTES / 1024
        ),
    )
    .help("split it into smaller cards, or remove it if it is not a card")
}

/// Read and parse one card; `None` (with diagnostics) when it is missing or broken.
fn card<T: DeserializeOwned>(v: &mut Validator, path: &Path, required: bool) -> Option<(T, File)> {
    let Some(file) = read_file(v, path) else {
        if required && path.symlink_metadata().is_err() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            v.report.push(
                Diagnostic::file(
                    Severity::Error,
                    "missing-file",
                    path,
                    format!("the topic folder has no {name}"),
                )
                .help(format!(
                    "create {} (see briefings/README.md); folders whose names start with `_` or `.` are skipped",
                    path.display()
                )),
            );
        }
        return None;
    };
    match parse::<T>(&file.path, &file.text) {
        Ok(raw) => Some((raw, file)),
        Err(diags) => {
            v.report.diagnostics.extend(diags);
            None
        }
    }
}

fn load_topic(v: &mut Validator, name: &str, dir: &Path) -> Option<Topic> {
    let errors_before = v.report.errors();
    check_folder_entries(v, dir);
    let topic = card::<RawTopic>(v, &dir.join("topic.toml"), true);
    let sources = card::<RawSources>(v, &dir.join("sources.toml"), true);
    let timeline = card::<RawTimeline>(v, &dir.join("timeline.toml"), false);
    let experts = card::<RawExperts>(v, &dir.join("experts.toml"), false);
    let feeds = card::<RawFeeds>(v, &dir.join(FEEDS_FILE), false);
    let mut actors = Vec::new();
    let actors_dir = dir.join(ACTORS_DIR);
    let files = actor_files(v, &actors_dir);
    let n_files = files.len();
    for path in files {
        if let Some(a) = card::<RawActor>(v, &path, false) {
            actors.push(a);
        }
    }
    let card_files = [
        topic.is_some(),
        sources.is_some(),
        timeline.is_some(),
        experts.is_some(),
        feeds.is_some(),
    ]
    .iter()
    .filter(|read| **read)
    .count()
        + actors.len();
    // Validate what parsed even if some files did not: the moderator sees every problem at once.
    let topic = v.topic(&TopicCards {
        folder: name.to_owned(),
        dir: dir.to_path_buf(),
        actors_complete: actors.len() == n_files,
        topic,
        sources,
        actors,
        timeline,
        experts,
        feeds,
    });
    (v.report.errors() == errors_before)
        .then_some(topic)
        .flatten()
        .map(|t| Topic { card_files, ..t })
}

/// Unknown `.toml` files in a topic folder are errors: a misspelt `timline.toml` would
/// otherwise be ignored without a word.
fn check_folder_entries(v: &mut Validator, dir: &Path) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            v.report.push(io_diag(dir, &e));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                v.report.push(io_diag(dir, &e));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".toml") || TOPIC_FILES.contains(&name.as_str()) {
            continue;
        }
        let mut known: Vec<&str> = TOPIC_FILES.to_vec();
        known.push("actors/");
        let help = match did_you_mean(&name, known.iter().copied(), 1).first() {
            Some(s) => format!(
                "did you mean `{s}`? A topic folder holds {}",
                TOPIC_FILES.join(", ")
            ),
            None => format!(
                "a topic folder holds {} and actors/<actor-id>.toml; move or rename this file",
                TOPIC_FILES.join(", ")
            ),
        };
        v.report.push(
            Diagnostic::file(
                Severity::Error,
                "unexpected-file",
                &entry.path(),
                format!("`{name}` is not a card file dossier knows"),
            )
            .help(help),
        );
    }
}

fn actor_files(v: &mut Validator, dir: &Path) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            v.report.push(io_diag(dir, &e));
            return Vec::new();
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => {
                let path = e.path();
                if path.extension().is_some_and(|x| x == "toml") {
                    files.push(path);
                }
            }
            Err(e) => v.report.push(io_diag(dir, &e)),
        }
    }
    for (p, _) in &v.overlay {
        if p.parent() == Some(dir)
            && p.extension().is_some_and(|x| x == "toml")
            && !files.contains(p)
        {
            files.push(p.clone());
        }
    }
    files.sort();
    files
}
