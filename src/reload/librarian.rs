//! The librarian: one long-lived, low-priority thread per service that reads the cards into
//! libraries and frees the ones reloads replace, so neither costs an answering thread.

use super::load::load_checked_on;
use super::record::{WarningSet, warning_set};
use crate::diag::Report;
use crate::library::Library;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    pub warnings: WarningSet,
}

fn load_for_service(
    root: &Path,
    today: chrono::NaiveDate,
    default: Option<&str>,
    threads: usize,
) -> Result<Loaded, String> {
    let (library, report) =
        load_checked_on(root, today, default, threads).map_err(|e| e.to_string())?;
    let warnings = warning_set(&report, root);
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
    pub(super) fn load(
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
