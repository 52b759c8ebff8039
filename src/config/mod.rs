//! The `serve` configuration file: where the briefings are, and the platform doors to open.
//! Parsed with the same diagnostics as the cards, so an unknown key or a missing value names
//! the file, line and fix. Secrets never come from this file: tokens and passwords are read from
//! the environment or from files it names, and are never printed.
//!
//! `raw` mirrors the file, `types` is the validated config, `check` reads the file and checks
//! the top level with what every table shares; `discord`, `matrix`, `moderation`, `schedule`
//! and `state` check their own parts.

pub mod check;
pub mod discord;
pub mod matrix;
pub mod moderation;
pub mod raw;
pub mod schedule;
pub mod state;
pub mod types;

#[cfg(test)]
mod tests;

pub use check::load;
pub use types::*;
