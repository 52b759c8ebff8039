//! The web door on a real listener on 127.0.0.1: every kind of page of the bundled topic, its
//! headers (CSP with no script, ETag, Last-Modified, 304), every citation linking to an anchor
//! that exists on the sources page, 404 pages with "did you mean", over-long and malformed
//! queries refused, hostile card text shown as text, and a reload shown at once.

use crate::common::*;
use dossier::app::App;
use dossier::clock::Clock;
use dossier::reload::Trigger;
use std::collections::HashSet;
use std::sync::Arc;

struct Site {
    base: String,
    app: Arc<App>,
    root: std::path::PathBuf,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

/// The bundled cards, copied to a temp folder, served on 127.0.0.1 as `serve` mounts the web
/// door (with `extra` routes beside it), recording changes as `serve` does; `configure` gets
/// the app and the temp folder. Ready once the change feed has its first entry.
pub(crate) struct Bundled {
    pub(crate) base: String,
    pub(crate) app: Arc<App>,
    pub(crate) root: std::path::PathBuf,
    pub(crate) dir: tempfile::TempDir,
}

pub(crate) async fn serve_bundled(
    configure: impl FnOnce(App, &std::path::Path) -> App,
    extra: axum::Router,
) -> Bundled {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("briefings");
    copy_tree(&bundled(), &root);
    let loaded = load(&root, bundled_today());
    let app = App::new(
        dossier::library::Library::new(loaded.topics),
        None,
        Clock::Fixed(bundled_today()),
    )
    .reading(root.clone(), &loaded.report);
    let app = Arc::new(configure(app, dir.path()));
    app.follow_changes(tokio_util::sync::CancellationToken::new());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.feed.entries(TOPIC).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let router = dossier::http::router(
        app.clone(),
        Some(dossier::web::router(app.clone()).merge(extra)),
    );
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    Bundled {
        base,
        app,
        root,
        dir,
    }
}

async fn site() -> Site {
    let b = serve_bundled(|app, _| app, axum::Router::new()).await;
    Site {
        base: b.base,
        app: b.app,
        root: b.root,
        _dir: b.dir,
        http: reqwest::Client::new(),
    }
}

impl Site {
    /// A conditional GET: its status and body.
    async fn get_if(&self, path: &str, tag: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("if-none-match", tag)
            .send()
            .await
            .expect("request");
        (r.status().as_u16(), r.text().await.expect("body"))
    }

    async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.text().await.expect("body"))
    }
}

/// Every `href="…"` of a page.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|s| s.replace("&amp;", "&"))
        .collect()
}

const TOPIC: &str = "iran-us-talks";

#[test]
fn every_page_renders_and_every_citation_links_to_a_source_that_exists() {
    runtime().block_on(async {
        let s = site().await;
        let (status, headers, sources) = s.get(&format!("/t/{TOPIC}/sources")).await;
        assert_eq!(status, 200);
        let anchors: HashSet<String> = sources
            .split("id=\"src-")
            .skip(1)
            .filter_map(|x| x.split('"').next())
            .map(str::to_owned)
            .collect();
        let lib = s.app.snapshot();
        let topic = &lib.topics()[0];
        assert_eq!(anchors.len(), topic.sources.len());
        let csp = headers["content-security-policy"].to_str().expect("csp");
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe"),
            "{csp}"
        );

        let mut pages = vec![
            "/".to_owned(),
            format!("/t/{TOPIC}"),
            format!("/t/{TOPIC}/timeline"),
            format!("/t/{TOPIC}/timeline?page=2"),
            format!("/t/{TOPIC}/timeline?since=2026-02&until=2026-03&actor=oman"),
            format!("/t/{TOPIC}/experts"),
            format!("/t/{TOPIC}/sources"),
            format!("/t/{TOPIC}/changes"),
            format!("/t/{TOPIC}/changes/1"),
        ];
        pages.extend(
            topic
                .actors
                .iter()
                .map(|a| format!("/t/{TOPIC}/actors/{}", a.id)),
        );
        let mut citations = 0;
        for p in &pages {
            let (status, headers, html) = s.get(p).await;
            assert_eq!(status, 200, "{p}: {html}");
            assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\">"), "{p}");
            assert!(
                html.contains("<main id=\"main\">") && html.contains("<h1>"),
                "{p}"
            );
            assert!(!html.to_ascii_lowercase().contains("<script"), "{p}");
            assert!(
                headers.contains_key("etag") && headers.contains_key("last-modified"),
                "{p}"
            );
            assert_eq!(headers["content-type"], "text/html; charset=utf-8");
            for h in hrefs(&html) {
                if let Some(id) = h.strip_prefix(&format!("/t/{TOPIC}/sources#src-")) {
                    assert!(anchors.contains(id), "{p}: {h} has no anchor");
                    citations += 1;
                } else if let Some(id) = h.strip_prefix('#') {
                    assert!(html.contains(&format!("id=\"{id}\"")), "{p}: {h}");
                } else if h.starts_with('/') {
                    let path = h.split(['#', '?']).next().unwrap_or_default();
                    assert!(
                        pages.iter().any(|x| x.split('?').next() == Some(path))
                            || path == "/style.css"
                            || path == format!("/t/{TOPIC}/feed.atom"),
                        "{p}: a link to {h}, a page not checked here"
                    );
                } else {
                    // The empty icon (so no request for /favicon.ico) is the one data: link.
                    assert!(
                        h.starts_with("https://") || h.starts_with("http://") || h == "data:,",
                        "{p}: {h}"
                    );
                }
            }
        }
        assert!(citations > 100, "only {citations} citations");
        // The brief lists every actor of the bundled topic, each linked to its page.
        let (_, _, brief) = s.get(&format!("/t/{TOPIC}")).await;
        for a in &topic.actors {
            assert!(
                brief.contains(&format!("href=\"/t/{TOPIC}/actors/{}\"", a.id)),
                "{} is not on the brief",
                a.id
            );
        }
        // An actor's page has its whole history, each entry dated.
        let (_, _, iran) = s.get(&format!("/t/{TOPIC}/actors/iran")).await;
        let iran_actor = topic.actors.iter().find(|a| a.id == "iran").expect("iran");
        assert!(iran.contains("How it changed"), "{iran}");
        assert!(
            iran.contains("5 Feb 2026"),
            "the first entry of the history"
        );
        assert!(iran_actor.history.len() >= 7);
        // The timeline and an actor's page carry their charts, inline.
        for p in [
            format!("/t/{TOPIC}/timeline"),
            format!("/t/{TOPIC}/actors/iran"),
        ] {
            let (_, _, html) = s.get(&p).await;
            assert!(html.contains("<figure class=\"chart\"><svg "), "{p}");
            assert!(html.contains("<figcaption>"), "{p}");
        }
        // A stale card says so, as in chat.
        assert!(iran.contains("class=\"stale\""), "{iran}");
        let (status, _, css) = s.get("/style.css").await;
        assert_eq!(status, 200);
        assert!(css.contains("prefers-color-scheme: dark") && css.contains("@media print"));
    });
}

#[test]
fn unknown_names_are_404_with_did_you_mean_and_bad_queries_are_refused() {
    runtime().block_on(async {
        let s = site().await;
        let (status, _, html) = s.get("/t/iran-us-talk").await;
        assert_eq!(status, 404);
        assert!(
            html.contains("Did you mean") && html.contains("href=\"/t/iran-us-talks\""),
            "{html}"
        );
        let (status, _, html) = s.get(&format!("/t/{TOPIC}/actors/irann")).await;
        assert_eq!(status, 404);
        assert!(
            html.contains(&format!("href=\"/t/{TOPIC}/actors/iran\"")),
            "{html}"
        );
        let (status, _, _) = s
            .get(&format!("/t/{TOPIC}/timeline?since=2026-02-30"))
            .await;
        assert_eq!(status, 400);
        let (status, _, _) = s.get(&format!("/t/{TOPIC}/timeline?page=0")).await;
        assert_eq!(status, 400);
        // (The http crate refuses to send an address of 64 KiB; 32 KiB is what it allows.)
        let long = "a".repeat(32 * 1024);
        let started = std::time::Instant::now();
        let (status, _, _) = s.get(&format!("/t/{TOPIC}/timeline?actor={long}")).await;
        assert_eq!(status, 414);
        let (status, _, _) = s.get(&format!("/t/{long}")).await;
        assert_eq!(status, 414);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // A long name inside the limits is quoted short on its 404 page.
        let (status, _, html) = s.get(&format!("/t/{}", "b".repeat(400))).await;
        assert_eq!(status, 404);
        assert!(html.len() < 5_000);
    });
}

#[test]
fn hostile_text_is_text_an_unchanged_page_is_304_and_a_reload_shows_at_once() {
    runtime().block_on(async {
        let s = site().await;
        let path = format!("/t/{TOPIC}/actors/oman");
        let (_, headers, _) = s.get(&path).await;
        let tag = headers["etag"].to_str().expect("etag").to_owned();
        let (status, body) = s.get_if(&path, &tag).await;
        assert_eq!(status, 304);
        assert!(body.is_empty());

        let card = s.root.join(TOPIC).join("actors/oman.toml");
        let text = std::fs::read_to_string(&card).expect("card");
        let hostile = "<script>alert(1)</script> \\\"><img src=x onerror=alert(2)>";
        let edited = text.replacen("stance = \"", &format!("stance = \"{hostile} "), 1);
        assert_ne!(edited, text, "the card has a stance");
        std::fs::write(&card, edited).expect("write");
        let record = s.app.reloader.reload_and_announce(Trigger::Command).await;
        assert!(
            matches!(
                record.outcome,
                dossier::reload::ReloadOutcome::Loaded { .. }
            ),
            "{:?}",
            record.outcome
        );
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .header("if-none-match", &tag)
            .send()
            .await
            .expect("request");
        assert_eq!(
            r.status().as_u16(),
            200,
            "a reload changes the page's validator"
        );
        let html = r.text().await.expect("body");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"),
            "{html}"
        );
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
    });
}

/// A card saved while `serve` runs (the file watcher on): its page shows the new text within a
/// second, and the change feed gains exactly one entry for it.
#[test]
fn a_saved_card_is_on_its_page_within_a_second() {
    runtime().block_on(async {
        let s = site().await;
        let stop = tokio_util::sync::CancellationToken::new();
        tokio::spawn(dossier::reload::watch(s.app.reloader.clone(), stop.clone()));
        // Let the watch arm before anything is written.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let entries = s.app.feed.entries(TOPIC).len();
        let path = format!("/t/{TOPIC}/actors/oman");
        let card = s.root.join(TOPIC).join("actors/oman.toml");
        let text = std::fs::read_to_string(&card).expect("card");
        let at = text.rfind("stance = \"").expect("a stance") + "stance = \"".len();
        let edited = format!(
            "{}Saved live for the web test. {}",
            &text[..at],
            &text[at..]
        );
        let tmp = card.with_extension("toml.tmp4913");
        std::fs::write(&tmp, edited).expect("write");
        let saved = std::time::Instant::now();
        std::fs::rename(&tmp, &card).expect("rename");
        let shown = loop {
            let (status, _, html) = s.get(&path).await;
            assert_eq!(status, 200);
            if html.contains("Saved live for the web test.") {
                break saved.elapsed();
            }
            assert!(
                saved.elapsed() < std::time::Duration::from_secs(5),
                "never shown"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        assert!(
            shown < std::time::Duration::from_secs(1),
            "a save must show on its page within a second, took {shown:?}"
        );
        tokio::time::sleep(dossier::reload::MAX_WAIT + std::time::Duration::from_millis(300)).await;
        let now = s.app.feed.entries(TOPIC);
        assert_eq!(now.len(), entries + 1, "one save, one entry");
        assert_eq!(now[0].title, "Oman's position moved");
        stop.cancel();
    });
}
