//! Live reload: watch the briefings folder (`watch`), turn each burst of saves into one reload,
//! rebuild the whole library off the answering threads (`librarian`, `load`) and swap it in
//! only when it has no errors (`reloader`). A broken edit changes nothing for users; the
//! moderators are told once, and told again when it is fixed (`told`). What a reload was is
//! `record`.

pub mod librarian;
pub mod load;
pub mod record;
pub mod reloader;
pub mod told;
pub mod watch;

pub use load::{absolute, check_default_topic, load_checked};
pub use record::{ReloadOutcome, ReloadRecord, Trigger, WarningSet, diagnostics_sections};
pub use reloader::Reloader;
pub use watch::{MAX_WAIT, QUIET, watch};
