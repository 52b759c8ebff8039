//! The reply cache, through the interactions endpoint and the router: the same question gets
//! the same bytes, a reload or an edit is answered from the new library on the very next
//! request, answers made while the library flips never mix versions, the byte budget holds,
//! and hostile options neither go in nor push anything out.

use crate::common::*;
use crate::discord_endpoint::start_with;
use crate::discord_support::*;
use dossier::app::App;
use dossier::clock::Clock;
use dossier::commands::parse;
use dossier::reload::Trigger;
use dossier::service::Platform;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An app reading a copy of the small fixture tree, so tests can change its cards.
fn reading(root: &Path) -> Arc<App> {
    let (library, report) =
        dossier::reload::load_checked(root, fixture_today(), None).expect("loads");
    Arc::new(
        App::new(library, None, Clock::Fixed(fixture_today())).reading(root.to_path_buf(), &report),
    )
}

/// The bundled topic behind the interactions endpoint.
async fn bundled_endpoint() -> (Arc<App>, crate::discord_endpoint::Running) {
    let app = Arc::new(App::new(
        bundled_library(),
        None,
        Clock::Fixed(bundled_today()),
    ));
    let ep = start_with(app.clone(), Duration::from_secs(2)).await;
    (app, ep)
}

fn set_stance(root: &Path, actor: &str, stance: &str) {
    let path = root.join(format!("river-treaty/actors/{actor}.toml"));
    let text = std::fs::read_to_string(&path).expect("card");
    let i = text.rfind("stance = \"").expect("a stance");
    let end = i + text[i..].find('\n').expect("end of line");
    let new = format!("{}stance = \"{stance}\"{}", &text[..i], &text[end..]);
    std::fs::write(&path, new).expect("write");
}

fn counter(app: &App, name: &str) -> u64 {
    let text = app.metrics.render();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The reply as terminal text, the bytes these tests keep.
fn text(r: &dossier::reply::Reply) -> Option<bytes::Bytes> {
    Some(bytes::Bytes::from(dossier::render::text::render(
        r,
        dossier::render::text::TextStyle::PLAIN,
    )))
}

#[test]
fn the_same_question_is_the_same_bytes_and_a_reload_is_seen_at_once() {
    runtime().block_on(async {
        let dir = small_tree();
        let root = dossier::reload::absolute(dir.path());
        let app = reading(&root);
        let ep = start_with(app.clone(), Duration::from_secs(2)).await;
        let ask = command("position", &[("actor", 3, json!("northland"))], "0");
        let (s1, first) = ep.post(&ask).await;
        let (s2, second) = ep.post(&ask).await;
        assert_eq!((s1, s2), (200, 200));
        assert_eq!(first, second, "a cached answer is the answer");
        assert_eq!(first["type"], 4);
        crate::discord_endpoint::check_message(&first["data"]);
        // The first asking missed the answer and its chart (both drawn and kept); the second
        // found the answer, chart and all.
        assert_eq!(counter(&app, "dossier_reply_cache_hits_total"), 1);
        assert_eq!(counter(&app, "dossier_reply_cache_misses_total"), 2);

        // A reload swaps the library: the very next request answers from the new cards.
        set_stance(&root, "northland", "Wants the quota doubled, cache test.");
        assert!(app.reload(Trigger::Command).await.succeeded());
        let (_, after) = ep.post(&ask).await;
        assert!(
            after
                .to_string()
                .contains("Wants the quota doubled, cache test."),
            "{after}"
        );
        // A reload that fails serves, and keeps answering from, the last good cards.
        std::fs::write(root.join("river-treaty/topic.toml"), "title = [").expect("break");
        assert!(!app.reload(Trigger::Command).await.succeeded());
        let (_, still) = ep.post(&ask).await;
        assert_eq!(still, after);
    });
}

#[test]
fn an_edit_from_chat_is_answered_on_the_next_request() {
    runtime().block_on(async {
        let dir = small_tree();
        let root = dossier::reload::absolute(dir.path());
        let state = tempfile::tempdir().expect("state");
        let (library, report) =
            dossier::reload::load_checked(&root, fixture_today(), None).expect("loads");
        let desk = dossier::desk::Desk::open(&root, state.path()).expect("desk");
        let app = Arc::new(
            App::new(library, None, Clock::Fixed(fixture_today()))
                .reading(root.clone(), &report)
                .with_desk(Arc::new(desk))
                .with_moderators(crate::edit::named_moderators()),
        );
        let ep = start_with(app.clone(), Duration::from_secs(2)).await;
        let ask = command("position", &[("actor", 3, json!("southland"))], "0");
        let (_, before) = ep.post(&ask).await;
        let (_, again) = ep.post(&ask).await;
        assert_eq!(before, again);
        let edit = dossier::matrix::parse_with_fields(
            "edit correction southland\nstance: Accepts the quota, edited from chat.",
        )
        .expect("parses");
        let asker = crate::edit::moderator("@mod:hs", "Mod", false);
        let r = dossier::router::respond(&app, &edit, &asker).await;
        assert!(!r.is_user_error(), "{r:?}");
        let (_, after) = ep.post(&ask).await;
        assert!(
            after
                .to_string()
                .contains("Accepts the quota, edited from chat."),
            "{after}"
        );
    });
}

#[test]
fn cached_answers_never_mix_versions_while_the_cards_flip() {
    runtime().block_on(async {
        let dir = small_tree();
        let root = dossier::reload::absolute(dir.path());
        let app = reading(&root);
        fn ask(app: &App) -> String {
            let cmd = parse("position northland").expect("parses");
            let e =
                dossier::router::cached_answer(app, &cmd, Platform::Discord, None, "test", text)
                    .expect("cacheable");
            String::from_utf8(e.body.to_vec()).expect("utf-8")
        }
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut askers = Vec::new();
        for _ in 0..3 {
            let (app, done) = (app.clone(), done.clone());
            askers.push(tokio::spawn(async move {
                let mut n = 0;
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    let t = ask(&app);
                    let marks = ["V1 ", "V2 ", "V3 "].map(|m| t.contains(m));
                    assert!(
                        marks.iter().filter(|m| **m).count() <= 1,
                        "an answer mixed versions:\n{t}"
                    );
                    n += 1;
                    tokio::task::yield_now().await;
                }
                n
            }));
        }
        for i in 0..60 {
            let v = ["V1", "V2", "V3"][i % 3];
            set_stance(&root, "northland", &format!("{v} wants a quota."));
            assert!(app.reload(Trigger::Command).await.succeeded());
            // No stale hit: the very next answer is this version's.
            let t = ask(&app);
            assert!(t.contains(&format!("{v} wants a quota.")), "flip {i}:\n{t}");
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        for a in askers {
            assert!(a.await.expect("no answer failed") > 0);
        }
    });
}

#[test]
fn the_byte_budget_holds_with_ten_thousand_distinct_questions() {
    let budget = 512 * 1024;
    let app =
        App::new(bundled_library(), None, Clock::Fixed(bundled_today())).with_reply_cache(budget);
    // Ten thousand different questions this library answers: each pair of actors compared,
    // and each actor's position, on each day from March.
    let actors = [
        "iran",
        "united-states",
        "oman",
        "qatar",
        "pakistan",
        "israel",
        "turkiye",
        "gulf-states",
        "regional-allies",
    ];
    let start = day("2026-03-01");
    let mut asked = 0;
    'asking: for d in 0..300 {
        let on = start + chrono::Days::new(d);
        for (i, a) in actors.iter().enumerate() {
            for b in &actors[i..] {
                let line = if a == b {
                    format!("position {a} on {on}")
                } else {
                    format!("compare {a} {b} on {on}")
                };
                let cmd = parse(&line).expect("parses");
                let e = dossier::router::cached_answer(
                    &app,
                    &cmd,
                    Platform::Discord,
                    None,
                    "test",
                    text,
                )
                .expect("cacheable");
                assert!(
                    app.replies.bytes() <= budget,
                    "{} bytes",
                    app.replies.bytes()
                );
                // Days before an actor's first position are a user's mistake: not kept.
                if e.user_error {
                    continue;
                }
                asked += 1;
                if asked == 10_000 {
                    break 'asking;
                }
            }
        }
    }
    assert_eq!(asked, 10_000);
    for line in ["brief", "position iran", "timeline", "experts"] {
        let cmd = parse(line).expect("parses");
        dossier::router::cached_answer(&app, &cmd, Platform::Discord, None, "test", text);
    }
    assert!(app.replies.bytes() <= budget);
    assert!(app.replies.len() >= 4);
    assert!(counter(&app, "dossier_reply_cache_evictions_total") > 0);
    // What is held is what /metrics says.
    assert_eq!(
        counter(&app, "dossier_reply_cache_bytes") as usize,
        app.replies.bytes()
    );
}

#[test]
fn hostile_options_are_answered_fast_but_never_cached_and_evict_nothing() {
    runtime().block_on(async {
        let (app, ep) = bundled_endpoint().await;
        let good = command("position", &[("actor", 3, json!("iran"))], "0");
        let (_, first) = ep.post(&good).await;
        let held = (app.replies.len(), app.replies.bytes());
        assert_eq!(held.0, 2, "the answer and its chart");
        for value in [
            "x".repeat(64 * 1024),
            "é".repeat(32 * 1024),
            "iran ".repeat(13_000),
        ] {
            let started = Instant::now();
            let (status, body) = ep
                .post(&command("position", &[("actor", 3, json!(value))], "0"))
                .await;
            assert_eq!(status, 200, "{body}");
            assert!(started.elapsed() < Duration::from_secs(2));
            let (status, _) = ep
                .post(&autocomplete(
                    "position",
                    &[("actor", 3, json!(value))],
                    "actor",
                ))
                .await;
            assert_eq!(status, 200);
        }
        assert_eq!((app.replies.len(), app.replies.bytes()), held);
        let (_, again) = ep.post(&good).await;
        assert_eq!(
            again, first,
            "the good answer is still served from the cache"
        );
    });
}

#[test]
fn autocomplete_is_cached_per_prefix() {
    runtime().block_on(async {
        let (app, ep) = bundled_endpoint().await;
        let typed = |s: &str| autocomplete("position", &[("actor", 3, json!(s))], "actor");
        let (_, a) = ep.post(&typed("ir")).await;
        let (_, b) = ep.post(&typed("ir")).await;
        let (_, c) = ep.post(&typed("om")).await;
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a["type"], 8);
        assert!(a.to_string().contains("\"value\":\"iran\""), "{a}");
        assert_eq!(counter(&app, "dossier_reply_cache_hits_total"), 1);
    });
}
