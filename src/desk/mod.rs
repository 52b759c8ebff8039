//! The edit desk: edits from chat, made by a running service. A moderator's form (Discord) or
//! `field: value` message (Matrix) becomes a change to one card file: applied with the card
//! surgery of `crate::edit` so the rest of the file keeps its comments and layout, checked with
//! the whole topic by the same rules as `dossier check` before anything is written, written
//! atomically, committed in git, logged with its author (the edit log of `store::edits`), and
//! served by a reload
//! (`write`). `undo` reverts the newest edit, checked the same way, and `history` lists them
//! (`undo`); members suggest edits for the moderators to decide (`suggestions`). Edits to one
//! topic are serialized (`state`); a form opened on a card that changed before it was sent is
//! refused (`target`). `new` makes topics and actor cards from the templates.
//! `grammar` answers the chat commands. With `cards_remote`, edits travel between replicas by
//! git: each topic is held across the replicas for an edit, pulled first and pushed after
//! (`state`), and the others pull when told (`follow`). `news` polls a topic's news feeds into
//! proposed timeline events, and `proposals` lists them and writes the approved ones (an event
//! and its sources, one commit, undone whole); `polling` reads the feeds inside `serve`; `feeds` lists
//! a topic's feeds and adds or removes one from chat; `snapshots` keeps a web archive's copies
//! of the cited pages in `sources.toml`, as dossier.
//!
//! Platform-neutral: the router hands it a command, the doors show the [`Reply`](crate::reply::Reply).

// A refused edit is a reply to show; it happens once per command, not worth a box.
#![allow(clippy::result_large_err)]

pub mod feeds;
pub mod files;
pub mod follow;
pub mod git;
pub mod grammar;
pub mod new;
pub mod news;
pub mod polling;
pub mod proposals;
pub mod snapshots;
pub mod state;
pub mod suggestions;
pub mod target;
pub mod undo;
pub mod write;

pub use crate::store::edits::EditStore;
pub use files::write_atomically;
pub use grammar::respond;
pub use state::{Desk, HISTORY_LEN, Handles, MAX_PENDING_SUGGESTIONS, Sharing, not_set_up};
pub use target::{Prefill, Target, card_ref};
