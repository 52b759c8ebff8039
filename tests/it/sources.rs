//! Sources that stay true: every cited page looked at against a fake origin on 127.0.0.1 (a
//! page that answers, one moved for good, 404 and 410, a 500 that recovers, robots refused,
//! `HEAD` refused, a page rewritten since it was cited, a redirect loop, a server that never
//! answers), with the verdicts kept between looks in SQLite and PostgreSQL, `gone` only after
//! looks a day apart, and nothing fetched from the test servers without the operator's leave.

use crate::common::*;
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use dossier::fetch::address::Policy;
use dossier::fetch::client::{Fetcher, Lookup, Options};
use dossier::sources::check::{Pace, Report, Told, check};
use dossier::sources::verdict::Status;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The pages of the fake origin, and how it answers each.
const PAGES: [&str; 11] = [
    "ok", "moved", "gone", "dead", "flaky", "robots", "nohead", "edited", "loop", "hang", "tiny",
];

fn article(words: impl Iterator<Item = String>) -> String {
    format!(
        "<html><head><title>Report</title><script>track()</script></head><body><p>{}</p></body></html>",
        words.collect::<Vec<_>>().join(" ")
    )
}

/// The fake origin: `looks` counts the looks so far (the edited page is rewritten on the
/// second, the flaky one recovers), `hits` every request.
pub(crate) async fn origin(looks: Arc<AtomicUsize>, hits: Arc<AtomicUsize>) -> u16 {
    let app = axum::Router::new().fallback(move |method: Method, uri: axum::http::Uri| {
        let (looks, hits) = (looks.clone(), hits.clone());
        async move {
            hits.fetch_add(1, Ordering::SeqCst);
            let round = looks.load(Ordering::SeqCst);
            let page = |n: usize, prefix: &'static str| {
                article((0..n).map(move |i| format!("{prefix}{i}"))).into_response()
            };
            match uri.path() {
                "/ok" | "/tiny" | "/new" => page(300, "word"),
                "/moved" => {
                    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/new")]).into_response()
                }
                "/gone" => StatusCode::NOT_FOUND.into_response(),
                "/dead" => StatusCode::GONE.into_response(),
                "/flaky" if round == 0 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                "/flaky" => page(300, "word"),
                "/robots" => StatusCode::FORBIDDEN.into_response(),
                "/nohead" if method == Method::HEAD => {
                    StatusCode::METHOD_NOT_ALLOWED.into_response()
                }
                "/nohead" => page(300, "word"),
                // Rewritten after it was cited: half its words are others.
                "/edited" if round == 0 => page(300, "word"),
                "/edited" => article((0..300).map(|i| {
                    if i % 2 == 0 {
                        format!("word{i}")
                    } else {
                        format!("rewritten{i}")
                    }
                }))
                .into_response(),
                "/loop" => (StatusCode::FOUND, [(header::LOCATION, "/loop")]).into_response(),
                "/hang" => {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    StatusCode::OK.into_response()
                }
                _ => StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    serve_loopback(app).await
}

/// The small fixture topic citing each page of the origin at `origin.test:port`.
fn cards(port: u16) -> (tempfile::TempDir, dossier::library::Library) {
    let dir = small_tree();
    let file = dir.path().join("river-treaty/sources.toml");
    let mut text = std::fs::read_to_string(&file).expect("sources");
    for p in PAGES {
        text.push_str(&format!(
            "\n[[source]]\nid = \"page-{p}\"\ntitle = \"[The {p} page]\"\npublisher = \"Origin\"\nurl = \"http://origin.test:{port}/{p}\"\nkind = \"news\"\n"
        ));
    }
    std::fs::write(&file, text).expect("write");
    let loaded = load(dir.path(), fixture_today());
    assert!(
        !loaded.report.has_errors(),
        "{}",
        human(&loaded, dir.path())
    );
    let lib = dossier::library::Library::new(loaded.topics);
    (dir, lib)
}

fn fetcher(allow_private: bool) -> Fetcher {
    let mut o = Options::new(
        Policy {
            allow_private,
            allowed: Vec::new(),
        },
        Some("https://briefings.example.org/about"),
    );
    o.lookup = Lookup::Fixed(HashMap::from([(
        "origin.test".to_owned(),
        vec![IpAddr::from([127, 0, 0, 1])],
    )]));
    o.total = Duration::from_secs(1);
    Fetcher::new(o).expect("fetcher")
}

fn of<'a>(reports: &'a [Report], page: &str) -> &'a Report {
    reports
        .iter()
        .find(|r| r.id == format!("page-{page}"))
        .unwrap_or_else(|| panic!("no report of {page}: {reports:#?}"))
}

const PACE: Pace = Pace {
    hosts: 4,
    gap: Duration::from_millis(10),
};

async fn looks_on(b: &crate::stores::Backend) {
    let looks = Arc::new(AtomicUsize::new(0));
    let hits = Arc::new(AtomicUsize::new(0));
    let port = origin(looks.clone(), hits.clone()).await;
    let (_dir, lib) = cards(port);
    let store = b.open_all().await.sources;
    let fetcher = fetcher(true);
    let t0 = chrono::Utc::now();
    let first = check(&lib, None, &fetcher, store.as_ref(), PACE, t0)
        .await
        .expect("first look");
    let verdict = |r: &[Report], p: &str| of(r, p).status;
    assert_eq!(verdict(&first, "ok"), Status::Ok);
    assert_eq!(of(&first, "ok").http, Some(200));
    assert_eq!(verdict(&first, "moved"), Status::Moved);
    assert_eq!(
        of(&first, "moved").moved_to.as_deref(),
        Some(format!("http://origin.test:{port}/new").as_str())
    );
    assert_eq!(verdict(&first, "robots"), Status::Blocked);
    assert_eq!(verdict(&first, "nohead"), Status::Ok);
    // One look never calls a page gone.
    for p in ["gone", "dead", "flaky", "loop", "hang"] {
        assert_eq!(verdict(&first, p), Status::Failing, "{p}");
    }
    assert!(of(&first, "hang").error.is_some());
    assert!(first.iter().all(|r| !r.changed && r.told.is_none()));

    // A second look within the day: still failing; the flaky page answers; the edited page is
    // found changed, once.
    looks.store(1, Ordering::SeqCst);
    let t1 = t0 + chrono::Duration::hours(2);
    let second = check(&lib, None, &fetcher, store.as_ref(), PACE, t1)
        .await
        .expect("second look");
    assert_eq!(verdict(&second, "gone"), Status::Failing);
    assert_eq!(verdict(&second, "flaky"), Status::Ok);
    assert!(of(&second, "edited").changed);
    assert_eq!(of(&second, "edited").told, Some(Told::Changed));
    assert!(
        !of(&second, "ok").changed,
        "an unchanged page is not changed"
    );

    // A day after the first: the 404 and the 410 are gone, told once.
    let t2 = t0 + chrono::Duration::hours(25);
    let third = check(&lib, None, &fetcher, store.as_ref(), PACE, t2)
        .await
        .expect("third look");
    assert_eq!(verdict(&third, "gone"), Status::Gone);
    assert_eq!(verdict(&third, "dead"), Status::Gone);
    assert_eq!(of(&third, "gone").told, Some(Told::Gone));
    assert!(of(&third, "edited").changed);
    assert_eq!(of(&third, "edited").told, None, "told once");
    let t3 = t0 + chrono::Duration::hours(26);
    let fourth = check(&lib, None, &fetcher, store.as_ref(), PACE, t3)
        .await
        .expect("fourth look");
    assert_eq!(of(&fourth, "gone").told, None, "told once");

    // Every replica reads the same verdicts.
    let other = b.open_all().await.sources;
    let kept = other.checks(Some("river-treaty")).await.expect("checks");
    let gone = kept.iter().find(|k| k.id == "page-gone").expect("kept");
    assert_eq!((gone.status.as_str(), gone.http), ("gone", Some(404)));
}

#[test]
fn every_cited_page_is_judged_and_gone_needs_looks_a_day_apart_on_sqlite_and_postgres() {
    crate::stores::on_both(|b| Box::pin(looks_on(b)));
}

#[test]
fn without_leave_no_look_reaches_a_private_address() {
    runtime().block_on(async {
        let hits = Arc::new(AtomicUsize::new(0));
        let port = origin(Arc::new(AtomicUsize::new(0)), hits.clone()).await;
        let (_dir, lib) = cards(port);
        let store = dossier::store::memory::MemorySources::default();
        let reports = check(
            &lib,
            None,
            &fetcher(false),
            &store,
            PACE,
            chrono::Utc::now(),
        )
        .await
        .expect("look");
        for p in PAGES {
            let r = of(&reports, p);
            assert_eq!(r.status, Status::Failing, "{p}");
            assert!(
                r.error.as_deref().is_some_and(|e| e.contains("loopback")),
                "{p}: {r:?}"
            );
        }
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "no request reached the origin"
        );
    });
}

#[test]
fn sources_check_prints_json_for_scripts_and_exits_0() {
    runtime().block_on(async {
        let port = origin(Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0))).await;
        let dir = small_tree();
        // Every source on this machine: the command resolves names itself.
        let file = dir.path().join("river-treaty/sources.toml");
        let mut n = 0;
        let text: String = std::fs::read_to_string(&file)
            .expect("sources")
            .lines()
            .map(|l| {
                if l.starts_with("url = ") {
                    n += 1;
                    let (page, i) = (if n == 1 { "ok" } else { "gone" }, n);
                    format!("url = \"http://127.0.0.1:{port}/{page}?line={i}\"\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        std::fs::write(&file, text).expect("write");
        let conf = tempfile::tempdir().expect("config dir");
        let cfg = conf.path().join("dossier.toml");
        std::fs::write(
            &cfg,
            format!(
                "briefings = \"{}\"\nstate = \"{}\"\n\n[sources]\nallow_private = true\n",
                dir.path().display(),
                conf.path().join("state").display()
            ),
        )
        .expect("config");
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
                .args(["sources", "check", "--format", "json", "--config"])
                .arg(&cfg)
                .env("DOSSIER_TODAY", "2026-03-25")
                .output()
                .expect("run dossier")
        })
        .await
        .expect("run");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let sources = v["sources"].as_array().expect("sources");
        assert_eq!(sources.len(), 2, "{v:#}");
        for s in sources {
            for key in ["topic", "id", "url", "status", "checked_at", "changed"] {
                assert!(!s[key].is_null(), "`{key}` in {s}");
            }
            for key in ["http", "archived", "moved_to"] {
                assert!(s.get(key).is_some(), "`{key}` in {s}");
            }
        }
        let statuses: Vec<&str> = sources
            .iter()
            .filter_map(|s| s["status"].as_str())
            .collect();
        assert!(
            statuses.contains(&"ok") && statuses.contains(&"failing"),
            "{statuses:?}"
        );
    });
}

#[test]
fn serves_watcher_looks_at_what_is_due_and_tells_the_moderators_once() {
    runtime().block_on(async {
        let looks = Arc::new(AtomicUsize::new(0));
        let hits = Arc::new(AtomicUsize::new(0));
        let port = origin(looks.clone(), hits.clone()).await;
        let (_dir, lib) = cards(port);
        let shelf = dossier::service::Shelf::new(lib);
        let notices = dossier::service::Notices::default();
        let mut heard = notices.subscribe();
        let store: Arc<dyn dossier::store::sources::SourceStore> =
            Arc::new(dossier::store::memory::MemorySources::default());
        let mut w = dossier::sources::watch::Watching {
            fetcher: fetcher(true),
            store: store.clone(),
            every: Duration::ZERO,
            pace: PACE,
            archiving: None,
        };
        dossier::sources::watch::look(&w, &shelf, &notices).await;
        let first = hits.load(Ordering::SeqCst);
        assert!(first >= PAGES.len(), "every page looked at: {first}");
        assert!(heard.try_recv().is_err(), "a first look tells nothing");
        // The edited page is rewritten: one notice, on the look that finds it.
        looks.store(1, Ordering::SeqCst);
        dossier::sources::watch::look(&w, &shelf, &notices).await;
        let n = heard.try_recv().expect("a notice");
        assert_eq!(n.kind, dossier::service::NoticeKind::Source);
        assert!(
            n.title
                .contains("changed since it was cited: river-treaty/page-edited"),
            "{}",
            n.title
        );
        assert!(heard.try_recv().is_err(), "{:?}", heard.try_recv());
        dossier::sources::watch::look(&w, &shelf, &notices).await;
        assert!(heard.try_recv().is_err(), "told once");
        // Looked at a moment ago: with a week between looks, nothing is due.
        w.every = Duration::from_secs(7 * 86_400);
        let before = hits.load(Ordering::SeqCst);
        dossier::sources::watch::look(&w, &shelf, &notices).await;
        assert_eq!(hits.load(Ordering::SeqCst), before, "nothing asked");
        assert_eq!(
            store.checks(None).await.expect("checks").len(),
            PAGES.len() + 2
        );
    });
}

#[cfg(feature = "discord")]
#[test]
fn metrics_count_the_cited_pages_by_verdict_as_the_store_keeps_them() {
    runtime().block_on(async {
        let store: Arc<dyn dossier::store::sources::SourceStore> =
            Arc::new(dossier::store::memory::MemorySources::default());
        let now = chrono::Utc::now();
        for (id, status, changed) in [("a", "ok", false), ("b", "gone", false), ("c", "ok", true)] {
            store
                .save(&dossier::store::sources::SourceCheck {
                    topic: "t".into(),
                    id: id.into(),
                    url: format!("https://example.org/{id}"),
                    status: status.into(),
                    http: Some(200),
                    checked_at: now,
                    failing_since: None,
                    moved_to: None,
                    fingerprint: None,
                    words: None,
                    changed_at: changed.then_some(now),
                })
                .await
                .expect("save");
        }
        let app = Arc::new(
            dossier::app::App::new(
                bundled_library(),
                None,
                dossier::clock::Clock::Fixed(bundled_today()),
            )
            .with_sources(store),
        );
        // `status` says the same to a moderator.
        let asker = dossier::service::Asker {
            standing: dossier::service::Standing {
                user: Some("@mod:hs".into()),
                place_moderator: true,
                ..Default::default()
            },
            ..dossier::service::Asker::on(dossier::service::Platform::Matrix)
        };
        let r = dossier::router::respond(&app, &dossier::commands::Command::Status, &asker).await;
        let said = r
            .sections
            .iter()
            .find(|s| s.heading == "Cited pages, by their latest look")
            .map(|s| format!("{:?}", s.body))
            .unwrap_or_default();
        assert!(
            said.contains("2 ok, 0 moved, 0 blocked, 0 failing, 1 gone; 1 changed since cited"),
            "{said:?}: {r:#?}"
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, dossier::http::router(app, None)).await;
        });
        let text = reqwest::get(format!("{base}/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let samples = crate::reload::parse_exposition(&text);
        assert_eq!(
            samples.get("dossier_sources{status=\"ok\"}"),
            Some(&2.0),
            "{text}"
        );
        assert_eq!(samples.get("dossier_sources{status=\"gone\"}"), Some(&1.0));
        assert_eq!(
            samples.get("dossier_sources{status=\"failing\"}"),
            Some(&0.0)
        );
        assert_eq!(samples.get("dossier_sources_changed"), Some(&1.0));
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
    });
}

/// A look kept in the store, as another replica's watcher would have kept it.
fn kept_look(
    id: &str,
    url: &str,
    status: &str,
    since_days: i64,
    moved_to: Option<&str>,
) -> dossier::store::sources::SourceCheck {
    let now = chrono::Utc::now();
    dossier::store::sources::SourceCheck {
        topic: "river-treaty".into(),
        id: id.into(),
        url: url.into(),
        status: status.into(),
        http: Some(if status == "gone" { 404 } else { 200 }),
        checked_at: now,
        failing_since: (status == "gone").then(|| now - chrono::Duration::days(since_days)),
        moved_to: moved_to.map(str::to_owned),
        fingerprint: None,
        words: None,
        changed_at: None,
    }
}

#[test]
fn a_page_gone_leads_with_its_snapshot_and_a_page_moved_shows_its_new_address_on_every_surface() {
    runtime().block_on(async {
        let dir = small_tree();
        let file = dir.path().join("river-treaty/sources.toml");
        let snapshot = "https://web.archive.org/web/20260316090000/https://gazette.example.org/water-talks-resume";
        let text = std::fs::read_to_string(&file).expect("sources").replace(
            "published = \"2026-03-15\"\n",
            &format!("published = \"2026-03-15\"\narchived = \"{snapshot}\"\narchived_on = \"2026-03-16\"\n"),
        );
        std::fs::write(&file, text).expect("write");
        let loaded = load(dir.path(), fixture_today());
        assert!(!loaded.report.has_errors(), "{}", human(&loaded, dir.path()));
        let store: Arc<dyn dossier::store::sources::SourceStore> =
            Arc::new(dossier::store::memory::MemorySources::default());
        let app = Arc::new(
            dossier::app::App::new(
                dossier::library::Library::new(loaded.topics),
                None,
                dossier::clock::Clock::Fixed(fixture_today()),
            )
            .with_sources(store.clone()),
        );
        let ask = |line: &'static str| {
            let app = app.clone();
            async move {
                let cmd = dossier::commands::parse(line).expect("parses");
                let asker = dossier::service::Asker::on(dossier::service::Platform::Matrix);
                dossier::router::respond(&app, &cmd, &asker).await
            }
        };
        // Before any look: the live address first, the snapshot beside it.
        let r = ask("sources").await;
        let gazette = r.citations.iter().find(|c| c.source_id == "gazette-talks").expect("cited");
        assert_eq!(gazette.link(), "https://gazette.example.org/water-talks-resume");
        assert_eq!(gazette.asides()[0].text, "archived 16 Mar 2026");
        let plain = dossier::render::text::render(&r, dossier::render::text::TextStyle::PLAIN);
        assert!(plain.contains(&format!("archived 16 Mar 2026: {snapshot}")), "{plain}");

        // Another replica found the gazette gone and the ministry's page moved.
        let gone_since = (chrono::Utc::now() - chrono::Duration::days(3)).date_naive();
        let since = dossier::date::human_day(gone_since);
        let new_home = "https://mfa.northland.example/archive/long-river";
        for look in [
            kept_look("gazette-talks", "https://gazette.example.org/water-talks-resume", "gone", 3, None),
            kept_look("northland-statement", "https://mfa.northland.example/statements/long-river", "moved", 0, Some(new_home)),
        ] {
            store.save(&look).await.expect("save");
        }
        let version = app.shelf.snapshot().version();
        assert!(dossier::sources::shown::refresh(store.as_ref(), &app.shelf).await);
        assert!(app.shelf.snapshot().version() > version, "the same cards, as a new version");
        assert!(!dossier::sources::shown::refresh(store.as_ref(), &app.shelf).await, "nothing new, nothing swapped");

        let r = ask("sources").await;
        let gazette = r.citations.iter().find(|c| c.source_id == "gazette-talks").expect("cited");
        assert_eq!(gazette.link(), snapshot, "a page gone leads with its snapshot");
        assert_eq!(gazette.asides()[0].text, format!("archived copy; original offline since {since}"));
        let ministry = r.citations.iter().find(|c| c.source_id == "northland-statement").expect("cited");
        // A page that moved keeps its cited address first (a lapsed domain redirects anywhere);
        // its new one is said beside it.
        assert_eq!(ministry.link(), "https://mfa.northland.example/statements/long-river");
        assert_eq!(ministry.asides()[0].text, "moved");
        assert_eq!(ministry.asides()[0].link, Some(new_home));
        // The terminal, Discord and Matrix say the same.
        let plain = dossier::render::text::render(&r, dossier::render::text::TextStyle::PLAIN);
        assert!(plain.contains(&format!("      {snapshot}\n      archived copy; original offline since {since}")), "{plain}");
        let discord = dossier::render::discord::render(&r);
        let sources = discord.embeds[0].fields.iter().find(|f| f.name == "Sources").expect("sources field");
        assert!(sources.value.contains(&format!("]({snapshot}) — The River Gazette, 15 Mar 2026 · archived copy; original offline since {since}")), "{}", sources.value);
        assert!(sources.value.contains(&format!(" · [moved]({new_home})")), "{}", sources.value);
        let matrix = dossier::render::matrix::render(&r, "!");
        assert!(matrix.html.contains(&format!("<a href=\"{snapshot}\">")), "{}", matrix.html);
        assert!(matrix.html.contains("original offline since"), "{}", matrix.html);

        // The web sources page: the snapshot first, and each source's last check.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, dossier::web::router(app)).await;
        });
        let page = reqwest::get(format!("{base}/t/river-treaty/sources"))
            .await
            .expect("page")
            .text()
            .await
            .expect("text");
        assert!(page.contains(&format!("<a href=\"{snapshot}\" rel=\"external noopener noreferrer\">Water talks resume</a>")), "{page}");
        assert!(page.contains(&format!("Original offline since {since}; the title links to the archived copy")), "{page}");
        assert!(page.contains(&format!("Moved to <a href=\"{new_home}\"")), "{page}");
    });
}
