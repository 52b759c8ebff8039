//! The git work tree as operators set it up: its pre-commit hook runs on an edit from chat
//! (a refused commit refuses the edit and puts the card back), and a cards remote that never
//! answers refuses an edit within the pull's deadline instead of freezing the topic.

use crate::common::*;
use crate::edit::{in_git_work_tree, moderator, named_moderators, send, text};
use dossier::app::App;
use dossier::clock::Clock;
use dossier::desk::{Desk, Sharing};
use dossier::reply::ReplyKind;
use std::sync::Arc;
use std::time::{Duration, Instant};

const EDIT: &str = "edit position iran\nstance: Edited past a hook.";

#[cfg(unix)]
#[test]
fn a_pre_commit_hook_that_refuses_refuses_the_edit_and_loses_nothing() {
    use std::os::unix::fs::PermissionsExt;
    runtime().block_on(async {
        let (dir, _state, app) = in_git_work_tree();
        let top = dir.path();
        let card = top.join("briefings/iran-us-talks/actors/iran.toml");
        let original = std::fs::read(&card).expect("card");
        let hook = top.join(".git/hooks/pre-commit");
        std::fs::create_dir_all(hook.parent().expect("hooks")).expect("hooks dir");
        std::fs::write(
            &hook,
            "#!/bin/sh\necho 'pre-commit: iran.toml cites no source for its stance' >&2\nexit 1\n",
        )
        .expect("hook");
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let commits = git(top, &["rev-list", "--count", "HEAD"]);
        let alice = moderator("@alice:hs", "Alice", false);

        let r = send(&app, &alice, EDIT).await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        assert_eq!(r.title, "The edit was not committed");
        assert!(
            text(&r).contains("iran.toml cites no source for its stance"),
            "the hook's message reaches the moderator: {}",
            text(&r)
        );
        assert_eq!(std::fs::read(&card).expect("card"), original, "put back");
        assert_eq!(git(top, &["rev-list", "--count", "HEAD"]), commits);
        assert_eq!(git(top, &["status", "--porcelain"]), "", "index as it was");
        let h = send(&app, &alice, "history").await;
        assert!(!text(&h).contains("#1"), "nothing logged: {}", text(&h));
        let p = send(&app, &alice, "position iran").await;
        assert!(!text(&p).contains("Edited past a hook."), "{}", text(&p));

        // With the hook content, the same edit lands.
        std::fs::write(&hook, "#!/bin/sh\nexit 0\n").expect("hook");
        let r = send(&app, &alice, EDIT).await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert!(text(&r).contains("git commit"), "{}", text(&r));
    });
}

#[test]
fn a_remote_that_never_answers_refuses_the_edit_within_the_deadline() {
    runtime().block_on(async {
        // A cards remote that takes the connection and then says nothing, ever.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let silent = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let (dir, state, _) = in_git_work_tree();
        let top = dir.path();
        let root = top.join("briefings");
        git(
            top,
            &[
                "remote",
                "add",
                "origin",
                &format!("http://127.0.0.1:{port}/cards.git"),
            ],
        );
        let loaded = load(&root, bundled_today());
        let desk = Desk::open(&root, &state.path().join("remote"))
            .expect("desk")
            .sharing(Sharing {
                remote: "origin".into(),
                deadline: Duration::from_secs(2),
            })
            .expect("a work tree");
        let app = Arc::new(
            App::new(
                dossier::library::Library::new(loaded.topics),
                None,
                Clock::Fixed(bundled_today()),
            )
            .reading(root.clone(), &loaded.report)
            .with_desk(Arc::new(desk))
            .with_moderators(named_moderators()),
        );
        let card = root.join("iran-us-talks/actors/iran.toml");
        let original = std::fs::read(&card).expect("card");
        let alice = moderator("@alice:hs", "Alice", false);
        let asked = Instant::now();
        let r = send(&app, &alice, EDIT).await;
        let took = asked.elapsed();
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        assert!(
            text(&r).contains("did not finish within 2 s"),
            "{}",
            text(&r)
        );
        assert!(took < Duration::from_secs(10), "the edit waited {took:?}");
        assert_eq!(std::fs::read(&card).expect("card"), original);
        // The topic is free again: the next edit is refused as quickly, not queued behind.
        let asked = Instant::now();
        let r = send(&app, &alice, EDIT).await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        assert!(asked.elapsed() < Duration::from_secs(10));
        silent.abort();
    });
}
