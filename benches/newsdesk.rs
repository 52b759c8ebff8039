//! The newsdesk, measured. Matching cost per item (criterion: `Matcher::judge` on the bundled
//! topic over the 150 labelled headlines of the tests), then a whole poll: 200 feeds × 50 items
//! (10,000 items) served by a server on 127.0.0.1, read by `dossier desk poll --config`
//! (release) into the one SQLite file: wall time, items per second and the process's peak RSS,
//! a first poll and a second (conditional requests, nothing new).
//!
//!   cargo build --release && cargo bench --bench newsdesk

use criterion::Criterion;
mod support;

use std::path::Path;
use std::time::Instant;
use support::copy;

fn bundled_topic() -> dossier::cards::model::Topic {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let loaded = dossier::cards::load(&root, today).expect("load");
    loaded.topics.into_iter().next().expect("the bundled topic")
}

fn headlines() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/newsdesk/headlines.tsv");
    std::fs::read_to_string(path)
        .expect("headlines")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t').map(|(_, h)| h.to_owned()))
        .collect()
}

fn matching(c: &mut Criterion) {
    let topic = bundled_topic();
    let feeds = topic.feeds.clone().expect("feeds.toml");
    let matcher = dossier::newsdesk::matching::Matcher::new(&topic, &feeds);
    let lines = headlines();
    let summary = "Delegations met again on Thursday, officials said, as mediators carried \
                   messages between the two capitals and oil prices moved.";
    let mut g = c.benchmark_group("newsdesk");
    g.throughput(criterion::Throughput::Elements(lines.len() as u64));
    g.bench_function("judge 150 headlines with a summary", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|h| matcher.judge(h, summary, Some(0)).score())
                .sum::<u32>()
        })
    });
    g.finish();
}

/// 50 items of feed `f`: every fifth about the topic, in words shared by pairs of feeds so
/// that stories merge.
fn feed_xml(f: usize) -> String {
    let mut items = String::new();
    for i in 0..50 {
        let story = (f / 2) * 50 + i;
        // Three words of a story's own, so that different stories share few.
        const WORDS: [&str; 48] = [
            "tanker",
            "sanctions",
            "envoy",
            "drone",
            "ceasefire",
            "prisoner",
            "pipeline",
            "airport",
            "frigate",
            "embassy",
            "refinery",
            "convoy",
            "harbour",
            "treaty",
            "summit",
            "border",
            "reactor",
            "cargo",
            "pilgrims",
            "satellite",
            "wheat",
            "insurance",
            "shipping",
            "bank",
            "currency",
            "election",
            "parliament",
            "militia",
            "hostage",
            "pipeline",
            "vaccine",
            "drought",
            "earthquake",
            "railway",
            "mine",
            "radar",
            "submarine",
            "fisheries",
            "tariff",
            "visa",
            "students",
            "journalists",
            "court",
            "verdict",
            "protest",
            "strike",
            "budget",
            "airline",
        ];
        let h = |k: usize| {
            let x = (story as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (8 * k + 3);
            WORDS[(x % WORDS.len() as u64) as usize]
        };
        let title = if i % 5 == 0 {
            format!("Iran and US: {} {} {} {story}", h(0), h(1), h(2))
        } else {
            format!("Local council approves budget for district {story}")
        };
        items.push_str(&format!(
            "<item><title>{title}</title><link>https://outlet{f}.example.org/{story}</link><guid>o{f}-{i}</guid><pubDate>Thu, 08 Oct 2026 09:00:00 GMT</pubDate><description>&lt;p&gt;Item {i} of feed {f}.&lt;/p&gt;</description></item>"
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Outlet {f}</title>{items}</channel></rss>"
    )
}

fn poll() {
    use axum::http::{HeaderMap, header};
    use axum::response::IntoResponse;
    let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/dossier");
    if !exe.exists() {
        println!("(build `cargo build --release` first to measure `dossier desk poll`)");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let port = runtime.block_on(async {
        let bodies: std::sync::Arc<Vec<String>> =
            std::sync::Arc::new((0..200).map(feed_xml).collect());
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri, h: HeaderMap| {
            let bodies = bodies.clone();
            async move {
                if h.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") {
                    return axum::http::StatusCode::NOT_MODIFIED.into_response();
                }
                let n: usize = uri
                    .path()
                    .trim_start_matches("/feed/")
                    .trim_end_matches(".xml")
                    .parse()
                    .unwrap_or(usize::MAX);
                match bodies.get(n) {
                    Some(b) => ([(header::ETAG, "\"v1\"")], b.clone()).into_response(),
                    None => axum::http::StatusCode::NOT_FOUND.into_response(),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        port
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let briefings = dir.path().join("briefings");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings"),
        &briefings,
    );
    let mut feeds = std::fs::read_to_string(briefings.join("iran-us-talks/feeds.toml"))
        .expect("feeds.toml")
        .split("[[feed]]")
        .next()
        .unwrap_or_default()
        .to_owned();
    for f in 0..200 {
        feeds.push_str(&format!(
            "\n[[feed]]\nurl = \"http://127.0.0.1:{port}/feed/{f}.xml\"\noutlet = \"Outlet {f}\"\n"
        ));
    }
    std::fs::write(briefings.join("iran-us-talks/feeds.toml"), feeds).expect("write");
    let cfg = dir.path().join("dossier.toml");
    std::fs::write(
        &cfg,
        "briefings = \"briefings\"\nstate = \"state\"\n\n[newsdesk]\nallow_private = true\nmax_proposals_per_day = 500\n",
    )
    .expect("config");
    for round in [
        "first poll (10,000 new items)",
        "second poll (all unchanged)",
    ] {
        let started = Instant::now();
        let out = std::process::Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%M")
            .arg(&exe)
            .args(["desk", "poll", "--config"])
            .arg(&cfg)
            .args(["--format", "json"])
            .output()
            .expect("run dossier desk poll");
        let wall = started.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let rss_kib: f64 = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(f64::NAN);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let proposals = v["topics"][0]["proposals"].as_array().map_or(0, Vec::len);
        let items: u64 = v["topics"][0]["feeds"].as_array().map_or(0, |f| {
            f.iter().map(|x| x["items"].as_u64().unwrap_or(0)).sum()
        });
        println!(
            "newsdesk poll, {round}: 200 feeds, {items} items read in {wall:.2} s ({:.0} items/s), {proposals} proposals, peak RSS {:.1} MiB, exit {:?}",
            if wall > 0.0 { 10_000.0 / wall } else { 0.0 },
            rss_kib / 1024.0,
            out.status.code()
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    matching(&mut c);
    c.final_summary();
    poll();
}
