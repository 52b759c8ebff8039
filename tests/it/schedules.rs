//! Daily briefings: the moderators' commands through signed interactions (refusals, bad time,
//! bad zone, list, unsubscribe, preview), the scheduler posting through the fake Discord's REST
//! (nonce and enforce_nonce set, no mentions, once), what changed in the next day's briefing,
//! and `serve` as an operator runs it: killed between intent and send (or between send and
//! record) and restarted, it posts exactly one message; two processes on one state file post
//! once.

use crate::common::*;
use crate::discord_endpoint::start_with;
use crate::discord_support::*;
use crate::fake_discord::{APP_ID, Fake};
use crate::serve::serve_with;
use chrono::{Duration, NaiveTime, Utc};
use dossier::app::App;
use dossier::clock::Clock;
use dossier::digest::WhenUnchanged;
use dossier::schedule::{Destination, NewSubscription};
use dossier::store::schedules::ScheduleStore;
use serde_json::{Value, json};
use std::sync::Arc;

/// The channel the test interactions come from (see `discord_support::command`).
const CHANNEL: u64 = 1_400_000_000_000_000_001;

fn app_with_store(dir: &std::path::Path) -> (Arc<App>, Arc<dyn ScheduleStore>) {
    let store = dossier::store::Stores::in_folder(dir)
        .expect("state")
        .schedules;
    let app = Arc::new(
        App::new(bundled_library(), None, Clock::Fixed(bundled_today()))
            .with_schedules(store.clone()),
    );
    (app, store)
}

fn embed(body: &Value) -> &Value {
    &body["data"]["embeds"][0]
}

#[test]
fn moderators_subscribe_list_preview_and_unsubscribe() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let (app, store) = app_with_store(dir.path());
        let ep = start_with(app, std::time::Duration::from_secs(2)).await;
        let sub = |time: &str, zone: &str, perms: &'static str| {
            command(
                "subscribe",
                &[("time", 3, json!(time)), ("timezone", 3, json!(zone))],
                perms,
            )
        };
        let (_, body) = ep.post(&sub("08:00", "Asia/Muscat", "0")).await;
        assert_eq!(embed(&body)["title"], "Only moderators can do that");
        let (_, body) = ep.post(&sub("8 am", "Asia/Muscat", "32")).await;
        assert_eq!(embed(&body)["title"], "That `time` does not work", "{body}");
        assert_eq!(
            body["data"]["flags"], 64,
            "mistakes are shown to the asker only"
        );
        let (_, body) = ep.post(&sub("08:00", "Asia/Muskat", "32")).await;
        assert!(
            embed(&body)["description"]
                .as_str()
                .is_some_and(|d| d.contains("Did you mean") && d.contains("Asia/Muscat")),
            "{body}"
        );
        assert!(
            store.subscriptions().await.expect("list").is_empty(),
            "nothing was stored"
        );

        let (_, body) = ep.post(&sub("08:00", "Asia/Muscat", "32")).await;
        assert_eq!(embed(&body)["title"], "Subscribed", "{body}");
        let text = embed(&body).to_string();
        assert!(
            text.contains("08:00 Asia/Muscat") && text.contains("UTC"),
            "{text}"
        );
        let subs = store.subscriptions().await.expect("list");
        assert_eq!(subs.len(), 1);
        assert_eq!(
            subs[0].destination,
            Destination::Discord { channel: CHANNEL }
        );
        assert_eq!(subs[0].topic, "iran-us-talks");
        assert!(
            subs[0]
                .created_by
                .as_deref()
                .is_some_and(|w| w.starts_with("discord:"))
        );
        let (_, body) = ep.post(&sub("08:00", "Asia/Muscat", "32")).await;
        assert_eq!(embed(&body)["title"], "Already subscribed");
        let (_, body) = ep.post(&sub("19:30", "Europe/Berlin", "32")).await;
        assert_eq!(embed(&body)["title"], "Subscribed");

        let (_, body) = ep.post(&command("schedules", &[], "32")).await;
        let list = embed(&body).to_string();
        assert!(
            list.contains("08:00 Asia/Muscat")
                && list.contains("19:30 Europe/Berlin")
                && list.contains("next"),
            "{list}"
        );

        let (_, body) = ep.post(&command("preview", &[], "32")).await;
        assert_eq!(
            body["data"]["flags"], 64,
            "a preview is for the moderator alone: {body}"
        );
        let title = embed(&body)["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            title.starts_with("Preview · Daily briefing: Iran–US talks"),
            "{title}"
        );
        assert!(embed(&body).to_string().contains("The first briefing here"));

        // Two here: which one?
        let (_, body) = ep.post(&command("unsubscribe", &[], "32")).await;
        assert_eq!(embed(&body)["title"], "Which one?");
        let id = subs[0].id;
        let (_, body) = ep
            .post(&command("unsubscribe", &[("id", 4, json!(id))], "32"))
            .await;
        assert_eq!(embed(&body)["title"], "Unsubscribed", "{body}");
        assert_eq!(store.subscriptions().await.expect("list").len(), 1);
        // Timezone autocomplete: at most 25, by prefix.
        let (_, body) = ep
            .post(&autocomplete(
                "subscribe",
                &[("timezone", 3, json!("europe/b"))],
                "timezone",
            ))
            .await;
        let choices = body["data"]["choices"].as_array().expect("choices");
        assert!(
            choices.len() <= 25 && choices.iter().any(|c| c["value"] == "Europe/Berlin"),
            "{body}"
        );
    });
}

fn subscription(channel: u64, at: NaiveTime, when_unchanged: WhenUnchanged) -> NewSubscription {
    NewSubscription {
        destination: Destination::Discord { channel },
        topic: "iran-us-talks".into(),
        at,
        tz: chrono_tz::UTC,
        when_unchanged,
        catch_up: Duration::hours(6),
        from_config: false,
        created_by: Some("test".into()),
    }
}

#[test]
fn the_scheduler_posts_once_with_a_nonce_then_what_changed() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let cards = tempfile::tempdir().expect("cards");
        copy_tree(&bundled(), cards.path());
        let root = dossier::reload::absolute(cards.path());
        let (library, report) =
            dossier::reload::load_checked(&root, bundled_today(), None).expect("loads");
        let store = crate::common::state_stores(dir.path()).await.schedules;
        let app = Arc::new(
            App::new(library, None, Clock::Fixed(bundled_today()))
                .reading(root.clone(), &report)
                .with_schedules(store.clone())
                .with_public_url(Some("https://briefings.example.org".parse().expect("url"))),
        );
        let http = serenity::http::HttpBuilder::new("bot-token")
            .proxy(fake.base())
            .ratelimiter_disabled(true)
            .build();
        let poster = Arc::new(dossier::discord::briefings::DiscordPoster { http: Arc::new(http) });
        let scheduler = app.scheduler(store.clone(), vec![poster]);
        let now = Utc::now();
        // Due a minute ago; subscribed yesterday.
        let at = (now - Duration::minutes(1)).time();
        let at = NaiveTime::from_hms_opt(at.format("%H").to_string().parse().expect("h"), at.format("%M").to_string().parse().expect("m"), 0).expect("time");
        let sub = store
            .subscribe(&subscription(77, at, WhenUnchanged::Short), now - Duration::days(1))
            .await
            .expect("subscribe");
        scheduler.tick(now).await;
        app.tasks.close();
        app.tasks.wait().await;
        let posts = fake.requests_to("POST", "/channels/77/messages");
        assert_eq!(posts.len(), 1, "{posts:#?}");
        let body = &posts[0].body;
        let key = body["nonce"].as_str().expect("a nonce");
        assert!(key.len() <= 25 && key.starts_with(&format!("dsr{}-", sub.id)), "{key}");
        assert_eq!(body["enforce_nonce"], true);
        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
        let title = body["embeds"][0]["title"].as_str().unwrap_or_default();
        assert!(title.starts_with("Daily briefing: Iran–US talks"), "{title}");
        assert!(body["embeds"][0]["description"].as_str().is_some_and(|d| d.contains("The first briefing here")));
        // It links to its topic's web page: the title, and a link button.
        let page = "https://briefings.example.org/t/iran-us-talks";
        assert_eq!(body["embeds"][0]["url"], page);
        let buttons = body["components"][0]["components"].as_array().cloned().unwrap_or_default();
        assert!(
            buttons.iter().any(|b| b["style"] == 5 && b["url"] == page && b["label"] == "Read on the web"),
            "{buttons:?}"
        );
        // Ticking again that day posts nothing more.
        scheduler.tick(now + Duration::seconds(30)).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(fake.requests_to("POST", "/channels/77/messages").len(), 1);
        let recent = store.recent(sub.id, 1).await.expect("recent");
        assert!(matches!(recent[0].state, dossier::schedule::store::PostState::Sent { .. }));

        // The cards move on; the next day's briefing leads with what changed.
        let card = root.join("iran-us-talks/actors/oman.toml");
        let text = std::fs::read_to_string(&card).expect("card")
            .replace("Reported to condemn the Houthi attacks on Saudi airports; no Omani statement on mediation was found for 8–10 October.", "Hosting new talks (a test edit).");
        std::fs::write(&card, text).expect("write");
        assert!(app.reload(dossier::reload::Trigger::Command).await.succeeded());
        let tomorrow = now + Duration::days(1);
        scheduler.tick(tomorrow).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let posts = fake.requests_to("POST", "/channels/77/messages");
        assert_eq!(posts.len(), 2);
        let second = posts[1].body["embeds"][0].to_string();
        assert!(second.contains("1 change since the briefing of"), "{second}");
        assert!(second.contains("Hosting new talks"), "{second}");
        assert_ne!(posts[1].body["nonce"], posts[0].body["nonce"]);
        // And the day after, nothing changed: one line, as asked.
        scheduler.tick(tomorrow + Duration::days(1)).await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let posts = fake.requests_to("POST", "/channels/77/messages");
        assert_eq!(posts.len(), 3);
        assert!(posts[2].body["embeds"][0]["title"].as_str().is_some_and(|t| t.starts_with("No change since")));
    });
}

/// A config for `serve` with the HTTP endpoint, REST through the fake, and one schedule due a
/// minute ago in UTC; the state folder is shared by whoever uses the same `state`.
fn scheduled_config(
    dir: &std::path::Path,
    state: &std::path::Path,
    fake: &Fake,
) -> std::path::PathBuf {
    let port = free_port();
    let at = (Utc::now() - Duration::minutes(1)).format("%H:%M");
    let cfg = dir.join(format!("dossier-{port}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"{}\"\nstate = \"{}\"\n\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\ngateway = false\napi_proxy = \"{}\"\n\n[[schedule]]\ntopic = \"iran-us-talks\"\nat = \"{at}\"\ntimezone = \"UTC\"\ndiscord_channel = \"88\"\n",
            bundled().display(),
            state.display(),
            public_key_hex(),
            fake.base()
        ),
    )
    .expect("config");
    cfg
}

async fn wait_for_messages(fake: &Fake, n: usize, secs: u64) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let m = fake.messages_in("88");
        if m.len() >= n || tokio::time::Instant::now() > deadline {
            return m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[test]
fn killed_between_intent_and_send_or_send_and_record_posts_exactly_once() {
    runtime().block_on(async {
        for fault in ["after-claim", "after-send"] {
            let fake = Fake::start().await;
            let dir = tempfile::tempdir().expect("tempdir");
            let cfg = scheduled_config(dir.path(), &dir.path().join("state"), &fake);
            crate::common::add_to_config(&cfg, "[schedules]\nclaim_lease = \"2s\"\n");
            let env = [("DOSSIER_FAULT", fault)];
            let mut first = serve_with(&cfg, Some("bot-token"), &env, &[]);
            let status = tokio::task::spawn_blocking(move || {
                let s = first.wait_exit(60);
                (s, first.logs())
            })
            .await
            .expect("wait");
            assert_eq!(status.0.code(), Some(86), "{fault}: {}", status.1);
            let sent_before = fake.messages_in("88").len();
            assert_eq!(sent_before, usize::from(fault == "after-send"), "{fault}");
            // Restarted without the fault: after the dead claim's lease, the post is taken up
            // with the same nonce, so Discord keeps one message.
            let second = serve_with(&cfg, Some("bot-token"), &[], &[]);
            let posts = wait_for_messages(&fake, 1, 30).await;
            tokio::time::sleep(std::time::Duration::from_secs(4)).await;
            let posts_after = fake.messages_in("88");
            let logs = second.stop_and_read_logs();
            assert_eq!(posts.len(), 1, "{fault}: {logs}");
            assert_eq!(posts_after.len(), 1, "{fault}: posted twice: {logs}");
            let sends = fake.requests_to("POST", "/channels/88/messages");
            let nonces: std::collections::BTreeSet<&str> = sends
                .iter()
                .filter_map(|r| r.body["nonce"].as_str())
                .collect();
            assert_eq!(
                nonces.len(),
                1,
                "{fault}: every attempt used one nonce: {nonces:?}"
            );
        }
    });
}

#[test]
fn two_processes_on_one_state_file_post_once() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        let a = scheduled_config(dir.path(), &state, &fake);
        let b = scheduled_config(dir.path(), &state, &fake);
        let first = serve_with(&a, Some("bot-token"), &[], &[]);
        let second = serve_with(&b, Some("bot-token"), &[], &[]);
        let posts = wait_for_messages(&fake, 1, 30).await;
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let sends = fake.requests_to("POST", "/channels/88/messages");
        let logs = format!(
            "{}\n{}",
            first.stop_and_read_logs(),
            second.stop_and_read_logs()
        );
        assert_eq!(posts.len(), 1, "{logs}");
        assert_eq!(sends.len(), 1, "only one process sent: {logs}");
    });
}
