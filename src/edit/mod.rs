//! Card surgery: what an edit asks for (`request`), the fields of a form and their grammar on
//! Matrix (`form`), the change applied to a card's text with `toml_edit`, so the rest of the
//! file keeps its comments and layout (`apply`), a topic's news feeds added or removed
//! (`feeds`), a web archive's snapshots kept with the sources (`snapshots`), and new cards from
//! templates (`new`). Pure:
//! text in, text out. The service that takes edits from chat, checks, writes, logs and
//! reloads is `crate::desk`.

pub mod apply;
pub mod feeds;
pub mod form;
pub mod new;
pub mod request;
pub mod snapshots;

pub use request::{Action, Author, EditRequest, Verb, content_hash, parse_action, split_card_ref};
