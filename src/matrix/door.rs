//! What the Matrix door's handlers share: the door itself (the app, the config, the bot's own
//! user id, when it started) and the bounds on answers in flight.

use super::briefings::MatrixPoster;
use crate::app::App;
use crate::config::MatrixConfig;
use anyhow::Context as _;
use matrix_sdk::ruma::events::room::message::{MessageType, OriginalSyncRoomMessageEvent};
use matrix_sdk::ruma::{OwnedUserId, UserId};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
/// The longest wait between sync retries.
pub(super) const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How a failed send, join or sync is tried again: from `first`, doubling with jitter to
/// [`MAX_BACKOFF`].
pub(super) const fn retrying(first: Duration) -> crate::retry::Policy {
    crate::retry::Policy::new(first, MAX_BACKOFF)
}

/// Commands answered at the same time.
pub const MAX_CONCURRENT_ANSWERS: usize = 16;
/// Commands waiting for an answer slot; beyond this a flood is dropped (and logged) rather
/// than queued without bound.
pub const MAX_QUEUED_ANSWERS: usize = 256;
/// Invites being joined at the same time (each with its retries); an invite past this stays
/// pending and is joined at the next start, which takes the pending invites one at a time.
pub const MAX_JOINING: usize = 16;

/// What the handlers share.
pub struct Door {
    pub app: Arc<App>,
    pub cfg: MatrixConfig,
    pub own: OwnedUserId,
    /// Called with the time from receiving a command to issuing its reply (for measurements).
    pub on_answer: Option<Arc<dyn Fn(Duration) + Send + Sync>>,
    /// Messages sent before this moment (ms since the epoch) are history, not questions: they
    /// arrive when the bot joins a room with earlier messages in it.
    pub started_ms: u64,
    /// Commands sent from this moment until `started_ms` arrived while nobody listened (a
    /// replica taking the sync over); each is answered if the bot has not replied to it yet
    /// (`catch_up`). The same as `started_ms` unless set earlier.
    pub catch_up_from_ms: u64,
    /// What `catch_up` knows of the bot's replies in each room, and the commands it took.
    pub(super) caught_up: Seen,
    /// The room where moderators are told about broken cards (`[moderation] matrix_room`).
    pub moderation_room: Option<String>,
    /// Posts daily briefings once connected.
    pub poster: MatrixPoster,
    /// Answers running now, and answers running or waiting: see `dispatch`.
    pub(super) running: Arc<Semaphore>,
    pub(super) queued: Arc<Semaphore>,
    /// Invites being joined now: see `MAX_JOINING`.
    pub(super) joining: Arc<Semaphore>,
    /// Charts already in the media repository, reused in plain rooms.
    pub(super) uploads: Arc<super::uploads::Uploads>,
    /// Cancelled when this replica gives the sync up to another (its lease lost): answers still
    /// in flight are then not sent, as the new holder answers them.
    pub handed_over: Option<tokio_util::sync::CancellationToken>,
}

impl Door {
    pub fn new(app: Arc<App>, cfg: MatrixConfig) -> anyhow::Result<Door> {
        let own = UserId::parse(&cfg.user)
            .with_context(|| format!("`{}` is not a Matrix user id", cfg.user))?;
        let started_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Ok(Door {
            app,
            cfg,
            own,
            on_answer: None,
            started_ms,
            catch_up_from_ms: started_ms,
            caught_up: Default::default(),
            moderation_room: None,
            poster: MatrixPoster::default(),
            running: Arc::new(Semaphore::new(MAX_CONCURRENT_ANSWERS)),
            queued: Arc::new(Semaphore::new(MAX_QUEUED_ANSWERS)),
            joining: Arc::new(Semaphore::new(MAX_JOINING)),
            uploads: Arc::default(),
            handed_over: None,
        })
    }

    /// Whether this replica has given the sync up to another: nothing more may be sent.
    pub fn handed_over(&self) -> bool {
        self.handed_over
            .as_ref()
            .is_some_and(tokio_util::sync::CancellationToken::is_cancelled)
    }

    /// Messages sent before this moment are history, never answered.
    pub fn history_before(&self) -> u64 {
        self.started_ms.min(self.catch_up_from_ms)
    }

    /// A cheap first look, on the sync loop: could this message be a command for us?
    pub(super) fn may_be_command(&self, ev: &OriginalSyncRoomMessageEvent) -> bool {
        ev.sender != self.own
            && matches!(&ev.content.msgtype, MessageType::Text(t) if t.body.contains(self.cfg.prefix.as_str()))
    }
}

/// The bot's replies `catch_up` found in each room (read once), and the late commands it took.
#[derive(Default)]
pub struct Seen {
    pub(super) replied: tokio::sync::Mutex<
        std::collections::HashMap<
            matrix_sdk::ruma::OwnedRoomId,
            std::collections::HashSet<matrix_sdk::ruma::OwnedEventId>,
        >,
    >,
    pub(super) taken: std::sync::Mutex<std::collections::HashSet<matrix_sdk::ruma::OwnedEventId>>,
}

/// The door's name in `status`, `/readyz` and the logs.
pub const NAME: &str = "Matrix";

/// The same command event always gets the same transaction id, so a retried send is
/// deduplicated by the homeserver instead of posted twice.
pub fn transaction_id(
    ev: &matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent,
) -> matrix_sdk::ruma::OwnedTransactionId {
    let id: String = ev
        .event_id
        .as_str()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("dossier-{id}").into()
}
