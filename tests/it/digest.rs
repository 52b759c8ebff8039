//! The daily briefing's "what changed" on pairs of fixture libraries: each kind of change, several
//! at once, and none; the first briefing; `when_unchanged`; a snapshot that round-trips through
//! JSON; and `dossier digest` in the terminal.

use crate::common::*;
use dossier::digest::{Previous, TopicSnapshot, WhenUnchanged, diff, digest};
use dossier::library::Library;
use dossier::render::text::{TextStyle, render};
use std::path::Path;

fn library(root: &Path) -> Library {
    let loaded = load(root, fixture_today());
    assert!(!loaded.report.has_errors(), "{}", loaded.report.human());
    Library::new(loaded.topics)
}

/// The small fixture, then the same after `edit` changes files in it.
fn before_after(edit: impl FnOnce(&Path)) -> (Library, Library) {
    let dir = small_tree();
    let before = library(dir.path());
    edit(&dir.path().join("river-treaty"));
    let after = library(dir.path());
    (before, after)
}

fn replace(dir: &Path, rel: &str, from: &str, to: &str) {
    let p = dir.join(rel);
    let text = std::fs::read_to_string(&p).expect("read");
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).expect("write");
}

fn append(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    let mut t = std::fs::read_to_string(&p).expect("read");
    t.push_str(text);
    std::fs::write(&p, t).expect("write");
}

fn changes(edit: impl FnOnce(&Path)) -> (dossier::digest::Changes, Library, TopicSnapshot) {
    let (before, after) = before_after(edit);
    let snap = TopicSnapshot::of(before.topic(0));
    // What was stored went through JSON.
    let snap = TopicSnapshot::from_json(&snap.to_json()).expect("round trip");
    (diff(&snap, after.topic(0)), after, snap)
}

const NEW_EVENT: &str = "\n[[event]]\ndate = \"2026-03-19\"\ntitle = \"Second round set\"\ndetail = \"The second round is set for April.\"\nactors = [\"northland\"]\nverification = \"reported\"\nsources = [\"gazette-talks\"]\n";

#[test]
fn nothing_changed_is_no_change() {
    let (c, _, _) = changes(|_| {});
    assert!(c.is_empty(), "{c:#?}");
}

#[test]
fn each_kind_of_change_is_seen() {
    let (c, after, _) = changes(|d| append(d, "timeline.toml", NEW_EVENT));
    assert_eq!(c.events_added.len(), 1);
    assert_eq!(
        after.topic(0).events[c.events_added[0]].title,
        "Second round set"
    );
    assert_eq!(c.count(), 1);

    let (c, _, _) = changes(|d| {
        replace(
            d,
            "timeline.toml",
            "River levels fall to a ten-year low.",
            "River levels fall to a twenty-year low.",
        )
    });
    assert_eq!((c.events_added.len(), c.events_revised.len()), (0, 1));

    let (c, _, _) = changes(|d| {
        replace(
            d,
            "timeline.toml",
            "title = \"Dry winter\"",
            "title = \"A dry winter\"",
        )
    });
    assert_eq!((c.events_added.len(), c.events_removed.len()), (1, 1));
    assert!(c.events_removed[0].ends_with("|Dry winter"));

    // A new entry in Northland's history: its stance, demands and red lines before → after.
    let (c, _, _) = changes(|d| {
        append(
            d,
            "actors/northland.toml",
            "\n[[position]]\nstance = \"Now open to a seasonal quota.\"\nsummary = \"Northland moved.\"\ndemands = [\"A seasonal quota with a floor\"]\nred_lines = [\"No international control of its dams\"]\nas_of = \"2026-03-19\"\nconfidence = \"medium\"\nsources = [\"gazette-talks\"]\n",
        )
    });
    assert_eq!(c.positions.len(), 1, "{c:#?}");
    let p = &c.positions[0];
    assert_eq!(p.actor, "northland");
    let before = p.before.as_ref().expect("had a position");
    assert_eq!(before.stance, "Wants a fixed yearly quota.");
    assert_eq!(p.after.stance, "Now open to a seasonal quota.");
    assert_eq!(p.after.demands, ["A seasonal quota with a floor"]);

    let (c, _, _) = changes(|d| {
        append(
            d,
            "experts.toml",
            "\n[[view]]\nid = \"second-analyst\"\nname = \"Jo Example\"\naffiliation = \"River Institute\"\ndate = \"2026-03-18\"\nsummary = \"Quotas alone will not settle it.\"\nabout = [\"southland\"]\nsources = [\"gazette-talks\"]\n",
        )
    });
    assert_eq!(c.experts_added.len(), 1);

    let (c, _, _) = changes(|d| {
        append(
            d,
            "sources.toml",
            "\n[[source]]\nid = \"gazette-second\"\ntitle = \"Second round set\"\npublisher = \"The River Gazette\"\nurl = \"https://gazette.example.org/second-round\"\npublished = \"2026-03-19\"\nkind = \"news\"\n",
        );
        append(
            d,
            "timeline.toml",
            &NEW_EVENT.replace("[\"gazette-talks\"]", "[\"gazette-second\"]"),
        );
    });
    assert_eq!((c.sources_added.len(), c.events_added.len()), (1, 1));

    let (c, _, _) = changes(|d| {
        replace(
            d,
            "topic.toml",
            "status = \"active\"",
            "status = \"paused\"",
        );
        replace(
            d,
            "topic.toml",
            "A second round is planned.",
            "Talks are on hold.",
        );
    });
    assert_eq!(c.status, Some(("active".into(), "paused".into())));
    assert!(c.status_note_changed);
}

#[test]
fn several_changes_at_once_in_one_briefing() {
    let (c, after, snap) = changes(|d| {
        append(d, "timeline.toml", NEW_EVENT);
        replace(
            d,
            "actors/southland.toml",
            "Wants a quota that follows the seasons.",
            "Accepts a fixed quota with a spring bonus.",
        );
        replace(
            d,
            "topic.toml",
            "status = \"active\"",
            "status = \"paused\"",
        );
    });
    assert_eq!(c.count(), 3, "{c:#?}");
    let today = day("2026-03-20");
    let r = digest(
        &after,
        0,
        Some(Previous {
            snapshot: &snap,
            day: day("2026-03-19"),
        }),
        today,
        fixture_today(),
        WhenUnchanged::Post,
    )
    .expect("a briefing");
    let text = render(&r, TextStyle::PLAIN);
    assert!(
        text.contains("3 changes since the briefing of 19 Mar 2026"),
        "{text}"
    );
    assert!(text.contains("Second round set"), "{text}");
    assert!(
        text.contains("Stance: Wants a quota that follows the seasons. → Accepts a fixed quota with a spring bonus."),
        "{text}"
    );
    assert!(text.contains("active → paused"), "{text}");
    // Then the bottom line and what to watch, with numbered sources.
    let bottom = text.find("Bottom line").expect("bottom line");
    assert!(text.find("New and revised events").expect("changes") < bottom);
    assert!(
        text.contains("What to watch") && text.contains("[1]"),
        "{text}"
    );
    // The renderers keep every platform's limits.
    let discord = dossier::render::discord::render(&r);
    assert!(!discord.embeds.is_empty());
    let matrix = dossier::render::matrix::render(&r, "!");
    assert!(
        matrix.html.contains("Positions that moved"),
        "{}",
        matrix.html
    );
}

#[test]
fn first_briefings_and_unchanged_days() {
    let dir = small_tree();
    let lib = library(dir.path());
    let snap = TopicSnapshot::of(lib.topic(0));
    let first = digest(
        &lib,
        0,
        None,
        day("2026-03-20"),
        fixture_today(),
        WhenUnchanged::Skip,
    )
    .expect("a first briefing is always posted");
    let text = render(&first, TextStyle::PLAIN);
    assert!(text.contains("The first briefing here"), "{text}");
    assert!(
        text.contains("Where the actors stand") && text.contains("Bottom line"),
        "{text}"
    );
    let prev = || Previous {
        snapshot: &snap,
        day: day("2026-03-19"),
    };
    assert!(
        digest(
            &lib,
            0,
            Some(prev()),
            day("2026-03-20"),
            fixture_today(),
            WhenUnchanged::Skip
        )
        .is_none()
    );
    let short = digest(
        &lib,
        0,
        Some(prev()),
        day("2026-03-20"),
        fixture_today(),
        WhenUnchanged::Short,
    )
    .expect("a line");
    assert_eq!(short.title, "No change since 19 Mar 2026");
    assert!(short.sections.is_empty());
    let full = digest(
        &lib,
        0,
        Some(prev()),
        day("2026-03-20"),
        fixture_today(),
        WhenUnchanged::Post,
    )
    .expect("the whole briefing");
    assert!(
        render(&full, TextStyle::PLAIN)
            .contains("No change in the cards since the briefing of 19 Mar 2026")
    );
    // A snapshot of another version reads as none (the next briefing is a full one).
    assert!(
        TopicSnapshot::from_json(&snap.to_json().replace("\"version\":1", "\"version\":99"))
            .is_none()
    );
}

#[test]
fn long_lists_are_cut_with_the_command_that_shows_the_rest() {
    let (c, after, snap) = changes(|d| {
        for i in 0..12 {
            append(
                d,
                "timeline.toml",
                &NEW_EVENT.replace("Second round set", &format!("Event number {i}")),
            );
        }
    });
    assert_eq!(c.events_added.len(), 12);
    let r = digest(
        &after,
        0,
        Some(Previous {
            snapshot: &snap,
            day: day("2026-03-15"),
        }),
        day("2026-03-20"),
        fixture_today(),
        WhenUnchanged::Post,
    )
    .expect("briefing");
    let text = render(&r, TextStyle::PLAIN);
    assert!(
        text.contains("… and 4 more: `timeline since 2026-03-15`"),
        "{text}"
    );
}

#[test]
fn changes_since_a_date_follow_the_cards_own_dates() {
    let lib = bundled_library();
    let t = lib.topic(0);
    let then = TopicSnapshot::as_on(t, day("2026-08-31"));
    let c = diff(&then, t);
    // Every event after August is new; positions moved for the actors with September entries.
    assert!(
        c.events_added
            .iter()
            .all(|&i| t.events[i].date.first_day() > day("2026-08-31"))
    );
    assert!(!c.events_added.is_empty());
    let moved: Vec<&str> = c.positions.iter().map(|p| p.actor.as_str()).collect();
    assert!(
        moved.contains(&"iran") && moved.contains(&"united-states"),
        "{moved:?}"
    );
    let iran = c
        .positions
        .iter()
        .find(|p| p.actor == "iran")
        .expect("iran");
    assert_eq!(
        iran.before.as_ref().map(|b| b.as_of.to_string()).as_deref(),
        Some("2026-08-28")
    );
}

#[test]
fn the_terminal_prints_a_digest() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args([
            "digest",
            "--since",
            "2026-09-20",
            "--color",
            "never",
            "--today",
            "2026-10-08",
        ])
        .current_dir(repo())
        .env_remove("DOSSIER_BRIEFINGS")
        .env_remove("DOSSIER_DEFAULT_TOPIC")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("since the briefing of 20 Sep 2026"), "{text}");
    assert!(text.contains("Trump rejects the offer"), "{text}");
    assert!(text.contains("Positions that moved"), "{text}");
    // Against another folder: the small fixture against itself has nothing new.
    let dir = small_tree();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args([
            "digest",
            "--color",
            "never",
            "--today",
            "2026-03-25",
            "--briefings",
        ])
        .arg(dir.path())
        .arg("--against")
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("No change in the cards"));
}

/// What the briefing says of a position whose stance ends with a full stop, whose demands
/// appear and whose red lines are dropped.
fn moved_position_line(edit: impl FnOnce(&Path)) -> String {
    let (c, after, snap) = changes(edit);
    let r = digest(
        &after,
        0,
        Some(Previous {
            snapshot: &snap,
            day: day("2026-03-19"),
        }),
        day("2026-03-20"),
        fixture_today(),
        WhenUnchanged::Post,
    )
    .expect("a briefing");
    assert_eq!(c.positions.len(), 1, "{c:#?}");
    let text = render(&r, TextStyle::PLAIN);
    text.lines()
        .find(|l| l.contains("Stance:"))
        .unwrap_or_else(|| panic!("no position line: {text}"))
        .to_owned()
}

#[test]
fn a_moved_position_reads_as_sentences_and_dropped_lists_are_not_called_empty() {
    let line = moved_position_line(|d| {
        replace(
            d,
            "actors/northland.toml",
            "Wants a fixed yearly quota.",
            "Now open to a seasonal quota (reported).",
        );
        replace(
            d,
            "actors/northland.toml",
            "quota\"]\nred_lines = [\"No international control of its dams\"]",
            "quota\"]\nred_lines = []",
        );
    });
    assert!(!line.contains(".."), "a doubled full stop: {line}");
    assert!(
        line.contains("Now open to a seasonal quota (reported). The entry no longer states red lines (before: No international control of its dams)."),
        "{line}"
    );
    assert!(!line.contains("→ none"), "{line}");

    let line = moved_position_line(|d| {
        replace(
            d,
            "actors/northland.toml",
            "quota\"]\nred_lines = [\"No international control of its dams\"]",
            "quota\"]\nred_lines = [\"No international control of its dams\", \"No quota below 40%\"]",
        );
        replace(
            d,
            "actors/northland.toml",
            "Wants a fixed yearly quota.",
            "Wants a fixed yearly quota, and a floor",
        );
    });
    assert!(
        line.contains("a floor. Red lines: No international control of its dams → No international control of its dams; No quota below 40%."),
        "{line}"
    );
}

/// The daily briefing of 20 March after one of 15 March that saw `snap`, as text.
fn briefing_since(after: &Library, snap: &TopicSnapshot) -> String {
    let previous = Previous {
        snapshot: snap,
        day: day("2026-03-15"),
    };
    let r = digest(
        after,
        0,
        Some(previous),
        day("2026-03-20"),
        fixture_today(),
        WhenUnchanged::Post,
    );
    render(&r.expect("a briefing"), TextStyle::PLAIN)
}

/// The one correction an edit of Northland's card makes.
fn only_correction(from: &str, to: &str) -> dossier::digest::Correction {
    let (c, _, _) = changes(|d| replace(d, "actors/northland.toml", from, to));
    assert_eq!(c.count(), 1, "{c:#?}");
    c.corrections.into_iter().next().expect("a correction")
}

#[test]
fn corrections_of_earlier_entries_and_event_dates_are_told_as_corrections() {
    // An earlier entry of Northland's history says something else now.
    let (c, after, snap) = changes(|d| {
        replace(
            d,
            "actors/northland.toml",
            "Wants to keep control of the river's flow.",
            "Wants to keep sole control of the river's flow.",
        )
    });
    assert!(
        c.positions.is_empty(),
        "the latest entry did not move: {c:#?}"
    );
    assert_eq!(c.corrections.len(), 1, "{c:#?}");
    assert_eq!(c.count(), 1);
    let shown = briefing_since(&after, &snap);
    assert!(
        shown.contains(
            "Corrected: Northland's position of 20 Feb 2026: Wants to keep sole control of the river's flow. (was: Wants to keep control of the river's flow.)"
        ),
        "{shown}"
    );

    // Only the summary of an earlier entry: corrected too.
    assert!(matches!(
        only_correction(
            "Before the talks, Northland treated",
            "Before the talks, Northland's ministers treated"
        ),
        dossier::digest::Correction::Entry { .. }
    ));
    // An earlier entry moved to another date, saying the same.
    assert!(matches!(
        only_correction("as_of = \"2026-02-20\"", "as_of = \"2026-02-18\""),
        dossier::digest::Correction::EntryDate { .. }
    ));

    // An event's date corrected: not a new event and a removed one.
    let (c, after, snap) = changes(|d| {
        replace(
            d,
            "timeline.toml",
            "date = \"2026-03-14\"",
            "date = \"2026-03-13\"",
        )
    });
    assert_eq!(
        (
            c.events_added.len(),
            c.events_removed.len(),
            c.corrections.len()
        ),
        (0, 0, 1),
        "{c:#?}"
    );
    let shown = briefing_since(&after, &snap);
    assert!(shown.contains("Corrected: Talks resume"), "{shown}");
    assert!(
        shown.contains("dated 13 Mar 2026 (was: 14 Mar 2026)"),
        "{shown}"
    );
    let headline = dossier::feed::headline(&after, 0, &c);
    assert!(
        headline.starts_with("Corrected: the date of Talks resume"),
        "{headline}"
    );

    // A new entry that makes the latest one history is a move, not a correction.
    let (c, _, _) = changes(|d| {
        append(
            d,
            "actors/northland.toml",
            "\n[[position]]\nstance = \"Now open to a seasonal quota.\"\nsummary = \"Northland moved.\"\nas_of = \"2026-03-19\"\nconfidence = \"medium\"\nsources = [\"gazette-talks\"]\n",
        )
    });
    assert!(c.corrections.is_empty(), "{c:#?}");
    assert_eq!(c.positions.len(), 1);

    // A snapshot stored before earlier entries were kept tells no corrections.
    let (before, after) = before_after(|d| {
        replace(
            d,
            "actors/northland.toml",
            "Wants to keep control of the river's flow.",
            "Wants to keep sole control of the river's flow.",
        )
    });
    let mut old = TopicSnapshot::of(before.topic(0));
    old.earlier = None;
    let json = old.to_json();
    assert!(!json.contains("earlier\":["), "{json}");
    let old = TopicSnapshot::from_json(&json.replace(",\"earlier\":null", "")).expect("reads");
    assert!(diff(&old, after.topic(0)).is_empty());
}
