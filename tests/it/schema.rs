//! The JSON Schema of the cards (`dossier schema`) against the loader: every bundled and valid
//! fixture card passes it, every fixture the loader refuses for its shape (a wrong type, an
//! unknown key, a missing field, a value not among the choices, an empty history) fails it at that field, and
//! every fixture whose problem only the whole-topic check can see passes it. The copies
//! shipped for editors (`briefings/.schema`, `.taplo.toml`) are what `dossier schema` makes.

use crate::common::*;
use dossier::cards::schema;
use std::path::{Path, PathBuf};

/// Every `.toml` under `root`, skipping hidden folders as the loader does.
fn cards_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if name.ends_with(".toml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The schema's complaints about one card file, each as "pointer: message".
fn complaints(path: &Path) -> Vec<String> {
    let kind = schema::kind_of(path).unwrap_or_else(|| panic!("{}: no card kind", path.display()));
    let text = std::fs::read_to_string(path).expect("card text");
    let card: serde_json::Value =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let s = schema::of(kind).expect("schema of a known kind");
    let validator = jsonschema::validator_for(&s.schema).expect("the schema is a valid schema");
    validator
        .iter_errors(&card)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

#[test]
fn every_kind_has_a_draft_07_schema_that_forbids_unknown_keys() {
    let all = schema::all();
    let kinds: Vec<_> = all.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        ["topic", "sources", "timeline", "experts", "feeds", "actor"]
    );
    for s in &all {
        assert!(jsonschema::draft7::meta::is_valid(&s.schema), "{}", s.kind);
        assert_eq!(s.schema["additionalProperties"], false, "{}", s.kind);
        assert!(
            s.schema["title"].as_str().unwrap().contains(s.kind),
            "{}",
            s.kind
        );
    }
}

#[test]
fn every_bundled_and_valid_fixture_card_passes_its_schema() {
    let mut seen = 0;
    for root in [bundled(), fixtures().join("valid")] {
        for path in cards_under(&root) {
            let got = complaints(&path);
            assert!(got.is_empty(), "{}: {got:#?}", path.display());
            seen += 1;
        }
    }
    // The bundled topic alone has a topic card, sources, timeline, experts and nine actors.
    assert!(seen >= 13 + 6, "only {seen} cards checked");
}

/// The fixtures whose card the loader refuses for its shape, and the field the schema must
/// name for each.
const SHAPE: &[(&str, &str)] = &[
    ("wrong-type", "/stale_after_days"),
    ("unknown-key", "/position"),
    ("missing-field", ""),
    ("bad-value", "/status"),
    ("no-position", "/position"),
];

#[test]
fn cards_of_a_wrong_shape_fail_their_schema_at_the_field() {
    for (case, pointer) in SHAPE {
        let files = cards_under(&fixtures().join("invalid").join(case));
        assert!(!files.is_empty(), "{case}: no cards");
        let got: Vec<String> = files.iter().flat_map(|p| complaints(p)).collect();
        assert!(!got.is_empty(), "{case}: the schema let it through");
        assert!(
            got.iter().any(|c| c.starts_with(&format!("{pointer}:"))),
            "{case}: nothing at {pointer:?}: {got:#?}"
        );
    }
    let unknown =
        complaints(&fixtures().join("invalid/unknown-key/river-treaty/actors/northland.toml"));
    assert!(
        unknown.iter().any(|c| c.contains("not allowed")),
        "{unknown:#?}"
    );
}

#[test]
fn cards_whose_problem_needs_the_whole_topic_pass_their_schema() {
    // What the schema cannot see: references, ids, dates in order, text that is only spaces.
    // Failing these would mean the schema refuses cards the loader reads.
    let skip = ["toml-syntax", "not-utf8", "unexpected-file"];
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures().join("invalid")).expect("fixtures") {
        let dir = entry.expect("entry").path();
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        if skip.contains(&case.as_str()) || SHAPE.iter().any(|(c, _)| *c == case) {
            continue;
        }
        for path in cards_under(&dir) {
            let got = complaints(&path);
            assert!(got.is_empty(), "{case}: {}: {got:#?}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} cards checked");
}

#[test]
fn the_schemas_shipped_for_editors_are_what_dossier_schema_makes() {
    let dir = bundled().join(".schema");
    for s in schema::all() {
        let path = dir.join(dossier::cli::schema::file_name(s.kind));
        let shipped =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            shipped == dossier::cli::schema::text(&s),
            "{} is out of date: run `cargo run -- schema --out briefings/.schema`",
            path.display()
        );
    }
    let taplo = std::fs::read_to_string(repo().join(".taplo.toml")).expect(".taplo.toml");
    let rules = dossier::cli::schema::taplo_rules("briefings", "briefings/.schema");
    assert!(
        taplo.contains(&rules),
        ".taplo.toml lacks the rules `dossier schema --out briefings/.schema` prints:\n{rules}"
    );
}
