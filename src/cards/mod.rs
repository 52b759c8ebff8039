//! Briefing cards: the TOML format moderators write (`raw`), reading a briefings folder
//! (`load`, `parse`), the checks (`validate`) and the validated model the rest of dossier uses
//! (`model`). Reads files; knows nothing about chat platforms.

pub mod load;
pub mod model;
pub mod parse;
pub mod raw;
pub mod schema;
pub mod validate;

pub use load::{LoadError, Loaded, load};
pub use model::*;
