//! The real serenity client against the fake Discord on loopback: start-up registration,
//! interactions over the gateway, deferral plus edit, a 429 respected, and reconnecting after
//! the socket drops. Also `dossier serve` as an operator runs it.

use crate::common::*;
use crate::discord_endpoint::check_message;
use crate::discord_support::*;
use crate::fake_discord::{APP_ID, Fake};
use crate::serve::serve;
use dossier::app::App;
use dossier::clock::Clock;
use dossier::discord::{Settings, commands, gateway, permission};
use serde_json::json;
use serenity::http::{Http, HttpBuilder};
use serenity::model::id::ApplicationId;
use std::sync::Arc;
use std::time::Duration;

fn http(fake: &Fake) -> Http {
    HttpBuilder::new("test-bot-token")
        .application_id(ApplicationId::new(APP_ID.parse().expect("id")))
        .proxy(fake.base())
        .ratelimiter_disabled(true)
        .build()
}

fn settings(defer_after: Duration) -> Settings {
    Settings {
        application_id: APP_ID.parse().expect("id"),
        moderator_permission: permission(dossier::config::ModeratorPermission::ManageGuild),
        defer_after,
    }
}

async fn start_client(fake: &Fake, defer_after: Duration) -> tokio::task::JoinHandle<()> {
    let app = Arc::new(App::new(
        bundled_library(),
        None,
        Clock::Fixed(bundled_today()),
    ));
    start_client_with(fake, app, defer_after).await
}

pub(crate) async fn start_client_with(
    fake: &Fake,
    app: Arc<App>,
    defer_after: Duration,
) -> tokio::task::JoinHandle<()> {
    let rest = Arc::new(
        dossier::discord::rest::Rest::new(Some(&fake.base()), APP_ID.parse().expect("id"))
            .expect("http client"),
    );
    let followups = dossier::discord::followups::Followups::start(
        rest.clone(),
        app.metrics.clone(),
        app.tasks.clone(),
    );
    let mut client = gateway::client(http(fake), rest, followups, app, settings(defer_after), 1)
        .await
        .expect("client");
    let task = tokio::spawn(async move {
        let _ = client.start().await;
    });
    fake.wait_for_gateway(20, "IDENTIFY", |ops| ops.contains(&2))
        .await;
    task
}

/// The body of the interaction callback made with `token`, waiting up to 20 s for it.
pub(crate) async fn callback_body(fake: &Fake, token: &str) -> serde_json::Value {
    let path = format!("/{token}/callback");
    let reqs = fake
        .wait_for(20, token, |r| r.iter().any(|x| x.path.ends_with(&path)))
        .await;
    reqs.into_iter()
        .find(|x| x.path.ends_with(&path))
        .expect("callback")
        .body
}

#[test]
fn commands_are_registered_once_per_change() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let state = tempfile::tempdir().expect("tempdir");
        let file = state.path().join("discord-commands.json");
        let h = http(&fake);
        assert!(
            commands::register(
                &h,
                Some(permission(
                    dossier::config::ModeratorPermission::ManageGuild
                )),
                None,
                Some(&file)
            )
            .await
            .expect("register")
        );
        let puts = fake.requests_to("PUT", &format!("/applications/{APP_ID}/commands"));
        assert_eq!(puts.len(), 1);
        assert_eq!(puts[0].authorization.as_deref(), Some("Bot test-bot-token"));
        let names: Vec<&str> = puts[0]
            .body
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        for want in [
            "brief", "position", "actors", "timeline", "experts", "compare", "sources", "search",
            "topics", "help", "status",
        ] {
            assert!(names.contains(&want), "{want} not registered: {names:?}");
        }
        // Unchanged definitions: no second overwrite.
        assert!(
            !commands::register(
                &h,
                Some(permission(
                    dossier::config::ModeratorPermission::ManageGuild
                )),
                None,
                Some(&file)
            )
            .await
            .expect("register")
        );
        assert_eq!(fake.requests_to("PUT", "/applications/").len(), 1);
        // A dev guild is a different target: registered there.
        assert!(
            commands::register(
                &h,
                Some(permission(
                    dossier::config::ModeratorPermission::ManageGuild
                )),
                Some(42),
                Some(&file)
            )
            .await
            .expect("register")
        );
        assert_eq!(
            fake.requests_to("PUT", &format!("/applications/{APP_ID}/guilds/42/commands"))
                .len(),
            1
        );
    });
}

#[test]
fn gateway_answers_respects_429_and_reconnects() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let client = start_client(&fake, Duration::from_secs(2)).await;

        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(
                command("position", &[("actor", 3, json!("tehran"))], "0"),
                "1100000000000000011",
                "tok-1",
            ),
        );
        let reqs = fake
            .wait_for(20, "the first callback", |r| {
                r.iter().any(|x| x.path.contains("/tok-1/callback"))
            })
            .await;
        let cb = reqs
            .iter()
            .find(|x| x.path.contains("/tok-1/callback"))
            .expect("callback");
        assert_eq!(cb.path, "/interactions/1100000000000000011/tok-1/callback");
        assert_eq!(cb.body["type"], 4);
        assert_eq!(cb.body["data"]["embeds"][0]["title"], "Iran: position");
        check_message(&cb.body["data"]);

        // A 429 with retry-after: serenity waits, then sends the same callback again.
        fake.rate_limit_next_callbacks(1);
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(command("brief", &[], "0"), "1100000000000000012", "tok-2"),
        );
        let reqs = fake
            .wait_for(20, "the retried callback", |r| {
                r.iter()
                    .filter(|x| x.path.contains("/tok-2/callback"))
                    .count()
                    >= 2
            })
            .await;
        let tries: Vec<_> = reqs
            .iter()
            .filter(|x| x.path.contains("/tok-2/callback"))
            .collect();
        let waited = tries[1].at.duration_since(tries[0].at);
        assert!(
            waited >= Duration::from_millis(350),
            "retried after {waited:?}, before retry-after ran out"
        );
        assert_eq!(tries[0].body, tries[1].body);

        // The socket drops: the client reconnects (resume or identify) and keeps answering.
        let before = fake
            .gateway_ops()
            .iter()
            .filter(|o| **o == 2 || **o == 6)
            .count();
        fake.drop_socket();
        fake.wait_for_gateway(30, "a reconnect", |ops| {
            ops.iter().filter(|o| **o == 2 || **o == 6).count() > before
        })
        .await;
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(command("topics", &[], "0"), "1100000000000000013", "tok-3"),
        );
        fake.wait_for(20, "an answer after reconnecting", |r| {
            r.iter().any(|x| x.path.contains("/tok-3/callback"))
        })
        .await;

        // Autocomplete and buttons go through the same handler.
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(
                autocomplete("position", &[("actor", 3, json!("om"))], "actor"),
                "1100000000000000014",
                "tok-4",
            ),
        );
        let reqs = fake
            .wait_for(20, "the autocomplete callback", |r| {
                r.iter().any(|x| x.path.contains("/tok-4/callback"))
            })
            .await;
        let cb = reqs
            .iter()
            .find(|x| x.path.contains("/tok-4/callback"))
            .expect("callback");
        assert_eq!(
            (
                cb.body["type"].as_u64(),
                cb.body["data"]["choices"][0]["value"].as_str()
            ),
            (Some(8), Some("oman"))
        );
        client.abort();
    });
}

#[test]
fn gateway_defers_slow_answers_and_edits() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let client = start_client(&fake, Duration::ZERO).await;
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(
                command("timeline", &[("page", 4, json!(3))], "0"),
                "1100000000000000021",
                "tok-slow",
            ),
        );
        let reqs = fake
            .wait_for(20, "ack and edit", |r| {
                r.iter()
                    .any(|x| x.method == "PATCH" && x.path.contains("tok-slow"))
            })
            .await;
        let ack = reqs
            .iter()
            .find(|x| x.path.contains("/tok-slow/callback"))
            .expect("ack");
        assert_eq!(ack.body["type"], 5);
        let edit = reqs.iter().find(|x| x.method == "PATCH").expect("edit");
        assert_eq!(
            edit.path,
            format!("/webhooks/{APP_ID}/tok-slow/messages/@original")
        );
        assert!(
            edit.body["embeds"][0]["description"]
                .as_str()
                .is_some_and(|d| d.contains("Events 21–30 of 66")),
            "{}",
            edit.body
        );
        check_message(&edit.body);
        client.abort();
    });
}

#[test]
fn serve_runs_the_http_endpoint_with_no_token() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let cfg = dir.path().join("dossier.toml");
        std::fs::write(
            &cfg,
            format!(
                "briefings = \"{}\"\n\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\n",
                bundled().display(),
                public_key_hex()
            ),
        )
        .expect("write");
        let serving = serve(&cfg, None);
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let mut up = false;
        for _ in 0..200 {
            if client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(up, "serve did not come up");
        let body = serde_json::to_vec(&command("position", &[("actor", 3, json!("israel"))], "0")).expect("json");
        let ts = chrono::Utc::now().timestamp().to_string();
        let resp = client
            .post(format!("{base}/interactions"))
            .header("x-signature-ed25519", sign(&signing_key(), &ts, &body))
            .header("x-signature-timestamp", ts)
            .body(body)
            .send()
            .await
            .expect("post");
        let v: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(v["data"]["embeds"][0]["title"], "Israel: position");
        // Logs to a pipe (a file, a container's log) are plain text, without colour codes.
        let logs = serving.stop_and_read_logs();
        assert!(logs.contains("interactions endpoint listening"), "{logs}");
        assert!(!logs.contains('\x1b'), "escape codes in piped logs: {logs:?}");
    });
}

#[test]
fn serve_registers_on_start_only_when_definitions_change() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("dossier.toml");
        std::fs::write(
            &cfg,
            format!("briefings = \"{}\"\nstate = \"state\"\n\n[discord]\napplication_id = \"{APP_ID}\"\napi_proxy = \"{}\"\n", bundled().display(), fake.base()),
        )
        .expect("write");
        {
            let _serve = serve(&cfg, Some("cli-token"));
            fake.wait_for_gateway(30, "IDENTIFY from serve", |ops| ops.contains(&2)).await;
            let puts = fake.requests_to("PUT", "/applications/");
            assert_eq!(puts.len(), 1);
            assert_eq!(puts[0].authorization.as_deref(), Some("Bot cli-token"));
            fake.dispatch("INTERACTION_CREATE", with_token(command("experts", &[], "0"), "1100000000000000031", "tok-serve"));
            fake.wait_for(20, "serve answering over the gateway", |r| r.iter().any(|x| x.path.contains("/tok-serve/callback"))).await;
        }
        assert!(dir.path().join("state/discord-commands.json").exists());
        let identifies = fake.gateway_ops().iter().filter(|o| **o == 2).count();
        let _again = serve(&cfg, Some("cli-token"));
        fake.wait_for_gateway(30, "IDENTIFY after restart", |ops| ops.iter().filter(|o| **o == 2).count() > identifies).await;
        assert_eq!(fake.requests_to("PUT", "/applications/").len(), 1, "unchanged commands are not registered again");
    });
}

#[test]
fn serve_refuses_a_bad_config_naming_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("dossier.toml");
    std::fs::write(
        &cfg,
        "[discord]\napplication_id = \"1\"\ntoken = \"abc.def\"\n",
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dossier.toml:3:9") && err.contains("must not be written in the config file"),
        "{err}"
    );
    assert!(
        !err.contains("abc.def"),
        "the secret itself is never printed: {err}"
    );
}

/// `/edit` over the gateway: the modal goes out through the callback endpoint, and its submit
/// (a MODAL_SUBMIT interaction on the socket) writes the card and is answered with the change.
#[test]
fn gateway_edit_opens_a_modal_and_its_submit_writes_the_card() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("briefings");
        copy_tree(&bundled(), &root);
        let (library, report) =
            dossier::reload::load_checked(&root, bundled_today(), None).expect("loads");
        let desk = dossier::desk::Desk::open(&root, &dir.path().join("state"))
            .expect("edit log");
        let app = Arc::new(
            App::new(library, None, Clock::Fixed(bundled_today()))
                .reading(root.clone(), &report)
                .with_desk(Arc::new(desk))
                .with_moderators(crate::edit::named_moderators()),
        );
        let client = start_client_with(&fake, app.clone(), Duration::from_secs(2)).await;
        let callback = |token: &'static str| callback_body(&fake, token);
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(
                command(
                    "edit",
                    &[("what", 3, json!("position")), ("actor", 3, json!("iran"))],
                    MANAGE_GUILD,
                ),
                "1100000000000000031",
                "tok-edit",
            ),
        );
        let modal = callback("tok-edit").await;
        assert_eq!(modal["type"], 9, "{modal}");
        let id = modal["data"]["custom_id"].as_str().expect("id").to_owned();
        let submit = interaction(
            5,
            json!({"custom_id": id, "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": "stance", "value": "Edited over the gateway."}]}
            ]}),
            MANAGE_GUILD,
            "tok-submit",
        );
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(submit, "1100000000000000032", "tok-submit"),
        );
        let answer = callback("tok-submit").await;
        assert_eq!(answer["type"], 4, "{answer}");
        check_message(&answer["data"]);
        assert!(answer.to_string().contains("What changed"), "{answer}");
        let card = std::fs::read_to_string(root.join("iran-us-talks/actors/iran.toml"))
            .expect("card");
        assert!(card.contains("Edited over the gateway."));
        client.abort();
    });
}
