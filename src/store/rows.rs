//! One mapping from a stored row to each type, shared by both dialects: each store's row (of
//! SQLite, of PostgreSQL) is read through [`Cells`], which hides only how a
//! column is typed there (an instant as text or `TIMESTAMPTZ`, a flag as an integer or a
//! `BOOLEAN`). A value that does not read is an error naming what it is, never a default.

use super::edits::{Decision, Entry, Logged, Suggestion, SuggestionRecord};
use super::news::{FeedFetch, SeenItem, StoredProposal};
use super::places::PlaceRow;
use crate::digest::WhenUnchanged;
use crate::edit::Action;
use crate::edit::Author;
use crate::schedule::store::{
    Destination, PostRecord, PostRow, PostState, SnapshotRow, Subscription, SubscriptionRow,
    Unsettled,
};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

/// Why a row did not read: which column, and what was wrong.
pub type RowError = String;

/// The columns of one stored row, read by position.
pub trait Cells {
    fn text(&self, i: usize) -> Result<String, RowError>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, RowError>;
    fn int(&self, i: usize) -> Result<i64, RowError>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, RowError>;
    fn flag(&self, i: usize) -> Result<bool, RowError>;
    fn instant(&self, i: usize) -> Result<DateTime<Utc>, RowError>;
    fn opt_instant(&self, i: usize) -> Result<Option<DateTime<Utc>>, RowError>;
    fn day(&self, i: usize) -> Result<NaiveDate, RowError>;
}

/// An instant as both stores keep it: to the millisecond, so a copy compares equal.
pub fn millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// An edit's columns, in the order [`entry`] reads them.
pub const EDIT_COLUMNS: &str = "id, at, topic, file, action, summary, platform, user_id, user_name, existed, before, after, after_hash, undoes, git_commit, also";

/// A suggestion's columns, in the order [`suggestion_record`] reads them.
pub const SUGGESTION_COLUMNS: &str = "id, what, topic, actor, base, fields, platform, user_id, user_name, decision, at, decided_at, decided_by, reason, edit";

/// A subscription's columns, in the order [`subscription`] reads them.
pub const SUBSCRIPTION_COLUMNS: &str = "id, platform, destination, topic, at, timezone, when_unchanged, catch_up_secs, from_config, created_by, created_at";

/// A post's columns, from where [`post_record`] starts reading them.
pub const POST_COLUMNS: &str = "day, scheduled_at, state, attempts, message_id, error, updated_at";

/// A place's columns, in the order [`place`] reads them.
pub const PLACE_COLUMNS: &str = "platform, place, topic, set_by, set_at";

/// A feed entry's columns, in the order [`feed_entry`] reads them.
pub const FEED_ENTRY_COLUMNS: &str = "topic, seq, at, title, reply";

fn author(r: &dyn Cells, first: usize) -> Result<Author, RowError> {
    Ok(Author {
        platform: {
            let name = r.text(first)?;
            crate::platform::Platform::parse(&name)
                .ok_or_else(|| format!("column {first}: `{name}` is no platform"))?
        },
        id: r.text(first + 1)?,
        name: r.text(first + 2)?,
    })
}

/// An edit, from [`EDIT_COLUMNS`].
pub fn entry(r: &dyn Cells) -> Result<Entry, RowError> {
    Ok(Entry {
        id: r.int(0)?,
        at: r.instant(1)?,
        topic: r.text(2)?,
        file: r.text(3)?,
        action: {
            let name = r.text(4)?;
            Logged::parse(&name).ok_or_else(|| format!("column 4: `{name}` is no logged action"))?
        },
        summary: r.text(5)?,
        by: author(r, 6)?,
        existed: r.flag(9)?,
        before: r.text(10)?,
        after: r.text(11)?,
        after_hash: r.text(12)?,
        undoes: r.opt_int(13)?,
        git_commit: r.opt_text(14)?,
        also: match r.opt_text(15)? {
            None => Vec::new(),
            Some(t) => serde_json::from_str(&t)
                .map_err(|e| format!("column 15: the other files of an edit do not read ({e})"))?,
        },
    })
}

/// A suggestion, from the first ten of [`SUGGESTION_COLUMNS`].
pub fn suggestion(r: &dyn Cells) -> Result<Suggestion, RowError> {
    Ok(Suggestion {
        id: r.int(0)?,
        what: {
            let name = r.text(1)?;
            Action::parse(&name).ok_or_else(|| format!("column 1: `{name}` is no edit action"))?
        },
        topic: r.text(2)?,
        actor: r.opt_text(3)?,
        base: r.opt_text(4)?,
        fields: r.text(5)?,
        by: author(r, 6)?,
        decision: match r.opt_text(9)? {
            None => None,
            Some(d) => {
                Some(Decision::parse(&d).ok_or_else(|| format!("column 9: `{d}` is no decision"))?)
            }
        },
    })
}

/// A suggestion with when it was made and decided, from [`SUGGESTION_COLUMNS`].
pub fn suggestion_record(r: &dyn Cells) -> Result<SuggestionRecord, RowError> {
    Ok(SuggestionRecord {
        suggestion: suggestion(r)?,
        at: r.instant(10)?,
        decided_at: r.opt_instant(11)?,
        decided_by: r.opt_text(12)?,
        reason: r.opt_text(13)?,
        edit: r.opt_int(14)?,
    })
}

/// A subscription, from [`SUBSCRIPTION_COLUMNS`]; `None` for one this build cannot follow (a
/// time zone it does not know, say), which is left alone in the store.
pub fn subscription(r: &dyn Cells) -> Result<Option<Subscription>, RowError> {
    let platform = r.text(1)?;
    let dest = r.text(2)?;
    let at = r.text(4)?;
    let tz = r.text(5)?;
    let when = r.text(6)?;
    let (Some(destination), Ok(at), Ok(tz), Some(when_unchanged)) = (
        Destination::from_parts(&platform, &dest),
        NaiveTime::parse_from_str(&at, "%H:%M"),
        tz.parse::<chrono_tz::Tz>(),
        WhenUnchanged::parse(&when),
    ) else {
        return Ok(None);
    };
    Ok(Some(Subscription {
        id: r.int(0)?,
        destination,
        topic: r.text(3)?,
        at,
        tz,
        when_unchanged,
        catch_up: Duration::seconds(r.int(7)?),
        from_config: r.flag(8)?,
        created_by: r.opt_text(9)?,
        created_at: r.instant(10)?,
    }))
}

/// One day's post of `subscription`, from [`POST_COLUMNS`] starting at column `at`.
pub fn post_record(r: &dyn Cells, at: usize, subscription: i64) -> Result<PostRecord, RowError> {
    let state = r.text(at + 2)?;
    Ok(PostRecord {
        subscription,
        day: r.day(at)?,
        scheduled: r.instant(at + 1)?,
        state: PostState::from_stored(&state, r.opt_text(at + 4)?, r.opt_text(at + 5)?)
            .ok_or_else(|| format!("column {}: `{state}` is no post state", at + 2))?,
        attempts: u32::try_from(r.int(at + 3)?).unwrap_or(0),
        updated: r.instant(at + 6)?,
    })
}

/// The columns [`unsettled`] reads.
pub const UNSETTLED_COLUMNS: &str = "p.state, p.claimed_at, p.retry_at";

/// A post still to settle, from [`UNSETTLED_COLUMNS`]: claimed or failed.
pub fn unsettled(r: &dyn Cells) -> Result<Unsettled, RowError> {
    match r.text(0)?.as_str() {
        "claimed" => Ok(Unsettled::Claimed {
            renewed: r.opt_instant(1)?,
        }),
        "failed" => Ok(Unsettled::Failed {
            retry_at: r.opt_instant(2)?,
        }),
        other => Err(format!("column 0: `{other}` is not a post still to settle")),
    }
}

/// A feed's last fetch's columns, in the order [`feed_fetch`] reads them.
pub const FEED_FETCH_COLUMNS: &str =
    "topic, feed, etag, last_modified, fetched_at, error, failing_since, items_seen, retry_at";

/// A seen item's columns, in the order [`seen_item`] reads them.
pub const SEEN_ITEM_COLUMNS: &str = "topic, key, title, outlet, fate, score, proposal_id, seen_at";

/// A proposal's columns, in the order [`stored_proposal`] reads them.
pub const PROPOSAL_COLUMNS: &str =
    "id, topic, body, state, created_at, decided_at, decided_by, reason";

/// A source's look's columns, in the order [`source_check`] reads them.
pub const SOURCE_CHECK_COLUMNS: &str = "topic, id, url, status, http, checked_at, failing_since, moved_to, fingerprint, words, changed_at";

pub const FOLLOW_COLUMNS: &str = "platform, user_id, key, topic, daily, created_at, paused_at";

/// A follow, from [`FOLLOW_COLUMNS`].
pub fn follow(r: &dyn Cells) -> Result<crate::store::follows::FollowRow, RowError> {
    Ok(crate::store::follows::FollowRow {
        platform: r.text(0)?,
        user: r.text(1)?,
        key: r.text(2)?,
        topic: r.opt_text(3)?,
        daily: r.opt_text(4)?,
        created_at: r.instant(5)?,
        paused_at: r.opt_instant(6)?,
    })
}

/// A source's latest look, from [`SOURCE_CHECK_COLUMNS`].
pub fn source_check(r: &dyn Cells) -> Result<crate::store::sources::SourceCheck, RowError> {
    Ok(crate::store::sources::SourceCheck {
        topic: r.text(0)?,
        id: r.text(1)?,
        url: r.text(2)?,
        status: r.text(3)?,
        http: r.opt_int(4)?,
        checked_at: r.instant(5)?,
        failing_since: r.opt_instant(6)?,
        moved_to: r.opt_text(7)?,
        fingerprint: r.opt_text(8)?,
        words: r.opt_int(9)?,
        changed_at: r.opt_instant(10)?,
    })
}

/// A feed's last fetch, from [`FEED_FETCH_COLUMNS`].
pub fn feed_fetch(r: &dyn Cells) -> Result<FeedFetch, RowError> {
    Ok(FeedFetch {
        topic: r.text(0)?,
        feed: r.text(1)?,
        etag: r.opt_text(2)?,
        last_modified: r.opt_text(3)?,
        fetched_at: r.opt_instant(4)?,
        error: r.opt_text(5)?,
        failing_since: r.opt_instant(6)?,
        items_seen: r.int(7)?,
        retry_at: r.opt_instant(8)?,
    })
}

/// A seen item, from [`SEEN_ITEM_COLUMNS`].
pub fn seen_item(r: &dyn Cells) -> Result<SeenItem, RowError> {
    Ok(SeenItem {
        topic: r.text(0)?,
        key: r.text(1)?,
        title: r.text(2)?,
        outlet: r.text(3)?,
        fate: r.text(4)?,
        score: r.int(5)?,
        proposal: r.opt_int(6)?,
        seen_at: r.instant(7)?,
    })
}

/// A proposal as kept, from [`PROPOSAL_COLUMNS`].
pub fn stored_proposal(r: &dyn Cells) -> Result<StoredProposal, RowError> {
    Ok(StoredProposal {
        id: r.int(0)?,
        topic: r.text(1)?,
        body: r.text(2)?,
        state: r.text(3)?,
        created_at: r.instant(4)?,
        decided_at: r.opt_instant(5)?,
        decided_by: r.opt_text(6)?,
        reason: r.opt_text(7)?,
    })
}

/// A place's own topic, from [`PLACE_COLUMNS`].
pub fn place(r: &dyn Cells) -> Result<PlaceRow, RowError> {
    Ok(PlaceRow {
        platform: r.text(0)?,
        place: r.text(1)?,
        topic: r.text(2)?,
        set_by: r.opt_text(3)?,
        set_at: r.instant(4)?,
    })
}

/// A feed entry as stored (its reply still JSON), from [`FEED_ENTRY_COLUMNS`].
pub fn feed_entry(r: &dyn Cells) -> Result<super::feed::StoredEntry, RowError> {
    Ok(super::feed::StoredEntry {
        topic: r.text(0)?,
        seq: r.int(1)?,
        at: r.instant(2)?,
        title: r.text(3)?,
        reply: r.text(4)?,
    })
}

/// A subscription row as kept, for a copy, from [`SUBSCRIPTION_COLUMNS`] and `active`.
pub fn subscription_row(r: &dyn Cells) -> Result<SubscriptionRow, RowError> {
    Ok(SubscriptionRow {
        id: r.int(0)?,
        platform: r.text(1)?,
        destination: r.text(2)?,
        topic: r.text(3)?,
        at: r.text(4)?,
        timezone: r.text(5)?,
        when_unchanged: r.text(6)?,
        catch_up_secs: r.int(7)?,
        from_config: r.flag(8)?,
        created_by: r.opt_text(9)?,
        created_at: r.instant(10)?,
        active: r.flag(11)?,
    })
}

/// A post row as kept, for a copy, from [`POST_ROW_COLUMNS`].
pub fn post_row(r: &dyn Cells) -> Result<PostRow, RowError> {
    Ok(PostRow {
        subscription_id: r.int(0)?,
        day: r.day(1)?,
        scheduled_at: r.instant(2)?,
        state: r.text(3)?,
        owner: r.opt_text(4)?,
        claimed_at: r.opt_instant(5)?,
        attempts: i32::try_from(r.int(6)?).unwrap_or(i32::MAX),
        retry_at: r.opt_instant(7)?,
        message_id: r.opt_text(8)?,
        error: r.opt_text(9)?,
        updated_at: r.instant(10)?,
    })
}

/// A snapshot row as kept, for a copy, from [`SNAPSHOT_ROW_COLUMNS`].
pub fn snapshot_row(r: &dyn Cells) -> Result<SnapshotRow, RowError> {
    Ok(SnapshotRow {
        platform: r.text(0)?,
        destination: r.text(1)?,
        topic: r.text(2)?,
        body: r.text(3)?,
        day: r.day(4)?,
        updated_at: r.instant(5)?,
    })
}

/// Every column of a post, in the order [`post_row`] reads them.
pub const POST_ROW_COLUMNS: &str = "subscription_id, day, scheduled_at, state, owner, claimed_at, attempts, retry_at, message_id, error, updated_at";

/// Every column of a snapshot, in the order [`snapshot_row`] reads them.
pub const SNAPSHOT_ROW_COLUMNS: &str = "platform, destination, topic, body, day, updated_at";
