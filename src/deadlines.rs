//! How long any call that leaves the process may take, in one place: a call past its deadline
//! fails like any other error (its slot is freed and its caller's retry rules apply), so no
//! unanswering peer holds dossier's work for ever.

use std::time::Duration;

/// Discord's REST API, through serenity and our own client: connecting, and the whole request
/// (a chart's upload included).
pub const DISCORD_CONNECT: Duration = Duration::from_secs(5);
pub const DISCORD_REQUEST: Duration = Duration::from_secs(15);

/// A Matrix homeserver, for every request but the sync's long poll, which is given this on top
/// of the time it asks the server to wait.
pub const MATRIX_REQUEST: Duration = Duration::from_secs(30);

/// The shared PostgreSQL database: a connection, or a pooled one, within this; a statement
/// within twice this.
pub const DATABASE: Duration = Duration::from_secs(3);

/// A git pull or push of the cards' remote, unless the operator's setup says otherwise.
pub const GIT_NETWORK: Duration = Duration::from_secs(30);
