//! The newsdesk's proposals before the moderators, end to end on a copy of the bundled topic in
//! a git work tree: polled from its sample feeds into the state, listed, approved from chat (with
//! a field changed) as one commit of the event and its headline source, refused to members,
//! decided once, rejected with a reason, undone whole; a rejected story is not proposed again;
//! and two moderators on two replicas approving one proposal at once make one event and one
//! commit.

use crate::common::*;
use crate::edit::{ask, in_git_work_tree, moderator, named_moderators, send, text};
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

/// A service over the cards at `root` with `desk`, as `serve` builds it.
fn service(root: &Path, desk: Desk, moderators: dossier::config::Moderators) -> Arc<App> {
    let loaded = load(root, bundled_today());
    Arc::new(
        App::new(
            dossier::library::Library::new(loaded.topics),
            None,
            Clock::Fixed(bundled_today()),
        )
        .reading(root.to_path_buf(), &loaded.report)
        .with_desk(Arc::new(desk))
        .with_moderators(moderators),
    )
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
        // A member's suggestion numbered like a proposal: a bare number asks which is meant.
        let s = send(
            &app,
            &member("@mallory:elsewhere"),
            "suggest position iran\nstance: A member's view.",
        )
        .await;
        assert!(s.title.starts_with("Suggestion #1 sent"), "{}", text(&s));
        let r = send(&app, &alice, "approve 1").await;
        assert_eq!(r.title, "Suggestion #1 and proposal #1 are both waiting");
        let r = send(&app, &alice, "reject suggestion 1 not in the sources").await;
        assert_eq!(r.title, "Suggestion #1 rejected", "{}", text(&r));
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
            // No suggestion of that number waits: a bare number is the proposal.
            &format!("reject {centcom} a blockade figure, not the talks"),
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
            (service(&root, desk, named_moderators()), stores)
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

/// A button pressed by a member of the named server with `permissions`.
fn press(custom_id: &str, permissions: &str) -> serde_json::Value {
    let mut v = crate::discord_support::interaction(
        3,
        serde_json::json!({"custom_id": custom_id, "component_type": 2}),
        permissions,
        "tok-button",
    );
    v["message"] = crate::fake_discord::message_json();
    v
}

#[test]
fn serve_posts_each_proposal_with_buttons_that_approve_edit_and_reject_it() {
    use crate::discord_support::{MANAGE_GUILD, public_key_hex};
    use crate::edit::{input, modal_submit};
    use crate::fake_discord::{APP_ID, Fake};
    runtime().block_on(async {
        let fake = Fake::start().await;
        let (dir, _state, _app) = in_git_work_tree();
        let top = dir.path();
        let port = free_port();
        let cfg = top.join("dossier.toml");
        std::fs::write(
            &cfg,
            format!(
                "briefings = \"{}\"\nstate = \"{}\"\n\n[moderation]\ndiscord_channel = \"77\"\ndiscord_guilds = [\"1300000000000000001\"]\n\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\ngateway = false\napi_proxy = \"{}\"\n",
                top.join("briefings").display(),
                top.join("state").display(),
                public_key_hex(),
                fake.base()
            ),
        )
        .expect("config");
        let timeline = card(top, "timeline.toml");
        let served = crate::serve::serve(&cfg, Some("bot-token"));
        // The poll at start finds the two sample stories: one notice each, with three buttons.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let notices = loop {
            let m = fake.messages_in("77");
            if m.len() >= 2 {
                break m;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no proposals posted; logs:\n{}",
                served.logs()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert_eq!(notices.len(), 2, "{notices:#?}");
        let notice = |start: &str| {
            notices
                .iter()
                .find(|m| {
                    m["embeds"][0]["title"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("Proposal #") && t.contains(start))
                })
                .unwrap_or_else(|| panic!("a notice of {start}: {notices:#?}"))
        };
        let buttons = |m: &serde_json::Value| -> Vec<String> {
            m["components"][0]["components"]
                .as_array()
                .expect("buttons")
                .iter()
                .filter_map(|b| b["custom_id"].as_str().map(str::to_owned))
                .collect()
        };
        let trump = buttons(notice("Trump rules out"));
        let n = trump[0].rsplit('|').next().expect("number").to_owned();
        assert_eq!(
            trump,
            [
                format!("dossier-proposal|approve|{n}"),
                format!("dossier-proposal|edit|{n}"),
                format!("dossier-proposal|reject|{n}")
            ]
        );
        let description = notice("Trump rules out")["embeds"][0]["description"].to_string();
        assert!(description.contains("[1] Middle East Eye"), "{description}");
        let base = format!("http://127.0.0.1:{port}");

        // Without the permission, a press decides nothing.
        let body = crate::serve::post_signed(&base, &press(&trump[0], "0")).await;
        assert!(body.to_string().contains("Only the moderators the operator names"), "{body}");
        assert_eq!(card(top, "timeline.toml"), timeline);

        // Edit opens the event's form with the draft; its submit approves as changed.
        let modal = crate::serve::post_signed(&base, &press(&trump[1], MANAGE_GUILD)).await;
        assert_eq!(modal["type"], 9, "{modal}");
        let id = modal["data"]["custom_id"].as_str().expect("id").to_owned();
        assert_eq!(id, format!("dossier-proposal|edited|{n}"));
        assert_eq!(
            input(&modal, "title")["value"],
            "Trump rules out a new attack on Iran until after the US midterms"
        );
        assert_eq!(input(&modal, "date")["value"], "2026-10-08");
        let value = |k: &str| input(&modal, k)["value"].as_str().unwrap_or("").to_owned();
        let body = crate::serve::post_signed(
            &base,
            &modal_submit(
                &id,
                &[
                    ("date", &value("date")),
                    ("title", "Trump: no new strike on Iran before the midterms"),
                    ("detail", &value("detail")),
                    ("actors", &value("actors")),
                ],
                MANAGE_GUILD,
            ),
        )
        .await;
        assert!(
            body.to_string().contains(&format!("Proposal #{n} approved")),
            "{body}"
        );
        assert!(card(top, "timeline.toml").contains("Trump: no new strike on Iran before the midterms"));
        let files = git(top, &["show", "--name-only", "--format=%an", "HEAD"]);
        assert!(files.starts_with("alice\n"), "{files}");
        assert!(files.contains("timeline.toml") && files.contains("sources.toml"), "{files}");
        // Approve again: already decided, nothing changes.
        let again = crate::serve::post_signed(&base, &press(&trump[0], MANAGE_GUILD)).await;
        assert!(again.to_string().contains("was already approved"), "{again}");

        // Reject asks why; the answer is kept.
        let other = buttons(notice("CENTCOM says"));
        let m = other[0].rsplit('|').next().expect("number").to_owned();
        let modal = crate::serve::post_signed(&base, &press(&other[2], MANAGE_GUILD)).await;
        assert_eq!(modal["type"], 9, "{modal}");
        let id = modal["data"]["custom_id"].as_str().expect("id").to_owned();
        let body = crate::serve::post_signed(
            &base,
            &modal_submit(&id, &[("why", "shipping figures, not the talks")], MANAGE_GUILD),
        )
        .await;
        assert!(body.to_string().contains(&format!("Proposal #{m} rejected")), "{body}");
        drop(served);
    });
}

#[test]
fn on_synapse_a_moderators_check_mark_or_approve_decides_and_a_members_reaction_does_nothing() {
    use crate::matrix_e2e::{PASSWORD, User, start_bot_with, wait_joined};
    use matrix_sdk::ruma::events::reaction::ReactionEventContent;
    use matrix_sdk::ruma::events::relation::Annotation;
    use matrix_sdk::ruma::{OwnedUserId, UserId};
    runtime().block_on(async {
        let synapse = crate::synapse::Synapse::with_users(&["dossier", "alice", "bob"], PASSWORD).await;
        let bot_id: OwnedUserId = UserId::parse("@dossier:localhost").expect("id");
        let alice = User::login(&synapse.url(), "alice").await;
        let bob = User::login(&synapse.url(), "bob").await;
        let mods = alice.create_room(vec![bot_id.clone(), bob.id()], false).await;

        let (dir, state, _) = in_git_work_tree();
        let top = dir.path();
        let root = top.join("briefings");
        let app = service(
            &root,
            Desk::open(&root, state.path()).expect("desk"),
            dossier::config::Moderators {
                matrix_users: vec!["@alice:localhost".into()],
                ..Default::default()
            },
        );
        let store = tempfile::tempdir().expect("store");
        let bot = start_bot_with(&synapse, store.path(), app.clone(), Some(mods.room_id().to_string()));
        wait_joined(&mods, &bot_id).await;
        let joined = bob.client.join_room_by_id(mods.room_id()).await;
        joined.expect("bob joins");

        // The poll's proposals, posted to the moderators' room as `serve` posts them.
        let stores = state_stores(state.path()).await;
        let polled = poll(&app, &stores).await;
        let (trump, centcom) = (id_of(&polled, "Trump rules out"), id_of(&polled, "CENTCOM says"));
        for (p, id) in polled.proposals.iter().zip(&polled.ids) {
            app.notices.post(dossier::desk::proposals::notice(*id, p));
        }
        let room = mods.room_id().to_owned();
        let said = async |what: String, secs: u64| {
            crate::matrix_e2e::wait_for_some(&alice.seen, secs, |s| {
                s.room == room && s.sender == bot_id && s.plain.contains(&what)
            })
            .await
        };
        let found = said(format!("Proposal #{trump}: "), 30).await;
        assert_eq!(found.len(), 1, "the proposal's notice");
        let trump_notice = found[0].event_id.clone();
        assert!(found[0].notice, "an m.notice");
        assert!(found[0].plain.contains("a ✅ reaction"), "{}", found[0].plain);
        let timeline = card(top, "timeline.toml");

        // Bob, a member, reacts: nothing is decided, nothing is said.
        let bobs = bob.client.get_room(mods.room_id()).expect("bob's room");
        bobs.send(ReactionEventContent::new(Annotation::new(trump_notice.clone(), "✅".into())))
            .await
            .expect("react");
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        assert_eq!(card(top, "timeline.toml"), timeline);
        assert!(said(format!("Proposal #{trump} approved"), 0).await.is_empty());
        let open = stores.news.proposal(trump).await.expect("read").expect("kept");
        assert_eq!(open.state, "open");

        // Alice approves the other with `!approve` and a changed title.
        alice
            .send(
                &mods,
                &format!("!approve proposal {centcom}\ntitle: CENTCOM: 133 vessels turned back under the blockade"),
            )
            .await;
        let approved = said(format!("Proposal #{centcom} approved"), 30).await;
        assert_eq!(approved.len(), 1, "the answer to !approve");
        assert!(card(top, "timeline.toml").contains("CENTCOM: 133 vessels turned back under the blockade"));

        // Alice's check mark approves the first.
        mods.send(ReactionEventContent::new(Annotation::new(trump_notice, "✅".into())))
            .await
            .expect("react");
        let answered = said(format!("Proposal #{trump} approved"), 30).await;
        assert_eq!(answered.len(), 1, "one answer to the reaction");
        assert!(answered[0].mentions_empty, "mentions nobody");
        let now = card(top, "timeline.toml");
        assert!(now.contains("Trump rules out a new attack on Iran until after the US midterms"));
        let log = git(top, &["log", "-1", "--format=%an"]);
        assert_eq!(log.trim(), "alice");
        bot.abort();
    });
}

#[test]
fn moderators_list_add_and_remove_a_topics_feeds_from_chat_each_a_commit_undo_takes_back() {
    runtime().block_on(async {
        let (dir, state, app) = in_git_work_tree();
        let top = dir.path();
        let alice = moderator("@alice:hs", "Alice", false);
        let feeds = card(top, "feeds.toml");
        let commits = || {
            git(top, &["rev-list", "--count", "HEAD"])
                .trim()
                .parse::<u32>()
                .expect("count")
        };
        let before = commits();

        // Listed with how each was read: after a poll, items seen.
        let stores = state_stores(state.path()).await;
        poll(&app, &stores).await;
        let listed = text(&send(&app, &alice, "feeds").await);
        assert!(listed.contains("News feeds of"), "{listed}");
        assert!(
            listed.contains("1: feeds/sample-aljazeera.xml (Al Jazeera; a file in the topic folder)"),
            "{listed}"
        );
        assert!(listed.contains("items seen"), "{listed}");

        // A member may not; a bad address is refused by the card's check; nothing written.
        let r = send(&app, &member("@mallory:elsewhere"), "feed add https://news.example.org/rss").await;
        assert_ne!(r.kind, ReplyKind::Answer, "{}", text(&r));
        let r = send(&app, &alice, "feed add ftp://news.example.org/rss").await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        assert!(text(&r).contains("http"), "{}", text(&r));
        assert_eq!(card(top, "feeds.toml"), feeds);
        assert_eq!(commits(), before);

        // Added: one commit by Alice, the rest of the file kept.
        let r = send(&app, &alice, "feed add https://news.example.org/world/rss.xml Example News").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert_eq!(r.title, "News feed added");
        let now = card(top, "feeds.toml");
        assert!(now.starts_with(&feeds), "appended");
        assert!(now.contains("url = \"https://news.example.org/world/rss.xml\"\noutlet = \"Example News\""), "{now}");
        assert_eq!(commits(), before + 1);
        assert_eq!(git(top, &["log", "-1", "--format=%an"]).trim(), "Alice");
        let listed = text(&send(&app, &alice, "feeds").await);
        assert!(
            listed.contains("3: https://news.example.org/world/rss.xml (Example News), every 30 min: not read yet"),
            "{listed}"
        );
        let r = send(&app, &alice, "feed add https://news.example.org/world/rss.xml").await;
        assert!(text(&r).contains("listed already"), "{}", text(&r));

        // Removed by number; a number out of range says how many there are.
        let r = send(&app, &alice, "feed remove 9").await;
        assert!(text(&r).contains("no feed 9: it has 3"), "{}", text(&r));
        let r = send(&app, &alice, "feed remove 1").await;
        assert_eq!(r.title, "News feed removed", "{}", text(&r));
        assert!(!card(top, "feeds.toml").contains("sample-aljazeera"));
        // Undo brings it back.
        let r = send(&app, &alice, "undo").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert!(card(top, "feeds.toml").contains("sample-aljazeera"));
        assert_eq!(commits(), before + 3);

        // Edited by hand and not served yet: a number could name another feed, so it is refused.
        let by_hand = card(top, "feeds.toml").replace(
            "[[feed]]\npath = \"feeds/sample-aljazeera.xml\"",
            "[[feed]]\npath = \"feeds/sample-middleeasteye.xml\"\n\n[[feed]]\npath = \"feeds/sample-aljazeera.xml\"",
        );
        let file = top.join("briefings/iran-us-talks/feeds.toml");
        std::fs::write(&file, &by_hand).expect("by hand");
        let r = send(&app, &alice, "feed remove 1").await;
        assert_eq!(r.title, "The feeds changed since they were listed", "{}", text(&r));
        assert_eq!(card(top, "feeds.toml"), by_hand);
    });
}
