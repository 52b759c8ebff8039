//! The watch on the briefings folder: which file events can change the cards and when a burst
//! of saves is over (pure, tested decisions), and the loop around them that asks the reloader
//! for one reload per burst, and one on SIGHUP. The watch re-arms itself when it fails or its
//! folder is replaced, instead of going deaf.

use super::librarian::lower_priority;
use super::record::Trigger;
use super::reloader::Reloader;
use crate::cards;
use std::path::{Component, Path};
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

/// The folder's identity, to notice when it is replaced (a volume remounted over it).
fn folder_identity(root: &Path) -> Option<(u64, u64)> {
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

/// Most watcher events waiting for the loop; past this they are not queued but remembered as
/// one change, which is all the loop needs to know to reload.
const EVENTS_WAITING: usize = 1024;

/// The watcher's events, bounded: see [`EVENTS_WAITING`].
pub(crate) struct Events {
    rx: tokio::sync::mpsc::Receiver<Event>,
    overflowed: Arc<std::sync::atomic::AtomicBool>,
}

impl Events {
    async fn recv(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    fn try_recv(&mut self) -> Result<Event, tokio::sync::mpsc::error::TryRecvError> {
        self.rx.try_recv()
    }

    /// Whether events were left out since the last look (the folder changed).
    fn overflowed(&self) -> bool {
        self.overflowed
            .swap(false, std::sync::atomic::Ordering::Relaxed)
    }
}

/// Start watching `root`; events go to the returned channel.
/// `arm`, from a thread of the lowest priority: notify's event thread inherits it, so turning
/// the kernel's events for a reload's thousands of reads into notify events (a seventh of the
/// CPU while a 10,000-file tree reloaded back to back) gives way to answers.
fn arm_quietly(root: &Path) -> notify::Result<(notify::RecommendedWatcher, Events)> {
    std::thread::scope(|s| {
        s.spawn(|| {
            lower_priority();
            arm(root)
        })
        .join()
        .unwrap_or_else(|_| Err(notify::Error::generic("the watcher's set-up thread failed")))
    })
}

fn arm(root: &Path) -> notify::Result<(notify::RecommendedWatcher, Events)> {
    use notify::Watcher as _;
    let (tx, rx) = tokio::sync::mpsc::channel(EVENTS_WAITING);
    let overflowed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let full = overflowed.clone();
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
        if let Err(tokio::sync::mpsc::error::TrySendError::Full(_)) = tx.try_send(e) {
            full.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    })?;
    watcher.watch(root, notify::RecursiveMode::Recursive)?;
    Ok((watcher, Events { rx, overflowed }))
}

/// The briefings folder itself was removed (or renamed away).
fn root_removed(root: &Path, ev: &notify::Event) -> bool {
    matches!(ev.kind, notify::EventKind::Remove(_)) && ev.paths.iter().any(|p| p == root)
}

/// Watch the briefings folder and reload on each burst of relevant changes, and on SIGHUP,
/// until `stop`. A watcher error, or the folder being replaced, re-arms the watch (and
/// reloads, since changes may have been missed) instead of going deaf.
pub async fn watch(reloader: Arc<Reloader>, stop: CancellationToken) {
    let Some(root) = reloader.root().map(Path::to_path_buf) else {
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
            reloader.reload_and_announce(Trigger::Rewatch).await;
        }
        first = false;
        let watching = folder_identity(&root);
        let mut debounce = Debounce::new(QUIET, MAX_WAIT);
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.tick().await;
        let rearm = loop {
            let due = debounce.due().map(tokio::time::Instant::from_std);
            tokio::select! {
                _ = stop.cancelled() => return,
                Some(()) = next_hangup(&mut hangups) => {
                    tracing::info!("SIGHUP: reloading the cards");
                    reloader.reload_and_announce(Trigger::Signal).await;
                }
                event = events.recv() => match event {
                    Some(Ok(ev)) => {
                        if matters(&root, &ev) || events.overflowed() {
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
                    let record = reloader.reload(Trigger::FileChange).await;
                    // More saves arrived while this one loaded: let the next reload speak,
                    // so a half-written checkout is not reported as broken.
                    let more = events_waiting(&mut events, &root, &mut debounce);
                    if record.succeeded() || !more {
                        reloader.announce(&record);
                    }
                }
                _ = recheck.tick() => {
                    if folder_identity(&root) != watching {
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
fn events_waiting(events: &mut Events, root: &Path, debounce: &mut Debounce) -> bool {
    let mut any = false;
    while let Ok(Ok(ev)) = events.try_recv() {
        if matters(root, &ev) {
            debounce.note(Instant::now());
            any = true;
        }
    }
    if events.overflowed() {
        debounce.note(Instant::now());
        any = true;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_flood_of_events_waits_bounded_and_is_remembered_as_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let topic = root.join("t");
        std::fs::create_dir(&topic).unwrap();
        let (_watcher, mut events) = arm(&root).unwrap();
        for i in 0..3000 {
            std::fs::write(topic.join(format!("{i}.toml")), "x = 1\n").unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut queued = 0;
        while events.try_recv().is_ok() {
            queued += 1;
        }
        assert!(queued <= EVENTS_WAITING, "{queued} queued");
        assert!(events.overflowed(), "the events left out count as a change");
        assert!(!events.overflowed(), "once");
    }

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
