//! Who moderates: only the moderators the operator names in `[moderation]` change what every
//! place shares (the cards, their history and undo, suggestions, reload and check); a place's
//! own moderators keep its settings. Tried as a stranger would: Manage Server in a Discord
//! server nobody named, a Matrix room of their own; and as the named ones: a user, a server, a
//! role, a room. Every refusal leaves the cards' bytes, git history, edit log and suggestions
//! as they were, and is counted in /metrics.

use crate::common::*;
use crate::discord_endpoint::start_with;
use crate::discord_support::*;
use crate::edit::in_git_work_tree_with;
use crate::fake_discord::Fake;
use crate::matrix_e2e::{PASSWORD, User, start_bot_with, wait_joined};
use crate::synapse::Synapse;
use dossier::app::App;
use dossier::config::Moderators;
use dossier::service::Asker;
use matrix_sdk::ruma::{OwnedUserId, UserId};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// The server `discord_support`'s interactions come from, named in `discord_guilds`.
const NAMED_GUILD: u64 = 1300000000000000001;
const OTHER_GUILD: &str = "1300000000000000099";
const NAMED_USER: &str = "234567890123456789";
const NAMED_ROLE: &str = "345678901234567890";
const REFUSED: &str = "Only the moderators the operator names can do that";

fn discord_moderators() -> Moderators {
    Moderators {
        discord_guilds: vec![NAMED_GUILD],
        discord_users: vec![NAMED_USER.parse().expect("id")],
        discord_roles: vec![NAMED_ROLE.parse().expect("id")],
        ..Moderators::default()
    }
}

/// Everything a refused command must leave as it was: every file of the work tree (cards
/// included) byte for byte, the git history, the edit log and the suggestions.
async fn shared_state(app: &App, top: &Path) -> String {
    let mut files = Vec::new();
    let mut dirs = vec![top.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                dirs.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                files.push(format!("{} {:x?}", p.display(), digest(&bytes)));
            }
        }
    }
    files.sort();
    let log = git(top, &["log", "--format=%H %s"]);
    let status = git(top, &["status", "--porcelain"]);
    let ask = |line: &'static str| async move {
        let cmd = dossier::commands::parse(line).expect("parses");
        let r = dossier::router::respond(app, &cmd, &Asker::terminal()).await;
        dossier::render::text::render(&r, dossier::render::text::TextStyle::PLAIN)
    };
    format!(
        "{}\n--log\n{log}\n--status\n{status}\n--history\n{}\n--suggestions\n{}",
        files.join("\n"),
        ask("history").await,
        ask("suggestions").await
    )
}

/// The file's bytes, summed up well enough to tell any change apart in a test.
fn digest(bytes: &[u8]) -> (usize, u64) {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    (bytes.len(), h.finish())
}

fn in_guild(mut v: Value, guild: &str) -> Value {
    v["guild_id"] = json!(guild);
    v
}

fn with_roles(mut v: Value, roles: &[&str]) -> Value {
    v["member"]["roles"] = json!(roles);
    v
}

fn as_user(mut v: Value, id: &str) -> Value {
    v["member"]["user"]["id"] = json!(id);
    v
}

/// The same interaction sent in the bot's DM by user `id`: no server, no member.
fn in_dm(mut v: Value, id: &str) -> Value {
    let o = v.as_object_mut().expect("object");
    o.remove("guild_id");
    o.remove("member");
    o.remove("guild_locale");
    o.insert(
        "user".into(),
        json!({"id": id, "username": "editor", "discriminator": "0", "global_name": "Editor", "avatar": null, "bot": false}),
    );
    o.insert("channel_id".into(), json!("1400000000000000077"));
    o.insert(
        "channel".into(),
        json!({"id": "1400000000000000077", "type": 1}),
    );
    o.insert("context".into(), json!(1));
    v
}

fn new_topic(id: &str) -> Vec<Opt<'_>> {
    vec![
        ("what", 3, json!("topic")),
        ("id", 3, json!(id)),
        ("name", 3, json!("A story")),
    ]
}

use crate::places::title;

/// Over the interactions endpoint: Manage Server in an unnamed server may set its channel's
/// topic but not touch the cards; a named server's permission, a named user in a DM and a
/// named role may.
#[test]
fn discord_only_named_moderators_change_the_shared_cards() {
    runtime().block_on(async {
        let (dir, _state, app) = in_git_work_tree_with(discord_moderators());
        let top = dir.path();
        let root = top.join("briefings");
        let ep = start_with(app.clone(), Duration::from_secs(2)).await;
        let before = shared_state(&app, top).await;

        // Strangers: Manage Server (and Administrator) in a server nobody named, a named
        // server's member without the permission, a DM from someone nobody named.
        let refused = [
            in_guild(
                command("new", &new_topic("stranger-story"), MANAGE_GUILD),
                OTHER_GUILD,
            ),
            in_guild(command("new", &new_topic("admin-story"), "8"), OTHER_GUILD),
            in_guild(command("reload", &[], MANAGE_GUILD), OTHER_GUILD),
            in_guild(command("undo", &[], MANAGE_GUILD), OTHER_GUILD),
            in_guild(command("history", &[], MANAGE_GUILD), OTHER_GUILD),
            in_guild(
                command("approve", &[("id", 4, json!(1))], MANAGE_GUILD),
                OTHER_GUILD,
            ),
            command("new", &new_topic("member-story"), "0"),
            in_dm(
                command("new", &new_topic("dm-stranger"), "0"),
                "1600000000000000055",
            ),
        ];
        for v in &refused {
            let (status, body) = ep.post(v).await;
            assert_eq!(status, 200);
            assert_eq!(title(&body), REFUSED, "{v}\n{body}");
            assert_eq!(body["data"]["flags"], 64, "refusals are private: {body}");
            assert!(!body.to_string().contains("stranger-story"), "{body}");
        }
        assert_eq!(
            shared_state(&app, top).await,
            before,
            "a refusal changed something"
        );
        for id in [
            "stranger-story",
            "admin-story",
            "member-story",
            "dm-stranger",
        ] {
            assert!(!root.join(id).exists(), "{id}");
        }

        // The stranger's own channel is theirs to set; a member without the permission may not.
        let set = command("topic", &[("set", 3, json!("iran-us-talks"))], MANAGE_GUILD);
        let (_, body) = ep.post(&in_guild(set.clone(), OTHER_GUILD)).await;
        assert!(
            title(&body).starts_with("This channel answers from"),
            "{body}"
        );
        let no_perm = command("topic", &[("set", 3, json!("iran-us-talks"))], "0");
        let (_, body) = ep.post(&in_guild(no_perm, OTHER_GUILD)).await;
        assert_eq!(title(&body), "Only moderators can do that", "{body}");
        assert!(
            body.to_string()
                .contains("the Manage Guild permission in this server"),
            "the refusal says who may: {body}"
        );

        // The named ones: the named server's permission, a named user in a DM, a named role
        // in a server nobody named.
        let allowed = [
            (
                "named-guild",
                command("new", &new_topic("named-guild"), MANAGE_GUILD),
            ),
            (
                "named-user",
                in_dm(command("new", &new_topic("named-user"), "0"), NAMED_USER),
            ),
            (
                "named-role",
                with_roles(
                    in_guild(command("new", &new_topic("named-role"), "0"), OTHER_GUILD),
                    &["1", NAMED_ROLE],
                ),
            ),
            (
                "named-user-elsewhere",
                as_user(
                    in_guild(
                        command("new", &new_topic("named-user-elsewhere"), "0"),
                        OTHER_GUILD,
                    ),
                    NAMED_USER,
                ),
            ),
        ];
        for (id, v) in &allowed {
            let (_, body) = ep.post(v).await;
            assert_eq!(title(&body), "New topic: A story", "{id}: {body}");
            assert!(root.join(id).join("topic.toml").is_file(), "{id}");
        }
        let log = git(top, &["log", "--format=%ae"]);
        assert_eq!(
            log.lines()
                .filter(|l| l.ends_with("@discord.dossier.invalid"))
                .count(),
            4,
            "{log}"
        );

        // Counted, by command, platform and scope.
        let metrics = reqwest::get(format!("{}/metrics", ep.base))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let refused_new = metrics
            .lines()
            .find(|l| {
                l.starts_with("dossier_commands_refused_total{")
                    && l.contains("command=\"new\"")
                    && l.contains("platform=\"discord\"")
                    && l.contains("scope=\"shared\"")
            })
            .unwrap_or_else(|| panic!("{metrics}"));
        assert!(refused_new.ends_with(" 4"), "{refused_new}");
        assert!(
            metrics.contains("command=\"topic\"") && metrics.contains("scope=\"place\""),
            "{metrics}"
        );
    });
}

/// Over the gateway: the same decision, as the real serenity client receives the interaction.
#[test]
fn gateway_refuses_a_stranger_and_lets_a_named_role_in() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let (dir, _state, app) = in_git_work_tree_with(discord_moderators());
        let top = dir.path();
        let before = shared_state(&app, top).await;
        let client =
            crate::discord_gateway::start_client_with(&fake, app.clone(), Duration::from_secs(2))
                .await;
        let callback = |token: &'static str| crate::discord_gateway::callback_body(&fake, token);
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(
                in_guild(
                    command("new", &new_topic("gateway-stranger"), MANAGE_GUILD),
                    OTHER_GUILD,
                ),
                "1100000000000000041",
                "tok-stranger",
            ),
        );
        let refused = callback("tok-stranger").await;
        assert_eq!(title(&refused), REFUSED, "{refused}");
        assert_eq!(shared_state(&app, top).await, before);
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(
                with_roles(
                    in_guild(command("new", &new_topic("gateway-role"), "0"), OTHER_GUILD),
                    &[NAMED_ROLE],
                ),
                "1100000000000000042",
                "tok-role",
            ),
        );
        let allowed = callback("tok-role").await;
        assert_eq!(title(&allowed), "New topic: A story", "{allowed}");
        assert!(top.join("briefings/gateway-role/topic.toml").is_file());
        assert!(!top.join("briefings/gateway-stranger").exists());
        client.abort();
    });
}

fn says(got: &[crate::matrix_e2e::Seen], text: &str) -> bool {
    got.first().is_some_and(|r| r.plain.contains(text))
}

/// On a real Synapse: a stranger's own room (power 100 there), a member below the power level
/// in a room the operator named, refused, nothing changed; a named user in a room of their
/// own and a moderator of the named room, allowed.
#[test]
fn synapse_only_named_moderators_change_the_shared_cards() {
    runtime().block_on(async {
        let synapse = Synapse::with_users(
            &["dossier", "stranger", "editor", "deskmod", "desklow"],
            PASSWORD,
        )
        .await;
        let bot_id: OwnedUserId = UserId::parse("@dossier:localhost").expect("id");
        let stranger = User::login(&synapse.url(), "stranger").await;
        let editor = User::login(&synapse.url(), "editor").await;
        let deskmod = User::login(&synapse.url(), "deskmod").await;
        let desklow = User::login(&synapse.url(), "desklow").await;
        let stranger_room = stranger.create_room(vec![bot_id.clone()], false).await;
        let editor_room = editor.create_room(vec![bot_id.clone()], false).await;
        let desk_room = deskmod
            .create_room(vec![bot_id.clone(), desklow.id()], false)
            .await;
        let (dir, _state, app) = in_git_work_tree_with(Moderators {
            matrix_users: vec!["@editor:localhost".into()],
            matrix_rooms: vec![desk_room.room_id().to_string()],
            ..Moderators::default()
        });
        let top = dir.path();
        let store = tempfile::tempdir().expect("store");
        let bot = start_bot_with(&synapse, store.path(), app.clone(), None);
        for room in [&stranger_room, &editor_room, &desk_room] {
            wait_joined(room, &bot_id).await;
        }
        let low_room = desklow
            .client
            .get_room(desk_room.room_id())
            .expect("desklow sees the invite");
        low_room.join().await.expect("desklow joins");
        let before = shared_state(&app, top).await;

        // The stranger administers their own room: that is not the operator's trust.
        for cmd in [
            "!new topic stranger-story A stranger's story",
            "!reload",
            "!edit position iran\nstance: A stranger's stance.",
            "!undo",
        ] {
            let got = stranger.ask(&stranger_room, cmd, &bot_id, 30).await;
            assert!(
                says(&got, REFUSED),
                "{cmd}: {:?}",
                got.first().map(|r| &r.plain)
            );
            assert!(
                got.first().is_some_and(
                    |r| r.plain.contains("[moderation]") || r.plain.contains("operator names")
                ),
                "the refusal says why"
            );
        }
        // Their room's own settings are theirs.
        let got = stranger
            .ask(&stranger_room, "!topic set iran-us-talks", &bot_id, 30)
            .await;
        assert!(
            says(&got, "This room answers from"),
            "{:?}",
            got.first().map(|r| &r.plain)
        );
        // Below the power level in the named room.
        let got = desklow
            .ask(&low_room, "!new topic low-story Low", &bot_id, 30)
            .await;
        assert!(says(&got, REFUSED), "{:?}", got.first().map(|r| &r.plain));
        assert_eq!(
            shared_state(&app, top).await,
            before,
            "a refusal changed something"
        );
        assert!(!top.join("briefings/stranger-story").exists());

        // A named user, in a room of their own.
        let got = editor
            .ask(
                &editor_room,
                "!edit position iran\nstance: Edited by the named editor.",
                &bot_id,
                30,
            )
            .await;
        assert!(
            says(&got, "What changed"),
            "{:?}",
            got.first().map(|r| &r.plain)
        );
        // The named room's moderator sees it and, as its admin, may undo it.
        let got = deskmod.ask(&desk_room, "!history", &bot_id, 30).await;
        assert!(says(&got, "#1"), "{:?}", got.first().map(|r| &r.plain));
        let got = deskmod.ask(&desk_room, "!undo", &bot_id, 30).await;
        assert!(
            says(&got, "Edit #1 undone"),
            "{:?}",
            got.first().map(|r| &r.plain)
        );
        let log = git(top, &["log", "--format=%ae|%s"]);
        assert!(log.contains("editor"), "{log}");
        assert!(!log.contains("stranger"), "{log}");
        bot.abort();
    });
}

/// The environment a config file is read with here: only the bot's password.
struct BotPassword;

impl dossier::config::Env for BotPassword {
    fn var(&self, name: &str) -> Option<String> {
        (name == "MATRIX_PASSWORD").then(|| PASSWORD.to_owned())
    }
}

/// The Matrix door as a config file sets it up, on `store`, with `extra` lines in `[matrix]`.
fn matrix_config(
    synapse: &Synapse,
    dir: &Path,
    store: &Path,
    extra: &str,
) -> dossier::config::MatrixConfig {
    let path = dir.join("dossier.toml");
    std::fs::write(
        &path,
        format!(
            "[matrix]\nhomeserver = \"{}\"\nuser = \"@dossier:localhost\"\nstore = \"{}\"\n{extra}",
            synapse.url(),
            store.display()
        ),
    )
    .expect("config");
    dossier::config::load(&path, &BotPassword)
        .unwrap_or_else(|r| panic!("{}", r.human()))
        .matrix
        .expect("matrix")
}

/// Whether `user`'s membership of `room`, as `by` sees it, becomes `want` within 20 s.
async fn membership_becomes(
    room: &matrix_sdk::Room,
    user: &UserId,
    want: matrix_sdk::ruma::events::room::member::MembershipState,
) -> bool {
    for _ in 0..200 {
        if let Ok(Some(m)) = room.get_member(user).await
            && *m.membership() == want
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Invites on a real Synapse, with the door set up from a config file: by default the bot's
/// own server's users are accepted; with `autojoin_from` naming another server, an invite from
/// this one is declined (the bot leaves the room it was invited to, and never joins).
#[test]
fn synapse_invites_come_only_from_the_servers_the_operator_allows() {
    use matrix_sdk::ruma::events::room::member::MembershipState;
    runtime().block_on(async {
        let synapse = Synapse::with_users(&["dossier", "alice"], PASSWORD).await;
        let bot_id: OwnedUserId = UserId::parse("@dossier:localhost").expect("id");
        let alice = User::login(&synapse.url(), "alice").await;
        let dir = tempfile::tempdir().expect("tempdir");
        let app = std::sync::Arc::new(App::new(
            bundled_library(),
            None,
            dossier::clock::Clock::Fixed(bundled_today()),
        ));

        // No autojoin_from: the bot's own server.
        let cfg = matrix_config(&synapse, dir.path(), &dir.path().join("store-a"), "");
        assert_eq!(cfg.autojoin_from, ["localhost"]);
        let door = dossier::matrix::Door::new(app.clone(), cfg).expect("door");
        let bot = tokio::spawn(async move {
            let _ = dossier::matrix::run(door, tokio_util::sync::CancellationToken::new()).await;
        });
        let room = alice.create_room(vec![bot_id.clone()], false).await;
        wait_joined(&room, &bot_id).await;
        bot.abort();

        // Only another server allowed: this server's invite is declined.
        let cfg = matrix_config(
            &synapse,
            dir.path(),
            &dir.path().join("store-b"),
            "autojoin_from = [\"elsewhere.example\"]\n",
        );
        let door = dossier::matrix::Door::new(app, cfg).expect("door");
        let bot = tokio::spawn(async move {
            let _ = dossier::matrix::run(door, tokio_util::sync::CancellationToken::new()).await;
        });
        let refused = alice.create_room(vec![bot_id.clone()], false).await;
        assert!(
            membership_becomes(&refused, &bot_id, MembershipState::Leave).await,
            "the invite was not declined"
        );
        assert!(!matches!(
            refused.get_member(&bot_id).await,
            Ok(Some(m)) if *m.membership() == MembershipState::Join
        ));
        bot.abort();
    });
}
