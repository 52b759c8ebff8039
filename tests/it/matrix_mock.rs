//! Fast Matrix tests with matrix-sdk's `MatrixMockServer`: what the door answers, the reply's
//! relation (reply or thread), HTML escaping, mention safety, power-level gating, which messages
//! it ignores, the stable transaction id it sends with, hostile input (over-long and deep
//! prefix-run bodies), answering off the sync loop, and the session file's safety rules.

use crate::common::*;
use dossier::app::App;
use dossier::clock::Clock;
use dossier::config::{MatrixConfig, MatrixLogin, Secret};
use dossier::matrix::{Door, answer, content, read_session, register, reply_or_apology, respond};
use matrix_sdk::Room;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContentWithoutRelation;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation,
};
use matrix_sdk::ruma::{
    EventId, Int, OwnedUserId, RoomId, RoomVersionId, UserId, event_id, user_id,
};
use matrix_sdk::test_utils::mocks::MatrixMockServer;
use matrix_sdk_test::JoinedRoomBuilder;
use matrix_sdk_test::event_factory::EventFactory;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROOM: &str = "!briefing:localhost";

struct Setup {
    server: MatrixMockServer,
    room: Room,
    door: Door,
    f: EventFactory,
}

async fn setup(levels: &[(&str, i64)]) -> Setup {
    let server = MatrixMockServer::new().await;
    let client = server.client_builder().build().await;
    let room_id: &RoomId = <&RoomId>::try_from(ROOM).expect("room id");
    let f = EventFactory::new().room(room_id);
    let mut map: BTreeMap<OwnedUserId, Int> = levels
        .iter()
        .map(|(u, l)| (UserId::parse(*u).expect("user"), Int::from(*l as i32)))
        .collect();
    let room = server
        .sync_room(
            &client,
            JoinedRoomBuilder::new(room_id)
                .add_state_event(f.create(user_id!("@alice:localhost"), RoomVersionId::V11))
                .add_state_event(
                    f.power_levels(&mut map)
                        .sender(user_id!("@alice:localhost")),
                ),
        )
        .await;
    server.mock_room_state_encryption().plain().mount().await;
    let cfg = MatrixConfig {
        homeserver: url::Url::parse(&server.uri()).expect("url"),
        user: "@example:localhost".into(),
        login: MatrixLogin::Password(Secret::new("unused")),
        store: std::env::temp_dir(),
        store_passphrase: None,
        prefix: "!".into(),
        autojoin: true,
        autojoin_from: vec![],
        moderator_power_level: 50,
        deadline: dossier::deadlines::MATRIX_REQUEST,
    };
    let app = Arc::new(App::new(
        bundled_library(),
        None,
        Clock::Fixed(bundled_today()),
    ));
    let mut door = Door::new(app, cfg).expect("door");
    door.started_ms = 0;
    Setup {
        server,
        room,
        door,
        f,
    }
}

fn msg(f: &EventFactory, from: &UserId, id: &EventId, body: &str) -> OriginalSyncRoomMessageEvent {
    f.text_msg(body)
        .sender(from)
        .event_id(id)
        .into_original_sync_room_message_event()
}

#[test]
fn replies_are_html_with_a_reply_relation_and_no_mentions() {
    runtime().block_on(async {
        let s = setup(&[]).await;
        let ev = msg(
            &s.f,
            user_id!("@bob:localhost"),
            event_id!("$ask"),
            "!position tehran",
        );
        let reply = answer(&s.door, &s.room, &ev).await.expect("answered");
        assert_eq!(reply.title, "Iran: position");
        let c = content(&s.door, &ev, &reply);
        let MessageType::Text(t) = &c.msgtype else {
            panic!("text")
        };
        assert!(t.body.contains("Iran: position") && t.body.contains("[1]"));
        let html = &t.formatted.as_ref().expect("html").body;
        assert!(
            html.starts_with("<p><strong>Iran: position</strong></p>"),
            "{html}"
        );
        assert!(
            matches!(&c.relates_to, Some(Relation::Reply(r)) if r.in_reply_to.event_id == "$ask")
        );
        let m = c.mentions.as_ref().expect("m.mentions present");
        assert!(m.user_ids.is_empty() && !m.room);
    });
}

#[test]
fn commands_in_a_thread_are_answered_in_the_thread() {
    runtime().block_on(async {
        let s = setup(&[]).await;
        let ev =
            s.f.text_msg("!brief")
                .sender(user_id!("@bob:localhost"))
                .event_id(event_id!("$in-thread"))
                .in_thread(event_id!("$root"), event_id!("$latest"))
                .into_original_sync_room_message_event();
        let reply = answer(&s.door, &s.room, &ev).await.expect("answered");
        let c = content(&s.door, &ev, &reply);
        let Some(Relation::Thread(t)) = &c.relates_to else {
            panic!("{:?}", c.relates_to)
        };
        assert_eq!(t.event_id, "$root");
        assert_eq!(
            t.in_reply_to.as_ref().map(|r| r.event_id.as_str()),
            Some("$in-thread")
        );
    });
}

#[test]
fn user_text_is_escaped_and_room_pings_defused() {
    runtime().block_on(async {
        let s = setup(&[]).await;
        let ev = msg(
            &s.f,
            user_id!("@bob:localhost"),
            event_id!("$x"),
            "!search <b>@room</b> <script>",
        );
        let reply = answer(&s.door, &s.room, &ev).await.expect("answered");
        let c = content(&s.door, &ev, &reply);
        let MessageType::Text(t) = &c.msgtype else {
            panic!("text")
        };
        let html = &t.formatted.as_ref().expect("html").body;
        assert!(
            html.contains("&lt;b&gt;") && !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
        assert!(
            !t.body.contains("@room") && !html.contains("@room"),
            "{}",
            t.body
        );
        let unknown = msg(&s.f, user_id!("@bob:localhost"), event_id!("$y"), "!launch");
        let hint = answer(&s.door, &s.room, &unknown)
            .await
            .expect("a hint, not silence");
        assert!(
            hint.summary
                .as_ref()
                .is_some_and(|l| l.text.contains("!help")),
            "{hint:?}"
        );
    });
}

#[test]
fn moderator_commands_follow_power_levels() {
    runtime().block_on(async {
        let s = setup(&[
            ("@alice:localhost", 100),
            ("@mod:localhost", 50),
            ("@bob:localhost", 10),
        ])
        .await;
        for (who, allowed) in [
            ("@bob:localhost", false),
            ("@nobody:localhost", false),
            ("@mod:localhost", true),
            ("@alice:localhost", true),
        ] {
            let ev = msg(
                &s.f,
                &UserId::parse(who).expect("user"),
                event_id!("$s"),
                "!status",
            );
            let reply = answer(&s.door, &s.room, &ev).await.expect("answered");
            assert_eq!(
                reply.title == "dossier status",
                allowed,
                "{who}: {}",
                reply.title
            );
            if !allowed {
                assert_eq!(reply.title, "Only moderators can do that");
            }
        }
    });
}

#[test]
fn its_own_messages_notices_edits_and_chatter_are_ignored() {
    runtime().block_on(async {
        let s = setup(&[]).await;
        let own = msg(
            &s.f,
            user_id!("@example:localhost"),
            event_id!("$own"),
            "!brief",
        );
        assert!(answer(&s.door, &s.room, &own).await.is_none());
        let notice =
            s.f.notice("!brief")
                .sender(user_id!("@otherbot:localhost"))
                .event_id(event_id!("$n"))
                .into_original_sync_room_message_event();
        assert!(answer(&s.door, &s.room, &notice).await.is_none());
        // An edit whose new text is a command is not answered again.
        let edit =
            s.f.text_msg("* !position iran")
                .sender(user_id!("@bob:localhost"))
                .event_id(event_id!("$edit"))
                .edit(
                    event_id!("$earlier"),
                    RoomMessageEventContentWithoutRelation::text_plain("!position iran"),
                )
                .into_original_sync_room_message_event();
        assert!(matches!(
            edit.content.relates_to,
            Some(Relation::Replacement(_))
        ));
        assert!(answer(&s.door, &s.room, &edit).await.is_none());
        let chatter = msg(
            &s.f,
            user_id!("@bob:localhost"),
            event_id!("$c"),
            "what do we know about !position?",
        );
        assert!(answer(&s.door, &s.room, &chatter).await.is_none());
        let mut old = msg(
            &s.f,
            user_id!("@bob:localhost"),
            event_id!("$old"),
            "!brief",
        );
        let mut door_now = Door::new(s.door.app.clone(), s.door.cfg.clone()).expect("door");
        door_now.started_ms = u64::MAX;
        old.origin_server_ts =
            matrix_sdk::ruma::MilliSecondsSinceUnixEpoch(matrix_sdk::ruma::UInt::from(1u32));
        assert!(
            answer(&door_now, &s.room, &old).await.is_none(),
            "history from before start-up is not answered"
        );
    });
}

#[test]
fn replies_are_sent_with_a_stable_transaction_id() {
    runtime().block_on(async {
        let s = setup(&[]).await;
        s.server
            .mock_room_send()
            .ok(event_id!("$reply"))
            .expect(1)
            .mount()
            .await;
        let ev = msg(
            &s.f,
            user_id!("@bob:localhost"),
            event_id!("$ask:localhost"),
            "!topics",
        );
        respond(&s.door, &s.room, &ev).await;
        let requests = s.server.received_requests().await.unwrap_or_default();
        let sends: Vec<String> = requests
            .iter()
            .map(|r| r.url.path().to_owned())
            .filter(|p| p.contains("/send/m.room.message/"))
            .collect();
        assert_eq!(sends.len(), 1, "{sends:?}");
        assert!(sends[0].ends_with("/dossier-asklocalhost"), "{}", sends[0]);
    });
}

#[test]
fn over_long_and_deep_prefix_bodies_get_a_short_answer_fast() {
    runtime().block_on(async {
        let s = setup(&[]).await;
        // 64 KiB: a run of bare prefixes (once a stack overflow), a flood of words, a long
        // unseparated compare, and control and bidi characters.
        let bodies = [
            format!("!{}", "/ ".repeat(32 * 1024)),
            format!("!search {}", "hormuz ".repeat(9362)),
            format!("!compare {}", "iran ".repeat(13107)),
            format!("!position {}", "\u{202e}\u{0007}iran\u{2066}".repeat(6000)),
        ];
        for body in &bodies {
            assert!(body.len() >= 60 * 1024, "{}", body.len());
            let ev = msg(&s.f, user_id!("@bob:localhost"), event_id!("$long"), body);
            let started = Instant::now();
            let reply = answer(&s.door, &s.room, &ev)
                .await
                .expect("a polite answer");
            assert!(
                started.elapsed() < Duration::from_millis(500),
                "{:?}",
                started.elapsed()
            );
            assert_eq!(reply.title, "That is too long to answer", "{:.40}", body);
            let c = content(&s.door, &ev, &reply);
            let MessageType::Text(t) = &c.msgtype else {
                panic!("text")
            };
            assert!(t.body.len() < 1024, "the answer is short: {}", t.body.len());
        }
        // Just under the limit, a deep prefix run is an empty command: no answer, no crash.
        let ev = msg(
            &s.f,
            user_id!("@bob:localhost"),
            event_id!("$runs"),
            &format!("!{}", "/ ".repeat(900)),
        );
        assert!(answer(&s.door, &s.room, &ev).await.is_none());
    });
}

/// The sync loop only dispatches: with every send slow, one sync carrying commands from two
/// people returns at once, and both replies go out side by side, not one after the other.
#[test]
fn a_slow_send_does_not_hold_up_the_sync_loop_or_other_commands() {
    runtime().block_on(async {
        let s = setup(&[]).await;
        s.server
            .mock_room_send()
            .ok_with_delay(event_id!("$reply"), Duration::from_millis(1500))
            .expect(2)
            .mount()
            .await;
        let client = s.room.client();
        register(&client, Arc::new(s.door));
        let room_id: &RoomId = <&RoomId>::try_from(ROOM).expect("room id");
        let started = Instant::now();
        s.server
            .sync_room(
                &client,
                JoinedRoomBuilder::new(room_id)
                    .add_timeline_event(
                        s.f.text_msg("!brief")
                            .sender(user_id!("@bob:localhost"))
                            .event_id(event_id!("$one")),
                    )
                    .add_timeline_event(
                        s.f.text_msg("!topics")
                            .sender(user_id!("@carol:localhost"))
                            .event_id(event_id!("$two")),
                    ),
            )
            .await;
        let synced = started.elapsed();
        assert!(
            synced < Duration::from_millis(1000),
            "the sync waited for a send: {synced:?}"
        );
        // Both sends finish about 1.5 s in; one after the other would take 3 s.
        let sends = loop {
            let n = s
                .server
                .received_requests()
                .await
                .unwrap_or_default()
                .iter()
                .filter(|r| r.url.path().contains("/send/m.room.message/"))
                .count();
            if n == 2 || started.elapsed() > Duration::from_secs(5) {
                break n;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(sends, 2);
        assert!(
            started.elapsed() < Duration::from_millis(1400),
            "both sends were started at once: {:?}",
            started.elapsed()
        );
    });
}

#[test]
fn a_panicking_answer_is_logged_and_apologised_for() {
    runtime().block_on(async {
        let failed = tokio::spawn(async { panic!("answer blew up") }).await;
        let r = reply_or_apology(failed, "brief");
        assert_eq!(r.title, "Sorry, something went wrong");
        assert!(r.is_user_error());
        let fine = tokio::spawn(async {
            dossier::reply::Reply::new(dossier::reply::ReplyKind::Answer, "Iran")
        })
        .await;
        assert_eq!(reply_or_apology(fine, "brief").title, "Iran");
    });
}

#[cfg(unix)]
#[test]
fn a_corrupt_session_stops_the_bot_and_the_file_is_kept_private() {
    use std::os::unix::fs::PermissionsExt;
    let store = tempfile::tempdir().expect("tempdir");
    assert!(
        read_session(store.path())
            .expect("no session yet")
            .is_none()
    );
    let file = store.path().join("session.json");
    std::fs::write(&file, b"{\"meta\": 12").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = read_session(store.path())
        .expect_err("a corrupt session is an error")
        .to_string();
    assert!(
        err.contains("session.json") && err.contains("corrupt"),
        "{err}"
    );
    assert!(
        err.contains("new device"),
        "says what removing it costs: {err}"
    );
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "made private even though it could not be used");
    let good = matrix_sdk::authentication::matrix::MatrixSession {
        meta: matrix_sdk::SessionMeta {
            user_id: user_id!("@dossier:localhost").to_owned(),
            device_id: "DEV".into(),
        },
        tokens: matrix_sdk::SessionTokens {
            access_token: "t".into(),
            refresh_token: None,
        },
    };
    std::fs::write(&file, serde_json::to_vec(&good).expect("json")).expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).expect("chmod");
    let session = read_session(store.path())
        .expect("readable")
        .expect("present");
    assert_eq!(session.meta.user_id, "@dossier:localhost");
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn an_answer_in_flight_is_not_sent_once_the_sync_went_to_another_replica() {
    runtime().block_on(async {
        let mut s = setup(&[]).await;
        s.server
            .mock_room_send()
            .ok(event_id!("$reply"))
            .expect(0)
            .mount()
            .await;
        let handed = tokio_util::sync::CancellationToken::new();
        s.door.handed_over = Some(handed.clone());
        assert!(!s.door.handed_over());
        handed.cancel();
        let ev = msg(
            &s.f,
            user_id!("@bob:localhost"),
            event_id!("$late:localhost"),
            "!topics",
        );
        respond(&s.door, &s.room, &ev).await;
        let requests = s.server.received_requests().await.unwrap_or_default();
        assert!(
            !requests
                .iter()
                .any(|r| r.url.path().contains("/send/m.room.message/")),
            "nothing is sent: the replica now holding the sync answers it"
        );
    });
}
