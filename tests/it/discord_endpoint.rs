//! The HTTP interactions endpoint, driven with Ed25519-signed requests over loopback: PING,
//! every command, autocomplete, buttons, bad signatures, replays, oversized and malformed
//! bodies; every response checked against Discord's documented limits and mention safety.

use crate::common::*;
use crate::discord_support::*;
use crate::fake_discord::{APP_ID, Fake};
use dossier::app::App;
use dossier::clock::Clock;
use dossier::discord::endpoint::{Endpoint, router};
use dossier::discord::rest::Rest;
use dossier::discord::{Settings, permission};
use dossier::render::discord::limits;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub struct Running {
    pub base: String,
    pub fake: Fake,
    client: reqwest::Client,
}

pub async fn start(library: dossier::library::Library, defer_after: Duration) -> Running {
    let app = Arc::new(App::new(library, None, Clock::Fixed(bundled_today())));
    start_with(app, defer_after).await
}

/// The endpoint and the service routes on one loopback listener, as `serve` runs them, over
/// `app`; deferred edits go to a fresh fake Discord.
pub async fn start_with(app: Arc<App>, defer_after: Duration) -> Running {
    let fake = Fake::start().await;
    let settings = Settings {
        application_id: APP_ID.parse().expect("id"),
        moderator_permission: permission(dossier::config::ModeratorPermission::ManageGuild),
        defer_after,
    };
    let key: [u8; 32] = signing_key().verifying_key().to_bytes();
    let rest =
        Arc::new(Rest::new(Some(&fake.base()), settings.application_id).expect("http client"));
    let endpoint = Endpoint {
        app: app.clone(),
        settings,
        signatures: dossier::discord::signatures::Signatures::new(key).expect("key"),
        followups: dossier::discord::followups::Followups::start(
            rest,
            app.metrics.clone(),
            app.tasks.clone(),
        ),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        // As `serve` does: the service routes and the endpoint on one listener.
        let _ = axum::serve(listener, dossier::http::router(app, Some(router(endpoint)))).await;
    });
    Running {
        base,
        fake,
        client: reqwest::Client::new(),
    }
}

impl Running {
    pub async fn post_raw(
        &self,
        body: Vec<u8>,
        timestamp: Option<String>,
        signature: Option<String>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .post(format!("{}/interactions", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = timestamp {
            req = req.header("x-signature-timestamp", t);
        }
        if let Some(s) = signature {
            req = req.header("x-signature-ed25519", s);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.expect("body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// POST a correctly signed interaction.
    pub async fn post(&self, v: &Value) -> (u16, Value) {
        let body = serde_json::to_vec(v).expect("json");
        let ts = chrono::Utc::now().timestamp().to_string();
        let sig = sign(&signing_key(), &ts, &body);
        self.post_raw(body, Some(ts), Some(sig)).await
    }
}

/// Check a message response body against the documented limits and mention safety.
pub fn check_message(data: &Value) {
    let embeds = data["embeds"].as_array().cloned().unwrap_or_default();
    assert!(embeds.len() <= limits::EMBEDS_PER_MESSAGE);
    let mut total = 0;
    let n = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    for e in &embeds {
        assert!(n(&e["title"]) <= limits::EMBED_TITLE);
        assert!(n(&e["description"]) <= limits::EMBED_DESCRIPTION);
        assert!(n(&e["footer"]["text"]) <= limits::FOOTER_TEXT);
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        assert!(fields.len() <= limits::EMBED_FIELDS);
        for f in &fields {
            assert!(
                n(&f["name"]) <= limits::FIELD_NAME && n(&f["name"]) > 0,
                "{f}"
            );
            assert!(
                n(&f["value"]) <= limits::FIELD_VALUE && n(&f["value"]) > 0,
                "{f}"
            );
            total += n(&f["name"]) + n(&f["value"]);
        }
        total += n(&e["title"]) + n(&e["description"]) + n(&e["footer"]["text"]);
    }
    assert!(total <= limits::EMBEDS_TOTAL, "{total} characters");
    assert!(n(&data["content"]) <= limits::CONTENT);
    for row in data["components"].as_array().cloned().unwrap_or_default() {
        let buttons = row["components"].as_array().cloned().unwrap_or_default();
        assert!(buttons.len() <= limits::BUTTONS_PER_ROW);
        for b in buttons {
            assert!(n(&b["custom_id"]) <= limits::CUSTOM_ID);
            assert!(n(&b["label"]) <= limits::BUTTON_LABEL);
        }
    }
    // Nobody can be pinged: no parse list, no users, no roles, and no live mention text.
    let am = &data["allowed_mentions"];
    assert_eq!(am["parse"], json!([]), "{data}");
    assert_eq!(am["users"], json!([]));
    assert_eq!(am["roles"], json!([]));
    let mut texts = Vec::new();
    strings(data, &mut texts);
    for t in texts {
        for bad in ["@everyone", "@here", "<@123>", "<@&456>", "<@!"] {
            assert!(!t.contains(bad), "{bad} in {t}");
        }
    }
}

#[test]
fn ping_and_every_command_are_answered_in_the_body() {
    runtime().block_on(async {
        let ep = start(bundled_library(), Duration::from_secs(2)).await;
        let (status, body) = ep.post(&ping()).await;
        assert_eq!((status, body), (200, json!({"type": 1})));
        let cases: Vec<(&str, Vec<Opt>)> = vec![
            ("brief", vec![]),
            ("position", vec![("actor", 3, json!("iran"))]),
            ("actors", vec![]),
            (
                "timeline",
                vec![("since", 3, json!("2026-02")), ("page", 4, json!(2))],
            ),
            ("experts", vec![("about", 3, json!("united-states"))]),
            (
                "compare",
                vec![("first", 3, json!("iran")), ("second", 3, json!("us"))],
            ),
            ("sources", vec![]),
            ("search", vec![("query", 3, json!("hormuz"))]),
            ("topics", vec![]),
            ("help", vec![("command", 3, json!("timeline"))]),
            ("status", vec![]),
        ];
        for (name, opts) in cases {
            let (status, body) = ep.post(&command(name, &opts, MANAGE_GUILD)).await;
            assert_eq!(status, 200, "{name}: {body}");
            assert_eq!(body["type"], 4, "{name}: {body}");
            let data = &body["data"];
            check_message(data);
            assert_eq!(
                data["flags"].as_u64().unwrap_or(0) & 64,
                0,
                "{name} answers publicly: {data}"
            );
            assert!(
                data["embeds"][0]["title"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty()),
                "{name}"
            );
        }
        let (_, body) = ep
            .post(&command(
                "position",
                &[("actor", 3, json!("iran")), ("on", 3, json!("2026-02-06"))],
                "0",
            ))
            .await;
        let e = &body["data"]["embeds"][0];
        assert_eq!(e["title"], "Iran: position on 6 Feb 2026");
        assert!(
            e["description"]
                .as_str()
                .is_some_and(|d| d.contains("(https://www.dawn.com/news/1971347)")),
            "{e}"
        );
        assert!(
            e["footer"]["text"]
                .as_str()
                .is_some_and(|f| f.contains("as of 5 Feb 2026")
                    && f.contains("The latest is as of 10 Oct 2026")),
            "{e}"
        );
        let (_, latest_body) = ep
            .post(&command("position", &[("actor", 3, json!("iran"))], "0"))
            .await;
        let latest = &latest_body["data"]["embeds"][0];
        assert_eq!(latest["title"], "Iran: position");
        assert!(
            latest["footer"]["text"]
                .as_str()
                .is_some_and(|f| f.contains("as of 10 Oct 2026") && f.contains("Stale")),
            "{latest}"
        );
        let sources = e["fields"]
            .as_array()
            .and_then(|f| f.iter().find(|x| x["name"] == "Sources"))
            .expect("sources field");
        assert!(
            sources["value"]
                .as_str()
                .is_some_and(|v| v.starts_with("1. [Muscat dialogue")),
            "{sources}"
        );
        let link = &body["data"]["components"][0]["components"][0];
        assert_eq!(
            (link["style"].as_u64(), link["url"].as_str()),
            (Some(5), Some("https://www.dawn.com/news/1971347"))
        );
    });
}

#[test]
fn private_mistakes_and_moderators() {
    runtime().block_on(async {
        let ep = start(bundled_library(), Duration::from_secs(2)).await;
        let (_, body) = ep
            .post(&command("brief", &[("private", 5, json!(true))], "0"))
            .await;
        assert_eq!(body["data"]["flags"], 64, "private answers are ephemeral");
        // A user's mistake: helpful, ephemeral.
        let (_, body) = ep
            .post(&command("position", &[("actor", 3, json!("irna"))], "0"))
            .await;
        assert_eq!(body["data"]["flags"], 64);
        assert!(
            body["data"]["embeds"][0]["description"]
                .as_str()
                .is_some_and(|d| d.contains("Did you mean `iran`?")
                    || d.contains("Did you mean \\`iran\\`?")),
            "{body}"
        );
        let (_, body) = ep
            .post(&command(
                "timeline",
                &[("since", 3, json!("2026-02-30"))],
                "0",
            ))
            .await;
        assert!(
            body["data"]["embeds"][0]["description"]
                .as_str()
                .is_some_and(|d| d.contains("February 2026 has 28 days")),
            "{body}"
        );
        // Moderator command: refused politely without the permission, answered with it.
        let (_, body) = ep.post(&command("status", &[], "0")).await;
        assert_eq!(body["data"]["flags"], 64);
        assert_eq!(
            body["data"]["embeds"][0]["title"],
            "Only moderators can do that"
        );
        let (_, body) = ep.post(&command("status", &[], "8")).await;
        assert_eq!(
            body["data"]["embeds"][0]["title"], "dossier status",
            "administrators count as moderators"
        );
        // An unknown command.
        let (status, body) = ep.post(&command("launch", &[], "0")).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["embeds"][0]["title"], "Unknown command");
    });
}

/// What an autocomplete answer must hold.
enum Expect {
    /// The best choice's value.
    First(&'static str),
    /// How many choices there are.
    Count(usize),
    /// Exactly these values, in any order, with these names where given.
    Exactly(&'static [(&'static str, Option<&'static str>)]),
}

#[test]
fn autocomplete_ranks_and_respects_limits() {
    // (command, focused option, what was typed, what the choices must be)
    let cases: &[(&str, &str, &str, Expect)] = &[
        ("position", "actor", "tu", Expect::First("turkiye")),
        ("position", "actor", "TEHR", Expect::First("iran")),
        ("compare", "first", "wash", Expect::First("united-states")),
        ("compare", "second", "gulf", Expect::First("gulf-states")),
        ("position", "actor", "", Expect::Count(9)),
        ("position", "actor", "islamab", Expect::First("pakistan")),
        ("position", "actor", "zzzz", Expect::Count(0)),
        ("brief", "topic", "musc", Expect::First("iran-us-talks")),
        ("help", "command", "ti", Expect::First("timeline")),
        ("help", "command", "stat", Expect::Count(0)),
        // `/experts about:` offers only actors some expert view is about, with the count.
        (
            "experts",
            "about",
            "",
            Expect::Exactly(&[
                ("gulf-states", Some("Gulf states · 1 expert view")),
                ("iran", Some("Iran · 6 expert views")),
                ("israel", Some("Israel · 1 expert view")),
                ("regional-allies", None),
                ("united-states", None),
            ]),
        ),
    ];
    runtime().block_on(async {
        let ep = start(bundled_library(), Duration::from_secs(2)).await;
        for (command, option, typed, expect) in cases {
            let case = format!("/{command} {option}:{typed:?}");
            let (status, body) = ep
                .post(&autocomplete(command, &[(option, 3, json!(typed))], option))
                .await;
            assert_eq!((status, body["type"].as_u64()), (200, Some(8)), "{case}");
            let choices: Vec<(&str, &str)> = body["data"]["choices"]
                .as_array()
                .expect("choices")
                .iter()
                .map(|c| {
                    (
                        c["value"].as_str().unwrap_or(""),
                        c["name"].as_str().unwrap_or(""),
                    )
                })
                .collect();
            match expect {
                Expect::First(v) => {
                    assert_eq!(
                        choices.first().map(|c| c.0),
                        Some(*v),
                        "{case}: {choices:?}"
                    )
                }
                Expect::Count(n) => assert_eq!(choices.len(), *n, "{case}: {choices:?}"),
                Expect::Exactly(want) => {
                    let mut got: Vec<&str> = choices.iter().map(|c| c.0).collect();
                    got.sort_unstable();
                    let wanted: Vec<&str> = want.iter().map(|w| w.0).collect();
                    assert_eq!(got, wanted, "{case}: {choices:?}");
                    for (value, name) in want.iter() {
                        if let Some(name) = name {
                            assert!(choices.contains(&(*value, *name)), "{case}: {choices:?}");
                        }
                    }
                }
            }
        }
        // A big library: at most 25 choices, each within 100 characters.
        let dir = tempfile::tempdir().expect("tempdir");
        big_topic(dir.path());
        let big = dossier::library::Library::new(load(dir.path(), bundled_today()).topics);
        let ep = start(big, Duration::from_secs(2)).await;
        let (_, body) = ep
            .post(&autocomplete(
                "position",
                &[("actor", 3, json!("a"))],
                "actor",
            ))
            .await;
        let choices = body["data"]["choices"].as_array().expect("choices");
        assert_eq!(choices.len(), 25);
        for c in choices {
            assert!(
                c["name"]
                    .as_str()
                    .is_some_and(|n| n.chars().count() <= 100 && !n.is_empty())
            );
            assert!(
                c["value"]
                    .as_str()
                    .is_some_and(|v| v.chars().count() <= 100)
            );
        }
    });
}

/// A topic with 40 actors whose names are long, for limit tests.
fn big_topic(root: &std::path::Path) {
    copy_tree(&fixtures().join("valid/small"), root);
    let t = root.join("river-treaty/actors");
    for i in 0..40 {
        let text = std::fs::read_to_string(t.join("southland.toml"))
            .expect("fixture")
            .replace("id = \"southland\"", &format!("id = \"actor-{i}\""))
            .replace(
                "name = \"Southland\"",
                &format!(
                    "name = \"Actor {i} {}\"",
                    "with a very long name ".repeat(8)
                ),
            )
            .replace("aliases = [\"the south\", \"south\"]", "aliases = []");
        std::fs::write(t.join(format!("actor-{i}.toml")), text).expect("write");
    }
}

#[test]
fn paging_buttons_answer_statelessly() {
    runtime().block_on(async {
        let ep = start(bundled_library(), Duration::from_secs(2)).await;
        let (_, body) = ep.post(&command("timeline", &[], "0")).await;
        let buttons = body["data"]["components"][0]["components"]
            .as_array()
            .expect("buttons")
            .clone();
        let next = buttons
            .iter()
            .find(|b| b["label"] == "Next ▶")
            .expect("next button");
        assert_eq!(next["custom_id"], "dossier:page:timeline page 2");
        // Any instance can answer the click: the query is in the custom id.
        let other = start(bundled_library(), Duration::from_secs(2)).await;
        let (status, body) = other.post(&button("dossier:page:timeline page 2")).await;
        assert_eq!((status, body["type"].as_u64()), (200, Some(7)), "{body}");
        check_message(&body["data"]);
        assert!(
            body["data"]["embeds"][0]["description"]
                .as_str()
                .is_some_and(|d| d.contains("Events 11–20 of 66")),
            "{body}"
        );
        let (_, body) = other.post(&button("dossier:page:status")).await;
        assert_eq!(
            body["data"]["flags"], 64,
            "a crafted button cannot run moderator commands"
        );
        let (_, body) = other.post(&button("something-else")).await;
        assert_eq!(
            body["data"]["embeds"][0]["title"],
            "This button no longer works"
        );
    });
}

#[test]
fn bad_requests_are_refused_before_parsing() {
    runtime().block_on(async {
        let ep = start(bundled_library(), Duration::from_secs(2)).await;
        let body = serde_json::to_vec(&ping()).expect("json");
        let now = chrono::Utc::now().timestamp().to_string();
        let good = sign(&signing_key(), &now, &body);
        // Missing signature or timestamp.
        assert_eq!(
            ep.post_raw(body.clone(), Some(now.clone()), None).await.0,
            401
        );
        assert_eq!(
            ep.post_raw(body.clone(), None, Some(good.clone())).await.0,
            401
        );
        // A signature from another key, a tampered body, garbage hex.
        let other = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        assert_eq!(
            ep.post_raw(
                body.clone(),
                Some(now.clone()),
                Some(sign(&other, &now, &body))
            )
            .await
            .0,
            401
        );
        let mut tampered = body.clone();
        tampered.push(b' ');
        assert_eq!(
            ep.post_raw(tampered, Some(now.clone()), Some(good.clone()))
                .await
                .0,
            401
        );
        assert_eq!(
            ep.post_raw(body.clone(), Some(now.clone()), Some("zz".into()))
                .await
                .0,
            401
        );
        // A replay: correctly signed, but ten minutes old.
        let old = (chrono::Utc::now().timestamp() - 600).to_string();
        assert_eq!(
            ep.post_raw(
                body.clone(),
                Some(old.clone()),
                Some(sign(&signing_key(), &old, &body))
            )
            .await
            .0,
            401
        );
        // Oversized body.
        let big = vec![b' '; 1024 * 1024 + 10];
        let sig = sign(&signing_key(), &now, &big);
        assert_eq!(ep.post_raw(big, Some(now.clone()), Some(sig)).await.0, 413);
        // Malformed JSON, and JSON that is not an interaction, correctly signed.
        for junk in [&b"{not json"[..], b"{\"type\": 2}", b"[]"] {
            let sig = sign(&signing_key(), &now, junk);
            assert_eq!(
                ep.post_raw(junk.to_vec(), Some(now.clone()), Some(sig))
                    .await
                    .0,
                400,
                "{}",
                String::from_utf8_lossy(junk)
            );
        }
        let health = reqwest::get(format!("{}/healthz", ep.base))
            .await
            .expect("healthz");
        assert_eq!(health.status().as_u16(), 200);
    });
}

#[test]
fn slow_answers_are_deferred_then_edited() {
    runtime().block_on(async {
        // Every answer counts as slow: the endpoint acknowledges, then edits the original.
        let ep = start(bundled_library(), Duration::ZERO).await;
        let (status, body) = ep
            .post(&command("position", &[("actor", 3, json!("oman"))], "0"))
            .await;
        assert_eq!((status, body["type"].as_u64()), (200, Some(5)), "{body}");
        let reqs = ep
            .fake
            .wait_for(10, "the edit of the original response", |r| {
                r.iter().any(|x| x.method == "PATCH")
            })
            .await;
        let edit = reqs.iter().find(|x| x.method == "PATCH").expect("patch");
        assert_eq!(
            edit.path,
            format!("/webhooks/{APP_ID}/tok-command/messages/@original")
        );
        assert_eq!(edit.body["embeds"][0]["title"], "Oman: position");
        check_message(&edit.body);
    });
}

#[test]
fn mentions_in_cards_or_queries_ping_no_one() {
    runtime().block_on(async {
        let dir = small_tree();
        let north = dir.path().join("river-treaty/actors/northland.toml");
        let text = std::fs::read_to_string(&north).expect("read").replace(
            "Wants a fixed yearly quota.",
            "Wants a quota @everyone @here <@123> <@&456> <@!789> **bold** [x](https://evil.example)",
        );
        std::fs::write(&north, text).expect("write");
        let lib = dossier::library::Library::new(load(dir.path(), fixture_today()).topics);
        let ep = start(lib, Duration::from_secs(2)).await;
        for (name, opts) in [
            ("position", vec![("actor", 3, json!("northland"))]),
            ("brief", vec![]),
            ("position", vec![("actor", 3, json!("@everyone <@123>"))]),
            ("search", vec![("query", 3, json!("@here <@&456> quota"))]),
        ] {
            let (_, body) = ep.post(&command(name, &opts, "0")).await;
            check_message(&body["data"]);
        }
        let (_, body) = ep.post(&command("position", &[("actor", 3, json!("northland"))], "0")).await;
        let d = body["data"]["embeds"][0]["description"].as_str().unwrap_or_default().to_owned();
        assert!(d.contains("\\*\\*bold\\*\\*") && d.contains("\\[x\\]\\(https://evil.example\\)"), "card text is escaped: {d}");
    });
}

#[test]
fn the_fast_parser_reads_interactions_exactly_as_serenity_does() {
    use dossier::discord::endpoint::parse_interaction;
    use serenity::model::application::Interaction;
    let bench_body = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/interactions/body.json"),
    )
    .expect("bench body");
    let mut bodies = vec![
        serde_json::to_vec(&ping()).expect("json"),
        serde_json::to_vec(&command(
            "position",
            &[("actor", 3, json!("iran")), ("private", 5, json!(true))],
            "32",
        ))
        .expect("json"),
        serde_json::to_vec(&command("timeline", &[("page", 4, json!(2))], "0")).expect("json"),
        serde_json::to_vec(&autocomplete(
            "position",
            &[("actor", 3, json!("ir"))],
            "actor",
        ))
        .expect("json"),
        serde_json::to_vec(&button("dossier:page:timeline page 2")).expect("json"),
        bench_body,
    ];
    for body in &mut bodies {
        let ours = parse_interaction(body).expect("ours parses");
        let theirs: Interaction = serde_json::from_slice(body).expect("serenity parses");
        assert_eq!(
            serde_json::to_value(&ours).expect("json"),
            serde_json::to_value(&theirs).expect("json"),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    for junk in [
        &br#"{"type": 99, "id": "1"}"#[..],
        br#"{"type": "2"}"#,
        br#"{"id": "1"}"#,
        br#"{"type": 2}"#,
        b"[]",
        b"",
    ] {
        assert!(
            parse_interaction(junk).is_err(),
            "{}",
            String::from_utf8_lossy(junk)
        );
        assert!(serde_json::from_slice::<Interaction>(junk).is_err());
    }
}

/// With a public address, an answer's embed title links to its web page, with a "Read on the
/// web" button; a user's mistake links nowhere.
#[test]
fn answers_link_to_their_web_pages() {
    runtime().block_on(async {
        let app = Arc::new(
            App::new(bundled_library(), None, Clock::Fixed(bundled_today()))
                .with_public_url(Some("https://briefings.example.org".parse().expect("url"))),
        );
        let ep = start_with(app, Duration::from_secs(2)).await;
        let (status, body) = ep
            .post(&command(
                "position",
                &[("actor", 3, json!("iran"))],
                MANAGE_GUILD,
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        let data = &body["data"];
        check_message(data);
        let page = "https://briefings.example.org/t/iran-us-talks/actors/iran";
        assert_eq!(data["embeds"][0]["url"], page, "{data}");
        let buttons = data["components"][0]["components"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            buttons
                .iter()
                .any(|b| b["style"] == 5 && b["url"] == page && b["label"] == "Read on the web"),
            "{buttons:?}"
        );
        let (_, body) = ep
            .post(&command(
                "position",
                &[("actor", 3, json!("irann"))],
                MANAGE_GUILD,
            ))
            .await;
        assert!(body["data"]["embeds"][0].get("url").is_none(), "{body}");
    });
}
