//! The `dossier` binary as a user runs it: exit codes and output of check, ask and chat.

use crate::common::*;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn dossier(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dossier"));
    c.args(args)
        .current_dir(repo())
        .env("DOSSIER_TODAY", "2026-11-25")
        .env_remove("DOSSIER_BRIEFINGS")
        .env_remove("DOSSIER_DEFAULT_TOPIC");
    c
}

fn run(args: &[&str]) -> Output {
    dossier(args).output().expect("run dossier")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_exit_codes() {
    let ok = run(&["check"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("briefings are valid"));

    let dir = small_tree();
    copy_tree(&fixtures().join("invalid/unknown-key"), dir.path());
    let bad = run(&[
        "check",
        dir.path().to_str().expect("utf-8 path"),
        "--today",
        "2026-03-25",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let out = stdout(&bad);
    assert!(
        out.contains("error[unknown-key]: unknown key `red_line`"),
        "{out}"
    );
    assert!(out.contains("actors/northland.toml:17:1"), "{out}");
    assert!(out.contains("= help: did you mean `red_lines`?"), "{out}");

    let missing = run(&["check", "/nonexistent/briefings"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read the briefings folder"));
    assert_eq!(run(&["check", "--format", "yaml"]).status.code(), Some(2));
    assert_eq!(
        run(&["check", "--today", "2026-02-30"]).status.code(),
        Some(2)
    );
}

#[test]
fn check_json_lists_the_same_diagnostics() {
    let dir = small_tree();
    copy_tree(&fixtures().join("invalid/bad-date"), dir.path());
    let o = run(&[
        "check",
        dir.path().to_str().expect("path"),
        "--format",
        "json",
        "--today",
        "2026-03-25",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["valid"], false);
    let d = &v["diagnostics"][0];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["code"], "bad-date");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(10), Some(8))
    );
    assert!(
        d["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("river-treaty/timeline.toml"))
    );
    assert!(
        d["message"]
            .as_str()
            .is_some_and(|m| m.contains("February 2026 has 28 days"))
    );
    assert!(d["help"].as_str().is_some_and(|h| !h.is_empty()));
}

#[test]
fn check_reads_the_briefings_env_var() {
    let dir = small_tree();
    let o = dossier(&["check", "--today", "2026-03-25"])
        .env("DOSSIER_BRIEFINGS", dir.path())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("2 actors, 2 events"), "{}", stdout(&o));
}

#[test]
fn ask_answers_once() {
    let o = run(&["ask", "position", "iran"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("Iran: position\n"), "{out}");
    assert!(out.contains("[1]") && out.contains("\n  [1] "), "{out}");
    assert!(out.contains("⚠ Stale"));
    assert!(!out.contains('\x1b'), "no escape codes when piped");
    for args in [
        &["ask", "/position", "iran"][..],
        &["ask", "!brief"],
        &["ask", "position", "united states"],
        &["ask", "compare", "iran", "vs", "us"],
    ] {
        assert_eq!(run(args).status.code(), Some(0), "{args:?}");
    }
    let miss = run(&["ask", "position", "irna"]);
    assert_eq!(miss.status.code(), Some(1));
    assert!(stdout(&miss).contains("Did you mean `iran`?"));
    assert_eq!(run(&["ask"]).status.code(), Some(2));
    let colored = run(&["ask", "--color", "always", "position", "iran"]);
    assert!(stdout(&colored).contains("\x1b]8;;https://"));
}

#[test]
fn ask_and_chat_refuse_invalid_cards() {
    let dir = small_tree();
    copy_tree(&fixtures().join("invalid/bad-url"), dir.path());
    for sub in ["ask", "chat"] {
        let mut args = vec![sub, "--briefings", dir.path().to_str().expect("path")];
        if sub == "ask" {
            args.push("brief");
        }
        let o = run(&args);
        assert_eq!(o.status.code(), Some(1), "{sub}");
        assert!(
            stderr(&o).contains("error[bad-url]"),
            "{sub}: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty());
    }
}

#[test]
fn chat_answers_each_line_until_quit() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut child = dossier(&["chat"])
        .env("XDG_STATE_HOME", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chat");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"help\nposition turkey\nnonsense\nquit\nbrief\n")
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("dossier: 1 topic loaded"), "{out}");
    assert!(out.contains("dossier: commands"));
    assert!(out.contains("Türkiye: position"));
    assert!(out.contains("Unknown command “nonsense”"));
    assert!(
        !out.contains("Where the actors stood"),
        "nothing is answered after quit"
    );
    let history =
        std::fs::read_to_string(home.path().join("dossier/history")).expect("history saved");
    assert!(history.contains("position turkey"));
}

#[test]
fn new_topic_and_actor_pass_check_and_answer_and_never_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_str().expect("utf-8 path");
    let made = run(&[
        "new",
        "topic",
        "delta-accord",
        "--title",
        "The \"Delta\" accord",
        "--briefings",
        root,
    ]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    assert!(
        stdout(&made).contains("pass `dossier check`"),
        "{}",
        stdout(&made)
    );
    let check = run(&["check", root]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    assert!(
        stdout(&check).contains("briefings are valid (0 warnings)"),
        "{}",
        stdout(&check)
    );
    let brief = run(&["ask", "--briefings", root, "brief"]);
    assert_eq!(brief.status.code(), Some(0), "{}", stderr(&brief));
    assert!(
        stdout(&brief).contains("The \"Delta\" accord"),
        "{}",
        stdout(&brief)
    );
    let timeline = run(&["ask", "--briefings", root, "timeline"]);
    assert!(
        stdout(&timeline).contains("the timeline is empty")
            || stdout(&timeline).contains("timeline is empty"),
        "{}",
        stdout(&timeline)
    );
    let actors = run(&["ask", "--briefings", root, "actors"]);
    assert!(
        stdout(&actors).contains("Example actor"),
        "{}",
        stdout(&actors)
    );
    // Every field of the generated cards says what it is for.
    let topic = std::fs::read_to_string(dir.path().join("delta-accord/topic.toml")).expect("topic");
    for key in [
        "id",
        "title",
        "bottom_line",
        "why_it_matters",
        "status",
        "as_of",
    ] {
        let at = topic
            .find(&format!("\n{key} = "))
            .unwrap_or_else(|| panic!("{key}"));
        assert!(
            topic[..at]
                .trim_end()
                .rsplit('\n')
                .next()
                .is_some_and(|l| l.starts_with('#')),
            "{key} has no comment"
        );
    }

    let actor = run(&[
        "new",
        "actor",
        "delta-accord",
        "northland",
        "--name",
        "Northland",
        "--briefings",
        root,
    ]);
    assert_eq!(actor.status.code(), Some(0), "{}", stderr(&actor));
    let position = run(&["ask", "--briefings", root, "position", "northland"]);
    assert_eq!(position.status.code(), Some(0), "{}", stdout(&position));
    assert_eq!(run(&["check", root]).status.code(), Some(0));

    // Neither overwrites, and each names what exists.
    let before =
        std::fs::read_to_string(dir.path().join("delta-accord/topic.toml")).expect("topic");
    let again = run(&[
        "new",
        "topic",
        "delta-accord",
        "--title",
        "Other",
        "--briefings",
        root,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("delta-accord already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("delta-accord/topic.toml")).expect("topic"),
        before
    );
    let again = run(&[
        "new",
        "actor",
        "delta-accord",
        "northland",
        "--name",
        "Other",
        "--briefings",
        root,
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("northland.toml already exists"),
        "{}",
        stderr(&again)
    );
    // A name already taken by another actor would not pass the check: refused, nothing left.
    let clash = run(&[
        "new",
        "actor",
        "delta-accord",
        "north",
        "--name",
        "Northland",
        "--briefings",
        root,
    ]);
    assert_eq!(clash.status.code(), Some(2), "{}", stderr(&clash));
    assert!(!dir.path().join("delta-accord/actors/north.toml").exists());
}

#[test]
fn hostile_names_for_new_cards_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_str().expect("utf-8 path");
    let long = "a".repeat(64 * 1024);
    for id in [
        "../x",
        "/tmp/x",
        "Iran",
        "x--y",
        "іran",
        "ｉran",
        long.as_str(),
        "",
    ] {
        let started = std::time::Instant::now();
        let o = run(&["new", "topic", id, "--title", "T", "--briefings", root]);
        assert_eq!(o.status.code(), Some(2), "{id:.40}: {}", stderr(&o));
        assert!(stderr(&o).contains("nothing was written"), "{}", stderr(&o));
        assert!(stderr(&o).len() < 500, "the error quotes the id briefly");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
    for title in ["", "line\nbreak", long.as_str()] {
        let o = run(&[
            "new",
            "topic",
            "ok-id",
            "--title",
            title,
            "--briefings",
            root,
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    }
    let o = run(&[
        "new",
        "actor",
        "no-such-topic",
        "x",
        "--name",
        "X",
        "--briefings",
        root,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("there is no topic `no-such-topic`"),
        "{}",
        stderr(&o)
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn schema_prints_one_kind_writes_them_all_and_refuses_an_unknown_kind() {
    let one = run(&["schema", "actor"]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    let actor: serde_json::Value = serde_json::from_slice(&one.stdout).expect("JSON on stdout");
    assert_eq!(actor["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(actor["properties"]["position"].is_object(), "{actor:#}");
    assert!(
        actor["properties"]["name"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("answers show")),
        "fields carry their help: {actor:#}"
    );

    let list = run(&["schema"]);
    assert_eq!(list.status.code(), Some(0));
    for kind in ["topic", "sources", "timeline", "experts", "actor"] {
        assert!(stdout(&list).contains(kind), "{}", stdout(&list));
    }

    let bad = run(&["schema", "actors/../../etc"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("choose one of topic, sources"),
        "{}",
        stderr(&bad)
    );
    assert!(bad.stdout.is_empty());

    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("briefings/.schema");
    let all = run(&["schema", "--out", out.to_str().expect("utf-8 path")]);
    assert_eq!(all.status.code(), Some(0), "{}", stderr(&all));
    for kind in ["topic", "sources", "timeline", "experts", "feeds", "actor"] {
        let text = std::fs::read_to_string(out.join(format!("{kind}.schema.json")))
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let _: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    }
    // What it prints is a .taplo.toml that reads as TOML and points each card at its schema.
    let taplo: toml::Value = toml::from_str(&stdout(&all)).expect("TOML rules");
    let rules = taplo["rule"].as_array().expect("[[rule]]");
    assert_eq!(rules.len(), 6);
    assert!(
        rules[5]["schema"]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("briefings/.schema/actor.schema.json")),
        "{taplo:#?}"
    );
}
