//! `new topic` and `new actor` from chat, through the edit desk: what is made passes the check
//! and answers at once, is listed by `history`, and `undo` takes it away again (newest first);
//! nothing is ever written over; hostile ids and names write nothing; an actor cited since it
//! was made is not taken away; on Discord `/new` takes typed options, from moderators only;
//! and in a git work tree each is a commit by the moderator, undone by a revert.

use crate::common::*;
use crate::discord_endpoint::start_with;
use crate::discord_support::*;
use crate::edit::{ask, in_git_work_tree, moderator, send, setup, text};
use dossier::reply::ReplyKind;
use serde_json::json;
use std::time::{Duration, Instant};

/// The names in the briefings folder, hidden ones too: what "nothing was written" compares.
fn listing(root: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .expect("root")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_topic_and_an_actor_made_from_chat_answer_at_once_and_undo_takes_them_away() {
    runtime().block_on(async {
        let s = setup();
        let alice = moderator("@alice:example.org", "Alice", false);
        let r = send(&s.app, &alice, "!new topic water-talks Nile water talks").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert_eq!(r.title, "New topic: Nile water talks");
        let t = text(&r);
        assert!(
            t.contains("Written to water-talks/ by Alice (edit #1"),
            "{t}"
        );
        assert!(t.contains("topic set water-talks"), "{t}");
        for f in [
            "topic.toml",
            "sources.toml",
            "timeline.toml",
            "experts.toml",
            "actors/example-actor.toml",
        ] {
            assert!(s.root.join("water-talks").join(f).is_file(), "{f}");
        }
        // Reloaded: it is served at once, beside the first topic.
        let topics = ask(&s.app, "topics");
        assert!(topics.contains("Nile water talks"), "{topics}");
        assert!(topics.contains("Iran"), "{topics}");
        let brief = ask(&s.app, "brief topic water-talks");
        assert!(brief.starts_with("Nile water talks"), "{brief}");
        let timeline = ask(&s.app, "timeline topic water-talks");
        assert!(timeline.contains("No events"), "{timeline}");

        // Never over what exists, and nothing is written.
        let before = listing(&s.root);
        let again = send(&s.app, &alice, "new topic water-talks Another title").await;
        assert_eq!(again.kind, ReplyKind::UserError);
        assert!(
            text(&again).contains("water-talks already exists"),
            "{}",
            text(&again)
        );
        assert!(
            !text(&again).contains(&s.root.display().to_string()),
            "no server paths in chat: {}",
            text(&again)
        );
        assert_eq!(listing(&s.root), before);

        let r = send(
            &s.app,
            &alice,
            "new actor nile-basin \"Nile Basin Initiative\" topic water-talks",
        )
        .await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert_eq!(r.title, "New actor: Nile Basin Initiative");
        assert!(
            text(&r).contains("water-talks/actors/nile-basin.toml"),
            "{}",
            text(&r)
        );
        let pos = ask(&s.app, "position nile-basin topic water-talks");
        assert!(pos.starts_with("Nile Basin Initiative"), "{pos}");
        let dup = send(
            &s.app,
            &alice,
            "new actor nile-basin Again topic water-talks",
        )
        .await;
        assert!(
            text(&dup).contains("nile-basin.toml already exists"),
            "{}",
            text(&dup)
        );
        // A topic that is not loaded is named as such.
        let unknown = send(&s.app, &alice, "new actor egypt Egypt topic nowhere").await;
        assert_eq!(unknown.kind, ReplyKind::UserError, "{}", text(&unknown));

        let history = text(&send(&s.app, &alice, "history").await);
        assert!(
            history.contains("new topic water-talks (Nile water talks)"),
            "{history}"
        );
        assert!(
            history.contains("new actor nile-basin (Nile Basin Initiative)"),
            "{history}"
        );

        // Undo, newest first: the actor, then the topic.
        let r = send(&s.app, &alice, "undo").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert!(!s.root.join("water-talks/actors/nile-basin.toml").exists());
        let gone = ask(&s.app, "position nile-basin topic water-talks");
        assert!(!gone.starts_with("Nile Basin Initiative"), "{gone}");
        let r = send(&s.app, &alice, "undo").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert!(text(&r).contains("is gone again"), "{}", text(&r));
        assert!(!s.root.join("water-talks").exists());
        assert!(
            listing(&s.root).iter().all(|n| !n.contains("water-talks")),
            "nothing left behind: {:?}",
            listing(&s.root)
        );
        assert!(!ask(&s.app, "topics").contains("Nile water talks"));
        assert!(ask(&s.app, "brief").contains("Iran"), "one topic again");
    });
}

#[test]
fn hostile_ids_and_names_are_refused_and_write_nothing() {
    runtime().block_on(async {
        let s = setup();
        let alice = moderator("@alice:example.org", "Alice", false);
        let before = listing(&s.root);
        let long_id = "a".repeat(1_900);
        let cases = [
            "new topic ../x Escape".to_owned(),
            "new topic /etc Escape".to_owned(),
            "new topic іran-talks Cyrillic i".to_owned(),
            "new topic Water Capital letters".to_owned(),
            "new topic .hidden Hidden".to_owned(),
            format!("new topic {long_id} Long"),
            format!("new topic ok-id {}", "T".repeat(500)),
            "new actor ../../etc X topic iran-us-talks".to_owned(),
            "new actor iran Iran again topic iran-us-talks".to_owned(),
        ];
        for line in &cases {
            let started = Instant::now();
            let r = send(&s.app, &alice, line).await;
            assert_eq!(r.kind, ReplyKind::UserError, "{line}: {}", text(&r));
            assert!(
                text(&r).contains("nothing was written"),
                "{line}: {}",
                text(&r)
            );
            assert!(text(&r).len() < 1_000, "{line}: the reply quotes it short");
            assert!(started.elapsed() < Duration::from_secs(2), "{line}");
        }
        assert_eq!(listing(&s.root), before);
        assert_eq!(
            std::fs::read_dir(s.root.join("iran-us-talks/actors"))
                .expect("actors")
                .count(),
            9,
            "no actor card added or changed"
        );
        // A 64 KiB line is refused by the door's cap before anything looks at it.
        let huge = format!("new topic x {}", "y".repeat(64 * 1024));
        let started = Instant::now();
        assert!(dossier::commands::parse(&huge).is_err());
        assert!(started.elapsed() < Duration::from_millis(200));
        let nothing = text(&send(&s.app, &alice, "history").await);
        assert!(nothing.contains("No edits"), "{nothing}");
    });
}

#[test]
fn an_actor_cited_since_it_was_made_is_not_undone_until_nothing_cites_it() {
    runtime().block_on(async {
        let s = setup();
        let alice = moderator("@alice:example.org", "Alice", false);
        let r = send(&s.app, &alice, "new actor egypt Egypt").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        // Someone cites it by hand.
        let timeline = s.root.join("iran-us-talks/timeline.toml");
        let old = std::fs::read_to_string(&timeline).expect("timeline");
        let cited = old.replacen("actors = [\"", "actors = [\"egypt\", \"", 1);
        assert_ne!(cited, old);
        std::fs::write(&timeline, &cited).expect("write");
        let r = send(&s.app, &alice, "undo").await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        assert!(text(&r).contains("cite it"), "{}", text(&r));
        assert!(text(&r).contains("timeline.toml"), "{}", text(&r));
        assert!(s.root.join("iran-us-talks/actors/egypt.toml").is_file());
        assert!(
            !listing(&s.root.join("iran-us-talks/actors"))
                .iter()
                .any(|n| n.starts_with('.')),
            "the card was put back under its name"
        );
        std::fs::write(&timeline, &old).expect("restore");
        let r = send(&s.app, &alice, "undo").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert!(!s.root.join("iran-us-talks/actors/egypt.toml").exists());
    });
}

#[test]
fn discord_new_takes_typed_options_from_moderators_only() {
    runtime().block_on(async {
        let s = setup();
        let ep = start_with(s.app.clone(), Duration::from_secs(2)).await;
        let opts = [
            ("what", 3, json!("topic")),
            ("id", 3, json!("water-talks")),
            ("name", 3, json!("Nile water talks")),
        ];
        let (status, body) = ep.post(&command("new", &opts, "0")).await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"]["embeds"][0]["title"],
            "Only the moderators the operator names can do that",
            "{body}"
        );
        assert!(!s.root.join("water-talks").exists());
        let (_, body) = ep.post(&command("new", &opts, "32")).await;
        assert_eq!(
            body["data"]["embeds"][0]["title"], "New topic: Nile water talks",
            "{body}"
        );
        assert!(s.root.join("water-talks/topic.toml").is_file());
        let (_, body) = ep
            .post(&command(
                "new",
                &[
                    ("what", 3, json!("actor")),
                    ("id", 3, json!("sudan")),
                    ("name", 3, json!("Sudan")),
                    ("topic", 3, json!("water-talks")),
                ],
                "32",
            ))
            .await;
        assert_eq!(
            body["data"]["embeds"][0]["title"], "New actor: Sudan",
            "{body}"
        );
        assert!(s.root.join("water-talks/actors/sudan.toml").is_file());
    });
}

#[test]
fn in_a_git_work_tree_a_new_topic_is_a_commit_and_its_undo_a_revert() {
    runtime().block_on(async {
        let (dir, _state, app) = in_git_work_tree();
        let alice = moderator("@alice:example.org", "Alice", false);
        let r = send(&app, &alice, "new topic water-talks Nile water talks").await;
        assert!(text(&r).contains("git commit"), "{}", text(&r));
        let log = git(dir.path(), &["log", "-1", "--format=%an <%ae>%n%s"]);
        assert_eq!(
            log.trim(),
            "Alice <alice-example-org@matrix.dossier.invalid>\nwater-talks: new topic water-talks (Nile water talks)"
        );
        let files = git(dir.path(), &["show", "--name-only", "--format=", "HEAD"]);
        assert_eq!(files.lines().count(), 5, "{files}");
        assert!(files.lines().all(|f| f.starts_with("briefings/water-talks/")), "{files}");

        let r = send(&app, &alice, "undo").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        let log = git(dir.path(), &["log", "-1", "--format=%s"]);
        assert!(log.starts_with("Revert \"water-talks: new topic"), "{log}");
        let diff = git(dir.path(), &["diff", "HEAD~2", "HEAD", "--stat"]);
        assert_eq!(diff.trim(), "", "the revert undoes it exactly");
        assert_eq!(git(dir.path(), &["status", "--porcelain"]).trim(), "");
    });
}
