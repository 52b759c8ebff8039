//! Live reload: watch the briefings folder, turn each burst of saves into one reload, rebuild
//! the whole library off the async workers and swap it in only when it has no errors. A broken
//! edit changes nothing for users; the moderators are told once, and told again when it is
//! fixed. Which file events matter and when a burst is over are pure, tested decisions; the
//! loop around them only acts.

use crate::app::App;
use crate::cards::{self, Topic};
use crate::diag::{Diagnostic, Report, Severity};
use crate::library::Library;
use crate::reply::{Line, Reply, ReplyKind};
use crate::service::{NoticeKind, ReloadOutcome, ReloadRecord, Trigger, WarningSet};
use chrono::Utc;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A burst of saves is over when nothing relevant happened for this long.
pub const QUIET: Duration = Duration::from_millis(150);
/// A burst that never goes quiet is reloaded after this long anyway.
pub const MAX_WAIT: Duration = Duration::from_secs(2);
/// How often the watcher checks that its folder is still the one it watches.
const RECHECK: Duration = Duration::from_secs(5);

/// Whether a change to `path` can change the cards under `root`: card files and the folders
/// that hold them, not editor swap files, backups, hidden files or `.git/`.
pub fn relevant(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(p) => match p.to_str() {
                Some(p) => parts.push(p),
                // Card files have UTF-8 names; the loader ignores others too.
                None => return false,
            },
            _ => return false,
        }
    }
    let Some(name) = parts.last() else {
        // The folder itself (created, removed, replaced).
        return true;
    };
    // Kubernetes updates a mounted ConfigMap by swapping its `..data` link at once.
    if parts[0] == "..data" {
        return true;
    }
    // Hidden anywhere (.git/, .iran.toml.swp, .#iran.toml) or a skipped topic folder (_drafts).
    if parts.iter().any(|p| p.starts_with('.')) || parts[0].starts_with('_') {
        return false;
    }
    if is_scratch(name) {
        return false;
    }
    let toml = name.ends_with(".toml");
    match parts.len() {
        // A topic folder (no dot in its name), or a card misplaced at the top (reported).
        1 => toml || !name.contains('.'),
        2 => toml || *name == cards::load::ACTORS_DIR,
        3 => parts[1] == cards::load::ACTORS_DIR && toml,
        _ => false,
    }
}

/// Whether a watcher event can change the cards: a relevant path created, written, renamed
/// or removed. Reads are not changes (the reload itself reads every card), nor are access-time
/// updates; a watcher that lost events asks for a rescan, which always matters.
pub fn matters(root: &Path, ev: &notify::Event) -> bool {
    use notify::EventKind as K;
    use notify::event::{MetadataKind, ModifyKind};
    if ev.need_rescan() {
        return true;
    }
    let change = match ev.kind {
        K::Access(_) => false,
        K::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        K::Create(_) | K::Modify(_) | K::Remove(_) | K::Any | K::Other => true,
    };
    change && ev.paths.iter().any(|p| relevant(root, p))
}

/// Files editors and tools write beside the real one.
fn is_scratch(name: &str) -> bool {
    const SUFFIXES: [&str; 10] = [
        "~",
        ".swp",
        ".swx",
        ".swo",
        ".tmp",
        ".bak",
        ".orig",
        ".rej",
        ".part",
        ".crdownload",
    ];
    SUFFIXES.iter().any(|s| name.ends_with(s))
        || (name.starts_with('#') && name.ends_with('#'))
        // vim checks that it may write in a folder with a file called 4913.
        || name == "4913"
        // Atomic writers' temporary names: `iran.toml.tmp1234`, `iran.toml.new`.
        || name.contains(".toml.")
}

/// When a burst of changes is over: `QUIET` after the last one, or `MAX_WAIT` after the first.
#[derive(Clone, Copy, Debug)]
pub struct Debounce {
    quiet: Duration,
    max: Duration,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Debounce {
    pub fn new(quiet: Duration, max: Duration) -> Self {
        Debounce {
            quiet,
            max,
            first: None,
            last: None,
        }
    }

    /// A relevant change happened at `at`.
    pub fn note(&mut self, at: Instant) {
        self.first.get_or_insert(at);
        self.last = Some(at);
    }

    pub fn pending(&self) -> bool {
        self.first.is_some()
    }

    /// When to reload, if a burst is pending.
    pub fn due(&self) -> Option<Instant> {
        Some((self.last? + self.quiet).min(self.first? + self.max))
    }

    /// The burst has been acted on.
    pub fn clear(&mut self) {
        self.first = None;
        self.last = None;
    }
}

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
fn load_checked_on(
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

/// A job for the librarian.
enum Job {
    Load {
        root: PathBuf,
        today: chrono::NaiveDate,
        default: Option<String>,
        done: tokio::sync::oneshot::Sender<Result<Loaded, String>>,
    },
    Retire(std::sync::Arc<Library>),
    /// Anything else big enough that freeing it would hold up an answering thread.
    Drop(Box<dyn Send>),
}

/// What the librarian read: the library, its diagnostics, and the identities of its warnings
/// (what the moderators were told is compared by those; working them out for thousands of
/// warnings took milliseconds of an answering thread on every reload).
pub(crate) struct Loaded {
    pub library: Library,
    pub report: Report,
    pub warnings: crate::service::WarningSet,
}

fn load_for_service(
    root: &Path,
    today: chrono::NaiveDate,
    default: Option<&str>,
    threads: usize,
) -> Result<Loaded, String> {
    let (library, report) =
        load_checked_on(root, today, default, threads).map_err(|e| e.to_string())?;
    let warnings = crate::service::warning_set(&report, root);
    Ok(Loaded {
        library,
        report,
        warnings,
    })
}

/// One long-lived thread per service, at the lowest CPU priority, that reads the cards into
/// libraries and frees the libraries reloads replace. A reload takes its own time rather than
/// the answering threads', and a library's memory is allocated and freed on one thread: with
/// short-lived loader threads, each reload stranded its memory in the heaps of threads that
/// had exited, and a service reloading a large tree grew without bound.
pub struct Librarian {
    jobs: Option<std::sync::Mutex<std::sync::mpsc::Sender<Job>>>,
}

impl Librarian {
    pub fn start() -> Librarian {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("dossier-librarian".into())
            .spawn(move || {
                lower_priority();
                for job in rx {
                    match job {
                        Job::Load {
                            root,
                            today,
                            default,
                            done,
                        } => {
                            let _ =
                                done.send(load_for_service(&root, today, default.as_deref(), 1));
                        }
                        Job::Retire(old) => retire_here(old),
                        Job::Drop(thing) => drop(thing),
                    }
                }
            });
        match spawned {
            Ok(_) => Librarian {
                jobs: Some(std::sync::Mutex::new(tx)),
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot start the card loader thread; loading on the caller's");
                Librarian { jobs: None }
            }
        }
    }

    fn send(&self, job: Job) -> Result<(), Job> {
        match &self.jobs {
            Some(tx) => tx
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .send(job)
                .map_err(|e| e.0),
            None => Err(job),
        }
    }

    /// Load and check the cards; the result comes back on the returned channel.
    fn load(
        &self,
        root: PathBuf,
        today: chrono::NaiveDate,
        default: Option<String>,
    ) -> tokio::sync::oneshot::Receiver<Result<Loaded, String>> {
        let (done, rx) = tokio::sync::oneshot::channel();
        if let Err(Job::Load {
            root,
            today,
            default,
            done,
        }) = self.send(Job::Load {
            root,
            today,
            default,
            done,
        }) {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let _ = done.send(load_for_service(&root, today, default.as_deref(), cores));
        }
        rx
    }

    /// Free something big on the librarian's thread rather than the caller's.
    pub fn drop_later<T: Send + 'static>(&self, thing: T) {
        // If the librarian is gone, the job (and the thing) is dropped right here.
        let _ = self.send(Job::Drop(Box::new(thing)));
    }

    /// Free a replaced library, once the answers still reading it are done with it.
    pub fn retire(&self, old: std::sync::Arc<Library>) {
        if let Err(Job::Retire(old)) = self.send(Job::Retire(old)) {
            retire_here(old);
        }
    }
}

/// Wait for readers (they hold a snapshot for microseconds), then drop the library.
fn retire_here(old: std::sync::Arc<Library>) {
    let mut waited = Duration::ZERO;
    while std::sync::Arc::strong_count(&old) > 1 && waited < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(2));
        waited += Duration::from_millis(2);
    }
    drop(old);
}

/// The calling thread, and the threads it starts, give way to the answering threads: on
/// Linux they join the SCHED_BATCH class (never preempting a woken thread) at nice 19, the
/// smallest share of a busy CPU. Not SCHED_IDLE, which was tried: it runs only on otherwise
/// idle CPUs, so on a host kept busy by something else a reload (and the watcher's events)
/// waited without bound, longer than the ten seconds a test allowed.
pub(crate) fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: sched_setscheduler and setpriority take plain integers and a pointer to a
    // sched_param that lives across the call; on Linux, pid 0 means the calling thread, and
    // lowering a thread's own priority needs no privilege.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &param);
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

impl App {
    /// Read the cards again and serve them if they have no errors. Reloads never overlap.
    pub async fn reload(&self, trigger: Trigger) -> ReloadRecord {
        let _one_at_a_time = self.reloading.lock().await;
        let started = Instant::now();
        let at = Utc::now();
        let Some(root) = self.briefings.clone() else {
            return ReloadRecord {
                at,
                took: started.elapsed(),
                trigger,
                outcome: ReloadOutcome::Unreadable(
                    "this library was not read from a folder".into(),
                ),
                report: Arc::default(),
                warnings: Arc::default(),
            };
        };
        let loaded = self
            .librarian
            .load(root, self.clock.today(), self.default_topic.clone())
            .await;
        let (outcome, report, warnings) = match loaded {
            Ok(Ok(Loaded {
                library,
                report,
                warnings,
            })) if !report.has_errors() => {
                let outcome = ReloadOutcome::Loaded {
                    topics: library.topics().len(),
                    cards: library.card_files(),
                    warnings: report.diagnostics.len(),
                };
                self.swap(library);
                (outcome, report, warnings)
            }
            Ok(Ok(Loaded {
                library,
                report,
                warnings,
            })) => {
                // A broken set is never served; it is freed where it was built.
                self.librarian.drop_later(library);
                let outcome = ReloadOutcome::Failed {
                    errors: report.errors(),
                    warnings: report.diagnostics.len() - report.errors(),
                };
                (outcome, report, warnings)
            }
            Ok(Err(e)) => (
                ReloadOutcome::Unreadable(e),
                Report::default(),
                WarningSet::default(),
            ),
            Err(_) => (
                ReloadOutcome::Unreadable("the reload stopped unexpectedly".into()),
                Report::default(),
                WarningSet::default(),
            ),
        };
        let record = ReloadRecord {
            at,
            took: started.elapsed(),
            trigger,
            outcome,
            report: Arc::new(report),
            warnings: Arc::new(warnings),
        };
        self.log_reload(&record);
        let previous = self
            .last_reload
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(record.clone());
        // Thousands of diagnostics take a while to free: not on an answering thread.
        self.librarian.drop_later(previous);
        self.reload_count
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        record
    }

    fn log_reload(&self, r: &ReloadRecord) {
        let ms = r.took.as_secs_f64() * 1000.0;
        let trigger = r.trigger.describe();
        match &r.outcome {
            ReloadOutcome::Loaded {
                topics,
                cards,
                warnings,
            } => {
                self.metrics.reload("loaded");
                tracing::info!(
                    trigger,
                    topics,
                    cards,
                    warnings,
                    took_ms = ms,
                    "reloaded the cards"
                );
            }
            ReloadOutcome::Failed { errors, .. } => {
                self.metrics.reload("failed");
                let root = self.briefings.as_deref().unwrap_or(Path::new(""));
                for d in r.report.diagnostics.iter().filter(|d| d.is_error()) {
                    tracing::warn!(trigger, "{}", d.one_line(root));
                }
                tracing::warn!(
                    trigger,
                    errors,
                    took_ms = ms,
                    "the cards have errors; still serving the last good ones"
                );
            }
            ReloadOutcome::Unreadable(why) => {
                self.metrics.reload("failed");
                tracing::error!(
                    trigger,
                    "cannot reload the cards: {why}; still serving the last good ones"
                );
            }
        }
    }

    /// Tell the moderators what a reload calls for: a new failure, its fix, new warnings.
    pub fn announce(&self, record: &ReloadRecord) {
        let root = self.briefings.clone().unwrap_or_default();
        let notices = self
            .told
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .after(record, &root);
        for n in notices {
            match n.kind {
                NoticeKind::Broken => tracing::warn!("moderators: {}", n.title),
                NoticeKind::Fixed | NoticeKind::Warnings | NoticeKind::Suggestion(_) => {
                    tracing::info!("moderators: {}", n.title)
                }
            }
            self.notify(n);
        }
    }

    pub async fn reload_and_announce(&self, trigger: Trigger) -> ReloadRecord {
        let record = self.reload(trigger).await;
        self.announce(&record);
        record
    }

    /// `check`: the cards on disk, checked like a reload, without serving them.
    pub async fn check_on_disk(&self) -> Reply {
        let Some(root) = self.briefings.clone() else {
            return Reply::new(ReplyKind::UserError, "Nothing to check")
                .summary(Line::new("This library was not read from a folder."));
        };
        let loaded = self
            .librarian
            .load(root.clone(), self.clock.today(), self.default_topic.clone())
            .await;
        match loaded {
            Ok(Ok(Loaded {
                library, report, ..
            })) => {
                let n = library.topics().len();
                let files = library.card_files();
                self.librarian.drop_later(library);
                let title = if report.has_errors() {
                    format!(
                        "The cards on disk have {} error{}",
                        report.errors(),
                        plural(report.errors())
                    )
                } else {
                    "The cards on disk are valid".to_owned()
                };
                let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(
                    if report.has_errors() {
                        "Users are served the last good cards until these are fixed.".to_owned()
                    } else {
                        format!(
                            "{n} topic{}, {} card files; {} warning{}.",
                            plural(n),
                            files,
                            report.diagnostics.len(),
                            plural(report.diagnostics.len())
                        )
                    },
                ));
                diagnostics_sections(&mut r, &report, &root);
                r
            }
            Ok(Err(e)) => Reply::new(ReplyKind::Answer, "The briefings folder cannot be read")
                .summary(Line::new(e)),
            Err(_) => Reply::new(ReplyKind::Answer, "The check stopped unexpectedly")
                .summary(Line::new("see the log for why")),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// At most this many diagnostics of each kind in a chat reply; `dossier check` has them all.
const MAX_LISTED: usize = 15;

pub(crate) fn diagnostics_sections(r: &mut Reply, report: &Report, root: &Path) {
    for (heading, errors) in [("Errors", true), ("Warnings", false)] {
        let all: Vec<&Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.is_error() == errors)
            .collect();
        let mut lines: Vec<Line> = all
            .iter()
            .take(MAX_LISTED)
            .map(|d| Line::new(d.one_line(root)))
            .collect();
        if all.len() > MAX_LISTED {
            lines.push(Line::new(format!(
                "… and {} more: `dossier check` lists them all",
                all.len() - MAX_LISTED
            )));
        }
        r.bullets(heading, lines);
    }
}

impl ReloadRecord {
    /// The answer to the `reload` command.
    pub fn reply(&self, root: Option<&Path>) -> Reply {
        let root = root.unwrap_or(Path::new(""));
        let ms = self.took.as_secs_f64() * 1000.0;
        let mut r = match &self.outcome {
            ReloadOutcome::Loaded {
                topics,
                cards,
                warnings,
            } => Reply::new(ReplyKind::Answer, "Reloaded").summary(Line::new(format!(
                "Now serving {topics} topic{} from {cards} card files (read in {ms:.0} ms); {warnings} warning{}.",
                plural(*topics),
                plural(*warnings)
            ))),
            ReloadOutcome::Failed { errors, .. } => {
                Reply::new(ReplyKind::Answer, "Not reloaded: the cards have errors").summary(
                    Line::new(format!(
                        "{errors} error{}; users are still served the last good cards. Fix them and save, or run reload again.",
                        plural(*errors)
                    )),
                )
            }
            ReloadOutcome::Unreadable(why) => {
                Reply::new(ReplyKind::Answer, "Not reloaded: the briefings folder cannot be read")
                    .summary(Line::new(why.clone()))
            }
        };
        diagnostics_sections(&mut r, &self.report, root);
        r
    }
}

/// The folder's identity, to notice when it is replaced (a volume remounted over it).
fn identity(root: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(root).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(root).ok().map(|_| (0, 0))
    }
}

/// What the watcher's callback hands the loop.
type Event = notify::Result<notify::Event>;

/// Start watching `root`; events go to the returned channel.
/// `arm`, from a thread of the lowest priority: notify's event thread inherits it, so turning
/// the kernel's events for a reload's thousands of reads into notify events (a seventh of the
/// CPU while a 10,000-file tree reloaded back to back) gives way to answers.
fn arm_quietly(
    root: &Path,
) -> notify::Result<(
    notify::RecommendedWatcher,
    tokio::sync::mpsc::UnboundedReceiver<Event>,
)> {
    std::thread::scope(|s| {
        s.spawn(|| {
            lower_priority();
            arm(root)
        })
        .join()
        .unwrap_or_else(|_| Err(notify::Error::generic("the watcher's set-up thread failed")))
    })
}

fn arm(
    root: &Path,
) -> notify::Result<(
    notify::RecommendedWatcher,
    tokio::sync::mpsc::UnboundedReceiver<Event>,
)> {
    use notify::Watcher as _;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let watched = root.to_path_buf();
    let mut watcher = notify::recommended_watcher(move |e: Event| {
        // inotify always reports opens, so every reload raises one event per card file it
        // reads: drop what cannot matter here, on the watcher's thread, rather than queueing
        // them (a 10,000-file tree reloaded back to back otherwise piled up events faster than
        // the loop drained them, and memory with them).
        if let Ok(ev) = &e
            && !(matters(&watched, ev) || root_removed(&watched, ev))
        {
            return;
        }
        let _ = tx.send(e);
    })?;
    watcher.watch(root, notify::RecursiveMode::Recursive)?;
    Ok((watcher, rx))
}

/// The briefings folder itself was removed (or renamed away).
fn root_removed(root: &Path, ev: &notify::Event) -> bool {
    matches!(ev.kind, notify::EventKind::Remove(_)) && ev.paths.iter().any(|p| p == root)
}

/// Watch the briefings folder and reload on each burst of relevant changes, and on SIGHUP,
/// until `stop`. A watcher error, or the folder being replaced, re-arms the watch (and
/// reloads, since changes may have been missed) instead of going deaf.
pub async fn watch(app: Arc<App>, stop: CancellationToken) {
    let Some(root) = app.briefings.clone() else {
        return;
    };
    let mut hangups = hangups();
    let mut failures = 0u32;
    let mut first = true;
    while !stop.is_cancelled() {
        let (watcher, mut events) = match arm_quietly(&root) {
            Ok(w) => w,
            Err(e) => {
                let wait = Duration::from_millis(500) * 2u32.pow(failures.min(6));
                failures = failures.saturating_add(1);
                tracing::error!(folder = %root.display(), error = %e, retry_in_ms = wait.as_millis() as u64, "cannot watch the briefings folder; retrying");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(wait) => continue,
                }
            }
        };
        failures = 0;
        if first {
            tracing::info!(folder = %root.display(), "watching the briefings folder for changes");
        } else {
            tracing::info!(folder = %root.display(), "re-armed the watch on the briefings folder");
            app.reload_and_announce(Trigger::Rewatch).await;
        }
        first = false;
        let watching = identity(&root);
        let mut debounce = Debounce::new(QUIET, MAX_WAIT);
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.tick().await;
        let rearm = loop {
            let due = debounce.due().map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = stop.cancelled() => return,
                Some(()) = next_hangup(&mut hangups) => {
                    tracing::info!("SIGHUP: reloading the cards");
                    app.reload_and_announce(Trigger::Signal).await;
                }
                event = events.recv() => match event {
                    Some(Ok(ev)) => {
                        if matters(&root, &ev) {
                            debounce.note(Instant::now());
                        }
                        if root_removed(&root, &ev) {
                            tracing::warn!(folder = %root.display(), "the briefings folder was removed or replaced");
                            break true;
                        }
                    }
                    Some(Err(e)) => {
                        tracing::warn!(folder = %root.display(), error = %e, "the file watcher failed");
                        break true;
                    }
                    None => break true,
                },
                _ = sleep_until(due), if due.is_some() => {
                    debounce.clear();
                    let record = app.reload(Trigger::FileChange).await;
                    // More saves arrived while this one loaded: let the next reload speak,
                    // so a half-written checkout is not reported as broken.
                    let more = events_waiting(&mut events, &root, &mut debounce);
                    if record.succeeded() || !more {
                        app.announce(&record);
                    }
                }
                _ = recheck.tick() => {
                    if identity(&root) != watching {
                        tracing::warn!(folder = %root.display(), "the briefings folder was replaced");
                        break true;
                    }
                }
            }
        };
        drop(watcher);
        if rearm {
            // Give a remount a moment to finish before watching again.
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(QUIET) => {}
            }
        }
    }
}

/// Drain events that arrived during a reload into the debounce; whether any was relevant.
fn events_waiting(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<Event>,
    root: &Path,
    debounce: &mut Debounce,
) -> bool {
    let mut any = false;
    while let Ok(Ok(ev)) = events.try_recv() {
        if matters(root, &ev) {
            debounce.note(Instant::now());
            any = true;
        }
    }
    any
}

async fn sleep_until(due: Option<tokio::time::Instant>) {
    match due {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

fn hangups() -> Hangups {
    #[cfg(unix)]
    {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

async fn next_hangup(h: &mut Hangups) -> Option<()> {
    #[cfg(unix)]
    {
        match h {
            Some(s) => s.recv().await,
            None => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = h;
        std::future::pending().await
    }
}

/// The briefings folder of a path given on the command line or in a config, made absolute so
/// watcher events (which carry absolute paths) can be compared with it.
pub fn absolute(root: &Path) -> PathBuf {
    std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reading_the_cards_queues_no_events_and_saving_one_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let topic = root.join("t");
        std::fs::create_dir(&topic).unwrap();
        for i in 0..200 {
            std::fs::write(topic.join(format!("{i}.toml")), "x = 1\n").unwrap();
        }
        let (_watcher, mut events) = arm(&root).unwrap();
        for i in 0..200 {
            std::fs::read_to_string(topic.join(format!("{i}.toml"))).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(events.try_recv().is_err(), "reads reached the queue");
        std::fs::write(topic.join("7.toml"), "x = 2\n").unwrap();
        let saved = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .expect("a save is reported")
            .unwrap()
            .unwrap();
        assert!(matters(&root, &saved));
    }

    #[test]
    fn card_files_matter_and_scratch_files_do_not() {
        let root = Path::new("/srv/briefings");
        let yes = [
            "",
            "iran-us-talks",
            "iran-us-talks/topic.toml",
            "iran-us-talks/timeline.toml",
            "iran-us-talks/actors",
            "iran-us-talks/actors/iran.toml",
            "iran-us-talks/timline.toml",
            "stray.toml",
            "..data",
        ];
        let no = [
            ".git/index",
            ".git/objects/ab/cdef",
            "iran-us-talks/.topic.toml.swp",
            "iran-us-talks/actors/.iran.toml.swx",
            "iran-us-talks/actors/iran.toml~",
            "iran-us-talks/actors/#iran.toml#",
            "iran-us-talks/actors/.#iran.toml",
            "iran-us-talks/actors/4913",
            "iran-us-talks/actors/iran.toml.tmp",
            "iran-us-talks/actors/iran.toml.tmp.12345",
            "iran-us-talks/topic.toml.bak",
            "iran-us-talks/topic.toml.orig",
            "iran-us-talks/notes.md",
            "iran-us-talks/actors/notes.txt",
            "iran-us-talks/actors/deep/iran.toml",
            "_drafts/topic.toml",
            ".hidden-topic/topic.toml",
            "README.md",
        ];
        for p in yes {
            assert!(relevant(root, &root.join(p)), "{p} should matter");
        }
        for p in no {
            assert!(!relevant(root, &root.join(p)), "{p} should not matter");
        }
        assert!(!relevant(root, Path::new("/elsewhere/topic.toml")));
    }

    #[test]
    fn reads_are_not_changes() {
        use notify::event::{AccessKind, CreateKind, EventKind, MetadataKind, ModifyKind};
        let root = Path::new("/srv/briefings");
        let card = root.join("t/topic.toml");
        let ev = |kind| notify::Event::new(kind).add_path(card.clone());
        assert!(!matters(root, &ev(EventKind::Access(AccessKind::Any))));
        assert!(!matters(
            root,
            &ev(EventKind::Modify(ModifyKind::Metadata(
                MetadataKind::AccessTime
            )))
        ));
        assert!(matters(root, &ev(EventKind::Create(CreateKind::File))));
        assert!(matters(root, &ev(EventKind::Modify(ModifyKind::Any))));
        let swap = notify::Event::new(EventKind::Create(CreateKind::File))
            .add_path(root.join("t/.topic.toml.swp"));
        assert!(!matters(root, &swap));
    }

    #[test]
    fn a_burst_is_over_when_quiet_or_too_long() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut d = Debounce::new(ms(150), ms(2000));
        assert!(!d.pending() && d.due().is_none());
        d.note(t0);
        assert_eq!(d.due(), Some(t0 + ms(150)));
        // Each save within the quiet time pushes the reload back...
        d.note(t0 + ms(100));
        assert_eq!(d.due(), Some(t0 + ms(250)));
        // ...but never beyond the longest wait after the first.
        for i in 1..40 {
            d.note(t0 + ms(100 * i));
        }
        assert_eq!(d.due(), Some(t0 + ms(2000)));
        d.clear();
        assert!(!d.pending());
    }
}
