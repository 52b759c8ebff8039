//! Tests of `apply`.

use super::*;
use crate::edit::form::parse_form;

const ACTOR: &str = r#"# Iran's card. Keep this comment.
id = "iran"
name = "Iran"   # an aligned comment
kind = "state"
role = "A party."

[[people]]
name = "A"
role = "B"
as_of = "2026-02"

# The first position.
[[position]]
stance = "Old stance."
summary = """A summary \
over lines."""
demands = [
  "One",
  "Two",
]
as_of = "2026-02-05"
confidence = "medium"
sources = ["dawn"]
"#;

#[test]
fn a_new_position_keeps_every_other_line_and_comment() {
    let form = parse_form(FormKind::Position, "stance: New stance.\ndemands:\n- Three").unwrap();
    let out = position(ACTOR, &form, false, "2026-11-26").unwrap();
    // Every line of the card before the edit is still there, in order, unchanged.
    let before: Vec<&str> = ACTOR.lines().collect();
    let after: Vec<&str> = out.text.lines().collect();
    assert_eq!(&after[..before.len()], &before[..], "{}", out.text);
    let added = after[before.len()..].join("\n");
    assert!(added.contains("[[position]]"), "{added}");
    assert!(added.contains("stance = \"New stance.\""), "{added}");
    assert!(added.contains("as_of = \"2026-11-26\""), "{added}");
    assert!(added.contains("\"Three\""), "{added}");
    assert!(added.contains("confidence = \"medium\""), "{added}");
    let labels: Vec<&str> = out.changes.iter().map(|c| c.label).collect();
    assert_eq!(labels, ["stance", "demands", "as of"]);
    assert_eq!(out.changes[0].before.as_deref(), Some("Old stance."));
    // And it reads back as the latest position.
    let latest = latest_position(&out.text).unwrap().unwrap();
    assert!(latest.contains(&("stance", Value::Text("New stance.".into()))));
}

#[test]
fn a_correction_changes_the_latest_entry_in_place() {
    let form = parse_form(FormKind::Position, "confidence: high").unwrap();
    let out = position(ACTOR, &form, true, "2026-11-26").unwrap();
    assert_eq!(out.text, ACTOR.replace("\"medium\"", "\"high\""));
    assert_eq!(
        out.changes,
        vec![Change {
            label: "confidence",
            before: Some("medium".into()),
            after: "high".into()
        }]
    );
}

#[test]
fn nothing_new_is_refused() {
    let form = parse_form(FormKind::Position, "stance: Old stance.").unwrap();
    assert_eq!(
        position(ACTOR, &form, false, "2026-11-26").unwrap_err(),
        ApplyError::NoChange
    );
}

#[test]
fn a_single_position_table_becomes_a_history() {
    let single = "id = \"x\"\n\n[position]\nstance = \"S\"\nas_of = \"2026-01-01\"\n";
    let form = parse_form(FormKind::Position, "stance: T").unwrap();
    let out = position(single, &form, false, "2026-11-26").unwrap();
    let doc: toml::Table = toml::from_str(&out.text).unwrap();
    let h = doc["position"].as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["stance"].as_str(), Some("S"));
    assert_eq!(h[1]["stance"].as_str(), Some("T"));
}

#[test]
fn events_and_sources_are_appended_with_what_they_need() {
    let timeline = "# The timeline.\n\n[[event]]\ndate = \"2026-01-01\"\ntitle = \"T\"\n";
    let form = parse_form(
        FormKind::Event,
        "date: 2026-10-01\ntitle: Talks resume\ndetail: They met.\nactors: iran, oman\nverification: reported\nsources: x",
    )
    .unwrap();
    let out = append(timeline, FormKind::Event, &form, "2026-11-26").unwrap();
    assert!(out.text.starts_with(timeline), "{}", out.text);
    assert!(
        out.text.contains("actors = [\"iran\", \"oman\"]"),
        "{}",
        out.text
    );
    let form = parse_form(FormKind::Event, "title: Only a title").unwrap();
    let e = append(timeline, FormKind::Event, &form, "2026-11-26").unwrap_err();
    assert_eq!(
        e.to_string(),
        "an event needs `date`, `detail`, `sources`: add `date: …`, `detail: …`, `sources: …` to the edit"
    );
    let form = parse_form(
        FormKind::Source,
        "id: new-one\nurl: https://example.org/a\ntitle: A\npublisher: P",
    )
    .unwrap();
    let out = append("", FormKind::Source, &form, "2026-11-26").unwrap();
    assert!(
        out.text.contains("[[source]]\nid = \"new-one\""),
        "{}",
        out.text
    );
    assert!(out.text.contains("kind = \"news\""), "{}", out.text);
}

const TIMELINE: &str = r#"# The timeline.

[[event]]
date = "2026-02-06"
title = "Indirect talks in Muscat"
detail = "They met."
sources = ["a"]

# Two on one day.
[[event]]
date = "2026-09-08"
title = "US strikes Iranian tankers"
detail = "Strikes."
sources = ["a"]

[[event]]
date = "2026-09-08"
title = "The Houthi–Saudi war escalates"
detail = "War." # keep this comment
sources = ["b"]
"#;

#[test]
fn an_entry_is_found_by_date_and_title_words_or_by_its_key() {
    let e = select(TIMELINE, FormKind::Event, "2026-02-06").unwrap();
    assert_eq!(
        (e.index, e.label.as_str()),
        (0, "2026-02-06 Indirect talks in Muscat")
    );
    assert_eq!(
        select(TIMELINE, FormKind::Event, "muscat").unwrap().index,
        0
    );
    assert_eq!(
        select(TIMELINE, FormKind::Event, "2026-09 houthi")
            .unwrap()
            .index,
        2
    );
    // Title words match as the start of words, accents and case folded.
    assert_eq!(
        select(TIMELINE, FormKind::Event, "2026-09-08 HOUTHI saud")
            .unwrap()
            .index,
        2
    );
    let key = format!("#{}", e.key);
    assert_eq!(select(TIMELINE, FormKind::Event, &key).unwrap().index, 0);
    // Two on the same day: the date alone is ambiguous and says how to pick one.
    let err = select(TIMELINE, FormKind::Event, "2026-09-08").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ApplyError::Ambiguous { .. }), "{msg}");
    assert!(msg.contains("US strikes Iranian tankers"), "{msg}");
    assert!(msg.contains("give its date and more of its title"), "{msg}");
    // Nothing matches: the closest are named.
    let msg = select(TIMELINE, FormKind::Event, "2026-02-06 geneva")
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("no event matches `2026-02-06 geneva`"),
        "{msg}"
    );
    // A key that no longer names anything says the entry changed.
    assert_eq!(
        select(TIMELINE, FormKind::Event, "#00000000").unwrap_err(),
        ApplyError::EntryGone { what: "event" }
    );
    // A 64 KiB selector is refused before any matching.
    let huge = "x ".repeat(32 * 1024);
    let started = std::time::Instant::now();
    assert!(matches!(
        select(TIMELINE, FormKind::Event, &huge),
        Err(ApplyError::NoEntry { .. })
    ));
    assert!(started.elapsed() < std::time::Duration::from_millis(100));
}

#[test]
fn an_entry_is_changed_in_place_and_keeps_its_neighbours() {
    let e = select(TIMELINE, FormKind::Event, "2026-09-08 houthi").unwrap();
    let form = parse_form(FormKind::Event, "detail: A wider war.\nactors: iran").unwrap();
    let out = amend(TIMELINE, FormKind::Event, e.index, &form).unwrap();
    assert_eq!(
        out.text,
        TIMELINE.replace(
            "detail = \"War.\" # keep this comment\nsources = [\"b\"]",
            "detail = \"A wider war.\" # keep this comment\nsources = [\"b\"]\nactors = [\"iran\"]"
        )
    );
    let labels: Vec<&str> = out.changes.iter().map(|c| c.label).collect();
    assert_eq!(labels, ["detail", "actors"]);
    // The same values again change nothing; emptying a required field is refused.
    let same = parse_form(FormKind::Event, "detail: War.").unwrap();
    assert_eq!(
        amend(TIMELINE, FormKind::Event, e.index, &same).unwrap_err(),
        ApplyError::NoChange
    );
    let empty = parse_form(FormKind::Event, "detail:").unwrap();
    assert_eq!(
        amend(TIMELINE, FormKind::Event, e.index, &empty)
            .unwrap_err()
            .to_string(),
        "an event needs `detail`: add `detail: …` to the edit"
    );
}

#[test]
fn an_entry_is_removed_with_its_comment_and_nothing_else() {
    let e = select(TIMELINE, FormKind::Event, "2026-09-08 us strikes").unwrap();
    let out = remove(TIMELINE, FormKind::Event, &e).unwrap();
    assert_eq!(
        out.text,
        TIMELINE.replace(
            "# Two on one day.\n[[event]]\ndate = \"2026-09-08\"\ntitle = \"US strikes Iranian tankers\"\ndetail = \"Strikes.\"\nsources = [\"a\"]\n\n",
            ""
        )
    );
    assert_eq!(out.changes[0].label, "removed");
    assert_eq!(
        out.changes[0].after,
        "2026-09-08 US strikes Iranian tankers"
    );
    // The last entry of a card leaves an empty card, not an empty list.
    let one = "[[source]]\nid = \"a\"\ntitle = \"A\"\n";
    let e = select(one, FormKind::Source, "a").unwrap();
    assert_eq!(e.label, "a: A");
    assert_eq!(remove(one, FormKind::Source, &e).unwrap().text.trim(), "");
}

#[test]
fn an_expert_view_gets_an_id_from_the_name_and_a_real_boolean() {
    let form = parse_form(
        FormKind::Expert,
        "name: Jane Q. Analyst\naffiliation: An Institute\ndate: 2026-10-01\nreported: Yes\nsummary: A view.\nsources: a",
    )
    .unwrap();
    let out = append("", FormKind::Expert, &form, "2026-11-26").unwrap();
    let doc: toml::Table = toml::from_str(&out.text).unwrap();
    let view = &doc["view"].as_array().unwrap()[0];
    assert_eq!(view["id"].as_str(), Some("jane-q-analyst"));
    assert_eq!(view["reported"].as_bool(), Some(true));
    assert!(out.text.starts_with("[[view]]\nid = "), "{}", out.text);
    // It is found by id or by words of the name, and opens with its values.
    let e = select(&out.text, FormKind::Expert, "jane-q-analyst").unwrap();
    assert_eq!(e.label, "jane-q-analyst: Jane Q. Analyst");
    assert!(e.values.contains(&("reported", Value::Text("true".into()))));
    assert_eq!(
        select(&out.text, FormKind::Expert, "analyst")
            .unwrap()
            .index,
        0
    );
    let no = parse_form(FormKind::Expert, "reported: no").unwrap();
    let out = amend(&out.text, FormKind::Expert, 0, &no).unwrap();
    assert!(out.text.contains("reported = false"), "{}", out.text);
}

#[test]
fn a_person_is_added_beside_the_other_people() {
    let form = parse_form(FormKind::Person, "name: C\nrole: D").unwrap();
    let out = append(ACTOR, FormKind::Person, &form, "2026-11-26").unwrap();
    let people = out.text.find("name = \"C\"").expect("added");
    let positions = out.text.find("[[position]]").expect("positions");
    assert!(people < positions, "{}", out.text);
    assert!(
        out.text.contains("role = \"D\"\nas_of = \"2026-11-26\""),
        "{}",
        out.text
    );
    lines_in_order(ACTOR, &out.text);
}

/// Every line of `before` is in `after`, in order.
fn lines_in_order(before: &str, after: &str) {
    let mut rest = after.lines();
    for line in before.lines() {
        assert!(
            rest.any(|l| l == line),
            "{line:?} is gone or moved:\n{after}"
        );
    }
}

#[test]
fn an_item_with_sources_of_its_own_keeps_them_through_an_edit() {
    let card = ACTOR.replace(
        "  \"Two\",\n",
        "  { text = \"Two\", sources = [\"wire\"] },\n",
    );
    // The form shows the item's text, as for any other item.
    let latest = latest_position(&card).unwrap().unwrap();
    assert!(latest.contains(&("demands", Value::List(vec!["One".into(), "Two".into()]))));
    // A correction that changes the other item keeps this one's table.
    let form = parse_form(FormKind::Position, "demands:\n- One, revised\n- Two").unwrap();
    let out = position(&card, &form, true, "2026-11-26").unwrap();
    assert!(
        out.text
            .contains("{ text = \"Two\", sources = [\"wire\"] }"),
        "{}",
        out.text
    );
    assert!(out.text.contains("\"One, revised\""), "{}", out.text);
    assert_eq!(out.changes.len(), 1, "{:?}", out.changes);
}

#[test]
fn an_item_whose_text_is_corrected_in_place_keeps_its_own_sources() {
    let card = ACTOR.replace(
        "  \"Two\",\n",
        "  { text = \"Two\", sources = [\"wire\"] },\n  { text = \"Two\", sources = [\"agency\"] },\n",
    );
    // A typo fixed in the first of two same-worded items: it keeps its own sources, and its
    // twin keeps the other's.
    let form = parse_form(FormKind::Position, "demands:\n- One\n- Two.\n- Two").unwrap();
    let out = position(&card, &form, true, "2026-11-26").unwrap();
    assert!(
        out.text
            .contains("{ text = \"Two.\", sources = [\"wire\"] }"),
        "{}",
        out.text
    );
    assert!(
        out.text
            .contains("{ text = \"Two\", sources = [\"agency\"] }"),
        "{}",
        out.text
    );
}
