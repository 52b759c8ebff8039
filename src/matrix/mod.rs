//! The Matrix door: `!position iran` in a room, answered with a threaded, HTML-formatted reply,
//! in plain and end-to-end encrypted rooms alike. The only module that imports matrix-sdk.
//! One initial sync before handlers are registered, so old history is never answered (the
//! commands in it sent since the door started, and not yet replied to, are: `catch_up`); the
//! sync token lives in the SQLite store, so a restart resumes where it stopped. The sync loop only
//! dispatches: each command is answered on its own task, a bounded number at a time, so a slow
//! send or power-level lookup in one room never holds up another.
//!
//! `door` is what the handlers share, `sync` the loop, `answer` the commands, `picture` the
//! chart that follows an answer (`uploads` the charts already uploaded), `session` the login,
//! `invites` the autojoin rules, `briefings` and `moderation` the posts it makes, `reactions` a
//! moderator's ✅ on a newsdesk proposal's notice.

pub mod answer;
pub mod briefings;
pub mod catch_up;
pub mod door;
pub mod invites;
pub mod moderation;
pub mod picture;
pub mod reactions;
pub mod session;
pub mod sync;
pub mod uploads;

pub use answer::{
    answer, command_text, content, parse_with_fields, register, reply_or_apology, respond,
};
pub use briefings::{MatrixPoster, briefing_content};
pub use door::{Door, MAX_CONCURRENT_ANSWERS, MAX_QUEUED_ANSWERS, NAME, transaction_id};
pub use invites::invite_allowed;
pub use moderation::notice_content;
pub use session::{connect, read_session};
pub use sync::run;
