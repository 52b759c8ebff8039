//! A topic per channel: two topics loaded, two Discord channels (through the signed
//! interactions endpoint) each choosing its own with `/topic set:`, and what a command that
//! names no topic answers in each; who may choose; the choice kept across a restart; and the
//! same over the gateway, with the real serenity client against the fake Discord.

use crate::common::*;
use crate::discord_endpoint::start_with;
use crate::discord_support::*;
use dossier::app::App;
use dossier::clock::Clock;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The bundled topic and the small fixture's, side by side.
fn two_topics() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&bundled(), dir.path());
    copy_tree(&fixtures().join("valid/small"), dir.path());
    dir
}

fn in_channel(mut v: Value, channel: &str) -> Value {
    v["channel_id"] = json!(channel);
    v["channel"]["id"] = json!(channel);
    v
}

const MODERATOR: &str = "32";

pub(crate) fn title(body: &Value) -> String {
    body["data"]["embeds"][0]["title"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn each_channel_answers_from_its_own_topic() {
    runtime().block_on(async {
        let dir = two_topics();
        let state = tempfile::tempdir().expect("state");
        let places_file = state.path().to_path_buf();
        let app = |places: dossier::places::Places| {
            let (library, _) =
                dossier::reload::load_checked(dir.path(), bundled_today(), None).expect("loads");
            assert_eq!(library.topics().len(), 2);
            Arc::new(App::new(library, None, Clock::Fixed(bundled_today())).with_places(places))
        };
        let a = "1400000000000000011";
        let b = "1400000000000000022";
        {
            let app = app(crate::common::places_in(&places_file).await);
            let ep = start_with(app.clone(), Duration::from_secs(2)).await;
            // With two topics and no default, a command that names none asks which.
            let (_, body) = ep.post(&in_channel(command("brief", &[], "0"), a)).await;
            assert_eq!(title(&body), "Which topic?", "{body}");

            // Members may ask; only moderators may choose.
            let (_, body) = ep
                .post(&in_channel(
                    command("topic", &[("set", 3, json!("river-treaty"))], "0"),
                    a,
                ))
                .await;
            assert_eq!(title(&body), "Only moderators can do that", "{body}");
            let (_, body) = ep
                .post(&in_channel(
                    command("topic", &[("set", 3, json!("water treaty"))], MODERATOR),
                    a,
                ))
                .await;
            assert!(
                title(&body).starts_with("This channel answers from The Long River"),
                "{body}"
            );
            let (_, body) = ep
                .post(&in_channel(
                    command("topic", &[("set", 3, json!("iran-us-talks"))], MODERATOR),
                    b,
                ))
                .await;
            assert!(title(&body).contains("Iran–US talks"), "{body}");
            let (_, body) = ep
                .post(&in_channel(
                    command("topic", &[("set", 3, json!("nile-talks"))], MODERATOR),
                    b,
                ))
                .await;
            assert!(title(&body).starts_with("No topic called"), "{body}");

            // The same command, two channels, two topics; and twice, from the cache.
            for _ in 0..2 {
                let (_, body) = ep.post(&in_channel(command("brief", &[], "0"), a)).await;
                assert_eq!(title(&body), "The Long River water treaty", "{body}");
                let (_, body) = ep.post(&in_channel(command("brief", &[], "0"), b)).await;
                assert!(title(&body).starts_with("Iran–US talks"), "{body}");
            }
            let (_, body) = ep
                .post(&in_channel(
                    command("position", &[("actor", 3, json!("northland"))], "0"),
                    a,
                ))
                .await;
            assert_eq!(title(&body), "Northland: position", "{body}");
            let (_, body) = ep
                .post(&in_channel(
                    command("position", &[("actor", 3, json!("iran"))], "0"),
                    b,
                ))
                .await;
            assert_eq!(title(&body), "Iran: position", "{body}");
            // Naming a topic still wins.
            let (_, body) = ep
                .post(&in_channel(
                    command("brief", &[("topic", 3, json!("iran-us-talks"))], "0"),
                    a,
                ))
                .await;
            assert!(title(&body).starts_with("Iran–US talks"), "{body}");
            // Autocomplete offers the channel's topic's actors.
            let (_, body) = ep
                .post(&in_channel(
                    autocomplete("position", &[("actor", 3, json!(""))], "actor"),
                    a,
                ))
                .await;
            let text = body.to_string();
            assert!(
                text.contains("northland") && !text.contains("\"iran\""),
                "{text}"
            );
            // `/topic` alone says which.
            let (_, body) = ep.post(&in_channel(command("topic", &[], "0"), a)).await;
            let said = body["data"]["embeds"][0]["description"].to_string();
            // (Markdown-escaped: `river\-treaty`.)
            assert!(
                said.contains("river\\\\-treaty") && said.contains("chosen by"),
                "{body}"
            );
        }
        // A restart keeps each channel's choice.
        let app = app(crate::common::places_in(&places_file).await);
        let ep = start_with(app.clone(), Duration::from_secs(2)).await;
        let (_, body) = ep.post(&in_channel(command("brief", &[], "0"), a)).await;
        assert_eq!(title(&body), "The Long River water treaty", "{body}");
        let status =
            dossier::router::answer(&app, &dossier::commands::parse("status").expect("parses"));
        let text = dossier::render::text::render(&status, dossier::render::text::TextStyle::PLAIN);
        assert!(
            text.contains(&format!("discord:{a} → river-treaty")),
            "{text}"
        );
    });
}

/// One interaction dispatched over the fake Discord's gateway; the body of its callback.
async fn over_gateway(fake: &crate::fake_discord::Fake, v: Value, n: u32) -> Value {
    let token = format!("tok-place-{n}");
    let path = format!("/{token}/callback");
    fake.dispatch(
        "INTERACTION_CREATE",
        with_token(v, &format!("1100000000000009{n:03}"), &token),
    );
    let reqs = fake
        .wait_for(20, "a callback", |r| {
            r.iter().any(|x| x.path.contains(&path))
        })
        .await;
    reqs.iter()
        .find(|x| x.path.contains(&path))
        .expect("callback")
        .body
        .clone()
}

#[test]
fn over_the_gateway_each_channel_answers_from_its_own_topic() {
    runtime().block_on(async {
        let dir = two_topics();
        let state = tempfile::tempdir().expect("state");
        let (library, _) =
            dossier::reload::load_checked(dir.path(), bundled_today(), None).expect("loads");
        let places = crate::common::places_in(state.path()).await;
        let app =
            Arc::new(App::new(library, None, Clock::Fixed(bundled_today())).with_places(places));
        let fake = crate::fake_discord::Fake::start().await;
        let client =
            crate::discord_gateway::start_client_with(&fake, app, Duration::from_secs(2)).await;
        let (a, b) = ("1400000000000000033", "1400000000000000044");
        let body = over_gateway(
            &fake,
            in_channel(
                command("topic", &[("set", 3, json!("river-treaty"))], MODERATOR),
                a,
            ),
            1,
        )
        .await;
        assert!(
            title(&body).starts_with("This channel answers from"),
            "{body}"
        );
        let body = over_gateway(
            &fake,
            in_channel(
                command("topic", &[("set", 3, json!("iran-us-talks"))], MODERATOR),
                b,
            ),
            2,
        )
        .await;
        assert!(title(&body).contains("Iran–US talks"), "{body}");
        let body = over_gateway(
            &fake,
            in_channel(
                command("position", &[("actor", 3, json!("northland"))], "0"),
                a,
            ),
            3,
        )
        .await;
        assert_eq!(body["type"], 4, "{body}");
        assert_eq!(body["data"]["embeds"][0]["title"], "Northland: position");
        let body = over_gateway(
            &fake,
            in_channel(command("position", &[("actor", 3, json!("iran"))], "0"), b),
            4,
        )
        .await;
        assert_eq!(body["data"]["embeds"][0]["title"], "Iran: position");
        client.abort();
    });
}
