//! Charts on Discord, through the real protocol paths: the endpoint answers at once in its
//! HTTP body (Discord takes no multipart there) and adds the chart by a multipart edit of the
//! original; the gateway sends a public answer and its chart as one multipart callback. The fake
//! Discord refuses an upload whose files, attachments and `attachment://` references disagree,
//! as Discord does. The PNG is decoded; the switch and `picture off` leave it out.

use crate::charts::decode_drawn;
use crate::common::*;
use crate::discord_endpoint::{check_message, start, start_with};
use crate::discord_gateway::start_client_with;
use crate::discord_support::*;
use crate::fake_discord::{APP_ID, Fake, Recorded};
use dossier::app::App;
use dossier::clock::Clock;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The upload's one file and what the payload says of it, checked as a user would see it:
/// the first embed shows it, it has alt text within Discord's limit, it is a PNG that is not
/// blank.
fn check_upload(r: &Recorded, data: &Value, name: &str) -> Vec<u8> {
    assert_eq!(r.files.len(), 1, "{r:?}");
    let f = &r.files[0];
    assert_eq!(
        (
            f.field.as_str(),
            f.filename.as_str(),
            f.content_type.as_str()
        ),
        ("files[0]", name, "image/png")
    );
    assert!(f.bytes.len() < 200_000, "{} bytes", f.bytes.len());
    assert_eq!(
        data["embeds"][0]["image"]["url"],
        json!(format!("attachment://{name}"))
    );
    let a = &data["attachments"][0];
    assert_eq!(
        (a["id"].as_u64(), a["filename"].as_str()),
        (Some(0), Some(name))
    );
    let alt = a["description"].as_str().expect("alt text");
    assert!(!alt.is_empty() && alt.chars().count() <= 1024, "{alt}");
    check_message(data);
    let (w, h) = decode_drawn(&f.bytes);
    assert!(w >= 600 && h >= 150, "{w}×{h}");
    f.bytes.clone()
}

fn patches(fake: &Fake, token: &str) -> Vec<Recorded> {
    fake.requests_to(
        "PATCH",
        &format!("/webhooks/{APP_ID}/{token}/messages/@original"),
    )
}

#[test]
fn the_endpoint_answers_at_once_then_adds_the_chart() {
    runtime().block_on(async {
        let ep = start(bundled_library(), Duration::from_secs(2)).await;
        let ask = |name: &str, opts: &[Opt], token: &str| {
            let mut v = command(name, opts, "0");
            v["token"] = json!(token);
            v
        };
        let (status, body) = ep
            .post(&ask(
                "timeline",
                &[("since", 3, json!("2026-02"))],
                "tok-t1",
            ))
            .await;
        assert_eq!((status, body["type"].as_u64()), (200, Some(4)), "{body}");
        let text = &body["data"];
        assert!(text["embeds"][0]["image"].is_null(), "{text}");
        assert_eq!(text["attachments"], json!([]));
        let reqs = ep
            .fake
            .wait_for(10, "the edit adding the chart", |r| {
                r.iter().any(|x| x.path.contains("/tok-t1/"))
            })
            .await;
        let edit = reqs
            .iter()
            .find(|x| x.path.contains("/tok-t1/"))
            .expect("edit");
        assert_eq!(edit.method, "PATCH");
        let first = check_upload(edit, &edit.body, "timeline.png");
        // The edit keeps the answer: same title and text, the chart added.
        assert_eq!(edit.body["embeds"][0]["title"], text["embeds"][0]["title"]);
        assert_eq!(
            edit.body["embeds"][0]["description"],
            text["embeds"][0]["description"]
        );
        assert!(edit.body.get("flags").is_none(), "an edit carries no flags");

        // Asked again: the same bytes, from the cache.
        ep.post(&ask(
            "timeline",
            &[("since", 3, json!("2026-02"))],
            "tok-t2",
        ))
        .await;
        ep.fake
            .wait_for(10, "the second edit", |r| {
                r.iter().any(|x| x.path.contains("/tok-t2/"))
            })
            .await;
        assert_eq!(patches(&ep.fake, "tok-t2")[0].files[0].bytes, first);

        // Two actors compared: their histories; a private answer stays private.
        let (_, body) = ep
            .post(&ask(
                "compare",
                &[
                    ("first", 3, json!("iran")),
                    ("second", 3, json!("us")),
                    ("private", 5, json!(true)),
                ],
                "tok-c",
            ))
            .await;
        assert_eq!(body["data"]["flags"], 64, "{body}");
        let reqs = ep
            .fake
            .wait_for(10, "the compare chart", |r| {
                r.iter().any(|x| x.path.contains("/tok-c/"))
            })
            .await;
        let edit = reqs
            .iter()
            .find(|x| x.path.contains("/tok-c/"))
            .expect("edit");
        check_upload(edit, &edit.body, "positions.png");

        // No chart: `picture off`, a command that has none, a user's mistake.
        for (name, opts, token) in [
            (
                "position",
                vec![("actor", 3, json!("iran")), ("picture", 5, json!(false))],
                "tok-off",
            ),
            ("brief", vec![], "tok-brief"),
            ("position", vec![("actor", 3, json!("atlantis"))], "tok-bad"),
        ] {
            let (status, body) = ep.post(&ask(name, &opts, token)).await;
            assert_eq!((status, body["type"].as_u64()), (200, Some(4)), "{body}");
            assert!(body["data"]["embeds"][0]["image"].is_null());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        for token in ["tok-off", "tok-brief", "tok-bad"] {
            assert!(patches(&ep.fake, token).is_empty(), "{token} got a chart");
        }
    });
}

#[test]
fn the_switch_and_deferred_answers() {
    runtime().block_on(async {
        // Charts off: the answer alone, never an edit.
        let app = Arc::new(
            App::new(bundled_library(), None, Clock::Fixed(bundled_today())).with_charts(false),
        );
        let ep = start_with(app, Duration::from_secs(2)).await;
        let (_, body) = ep
            .post(&command("position", &[("actor", 3, json!("iran"))], "0"))
            .await;
        assert_eq!(body["type"], 4);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(ep.fake.requests_to("PATCH", "/webhooks").is_empty());

        // Every answer acknowledged first: the edit that completes it uploads the chart.
        let ep = start(bundled_library(), Duration::ZERO).await;
        let (_, body) = ep
            .post(&command("position", &[("actor", 3, json!("oman"))], "0"))
            .await;
        assert_eq!(body["type"], 5, "{body}");
        let reqs = ep
            .fake
            .wait_for(10, "the completing edit", |r| {
                r.iter().any(|x| x.method == "PATCH")
            })
            .await;
        let edit = reqs.iter().find(|x| x.method == "PATCH").expect("edit");
        assert_eq!(edit.body["embeds"][0]["title"], "Oman: position");
        check_upload(edit, &edit.body, "positions.png");
    });
}

#[test]
fn the_gateway_uploads_the_chart_with_its_callback() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let app = Arc::new(App::new(
            bundled_library(),
            None,
            Clock::Fixed(bundled_today()),
        ));
        let client = start_client_with(&fake, app, Duration::from_secs(2)).await;
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(
                command("position", &[("actor", 3, json!("iran"))], "0"),
                "1100000000000000031",
                "tok-g1",
            ),
        );
        let reqs = fake
            .wait_for(20, "the callback", |r| {
                r.iter().any(|x| x.path.contains("/tok-g1/callback"))
            })
            .await;
        let cb = reqs
            .iter()
            .find(|x| x.path.contains("/tok-g1/callback"))
            .expect("callback");
        assert_eq!(cb.body["type"], 4, "{}", cb.body);
        assert_eq!(cb.body["data"]["embeds"][0]["title"], "Iran: position");
        check_upload(cb, &cb.body["data"], "positions.png");
        assert!(
            patches(&fake, "tok-g1").is_empty(),
            "one request carries the answer and its chart"
        );

        // Private: the ephemeral answer, then the edit with the chart.
        fake.dispatch(
            "INTERACTION_CREATE",
            with_token(
                command("timeline", &[("private", 5, json!(true))], "0"),
                "1100000000000000032",
                "tok-g2",
            ),
        );
        let reqs = fake
            .wait_for(20, "the private answer's chart", |r| {
                r.iter()
                    .any(|x| x.method == "PATCH" && x.path.contains("/tok-g2/"))
            })
            .await;
        let cb = reqs
            .iter()
            .find(|x| x.path.contains("/tok-g2/callback"))
            .expect("callback");
        assert_eq!(cb.body["data"]["flags"], 64);
        assert!(cb.files.is_empty());
        let edit = reqs
            .iter()
            .find(|x| x.method == "PATCH" && x.path.contains("/tok-g2/"))
            .expect("edit");
        check_upload(edit, &edit.body, "timeline.png");
        client.abort();
    });
}

/// A metric's value from the exposition: the sum over the lines of `family` whose labels hold
/// every one of `labels`.
async fn metric(ep: &crate::discord_endpoint::Running, family: &str, labels: &[&str]) -> f64 {
    let text = reqwest::get(format!("{}/metrics", ep.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter(|l| l.starts_with(family) && labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A flood of answers with charts while Discord stalls every edit: every answer is sent at
/// once, the follow-ups wait in a queue that never holds more than its bound (at most the
/// workers' few edits reach Discord at a time), and the charts that do not fit are dropped and
/// counted.
#[test]
fn a_flood_while_discord_stalls_keeps_the_queue_bounded_and_every_answer_sent() {
    use dossier::discord::followups::{CAPACITY, WORKERS};
    runtime().block_on(async {
        let ep = start(bundled_library(), Duration::from_secs(2)).await;
        ep.fake.delay_edits(Duration::from_secs(120));
        let n = 400;
        let mut sent = 0;
        for i in 0..n {
            let mut v = command("position", &[("actor", 3, json!("iran"))], "0");
            v["token"] = json!(format!("tok-flood-{i}"));
            let (status, body) = ep.post(&v).await;
            assert_eq!((status, body["type"].as_u64()), (200, Some(4)), "{body}");
            let title = body["data"]["embeds"][0]["title"].as_str().unwrap_or("");
            assert!(title.contains("Iran"), "{body}");
            sent += 1;
        }
        assert_eq!(sent, n, "every answer was sent");
        let waiting = metric(&ep, "dossier_discord_followups_waiting", &[]).await;
        assert!(waiting <= CAPACITY as f64, "{waiting} waiting");
        let dropped = metric(
            &ep,
            "dossier_discord_followups_dropped_total",
            &["kind=\"chart\"", "reason=\"full\""],
        )
        .await;
        assert!(
            dropped >= (n - CAPACITY - WORKERS) as f64,
            "{dropped} dropped of {n}"
        );
        let reaching = ep
            .fake
            .requests()
            .iter()
            .filter(|r| r.method == "PATCH")
            .count();
        assert!(
            (1..=WORKERS).contains(&reaching),
            "{reaching} edits at Discord at once"
        );
    });
}

/// Discord unreachable: after a few failed connections the breaker stops trying, and the
/// follow-ups after that are dropped as "unreachable" without a connection each.
#[test]
fn while_discord_cannot_be_reached_the_breaker_stops_trying() {
    runtime().block_on(async {
        let dead = format!("http://127.0.0.1:{}", free_port());
        let rest = Arc::new(
            dossier::discord::rest::Rest::new(Some(&dead), APP_ID.parse().expect("id"))
                .expect("client"),
        );
        let metrics = Arc::new(dossier::metrics::Metrics::default());
        let followups = dossier::discord::followups::Followups::start(
            rest,
            metrics.clone(),
            tokio_util::task::TaskTracker::new(),
        );
        let png = Arc::new(dossier::charts::Png {
            name: "positions.png",
            bytes: bytes::Bytes::from_static(b"not really a png"),
            width: 1,
            height: 1,
            alt: "a chart".into(),
        });
        let count = |reason: &str| {
            metrics
                .render()
                .lines()
                .filter(|l| {
                    l.starts_with("dossier_discord_followups_dropped_total")
                        && l.contains(&format!("reason=\"{reason}\""))
                })
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum::<f64>()
        };
        for round in 0..4 {
            for i in 0..10 {
                followups.chart(
                    format!("tok-{round}-{i}"),
                    bytes::Bytes::from_static(b"{}"),
                    png.clone(),
                    false,
                );
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let (failed, unreachable) = (count("failed"), count("unreachable"));
        assert!(
            (5.0..=8.0).contains(&failed),
            "{failed} connections tried before the breaker opened"
        );
        assert!(unreachable >= 30.0, "{unreachable} dropped without trying");
        assert_eq!(metrics.followups_waiting(), 0);
    });
}

/// Discord rate-limits a chart's edit twice: the edit waits each `retry_after` and then lands;
/// the answer itself went out at once.
#[test]
fn a_rate_limited_chart_edit_waits_its_retry_after_then_lands() {
    runtime().block_on(async {
        let ep = start(bundled_library(), Duration::from_secs(2)).await;
        ep.fake.rate_limit_next_edits(2);
        let mut v = command("position", &[("actor", 3, json!("iran"))], "0");
        v["token"] = json!("tok-limited");
        let (status, body) = ep.post(&v).await;
        assert_eq!((status, body["type"].as_u64()), (200, Some(4)), "{body}");
        let reqs = ep
            .fake
            .wait_for(15, "the edit after two 429s", |r| {
                patches_in(r, "tok-limited") >= 3
            })
            .await;
        let tries: Vec<_> = reqs
            .iter()
            .filter(|r| r.method == "PATCH" && r.path.contains("tok-limited"))
            .collect();
        assert_eq!(tries.len(), 3, "two refused, then the one that landed");
        for pair in tries.windows(2) {
            let gap = pair[1].at.duration_since(pair[0].at);
            assert!(gap >= Duration::from_millis(380), "retried after {gap:?}");
        }
        assert_eq!(tries[2].files.len(), 1, "the last carries the chart");
    });
}

fn patches_in(reqs: &[Recorded], token: &str) -> usize {
    reqs.iter()
        .filter(|r| r.method == "PATCH" && r.path.contains(token))
        .count()
}
