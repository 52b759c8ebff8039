//! From raw cards to the validated model: every check the card format promises (ids, dates,
//! URLs, references, aliases, quotes, staleness), each failure a diagnostic that points at the
//! value and names the fix. Invalid values get placeholders so checking can go on; a topic with
//! any error is never served.
//!
//! `checks` holds the validator and the checks of single values; `topic`, `sources`, `actors`,
//! `events` and `feeds` check their cards.

pub mod actors;
pub mod checks;
pub mod events;
pub mod feeds;
pub mod sources;
pub mod topic;

pub use checks::{DEFAULT_STALE_AFTER_DAYS, TopicCards, Validator};
