//! The Matrix door end to end against a real Synapse on 127.0.0.1: a real user client (matrix-sdk
//! as a user) invites the bot, asks `!position iran`, and checks the HTML body, the plain body and
//! the reply relation; the same in an encrypted room; moderator gating by power level; a
//! Synapse restart after which the next command is answered once and only once; and a bot
//! restart that keeps its device, accepts an invite sent while it was away and does not answer
//! late what was asked meanwhile; edits from chat, of a position and of an existing event; and a
//! topic per room.

use crate::common::*;
use crate::synapse::Synapse;
use dossier::app::App;
use dossier::clock::Clock;
use dossier::config::{MatrixConfig, MatrixLogin, Secret};
use dossier::matrix::{Door, run};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::message::{
    ImageMessageEventContent, MessageType, OriginalSyncRoomMessageEvent, Relation,
    RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UserId};
use matrix_sdk::{Client, Room, RoomMemberships};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// Whether the first reply seen says `text`.
fn first_says(got: &[Seen], text: &str) -> bool {
    got.first().is_some_and(|r| r.plain.contains(text))
}

#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub event_id: OwnedEventId,
    pub room: OwnedRoomId,
    pub sender: OwnedUserId,
    pub plain: String,
    pub html: Option<String>,
    pub in_reply_to: Option<OwnedEventId>,
    pub mentions_empty: bool,
    /// An `m.notice` (what the bot posts to the moderators' room).
    pub notice: bool,
}

/// An image a user's client saw.
#[derive(Clone, Debug)]
pub(crate) struct SeenImage {
    pub room: OwnedRoomId,
    pub sender: OwnedUserId,
    pub content: ImageMessageEventContent,
    pub in_reply_to: Option<OwnedEventId>,
    /// The thread it is in, if any.
    pub thread: Option<OwnedEventId>,
    pub mentions_empty: bool,
}

/// A user's client that records every text message and image it sees.
pub(crate) struct User {
    pub client: Client,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub images: Arc<Mutex<Vec<SeenImage>>>,
    _store: tempfile::TempDir,
}

impl User {
    pub async fn login(url: &str, name: &str) -> User {
        let store = tempfile::tempdir().expect("tempdir");
        let client = Client::builder()
            .homeserver_url(url)
            .sqlite_store(store.path(), None)
            .build()
            .await
            .expect("client");
        client
            .matrix_auth()
            .login_username(name, PASSWORD)
            .initial_device_display_name(name)
            .send()
            .await
            .expect("login");
        client
            .sync_once(SyncSettings::default())
            .await
            .expect("first sync");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let images: Arc<Mutex<Vec<SeenImage>>> = Arc::default();
        let s = seen.clone();
        let im = images.clone();
        client.add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            let s = s.clone();
            let im = im.clone();
            async move {
                if let MessageType::Image(content) = &ev.content.msgtype {
                    let (in_reply_to, thread) = match &ev.content.relates_to {
                        Some(Relation::Reply(r)) => (Some(r.in_reply_to.event_id.clone()), None),
                        Some(Relation::Thread(t)) => (
                            t.in_reply_to.as_ref().map(|r| r.event_id.clone()),
                            Some(t.event_id.clone()),
                        ),
                        _ => (None, None),
                    };
                    im.lock().expect("lock").push(SeenImage {
                        room: room.room_id().to_owned(),
                        sender: ev.sender.clone(),
                        content: content.clone(),
                        in_reply_to,
                        thread,
                        mentions_empty: ev
                            .content
                            .mentions
                            .as_ref()
                            .is_some_and(|m| m.user_ids.is_empty() && !m.room),
                    });
                }
                let (text, notice) = match &ev.content.msgtype {
                    MessageType::Text(t) => (Some((t.body.clone(), t.formatted.clone())), false),
                    MessageType::Notice(n) => (Some((n.body.clone(), n.formatted.clone())), true),
                    _ => (None, false),
                };
                if let Some((body, formatted)) = text {
                    let in_reply_to = match &ev.content.relates_to {
                        Some(Relation::Reply(r)) => Some(r.in_reply_to.event_id.clone()),
                        Some(Relation::Thread(t)) => {
                            t.in_reply_to.as_ref().map(|r| r.event_id.clone())
                        }
                        _ => None,
                    };
                    s.lock().expect("lock").push(Seen {
                        event_id: ev.event_id.clone(),
                        room: room.room_id().to_owned(),
                        sender: ev.sender.clone(),
                        plain: body,
                        html: formatted.map(|f| f.body),
                        notice,
                        in_reply_to,
                        mentions_empty: ev
                            .content
                            .mentions
                            .as_ref()
                            .is_some_and(|m| m.user_ids.is_empty() && !m.room),
                    });
                }
            }
        });
        let c = client.clone();
        // Keep syncing through homeserver restarts.
        tokio::spawn(async move {
            loop {
                if c.sync_once(SyncSettings::default().timeout(Duration::from_millis(500)))
                    .await
                    .is_err()
                {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        });
        User {
            client,
            seen,
            images,
            _store: store,
        }
    }

    pub fn id(&self) -> OwnedUserId {
        self.client.user_id().expect("logged in").to_owned()
    }

    pub async fn create_room(&self, invite: Vec<OwnedUserId>, encrypted: bool) -> Room {
        let mut req = CreateRoom::new();
        req.invite = invite;
        if encrypted {
            req.initial_state = vec![
                InitialStateEvent::with_empty_state_key(
                    RoomEncryptionEventContent::with_recommended_defaults(),
                )
                .to_raw_any(),
            ];
        }
        self.client.create_room(req).await.expect("create room")
    }

    pub async fn send(&self, room: &Room, text: &str) -> OwnedEventId {
        for _ in 0..50 {
            match room.send(RoomMessageEventContent::text_plain(text)).await {
                Ok(r) => return r.response.event_id,
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        panic!("could not send {text}");
    }

    /// Send `text` and wait up to `secs` for `from`'s replies to it.
    pub async fn ask(&self, room: &Room, text: &str, from: &UserId, secs: u64) -> Vec<Seen> {
        let event = self.send(room, text).await;
        self.replies(from, &event, secs).await
    }

    /// Replies from `from` to `event`, waiting up to `secs` for at least one.
    pub async fn replies(&self, from: &UserId, event: &OwnedEventId, secs: u64) -> Vec<Seen> {
        wait_for_some(&self.seen, secs, |s| {
            s.sender == from && s.in_reply_to.as_ref() == Some(event)
        })
        .await
    }
}

/// What `seen` holds that matches, waiting up to `secs` for at least one.
pub(crate) async fn wait_for_some<T: Clone>(
    seen: &Mutex<Vec<T>>,
    secs: u64,
    matches: impl Fn(&T) -> bool,
) -> Vec<T> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let found: Vec<T> = seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|s| matches(s))
            .cloned()
            .collect();
        if !found.is_empty() || tokio::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn wait_joined(room: &Room, user: &UserId) {
    for _ in 0..300 {
        if room
            .members(RoomMemberships::JOIN)
            .await
            .is_ok_and(|m| m.iter().any(|x| x.user_id() == user))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{user} never joined {}", room.room_id());
}

/// `[moderation]` naming alice, who moderates the shared cards in these tests.
fn alice_moderates() -> dossier::config::Moderators {
    dossier::config::Moderators {
        matrix_users: vec!["@alice:localhost".into()],
        ..Default::default()
    }
}

pub(crate) fn bot_config(synapse: &Synapse, store: &std::path::Path) -> MatrixConfig {
    MatrixConfig {
        homeserver: url::Url::parse(&synapse.url()).expect("url"),
        user: "@dossier:localhost".into(),
        login: MatrixLogin::Password(Secret::new(PASSWORD)),
        store: store.to_path_buf(),
        store_passphrase: Some(Secret::new("store passphrase")),
        prefix: "!".into(),
        autojoin: true,
        autojoin_from: vec![],
        moderator_power_level: 50,
        deadline: dossier::deadlines::MATRIX_REQUEST,
    }
}

/// Start the bot's Matrix door on `store`; it runs until the handle is aborted.
pub(crate) fn start_bot(synapse: &Synapse, store: &std::path::Path) -> tokio::task::JoinHandle<()> {
    let app = Arc::new(App::new(
        bundled_library(),
        None,
        Clock::Fixed(bundled_today()),
    ));
    start_bot_with(synapse, store, app, None)
}

pub(crate) fn start_bot_with(
    synapse: &Synapse,
    store: &std::path::Path,
    app: Arc<App>,
    moderation_room: Option<String>,
) -> tokio::task::JoinHandle<()> {
    start_bot_with_poster(synapse, store, app, moderation_room).0
}

/// The bot, and the poster that posts daily briefings through it once it has connected.
fn start_bot_with_poster(
    synapse: &Synapse,
    store: &std::path::Path,
    app: Arc<App>,
    moderation_room: Option<String>,
) -> (tokio::task::JoinHandle<()>, dossier::matrix::MatrixPoster) {
    let mut door = Door::new(app, bot_config(synapse, store)).expect("door");
    door.moderation_room = moderation_room;
    let poster = door.poster.clone();
    let handle = tokio::spawn(async move {
        if let Err(e) = run(door, tokio_util::sync::CancellationToken::new()).await {
            panic!("the Matrix door stopped: {e:#}");
        }
    });
    (handle, poster)
}

#[test]
fn synapse_end_to_end() {
    runtime().block_on(async {
        let mut synapse = Synapse::with_users(&["dossier", "alice", "bob"], PASSWORD).await;
        let bot_store = tempfile::tempdir().expect("tempdir");
        let bot = start_bot(&synapse, bot_store.path());
        let bot_id: OwnedUserId = UserId::parse("@dossier:localhost").expect("id");
        let alice = User::login(&synapse.url(), "alice").await;
        let bob = User::login(&synapse.url(), "bob").await;

        // A plain room: invite, answer, HTML and plain bodies, reply relation, no mentions.
        let room = alice
            .create_room(vec![bot_id.clone(), bob.id()], false)
            .await;
        wait_joined(&room, &bot_id).await;
        let got = alice
            .ask(&room, "!position iran on 2026-02-06", &bot_id, 30)
            .await;
        assert_eq!(got.len(), 1, "{got:#?}");
        let r = &got[0];
        assert!(
            r.plain.contains("Iran: position on 6 Feb 2026")
                && r.plain.contains("https://www.dawn.com/news/1971347"),
            "{}",
            r.plain
        );
        let html = r.html.as_deref().expect("formatted body");
        assert!(
            html.contains("<strong>Iran: position on 6 Feb 2026</strong>")
                && html.contains("<a href=\"https://www.dawn.com/news/1971347\">"),
            "{html}"
        );
        // The latest position, with how it changed, fits one event.
        let got = alice.ask(&room, "!position iran", &bot_id, 30).await;
        assert!(
            got.first()
                .is_some_and(|r| r.plain.contains("Iran: position")
                    && r.plain.contains("How it changed")
                    && r.plain.contains("as of 10 Oct 2026")),
            "{got:#?}"
        );
        assert!(r.mentions_empty, "m.mentions must be present and empty");
        let got = alice.ask(&room, "!postion iran", &bot_id, 30).await;
        assert!(first_says(&got, "Did you mean `position`?"), "{got:#?}");

        // Moderator gating by power level: bob (0) is refused, alice (room creator, 100) answered.
        let bob_room = bob
            .client
            .get_room(room.room_id())
            .expect("bob sees the invite");
        bob_room.join().await.expect("bob joins");
        let got = bob.ask(&bob_room, "!status", &bot_id, 30).await;
        assert!(first_says(&got, "Only moderators can do that"), "{got:#?}");
        let got = alice.ask(&room, "!status", &bot_id, 30).await;
        assert!(first_says(&got, "dossier status"), "{got:#?}");

        // An encrypted room.
        let secret_room = alice.create_room(vec![bot_id.clone()], true).await;
        wait_joined(&secret_room, &bot_id).await;
        let got = alice
            .ask(&secret_room, "!position turkey", &bot_id, 60)
            .await;
        assert!(
            got.first().is_some_and(
                |r| r.plain.contains("Türkiye: position") && r.room == secret_room.room_id()
            ),
            "{got:#?}"
        );

        // Synapse restarts; the bot reconnects and answers the next command exactly once.
        let synapse = tokio::task::spawn_blocking(move || {
            synapse.restart();
            synapse
        })
        .await
        .expect("restart");
        let ask = alice.send(&room, "!topics").await;
        let got = alice.replies(&bot_id, &ask, 60).await;
        assert_eq!(got.len(), 1, "{got:#?}");
        tokio::time::sleep(Duration::from_secs(3)).await;
        let again = alice.replies(&bot_id, &ask, 0).await;
        assert_eq!(again.len(), 1, "answered twice: {again:#?}");

        // The bot stops. While it is away, alice asks in the old room and invites it to a new
        // one. It comes back on the same store: it keeps its one device, accepts the pending
        // invite, answers there and in the encrypted room, and does not answer late what was
        // asked while it was away.
        bot.abort();
        let _ = bot.await;
        let asked_while_away = alice.send(&room, "!brief").await;
        let new_room = alice.create_room(vec![bot_id.clone()], false).await;
        let bot = start_bot(&synapse, bot_store.path());
        wait_joined(&new_room, &bot_id).await;
        let got = alice
            .ask(&new_room, "!position united states", &bot_id, 60)
            .await;
        assert!(first_says(&got, "United States: position"), "{got:#?}");
        let ask = alice.send(&secret_room, "!position iran").await;
        let got = alice.replies(&bot_id, &ask, 60).await;
        assert!(
            first_says(&got, "Iran: position"),
            "the restarted bot must still read the encrypted room: {got:#?}"
        );
        let late = alice.replies(&bot_id, &asked_while_away, 0).await;
        assert!(
            late.is_empty(),
            "answered a command from while it was away: {late:#?}"
        );
        let devices = alice
            .client
            .encryption()
            .get_user_devices(&bot_id)
            .await
            .expect("bot's devices");
        assert_eq!(
            devices.devices().count(),
            1,
            "a restart must reuse the bot's device, not log in again"
        );
        bot.abort();
        drop(synapse);
    });
}

/// Live reload through the Matrix door on a real Synapse: a save is answered from the new card
/// on the next command; a broken save is posted once, with the `check` output, as a notice in
/// the moderators' room and changes no answer; saving it broken again posts nothing; the fix
/// posts "Fixed".
#[test]
fn synapse_reload_and_the_moderators_room() {
    runtime().block_on(async {
        let synapse = Synapse::with_users(&["dossier", "alice"], PASSWORD).await;
        let bot_id: OwnedUserId = UserId::parse("@dossier:localhost").expect("id");
        let alice = User::login(&synapse.url(), "alice").await;
        let mods = alice.create_room(vec![bot_id.clone()], false).await;
        let room = alice.create_room(vec![bot_id.clone()], false).await;

        let cards = tempfile::tempdir().expect("tempdir");
        copy_tree(&bundled(), cards.path());
        let root = dossier::reload::absolute(cards.path());
        let (library, report) =
            dossier::reload::load_checked(&root, bundled_today(), None).expect("loads");
        let app = Arc::new(
            App::new(library, None, Clock::Fixed(bundled_today()))
                .reading(root.clone(), &report)
                .with_moderators(alice_moderates()),
        );
        let stop = tokio_util::sync::CancellationToken::new();
        tokio::spawn(dossier::reload::watch(app.reloader.clone(), stop.clone()));
        let store_dir = tempfile::tempdir().expect("tempdir");
        let (bot, poster) = start_bot_with_poster(
            &synapse,
            store_dir.path(),
            app.clone(),
            Some(mods.room_id().to_string()),
        );
        wait_joined(&room, &bot_id).await;
        wait_joined(&mods, &bot_id).await;

        let card = root.join("iran-us-talks/actors/iran.toml");
        let good = std::fs::read_to_string(&card).expect("card");
        let stance = app
            .snapshot()
            .actor(0, "iran")
            .map(|a| a.position().stance.clone())
            .expect("iran");
        let got = alice.ask(&room, "!position iran", &bot_id, 30).await;
        assert!(first_says(&got, &stance), "{got:#?}");

        // A valid save: the next command is answered from it.
        // Still hedged: the stance rests on headlines, and an unhedged one would be a new warning.
        // The stance as the TOML file spells it (its quotes escaped).
        let in_file = stance.replace('"', "\\\"");
        assert!(good.contains(&in_file), "{in_file}");
        let edited = good.replacen(&in_file, "Edited live from a test (reported).", 1);
        std::fs::write(&card, &edited).expect("save");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while app.reloads() < 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let got = alice.ask(&room, "!position iran", &bot_id, 30).await;
        assert!(
            first_says(&got, "Edited live from a test (reported)."),
            "{got:#?}"
        );

        // A broken save: one notice in the moderators' room, answers unchanged.
        let broken = edited.replacen("confidence = ", "confidence_level = ", 1);
        std::fs::write(&card, &broken).expect("save");
        let notices = |alice: &User| -> Vec<Seen> {
            alice
                .seen
                .lock()
                .expect("lock")
                .iter()
                .filter(|s| s.notice && s.room == mods.room_id() && s.sender == bot_id)
                .cloned()
                .collect()
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while notices(&alice).is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let n = notices(&alice);
        assert_eq!(n.len(), 1, "{n:#?}");
        assert!(
            n[0].plain.contains("error[unknown-key]")
                && n[0].plain.contains("--> iran-us-talks/actors/iran.toml:")
                && n[0].plain.contains("did you mean `confidence`?"),
            "{}",
            n[0].plain
        );
        assert!(
            n[0].html
                .as_deref()
                .is_some_and(|h| h.contains("<pre><code>")),
            "{:?}",
            n[0].html
        );
        assert!(n[0].mentions_empty);
        let got = alice.ask(&room, "!position iran", &bot_id, 30).await;
        assert!(
            first_says(&got, "Edited live from a test (reported)."),
            "the last good card is still served: {got:#?}"
        );
        // Saved broken again: nothing new is posted.
        std::fs::write(&card, format!("{broken}\n")).expect("save");
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(notices(&alice).len(), 1, "the same failure is posted once");

        // A daily briefing for the room, due a minute ago: posted once, as a notice.
        let store = crate::common::state_stores(store_dir.path())
            .await
            .schedules;
        let now = chrono::Utc::now();
        let at = (now - chrono::Duration::minutes(1))
            .format("%H:%M")
            .to_string();
        let sub = dossier::store::schedules::ScheduleStore::subscribe(
            store.as_ref(),
            &dossier::schedule::NewSubscription {
                destination: dossier::schedule::Destination::Matrix {
                    room: room.room_id().to_string(),
                },
                topic: "iran-us-talks".into(),
                at: dossier::schedule::parse_time(&at).expect("time"),
                tz: chrono_tz::UTC,
                when_unchanged: dossier::digest::WhenUnchanged::Post,
                catch_up: chrono::Duration::hours(6),
                from_config: false,
                created_by: None,
            },
            now - chrono::Duration::days(1),
        )
        .await
        .expect("subscribe");
        let scheduler = app.scheduler(store.clone(), vec![std::sync::Arc::new(poster.clone())]);
        scheduler.tick(now).await;
        let briefings = |alice: &User| -> Vec<Seen> {
            alice
                .seen
                .lock()
                .expect("lock")
                .iter()
                .filter(|s| {
                    s.notice && s.room == room.room_id() && s.plain.starts_with("Daily briefing")
                })
                .cloned()
                .collect()
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while briefings(&alice).is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        scheduler.tick(now + chrono::Duration::seconds(30)).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let b = briefings(&alice);
        assert_eq!(b.len(), 1, "{b:#?}");
        assert!(
            b[0].plain.contains("The first briefing here") && b[0].mentions_empty,
            "{}",
            b[0].plain
        );
        assert!(
            b[0].html
                .as_deref()
                .is_some_and(|h| h.contains("<h4>Bottom line</h4>"))
        );
        let recent = dossier::store::schedules::ScheduleStore::recent(store.as_ref(), sub.id, 1)
            .await
            .expect("recent");
        assert!(matches!(
            recent[0].state,
            dossier::schedule::store::PostState::Sent { .. }
        ));

        // Fixed.
        std::fs::write(&card, &good).expect("save");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while notices(&alice).len() < 2 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let n = notices(&alice);
        assert_eq!(n.len(), 2, "{n:#?}");
        assert!(n[1].plain.starts_with("Fixed"), "{}", n[1].plain);
        stop.cancel();
        bot.abort();
        drop(synapse);
    });
}

/// Edits from chat on a real Synapse: `!edit` alone shows the values to copy; the `field: value`
/// grammar writes the card and the next answer uses it; members below the moderator power
/// level are refused; `!history` names who edited; `!undo` puts the card back byte for byte.
#[test]
fn synapse_edits_history_and_undo() {
    runtime().block_on(async {
        let synapse = Synapse::with_users(&["dossier", "alice", "bob"], PASSWORD).await;
        let bot_id: OwnedUserId = UserId::parse("@dossier:localhost").expect("id");
        let alice = User::login(&synapse.url(), "alice").await;
        let bob = User::login(&synapse.url(), "bob").await;
        let room = alice
            .create_room(vec![bot_id.clone(), bob.id()], false)
            .await;

        let cards = tempfile::tempdir().expect("tempdir");
        copy_tree(&bundled(), cards.path());
        let root = dossier::reload::absolute(cards.path());
        let (library, report) =
            dossier::reload::load_checked(&root, bundled_today(), None).expect("loads");
        let state = tempfile::tempdir().expect("tempdir");
        let desk = dossier::desk::Desk::open(&root, state.path())
            .expect("edit log");
        let app = Arc::new(
            App::new(library, None, Clock::Fixed(bundled_today()))
                .reading(root.clone(), &report)
                .with_desk(Arc::new(desk))
                .with_moderators(alice_moderates()),
        );
        let store_dir = tempfile::tempdir().expect("tempdir");
        let bot = start_bot_with(&synapse, store_dir.path(), app.clone(), None);
        wait_joined(&room, &bot_id).await;
        let bob_room = bob
            .client
            .get_room(room.room_id())
            .expect("bob sees the invite");
        bob_room.join().await.expect("bob joins");
        let card = root.join("iran-us-talks/actors/iran.toml");
        let original = std::fs::read_to_string(&card).expect("card");

        let got = alice.ask(&room, "!edit position iran", &bot_id, 30).await;
        let r = got.first().expect("an answer");
        assert!(r.plain.contains("Edit Iran's position"), "{}", r.plain);
        assert!(r.plain.contains("\nstance: "), "one field a line: {}", r.plain);
        assert!(
            r.html.as_deref().is_some_and(|h| h.contains("<br>stance: ")
                || h.contains("<p>stance: ")),
            "{:?}",
            r.html
        );

        let got = alice
            .ask(
                &room,
                "!edit position iran\nstance: Edited from Matrix.\ndemands:\n- One demand\n- Another",
                &bot_id,
                30,
            )
            .await;
        let r = got.first().expect("an answer");
        assert!(
            r.plain.contains("What changed") && r.plain.contains("Reloaded"),
            "{}",
            r.plain
        );
        assert!(r.mentions_empty);
        let got = alice.ask(&room, "!position iran", &bot_id, 30).await;
        assert!(
            first_says(&got, "Edited from Matrix."),
            "{got:#?}"
        );

        // Bob (power level 0, not named) may neither edit nor undo.
        for cmd in ["!edit position iran\nstance: Bob's.", "!undo", "!history"] {
            let got = bob.ask(&bob_room, cmd, &bot_id, 30).await;
            assert!(
                first_says(&got, "Only the moderators the operator names can do that"),
                "{cmd}: {got:#?}"
            );
        }
        let got = alice.ask(&room, "!history", &bot_id, 30).await;
        assert!(
            got.first().is_some_and(|r| r.plain.contains("by alice (matrix)")
                && r.plain.contains("Iran: stance, demands, as of (position)")),
            "{got:#?}"
        );
        let got = alice.ask(&room, "!undo", &bot_id, 30).await;
        assert!(
            first_says(&got, "Edit #1 undone"),
            "{got:#?}"
        );
        assert_eq!(std::fs::read_to_string(&card).expect("card"), original);
        let got = alice.ask(&room, "!position iran", &bot_id, 30).await;
        assert!(
            got.first()
                .is_some_and(|r| !r.plain.contains("Edited from Matrix.")),
            "{got:#?}"
        );

        // An existing event, named by date and title words, is changed and then removed.
        let timeline = root.join("iran-us-talks/timeline.toml");
        let got = alice
            .ask(
                &room,
                "!edit event 2025-06-22 us strikes
detail: Changed from Matrix.",
                &bot_id,
                30,
            )
            .await;
        assert!(first_says(&got, "Event changed"), "{got:#?}");
        let got = alice
            .ask(&room, "!edit remove event 2025-06-22 us strikes", &bot_id, 30)
            .await;
        assert!(
            first_says(&got, "Event removed from the timeline"),
            "{got:#?}"
        );
        let now = std::fs::read_to_string(&timeline).expect("timeline");
        assert!(!now.contains("US strikes Iranian nuclear sites"), "{now}");
        let got = alice
            .ask(&room, "!timeline since 2025-06-22 until 2025-06-22", &bot_id, 30)
            .await;
        assert!(
            got.first()
                .is_some_and(|r| !r.plain.contains("US strikes Iranian nuclear sites")),
            "{got:#?}"
        );
        bot.abort();
    });
}

/// A topic per room on a real Synapse: two topics loaded, two rooms, each choosing its own with
/// `!topic set`; `!position` and `!brief` without a topic then answer from each room's own, and
/// `!new actor` adds the actor to the room's topic.
#[test]
fn synapse_a_topic_per_room() {
    runtime().block_on(async {
        let synapse = Synapse::with_users(&["dossier", "alice"], PASSWORD).await;
        let bot_id: OwnedUserId = UserId::parse("@dossier:localhost").expect("id");
        let alice = User::login(&synapse.url(), "alice").await;
        let river = alice.create_room(vec![bot_id.clone()], false).await;
        let gulf = alice.create_room(vec![bot_id.clone()], false).await;

        let cards = tempfile::tempdir().expect("tempdir");
        copy_tree(&bundled(), cards.path());
        copy_tree(&fixtures().join("valid/small"), cards.path());
        let root = dossier::reload::absolute(cards.path());
        let (library, report) =
            dossier::reload::load_checked(&root, bundled_today(), None).expect("loads");
        assert_eq!(library.topics().len(), 2);
        let state = tempfile::tempdir().expect("tempdir");
        let desk = dossier::desk::Desk::open(&root, state.path()).expect("edit log");
        let places = crate::common::places_in(state.path()).await;
        let app = Arc::new(
            App::new(library, None, Clock::Fixed(bundled_today()))
                .reading(root.clone(), &report)
                .with_desk(Arc::new(desk))
                .with_places(places)
                .with_public_url(Some("https://briefings.example.org".parse().expect("url")))
                .with_moderators(alice_moderates()),
        );
        let store_dir = tempfile::tempdir().expect("tempdir");
        let bot = start_bot_with(&synapse, store_dir.path(), app, None);
        wait_joined(&river, &bot_id).await;
        wait_joined(&gulf, &bot_id).await;

        // Two topics and no choice yet: a command that names none asks which.
        let got = alice.ask(&river, "!brief", &bot_id, 30).await;
        assert!(first_says(&got, "Which topic?"), "{got:#?}");
        let got = alice
            .ask(&river, "!topic set river-treaty", &bot_id, 30)
            .await;
        assert!(
            first_says(&got, "This room answers from The Long River"),
            "{got:#?}"
        );
        let got = alice
            .ask(&gulf, "!topic set iran-us-talks", &bot_id, 30)
            .await;
        assert!(first_says(&got, "This room answers from Iran"), "{got:#?}");

        let got = alice.ask(&river, "!position northland", &bot_id, 30).await;
        assert!(first_says(&got, "Northland: position"), "{got:#?}");
        assert_eq!(got[0].room, river.room_id());
        let got = alice.ask(&gulf, "!position iran", &bot_id, 30).await;
        assert!(first_says(&got, "Iran: position"), "{got:#?}");
        assert_eq!(got[0].room, gulf.room_id());
        // With a public address the reply ends with the link to the actor's web page.
        let page = "https://briefings.example.org/t/iran-us-talks/actors/iran";
        assert!(
            got[0].plain.contains(&format!("Read on the web: {page}")),
            "{got:#?}"
        );
        assert!(
            got[0]
                .html
                .as_deref()
                .is_some_and(|h| h.contains(&format!("<a href=\"{page}\">Read on the web</a>"))),
            "{got:#?}"
        );
        let got = alice.ask(&river, "!brief", &bot_id, 30).await;
        assert!(first_says(&got, "The Long River water treaty"), "{got:#?}");
        let got = alice.ask(&gulf, "!brief", &bot_id, 30).await;
        assert!(first_says(&got, "Iran–US talks"), "{got:#?}");
        let got = alice.ask(&river, "!topic", &bot_id, 30).await;
        assert!(first_says(&got, "river-treaty"), "{got:#?}");

        // A new actor made in a room goes to that room's topic.
        let got = alice
            .ask(&river, "!new actor eastland Eastland", &bot_id, 30)
            .await;
        assert!(first_says(&got, "New actor: Eastland"), "{got:#?}");
        assert!(root.join("river-treaty/actors/eastland.toml").is_file());
        let got = alice.ask(&river, "!position eastland", &bot_id, 30).await;
        assert!(first_says(&got, "Eastland: position"), "{got:#?}");
        bot.abort();
        drop(synapse);
    });
}
