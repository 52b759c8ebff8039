//! The state every chat door shares: the current library snapshot (swapped whole on reload,
//! never locked across an await), the default topic and the clock. Platform-neutral.

use crate::commands::{Command, Ctx, answer};
use crate::library::Library;
use crate::reply::Reply;
use arc_swap::ArcSwap;
use chrono::NaiveDate;
use std::sync::Arc;

/// Where "today" comes from: the system clock, or a fixed day for reproducible tests.
#[derive(Clone, Copy, Debug)]
pub enum Clock {
    System,
    Fixed(NaiveDate),
}

impl Clock {
    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::System => chrono::Local::now().date_naive(),
            Clock::Fixed(d) => *d,
        }
    }
}

pub struct App {
    library: ArcSwap<Library>,
    pub default_topic: Option<String>,
    pub clock: Clock,
}

impl App {
    pub fn new(library: Library, default_topic: Option<String>, clock: Clock) -> Self {
        App {
            library: ArcSwap::from_pointee(library),
            default_topic,
            clock,
        }
    }

    /// The library as it is now; a command keeps its snapshot even if a reload swaps it.
    pub fn snapshot(&self) -> Arc<Library> {
        self.library.load_full()
    }

    /// Replace the library (after a successful reload).
    pub fn swap(&self, library: Library) {
        self.library.store(Arc::new(library));
    }

    pub fn answer(&self, cmd: &Command) -> Reply {
        let lib = self.snapshot();
        answer(
            &Ctx {
                library: &lib,
                today: self.clock.today(),
                default_topic: self.default_topic.as_deref(),
            },
            cmd,
        )
    }
}
