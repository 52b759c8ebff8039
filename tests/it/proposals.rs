//! The newsdesk's proposals before the moderators, end to end on a copy of the bundled topic in
//! a git work tree: polled from its sample feeds into the state, listed, approved from chat (with
//! a field changed) as one commit of the event and its headline source, refused to members,
//! decided once, rejected with a reason, undone whole; a rejected story is not proposed again;
//! and two moderators on two replicas approving one proposal at once make one event and one
//! commit.

use crate::common::*;
use crate::edit::{ask, git, in_git_work_tree, moderator, named_moderators, send, text};
use dossier::app::App;
use dossier::clock::Clock;
use dossier::desk::Desk;
use dossier::reply::ReplyKind;
use dossier::service::{Asker, Platform};
use std::path::Path;
use std::sync::Arc;

/// Poll the bundled topic's feeds into the state folder's store, as `serve` would.
async fn poll(app: &App, stores: &dossier::store::Stores) -> dossier::desk::news::Poll {
    let lib = app.snapshot();
    let topic = lib.topics()[0].clone();
    let fetcher = dossier::fetch::client::Fetcher::new(dossier::fetch::client::Options::new(
        dossier::fetch::address::Policy::default(),
        None,
    ))
    .expect("fetcher");
    dossier::desk::news::poll(
        &topic,
        &fetcher,
        Some(stores.news.as_ref()),
        20,
        chrono::Utc::now(),
    )
    .await
    .expect("poll")
}

/// The kept id of the proposal whose title starts with `start`.
fn id_of(p: &dossier::desk::news::Poll, start: &str) -> i64 {
    let i = p
        .proposals
        .iter()
        .position(|x| x.title.starts_with(start))
        .unwrap_or_else(|| panic!("a proposal `{start}…` in {:#?}", p.proposals));
    p.ids[i]
}

fn card(top: &Path, name: &str) -> String {
    std::fs::read_to_string(top.join("briefings/iran-us-talks").join(name)).expect("card")
}

fn member(id: &str) -> Asker {
    Asker {
        standing: dossier::service::Standing {
            user: Some(id.into()),
            place_moderator: true,
            ..Default::default()
        },
        author: Some(dossier::edit::Author {
            platform: dossier::platform::Platform::Matrix,
            id: id.into(),
            name: "Mallory".into(),
        }),
        ..Asker::on(Platform::Matrix)
    }
}

#[test]
fn a_proposal_is_approved_as_one_commit_undone_whole_and_a_rejected_story_never_returns() {
    runtime().block_on(async {
        let (dir, state, app) = in_git_work_tree();
        let top = dir.path();
        let stores = state_stores(state.path()).await;
        let polled = poll(&app, &stores).await;
        assert_eq!(polled.ids.len(), 2, "{:#?}", polled.proposals);
        let trump = id_of(&polled, "Trump rules out");
        let centcom = id_of(&polled, "CENTCOM says");
        let (timeline, sources) = (card(top, "timeline.toml"), card(top, "sources.toml"));
        let commits = git(top, &["rev-list", "--count", "HEAD"]);
        let alice = moderator("@alice:hs", "Alice", false);
        let bob = moderator("@bob:hs", "Bob", false);

        // A member of a room of their own is no moderator the operator named.
        let r = send(&app, &member("@mallory:elsewhere"), &format!("approve proposal {trump}")).await;
        assert_ne!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert_eq!(card(top, "timeline.toml"), timeline);

        let listed = text(&send(&app, &alice, "proposals").await);
        assert!(listed.contains("2 proposals waiting"), "{listed}");
        assert!(listed.contains(&format!("#{trump}: iran-us-talks 2026-10-08")), "{listed}");
        let one = text(&send(&app, &alice, &format!("proposal {centcom}")).await);
        assert!(one.contains("Middle East Eye: \"CENTCOM says"), "{one}");
        assert!(one.contains(&format!("reject proposal {centcom} <why>")), "{one}");

        // Approved with a field changed: one commit, the event and its source, by Alice.
        let r = send(
            &app,
            &alice,
            &format!(
                "approve proposal {trump}\ntitle: Trump rules out a new strike before the midterms\ndetail: Trump is reported to rule out a new attack on Iran before the US midterm elections."
            ),
        )
        .await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert_eq!(
            r.title,
            format!("Proposal #{trump} approved: event added to the timeline")
        );
        let log = git(top, &["log", "-1", "--format=%an%n%s%n%b"]);
        assert!(log.starts_with("Alice\n"), "{log}");
        assert!(log.contains(&format!("proposal #{trump} approved")), "{log}");
        assert!(log.contains("feeds of Middle East Eye"), "{log}");
        let files = git(top, &["show", "--name-only", "--format=", "HEAD"]);
        assert_eq!(
            files.trim(),
            "briefings/iran-us-talks/sources.toml\nbriefings/iran-us-talks/timeline.toml"
        );
        let added = card(top, "timeline.toml");
        assert!(added.starts_with(&timeline), "appended, the rest kept");
        assert!(added.contains("title = \"Trump rules out a new strike before the midterms\""));
        assert!(added.contains("verification = \"reported\""));
        let cited = card(top, "sources.toml");
        assert!(cited.starts_with(&sources));
        assert!(cited.contains("kind = \"headline\""), "{cited}");
        assert!(cited.contains("trump-rules-out-new-attack-iran-until-after-midterms"));
        // Served at once, hedged as a headline-level claim.
        let served = ask(&app, "timeline since 2026-10-08 until 2026-10-08");
        assert!(served.contains("Trump rules out a new strike before the midterms"), "{served}");

        // Decided once.
        let again = send(&app, &bob, &format!("approve proposal {trump}")).await;
        assert_eq!(again.title, format!("Proposal #{trump} was already approved"));
        assert!(text(&again).contains("Decided by Alice"), "{}", text(&again));

        // A rejection needs a reason, and keeps it.
        let r = send(&app, &bob, &format!("reject proposal {centcom}")).await;
        assert_eq!(r.title, "Say why");
        let r = send(
            &app,
            &bob,
            &format!("reject proposal {centcom} a blockade figure, not the talks"),
        )
        .await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        let kept = stores.news.proposal(centcom).await.expect("read").expect("kept");
        assert_eq!(kept.state, "rejected");
        assert_eq!(kept.reason.as_deref(), Some("a blockade figure, not the talks"));
        assert!(text(&send(&app, &alice, "proposals").await).contains("No proposals waiting"));

        // Undo takes the event and its source out, in one revert.
        let r = send(&app, &alice, "undo").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert_eq!(card(top, "timeline.toml"), timeline);
        assert_eq!(card(top, "sources.toml"), sources);
        let diff = git(top, &["diff", "HEAD~2", "HEAD", "--stat"]);
        assert_eq!(diff.trim(), "", "the revert undoes the approval exactly");
        assert_eq!(
            git(top, &["rev-list", "--count", "HEAD"]).trim().parse::<u32>().expect("count"),
            commits.trim().parse::<u32>().expect("count") + 2
        );

        // The rejected story, told again by another outlet at another address, is not proposed.
        let feed = top.join("briefings/iran-us-talks/feeds/sample-middleeasteye.xml");
        let xml = std::fs::read_to_string(&feed).expect("feed").replace(
            "  </channel>",
            "    <item>\n      <title>CENTCOM: 133 vessels redirected in the Iran blockade</title>\n      <link>https://news.example.org/centcom-133-vessels</link>\n      <pubDate>Sat, 10 Oct 2026 12:00:00 GMT</pubDate>\n    </item>\n  </channel>",
        );
        std::fs::write(&feed, xml).expect("feed");
        let later = poll(&app, &stores).await;
        assert!(later.proposals.is_empty(), "{:#?}", later.proposals);
        assert!(
            later
                .items
                .iter()
                .any(|(t, _, f)| t.starts_with("CENTCOM: 133") && f.name() == "rejected"),
            "{:#?}",
            later.items
        );
    });
}

#[test]
fn two_moderators_on_two_replicas_approving_one_proposal_make_one_event_and_one_commit() {
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(crate::postgres::Postgres::start)
            .await
            .expect("postgres");
        let address = pg.database("proposals");
        let (dir, _state, first) = in_git_work_tree();
        let top = dir.path();
        let root = top.join("briefings");
        // Two replicas on one shared volume and one database.
        let replica = async || {
            let stores = crate::stores::shared(&address).await;
            let db = stores.database.clone().expect("a shared database");
            let desk = Desk::with_log(&root, stores.edits.clone())
                .with_news(stores.news.clone())
                .with_cluster(db);
            let loaded = load(&root, bundled_today());
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
            (app, stores)
        };
        let ((a, stores), (b, _)) = (replica().await, replica().await);
        drop(first);
        let polled = poll(&a, &stores).await;
        let id = id_of(&polled, "Trump rules out");
        let timeline = card(top, "timeline.toml");
        let commits: u32 = git(top, &["rev-list", "--count", "HEAD"])
            .trim()
            .parse()
            .expect("count");
        let line = format!("approve proposal {id}");
        let (alice, bob) = (
            moderator("@alice:hs", "Alice", false),
            moderator("@bob:hs", "Bob", false),
        );
        let (one, two) = tokio::join!(send(&a, &alice, &line), send(&b, &bob, &line));
        let won: Vec<_> = [&one, &two]
            .into_iter()
            .filter(|r| r.kind == ReplyKind::Answer)
            .collect();
        assert_eq!(won.len(), 1, "{}\n{}", text(&one), text(&two));
        let lost = if one.kind == ReplyKind::Answer {
            &two
        } else {
            &one
        };
        assert_eq!(lost.title, format!("Proposal #{id} was already approved"));
        let now = card(top, "timeline.toml");
        assert_eq!(
            now.matches("Trump rules out a new attack on Iran until after the US midterms")
                .count(),
            1
        );
        assert!(now.starts_with(&timeline));
        let after: u32 = git(top, &["rev-list", "--count", "HEAD"])
            .trim()
            .parse()
            .expect("count");
        assert_eq!(after, commits + 1, "one commit");
    });
}
