//! The change feed and its Atom document, read by a real feed library (Python's feedparser, in
//! the test virtualenv): it parses, entry ids are unique and stable, a change to the cards adds
//! exactly one entry (from a file saved and reloaded, and from an edit in chat), a reload that
//! changes nothing adds none, the history survives a restart, and the pages of the changes
//! answer. Plus links to the pages from chat (Discord, Matrix, the daily briefing) when the
//! service has a public address, and `dossier site` written to a folder whose every link
//! resolves without a server.

use crate::common::*;
use dossier::app::App;
use dossier::clock::Clock;
use dossier::feed::Feed;
use dossier::reload::Trigger;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOPIC: &str = "iran-us-talks";
const PUBLIC: &str = "https://briefings.example.org";

/// Parse `xml` with feedparser; what it read, as JSON.
fn feedparser(xml: &str) -> Value {
    let python = crate::synapse::venv().join("bin/python");
    let script = r#"
import sys, json, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
    "bozo": int(d.bozo),
    "why": str(d.get("bozo_exception", "")),
    "title": d.feed.get("title"),
    "links": [l.get("href") for l in d.feed.get("links", [])],
    "entries": [{
        "id": e.get("id"),
        "title": e.get("title"),
        "link": e.get("link"),
        "updated": e.get("updated"),
        "content": (e.get("content") or [{}])[0].get("value", ""),
    } for e in d.entries],
}))
"#;
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python from the test virtualenv");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("feedparser");
    assert!(out.status.success(), "feedparser failed");
    serde_json::from_slice(&out.stdout).expect("feedparser's JSON")
}

struct Served {
    base: String,
    app: Arc<App>,
    root: PathBuf,
    state: PathBuf,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

/// The bundled cards served with the web pages, a feed kept in a state folder and a public
/// address, recording changes as `serve` does.
async fn served() -> Served {
    let b = crate::web::serve_bundled(
        |app, dir| {
            app.with_feed(crate::common::feed_in_now(&dir.join("state")))
                .with_public_url(Some(PUBLIC.parse().expect("url")))
        },
        axum::Router::new(),
    )
    .await;
    Served {
        state: b.dir.path().join("state"),
        base: b.base,
        app: b.app,
        root: b.root,
        _dir: b.dir,
        http: reqwest::Client::new(),
    }
}

impl Served {
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

    /// Wait (at most 5 s) until the topic's feed has `n` entries.
    async fn entries(&self, n: usize) -> Vec<Arc<dossier::feed::Entry>> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let e = self.app.feed.entries(TOPIC);
            if e.len() >= n || Instant::now() > deadline {
                assert_eq!(
                    e.len(),
                    n,
                    "{:?}",
                    e.iter().map(|e| &e.title).collect::<Vec<_>>()
                );
                return e;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn edit_oman(&self, stance: &str) {
        let card = self.root.join(TOPIC).join("actors/oman.toml");
        let text = std::fs::read_to_string(&card).expect("card");
        // The latest entry of the history is the last one in the file.
        let at = text.rfind("stance = \"").expect("a stance") + "stance = \"".len();
        let edited = format!("{}{stance} {}", &text[..at], &text[at..]);
        std::fs::write(&card, edited).expect("write");
    }
}

#[test]
fn the_feed_parses_ids_are_stable_and_each_change_is_one_entry() {
    runtime().block_on(async {
        let s = served().await;
        let first = s.entries(1).await;
        assert!(
            first[0].title.contains("as first recorded"),
            "{}",
            first[0].title
        );

        let (status, headers, xml) = s.get(&format!("/t/{TOPIC}/feed.atom")).await;
        assert_eq!(status, 200);
        assert_eq!(
            headers["content-type"],
            "application/atom+xml; charset=utf-8"
        );
        let d = feedparser(&xml);
        assert_eq!(d["bozo"], 0, "{}", d["why"]);
        assert_eq!(d["entries"].as_array().expect("entries").len(), 1);
        assert_eq!(
            d["entries"][0]["link"],
            format!("{PUBLIC}/t/{TOPIC}/changes/1")
        );
        let links: Vec<&str> = d["links"]
            .as_array()
            .expect("links")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            links.contains(&format!("{PUBLIC}/t/{TOPIC}/feed.atom").as_str()),
            "{links:?}"
        );
        let first_id = d["entries"][0]["id"].as_str().expect("id").to_owned();
        // Unchanged: the feed's validator holds.
        let tag = headers["etag"].to_str().expect("etag").to_owned();
        let r = s
            .http
            .get(format!("{}/t/{TOPIC}/feed.atom", s.base))
            .header("if-none-match", &tag)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 304);

        // A card saved and reloaded: exactly one entry, in the daily briefing's words.
        s.edit_oman("Feed test: Oman offers Muscat again.");
        let record = s
            .app
            .reloader
            .reload_and_announce(Trigger::FileChange)
            .await;
        assert!(record.succeeded(), "{:?}", record.outcome);
        let two = s.entries(2).await;
        assert_eq!(two[0].title, "Oman's position moved");
        let (_, _, xml) = s.get(&format!("/t/{TOPIC}/feed.atom")).await;
        let d = feedparser(&xml);
        assert_eq!(d["bozo"], 0, "{}", d["why"]);
        let entries = d["entries"].as_array().expect("entries");
        assert_eq!(entries.len(), 2);
        let ids: HashSet<&str> = entries.iter().filter_map(|e| e["id"].as_str()).collect();
        assert_eq!(ids.len(), 2, "ids are unique");
        assert_eq!(entries[1]["id"], first_id.as_str(), "an entry keeps its id");
        assert_eq!(entries[0]["title"], "Oman's position moved");
        let content = entries[0]["content"].as_str().expect("content");
        assert!(content.contains("Positions that moved"), "{content}");
        assert!(
            content.contains("Feed test: Oman offers Muscat again."),
            "{content}"
        );

        // A reload that changes nothing adds nothing.
        let record = s.app.reloader.reload_and_announce(Trigger::Command).await;
        assert!(record.succeeded());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(s.app.feed.entries(TOPIC).len(), 2);

        // Each change has its page; the list links them; numbers never recorded are 404s.
        let (status, _, html) = s.get(&format!("/t/{TOPIC}/changes/2")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("Feed test: Oman offers Muscat again."),
            "{html}"
        );
        let (status, _, html) = s.get(&format!("/t/{TOPIC}/changes")).await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!("href=\"/t/{TOPIC}/changes/2\""))
                && html.contains(&format!("href=\"/t/{TOPIC}/changes/1\"")),
            "{html}"
        );
        for bad in ["0", "3", "-1", "abc", &"9".repeat(40)] {
            let (status, _, _) = s.get(&format!("/t/{TOPIC}/changes/{bad}")).await;
            assert_eq!(status, 404, "{bad}");
        }
        let (status, _, _) = s.get("/t/no-such-topic/feed.atom").await;
        assert_eq!(status, 404);

        // After a restart the history is all there, with the same ids, and nothing new.
        let ids_before: Vec<String> = s.app.feed.entries(TOPIC).iter().map(|e| e.id()).collect();
        let reopened = crate::common::feed_in(&s.state).await;
        let ids_after: Vec<String> = reopened.entries(TOPIC).iter().map(|e| e.id()).collect();
        assert_eq!(ids_after, ids_before);
        let lib = s.app.snapshot();
        let made = reopened
            .record(&lib, chrono::Utc::now(), bundled_today())
            .await
            .expect("record");
        assert!(
            made.is_empty(),
            "{:?}",
            made.iter().map(|e| &e.title).collect::<Vec<_>>()
        );
        assert_eq!(
            reopened.entry(TOPIC, 2).await.expect("entry 2").title,
            "Oman's position moved"
        );
    });
}

#[cfg(all(feature = "discord", feature = "matrix"))]
#[test]
fn an_edit_from_chat_adds_exactly_one_entry() {
    runtime().block_on(async {
        let s = crate::edit::setup();
        s.app
            .follow_changes(tokio_util::sync::CancellationToken::new());
        let wait = |n: usize| {
            let app = s.app.clone();
            async move {
                let deadline = Instant::now() + Duration::from_secs(5);
                while app.feed.entries(TOPIC).len() < n && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                app.feed.entries(TOPIC)
            }
        };
        assert_eq!(wait(1).await.len(), 1);
        let alice = crate::edit::moderator("@alice:hs", "Alice", false);
        let r = crate::edit::send(
            &s.app,
            &alice,
            "edit position iran\nstance: Feed test: ready to resume indirect talks.",
        )
        .await;
        assert!(!r.is_user_error(), "{}", crate::edit::text(&r));
        let after = wait(2).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after_wait = s.app.feed.entries(TOPIC);
        assert_eq!(after_wait.len(), 2, "one edit, one entry");
        assert_eq!(after[0].title, "Iran's position moved");
        let undo = crate::edit::send(&s.app, &alice, "undo").await;
        assert!(!undo.is_user_error(), "{}", crate::edit::text(&undo));
        let undone = wait(3).await;
        assert_eq!(undone.len(), 3, "the undo is a change too");
    });
}

/// Chat replies link to the page of what was asked, when the service has a public address.
#[test]
fn chat_replies_link_to_their_pages() {
    let lib = bundled_library();
    let app = App::new(lib, None, Clock::Fixed(bundled_today()))
        .with_public_url(Some(PUBLIC.parse().expect("url")));
    let ask = |line: &str| {
        dossier::router::answer(&app, &dossier::commands::parse(line).expect("parses"))
    };
    let cases = [
        ("brief", format!("{PUBLIC}/t/{TOPIC}")),
        ("position iran", format!("{PUBLIC}/t/{TOPIC}/actors/iran")),
        ("position IRAN", format!("{PUBLIC}/t/{TOPIC}/actors/iran")),
        ("timeline", format!("{PUBLIC}/t/{TOPIC}/timeline")),
        (
            "timeline since 2026-02 actor oman",
            format!("{PUBLIC}/t/{TOPIC}/timeline?since=2026-02&actor=oman"),
        ),
        (
            "timeline page 2",
            format!("{PUBLIC}/t/{TOPIC}/timeline?page=2"),
        ),
        ("experts", format!("{PUBLIC}/t/{TOPIC}/experts")),
        ("sources", format!("{PUBLIC}/t/{TOPIC}/sources")),
        ("topics", format!("{PUBLIC}/")),
    ];
    for (line, want) in &cases {
        let r = ask(line);
        assert_eq!(r.link.as_deref(), Some(want.as_str()), "{line}");
        let m = dossier::render::discord::render(&r);
        assert_eq!(m.embeds[0].url.as_deref(), Some(want.as_str()), "{line}");
        assert!(
            m.buttons.iter().any(|b| matches!(b,
                dossier::render::discord::Button::Link { label, url } if label == "Read on the web" && url == want)),
            "{line}: {:?}",
            m.buttons
        );
        let mx = dossier::render::matrix::render(&r, "!");
        assert!(
            mx.plain.contains(&format!("Read on the web: {want}")),
            "{line}"
        );
        assert!(
            mx.html.contains(&format!(
                "<a href=\"{}\">Read on the web</a>",
                want.replace('&', "&amp;")
            )),
            "{line}: {}",
            mx.html
        );
    }
    // Mistakes, and answers no page shows, link nowhere.
    for line in [
        "position irann",
        "search muscat",
        "compare iran united-states",
        "help",
    ] {
        assert_eq!(ask(line).link, None, "{line}");
    }
    // Without a public address nothing links.
    let plain = App::new(bundled_library(), None, Clock::Fixed(bundled_today()));
    let r = dossier::router::answer(&plain, &dossier::commands::parse("brief").expect("parses"));
    assert_eq!(r.link, None);
    assert_eq!(dossier::render::discord::render(&r).embeds[0].url, None);
}

/// The static site: every page and feed written, and every link inside resolves to a file
/// (and an anchor) of the folder.
#[test]
fn dossier_site_writes_pages_whose_links_all_resolve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("public");
    let state = dir.path().join("state");
    let said = site(&out, &state, &bundled(), &["--public-url", PUBLIC]);
    assert!(said.contains("Wrote "), "{said}");
    let lib = bundled_library();
    let topic = &lib.topics()[0];
    for rel in [
        "index.html".to_owned(),
        "style.css".to_owned(),
        format!("t/{TOPIC}/index.html"),
        format!("t/{TOPIC}/timeline/index.html"),
        format!("t/{TOPIC}/timeline/page/2/index.html"),
        format!("t/{TOPIC}/sources/index.html"),
        format!("t/{TOPIC}/experts/index.html"),
        format!("t/{TOPIC}/changes/index.html"),
        format!("t/{TOPIC}/changes/1/index.html"),
        format!("t/{TOPIC}/feed.atom"),
    ] {
        assert!(out.join(&rel).is_file(), "{rel} was not written");
    }
    for a in &topic.actors {
        assert!(
            out.join(format!("t/{TOPIC}/actors/{}/index.html", a.id))
                .is_file()
        );
    }
    let d = feedparser(
        &std::fs::read_to_string(out.join(format!("t/{TOPIC}/feed.atom"))).expect("feed"),
    );
    assert_eq!(d["bozo"], 0, "{}", d["why"]);
    assert_eq!(d["entries"].as_array().expect("entries").len(), 1);
    let checked = check_links(&out);
    assert!(
        checked.citations > 100,
        "only {} citations",
        checked.citations
    );
    assert!(checked.pages > 15, "{} pages", checked.pages);

    // Run again on changed cards: one more entry, and the older one keeps its id.
    let cards = dir.path().join("briefings");
    copy_tree(&bundled(), &cards);
    let card = cards.join(TOPIC).join("actors/oman.toml");
    let text = std::fs::read_to_string(&card).expect("card");
    let at = text.rfind("stance = \"").expect("a stance") + "stance = \"".len();
    std::fs::write(&card, format!("{}Site test. {}", &text[..at], &text[at..])).expect("write");
    site(&out, &state, &cards, &[]);
    let again = feedparser(
        &std::fs::read_to_string(out.join(format!("t/{TOPIC}/feed.atom"))).expect("feed"),
    );
    let entries = again["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["id"], d["entries"][0]["id"]);
    assert!(
        out.join(format!("t/{TOPIC}/changes/2/index.html"))
            .is_file()
    );
    check_links(&out);
}

/// Run `dossier site` on `cards`; what it printed.
fn site(out: &Path, state: &Path, cards: &Path, more: &[&str]) -> String {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["site", "--out"])
        .arg(out)
        .arg("--state")
        .arg(state)
        .arg("--briefings")
        .arg(cards)
        .args(["--today", "2026-11-25"])
        .args(more)
        .output()
        .expect("dossier site");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout).into_owned()
}

struct Checked {
    pages: usize,
    citations: usize,
}

/// Every root-relative link of every page under `out` names a file there (a folder's
/// `index.html`), and every `#fragment` an `id` on that page.
fn check_links(out: &Path) -> Checked {
    fn pages(dir: &Path, found: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read").flatten() {
            let p = e.path();
            if p.is_dir() {
                pages(&p, found);
            } else if p.extension().is_some_and(|x| x == "html") {
                found.push(p);
            }
        }
    }
    let mut files = Vec::new();
    pages(out, &mut files);
    let mut ids: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let read = |p: &Path| -> String { std::fs::read_to_string(p).expect("page") };
    let target = |href: &str| -> PathBuf {
        let rel = href.trim_start_matches('/');
        let p = out.join(rel);
        if rel.ends_with(".css") || rel.ends_with(".atom") {
            p
        } else {
            p.join("index.html")
        }
    };
    let mut citations = 0;
    for f in &files {
        let html = read(f);
        assert!(
            !html.to_ascii_lowercase().contains("<script"),
            "{}",
            f.display()
        );
        assert!(
            html.contains("http-equiv=\"Content-Security-Policy\""),
            "{}",
            f.display()
        );
        for href in html
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
        {
            let href = href.replace("&amp;", "&");
            if href.starts_with("https://") || href.starts_with("http://") || href == "data:," {
                continue;
            }
            assert!(
                href.starts_with('/') || href.starts_with('#'),
                "{}: {href}",
                f.display()
            );
            assert!(
                !href.contains('?'),
                "{}: a query link on a static site: {href}",
                f.display()
            );
            let (path, frag) = match href.split_once('#') {
                Some((p, frag)) => (p.to_owned(), Some(frag.to_owned())),
                None => (href.clone(), None),
            };
            let file = if path.is_empty() {
                f.clone()
            } else {
                target(&path)
            };
            assert!(
                file.is_file(),
                "{}: {href} → {} is missing",
                f.display(),
                file.display()
            );
            if let Some(frag) = frag {
                let known = ids.entry(file.clone()).or_insert_with(|| {
                    std::fs::read_to_string(&file)
                        .expect("page")
                        .split("id=\"")
                        .skip(1)
                        .filter_map(|s| s.split('"').next())
                        .map(str::to_owned)
                        .collect()
                });
                assert!(
                    known.contains(&frag),
                    "{}: {href} has no anchor",
                    f.display()
                );
                if frag.starts_with("src-") {
                    citations += 1;
                }
            }
        }
    }
    Checked {
        pages: files.len(),
        citations,
    }
}

/// The bundled cards in `dir`, with the status note set to `note` when given, as a library.
fn cards_with_note(dir: &Path, note: Option<&str>) -> Arc<dossier::library::Library> {
    let topic = dir.join(TOPIC).join("topic.toml");
    if let Some(note) = note {
        let text = std::fs::read_to_string(&topic).expect("topic card");
        let start = text.find("status_note = ").expect("a status note");
        let value = start + 14;
        let end = if text[value..].starts_with("\"\"\"") {
            value + 3 + text[value + 3..].find("\"\"\"").expect("its end") + 3
        } else {
            value + text[value..].find('\n').expect("its end")
        };
        let text = format!("{}status_note = \"{note}\"{}", &text[..start], &text[end..]);
        std::fs::write(&topic, text).expect("write");
    }
    let (library, report) =
        dossier::reload::load_checked(dir, bundled_today(), None).expect("loads");
    assert!(!report.has_errors(), "{}", report.human());
    Arc::new(library)
}

#[test]
fn replicas_sharing_a_database_record_each_change_once_under_the_same_ids() {
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(crate::postgres::Postgres::start)
            .await
            .expect("postgres");
        let address = pg.database("feed");
        let open = || async {
            Arc::new(
                Feed::open(crate::stores::shared(&address).await.feed)
                    .await
                    .expect("shared feed"),
            )
        };
        let (a, b) = (open().await, open().await);
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(&bundled(), dir.path());
        let today = bundled_today();
        let now = chrono::Utc::now();

        // Both replicas start on the same cards: the topic's first entry is recorded once.
        let first = cards_with_note(dir.path(), None);
        let (x, y) = tokio::join!(a.record(&first, now, today), b.record(&first, now, today));
        assert_eq!(
            x.expect("record").len() + y.expect("record").len(),
            1,
            "one first entry between them"
        );

        // A serves a change first: one entry; B then serves the same cards and adds none.
        let changed = cards_with_note(dir.path(), Some("A note changed on replica A."));
        assert_eq!(
            a.record(&changed, now, today).await.expect("record").len(),
            1
        );
        assert!(
            b.record(&changed, now, today)
                .await
                .expect("record")
                .is_empty()
        );
        let ids = |f: &Feed| f.entries(TOPIC).iter().map(|e| e.id()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(ids(&a).len(), 2);

        // B follows: an entry A adds reaches B when A says so, not only when B reloads.
        let stop = tokio_util::sync::CancellationToken::new();
        tokio::spawn(dossier::feed::follow_shared(b.clone(), stop.clone()));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let again = cards_with_note(dir.path(), Some("A second change, on replica A."));
        a.record(&again, now, today).await.expect("record");
        let told = Instant::now();
        while ids(&b).len() < 3 {
            assert!(
                told.elapsed() < Duration::from_secs(3),
                "B never heard of A's entry"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(ids(&a), ids(&b));
        let newest = &b.entries(TOPIC)[0];
        assert!(
            newest.title.to_lowercase().contains("status note"),
            "{}",
            newest.title
        );
        assert_eq!(b.entry(TOPIC, 1).await.expect("the first entry").seq, 1);
        assert!(b.entry(TOPIC, 99).await.is_none());
        stop.cancel();
    });
}

/// A replica that reloads cards older than a change another replica recorded (it has not yet
/// pulled that change) records nothing: before, it recorded the change undone, an entry that
/// told every feed reader the status note was back to its old text.
#[test]
fn a_replica_behind_another_records_no_entry_undoing_its_change() {
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(crate::postgres::Postgres::start)
            .await
            .expect("postgres");
        let address = pg.database("behind");
        let open = || async {
            Feed::open(crate::stores::shared(&address).await.feed)
                .await
                .expect("shared feed")
        };
        let (a, b) = (Arc::new(open().await), Arc::new(open().await));
        let (dir_a, dir_b) = (
            tempfile::tempdir().expect("tempdir"),
            tempfile::tempdir().expect("tempdir"),
        );
        copy_tree(&bundled(), dir_a.path());
        copy_tree(&bundled(), dir_b.path());
        let (today, now) = (bundled_today(), chrono::Utc::now());
        let old = cards_with_note(dir_b.path(), None);
        a.record(&old, now, today).await.expect("record");
        b.record(&old, now, today).await.expect("record");
        // B follows the feed, as a serving replica does.
        let stop = tokio_util::sync::CancellationToken::new();
        tokio::spawn(dossier::feed::follow_shared(b.clone(), stop.clone()));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let new = cards_with_note(dir_a.path(), Some("Changed on replica A."));
        assert_eq!(a.record(&new, now, today).await.expect("record").len(), 1);
        let told = Instant::now();
        while b.entries(TOPIC).len() < 2 {
            assert!(
                told.elapsed() < Duration::from_secs(3),
                "B never heard of A's entry"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // B reloads its own, older cards (a change to another file, say) before it pulls.
        let made = b.record(&old, now, today).await.expect("record");
        assert!(
            made.is_empty(),
            "B recorded {:?}",
            made.iter().map(|e| &e.title).collect::<Vec<_>>()
        );
        // Then it pulls: nothing new. A change of its own is recorded, once, after A's.
        assert!(b.record(&new, now, today).await.expect("record").is_empty());
        let own = cards_with_note(dir_b.path(), Some("Changed on replica B."));
        assert_eq!(b.record(&own, now, today).await.expect("record").len(), 1);
        let titles: Vec<String> = a
            .record(
                &cards_with_note(dir_b.path(), Some("Changed on replica B.")),
                now,
                today,
            )
            .await
            .expect("record")
            .iter()
            .map(|e| e.title.clone())
            .collect();
        assert!(titles.is_empty(), "{titles:?}");
        let b_seqs: Vec<i64> = b.entries(TOPIC).iter().map(|e| e.seq).collect();
        assert_eq!(b_seqs.len(), 3, "first, A's change, B's change: {b_seqs:?}");
        stop.cancel();
    });
}
