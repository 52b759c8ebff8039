//! The shelf: the library being served, replaced whole by a reload and never locked. Every
//! command takes one snapshot and answers from it, even if a reload swaps the shelf meanwhile.
//! Each library put on the shelf gets the next version number, so what was rendered from one
//! can be told from what was rendered from another, and who wants to know when the library
//! changes (the change feed) watches the version.

use crate::library::Library;
use arc_swap::ArcSwap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Shelf {
    library: ArcSwap<Library>,
    last_version: AtomicU64,
    /// The version being served, for those who wait for the next one.
    served: tokio::sync::watch::Sender<u64>,
}

impl Shelf {
    pub fn new(library: Library) -> Shelf {
        Shelf {
            library: ArcSwap::from_pointee(library.numbered(1)),
            last_version: AtomicU64::new(1),
            served: tokio::sync::watch::Sender::new(1),
        }
    }

    /// The library as it is now; the caller keeps it even if a reload swaps the shelf.
    pub fn snapshot(&self) -> Arc<Library> {
        self.library.load_full()
    }

    /// Serve `library` from now on, as the next version; the one it replaces, for the caller
    /// to free.
    pub fn swap(&self, library: Library) -> Arc<Library> {
        let version = self.last_version.fetch_add(1, Ordering::SeqCst) + 1;
        let old = self.library.swap(Arc::new(library.numbered(version)));
        self.served.send_replace(version);
        old
    }

    /// The version being served, changed on every swap: wait on it with `changed()`, then
    /// take a [`snapshot`](Shelf::snapshot). Swaps in quick succession may be seen as one.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.served.subscribe()
    }
}
