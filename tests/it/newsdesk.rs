//! The newsdesk: a topic's `feeds.toml` checked like every card (file:line:col for each
//! mistake, the schema for editors).

use crate::common::*;
use dossier::cards::model::{FeedAt, Feeds};
use std::path::Path;

/// The bundled topic in a folder of its own, with `feeds` as its `feeds.toml`.
fn topic_with_feeds(feeds: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&bundled(), dir.path());
    let topic = dir.path().join("iran-us-talks");
    std::fs::create_dir_all(topic.join("feeds")).expect("feeds folder");
    std::fs::write(topic.join("feeds/sample.xml"), "<rss version=\"2.0\"/>").expect("sample");
    std::fs::write(topic.join("feeds.toml"), feeds).expect("feeds.toml");
    dir
}

fn load(root: &Path) -> dossier::cards::load::Loaded {
    dossier::cards::load::load(root, bundled_today()).expect("loads")
}

/// Where each diagnostic about `feeds.toml` points, and its code, in order.
fn in_feeds(loaded: &dossier::cards::load::Loaded) -> Vec<(usize, usize, &'static str)> {
    let mut found: Vec<_> = loaded
        .report
        .diagnostics
        .iter()
        .filter(|d| d.path.ends_with("feeds.toml"))
        .map(|d| (d.line, d.column, d.code))
        .collect();
    found.sort();
    found
}

#[test]
fn a_topics_feeds_are_read_with_their_defaults() {
    let dir = topic_with_feeds(
        "[match]\nkeywords = [\"Hormuz\", \"Muscat talks\"]\nexclude = [\"football\"]\n\n[[feed]]\nurl = \"https://news.example.org/world/rss.xml\"\noutlet = \"Example News\"\nevery = \"15m\"\ninclude = [\"Iran\"]\n\n[[feed]]\npath = \"feeds/sample.xml\"\n",
    );
    let loaded = load(dir.path());
    assert!(!loaded.report.has_errors(), "{}", loaded.report.human());
    let topic = &loaded.topics[0];
    let feeds: &Feeds = topic.feeds.as_ref().expect("feeds");
    assert_eq!(feeds.keywords, ["Hormuz", "Muscat talks"]);
    assert_eq!(feeds.exclude, ["football"]);
    assert_eq!(feeds.min_score, 2);
    assert_eq!(feeds.feeds.len(), 2);
    assert_eq!(
        feeds.feeds[0].at,
        FeedAt::Url("https://news.example.org/world/rss.xml".into())
    );
    assert_eq!(feeds.feeds[0].every, std::time::Duration::from_secs(900));
    assert_eq!(feeds.feeds[0].include, ["Iran"]);
    assert_eq!(feeds.feeds[1].at, FeedAt::Path("feeds/sample.xml".into()));
    assert_eq!(feeds.feeds[1].every, std::time::Duration::from_secs(1800));
    // Without the file, the topic has none.
    std::fs::remove_file(dir.path().join("iran-us-talks/feeds.toml")).expect("remove");
    assert!(load(dir.path()).topics[0].feeds.is_none());
}

#[test]
fn each_mistake_in_feeds_toml_is_pointed_at() {
    let text = "[match]\nmin_score = 0\n\n[[feed]]\nurl = \"ftp://news.example.org/rss\"\n\n[[feed]]\nurl = \"https://user:secret@news.example.org/rss\"\n\n[[feed]]\npath = \"../../etc/passwd\"\n\n[[feed]]\npath = \"feeds/missing.xml\"\n\n[[feed]]\nurl = \"https://a.example.org/rss\"\npath = \"feeds/sample.xml\"\n\n[[feed]]\nurl = \"https://b.example.org/rss\"\nevery = \"1m\"\n\n[[feed]]\nurl = \"https://b.example.org/rss\"\n\n[[feed]]\noutlet = \"Nowhere\"\n\n[[feed]]\nurl = \"https://c.example.org/rss\"\nsummary = true\n";
    let dir = topic_with_feeds(text);
    let loaded = load(dir.path());
    let found = in_feeds(&loaded);
    // One mistake that stops parsing (the unknown key) is reported alone: fix it first.
    assert_eq!(found, [(32, 1, "unknown-key")], "{}", loaded.report.human());
    let text = text.replace("summary = true\n", "");
    std::fs::write(dir.path().join("iran-us-talks/feeds.toml"), &text).expect("write");
    let loaded = load(dir.path());
    let found = in_feeds(&loaded);
    assert_eq!(
        found,
        [
            (2, 13, "bad-value"),
            (5, 7, "bad-url"),
            (8, 7, "secret-in-card"),
            (11, 8, "bad-path"),
            (14, 8, "missing-file"),
            (18, 8, "conflicting-keys"),
            (22, 9, "bad-duration"),
            (24, 1, "duplicate-feed"),
            (27, 1, "missing-field"),
        ],
        "{}",
        loaded.report.human()
    );
    assert!(
        loaded.topics.is_empty(),
        "a topic with an error is not served"
    );
    assert!(
        loaded
            .report
            .diagnostics
            .iter()
            .all(|d| !d.message.contains("user:secret")),
        "the message does not repeat the password"
    );
}

/// The bundled topic and its `feeds.toml`.
fn bundled_topic() -> dossier::cards::model::Topic {
    let loaded = load(&bundled());
    assert!(!loaded.report.has_errors(), "{}", loaded.report.human());
    loaded.topics.into_iter().next().expect("the bundled topic")
}

#[test]
fn matching_finds_the_topic_in_labelled_headlines_with_high_precision() {
    use dossier::newsdesk::matching::{Matcher, Verdict};
    let topic = bundled_topic();
    let feeds = topic.feeds.clone().expect("the bundled topic's feeds.toml");
    let matcher = Matcher::new(&topic, &feeds);
    let labelled = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/newsdesk/headlines.tsv"),
    )
    .expect("headlines");
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for line in labelled
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (label, headline) = line.split_once('\t').expect("label<TAB>headline");
        let relevant = label == "1";
        let verdict = matcher.judge(headline, "", None);
        let proposed = matches!(verdict, Verdict::Matches { .. });
        match (relevant, proposed) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => tn += 1,
        }
        if relevant != proposed {
            wrong.push(format!("{label} {headline}: {verdict:?}"));
        }
    }
    let precision = tp as f64 / (tp + fp) as f64;
    let recall = tp as f64 / (tp + fn_) as f64;
    eprintln!(
        "matching on {} labelled headlines at the default threshold: precision {precision:.3}, recall {recall:.3} (tp {tp}, fp {fp}, fn {fn_}, tn {tn})\n{}",
        tp + fp + fn_ + tn,
        wrong.join("\n")
    );
    assert_eq!(tp + fp + fn_ + tn, 150);
    assert!(precision >= 0.9, "precision {precision:.3}");
    assert!(recall >= 0.75, "recall {recall:.3}");
}

#[test]
fn matching_is_whole_words_capitals_for_short_names_and_each_thing_once() {
    use dossier::newsdesk::matching::{Matcher, Verdict};
    let topic = bundled_topic();
    let feeds = topic.feeds.clone().expect("feeds");
    let m = Matcher::new(&topic, &feeds);
    // "Iranian" is not "Iran"; "us" in lower case is not the United States.
    assert_eq!(
        m.judge("Iranian chefs join us in Paris", "", None).score(),
        0
    );
    // The US in capitals and with stops; Iran once however often it is named.
    let Verdict::Matches { actors, .. } =
        m.judge("U.S. and Iran: Iran says Iran will talk", "", None)
    else {
        panic!("a match");
    };
    assert_eq!(actors, ["united-states", "iran"], "in the order named");
    // "Muscat" inside "Muscat talks" counts once.
    assert_eq!(m.judge("Muscat talks resume", "", None).score(), 1);
    // Accents and case do not matter; the topic's exclude words rule an item out.
    assert_eq!(m.judge("TÜRKIYE and QATAR", "", None).score(), 2);
    assert!(matches!(
        m.judge("Iran and the US meet before the World Cup", "", None),
        Verdict::Excluded { .. }
    ));
    // A feed's own include and exclude words count even where they are an actor's name.
    let mut own = feeds.clone();
    own.feeds.push(dossier::cards::model::FeedSource {
        at: FeedAt::Url("https://x.example.org/rss".into()),
        outlet: None,
        every: std::time::Duration::from_secs(1800),
        include: vec!["Iran".into()],
        exclude: vec!["Israel".into()],
    });
    let i = own.feeds.len() - 1;
    let m2 = Matcher::new(&topic, &own);
    assert!(matches!(
        m2.judge("Iran and the US meet in Muscat", "", Some(i)),
        Verdict::Matches { .. }
    ));
    assert_eq!(
        m2.judge("Oman and Qatar meet the US", "", Some(i)),
        Verdict::NotIncluded
    );
    assert!(matches!(
        m2.judge("Iran, the US and Israel", "", Some(i)),
        Verdict::Excluded { .. }
    ));
    // The other feeds are not held to them.
    assert!(matches!(
        m2.judge("Oman and Qatar meet the US", "", Some(0)),
        Verdict::Matches { .. }
    ));
    // 64 KiB of names is judged quickly and in bounds.
    let long = "Iran US Oman Hormuz ".repeat(3300);
    let started = std::time::Instant::now();
    assert!(m.judge(&long, &long, None).score() >= 3);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn feeds_of_every_kind_are_read_into_plain_items() {
    use dossier::newsdesk::items::read;
    let fixture = |name: &str| {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/newsdesk/feeds")
                .join(name),
        )
        .expect("fixture")
    };
    let rss = read(&fixture("rss2.xml")).expect("RSS 2.0");
    assert_eq!(rss.title.as_deref(), Some("Example World News"));
    assert_eq!(rss.items.len(), 3);
    let first = &rss.items[0];
    assert_eq!(first.title, "Iran & US negotiators meet in Muscat");
    assert_eq!(
        first.summary,
        "Delegations met for a new round — a test item."
    );
    assert_eq!(first.guid, "ex-2026-10-08-1");
    assert_eq!(
        first.url.as_deref(),
        Some("https://news.example.org/world/2026/10/08/muscat-round?utm_source=rss")
    );
    assert_eq!(
        first.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2026-10-08T09:30:00+00:00")
    );
    assert_eq!(
        rss.items[1].published, None,
        "an item without a date has none"
    );
    assert_eq!(rss.items[1].summary, "Oman’s mediation, in a test item.");
    assert_eq!(rss.items[2].url, None, "only http(s) links are kept");

    let atom = read(&fixture("atom.xml")).expect("Atom");
    assert_eq!(
        atom.items[0].title,
        "Araghchi says Tehran will reply within days"
    );
    assert_eq!(
        atom.items[0].summary,
        "Messages still go through mediators."
    );
    assert_eq!(
        atom.items[0].url.as_deref(),
        Some("https://atom.example.org/2026/10/09/reply")
    );

    let json = read(&fixture("feed.json")).expect("JSON Feed");
    assert_eq!(json.title.as_deref(), Some("Example JSON Wire"));
    assert_eq!(json.items[0].summary, "A test item & nothing more.");
    assert_eq!(json.items[0].guid, "wire-1");

    let rdf = read(&fixture("rdf.xml")).expect("RSS 1.0");
    assert_eq!(rdf.items[0].title, "IRGC navy claims strike near Hormuz");
    assert!(rdf.items[0].published.is_some());

    assert!(read(&fixture("malformed.xml")).is_err());
    assert!(read(b"").is_err());
    assert!(read(b"<html><body>not a feed</body></html>").is_err());
    // HTML inside CDATA is not nesting: a feed with 300 paragraphs in an item reads.
    let html = format!(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>Iran</title><description><![CDATA[{}]]></description></item></channel></rss>",
        "<p>a<br>b</p>".repeat(300)
    );
    assert_eq!(read(html.as_bytes()).expect("HTML in CDATA").items.len(), 1);
    // A JSON Feed with a byte-order mark is JSON.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&fixture("feed.json"));
    assert_eq!(read(&bom).map(|r| r.items.len()).ok(), Some(1));
    // 64 KiB of nesting is refused before parsing; 64 KiB of items is read in bounds.
    let deep = format!(
        "<rss version=\"2.0\"><channel>{}</channel></rss>",
        "<x>".repeat(21_000)
    );
    assert!(read(deep.as_bytes()).unwrap_err().contains("deep"));
    let many = format!(
        "<rss version=\"2.0\"><channel><title>t</title>{}</channel></rss>",
        "<item><title>Iran</title></item>".repeat(2_000)
    );
    assert_eq!(
        read(many.as_bytes()).expect("many").items.len(),
        dossier::newsdesk::items::MAX_ITEMS
    );
}

/// `dossier desk poll` with `args`, from `dir`.
fn desk_poll(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["desk", "poll"])
        .args(args)
        .current_dir(dir)
        .env("DOSSIER_TODAY", "2026-11-25")
        .env_remove("DOSSIER_BRIEFINGS")
        .output()
        .expect("run dossier")
}

#[test]
fn desk_poll_reads_the_bundled_sample_feeds_offline() {
    let out = desk_poll(&repo(), &["--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let topic = &v["topics"][0];
    assert_eq!(topic["topic"], "iran-us-talks");
    assert_eq!(topic["feeds"].as_array().map(Vec::len), Some(2));
    let proposals = topic["proposals"].as_array().expect("proposals");
    assert!(!proposals.is_empty());
    for p in proposals {
        for key in [
            "id",
            "topic",
            "date",
            "title",
            "actors",
            "score",
            "confidence",
            "sources",
        ] {
            assert!(!p[key].is_null(), "a proposal has `{key}`: {p}");
        }
        for s in p["sources"].as_array().expect("sources") {
            for key in ["url", "outlet", "title", "date"] {
                assert!(!s[key].is_null(), "a source has `{key}`: {s}");
            }
        }
    }
    // What the cards already cite is never proposed.
    let cited = topic["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["fate"] == "already-cited")
        .count();
    assert!(cited >= 1, "{topic}");
}

#[test]
fn desk_poll_fetches_feeds_merges_one_story_and_refuses_private_addresses_without_leave() {
    use axum::http::header;
    use axum::response::IntoResponse;
    runtime().block_on(async {
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = hits.clone();
        let conditional = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let asked_again = conditional.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri, h: axum::http::HeaderMap| {
            let (counted, asked_again) = (counted.clone(), asked_again.clone());
            async move {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if h.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") {
                    asked_again.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    return axum::http::StatusCode::NOT_MODIFIED.into_response();
                }
                let item = |title: &str, link: &str| {
                    format!("<item><title>{title}</title><link>{link}</link><guid>{link}</guid><pubDate>Thu, 08 Oct 2026 09:00:00 GMT</pubDate></item>")
                };
                let body = match uri.path() {
                    "/a.xml" => format!("<rss version=\"2.0\"><channel><title>Outlet A</title>{}{}</channel></rss>",
                        item("Iran and US negotiators meet in Muscat for talks", "https://a.example.org/1"),
                        item("Oman Air adds flights to Zurich", "https://a.example.org/2")),
                    "/b.xml" => format!("<rss version=\"2.0\"><channel><title>Outlet B</title>{}</channel></rss>",
                        item("US and Iran negotiators meet in Muscat", "https://b.example.org/9?utm_source=rss")),
                    _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
                };
                ([(header::CONTENT_TYPE, "application/rss+xml"), (header::ETAG, "\"v1\"")], body).into_response()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let dir = topic_with_feeds(&format!(
            "[[feed]]\nurl = \"http://localhost:{port}/a.xml\"\n\n[[feed]]\nurl = \"http://localhost:{port}/b.xml\"\n"
        ));
        let config_dir = tempfile::tempdir().expect("config dir");
        let cfg = config_dir.path().join("dossier.toml");
        let briefings = dir.path().display().to_string();
        let write_config = |allow: bool| {
            std::fs::write(
                &cfg,
                format!("briefings = \"{briefings}\"\nstate = \"state\"\n\n[newsdesk]\nallow_private = {allow}\ncontact = \"https://briefings.example.org/about\"\n"),
            )
            .expect("config");
        };
        let poll_with = async |allow: bool| {
            write_config(allow);
            let dirpath = config_dir.path().to_path_buf();
            let out = tokio::task::spawn_blocking(move || {
                desk_poll(&dirpath, &["--config", "dossier.toml", "--format", "json"])
            })
            .await
            .expect("poll");
            let why = String::from_utf8_lossy(&out.stderr).into_owned();
            let v: serde_json::Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("JSON ({e}): {why}"));
            (out.status.code(), v)
        };
        // Without the operator's leave, nothing reaches 127.0.0.1.
        let (code, v) = poll_with(false).await;
        assert_eq!(code, Some(1), "no feed could be read");
        let errors: Vec<String> = v["topics"][0]["feeds"]
            .as_array()
            .expect("feeds")
            .iter()
            .map(|f| f["error"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(errors.iter().all(|e| e.contains("loopback")), "{errors:?}");
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0);
        // With it: one story from two outlets, one proposal with two sources, high confidence.
        let (code, v) = poll_with(true).await;
        assert_eq!(code, Some(0), "{v:#}");
        let proposals = v["topics"][0]["proposals"].as_array().expect("proposals").clone();
        assert_eq!(proposals.len(), 1, "{v:#}");
        assert_eq!(proposals[0]["confidence"], "high");
        assert_eq!(proposals[0]["sources"].as_array().map(Vec::len), Some(2));
        assert_eq!(proposals[0]["date"], "2026-10-08");
        // Kept: the next poll sends conditional requests and proposes nothing again.
        let (code, v) = poll_with(true).await;
        assert_eq!(code, Some(0), "{v:#}");
        assert!(v["topics"][0]["proposals"].as_array().is_some_and(Vec::is_empty), "{v:#}");
        assert_eq!(conditional.load(std::sync::atomic::Ordering::SeqCst), 2);
        let unchanged = v["topics"][0]["feeds"].as_array().expect("feeds").iter().filter(|f| f["unchanged"] == true).count();
        assert_eq!(unchanged, 2);
        // And the proposal waits for the moderators.
        let listed = {
            let dirpath = config_dir.path().to_path_buf();
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
                    .args(["desk", "list", "--config", "dossier.toml", "--format", "json"])
                    .current_dir(&dirpath)
                    .output()
                    .expect("run dossier")
            })
            .await
            .expect("list")
        };
        let v: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
        let open = v["proposals"].as_array().expect("proposals");
        assert_eq!(open.len(), 1, "{v:#}");
        assert_eq!(open[0]["state"], "open");
        assert_eq!(open[0]["sources"].as_array().map(Vec::len), Some(2));
        // Two polls that reached the server, two requests each; none without leave.
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 4);
    });
}

#[test]
fn a_feed_file_that_leads_out_of_the_topic_folder_is_not_read() {
    let outside = tempfile::tempdir().expect("outside");
    let secret = outside.path().join("secret.xml");
    std::fs::write(
        &secret,
        "<rss version=\"2.0\"><channel><title>secret</title></channel></rss>",
    )
    .expect("write");
    let dir = topic_with_feeds("[[feed]]\npath = \"feeds/link.xml\"\n");
    std::os::unix::fs::symlink(&secret, dir.path().join("iran-us-talks/feeds/link.xml"))
        .expect("link");
    let out = desk_poll(dir.path(), &["--briefings", ".", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let error = v["topics"][0]["feeds"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        error.contains("not a file inside the topic folder"),
        "{v:#}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_feed_that_asks_to_wait_is_left_alone_and_one_host_is_asked_one_request_at_a_time() {
    use axum::http::header;
    use axum::response::IntoResponse;
    use std::sync::{Arc, Mutex};
    runtime().block_on(async {
        let asked: Arc<Mutex<Vec<(String, std::time::Instant)>>> = Arc::default();
        let log = asked.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let log = log.clone();
            async move {
                log.lock()
                    .expect("lock")
                    .push((uri.path().to_owned(), std::time::Instant::now()));
                match uri.path() {
                    "/busy.xml" => (
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, "7200")],
                    )
                        .into_response(),
                    _ => (
                        [(header::CONTENT_TYPE, "application/rss+xml")],
                        "<rss version=\"2.0\"><channel><title>Outlet</title></channel></rss>",
                    )
                        .into_response(),
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
        let dir = topic_with_feeds(&format!(
            "[[feed]]\nurl = \"http://localhost:{port}/busy.xml\"\n\n[[feed]]\nurl = \"http://localhost:{port}/a.xml\"\n\n[[feed]]\nurl = \"http://localhost:{port}/b.xml\"\n"
        ));
        let topic = load(dir.path()).topics.remove(0);
        let state = tempfile::tempdir().expect("state");
        let stores = state_stores(state.path()).await;
        let fetcher = dossier::fetch::client::Fetcher::new(dossier::fetch::client::Options::new(
            dossier::fetch::address::Policy {
                allow_private: true,
                allowed: Vec::new(),
            },
            None,
        ))
        .expect("fetcher");
        let pacer = dossier::desk::news::Pacer::new(std::time::Duration::from_millis(300));
        let now = chrono::Utc::now();
        let polled = dossier::desk::news::poll_due(
            &topic,
            &fetcher,
            Some(stores.news.as_ref()),
            20,
            now,
            &|feed, last| dossier::desk::polling::due(feed, last, now),
            Some(&pacer),
        )
        .await
        .expect("poll");
        // The busy feed fails and says so; the others are read.
        let errors: Vec<Option<String>> = polled.feeds.iter().map(|f| f.error.clone()).collect();
        assert!(
            errors[0].as_deref().is_some_and(|e| e.contains("429")),
            "{errors:?}"
        );
        assert_eq!(errors[1..], [None, None]);
        // One host: each request at least the gap after the one before.
        let times: Vec<std::time::Instant> = asked.lock().expect("lock").iter().map(|(_, t)| *t).collect();
        assert_eq!(times.len(), 3);
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] >= std::time::Duration::from_millis(290),
                "{:?}",
                pair[1] - pair[0]
            );
        }
        // Its Retry-After (two hours, longer than its backing off) is kept: not due before it,
        // due after.
        let fetches = stores.news.fetches(&topic.id).await.expect("fetches");
        let busy = fetches
            .iter()
            .find(|f| f.feed.ends_with("/busy.xml"))
            .expect("kept");
        let retry = busy.retry_at.expect("retry_at");
        assert!((retry - now - chrono::Duration::seconds(7200)).num_seconds().abs() <= 1);
        let feed = &topic.feeds.as_ref().expect("feeds").feeds[0];
        assert!(!dossier::desk::polling::due(feed, Some(busy), now + chrono::Duration::seconds(3600)));
        assert!(dossier::desk::polling::due(feed, Some(busy), now + chrono::Duration::seconds(7201)));
        // A second look at once asks nobody: the busy feed waits, the others are not due.
        let again = dossier::desk::news::poll_due(
            &topic,
            &fetcher,
            Some(stores.news.as_ref()),
            20,
            now + chrono::Duration::seconds(5),
            &|feed, last| dossier::desk::polling::due(feed, last, now + chrono::Duration::seconds(5)),
            Some(&pacer),
        )
        .await
        .expect("poll");
        assert!(again.feeds.is_empty(), "{:?}", again.feeds);
        assert_eq!(asked.lock().expect("lock").len(), 3);
    });
}
