//! Sources that stay true, measured: a full look at 1,000 cited pages on 50 hosts of a fake
//! origin on this machine (the hosts are 127.0.0.1 to 127.0.0.50, each its own listener), by
//! `dossier sources check --config` (release), with each host's requests `host_gap` apart and
//! eight hosts at once. Each host serves 20 pages: 16 that answer, 2 moved for good, 1 gone and
//! 1 refused to robots. Reported: wall time, the process's peak RSS, and the ratio to the bound
//! the politeness rules set (the gaps one host's requests must wait, times the waves of eight
//! hosts), with the verdicts counted to show the look was whole.
//!
//!   cargo build --release && cargo bench --bench sources

mod support;

use std::path::Path;
use std::time::{Duration, Instant};
use support::copy;

const HOSTS: usize = 50;
const PAGES: usize = 20;
/// The gap between two requests to one host in this run (the default is 2 s).
const GAP: Duration = Duration::from_millis(100);
/// Hosts looked at at once (`sources::check::Pace`).
const AT_ONCE: usize = 8;

fn article(page: usize) -> String {
    let words: Vec<String> = (0..400)
        .map(|i| format!("word{}", (i * 7 + page) % 997))
        .collect();
    format!(
        "<html><head><title>Page {page}</title><script>var x = 1;</script></head><body><article><p>{}</p></article></body></html>",
        words.join(" ")
    )
}

/// The requests one host's pages take: `HEAD` then `GET` for a page that answers (the moved
/// ones through their redirect within each), `HEAD` alone for the others.
fn requests_per_host() -> usize {
    (0..PAGES).map(|p| if p < 18 { 2 } else { 1 }).sum()
}

async fn origin(host: usize, port: u16) {
    use axum::http::{Method, StatusCode, header};
    use axum::response::IntoResponse;
    let app = axum::Router::new().fallback(move |m: Method, uri: axum::http::Uri| async move {
        let n: usize = uri
            .path()
            .trim_start_matches("/p/")
            .trim_start_matches("/new/")
            .parse()
            .unwrap_or(usize::MAX);
        match n {
            16 | 17 if uri.path().starts_with("/p/") => (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, format!("/new/{n}"))],
            )
                .into_response(),
            18 => StatusCode::NOT_FOUND.into_response(),
            19 => StatusCode::FORBIDDEN.into_response(),
            n if n < PAGES && m == Method::HEAD => {
                ([(header::CONTENT_TYPE, "text/html")], "").into_response()
            }
            n if n < PAGES => (
                [(header::CONTENT_TYPE, "text/html")],
                article(host * PAGES + n),
            )
                .into_response(),
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.".to_owned() + &host.to_string(), port))
        .await
        .expect("bind a loopback address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/dossier");
    if !exe.exists() {
        println!("(build `cargo build --release` first to measure `dossier sources check`)");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("addr").port()
    };
    runtime.block_on(async {
        for host in 1..=HOSTS {
            origin(host, port).await;
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let briefings = dir.path().join("briefings");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/small"),
        &briefings,
    );
    let file = briefings.join("river-treaty/sources.toml");
    // The fixture's two sources (cited by its cards) become the first two pages of the first
    // host, so every one of the 1,000 pages is on this machine and no name is looked up.
    let mut text = std::fs::read_to_string(&file)
        .expect("sources.toml")
        .replace(
            "https://gazette.example.org/water-talks-resume",
            &format!("http://127.0.0.1:{port}/p/0"),
        )
        .replace(
            "https://mfa.northland.example/statements/long-river",
            &format!("http://127.0.0.1:{port}/p/1"),
        );
    for host in 1..=HOSTS {
        for p in 0..PAGES {
            if host == 1 && p < 2 {
                continue;
            }
            text.push_str(&format!(
                "\n[[source]]\nid = \"h{host}-p{p}\"\ntitle = \"[Page {p} of host {host}]\"\npublisher = \"Origin {host}\"\nurl = \"http://127.0.0.{host}:{port}/p/{p}\"\nkind = \"news\"\n"
            ));
        }
    }
    std::fs::write(&file, text).expect("write");
    let cfg = dir.path().join("dossier.toml");
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"briefings\"\nstate = \"state\"\n\n[sources]\nallow_private = true\nhost_gap = \"{}ms\"\n",
            GAP.as_millis()
        ),
    )
    .expect("config");
    let waves = HOSTS.div_ceil(AT_ONCE);
    let bound = GAP * ((requests_per_host() - 1) * waves) as u32;
    for round in [
        "first look (every page new)",
        "second look (every page known)",
    ] {
        let started = Instant::now();
        let out = std::process::Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%M")
            .arg(&exe)
            .args(["sources", "check", "--format", "json", "--config"])
            .arg(&cfg)
            .output()
            .expect("run dossier sources check");
        let wall = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let rss_kib: f64 = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(f64::NAN);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let reports = v["sources"].as_array().cloned().unwrap_or_default();
        let count = |s: &str| reports.iter().filter(|r| r["status"] == s).count();
        println!(
            "sources check, {round}: {} sources on {HOSTS} hosts in {:.2} s (bound {:.2} s: {} looks a host, {GAP:?} apart, {waves} waves of {AT_ONCE} hosts; ratio {:.3}), peak RSS {:.1} MiB; {} ok, {} moved, {} blocked, {} failing, {} gone; exit {:?}",
            reports.len(),
            wall.as_secs_f64(),
            bound.as_secs_f64(),
            requests_per_host(),
            wall.as_secs_f64() / bound.as_secs_f64(),
            rss_kib / 1024.0,
            count("ok"),
            count("moved"),
            count("blocked"),
            count("failing"),
            count("gone"),
            out.status.code()
        );
    }
}
