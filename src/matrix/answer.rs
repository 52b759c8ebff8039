//! Answering commands in rooms: a message that is a command (prefix, reply fallback dropped)
//! is parsed, the sender's standing read (their power level here and in the rooms the operator
//! names, for moderator commands only) for the router to decide on, answered on a task of its
//! own, and replied to in its thread with HTML, mentioning nobody, under a transaction id
//! derived from the command event so a retried send never posts twice; then its chart, if it
//! has one (`picture`).

use super::door::{Door, MAX_BACKOFF, retrying, transaction_id};
use super::invites::{decline, invite_allowed, join};
use crate::charts::Png;
use crate::commands::Scope;
use crate::commands::parse::{ParseError, parse};
use crate::render::matrix::render;
use crate::reply::{Line, Reply, ReplyKind};
use crate::service::{Asker, Platform, Standing};
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, Relation,
    ReplyWithinThread, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::{Client, Room, RoomState};
use std::sync::Arc;
use std::time::{Duration, Instant};
impl Door {
    /// Answer a message on a task of its own and return at once, so the sync loop that calls
    /// this never waits for a send. At most `MAX_CONCURRENT_ANSWERS` run at a time; when
    /// `MAX_QUEUED_ANSWERS` are already running or waiting, the message is dropped and logged.
    pub fn dispatch(self: &Arc<Self>, room: Room, ev: OriginalSyncRoomMessageEvent) {
        if !self.may_be_command(&ev) {
            return;
        }
        let sent = u64::from(ev.origin_server_ts.0);
        if sent < self.history_before() {
            return;
        }
        let late = sent < self.started_ms;
        let Ok(queued) = self.queued.clone().try_acquire_owned() else {
            tracing::warn!(room = %room.room_id(), event = %ev.event_id, "too many commands waiting; dropping this one");
            return;
        };
        let door = self.clone();
        self.app.tasks.spawn(async move {
            let _queued = queued;
            // The semaphore is never closed, so this only fails if the door is going away.
            let Ok(_running) = door.running.clone().acquire_owned().await else {
                return;
            };
            if late && !door.still_waiting(&room, &ev).await {
                return;
            }
            respond(&door, &room, &ev).await;
        });
    }
}

/// The command text of a message, if it is one: reply fallbacks dropped, prefix removed.
pub fn command_text<'a>(body: &'a str, prefix: &str) -> Option<&'a str> {
    // A reply's body may start with quoted lines of the message replied to.
    let mut rest = body;
    while rest.starts_with("> ") {
        rest = rest.split_once('\n').map_or("", |(_, r)| r);
    }
    let rest = rest.trim_start();
    rest.strip_prefix(prefix)
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with(prefix))
}

pub(super) fn hint(prefix: &str, e: &ParseError) -> Option<Reply> {
    match e {
        ParseError::Empty => None,
        _ => {
            let mut r = crate::commands::answer::parse_error_reply(e);
            r.sections.retain(|s| s.heading != "Commands");
            r.summary = r
                .summary
                .map(|s| Line::new(format!("{} Type {prefix}help for the list.", s.text)));
            Some(r)
        }
    }
}

/// Parse a command message. `edit` takes its fields from the lines after the first; every
/// other command is the whole message, as typed.
pub fn parse_with_fields(text: &str) -> Result<crate::commands::Command, ParseError> {
    use crate::commands::Command;
    if let Some((first, rest)) = text.split_once('\n') {
        match parse(first) {
            Ok(Command::Edit(mut q)) => {
                q.fields = Some(rest.to_owned());
                return Ok(Command::Edit(q));
            }
            Ok(Command::Suggest(mut q)) => {
                q.fields = Some(rest.to_owned());
                return Ok(Command::Suggest(q));
            }
            Ok(Command::Approve(mut q)) => {
                q.fields = Some(rest.to_owned());
                return Ok(Command::Approve(q));
            }
            _ => {}
        }
    }
    parse(text)
}

/// The power level that may undo another moderator's edit (a room admin's).
pub(super) const ADMIN_POWER_LEVEL: i64 = 100;

pub(super) async fn is_moderator(room: &Room, user: &UserId, level: i64) -> bool {
    match room.get_user_power_level(user).await {
        Ok(UserPowerLevel::Infinite) => true,
        Ok(UserPowerLevel::Int(n)) => i64::from(n) >= level,
        Ok(_) => false,
        Err(e) => {
            tracing::warn!(error = %e, "could not read power levels");
            false
        }
    }
}

/// What the router needs to know of the sender to decide on a command of `scope`: their id
/// always; their power here and in the rooms `[moderation] matrix_rooms` names only when the
/// command is a moderator's (room state reads the questions skip).
pub(super) async fn standing(door: &Door, room: &Room, user: &UserId, scope: Scope) -> Standing {
    let level = door.cfg.moderator_power_level;
    let mut s = Standing {
        user: Some(user.to_string()),
        ..Standing::default()
    };
    if scope == Scope::Anyone {
        return s;
    }
    s.place_rule = format!("members with power level {level} or more in this room");
    s.place_moderator = is_moderator(room, user, level).await;
    for id in door.app.moderators.matrix_rooms.iter() {
        let named = if id.as_str() == room.room_id().as_str() {
            s.place_moderator
        } else {
            let Ok(rid) = matrix_sdk::ruma::RoomId::parse(id.as_str()) else {
                continue;
            };
            match room.client().get_room(&rid) {
                Some(r) if r.state() == RoomState::Joined => is_moderator(&r, user, level).await,
                _ => false,
            }
        };
        if named {
            s.in_named_rooms.push(id.clone());
        }
    }
    s
}

/// A member's display name in the room, else their user id's localpart.
pub(super) async fn display_name(room: &Room, user: &UserId) -> String {
    match room.get_member_no_sync(user).await {
        Ok(Some(m)) => m.display_name().unwrap_or(user.localpart()).to_owned(),
        _ => user.localpart().to_owned(),
    }
}

/// The reply to one command message, or nothing for messages that are not commands.
pub async fn answer(door: &Door, room: &Room, ev: &OriginalSyncRoomMessageEvent) -> Option<Reply> {
    answer_with_picture(door, room, ev).await.map(|(r, _)| r)
}

/// [`answer`], with the chart that goes with the reply, if it has one.
pub async fn answer_with_picture(
    door: &Door,
    room: &Room,
    ev: &OriginalSyncRoomMessageEvent,
) -> Option<(Reply, Option<Arc<Png>>)> {
    if ev.sender == door.own || u64::from(ev.origin_server_ts.0) < door.history_before() {
        return None;
    }
    if matches!(ev.content.relates_to, Some(Relation::Replacement(_))) {
        return None;
    }
    let MessageType::Text(text) = &ev.content.msgtype else {
        return None;
    };
    let line = command_text(&text.body, &door.cfg.prefix)?;
    let cmd = match parse_with_fields(line) {
        Ok(c) => c,
        Err(e) => return hint(&door.cfg.prefix, &e).map(|r| (r, None)),
    };
    let app = door.app.clone();
    let name = cmd.name();
    let asker = Asker {
        platform: Platform::Matrix,
        place: Some(crate::schedule::Destination::Matrix {
            room: room.room_id().to_string(),
        }),
        who: Some(ev.sender.to_string()),
        // Only edits need the member's name (a store read) and whether they outrank the
        // moderators (a power-level read); other commands skip both.
        author: if cmd.is_edit() {
            Some(crate::edit::Author {
                platform: crate::platform::Platform::Matrix,
                id: ev.sender.to_string(),
                name: display_name(room, &ev.sender).await,
            })
        } else {
            None
        },
        admin: cmd.is_edit()
            && cmd.is_moderator()
            && is_moderator(
                room,
                &ev.sender,
                ADMIN_POWER_LEVEL.max(door.cfg.moderator_power_level + 1),
            )
            .await,
        standing: standing(door, room, &ev.sender, cmd.scope()).await,
    };
    let answered = tokio::spawn(async move {
        let reply = crate::router::respond(&app, &cmd, &asker).await;
        let picture = (!reply.is_user_error())
            .then(|| crate::router::picture(&app, &cmd, asker.place.as_ref()))
            .flatten();
        (reply, picture)
    })
    .await;
    Some(match answered {
        Ok(done) => done,
        Err(e) => (reply_or_apology(Err(e), name), None),
    })
}

/// The answer, or, if answering panicked, a short apology (and the cause in the log): the
/// asker is never left without a reply.
pub fn reply_or_apology(answered: Result<Reply, tokio::task::JoinError>, command: &str) -> Reply {
    answered.unwrap_or_else(|e| {
        tracing::error!(command, error = %e, "answering a command failed");
        Reply::new(ReplyKind::UserError, "Sorry, something went wrong").summary(Line::new(
            "dossier could not answer that; the error has been logged for the operators.",
        ))
    })
}

/// The message content for a reply: HTML and plain bodies, a reply relation (in the thread if
/// the command came from one), and explicitly no mentions.
pub fn content(
    door: &Door,
    ev: &OriginalSyncRoomMessageEvent,
    reply: &Reply,
) -> RoomMessageEventContent {
    let m = render(reply, &door.cfg.prefix);
    // Matrix has no replies only one member sees: a private answer (a preview) is at least a
    // notice, which clients show quietly and other bots ignore.
    let base = if reply.private {
        RoomMessageEventContent::notice_html(m.plain, m.html)
    } else {
        RoomMessageEventContent::text_html(m.plain, m.html)
    };
    let mut c = match &ev.content.relates_to {
        Some(Relation::Thread(_)) => {
            base.make_for_thread(ev, ReplyWithinThread::Yes, AddMentions::No)
        }
        _ => base.make_reply_to(ev, ForwardThread::Yes, AddMentions::No),
    };
    c.mentions = Some(Mentions::new());
    c
}

pub(super) async fn on_message(ev: OriginalSyncRoomMessageEvent, room: Room, door: Ctx<Arc<Door>>) {
    door.dispatch(room, ev);
}

async fn on_invite(ev: StrippedRoomMemberEvent, room: Room, door: Ctx<Arc<Door>>) {
    if ev.state_key != door.own {
        return;
    }
    if invite_allowed(&door.cfg, &ev.sender) {
        let Ok(joining) = door.joining.clone().try_acquire_owned() else {
            tracing::warn!(room = %room.room_id(), "too many invites being joined; this one waits for the next start");
            return;
        };
        door.app.tasks.spawn(async move {
            join(room).await;
            drop(joining);
        });
    } else {
        decline(room, &ev.sender).await;
    }
}

/// Answer invites and commands on `client` from now on.
pub fn register(client: &Client, door: Arc<Door>) {
    client.add_event_handler_context(door);
    client.add_event_handler(on_invite);
    client.add_event_handler(on_message);
}

/// Answer a message if it is a command, and send the reply, retrying with the same
/// transaction id so a retry never posts twice.
pub async fn respond(door: &Door, room: &Room, ev: &OriginalSyncRoomMessageEvent) {
    if room.state() != RoomState::Joined {
        return;
    }
    let started = Instant::now();
    let Some((reply, picture)) = answer_with_picture(door, room, ev).await else {
        return;
    };
    let content = content(door, ev, &reply);
    let txn = transaction_id(ev);
    if let Some(f) = &door.on_answer {
        f(started.elapsed());
    }
    let mut waits = retrying(Duration::from_millis(250)).waits();
    for attempt in 0..6 {
        if door.handed_over() {
            tracing::warn!(room = %room.room_id(), event = %ev.event_id, "the sync went to another replica before this answer was sent; that one answers it");
            return;
        }
        match room
            .send(content.clone())
            .with_transaction_id(txn.clone())
            .await
        {
            Ok(_) => {
                door.app.metrics.sent("matrix");
                if let Some(png) = &picture {
                    super::picture::send(door, room, ev, png).await;
                }
                return;
            }
            Err(e) if attempt < 5 => {
                tracing::warn!(room = %room.room_id(), error = %e, "sending a reply failed; retrying with the same transaction id");
                tokio::time::sleep(waits.next().unwrap_or(MAX_BACKOFF)).await;
            }
            Err(e) => {
                door.app.metrics.failed("matrix");
                tracing::error!(room = %room.room_id(), error = %e, "could not send a reply");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_text_strips_prefix_and_reply_fallback() {
        assert_eq!(command_text("!position iran", "!"), Some("position iran"));
        assert_eq!(
            command_text("> <@a:b> earlier\n> more\n\n!brief", "!"),
            Some("brief")
        );
        assert_eq!(command_text("hello !brief", "!"), None);
        assert_eq!(command_text("!", "!"), None);
        assert_eq!(command_text("!!shout", "!"), None);
        assert_eq!(command_text("?brief", "?"), Some("brief"));
    }
}
