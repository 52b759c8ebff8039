//! The shelf: the library being served, replaced whole by a reload and never locked. Every
//! command takes one snapshot and answers from it, even if a reload swaps the shelf meanwhile.
//! Each library put on the shelf gets the next version number, so what was rendered from one
//! can be told from what was rendered from another, and who wants to know when the library
//! changes (the change feed) watches the version. What the latest looks at the cited pages
//! found is kept on the shelf too: each library put on it shows them, and new looks put the
//! same cards back as the next version.

use crate::library::{Library, Looks};
use arc_swap::ArcSwap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Shelf {
    library: ArcSwap<Library>,
    last_version: AtomicU64,
    /// The version being served, for those who wait for the next one.
    served: tokio::sync::watch::Sender<u64>,
    /// The latest looks at the cited pages, shown by every library put on the shelf.
    looks: ArcSwap<Looks>,
    /// One change at a time: a reload and new looks never undo each other.
    changing: std::sync::Mutex<()>,
}

impl Shelf {
    pub fn new(library: Library) -> Shelf {
        Shelf {
            library: ArcSwap::from_pointee(library.numbered(1)),
            last_version: AtomicU64::new(1),
            served: tokio::sync::watch::Sender::new(1),
            looks: ArcSwap::from_pointee(Looks::default()),
            changing: std::sync::Mutex::new(()),
        }
    }

    /// The library as it is now; the caller keeps it even if a reload swaps the shelf.
    pub fn snapshot(&self) -> Arc<Library> {
        self.library.load_full()
    }

    /// Serve `library` from now on, as the next version; the one it replaces, for the caller
    /// to free.
    pub fn swap(&self, library: Library) -> Arc<Library> {
        let _one = self.changing.lock().unwrap_or_else(|e| e.into_inner());
        self.put(library.with_looks(self.looks.load_full()))
    }

    fn put(&self, library: Library) -> Arc<Library> {
        let version = self.last_version.fetch_add(1, Ordering::SeqCst) + 1;
        let old = self.library.swap(Arc::new(library.numbered(version)));
        self.served.send_replace(version);
        old
    }

    /// Show `looks` from now on. When they differ from those shown, the same cards go back on
    /// the shelf as the next version (so what was rendered before them is not served again),
    /// and the library replaced is returned for the caller to free.
    pub fn show_looks(&self, looks: Looks) -> Option<Arc<Library>> {
        let _one = self.changing.lock().unwrap_or_else(|e| e.into_inner());
        if **self.looks.load() == looks {
            return None;
        }
        let looks = Arc::new(looks);
        self.looks.store(looks.clone());
        let same = Library::clone(&self.library.load()).with_looks(looks);
        Some(self.put(same))
    }

    /// The version being served, changed on every swap: wait on it with `changed()`, then
    /// take a [`snapshot`](Shelf::snapshot). Swaps in quick succession may be seen as one.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<u64> {
        self.served.subscribe()
    }
}
