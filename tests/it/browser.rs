//! The web pages in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `scripts/test`; another with `DOSSIER_CHROMIUM=/path`) driven over the DevTools protocol with
//! chromiumoxide loads each kind of page from a running web door at a phone's and a desktop's
//! width. Each page renders (its screenshot is not blank, the stylesheet applied, nothing wider
//! than the screen), every actor of the bundled topic is on the brief, every citation on every
//! page points to an anchor that exists on the sources page, the dark scheme follows the
//! system, and no page logs a console error or a Content-Security-Policy violation. A page that
//! breaks the policy on purpose shows the check catches violations.

use crate::common::*;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::emulation::{
    MediaFeature, SetDeviceMetricsOverrideParams, SetEmulatedMediaParams,
};
use chromiumoxide::cdp::browser_protocol::log::{self, EventEntryAdded};
use chromiumoxide::cdp::js_protocol::runtime::{EventConsoleApiCalled, EventExceptionThrown};
use chromiumoxide::page::ScreenshotParams;
use dossier::app::App;
use futures_util::StreamExt;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOPIC: &str = "iran-us-talks";

/// The browser: `DOSSIER_CHROMIUM`, else Debian's.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("DOSSIER_CHROMIUM") {
        return PathBuf::from(p);
    }
    // Debian's binary itself, not its launcher script (which only adds flags).
    for p in [
        "/usr/lib/chromium/chromium",
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ] {
        if std::path::Path::new(p).is_file() {
            return PathBuf::from(p);
        }
    }
    panic!(
        "no Chromium for the browser tests: `apt-get install chromium` (scripts/test does), or set DOSSIER_CHROMIUM"
    );
}

/// What one page load did.
struct Load {
    problems: Vec<String>,
    screenshot: Vec<u8>,
    hrefs: Vec<String>,
    ids: HashSet<String>,
}

struct Tab {
    page: chromiumoxide::Page,
    problems: Arc<Mutex<Vec<String>>>,
}

impl Tab {
    async fn open(browser: &Browser, width: i64, height: i64, mobile: bool) -> Tab {
        let page = browser.new_page("about:blank").await.expect("new page");
        page.execute(log::EnableParams::default())
            .await
            .expect("Log.enable");
        page.execute(SetDeviceMetricsOverrideParams::new(
            width, height, 1.0, mobile,
        ))
        .await
        .expect("viewport");
        let problems = Arc::new(Mutex::new(Vec::new()));
        // Log entries (CSP violations are reported here), console errors and exceptions.
        let mut entries = page
            .event_listener::<EventEntryAdded>()
            .await
            .expect("log events");
        let p = problems.clone();
        tokio::spawn(async move {
            while let Some(e) = entries.next().await {
                let level = format!("{:?}", e.entry.level).to_lowercase();
                if level.contains("error") || level.contains("warning") {
                    p.lock().expect("lock").push(format!(
                        "log {level} ({:?}): {}",
                        e.entry.source, e.entry.text
                    ));
                }
            }
        });
        let mut console = page
            .event_listener::<EventConsoleApiCalled>()
            .await
            .expect("console events");
        let p = problems.clone();
        tokio::spawn(async move {
            while let Some(e) = console.next().await {
                let kind = format!("{:?}", e.r#type).to_lowercase();
                if kind.contains("error") || kind.contains("warn") || kind.contains("assert") {
                    p.lock().expect("lock").push(format!("console {kind}"));
                }
            }
        });
        let mut thrown = page
            .event_listener::<EventExceptionThrown>()
            .await
            .expect("exception events");
        let p = problems.clone();
        tokio::spawn(async move {
            while let Some(e) = thrown.next().await {
                p.lock()
                    .expect("lock")
                    .push(format!("exception: {}", e.exception_details.text));
            }
        });
        Tab { page, problems }
    }

    async fn eval<T: serde::de::DeserializeOwned>(&self, js: &str) -> T {
        self.page
            .evaluate(js)
            .await
            .unwrap_or_else(|e| panic!("{js}: {e}"))
            .into_value()
            .unwrap_or_else(|e| panic!("{js}: {e}"))
    }

    async fn load(&self, url: &str) -> Load {
        self.problems.lock().expect("lock").clear();
        self.page
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        self.page
            .wait_for_navigation()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        // Late console messages and violation reports.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let screenshot = self
            .page
            .screenshot(ScreenshotParams::builder().build())
            .await
            .expect("screenshot");
        let hrefs: Vec<String> = self
            .eval("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
            .await;
        let ids: Vec<String> = self
            .eval("[...document.querySelectorAll('[id]')].map(e => e.id)")
            .await;
        let problems = self.problems.lock().expect("lock").clone();
        Load {
            problems,
            screenshot,
            hrefs,
            ids: ids.into_iter().collect(),
        }
    }
}

/// How many distinct colours a PNG screenshot has, and the share of its most common one.
fn colours(png_bytes: &[u8]) -> (usize, f64) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    let bytes = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let mut counts = std::collections::HashMap::new();
    for px in bytes.chunks(step) {
        *counts.entry(px.to_vec()).or_insert(0usize) += 1;
    }
    let total = bytes.len() / step;
    let top = counts.values().copied().max().unwrap_or(0);
    (counts.len(), top as f64 / total.max(1) as f64)
}

/// The web door over the bundled cards, plus one page that breaks its policy on purpose.
async fn serve() -> (String, Arc<App>, tempfile::TempDir) {
    let broken = axum::Router::new().route(
        "/test/breaks-the-policy",
        axum::routing::get(|| async {
            (
                [(
                    axum::http::header::CONTENT_SECURITY_POLICY,
                    dossier::web::CSP,
                )],
                axum::response::Html(
                    "<!DOCTYPE html><html lang=en><body><p>x</p><script>document.title='ran'</script></body></html>",
                ),
            )
        }),
    );
    let b = crate::web::serve_bundled(|app, _| app, broken).await;
    (b.base, b.app, b.dir)
}

#[test]
fn pages_render_in_headless_chromium_with_no_console_errors_or_csp_violations() {
    runtime().block_on(async {
        let (base, app, _dir) = serve().await;
        let profile = tempfile::tempdir().expect("profile");
        let config = BrowserConfig::builder()
            .chrome_executable(chromium())
            .no_sandbox()
            // The test suite runs beside this on two cores: give the launch time.
            .launch_timeout(Duration::from_secs(120))
            .request_timeout(Duration::from_secs(60))
            .user_data_dir(profile.path())
            .arg("--disable-gpu")
            .arg("--disable-dev-shm-usage")
            .arg("--no-first-run")
            .build()
            .expect("browser config");
        let (mut browser, mut handler) = Browser::launch(config).await.expect("launch Chromium");
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });

        let lib = app.snapshot();
        let topic = &lib.topics()[0];
        let mut pages = vec![
            "/".to_owned(),
            format!("/t/{TOPIC}"),
            format!("/t/{TOPIC}/timeline"),
            format!("/t/{TOPIC}/timeline?page=2"),
            format!("/t/{TOPIC}/timeline?since=2026-02&actor=oman"),
            format!("/t/{TOPIC}/experts"),
            format!("/t/{TOPIC}/sources"),
            format!("/t/{TOPIC}/changes"),
            format!("/t/{TOPIC}/changes/1"),
            format!("/t/{TOPIC}/actors/no-such-actor"),
        ];
        pages.extend(topic.actors.iter().map(|a| format!("/t/{TOPIC}/actors/{}", a.id)));

        // The sources page's anchors, as the browser sees them.
        let desktop = Tab::open(&browser, 1280, 900, false).await;
        let sources = desktop.load(&format!("{base}/t/{TOPIC}/sources")).await;
        let anchors: HashSet<String> = sources
            .ids
            .iter()
            .filter_map(|id| id.strip_prefix("src-"))
            .map(str::to_owned)
            .collect();
        assert_eq!(anchors.len(), topic.sources.len());

        let phone = Tab::open(&browser, 390, 844, true).await;
        let mut citations = 0;
        for (tab, width, name) in [(&phone, 390, "phone"), (&desktop, 1280, "desktop")] {
            for p in &pages {
                let url = format!("{base}{p}");
                let mut l = tab.load(&url).await;
                if p.contains("no-such-actor") {
                    // The one expected complaint: the 404 status of the page itself.
                    l.problems.retain(|m| !m.contains("404"));
                }
                assert!(l.problems.is_empty(), "{name} {p}: {:#?}", l.problems);
                let (n, top) = colours(&l.screenshot);
                // A blank page is one colour; a short one (a list of two changes) is still
                // a few per cent of text, links and navigation.
                if let Some(dir) = std::env::var_os("DOSSIER_SCREENSHOTS") {
                    let file = format!("{name}{}.png", p.replace(['/', '?', '=', '&'], "_"));
                    std::fs::write(std::path::Path::new(&dir).join(file), &l.screenshot)
                        .expect("keep the screenshot");
                }
                assert!(
                    n > 20 && top < 0.995,
                    "{name} {p}: the screenshot looks blank ({n} colours, {top:.3} one colour)"
                );
                // The stylesheet applied, and nothing is wider than the screen.
                let styled: bool = tab
                    .eval("document.styleSheets.length === 1 && document.styleSheets[0].cssRules.length > 5")
                    .await;
                assert!(styled, "{name} {p}: the stylesheet did not apply");
                let wide: i64 = tab.eval("document.documentElement.scrollWidth").await;
                assert!(wide <= width, "{name} {p}: {wide} px wide on a {width} px screen");
                for h in &l.hrefs {
                    if let Some(id) = h.split_once("/sources#src-").map(|(_, id)| id) {
                        assert!(anchors.contains(id), "{name} {p}: {h} has no anchor");
                        citations += 1;
                    }
                }
                if p == &format!("/t/{TOPIC}") {
                    for a in &topic.actors {
                        let want = format!("/t/{TOPIC}/actors/{}", a.id);
                        assert!(l.hrefs.contains(&want), "{name}: {} is not on the brief", a.id);
                    }
                }
            }
        }
        assert!(citations > 200, "only {citations} citations checked");

        // The dark scheme follows the system.
        let background = "getComputedStyle(document.body).backgroundColor";
        desktop.load(&format!("{base}/t/{TOPIC}")).await;
        let light: String = desktop.eval(background).await;
        desktop
            .page
            .execute(
                SetEmulatedMediaParams::builder()
                    .feature(MediaFeature::new("prefers-color-scheme", "dark"))
                    .build(),
            )
            .await
            .expect("emulate dark");
        let dark: String = desktop.eval(background).await;
        assert_ne!(light, dark, "the dark scheme changes nothing");

        // The check sees a violation where there is one.
        let l = desktop.load(&format!("{base}/test/breaks-the-policy")).await;
        assert!(
            l.problems.iter().any(|p| p.contains("Content Security Policy")),
            "a blocked inline script went unnoticed: {:#?}",
            l.problems
        );
        let title: String = desktop.eval("document.title").await;
        assert_ne!(title, "ran", "the policy did not block the script");

        browser.close().await.expect("close");
        let _ = browser.wait().await;
        events.abort();
    });
}
