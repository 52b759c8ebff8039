//! Live reload in-process, with the real file watcher on a temp folder: a valid save is answered
//! on the HTTP endpoint within the debounce window; a broken save changes no answer and is
//! posted once, as `check` prints it, to the moderators' channel on the fake Discord, then
//! "fixed"; an editor's write-temp-then-rename and a 500-file checkout each reload once; answers
//! never mix two versions while the cards flip; `/readyz` and `/metrics`.

use crate::common::*;
use crate::discord_endpoint::start_with;
use crate::discord_support::*;
use crate::fake_discord::Fake;
use dossier::app::App;
use dossier::clock::Clock;
use dossier::reload::Trigger;
use dossier::service::DoorState;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const NORTH: &str = "river-treaty/actors/northland.toml";
const OLD_STANCE: &str = "Wants a fixed yearly quota.";

/// The small fixture in a temp folder, served by an `App` that reads it, with the watcher on.
struct Live {
    dir: tempfile::TempDir,
    root: PathBuf,
    app: Arc<App>,
    stop: CancellationToken,
}

impl Live {
    async fn start() -> Live {
        let dir = small_tree();
        let root = dossier::reload::absolute(dir.path());
        let (library, report) =
            dossier::reload::load_checked(&root, fixture_today(), None).expect("loads");
        assert!(!report.has_errors(), "{}", report.human());
        // The server the tests' interactions come from is the operator's.
        let named = dossier::config::Moderators {
            discord_guilds: vec![1300000000000000001],
            ..Default::default()
        };
        let app = Arc::new(
            App::new(library, None, Clock::Fixed(fixture_today()))
                .reading(root.clone(), &report)
                .with_moderators(named),
        );
        let stop = CancellationToken::new();
        tokio::spawn(dossier::reload::watch(app.reloader.clone(), stop.clone()));
        // Let the watch arm before the test writes anything.
        tokio::time::sleep(Duration::from_millis(200)).await;
        Live {
            dir,
            root,
            app,
            stop,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).expect("read card")
    }

    /// Save as editors do: write a temporary file beside the card, then rename it over.
    fn save(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        let tmp = path.with_extension("toml.tmp4913");
        std::fs::write(&tmp, text).expect("write temp");
        std::fs::rename(&tmp, &path).expect("rename");
    }

    fn stance(&self) -> String {
        let lib = self.app.snapshot();
        lib.actor(0, "northland")
            .map(|a| a.position().stance.clone())
            .unwrap_or_default()
    }

    /// Wait until `n` reloads have run, then a little longer to see that no more follow.
    async fn settle(&self, n: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.app.reloads() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(dossier::reload::MAX_WAIT).await;
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop.cancel();
        let _ = &self.dir;
    }
}

async fn position_title_and_stance(ep: &crate::discord_endpoint::Running) -> String {
    let (status, body) = ep
        .post(&command(
            "position",
            &[("actor", 3, json!("northland"))],
            "0",
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_valid_save_is_answered_within_the_debounce_window() {
    runtime().block_on(async {
        let live = Live::start().await;
        let ep = start_with(live.app.clone(), Duration::from_secs(2)).await;
        assert!(
            position_title_and_stance(&ep)
                .await
                .contains("Wants a fixed yearly quota")
        );
        let text = live
            .read(NORTH)
            .replace(OLD_STANCE, "Now wants a seasonal quota.");
        let saved = Instant::now();
        live.save(NORTH, &text);
        let answered = loop {
            let d = position_title_and_stance(&ep).await;
            if d.contains("Now wants a seasonal quota") {
                break saved.elapsed();
            }
            assert!(
                saved.elapsed() < Duration::from_secs(5),
                "never reloaded: {d}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert!(
            answered < Duration::from_secs(1),
            "a save must be answered within a second, took {answered:?}"
        );
        live.settle(1).await;
        assert_eq!(live.app.reloads(), 1, "one save, one reload");
        let last = live.app.reloader.last_reload().expect("a reload");
        assert_eq!(last.trigger, Trigger::FileChange);
        assert!(last.succeeded());
    });
}

/// The `POST /channels/{id}/messages` the fake received.
fn posts(fake: &Fake, channel: u64) -> Vec<Value> {
    fake.requests_to("POST", &format!("/channels/{channel}/messages"))
        .into_iter()
        .map(|r| r.body)
        .collect()
}

#[test]
fn a_broken_save_changes_nothing_and_is_told_once_then_fixed() {
    runtime().block_on(async {
        let live = Live::start().await;
        let fake = Fake::start().await;
        let channel = 1_300_000_000_000_000_001u64;
        let http = serenity::http::HttpBuilder::new("test-token")
            .proxy(fake.base())
            .ratelimiter_disabled(true)
            .build();
        tokio::spawn(dossier::discord::moderation::post_notices(
            Arc::new(http),
            channel,
            live.app.clone(),
            live.app.subscribe(),
            live.stop.clone(),
        ));
        let good = live.read(NORTH);
        // A date that does not exist, on line 21 of the card.
        let broken = good.replace("as_of = \"2026-03-12\"", "as_of = \"2026-02-30\"");
        let line = broken
            .lines()
            .position(|l| l.contains("2026-02-30"))
            .expect("edited line")
            + 1;
        live.save(NORTH, &broken);
        live.settle(1).await;
        assert_eq!(
            live.stance(),
            OLD_STANCE,
            "the last good cards are still served"
        );
        let sent = fake
            .wait_for(10, "the diagnostics in the moderators' channel", |r| {
                r.iter().any(|x| x.path.starts_with("/channels/"))
            })
            .await;
        let _ = sent;
        let p = posts(&fake, channel);
        assert_eq!(p.len(), 1, "{p:#?}");
        let embed = &p[0]["embeds"][0];
        assert!(
            embed["title"]
                .as_str()
                .is_some_and(|t| t.contains("1 error")),
            "{embed}"
        );
        let detail = embed["description"].as_str().expect("check output");
        assert!(
            detail.contains(&format!("--> river-treaty/actors/northland.toml:{line}:"))
                && detail.contains("February 2026 has 28 days")
                && detail.contains("help:"),
            "{detail}"
        );
        assert_eq!(p[0]["allowed_mentions"]["parse"], json!([]));
        // Saved again, still broken the same way: not posted again.
        live.save(NORTH, &format!("{broken}\n"));
        live.settle(2).await;
        assert_eq!(
            posts(&fake, channel).len(),
            1,
            "the same failure is told once"
        );
        // Fixed: one "fixed" post, and the new card is served.
        live.save(
            NORTH,
            &good.replace(OLD_STANCE, "Now wants a seasonal quota."),
        );
        live.settle(3).await;
        assert_eq!(live.stance(), "Now wants a seasonal quota.");
        let p = fake
            .wait_for(10, "the fixed notice", |r| {
                r.iter()
                    .filter(|x| x.path.starts_with("/channels/"))
                    .count()
                    == 2
            })
            .await;
        let fixed = p
            .iter()
            .rfind(|x| x.path.starts_with("/channels/"))
            .expect("post");
        assert!(
            fixed.body["embeds"][0]["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Fixed")),
            "{}",
            fixed.body
        );
    });
}

#[test]
fn an_editor_save_and_a_500_file_checkout_each_reload_once() {
    runtime().block_on(async {
        let live = Live::start().await;
        // vim: a swap file, its write test, a backup, the new text, then cleanup.
        let card = live.path(NORTH);
        let dir = card.parent().expect("actors");
        std::fs::write(dir.join(".northland.toml.swp"), "swap").expect("swp");
        std::fs::write(dir.join("4913"), "").expect("4913");
        std::fs::remove_file(dir.join("4913")).expect("rm 4913");
        std::fs::copy(&card, dir.join("northland.toml~")).expect("backup");
        live.save(
            NORTH,
            &live.read(NORTH).replace(OLD_STANCE, "Edited in vim."),
        );
        std::fs::remove_file(dir.join("northland.toml~")).expect("rm backup");
        std::fs::remove_file(dir.join(".northland.toml.swp")).expect("rm swp");
        live.settle(1).await;
        assert_eq!(live.app.reloads(), 1);
        assert_eq!(live.stance(), "Edited in vim.");
        // Files that are not cards change nothing.
        std::fs::create_dir_all(live.path(".git/objects")).expect("git dir");
        std::fs::write(live.path(".git/objects/ab"), "blob").expect("git object");
        std::fs::write(live.path("river-treaty/NOTES.md"), "notes").expect("notes");
        tokio::time::sleep(dossier::reload::MAX_WAIT + Duration::from_millis(300)).await;
        assert_eq!(live.app.reloads(), 1, "non-card files do not reload");
        // A checkout of a new topic with 500 actor cards: one burst, one reload. The files
        // are made first and written in one go, as git does.
        let base = fixtures().join("valid/small/river-treaty");
        let read = |rel: &str| std::fs::read_to_string(base.join(rel)).expect("fixture");
        let mut files: Vec<(String, String)> = ["sources.toml", "timeline.toml", "experts.toml"]
            .iter()
            .map(|f| (f.to_string(), read(f)))
            .collect();
        files.push((
            "topic.toml".into(),
            read("topic.toml")
                .replace("id = \"river-treaty\"", "id = \"delta-accord\"")
                .replace("The Long River water treaty", "The Delta accord")
                .replace("aliases = [\"water treaty\"]", "aliases = []"),
        ));
        files.push((
            "actors/northland.toml".into(),
            read("actors/northland.toml"),
        ));
        files.push((
            "actors/southland.toml".into(),
            read("actors/southland.toml"),
        ));
        let south = read("actors/southland.toml");
        for i in 0..498 {
            files.push((
                format!("actors/party-{i}.toml"),
                south
                    .replace("id = \"southland\"", &format!("id = \"party-{i}\""))
                    .replace("name = \"Southland\"", &format!("name = \"Party {i}\""))
                    .replace("aliases = [\"the south\", \"south\"]", "aliases = []"),
            ));
        }
        assert_eq!(files.len(), 504);
        let new = live.path("delta-accord");
        std::fs::create_dir_all(new.join("actors")).expect("mkdir");
        let writing = Instant::now();
        for (rel, text) in &files {
            std::fs::write(new.join(rel), text).expect("write");
        }
        let wrote_in = writing.elapsed();
        live.settle(2).await;
        // On a saturated machine the burst's second reload may still be running: wait (a
        // bounded while) until the served library has caught up with the files.
        let served = |live: &Live| {
            let lib = live.app.snapshot();
            lib.topic_index("delta-accord")
                .map(|d| lib.topic(d).actors.len())
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while served(&live) != Some(500) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // One burst, one reload: the 504 saves are not 504 reloads, nor one per folder. The
        // watcher's thread runs at the lowest priority, so on a machine saturated by other work
        // (the rest of this test suite on two cores) it can hand the burst over with a pause
        // longer than the quiet time, and the burst is then read twice; the second reload takes
        // what the first missed. More than that would be a debounce that does not work.
        let reloads = live.app.reloads();
        assert!(
            (2..=3).contains(&reloads),
            "a 500-file checkout is one reload (two on a saturated machine), not {} (written in {wrote_in:?})",
            reloads - 1
        );
        let lib = live.app.snapshot();
        let delta = lib
            .topic_index("delta-accord")
            .expect("the new topic is served");
        assert_eq!(lib.topic(delta).actors.len(), 500);
    });
}

/// Two valid versions whose every answered field says which it is, and a broken one.
fn version(base: &Path, v: &str) -> Vec<(String, String)> {
    let topic = std::fs::read_to_string(base.join("river-treaty/topic.toml"))
        .expect("topic")
        .replace(
            "title = \"The Long River water treaty\"",
            &format!("title = \"The Long River water treaty {v}\""),
        )
        .replace(
            "Talks resumed in March",
            &format!("Talks resumed in March {v}"),
        );
    let mut files = vec![("river-treaty/topic.toml".to_owned(), topic)];
    for actor in ["northland", "southland"] {
        let rel = format!("river-treaty/actors/{actor}.toml");
        let text = std::fs::read_to_string(base.join(&rel)).expect("actor");
        let marked = text
            .lines()
            .map(|l| match l.strip_prefix("stance = \"") {
                Some(rest) => format!("stance = \"{v} {rest}"),
                None => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        files.push((rel, marked));
    }
    files
}

#[test]
fn answers_never_mix_two_versions_while_the_cards_flip() {
    runtime().block_on(async {
        let dir = small_tree();
        let root = dossier::reload::absolute(dir.path());
        let base = fixtures().join("valid/small");
        let v1 = version(&base, "V1");
        let v2 = version(&base, "V2");
        let write = |files: &[(String, String)]| {
            for (rel, text) in files {
                std::fs::write(root.join(rel), text).expect("write");
            }
        };
        write(&v1);
        let (library, report) =
            dossier::reload::load_checked(&root, fixture_today(), None).expect("loads");
        let app = Arc::new(
            App::new(library, None, Clock::Fixed(fixture_today())).reading(root.clone(), &report),
        );
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut askers = Vec::new();
        for _ in 0..4 {
            let (app, done) = (app.clone(), done.clone());
            askers.push(tokio::spawn(async move {
                let brief = dossier::commands::parse("brief").expect("parse");
                let mut seen = [0usize; 2];
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    let r = dossier::router::respond(
                        &app,
                        &brief,
                        &dossier::service::Asker::terminal(),
                    )
                    .await;
                    assert!(!r.is_user_error(), "{r:?}");
                    let text =
                        dossier::render::text::render(&r, dossier::render::text::TextStyle::PLAIN);
                    let (one, two) = (text.matches("V1").count(), text.matches("V2").count());
                    assert!(
                        (one == 0) != (two == 0),
                        "an answer mixed versions ({one} × V1, {two} × V2):\n{text}"
                    );
                    // Title, bottom line and both stances at least: all of one version.
                    assert!(one + two >= 4, "{text}");
                    seen[usize::from(two > 0)] += 1;
                    tokio::task::yield_now().await;
                }
                seen
            }));
        }
        let broken = vec![(
            "river-treaty/topic.toml".to_owned(),
            "id = \"river-treaty\"\ntitle = [unclosed\n".to_owned(),
        )];
        for i in 0..100 {
            let next = match i % 3 {
                0 => &v2,
                1 => &broken,
                _ => &v1,
            };
            write(next);
            let r = app.reload(Trigger::Command).await;
            assert_eq!(r.succeeded(), i % 3 != 1, "flip {i}");
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut total = [0usize; 2];
        for a in askers {
            let seen = a.await.expect("no answer failed");
            total[0] += seen[0];
            total[1] += seen[1];
        }
        assert!(
            total[0] > 0 && total[1] > 0,
            "both versions were answered: {total:?}"
        );
        assert_eq!(app.reloads(), 100);
    });
}

#[test]
fn readyz_names_the_doors_not_connected_and_metrics_count() {
    runtime().block_on(async {
        let app = Arc::new(App::new(
            bundled_library(),
            None,
            Clock::Fixed(bundled_today()),
        ));
        app.doors.set("Matrix", DoorState::Starting);
        let ep = start_with(app.clone(), Duration::from_secs(2)).await;
        let client = reqwest::Client::new();
        let ready = client
            .get(format!("{}/readyz", ep.base))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status().as_u16(), 503);
        let body: Value = ready.json().await.expect("json");
        assert_eq!(body["ready"], false);
        assert_eq!(body["not_ready"], json!(["Matrix: connecting"]));
        app.doors.set("Matrix", DoorState::Connected);
        let ready = client
            .get(format!("{}/readyz", ep.base))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status().as_u16(), 200);
        let body: Value = ready.json().await.expect("json");
        assert_eq!((body["ready"].as_bool(), body["topics"].as_u64()), (Some(true), Some(1)));

        let metrics = || async {
            let r = client
                .get(format!("{}/metrics", ep.base))
                .send()
                .await
                .expect("metrics");
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .is_ok_and(|c| c.starts_with("application/openmetrics-text")),
            );
            parse_exposition(&r.text().await.expect("text"))
        };
        let before = metrics().await;
        let key = "dossier_commands_total{command=\"position\",platform=\"discord\",outcome=\"answer\"}";
        assert_eq!(before.get(key), None);
        for _ in 0..3 {
            ep.post(&command("position", &[("actor", 3, json!("iran"))], "0"))
                .await;
        }
        ep.post(&command("position", &[("actor", 3, json!("narnia"))], "0"))
            .await;
        let after = metrics().await;
        assert_eq!(after.get(key), Some(&3.0), "{after:#?}");
        assert_eq!(
            after.get("dossier_commands_total{command=\"position\",platform=\"discord\",outcome=\"user_error\"}"),
            Some(&1.0)
        );
        assert_eq!(after.get("dossier_messages_sent_total{platform=\"discord\"}"), Some(&4.0));
        assert_eq!(after.get("dossier_answer_seconds_count{platform=\"discord\"}"), Some(&4.0));
        assert!(after.get("dossier_cards_loaded").is_some_and(|n| *n >= 10.0));
    });
}

/// Parse an OpenMetrics/Prometheus text exposition: every line is a comment or
/// `name{labels} value`; panics on anything else. Returns samples by name and labels.
pub fn parse_exposition(text: &str) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    assert!(text.ends_with("# EOF\n"), "no EOF marker");
    for line in text.lines() {
        if line.starts_with('#') {
            let mut parts = line.split_whitespace();
            let _ = parts.next();
            let kind = parts.next().unwrap_or_default();
            assert!(
                ["HELP", "TYPE", "UNIT", "EOF"].contains(&kind),
                "bad comment: {line}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad line: {line}"));
        let name = series.split('{').next().unwrap_or_default();
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(
                labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')),
                "bad labels: {line}"
            );
        }
        let v: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        out.insert(series.to_owned(), v);
    }
    out
}

#[test]
fn a_reload_that_loses_the_default_topic_is_refused() {
    runtime().block_on(async {
        let dir = small_tree();
        let root = dossier::reload::absolute(dir.path());
        let (library, report) =
            dossier::reload::load_checked(&root, fixture_today(), Some("river-treaty"))
                .expect("loads");
        let app = App::new(
            library,
            Some("river-treaty".into()),
            Clock::Fixed(fixture_today()),
        )
        .reading(root.clone(), &report);
        // The topic is renamed on disk; the config still names the old id.
        let topic = std::fs::read_to_string(root.join("river-treaty/topic.toml"))
            .expect("topic")
            .replace("id = \"river-treaty\"", "id = \"delta-accord\"");
        std::fs::write(root.join("river-treaty/topic.toml"), topic).expect("write");
        std::fs::rename(root.join("river-treaty"), root.join("delta-accord")).expect("rename");
        let r = app.reload(Trigger::Command).await;
        assert!(!r.succeeded());
        assert!(
            r.report
                .diagnostics
                .iter()
                .any(|d| d.code == "unknown-default-topic"
                    && d.help
                        .as_deref()
                        .is_some_and(|h| h.contains("`delta-accord`"))),
            "{}",
            r.report.human()
        );
        assert!(
            app.snapshot().topic_index("river-treaty").is_some(),
            "the last good library is still served"
        );
        let reply = r.reply(Some(&root));
        assert!(reply.title.starts_with("Not reloaded"), "{reply:?}");
    });
}

#[test]
fn moderators_reload_check_and_see_the_status_from_chat() {
    runtime().block_on(async {
        let live = Live::start().await;
        let ep = start_with(live.app.clone(), Duration::from_secs(2)).await;
        let title = |body: &Value| {
            body["data"]["embeds"][0]["title"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        let (_, body) = ep.post(&command("reload", &[], "0")).await;
        assert_eq!(
            title(&body),
            "Only the moderators the operator names can do that"
        );
        // Manage Server (32) is the default moderator permission.
        let (_, body) = ep.post(&command("reload", &[], "32")).await;
        assert_eq!(title(&body), "Reloaded", "{body}");
        let good = live.read(NORTH);
        let broken = good.replace("confidence = \"high\"", "confidence = \"certain\"");
        std::fs::write(live.path(NORTH), &broken).expect("write");
        let (_, body) = ep.post(&command("check", &[], "32")).await;
        assert_eq!(title(&body), "The cards on disk have 1 error", "{body}");
        let text = body["data"]["embeds"][0].to_string();
        assert!(
            text.contains("river\\\\-treaty/actors/northland.toml:28:14")
                && text.contains("is one of"),
            "{text}"
        );
        let (_, body) = ep.post(&command("status", &[], "32")).await;
        let status = body["data"]["embeds"][0].to_string();
        assert!(
            status.contains("Last reload") && status.contains("Version"),
            "{status}"
        );
        assert_eq!(live.stance(), OLD_STANCE, "check serves nothing new");
    });
}
