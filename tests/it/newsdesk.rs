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
