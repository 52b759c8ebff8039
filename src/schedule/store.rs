//! The types the schedule store speaks: where a briefing goes, a subscription, a day's post
//! and its state, what a claim and a record say, and the rows a copy carries. The store itself
//! (`store::schedules`) keeps them.

use crate::digest::WhenUnchanged;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

/// Where a briefing is posted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Destination {
    Discord { channel: u64 },
    Matrix { room: String },
}

impl Destination {
    pub fn platform(&self) -> &'static str {
        match self {
            Destination::Discord { .. } => "discord",
            Destination::Matrix { .. } => "matrix",
        }
    }

    /// The channel or room id, as stored.
    pub fn id(&self) -> String {
        match self {
            Destination::Discord { channel } => channel.to_string(),
            Destination::Matrix { room } => room.clone(),
        }
    }

    pub fn from_parts(platform: &str, id: &str) -> Option<Destination> {
        match platform {
            "discord" => id
                .parse()
                .ok()
                .map(|channel| Destination::Discord { channel }),
            "matrix" => Some(Destination::Matrix {
                room: id.to_owned(),
            }),
            _ => None,
        }
    }

    /// "Discord channel 123", "Matrix room !abc:example.org".
    pub fn describe(&self) -> String {
        match self {
            Destination::Discord { channel } => format!("Discord channel {channel}"),
            Destination::Matrix { room } => format!("Matrix room {room}"),
        }
    }
}

/// A subscription as asked for: from the config, or by a moderator in chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubscription {
    pub destination: Destination,
    pub topic: String,
    pub at: NaiveTime,
    pub tz: Tz,
    pub when_unchanged: WhenUnchanged,
    pub catch_up: Duration,
    pub from_config: bool,
    /// Who made it in chat ("discord:1234 (alice)").
    pub created_by: Option<String>,
}

/// A stored subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: i64,
    pub destination: Destination,
    pub topic: String,
    pub at: NaiveTime,
    pub tz: Tz,
    pub when_unchanged: WhenUnchanged,
    pub catch_up: Duration,
    pub from_config: bool,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Subscription {
    pub fn slot(&self) -> super::due::Slot {
        super::due::Slot {
            at: self.at,
            tz: self.tz,
            catch_up: self.catch_up,
            since: self.created_at,
        }
    }

    /// The idempotency key of the post for `day`: Discord's message nonce (at most 25
    /// characters) and, prefixed, the Matrix transaction id. The same post always gets the
    /// same key, so a send retried after a crash is deduplicated by the platform.
    pub fn post_key(&self, day: NaiveDate) -> String {
        format!("dsr{}-{}", self.id, day.format("%Y%m%d"))
    }
}

/// What happened to one day's briefing of a subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostState {
    /// A process has said it will send it (and may have): not yet confirmed.
    Claimed,
    Sent {
        message_id: String,
    },
    /// Nothing had changed and the place asked for nothing then.
    Skipped,
    /// Due while dossier was down for longer than the catch-up window.
    Missed,
    /// The last attempt failed; it is retried from `retry_at` while still due.
    Failed {
        error: String,
    },
}

impl PostState {
    pub fn name(&self) -> &'static str {
        match self {
            PostState::Claimed => "claimed",
            PostState::Sent { .. } => "sent",
            PostState::Skipped => "skipped",
            PostState::Missed => "missed",
            PostState::Failed { .. } => "failed",
        }
    }

    /// A state from its stored name (`name()`) and the columns kept beside it; `None` for a
    /// name no state has.
    pub fn from_stored(
        name: &str,
        message_id: Option<String>,
        error: Option<String>,
    ) -> Option<PostState> {
        Some(match name {
            "claimed" => PostState::Claimed,
            "sent" => PostState::Sent {
                message_id: message_id.unwrap_or_default(),
            },
            "skipped" => PostState::Skipped,
            "missed" => PostState::Missed,
            "failed" => PostState::Failed {
                error: error.unwrap_or_default(),
            },
            _ => return None,
        })
    }

    /// The message id and error kept beside the state's name (`from_stored`'s inverse).
    pub fn columns(&self) -> (Option<&str>, Option<&str>) {
        match self {
            PostState::Sent { message_id } => (Some(message_id.as_str()), None),
            PostState::Failed { error } => (None, Some(error.as_str())),
            _ => (None, None),
        }
    }

    /// Whether the day is done with: posted, skipped on purpose, or given up as missed.
    pub fn handled(&self) -> bool {
        matches!(
            self,
            PostState::Sent { .. } | PostState::Skipped | PostState::Missed
        )
    }
}

/// One day's briefing of one subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostRecord {
    pub subscription: i64,
    pub day: NaiveDate,
    pub scheduled: DateTime<Utc>,
    pub state: PostState,
    pub attempts: u32,
    pub updated: DateTime<Utc>,
}

/// What became of one day's briefing, to record.
pub struct PostOutcome<'a> {
    pub day: NaiveDate,
    pub scheduled: DateTime<Utc>,
    pub state: &'a PostState,
    /// When sent: the snapshot of the topic the place now has.
    pub snapshot: Option<&'a str>,
    /// When failed: from when it may be tried again.
    pub retry_at: Option<DateTime<Utc>>,
}

/// A post of an active subscription that is neither handled nor given up: what the scheduler
/// wakes for besides the next due time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsettled {
    /// A process holds it; `renewed` is when it last said so (the claim lapses a lease after).
    Claimed { renewed: Option<DateTime<Utc>> },
    /// The last attempt failed; it may be tried again from `retry_at`.
    Failed { retry_at: Option<DateTime<Utc>> },
}

impl Unsettled {
    /// When this post may next be taken on, with claims lapsing `lease` after their renewal.
    pub fn opens_at(&self, lease: Duration) -> Option<DateTime<Utc>> {
        match *self {
            Unsettled::Claimed { renewed } => renewed.map(|r| r + lease),
            Unsettled::Failed { retry_at } => retry_at,
        }
    }
}

/// The outcome of trying to take a post on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This process sends it; `attempt` counts from 1 (more after a crash or a failure).
    Won { attempt: u32 },
    /// Another process holds a fresh claim, it is done, or a retry is not due yet.
    Taken,
}

/// Every row of a schedule store as it is kept, for `dossier state migrate`: the copy keeps
/// ids, days, states and timestamps as they are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dump {
    pub subscriptions: Vec<SubscriptionRow>,
    pub posts: Vec<PostRow>,
    pub snapshots: Vec<SnapshotRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionRow {
    pub id: i64,
    pub platform: String,
    pub destination: String,
    pub topic: String,
    pub at: String,
    pub timezone: String,
    pub when_unchanged: String,
    pub catch_up_secs: i64,
    pub from_config: bool,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PostRow {
    pub subscription_id: i64,
    pub day: NaiveDate,
    pub scheduled_at: DateTime<Utc>,
    pub state: String,
    pub owner: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub retry_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SnapshotRow {
    pub platform: String,
    pub destination: String,
    pub topic: String,
    pub body: String,
    pub day: NaiveDate,
    pub updated_at: DateTime<Utc>,
}

/// What loading a dump added (rows already there are kept as they are).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub subscriptions: u64,
    pub posts: u64,
    pub snapshots: u64,
}
