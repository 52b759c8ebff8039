//! Notices for the moderators' channel or room (a broken edit, its fix, a changed set of
//! warnings, a member's suggestion, the newsdesk's proposal, a feed failing for a day) and the one sender every service feature posts them
//! through; the doors subscribe and deliver them.

use tokio::sync::broadcast;

/// A message for the moderators' channel or room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// One line: what happened.
    pub title: String,
    /// The `check` output (plain text, meant for a monospace block), possibly empty.
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// A reload found errors: the last good cards are still served.
    Broken,
    /// A reload succeeded after failing.
    Fixed,
    /// The warnings (stale cards, uncited sources, past watch dates) changed.
    Warnings,
    /// A member suggested an edit (its number): moderators approve or reject it.
    Suggestion(i64),
    /// The newsdesk proposed a timeline event (its number): moderators approve or reject it.
    Proposal(i64),
    /// A news feed has failed for a day, or works again after that.
    Feed,
    /// A cited page went, changed since it was cited, or came back.
    Source,
}

/// How many notices may wait for a slow door: a poll's proposals (up to a day's limit per
/// topic) come together.
const NOTICES_QUEUED: usize = 512;

/// Where notices are posted: any number of doors subscribe, and a notice nobody listens for
/// (no moderators' destination configured) is simply dropped.
#[derive(Clone)]
pub struct Notices(broadcast::Sender<Notice>);

impl Default for Notices {
    fn default() -> Self {
        Notices(broadcast::channel(NOTICES_QUEUED).0)
    }
}

impl Notices {
    /// Notices from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.0.subscribe()
    }

    pub fn post(&self, notice: Notice) {
        // Nobody listening is fine.
        let _ = self.0.send(notice);
    }
}
