//! The shelf: the library being served, replaced whole by a reload and never locked. Every
//! command takes one snapshot and answers from it, even if a reload swaps the shelf meanwhile.

use crate::library::Library;
use arc_swap::ArcSwap;
use std::sync::Arc;

pub struct Shelf(ArcSwap<Library>);

impl Shelf {
    pub fn new(library: Library) -> Shelf {
        Shelf(ArcSwap::from_pointee(library))
    }

    /// The library as it is now; the caller keeps it even if a reload swaps the shelf.
    pub fn snapshot(&self) -> Arc<Library> {
        self.0.load_full()
    }

    /// Serve `library` from now on; the one it replaces, for the caller to free.
    pub fn swap(&self, library: Library) -> Arc<Library> {
        self.0.swap(Arc::new(library))
    }
}
