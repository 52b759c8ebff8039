//! Snapshots from a web archive, against a fake Wayback Machine on 127.0.0.1 that answers as
//! the real one does (the availability API with and without a snapshot; Save Page Now 2 with
//! a `429` and `Retry-After`, a job `pending` then `success`, and a job that ends in `error`):
//! each page asked for one request at a time with the gap, as the operator's account, and the
//! snapshots written into the cards by `dossier sources archive` as dossier itself, then shown
//! in `sources`, in citations, on the web sources page and in `dossier site`.

use crate::common::*;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use dossier::fetch::address::Policy;
use dossier::fetch::client::{Fetcher, Options};
use dossier::sources::archive::{Archive, ArchivePace, Outcome};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the fake archive was asked: when, what, and with which `Authorization`.
#[derive(Clone, Debug)]
pub(crate) struct Asked {
    at: Instant,
    pub(crate) what: String,
    auth: Option<String>,
}

#[derive(Clone, Default)]
pub(crate) struct Wayback {
    asked: Arc<Mutex<Vec<Asked>>>,
    /// Pages saved so far, by job id.
    jobs: Arc<Mutex<HashMap<String, (String, usize)>>>,
    /// Whether the next capture request is refused with a 429.
    busy_once: Arc<Mutex<bool>>,
    port: Arc<Mutex<u16>>,
}

impl Wayback {
    fn note(&self, what: String, headers: &HeaderMap) {
        self.asked.lock().expect("lock").push(Asked {
            at: Instant::now(),
            what,
            auth: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
    }
    pub(crate) fn asked(&self) -> Vec<Asked> {
        self.asked.lock().expect("lock").clone()
    }
}

/// The fake Wayback Machine: pages whose address holds `/kept` have a snapshot already;
/// a page whose address holds `/unsaveable` makes a job that ends in `error`.
pub(crate) async fn wayback() -> (Wayback, u16) {
    let w = Wayback {
        busy_once: Arc::new(Mutex::new(true)),
        ..Default::default()
    };
    let available = |State(w): State<Wayback>,
                     headers: HeaderMap,
                     Query(q): Query<HashMap<String, String>>| async move {
        let url = q.get("url").cloned().unwrap_or_default();
        w.note(format!("available {url}"), &headers);
        let port = *w.port.lock().expect("lock");
        if url.contains("/kept") {
            axum::Json(serde_json::json!({
                "url": url,
                "archived_snapshots": {"closest": {
                    "status": "200",
                    "available": true,
                    "url": format!("http://127.0.0.1:{port}/web/20260316101500/{url}"),
                    "timestamp": "20260316101500"
                }}
            }))
        } else {
            axum::Json(serde_json::json!({"url": url, "archived_snapshots": {}}))
        }
    };
    let save = |State(w): State<Wayback>,
                headers: HeaderMap,
                Form(f): Form<HashMap<String, String>>| async move {
        let url = f.get("url").cloned().unwrap_or_default();
        w.note(format!("save {url}"), &headers);
        if std::mem::take(&mut *w.busy_once.lock().expect("lock")) {
            return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response();
        }
        let mut jobs = w.jobs.lock().expect("lock");
        let job = format!("spn2-{}", jobs.len() + 1);
        jobs.insert(job.clone(), (url.clone(), 0));
        axum::Json(serde_json::json!({"url": url, "job_id": job})).into_response()
    };
    let status = |State(w): State<Wayback>, headers: HeaderMap, Path(job): Path<String>| async move {
        w.note(format!("status {job}"), &headers);
        let mut jobs = w.jobs.lock().expect("lock");
        let Some((url, polls)) = jobs.get_mut(&job) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        *polls += 1;
        let answer = if url.contains("/unsaveable") {
            serde_json::json!({"status": "error", "status_ext": "error:not-found", "message": "The server cannot find the requested resource."})
        } else if *polls == 1 {
            serde_json::json!({"status": "pending", "job_id": job})
        } else {
            serde_json::json!({"status": "success", "job_id": job, "original_url": url, "timestamp": "20261207120000"})
        };
        axum::Json(answer).into_response()
    };
    let app = axum::Router::new()
        .route("/wayback/available", axum::routing::get(available))
        .route("/save", axum::routing::post(save))
        .route("/save/status/{job}", axum::routing::get(status))
        .with_state(w.clone());
    let port = serve_loopback(app).await;
    *w.port.lock().expect("lock") = port;
    (w, port)
}

const GAP: Duration = Duration::from_millis(100);

fn archive(port: u16, allow_private: bool) -> Archive {
    let fetcher = Fetcher::new(Options::new(
        Policy {
            allow_private,
            allowed: Vec::new(),
        },
        None,
    ))
    .expect("fetcher");
    Archive {
        fetcher,
        archive: format!("http://127.0.0.1:{port}"),
        availability: format!("http://127.0.0.1:{port}/wayback/available"),
        keys: Some("acc3ss:s3cret".into()),
        pace: ArchivePace::paced(GAP),
    }
}

fn page(id: &str, url: &str, not_before: Option<&str>) -> dossier::sources::archive::Page {
    dossier::sources::archive::Page {
        topic: "t".into(),
        id: id.into(),
        url: url.into(),
        not_before: not_before.map(|d| d.parse().expect("a date")),
    }
}

#[test]
fn the_archive_is_asked_for_a_snapshot_first_then_to_take_one_within_its_limits() {
    runtime().block_on(async {
        let (w, port) = wayback().await;
        let a = archive(port, true);
        let pages = vec![
            page("kept", "https://news.example.org/kept", None),
            page("fresh", "https://news.example.org/fresh", None),
            page("broken", "https://news.example.org/unsaveable", None),
            // Its snapshot was taken before it was published: not what was cited.
            page(
                "later",
                "https://news.example.org/kept/later",
                Some("2026-06-01"),
            ),
        ];
        let (done, stopped) = dossier::sources::archive::archive(&a, pages).await;
        assert!(stopped.is_none());
        assert_eq!(done.len(), 4);
        // A snapshot the archive had: found, and nothing saved.
        match &done[0].outcome {
            Outcome::Found(s) => {
                assert_eq!(s.on.to_string(), "2026-03-16");
                assert!(
                    s.url
                        .ends_with("/web/20260316101500/https://news.example.org/kept"),
                    "{}",
                    s.url
                );
            }
            other => panic!("{other:?}"),
        }
        // None there: taken now, after the 429 waited out and a pending job.
        match &done[1].outcome {
            Outcome::Saved(s) => {
                assert_eq!(
                    s.url,
                    format!(
                        "http://127.0.0.1:{port}/web/20261207120000/https://news.example.org/fresh"
                    )
                );
                assert_eq!(s.on.to_string(), "2026-12-07");
            }
            other => panic!("{other:?}"),
        }
        match &done[3].outcome {
            Outcome::Saved(s) => assert_eq!(s.on.to_string(), "2026-12-07"),
            other => panic!("{other:?}"),
        }
        // A job that ends in error: no snapshot, and why.
        match &done[2].outcome {
            Outcome::Failed { why } => assert!(why.contains("cannot find"), "{why}"),
            other => panic!("{other:?}"),
        }
        let asked = w.asked();
        let what: Vec<&str> = asked.iter().map(|a| a.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "available https://news.example.org/kept",
                "available https://news.example.org/fresh",
                "save https://news.example.org/fresh",
                "save https://news.example.org/fresh",
                "status spn2-1",
                "status spn2-1",
                "available https://news.example.org/unsaveable",
                "save https://news.example.org/unsaveable",
                "status spn2-2",
                "available https://news.example.org/kept/later",
                "save https://news.example.org/kept/later",
                "status spn2-3",
                "status spn2-3",
            ]
        );
        // Never a burst: every request at least the gap after the one before; the 429's
        // `Retry-After: 1` waited out.
        for pair in asked.windows(2) {
            let apart = pair[1].at - pair[0].at;
            assert!(
                apart >= GAP,
                "{} then {} only {apart:?} apart",
                pair[0].what,
                pair[1].what
            );
        }
        assert!(
            asked[3].at - asked[2].at >= Duration::from_secs(1),
            "the 429 was waited out"
        );
        // As the operator's account, to Save Page Now only: the availability API needs none.
        for a in &asked {
            let signed = !a.what.starts_with("available ");
            assert_eq!(
                a.auth.as_deref(),
                signed.then_some("LOW acc3ss:s3cret"),
                "{}",
                a.what
            );
        }
    });
}

#[test]
fn without_leave_the_archive_on_a_private_address_is_never_asked() {
    runtime().block_on(async {
        let (w, port) = wayback().await;
        let a = archive(port, false);
        let pages = vec![page("x", "https://news.example.org/x", None)];
        let (done, _) = dossier::sources::archive::archive(&a, pages).await;
        match &done[0].outcome {
            Outcome::Failed { why } => assert!(why.contains("loopback"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert!(w.asked().is_empty(), "{:?}", w.asked());
    });
}

/// A git work tree holding the small fixture topic, its two sources at addresses the fake
/// archive has a snapshot of (`/kept`) and has none of.
fn tree() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("briefings");
    copy_tree(&fixtures().join("valid/small"), &root);
    let file = root.join("river-treaty/sources.toml");
    let text = std::fs::read_to_string(&file).expect("sources").replace(
        "https://gazette.example.org/water-talks-resume",
        "https://gazette.example.org/kept/water-talks-resume",
    );
    std::fs::write(&file, text).expect("write");
    commit_as_setup(dir.path());
    (dir, root)
}

fn dossier(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .env("DOSSIER_TODAY", "2026-03-25")
        .env("NO_COLOR", "1")
        .output()
        .expect("run dossier")
}

#[test]
fn sources_archive_keeps_each_snapshot_in_the_card_as_dossier_and_every_surface_shows_it() {
    let rt = runtime();
    let (w, port) = rt.block_on(wayback());
    let (dir, root) = tree();
    let keys = dir.path().join("archive-keys");
    std::fs::write(&keys, "acc3ss:s3cret\n").expect("keys");
    let cfg = dir.path().join("dossier.toml");
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"{}\"\nstate = \"{}\"\n\n[sources]\nallow_private = true\narchive = \"http://127.0.0.1:{port}\"\navailability = \"http://127.0.0.1:{port}/wayback/available\"\narchive_keys_file = \"{}\"\narchive_gap = \"50ms\"\n",
            root.display(),
            dir.path().join("state").display(),
            keys.display()
        ),
    )
    .expect("config");
    let cfg = cfg.to_str().expect("utf-8").to_owned();
    let out = dossier(&["sources", "archive", "--config", &cfg, "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("s3cret"),
        "the keys never reach a log: {stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["kept"].as_array().map(Vec::len), Some(2), "{v:#}");
    let outcomes: Vec<&str> = v["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(|s| s["outcome"].as_str())
        .collect();
    assert_eq!(outcomes, ["found", "saved"], "{v:#}");

    // In the card, committed by dossier, and the cards still check.
    let card = std::fs::read_to_string(root.join("river-treaty/sources.toml")).expect("card");
    assert!(
        card.contains(&format!(
            "archived = \"http://127.0.0.1:{port}/web/20260316101500/https://gazette.example.org/kept/water-talks-resume\"\narchived_on = \"2026-03-16\"\n"
        )),
        "{card}"
    );
    assert!(card.contains("archived_on = \"2026-12-07\""), "{card}");
    let log = git(dir.path(), &["log", "-1", "--format=%an|%s"]);
    assert_eq!(
        log.trim(),
        "dossier|river-treaty: snapshots of 2 sources kept"
    );
    let root_s = root.to_str().expect("utf-8");
    let check = dossier(&["check", "--briefings", root_s]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // Kept already: a second run asks the archive nothing.
    let before = w.asked().len();
    let again = dossier(&["sources", "archive", "--config", &cfg]);
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 pages asked for"));
    assert_eq!(w.asked().len(), before);

    // `sources` and every citation list show the snapshot beside the live address.
    let asked = dossier(&["ask", "--briefings", root_s, "sources"]);
    let said = String::from_utf8_lossy(&asked.stdout);
    assert!(
        said.contains("archived 16 Mar 2026: http://127.0.0.1:"),
        "{said}"
    );
    assert!(
        said.contains("archived 7 Dec 2026: http://127.0.0.1:"),
        "{said}"
    );
    assert!(
        said.contains("https://gazette.example.org/kept/water-talks-resume"),
        "{said}"
    );

    // The static site's sources page links each snapshot.
    let site = dir.path().join("site");
    let made = dossier(&[
        "site",
        "--briefings",
        root_s,
        "--out",
        site.to_str().expect("utf-8"),
        "--state",
        dir.path().join("site-state").to_str().expect("utf-8"),
    ]);
    assert_eq!(
        made.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let page = std::fs::read_to_string(site.join("t/river-treaty/sources/index.html"))
        .or_else(|_| std::fs::read_to_string(site.join("t/river-treaty/sources.html")))
        .expect("the sources page");
    assert!(page.contains("/web/20260316101500/https://gazette.example.org/kept/water-talks-resume\" rel=\"external noopener noreferrer\">archived 16 Mar 2026</a>"), "{page}");
}

#[test]
fn a_snapshot_in_a_card_is_checked_with_file_line_and_column() {
    let dir = small_tree();
    let file = dir.path().join("river-treaty/sources.toml");
    let good = std::fs::read_to_string(&file).expect("sources");
    let bad = good
        .replace(
            "published = \"2026-03-15\"\n",
            "published = \"2026-03-15\"\narchived = \"ftp://archive.example.org/x\"\narchived_on = \"2026-13-01\"\n",
        )
        .replace(
            "accessed = \"2026-03-20\"\n",
            "accessed = \"2026-03-20\"\narchived_on = \"2026-03-21\"\n",
        );
    std::fs::write(&file, &bad).expect("write");
    let loaded = load(dir.path(), fixture_today());
    let found: Vec<(usize, usize, &str)> = loaded
        .report
        .diagnostics
        .iter()
        .filter(|d| d.path.ends_with("sources.toml"))
        .map(|d| (d.line, d.column, d.code))
        .collect();
    assert_eq!(
        found,
        [
            (7, 12, "bad-url"),
            (8, 15, "bad-date"),
            (18, 15, "archived-on-alone")
        ],
        "{}",
        human(&loaded, dir.path())
    );
    // A snapshot with its day is a valid card.
    std::fs::write(
        &file,
        good.replace(
            "published = \"2026-03-15\"\n",
            "published = \"2026-03-15\"\narchived = \"https://web.archive.org/web/2026/https://gazette.example.org/water-talks-resume\"\narchived_on = \"2026\"\n",
        ),
    )
    .expect("write");
    let loaded = load(dir.path(), fixture_today());
    assert!(
        !loaded.report.has_errors(),
        "{}",
        human(&loaded, dir.path())
    );
    let s = &loaded.topics[0].sources[0];
    let snap = s.archived.as_ref().expect("kept");
    assert_eq!(snap.on.map(|d| d.to_string()).as_deref(), Some("2026"));
}

#[test]
fn the_archive_keys_never_follow_a_redirect_to_another_host() {
    runtime().block_on(async {
        let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let log = seen.clone();
        let other = axum::Router::new().fallback(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                log.lock().expect("lock").push(
                    headers
                        .get(header::AUTHORIZATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                );
                axum::Json(serde_json::json!({"job_id": "spn2-x"}))
            }
        });
        let other_port = serve_loopback(other).await;
        let first = axum::Router::new().fallback(move || async move {
            (
                StatusCode::TEMPORARY_REDIRECT,
                [(
                    header::LOCATION,
                    format!("http://127.0.0.1:{other_port}/save"),
                )],
            )
        });
        let port = serve_loopback(first).await;
        let a = archive(port, true);
        let got = a
            .fetcher
            .call(
                &format!("http://127.0.0.1:{port}/save"),
                Some(&[("url", "https://news.example.org/x")]),
                Some("LOW acc3ss:s3cret"),
            )
            .await
            .expect("an answer");
        assert_eq!(got.status, 200);
        assert_eq!(
            *seen.lock().expect("lock"),
            vec![None],
            "the keys stayed behind"
        );
    });
}
