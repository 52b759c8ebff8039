//! Reactions in rooms: a ✅ on the bot's own notice of a newsdesk proposal approves it, as
//! `approve proposal N` does, when whoever reacted is a moderator the operator names (anyone
//! else's reaction is left alone, as a reaction is how members say they saw something). The
//! proposal is read from the notice itself ("Proposal #N: …"), so a restart or another replica
//! knows it too; the outcome is posted as a notice in reply.

use super::answer::{display_name, standing};
use super::door::Door;
use crate::commands::Command;
use crate::commands::command::DecideQuery;
use crate::service::{Asker, Platform};
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::events::Mentions;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::{Room, RoomState};
use std::sync::Arc;

/// The reactions that approve: the check mark, with and without its emoji presentation.
const APPROVING: [&str; 3] = ["✅", "✔️", "✔"];

pub(super) async fn on_reaction(ev: OriginalSyncReactionEvent, room: Room, door: Ctx<Arc<Door>>) {
    let door: Arc<Door> = door.0;
    if ev.sender == door.own
        || room.state() != RoomState::Joined
        || u64::from(ev.origin_server_ts.0) < door.history_before()
        || !APPROVING.contains(&ev.content.relates_to.key.as_str())
    {
        return;
    }
    let app = door.app.clone();
    app.tasks.clone().spawn(async move {
        approve(&door, &room, &ev).await;
    });
}

/// The proposal the bot's own message `target` announces, if it is one.
async fn announced(door: &Door, room: &Room, ev: &OriginalSyncReactionEvent) -> Option<i64> {
    let target = &ev.content.relates_to.event_id;
    let event = match room.event(target, None).await {
        Ok(e) => e,
        Err(e) => {
            tracing::debug!(event = %target, error = %e, "the event a reaction is on cannot be read");
            return None;
        }
    };
    if event.sender().as_deref() != Some(door.own.as_ref()) {
        return None;
    }
    let content: serde_json::Value = event.raw().get_field("content").ok().flatten()?;
    let body = content.get("body")?.as_str()?;
    crate::desk::proposals::named_in(body.lines().next()?)
}

async fn approve(door: &Door, room: &Room, ev: &OriginalSyncReactionEvent) {
    let decide = |id| {
        Command::Approve(DecideQuery {
            id,
            reason: None,
            what: crate::commands::command::Decides::Proposal,
            fields: None,
        })
    };
    // Who reacted is asked first: a member's reaction costs no request to the homeserver.
    let scope = decide(0).scope();
    let asker = Asker {
        platform: Platform::Matrix,
        place: Some(crate::schedule::Destination::Matrix {
            room: room.room_id().to_string(),
        }),
        who: Some(ev.sender.to_string()),
        author: Some(crate::edit::Author {
            platform: crate::platform::Platform::Matrix,
            id: ev.sender.to_string(),
            name: display_name(room, &ev.sender).await,
        }),
        admin: false,
        standing: standing(door, room, &ev.sender, scope).await,
    };
    // A member's reaction is theirs to make: it approves nothing and says nothing.
    if !crate::service::moderators::grant(&door.app.moderators, &asker).permits(scope) {
        tracing::debug!(user = %ev.sender, "a check mark from someone who may not decide proposals; left alone");
        return;
    }
    let Some(id) = announced(door, room, ev).await else {
        return;
    };
    let cmd = decide(id);
    let reply = crate::router::respond(&door.app, &cmd, &asker).await;
    let m = crate::render::matrix::render(&reply, &door.cfg.prefix);
    let mut content = RoomMessageEventContent::notice_html(m.plain, m.html);
    content.mentions = Some(Mentions::new());
    // One answer per reaction, even when the send is retried.
    let txn =
        matrix_sdk::ruma::OwnedTransactionId::from(format!("dossier-reaction-{}", ev.event_id));
    match room.send(content).with_transaction_id(txn).await {
        Ok(_) => door.app.metrics.sent("matrix"),
        Err(e) => {
            door.app.metrics.failed("matrix");
            tracing::error!(room = %room.room_id(), error = %e, "could not answer a reaction");
        }
    }
}
