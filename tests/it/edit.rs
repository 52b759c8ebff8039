//! Editing cards from chat, end to end on a copy of the bundled topic: the Matrix/terminal
//! `field: value` grammar through `App::respond`, and Discord's modal round trip through
//! Ed25519-signed requests to the interactions endpoint. Each test checks the card on disk
//! (comments and layout kept, nothing written when the edit is refused), what the bot answers
//! afterwards (reloaded), the edit log, and undo.

use crate::common::*;
use crate::discord_endpoint::{check_message, start_with};
use crate::discord_support::*;
use dossier::app::App;
use dossier::clock::Clock;
use dossier::commands::Command;
use dossier::desk::Desk;
use dossier::edit::Author;
use dossier::reply::{Block, Reply, ReplyKind};
use dossier::service::{Asker, Platform};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct Setup {
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
    pub(crate) app: Arc<App>,
}

impl Setup {
    fn card(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join("iran-us-talks").join(rel)).expect("card")
    }
}

pub(crate) fn setup() -> Setup {
    setup_with(named_moderators())
}

/// [`setup`] with the operator naming `moderators`.
pub(crate) fn setup_with(moderators: dossier::config::Moderators) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("briefings");
    copy_tree(&bundled(), &root);
    let loaded = load(&root, bundled_today());
    assert!(!loaded.report.has_errors());
    let library = dossier::library::Library::new(loaded.topics);
    let desk = Desk::open(&root, &dir.path().join("state")).expect("edit log");
    let app = Arc::new(
        App::new(library, None, Clock::Fixed(bundled_today()))
            .reading(root.clone(), &loaded.report)
            .with_desk(Arc::new(desk))
            .with_moderators(moderators),
    );
    Setup {
        _dir: dir,
        root,
        app,
    }
}

/// The room the tests' moderators hold power in, named in `[moderation] matrix_rooms`.
pub(crate) const DESK_ROOM: &str = "!desk:hs";

/// `[moderation]` as the edit tests' operator writes it.
pub(crate) fn named_moderators() -> dossier::config::Moderators {
    dossier::config::Moderators {
        matrix_rooms: vec![DESK_ROOM.into()],
        // The server the tests' Discord interactions come from (`discord_support`).
        discord_guilds: vec![1300000000000000001],
        ..Default::default()
    }
}

/// A moderator the operator names (through `DESK_ROOM`).
pub(crate) fn moderator(id: &str, name: &str, admin: bool) -> Asker {
    Asker {
        standing: dossier::service::Standing {
            user: Some(id.into()),
            place_moderator: true,
            in_named_rooms: vec![DESK_ROOM.into()],
            ..Default::default()
        },
        platform: Platform::Matrix,
        place: None,
        who: Some(id.into()),
        author: Some(Author {
            platform: dossier::platform::Platform::Matrix,
            id: id.into(),
            name: name.into(),
        }),
        admin,
    }
}

pub(crate) async fn send(app: &App, asker: &Asker, message: &str) -> Reply {
    let cmd = dossier::matrix::parse_with_fields(message).expect("parses");
    dossier::router::respond(app, &cmd, asker).await
}

pub(crate) fn text(r: &Reply) -> String {
    let mut out = format!("{}\n", r.title);
    if let Some(s) = &r.summary {
        out.push_str(&s.text);
        out.push('\n');
    }
    for s in &r.sections {
        out.push_str(&s.heading);
        out.push('\n');
        match &s.body {
            Block::Text(l) => out.push_str(&format!("{}\n", l.text)),
            Block::Bullets(ls) => {
                for l in ls {
                    out.push_str(&format!(
                        "- {}{}\n",
                        l.label
                            .as_deref()
                            .map_or(String::new(), |l| format!("{l}: ")),
                        l.text
                    ));
                }
            }
            Block::Fields(fs) => {
                for f in fs {
                    for l in &f.lines {
                        out.push_str(&format!("{}: {}\n", f.name, l.text));
                    }
                }
            }
        }
    }
    out
}

pub(crate) fn ask(app: &App, line: &str) -> String {
    text(&dossier::router::answer(
        app,
        &dossier::commands::parse(line).expect("parses"),
    ))
}

/// Every line of `before` is in `after`, in order and unchanged: an edit only adds or changes
/// the entry it is about.
fn lines_kept(before: &str, after: &str) {
    let after: Vec<&str> = after.lines().collect();
    let mut at = 0;
    for line in before.lines() {
        match after[at..].iter().position(|l| *l == line) {
            Some(k) => at += k + 1,
            None => panic!("line {line:?} is gone or moved:\n{}", after.join("\n")),
        }
    }
}

#[test]
fn a_position_edit_is_written_reloaded_logged_and_undone() {
    runtime().block_on(async {
        let s = setup();
        let original = s.card("actors/iran.toml");
        let alice = moderator("@alice:hs", "Alice", false);
        // `help edit` documents the message grammar for Matrix.
        let help = ask(&s.app, "help edit");
        assert!(help.contains("Writing an edit in a message"), "{help}");
        assert!(help.contains("red lines: one per line"), "{help}");
        assert!(help.contains("verification: confirmed, reported (the default)"), "{help}");
        // Sent alone, `edit` shows the current values to copy.
        let r = send(&s.app, &alice, "edit position iran").await;
        assert_eq!(r.kind, ReplyKind::Help, "{}", text(&r));
        assert!(text(&r).contains("stance: "), "{}", text(&r));

        let r = send(
            &s.app,
            &alice,
            "edit position iran\nstance: Ready to resume indirect talks, on its terms.\ndemands:\n- Sanctions relief first\n- Talks in Oman",
        )
        .await;
        let t = text(&r);
        assert_eq!(r.kind, ReplyKind::Answer, "{t}");
        assert!(t.contains("What changed"), "{t}");
        assert!(t.contains("stance: "), "{t}");
        assert!(t.contains("Sanctions relief first"), "{t}");
        assert!(t.contains("Reloaded"), "{t}");
        let edited = s.card("actors/iran.toml");
        lines_kept(&original, &edited);
        assert!(edited.contains("as_of = \"2026-11-25\""), "today's date on the new entry");
        // Every door answers from the new card.
        let pos = ask(&s.app, "position iran");
        assert!(pos.contains("Ready to resume indirect talks"), "{pos}");
        // Where it stood before is still in the history.
        let then = ask(&s.app, "position iran on 2026-02-06");
        assert_eq!(
            then.lines().nth(1),
            Some("Would talk about its nuclear programme only, indirectly, and only in Oman."),
            "{then}"
        );
        assert!(then.contains("25 Nov 2026: Ready to resume indirect talks"), "{then}");

        let h = text(&send(&s.app, &alice, "history iran").await);
        assert!(h.contains("#1: "), "{h}");
        assert!(h.contains("by Alice (matrix)"), "{h}");
        assert!(h.contains("Iran: stance, demands, as of (position)"), "{h}");

        // Another moderator cannot undo Alice's edit; a room admin can, but Alice does.
        let bob = moderator("@bob:hs", "Bob", false);
        let r = send(&s.app, &bob, "undo").await;
        assert_eq!(r.kind, ReplyKind::UserError);
        assert!(text(&r).contains("someone else's"), "{}", text(&r));
        assert_eq!(s.card("actors/iran.toml"), edited);

        let r = send(&s.app, &alice, "undo").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert_eq!(s.card("actors/iran.toml"), original, "undo restores the card byte for byte");
        let pos = ask(&s.app, "position iran");
        assert!(!pos.contains("Ready to resume indirect talks"), "{pos}");
        let h = text(&send(&s.app, &alice, "history").await);
        assert!(h.contains("(undone)"), "{h}");
        assert!(h.contains("undo #1"), "{h}");
        let r = send(&s.app, &alice, "undo").await;
        assert!(text(&r).contains("Nothing to undo"), "{}", text(&r));
    });
}

#[test]
fn a_broken_edit_writes_nothing_and_points_at_the_field() {
    runtime().block_on(async {
        let s = setup();
        let original = s.card("actors/iran.toml");
        let alice = moderator("@alice:hs", "Alice", false);
        let r = send(
            &s.app,
            &alice,
            "edit position iran\nstance: Changed.\nconfidence: certain\nsources: dawn-muscat-dialogue, no-such-source",
        )
        .await;
        let t = text(&r);
        assert_eq!(r.kind, ReplyKind::UserError, "{t}");
        assert!(t.contains("was not written: 2 errors"), "{t}");
        assert!(t.contains("iran-us-talks/actors/iran.toml:"), "{t}");
        assert!(t.contains("no-such-source"), "{t}");
        assert!(t.contains("`certain` is not a valid `confidence`"), "{t}");
        assert_eq!(s.card("actors/iran.toml"), original);
        // A line the grammar cannot read is refused before anything else.
        let r = send(&s.app, &alice, "edit position iran\nstanse: typo").await;
        assert!(text(&r).contains("Did you mean `stance:`?"), "{}", text(&r));
        // A 64 KiB edit is refused at once.
        let big = format!("edit position iran\nsummary: {}", "x".repeat(64 * 1024));
        let started = std::time::Instant::now();
        let r = send(&s.app, &alice, &big).await;
        assert!(started.elapsed() < Duration::from_millis(500));
        assert!(text(&r).contains("at most 16 KiB"), "{}", text(&r));
        assert_eq!(s.card("actors/iran.toml"), original);
        let h = text(&send(&s.app, &alice, "history").await);
        assert!(h.contains("No edits"), "{h}");
    });
}

/// Assert that a reply is an answer, not a refusal.
fn answered(r: &Reply) {
    assert_eq!(r.kind, ReplyKind::Answer, "{}", text(r));
}

/// A source added from chat in these tests.
const ADD_SOURCE: &str = "edit source\nid: test-source-from-chat\nurl: https://example.org/test\ntitle: A test page\npublisher: Example";

#[test]
fn sources_and_events_are_appended_and_checked_together() {
    runtime().block_on(async {
        let s = setup();
        let (sources, timeline) = (s.card("sources.toml"), s.card("timeline.toml"));
        let alice = moderator("@alice:hs", "Alice", false);
        // An event citing a source that does not exist yet is refused...
        let event = "edit event\ndate: 2026-10-07\ntitle: Test event from chat\ndetail: A test event.\nactors: iran, oman\nsources: test-source-from-chat";
        let r = send(&s.app, &alice, event).await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        assert!(text(&r).contains("test-source-from-chat"), "{}", text(&r));
        assert_eq!(s.card("timeline.toml"), timeline);
        // ...until the source is added.
        answered(&send(&s.app, &alice, ADD_SOURCE).await);
        lines_kept(&sources, &s.card("sources.toml"));
        let r = send(&s.app, &alice, event).await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        lines_kept(&timeline, &s.card("timeline.toml"));
        assert!(s.card("timeline.toml").contains("verification = \"reported\""));
        let t = ask(&s.app, "timeline since 2026-10-07");
        assert!(t.contains("Test event from chat"), "{t}");
        // A second source with the same id is a duplicate the checks catch.
        let r = send(
            &s.app,
            &alice,
            "edit source\nid: test-source-from-chat\nurl: https://example.org/again\ntitle: Again\npublisher: Example",
        )
        .await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
    });
}

#[test]
fn a_form_opened_before_the_card_changed_is_refused() {
    runtime().block_on(async {
        let s = setup();
        let Command::Edit(q) = dossier::commands::parse("edit position iran").expect("parses")
        else {
            panic!("not an edit")
        };
        let p = dossier::router::prefill(&s.app, &q.request, None).expect("prefill");
        // Someone saves the card by hand meanwhile.
        let path = s.root.join("iran-us-talks/actors/iran.toml");
        let by_hand = format!("{}\n# A note saved by hand.\n", s.card("actors/iran.toml"));
        std::fs::write(&path, &by_hand).expect("write");
        let mut req = q.request.clone();
        req.base = Some(p.hash.clone());
        let mut form = dossier::edit::form::Form::default();
        form.set(
            dossier::edit::form::FormKind::Position
                .field("stance")
                .expect("field"),
            "Stale.",
        );
        let r = dossier::router::submit_form(
            &s.app,
            &req,
            &form,
            &moderator("@a:hs", "A", false),
            false,
        )
        .await;
        assert!(
            text(&r).contains("changed since you opened it"),
            "{}",
            text(&r)
        );
        assert!(text(&r).contains("stance: "), "shows the current value");
        assert_eq!(s.card("actors/iran.toml"), by_hand);
    });
}

pub(crate) fn modal_submit(custom_id: &str, values: &[(&str, &str)], permissions: &str) -> Value {
    let rows: Vec<Value> = values
        .iter()
        .map(|(id, v)| json!({"type": 1, "components": [{"type": 4, "custom_id": id, "value": v}]}))
        .collect();
    interaction(
        5,
        json!({"custom_id": custom_id, "components": rows}),
        permissions,
        "tok-modal",
    )
}

pub(crate) fn input<'a>(modal: &'a Value, id: &str) -> &'a Value {
    modal["data"]["components"]
        .as_array()
        .expect("rows")
        .iter()
        .flat_map(|r| r["components"].as_array().expect("inputs"))
        .find(|c| c["custom_id"] == id)
        .unwrap_or_else(|| panic!("no input {id}: {modal}"))
}

#[test]
fn discord_edit_opens_a_prefilled_modal_and_its_submit_writes_the_card() {
    runtime().block_on(async {
        let s = setup();
        let original = s.card("actors/iran.toml");
        let ep = start_with(s.app.clone(), Duration::from_secs(5)).await;
        let open = command(
            "edit",
            &[("what", 3, json!("position")), ("actor", 3, json!("iran"))],
            MANAGE_GUILD,
        );
        // Members without the permission get no form.
        let (status, body) = ep
            .post(&command(
                "edit",
                &[("what", 3, json!("position")), ("actor", 3, json!("iran"))],
                "0",
            ))
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["flags"], 64, "{body}");
        assert!(
            body.to_string()
                .contains("Only the moderators the operator names"),
            "{body}"
        );

        let (status, modal) = ep.post(&open).await;
        assert_eq!(status, 200, "{modal}");
        assert_eq!(modal["type"], 9, "a modal: {modal}");
        let id = modal["data"]["custom_id"]
            .as_str()
            .expect("custom id")
            .to_owned();
        assert!(
            id.starts_with("dossier-edit|position|iran-us-talks|iran|"),
            "{id}"
        );
        assert!(id.len() <= 100);
        assert!(
            modal["data"]["title"]
                .as_str()
                .expect("title")
                .chars()
                .count()
                <= 45
        );
        let rows = modal["data"]["components"].as_array().expect("rows");
        assert!(!rows.is_empty() && rows.len() <= 5, "{modal}");
        let stance = input(&modal, "stance")["value"]
            .as_str()
            .expect("prefilled")
            .to_owned();
        assert!(
            original.contains(&stance.replace('"', "\\\"")),
            "prefilled from the card: {stance}"
        );
        let sources = input(&modal, "sources")["value"]
            .as_str()
            .expect("sources")
            .to_owned();
        for row in rows {
            let c = &row["components"][0];
            assert!(
                c["label"].as_str().expect("label").chars().count() <= 45,
                "{c}"
            );
            assert!(c["value"].as_str().map_or(0, |v| v.chars().count()) <= 4000);
        }

        // A submit with an unknown source writes nothing and says what to fix.
        let (_, body) = ep
            .post(&modal_submit(
                &id,
                &[
                    ("stance", "Changed from Discord."),
                    ("sources", "bogus-source"),
                ],
                MANAGE_GUILD,
            ))
            .await;
        assert_eq!(body["type"], 4, "{body}");
        assert_eq!(body["data"]["flags"], 64, "mistakes are private: {body}");
        assert!(
            body.to_string()
                .contains("unknown source \\\\`bogus\\\\-source"),
            "{body}"
        );
        assert_eq!(s.card("actors/iran.toml"), original);

        // A non-moderator's submit is refused too (the form could have been forged).
        let (_, body) = ep
            .post(&modal_submit(&id, &[("stance", "Forged.")], "0"))
            .await;
        assert!(
            body.to_string()
                .contains("Only the moderators the operator names"),
            "{body}"
        );
        assert_eq!(s.card("actors/iran.toml"), original);

        // The real submit: written, reloaded, answered with the change.
        let (_, body) = ep
            .post(&modal_submit(
                &id,
                &[
                    ("stance", "Changed from Discord."),
                    (
                        "summary",
                        input(&modal, "summary")["value"].as_str().unwrap_or(""),
                    ),
                    ("demands", "One demand\nAnother demand"),
                    (
                        "red_lines",
                        input(&modal, "red_lines")["value"].as_str().unwrap_or(""),
                    ),
                    ("sources", &sources),
                ],
                MANAGE_GUILD,
            ))
            .await;
        assert_eq!(body["type"], 4, "{body}");
        check_message(&body["data"]);
        let shown = body.to_string();
        assert!(shown.contains("Changed from Discord"), "{shown}");
        assert!(shown.contains("What changed"), "{shown}");
        assert_eq!(
            body["data"]["allowed_mentions"]["parse"],
            json!([]),
            "{body}"
        );
        let edited = s.card("actors/iran.toml");
        lines_kept(&original, &edited);
        assert!(edited.contains("\"Another demand\""), "{edited}");
        assert!(ask(&s.app, "position iran").contains("Changed from Discord"));
        // "More fields" corrects the new entry's other fields, its date among them.
        let more = more_fields_button(&body);
        assert_eq!(
            more,
            "dossier-more|edit correction iran topic iran-us-talks"
        );
        let (_, more_modal) = ep.post(&pressed(&more, MANAGE_GUILD)).await;
        assert_eq!(more_modal["type"], 9, "a modal: {more_modal}");
        assert!(
            input(&more_modal, "as_of")["value"].is_string(),
            "{more_modal}"
        );
        assert!(input(&more_modal, "confidence").is_object());

        // The same form again is stale: the card changed since it opened.
        let (_, body) = ep
            .post(&modal_submit(&id, &[("stance", "Again.")], MANAGE_GUILD))
            .await;
        assert!(
            body.to_string().contains("changed since you opened it"),
            "{body}"
        );
        assert_eq!(s.card("actors/iran.toml"), edited);

        // `/undo` from a Discord administrator reverts it.
        let (_, body) = ep.post(&command("undo", &[], "8")).await;
        assert!(body.to_string().contains("undone"), "{body}");
        assert_eq!(s.card("actors/iran.toml"), original);
    });
}

/// The lines of `after` that differ from `before`, for edits that change lines in place.
fn changed_lines(before: &str, after: &str) -> Vec<String> {
    assert_eq!(before.lines().count(), after.lines().count(), "{after}");
    before
        .lines()
        .zip(after.lines())
        .filter(|(b, a)| b != a)
        .map(|(_, a)| a.to_owned())
        .collect()
}

#[test]
fn existing_events_and_sources_are_changed_and_removed_from_chat() {
    runtime().block_on(async {
        let s = setup();
        let (sources, timeline) = (s.card("sources.toml"), s.card("timeline.toml"));
        let alice = moderator("@alice:hs", "Alice", false);

        // Named without fields, an event opens as it is, to copy and change.
        let r = send(&s.app, &alice, "edit event 2025-06-22 us strikes").await;
        assert_eq!(r.kind, ReplyKind::Help, "{}", text(&r));
        let t = text(&r);
        assert!(t.contains("title: US strikes Iranian nuclear sites"), "{t}");
        assert!(t.contains("Fordow"), "{t}");
        assert!(t.contains("changes it in place"), "{t}");

        // Two events on one day: the date alone is ambiguous, and both are named.
        let r = send(&s.app, &alice, "edit event 2026-10-08\ndetail: X.").await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        let t = text(&r);
        assert!(t.contains("Which event?"), "{t}");
        assert!(t.contains("US sanctions 17 shadow-fleet tankers"), "{t}");
        assert!(t.contains("Putin offers Russia's help to end the war"), "{t}");
        let r = send(&s.app, &alice, "edit event 2026-02-06 geneva\ndetail: X.").await;
        assert!(text(&r).contains("No such event"), "{}", text(&r));
        assert_eq!(s.card("timeline.toml"), timeline);

        // A change is written in place: one line of the timeline differs, and answers show it.
        let r = send(
            &s.app,
            &alice,
            "edit event 2025-06-22 us strikes\ndetail: Changed from chat: the strikes hit Fordow, Natanz and Isfahan.",
        )
        .await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert_eq!(r.title, "Event changed");
        assert!(text(&r).contains("What changed"), "{}", text(&r));
        let changed = s.card("timeline.toml");
        assert_eq!(
            changed_lines(&timeline, &changed),
            ["detail = \"Changed from chat: the strikes hit Fordow, Natanz and Isfahan.\""]
        );
        let t = ask(&s.app, "timeline since 2025-06-22 until 2025-06-22");
        assert!(t.contains("Changed from chat"), "{t}");

        // Removing a source the cards still cite is refused, naming what cites it.
        let r = send(&s.app, &alice, "edit remove source dawn-muscat-dialogue").await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        let t = text(&r);
        assert!(t.contains("dawn-muscat-dialogue"), "{t}");
        assert!(t.contains("actors/iran.toml"), "{t}");
        assert_eq!(s.card("sources.toml"), sources);

        // A source nobody cites is changed, then removed.
        answered(&send(&s.app, &alice, ADD_SOURCE).await);
        let r = send(
            &s.app,
            &alice,
            "edit source test-source-from-chat\ntitle: A better title",
        )
        .await;
        assert_eq!(r.title, "Source changed", "{}", text(&r));
        assert!(s.card("sources.toml").contains("title = \"A better title\""));
        let r = send(&s.app, &alice, "edit remove source test-source-from-chat").await;
        assert_eq!(r.title, "Source removed", "{}", text(&r));
        let after = s.card("sources.toml");
        assert!(!after.contains("test-source-from-chat"), "{after}");
        lines_kept(&sources, &after);

        // An event removed is gone from the answers; `undo` brings it back.
        let before = s.card("timeline.toml");
        let r = send(&s.app, &alice, "edit remove event 2026-10-07 houthi").await;
        assert_eq!(r.title, "Event removed from the timeline", "{}", text(&r));
        assert!(!s.card("timeline.toml").contains("Houthi attacks on airports"));
        lines_kept(&s.card("timeline.toml"), &before);
        let t = ask(&s.app, "timeline since 2026-10-07");
        assert!(!t.contains("Houthi attacks on airports"), "{t}");
        let r = send(&s.app, &alice, "undo").await;
        assert!(r.title.contains("undone"), "{}", text(&r));
        assert_eq!(s.card("timeline.toml"), before);
        let t = ask(&s.app, "timeline since 2026-10-07");
        assert!(t.contains("Houthi attacks on airports"), "{t}");

        // The history names each kind of edit and the entry it touched.
        let h = text(&send(&s.app, &alice, "history timeline").await);
        assert!(h.contains("(remove-event)"), "{h}");
        assert!(h.contains("(change-event)"), "{h}");
        assert!(h.contains("2025-06-22 US strikes Iranian nuclear sites"), "{h}");

        // Positions are not removed from chat, and a removal must say what.
        for (line, says) in [
            ("edit remove position iran", "say which entry of the history"),
            ("edit remove event", "say which event"),
        ] {
            let e = dossier::matrix::parse_with_fields(line).expect_err(line);
            assert!(format!("{e:?}").contains(says), "{e:?}");
        }
    });
}

#[test]
fn a_members_suggested_removal_waits_for_a_moderator() {
    runtime().block_on(async {
        let s = setup();
        let timeline = s.card("timeline.toml");
        let bob = member("@bob:hs", "Bob");
        let r = send(&s.app, &bob, "suggest remove event 2026-10-07 houthi").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert_eq!(s.card("timeline.toml"), timeline, "nothing changes yet");
        let id: i64 = r
            .title
            .trim_start_matches("Suggestion #")
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a suggestion number");
        let alice = moderator("@alice:hs", "Alice", false);
        let r = send(&s.app, &alice, &format!("approve {id}")).await;
        assert!(
            r.title.starts_with(&format!("Suggestion #{id} approved")),
            "{}",
            text(&r)
        );
        assert!(
            !s.card("timeline.toml")
                .contains("Houthi attacks on airports")
        );
    });
}

#[test]
fn expert_views_are_added_changed_and_removed_from_chat() {
    runtime().block_on(async {
        let s = setup();
        let experts = s.card("experts.toml");
        let alice = moderator("@alice:hs", "Alice", false);
        answered(&send(&s.app, &alice, ADD_SOURCE).await);

        // A view whose quote names no source is refused by the card checks, and nothing is
        // written.
        let view = "edit expert\nname: Test Expert From Chat\naffiliation: An Institute\ndate: 2026-10-01\nreported: yes\nsummary: A test view, in our words.\nquote: Words said verbatim\nabout: iran, oman\nsources: test-source-from-chat";
        let r = send(&s.app, &alice, view).await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        assert!(text(&r).contains("quote_source"), "{}", text(&r));
        assert_eq!(s.card("experts.toml"), experts);

        // With its quote's source it is added, with an id made from the name.
        let r = send(
            &s.app,
            &alice,
            &format!("{view}\nquote source: test-source-from-chat"),
        )
        .await;
        answered(&r);
        assert_eq!(r.title, "Expert view added");
        let added = s.card("experts.toml");
        lines_kept(&experts, &added);
        assert!(added.contains("id = \"test-expert-from-chat\""), "{added}");
        assert!(added.contains("reported = true"), "{added}");
        let t = ask(&s.app, "experts about oman");
        assert!(t.contains("Test Expert From Chat"), "{t}");
        assert!(t.contains("Words said verbatim"), "{t}");

        // Changed by id: one line differs.
        let r = send(
            &s.app,
            &alice,
            "edit expert test-expert-from-chat\nsummary: A better summary.",
        )
        .await;
        assert_eq!(r.title, "Expert view changed", "{}", text(&r));
        assert_eq!(
            changed_lines(&added, &s.card("experts.toml")),
            ["summary = \"A better summary.\""]
        );
        // A flag that is neither yes nor no is refused by the checks.
        let r = send(
            &s.app,
            &alice,
            "edit expert test-expert-from-chat\nreported: perhaps",
        )
        .await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        assert!(
            text(&r).contains("`reported` takes yes or no, not `perhaps`"),
            "{}",
            text(&r)
        );

        // Removed: the experts card is as it was.
        let r = send(&s.app, &alice, "edit remove expert test-expert-from-chat").await;
        assert_eq!(r.title, "Expert view removed", "{}", text(&r));
        assert_eq!(s.card("experts.toml").trim_end(), experts.trim_end());
        assert!(!ask(&s.app, "experts about oman").contains("Test Expert From Chat"));
    });
}

#[test]
fn discord_adds_an_expert_view_then_its_quote_with_more_fields() {
    runtime().block_on(async {
        let s = setup();
        let alice = moderator("@alice:hs", "Alice", false);
        answered(&send(&s.app, &alice, ADD_SOURCE).await);
        let ep = start_with(s.app.clone(), Duration::from_secs(5)).await;
        let (_, body) = ep
            .post(&autocomplete(
                "edit",
                &[("what", 3, json!("expert")), ("actor", 3, json!("parsi"))],
                "actor",
            ))
            .await;
        assert!(
            body.to_string().contains("\"value\":\"trita-parsi\""),
            "{body}"
        );
        let (_, modal) = ep
            .post(&command(
                "edit",
                &[("what", 3, json!("expert"))],
                MANAGE_GUILD,
            ))
            .await;
        assert_eq!(modal["type"], 9, "a modal: {modal}");
        let id = modal["data"]["custom_id"].as_str().expect("id").to_owned();
        assert_eq!(
            id,
            format!(
                "dossier-edit|expert|iran-us-talks||{}",
                &id[id.len() - 16..]
            )
        );
        let fields = [
            ("name", "Test Expert From Discord"),
            ("affiliation", "An Institute"),
            ("date", "2026-10-01"),
            ("summary", "A test view, in our words."),
            ("sources", "test-source-from-chat"),
        ];
        for (k, _) in fields {
            input(&modal, k);
        }
        let (_, body) = ep.post(&modal_submit(&id, &fields, MANAGE_GUILD)).await;
        assert!(body.to_string().contains("Expert view added"), "{body}");
        check_message(&body["data"]);
        let more = more_fields_button(&body);
        assert_eq!(more, "dossier-more|edit expert #".to_owned() + &more[26..]);
        let (_, modal) = ep.post(&pressed(&more, MANAGE_GUILD)).await;
        let id = modal["data"]["custom_id"].as_str().expect("id").to_owned();
        assert!(id.starts_with("dossier-edit|change-expert|"), "{id}");
        let (_, body) = ep
            .post(&modal_submit(
                &id,
                &[
                    ("role", "Fellow"),
                    ("reported", "no"),
                    ("quote", "Words said verbatim"),
                    ("quote_source", "test-source-from-chat"),
                    ("about", "iran"),
                ],
                MANAGE_GUILD,
            ))
            .await;
        assert!(body.to_string().contains("Expert view changed"), "{body}");
        let card = s.card("experts.toml");
        assert!(card.contains("reported = false"), "{card}");
        assert!(card.contains("quote = \"Words said verbatim\""), "{card}");
        let t = ask(&s.app, "experts about iran");
        assert!(t.contains("Test Expert From Discord"), "{t}");
    });
}

#[test]
fn an_actors_people_are_added_changed_and_removed_from_chat_and_discord() {
    runtime().block_on(async {
        let s = setup();
        let iran = s.card("actors/iran.toml");
        let alice = moderator("@alice:hs", "Alice", false);

        let r = send(&s.app, &alice, "edit person iran araghchi").await;
        assert_eq!(r.kind, ReplyKind::Help, "{}", text(&r));
        assert!(text(&r).contains("name: Abbas Araghchi"), "{}", text(&r));

        let r = send(
            &s.app,
            &alice,
            "edit person iran\nname: Test Person From Chat\nrole: A test role\nsources: dawn-muscat-dialogue",
        )
        .await;
        answered(&r);
        assert_eq!(r.title, "Person added to Iran's card");
        let added = s.card("actors/iran.toml");
        lines_kept(&iran, &added);
        assert!(
            added.find("Test Person From Chat") < added.find("[[position]]"),
            "beside the other people: {added}"
        );
        assert!(ask(&s.app, "position iran").contains("Test Person From Chat"));

        let r = send(
            &s.app,
            &alice,
            "edit person iran test person\nrole: Another test role",
        )
        .await;
        assert_eq!(r.title, "Person changed on Iran's card", "{}", text(&r));
        assert_eq!(
            changed_lines(&added, &s.card("actors/iran.toml")),
            ["role = \"Another test role\""]
        );
        let r = send(&s.app, &alice, "edit person iran nobody\nrole: X").await;
        assert!(text(&r).contains("No such person"), "{}", text(&r));
        // An actor's name of several words runs into the person's, and is still found.
        let r = send(&s.app, &alice, "edit person united states witkoff").await;
        assert_eq!(r.kind, ReplyKind::Help, "{}", text(&r));
        assert!(text(&r).contains("name: Steve Witkoff"), "{}", text(&r));
        let r = send(&s.app, &alice, "edit person united states").await;
        assert_eq!(r.title, "Add a person to United States's card", "{}", text(&r));

        // Discord: autocomplete offers people by name, and the form opens prefilled.
        let ep = start_with(s.app.clone(), Duration::from_secs(5)).await;
        let (_, body) = ep
            .post(&autocomplete(
                "edit",
                &[("what", 3, json!("person")), ("actor", 3, json!("test person"))],
                "actor",
            ))
            .await;
        assert!(
            body.to_string()
                .contains("\"value\":\"iran Test Person From Chat\""),
            "{body}"
        );
        let (_, modal) = ep
            .post(&command(
                "edit",
                &[
                    ("what", 3, json!("person")),
                    ("actor", 3, json!("iran Test Person From Chat")),
                ],
                MANAGE_GUILD,
            ))
            .await;
        assert_eq!(input(&modal, "role")["value"], "Another test role");
        let id = modal["data"]["custom_id"].as_str().expect("id").to_owned();
        assert!(
            id.starts_with("dossier-edit|change-person|iran-us-talks|iran #"),
            "{id}"
        );

        let r = send(&s.app, &alice, "edit remove person iran test person").await;
        assert_eq!(r.title, "Person removed from Iran's card", "{}", text(&r));
        assert_eq!(s.card("actors/iran.toml"), iran);
    });
}

#[test]
fn an_older_entry_of_a_position_history_is_corrected_or_removed() {
    runtime().block_on(async {
        let s = setup();
        let iran = s.card("actors/iran.toml");
        let alice = moderator("@alice:hs", "Alice", false);

        // Named by its date, the entry opens with its own values, not the latest's.
        let r = send(&s.app, &alice, "edit correction iran 2026-03-12").await;
        assert_eq!(r.kind, ReplyKind::Help, "{}", text(&r));
        assert!(
            text(&r).contains("stance: At war after the strikes"),
            "{}",
            text(&r)
        );

        let r = send(
            &s.app,
            &alice,
            "edit correction iran 2026-03-12\nconfidence: low",
        )
        .await;
        assert_eq!(
            r.title,
            "Iran's position of 2026-03-12 corrected",
            "{}",
            text(&r)
        );
        let corrected = s.card("actors/iran.toml");
        let changed = changed_lines(&iran, &corrected);
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert!(
            changed[0].starts_with("confidence = \"low\""),
            "{changed:?}"
        );
        let on = ask(&s.app, "position iran on 2026-03-20");
        assert!(on.contains("At war after the strikes"), "{on}");

        // Removed: the history no longer has it, and what held before it holds again.
        let r = send(&s.app, &alice, "edit remove position iran 2026-03-12").await;
        assert_eq!(
            r.title,
            "Iran's position of 2026-03-12 removed",
            "{}",
            text(&r)
        );
        let on = ask(&s.app, "position iran on 2026-03-20");
        assert!(!on.contains("At war after the strikes"), "{on}");
        assert!(
            on.contains("Would talk about its nuclear programme only"),
            "{on}"
        );
        let r = send(&s.app, &alice, "undo").await;
        assert!(r.title.contains("undone"), "{}", text(&r));
        assert_eq!(s.card("actors/iran.toml"), corrected);

        // An actor's name of several words before the date.
        let r = send(&s.app, &alice, "edit correction united states 2026-02").await;
        assert!(
            r.title
                .starts_with("Correct United States's position of 2026-02-06 "),
            "{}",
            text(&r)
        );
    });
}

/// The custom id of the "More fields" button under an answer.
fn more_fields_button(body: &Value) -> String {
    body["data"]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().into_iter().flatten())
        .find_map(|b| {
            b["custom_id"]
                .as_str()
                .filter(|c| c.starts_with("dossier-more|"))
        })
        .unwrap_or_else(|| panic!("no More fields button: {body}"))
        .to_owned()
}

/// A button pressed by a member with these permissions.
fn pressed(custom_id: &str, permissions: &str) -> Value {
    let mut v = interaction(
        3,
        json!({"custom_id": custom_id, "component_type": 2}),
        permissions,
        "tok-button",
    );
    v["message"] = crate::fake_discord::message_json();
    v
}

#[test]
fn discord_changes_an_event_in_a_prefilled_form_and_removes_without_one() {
    runtime().block_on(async {
        let s = setup();
        let timeline = s.card("timeline.toml");
        let sources = s.card("sources.toml");
        let ep = start_with(s.app.clone(), Duration::from_secs(5)).await;

        // Autocomplete offers the timeline's events once `what` is an event.
        let (_, body) = ep
            .post(&autocomplete(
                "edit",
                &[
                    ("what", 3, json!("event")),
                    ("actor", 3, json!("strikes iranian")),
                ],
                "actor",
            ))
            .await;
        let offered = body.to_string();
        assert!(
            offered.contains("2025-06-22 US strikes Iranian nuclear sites"),
            "{offered}"
        );
        let (_, body) = ep
            .post(&autocomplete(
                "edit",
                &[
                    ("what", 3, json!("remove-source")),
                    ("actor", 3, json!("dawn-muscat")),
                ],
                "actor",
            ))
            .await;
        assert!(
            body.to_string()
                .contains("\"value\":\"dawn-muscat-dialogue\""),
            "{body}"
        );

        let (_, modal) = ep
            .post(&command(
                "edit",
                &[
                    ("what", 3, json!("event")),
                    (
                        "actor",
                        3,
                        json!("2025-06-22 US strikes Iranian nuclear sites"),
                    ),
                ],
                MANAGE_GUILD,
            ))
            .await;
        assert_eq!(modal["type"], 9, "a modal: {modal}");
        let id = modal["data"]["custom_id"].as_str().expect("id").to_owned();
        assert!(
            id.starts_with("dossier-edit|change-event|iran-us-talks|#"),
            "{id}"
        );
        assert!(id.len() <= 100);
        assert_eq!(
            input(&modal, "title")["value"],
            "US strikes Iranian nuclear sites"
        );
        assert_eq!(input(&modal, "date")["value"], "2025-06-22");
        let value = |k: &str| input(&modal, k)["value"].as_str().unwrap_or("").to_owned();
        let submit = |detail: &str| {
            modal_submit(
                &id,
                &[
                    ("date", &value("date")),
                    ("title", &value("title")),
                    ("detail", detail),
                    ("actors", &value("actors")),
                    ("sources", &value("sources")),
                ],
                MANAGE_GUILD,
            )
        };
        let (_, body) = ep.post(&submit("Changed from Discord.")).await;
        assert_eq!(body["type"], 4, "{body}");
        check_message(&body["data"]);
        assert!(body.to_string().contains("Event changed"), "{body}");
        let more = more_fields_button(&body);
        let changed = s.card("timeline.toml");
        assert_eq!(
            changed_lines(&timeline, &changed),
            ["detail = \"Changed from Discord.\""]
        );
        // The same form again is stale.
        let (_, body) = ep.post(&submit("Again.")).await;
        assert!(
            body.to_string().contains("changed since you opened it"),
            "{body}"
        );
        assert_eq!(s.card("timeline.toml"), changed);

        // The answer's "More fields" button opens the fields five inputs left out: here the
        // event's verification, prefilled, and its submit changes only that.
        assert!(more.starts_with("dossier-more|edit event #"), "{more}");
        let (_, body) = ep.post(&pressed(&more, "0")).await;
        assert!(
            body.to_string()
                .contains("Only the moderators the operator names"),
            "{body}"
        );
        let (_, modal) = ep.post(&pressed(&more, MANAGE_GUILD)).await;
        assert_eq!(modal["type"], 9, "a modal: {modal}");
        assert_eq!(input(&modal, "verification")["value"], "confirmed");
        let id2 = modal["data"]["custom_id"].as_str().expect("id").to_owned();
        assert!(id2.ends_with("|more"), "{id2}");
        let (_, body) = ep
            .post(&modal_submit(
                &id2,
                &[("verification", "disputed")],
                MANAGE_GUILD,
            ))
            .await;
        assert!(body.to_string().contains("Event changed"), "{body}");
        assert_eq!(
            changed_lines(&changed, &s.card("timeline.toml")),
            ["verification = \"disputed\""]
        );

        // A removal needs no form: it is answered at once, and refused while still cited.
        let (_, body) = ep
            .post(&command(
                "edit",
                &[
                    ("what", 3, json!("remove-source")),
                    ("actor", 3, json!("dawn-muscat-dialogue")),
                ],
                MANAGE_GUILD,
            ))
            .await;
        assert_eq!(body["type"], 4, "{body}");
        assert_eq!(body["data"]["flags"], 64, "mistakes are private: {body}");
        assert!(body.to_string().contains("not written"), "{body}");
        assert_eq!(s.card("sources.toml"), sources);
        // Members cannot remove anything.
        let (_, body) = ep
            .post(&command(
                "edit",
                &[
                    ("what", 3, json!("remove-event")),
                    ("actor", 3, json!("2026-10-07 houthi")),
                ],
                "0",
            ))
            .await;
        assert!(
            body.to_string()
                .contains("Only the moderators the operator names"),
            "{body}"
        );
        let (_, body) = ep
            .post(&command(
                "edit",
                &[
                    ("what", 3, json!("remove-event")),
                    ("actor", 3, json!("2026-10-07 houthi")),
                ],
                MANAGE_GUILD,
            ))
            .await;
        assert!(body.to_string().contains("Event removed"), "{body}");
        assert!(
            !s.card("timeline.toml")
                .contains("Houthi attacks on airports")
        );
    });
}

/// A copy of the bundled topic in a fresh git work tree (`briefings/` in it, committed), and
/// a service with an edit desk on it; the work tree, the state folder and the service.
pub(crate) fn in_git_work_tree() -> (tempfile::TempDir, tempfile::TempDir, Arc<App>) {
    in_git_work_tree_with(named_moderators())
}

/// [`in_git_work_tree`] with the operator naming `moderators`.
pub(crate) fn in_git_work_tree_with(
    moderators: dossier::config::Moderators,
) -> (tempfile::TempDir, tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("briefings");
    copy_tree(&bundled(), &root);
    commit_as_setup(dir.path());
    let loaded = load(&root, bundled_today());
    let state = tempfile::tempdir().expect("state dir");
    let desk = Desk::open(&root, state.path()).expect("desk");
    let app = Arc::new(
        App::new(
            dossier::library::Library::new(loaded.topics),
            None,
            Clock::Fixed(bundled_today()),
        )
        .reading(root, &loaded.report)
        .with_desk(Arc::new(desk))
        .with_moderators(moderators),
    );
    (dir, state, app)
}

#[test]
fn in_a_git_work_tree_each_edit_is_a_commit_by_the_moderator_and_undo_reverts_it() {
    runtime().block_on(async {
        let (dir, _state, app) = in_git_work_tree();
        // Something else staged in the work tree stays out of the edit's commit.
        std::fs::write(dir.path().join("NOTES.md"), "draft").expect("notes");
        git(dir.path(), &["add", "NOTES.md"]);
        let alice = moderator("@alice:example.org", "Alice", false);
        let r = send(&app, &alice, "edit correction iran\nconfidence: high").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert!(text(&r).contains("git commit"), "{}", text(&r));
        let log = git(dir.path(), &["log", "-1", "--format=%an <%ae>%n%s%n%b"]);
        assert!(
            log.starts_with("Alice <alice-example-org@matrix.dossier.invalid>\n"),
            "{log}"
        );
        assert!(
            log.contains("iran-us-talks: Iran: confidence (correct position)"),
            "{log}"
        );
        assert!(
            log.contains("Edited-from-chat-by: matrix @alice:example.org (Alice)"),
            "{log}"
        );
        let files = git(dir.path(), &["show", "--name-only", "--format=", "HEAD"]);
        assert_eq!(files.trim(), "briefings/iran-us-talks/actors/iran.toml");
        let status = git(dir.path(), &["status", "--porcelain"]);
        assert_eq!(
            status.trim(),
            "A  NOTES.md",
            "only the unrelated file is left"
        );
        let h = text(&send(&app, &alice, "history").await);
        assert!(h.contains(", commit "), "{h}");

        let r = send(&app, &alice, "undo").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        let log = git(dir.path(), &["log", "-2", "--format=%s"]);
        assert!(
            log.starts_with("Revert \"iran-us-talks: Iran: confidence (correct position)\""),
            "{log}"
        );
        let diff = git(dir.path(), &["diff", "HEAD~2", "HEAD", "--stat"]);
        assert_eq!(diff.trim(), "", "the revert undoes the edit exactly");
        let status = git(dir.path(), &["status", "--porcelain"]);
        assert_eq!(status.trim(), "A  NOTES.md");
    });
}

fn member(id: &str, name: &str) -> Asker {
    Asker {
        standing: dossier::service::Standing {
            user: Some(id.into()),
            ..Default::default()
        },
        author: Some(Author {
            platform: dossier::platform::Platform::Matrix,
            id: id.into(),
            name: name.into(),
        }),
        ..Asker::on(Platform::Matrix)
    }
}

#[test]
fn a_members_suggestion_reaches_the_moderators_and_is_approved_or_rejected() {
    runtime().block_on(async {
        let s = setup();
        let original = s.card("actors/iran.toml");
        let mut notices = s.app.subscribe();
        let bob = member("@bob:hs", "Bob");
        // A suggestion that could never be approved is refused at once.
        let r = send(
            &s.app,
            &bob,
            "suggest position iran\nstance: Bob's idea.\nsources: not-a-source",
        )
        .await;
        assert_eq!(r.kind, ReplyKind::UserError, "{}", text(&r));
        assert!(
            text(&r).contains("The suggestion was not sent"),
            "{}",
            text(&r)
        );
        assert!(
            notices.try_recv().is_err(),
            "nothing reaches the moderators"
        );

        let r = send(&s.app, &bob, "suggest position iran\nstance: Bob's idea.").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert!(r.private);
        assert!(
            text(&r).contains("Suggestion #1 sent to the moderators"),
            "{}",
            text(&r)
        );
        assert_eq!(
            s.card("actors/iran.toml"),
            original,
            "nothing changes until approved"
        );
        let n = notices.try_recv().expect("a notice for the moderators");
        assert_eq!(n.kind, dossier::service::NoticeKind::Suggestion(1));
        assert!(
            n.title
                .contains("Suggestion #1 from Bob (matrix): Iran's position"),
            "{}",
            n.title
        );
        assert!(
            n.detail.contains("Bob's idea.") && n.detail.contains("approve 1"),
            "{}",
            n.detail
        );

        let alice = moderator("@alice:hs", "Alice", false);
        let waiting = text(&send(&s.app, &alice, "suggestions").await);
        assert!(waiting.contains("1 suggestion waiting"), "{waiting}");
        assert!(
            waiting.contains("#1: position iran (stance) from Bob (matrix)"),
            "{waiting}"
        );
        let r = send(&s.app, &alice, "approve 1").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert!(text(&r).contains("Suggestion #1 approved"), "{}", text(&r));
        assert!(text(&r).contains("Suggested by Bob"), "{}", text(&r));
        lines_kept(&original, &s.card("actors/iran.toml"));
        assert!(ask(&s.app, "position iran").contains("Bob's idea."));
        let h = text(&send(&s.app, &alice, "history").await);
        assert!(
            h.contains("by Alice (matrix)") && h.contains("suggested by Bob (matrix)"),
            "{h}"
        );
        let r = send(&s.app, &alice, "approve 1").await;
        assert!(text(&r).contains("already approved"), "{}", text(&r));

        let edited = s.card("actors/iran.toml");
        let r = send(&s.app, &bob, "suggest correction iran\nconfidence: low").await;
        assert!(text(&r).contains("Suggestion #2"), "{}", text(&r));
        let r = send(&s.app, &alice, "reject 2 reason not in the sources").await;
        assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        assert!(
            text(&r).contains("rejected") && text(&r).contains("not in the sources"),
            "{}",
            text(&r)
        );
        assert_eq!(s.card("actors/iran.toml"), edited);
        let r = send(&s.app, &alice, "approve 2").await;
        assert!(text(&r).contains("already rejected"), "{}", text(&r));
        let waiting = text(&send(&s.app, &alice, "suggestions").await);
        assert!(waiting.contains("No suggestions waiting"), "{waiting}");
        let r = send(&s.app, &alice, "approve 99").await;
        assert!(text(&r).contains("no suggestion #99"), "{}", text(&r));
        // A member cannot flood the moderators: five waiting suggestions at most.
        for i in 0..5 {
            let r = send(
                &s.app,
                &bob,
                &format!("suggest correction iran\nstance: Idea {i}."),
            )
            .await;
            assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        }
        let r = send(
            &s.app,
            &bob,
            "suggest correction iran\nstance: One too many.",
        )
        .await;
        assert!(text(&r).contains("waiting"), "{}", text(&r));
    });
}

#[test]
fn discord_suggest_then_approve_from_the_moderators_channel() {
    runtime().block_on(async {
        let s = setup();
        let original = s.card("actors/iran.toml");
        let ep = start_with(s.app.clone(), Duration::from_secs(5)).await;
        // Anyone may open the suggestion form.
        let (_, modal) = ep
            .post(&command(
                "suggest",
                &[("what", 3, json!("position")), ("actor", 3, json!("iran"))],
                "0",
            ))
            .await;
        assert_eq!(modal["type"], 9, "{modal}");
        let id = modal["data"]["custom_id"].as_str().expect("id").to_owned();
        assert!(
            id.starts_with("dossier-suggest|position|iran-us-talks|iran|"),
            "{id}"
        );
        let (_, body) = ep
            .post(&modal_submit(
                &id,
                &[("stance", "A member's suggestion.")],
                "0",
            ))
            .await;
        assert_eq!(body["data"]["flags"], 64, "private: {body}");
        assert!(body.to_string().contains("Suggestion #1 sent"), "{body}");
        assert_eq!(s.card("actors/iran.toml"), original);

        // What the moderators' channel gets: Approve and Reject buttons.
        let notice = dossier::service::Notice {
            kind: dossier::service::NoticeKind::Suggestion(1),
            title: "Suggestion #1".into(),
            detail: "stance: x".into(),
        };
        let m = serde_json::to_value(dossier::discord::moderation::message(&notice)).expect("json");
        let ids: Vec<&str> = m["components"][0]["components"]
            .as_array()
            .expect("buttons")
            .iter()
            .filter_map(|b| b["custom_id"].as_str())
            .collect();
        assert_eq!(ids, ["dossier-approve|1", "dossier-reject|1"]);

        // A member without the permission cannot press Approve; a moderator can.
        let (_, body) = ep.post(&button("dossier-approve|1")).await;
        assert!(
            body.to_string()
                .contains("Only the moderators the operator names"),
            "{body}"
        );
        assert_eq!(s.card("actors/iran.toml"), original);
        let mut press = button("dossier-approve|1");
        press["member"]["permissions"] = json!(MANAGE_GUILD);
        let (_, body) = ep.post(&press).await;
        assert!(
            body.to_string().contains("Suggestion #1 approved"),
            "{body}"
        );
        assert!(
            s.card("actors/iran.toml")
                .contains("A member's suggestion.")
        );
    });
}

#[test]
fn concurrent_edits_to_one_topic_are_taken_one_at_a_time_and_none_is_lost() {
    runtime().block_on(async {
        let s = setup();
        let timeline = s.card("timeline.toml");
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let app = s.app.clone();
                tokio::spawn(async move {
                    let who = moderator(&format!("@m{i}:hs"), &format!("M{i}"), false);
                    let msg = format!(
                        "edit event\ndate: 2026-10-0{}\ntitle: Concurrent event {i}\ndetail: Added at the same time as seven others.\nsources: dawn-muscat-dialogue",
                        i + 1
                    );
                    send(&app, &who, &msg).await
                })
            })
            .collect();
        for t in tasks {
            let r = t.await.expect("task");
            assert_eq!(r.kind, ReplyKind::Answer, "{}", text(&r));
        }
        let after = s.card("timeline.toml");
        lines_kept(&timeline, &after);
        for i in 0..8 {
            assert!(after.contains(&format!("Concurrent event {i}")), "event {i} lost");
        }
        let h = text(&send(&s.app, &moderator("@a:hs", "A", false), "history timeline").await);
        assert_eq!(h.matches("(event)").count(), 8, "{h}");
    });
}
