//! Card checking on fixture trees: one invalid tree per kind of problem, each with the
//! diagnostic it must produce, and hostile file-system cases.

use crate::common::*;
use std::path::Path;

#[test]
fn the_small_fixture_and_the_bundled_topic_are_valid() {
    let dir = small_tree();
    let loaded = load(dir.path(), fixture_today());
    assert!(
        loaded.report.diagnostics.is_empty(),
        "{}",
        loaded.report.human()
    );
    assert_eq!(loaded.topics.len(), 1);
    let t = &loaded.topics[0];
    assert_eq!(
        (
            t.actors.len(),
            t.events.len(),
            t.sources.len(),
            t.experts.len()
        ),
        (2, 2, 2, 1)
    );

    let bundled = load(&bundled(), bundled_today());
    assert_eq!(bundled.report.errors(), 0, "{}", bundled.report.human());
    let t = &bundled.topics[0];
    for actor in [
        "iran",
        "united-states",
        "oman",
        "israel",
        "gulf-states",
        "turkiye",
        "regional-allies",
        "pakistan",
        "qatar",
    ] {
        assert!(
            t.actors.iter().any(|a| a.id == actor),
            "missing actor {actor}"
        );
    }
    assert_eq!(
        t.events.first().map(|e| e.date.iso()),
        Some("2023-10-07".into())
    );
    assert_eq!(
        t.events.last().map(|e| e.date.iso()),
        Some("2026-10-10".into())
    );
    // Iran's position is a dated history that runs through the whole story.
    let iran = t.actors.iter().find(|a| a.id == "iran").expect("iran");
    assert!(iran.history.len() >= 7, "{}", iran.history.len());
    assert_eq!(iran.history.first().as_of.to_string(), "2026-02-05");
    assert!(iran.position().as_of.to_string().as_str() >= "2026-09-01");
    assert!(t.as_of.to_string() == "2026-10-10");
    // On the day of the issue the whole topic is stale, and the check says so.
    assert!(bundled.report.diagnostics.iter().any(|d| d.code == "stale"));
    // Every position, event and expert view that rests only on headlines says "reported"; the
    // headline-level sources (a news monitor's digest, a bare BBC link) are marked as such.
    let unhedged: Vec<String> = bundled
        .report
        .diagnostics
        .iter()
        .filter(|d| d.code == "headline-only")
        .map(|d| d.one_line(&crate::common::bundled()))
        .collect();
    assert!(unhedged.is_empty(), "{unhedged:#?}");
    let headlines = t
        .sources
        .iter()
        .filter(|s| s.kind == dossier::cards::model::SourceKind::Headline)
        .count();
    assert!(headlines >= 70, "{headlines} headline-level sources");
}

fn apply_case(case: &Path, root: &Path) {
    for entry in std::fs::read_dir(case).expect("case dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &root.join(&name));
        }
    }
    if let Ok(list) = std::fs::read_to_string(case.join("remove")) {
        for rel in list.lines().filter(|l| !l.trim().is_empty()) {
            std::fs::remove_file(root.join(rel.trim())).expect("remove listed file");
        }
    }
}

#[test]
fn each_invalid_fixture_reports_its_diagnostic() {
    let mut cases: Vec<_> = std::fs::read_dir(fixtures().join("invalid"))
        .expect("invalid fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "expected a fixture per problem kind");
    for case in cases {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let dir = small_tree();
        apply_case(&case, dir.path());
        let loaded = load(dir.path(), fixture_today());
        let got = diag_lines(&loaded, dir.path());
        let expected = std::fs::read_to_string(case.join("expected")).expect("expected file");
        for want in expected.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                got.iter()
                    .any(|g| g == want || (!want.contains(".toml:") && g.starts_with(want))),
                "case {name}: expected `{want}`, got {got:#?}"
            );
            if want.starts_with("error") {
                assert!(loaded.report.has_errors(), "case {name}");
                assert!(
                    loaded.valid_topics().is_none(),
                    "case {name}: invalid topics must not be served"
                );
            } else {
                assert!(
                    !loaded.report.has_errors(),
                    "case {name}: a warning must not invalidate: {got:#?}"
                );
            }
        }
        // Every diagnostic names a fix.
        for d in &loaded.report.diagnostics {
            assert!(
                d.help.as_deref().is_some_and(|h| !h.is_empty()),
                "case {name}: no help in {d}"
            );
        }
        insta::assert_snapshot!(format!("invalid-{name}"), human(&loaded, dir.path()));
    }
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let dir = small_tree();
    for case in ["unknown-key", "bad-date", "bad-url", "unexpected-file"] {
        apply_case(&fixtures().join("invalid").join(case), dir.path());
    }
    // Two typos in one file are both reported.
    let north = dir.path().join("river-treaty/actors/northland.toml");
    let text = std::fs::read_to_string(&north)
        .expect("read")
        .replace("stance =", "stanse =");
    std::fs::write(&north, text).expect("write");
    let loaded = load(dir.path(), fixture_today());
    let codes: Vec<&str> = loaded.report.diagnostics.iter().map(|d| d.code).collect();
    for code in ["bad-date", "bad-url", "unexpected-file"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    assert_eq!(
        codes.iter().filter(|c| **c == "unknown-key").count(),
        2,
        "{}",
        loaded.report.human()
    );
    let human = loaded.report.human();
    assert!(human.contains("did you mean `stance`?"), "{human}");
    assert!(human.contains("did you mean `red_lines`?"), "{human}");
}

#[test]
fn unknown_references_list_close_matches() {
    let dir = small_tree();
    apply_case(&fixtures().join("invalid/unknown-source"), dir.path());
    let loaded = load(dir.path(), fixture_today());
    let d = loaded
        .report
        .diagnostics
        .iter()
        .find(|d| d.code == "unknown-reference")
        .expect("diag");
    assert_eq!(d.message, "unknown source `gazette-talk`");
    assert_eq!(d.help.as_deref(), Some("did you mean `gazette-talks`?"));
}

#[test]
fn hostile_files_are_diagnosed_not_fatal() {
    let dir = small_tree();
    let t = dir.path().join("river-treaty");
    // Binary garbage as a card.
    std::fs::write(t.join("experts.toml"), [0u8, 159, 146, 150, 255, 0, 1, 2]).expect("write");
    // A 50 MB timeline.
    let big = std::fs::File::create(t.join("timeline.toml")).expect("create");
    big.set_len(50 * 1024 * 1024).expect("grow");
    // A folder where a card should be.
    std::fs::remove_file(t.join("sources.toml")).expect("rm");
    std::fs::create_dir(t.join("sources.toml")).expect("mkdir");
    // Deeply nested TOML.
    let deep = format!("id = {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
    std::fs::write(t.join("actors/deep.toml"), deep).expect("write");
    #[cfg(unix)]
    {
        // A symlink loop as an actor card and as a topic folder.
        std::os::unix::fs::symlink("loop.toml", t.join("actors/loop.toml")).expect("symlink");
        std::os::unix::fs::symlink("looped", dir.path().join("looped")).expect("symlink");
    }
    let loaded = load(dir.path(), fixture_today());
    let got = diag_lines(&loaded, dir.path());
    // A sources file that cannot be read does not also make every citation an error.
    assert!(
        !got.iter().any(|g| g.contains("unknown-reference")),
        "{got:#?}"
    );
    for want in [
        "error[not-utf8] river-treaty/experts.toml:1:2",
        "error[file-too-large] river-treaty/timeline.toml",
        "error[not-a-file] river-treaty/sources.toml",
        "error[toml-syntax] river-treaty/actors/deep.toml",
    ] {
        assert!(
            got.iter().any(|g| g.starts_with(want)),
            "missing {want} in {got:#?}"
        );
    }
    #[cfg(unix)]
    {
        assert!(
            got.iter()
                .any(|g| g.starts_with("error[io] river-treaty/actors/loop.toml")),
            "{got:#?}"
        );
        assert!(
            got.iter().any(|g| g.starts_with("error[io] looped")),
            "{got:#?}"
        );
    }
}

#[test]
fn a_missing_or_wrong_root_is_an_io_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(dossier::cards::load(&dir.path().join("nope"), fixture_today()).is_err());
    let file = dir.path().join("file");
    std::fs::write(&file, "x").expect("write");
    let err = dossier::cards::load(&file, fixture_today()).expect_err("a file is not a folder");
    assert!(err.to_string().contains("is not a folder"));
    // An empty folder is valid but warned about.
    let loaded = load(dir.path(), fixture_today());
    assert_eq!(loaded.report.errors(), 0);
    assert!(
        loaded
            .report
            .diagnostics
            .iter()
            .any(|d| d.code == "no-topics")
    );
}

#[test]
fn the_moderators_guide_shows_the_fixture_verbatim() {
    let guide =
        std::fs::read_to_string(repo().join("briefings/README.md")).expect("briefings/README.md");
    let base = fixtures().join("valid/small/river-treaty");
    for rel in [
        "topic.toml",
        "sources.toml",
        "actors/northland.toml",
        "actors/southland.toml",
        "timeline.toml",
        "experts.toml",
    ] {
        let text = std::fs::read_to_string(base.join(rel)).expect("fixture");
        assert!(
            guide.contains(text.trim()),
            "briefings/README.md must show {rel} exactly as tests/fixtures/valid/small has it"
        );
    }
}
