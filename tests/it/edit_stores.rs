//! One suite of edit-log tests, run against both logs: SQLite (`state/edits.sqlite3`, one
//! process) and PostgreSQL (a real server on 127.0.0.1, shared by replicas). Each test opens the
//! log twice, as two processes would, and checks what `history`, `undo` and the suggestions
//! rely on: edits kept in the order they were made, undo walking back through edits not yet
//! undone, each suggestion decided exactly once however many moderators race, and a copy from
//! one log to the other that keeps ids and adds nothing the second time.

use crate::common::runtime;
use crate::stores::{Backend, database, on_both};
use dossier::edit::Author;
use dossier::store::edits::{Decision, Entry, LogDump, Logged, Suggestion};
use dossier::store::postgres::edits::PgLog;

fn author(id: &str) -> Author {
    Author {
        platform: dossier::platform::Platform::Matrix,
        id: id.into(),
        name: id.trim_start_matches('@').into(),
    }
}

fn entry(file: &str, by: &str, undoes: Option<i64>) -> Entry {
    Entry {
        id: 0,
        at: chrono::DateTime::from_timestamp(1_790_000_000, 0).expect("instant"),
        topic: "iran-us-talks".into(),
        file: file.into(),
        action: Logged::parse("position").expect("action"),
        summary: format!("{file} by {by}"),
        by: author(by),
        existed: true,
        before: "stance = \"old\"\n".into(),
        after: "stance = \"new — ünïcode\"\n".into(),
        after_hash: "h".into(),
        undoes,
        git_commit: Some("0123abcd".into()),
        // An approved proposal's second file, undone with the first.
        also: vec![dossier::store::edits::FileChange {
            file: "iran-us-talks/sources.toml".into(),
            existed: true,
            before: "# sources\n".into(),
            after: "# sources\n[[source]]\nid = \"ünïcode\"\n".into(),
            after_hash: "h2".into(),
        }],
    }
}

fn suggestion(by: &str, what: &str) -> Suggestion {
    Suggestion {
        id: 0,
        what: dossier::edit::Action::parse(what).expect("action"),
        topic: "iran-us-talks".into(),
        actor: Some("iran".into()),
        base: Some("hash".into()),
        fields: "{\"stance\":\"x\"}".into(),
        by: author(by),
        decision: None,
    }
}

async fn edits_are_kept_in_order_and_undo_walks_back(b: &Backend) {
    let (one, two) = (b.open_log().await, b.open_log().await);
    assert!(one.last_undoable().await.expect("read").is_none());
    assert!(one.recent(None, 10).await.expect("read").is_empty());
    // Two processes add edits in turn; the ids say in which order.
    let a = one
        .add(&entry("a/actors/iran.toml", "@x:hs", None))
        .await
        .expect("add");
    let c = two
        .add(&entry("a/actors/oman.toml", "@y:hs", None))
        .await
        .expect("add");
    assert!(c > a, "a later edit has a larger id");
    let undoable = one.last_undoable().await.expect("read").expect("one");
    assert_eq!(undoable.id, c, "the newest edit, made by the other process");
    assert_eq!(undoable.by, author("@y:hs"));
    assert_eq!(undoable.after, "stance = \"new — ünïcode\"\n");
    assert_eq!(undoable.git_commit.as_deref(), Some("0123abcd"));
    assert_eq!(undoable.at.timestamp(), 1_790_000_000);
    // Undo the newest: the next undo reaches back to the first.
    let u = one
        .add(&entry("a/actors/oman.toml", "@y:hs", Some(c)))
        .await
        .expect("undo");
    assert_eq!(two.last_undoable().await.expect("read").expect("one").id, a);
    let all: Vec<i64> = two
        .recent(None, 10)
        .await
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(all, vec![u, c, a], "newest first");
    let oman: Vec<i64> = two
        .recent(Some("a/actors/oman.toml"), 10)
        .await
        .expect("read")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(oman, vec![u, c]);
    assert_eq!(two.recent(None, 1).await.expect("read").len(), 1);
    // Reopened, it remembers.
    drop((one, two));
    let again = b.open_log().await;
    assert_eq!(
        again.last_undoable().await.expect("read").expect("one").id,
        a
    );
    assert_eq!(again.recent(None, 10).await.expect("read").len(), 3);
}

async fn suggestions_wait_in_order_and_are_decided_once(b: &Backend) {
    let (one, two) = (b.open_log().await, b.open_log().await);
    let first = one
        .suggest(&suggestion("@m:hs", "position"))
        .await
        .expect("suggest");
    let second = two
        .suggest(&suggestion("@m:hs", "event"))
        .await
        .expect("suggest");
    let other = two
        .suggest(&suggestion("@n:hs", "source"))
        .await
        .expect("suggest");
    assert!(first < second && second < other);
    assert_eq!(one.pending_from(&author("@m:hs")).await.expect("count"), 2);
    assert_eq!(one.pending_from(&author("@n:hs")).await.expect("count"), 1);
    let (rows, total) = one.pending(2).await.expect("pending");
    assert_eq!(total, 3);
    assert_eq!(
        rows.iter().map(|(s, _)| s.id).collect::<Vec<_>>(),
        vec![first, second],
        "oldest first, at most the number asked for"
    );
    assert!(
        chrono::DateTime::parse_from_rfc3339(&rows[0].1).is_ok(),
        "{}",
        rows[0].1
    );
    assert_eq!(rows[1].0.what.name(), "event");
    assert_eq!(rows[1].0.by, author("@m:hs"));
    // Two moderators decide the same suggestion at once, through the two processes: one wins.
    let boss = author("@boss:hs");
    let rival = author("@rival:hs");
    let (x, y) = tokio::join!(
        one.decide(first, Decision::Approved, &boss, None, None),
        two.decide(first, Decision::Rejected, &rival, Some("duplicate"), None),
    );
    assert!(
        x.expect("decide") ^ y.expect("decide"),
        "exactly one decision is recorded"
    );
    let decided = two.suggestion(first).await.expect("read").expect("there");
    assert!(matches!(
        decided.decision.map(Decision::name),
        Some("approved" | "rejected")
    ));
    assert!(
        !one.decide(first, Decision::Approved, &boss, None, None)
            .await
            .expect("decide"),
        "a decided suggestion stays decided"
    );
    assert!(one.suggestion(9_999).await.expect("read").is_none());
    assert_eq!(one.pending_from(&author("@m:hs")).await.expect("count"), 1);
    assert_eq!(two.pending(10).await.expect("pending").1, 2);
}

/// Many edits added at once by two processes: none lost, each id once.
async fn racing_adds_lose_nothing(b: &Backend) {
    let (one, two) = (b.open_log().await, b.open_log().await);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let log = if i % 2 == 0 { one.clone() } else { two.clone() };
        tasks.push(tokio::spawn(async move {
            log.add(&entry(&format!("t/actors/a{i}.toml"), "@x:hs", None))
                .await
                .expect("add")
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("task"));
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 40);
    assert_eq!(one.recent(None, 100).await.expect("read").len(), 40);
}

#[test]
fn edits_and_undo_on_sqlite_and_postgres() {
    on_both(|b| Box::pin(edits_are_kept_in_order_and_undo_walks_back(b)));
}

#[test]
fn suggestions_on_sqlite_and_postgres() {
    on_both(|b| Box::pin(suggestions_wait_in_order_and_are_decided_once(b)));
}

#[test]
fn racing_edits_on_sqlite_and_postgres() {
    on_both(|b| Box::pin(racing_adds_lose_nothing(b)));
}

#[test]
fn a_log_copied_from_sqlite_to_postgres_keeps_ids_and_adds_nothing_twice() {
    runtime().block_on(async {
        let lite = Backend::sqlite();
        let from = lite.open_log().await;
        let a = from
            .add(&entry("t/a.toml", "@x:hs", None))
            .await
            .expect("add");
        from.add(&entry("t/a.toml", "@x:hs", Some(a)))
            .await
            .expect("undo");
        let s = from
            .suggest(&suggestion("@m:hs", "event"))
            .await
            .expect("suggest");
        from.decide(
            s,
            Decision::Rejected,
            &author("@boss:hs"),
            Some("no source"),
            None,
        )
        .await
        .expect("decide");
        from.suggest(&suggestion("@m:hs", "source"))
            .await
            .expect("suggest");
        let dump = from.dump().await.expect("dump");
        assert_eq!((dump.edits.len(), dump.suggestions.len()), (2, 2));

        let pg = tokio::task::spawn_blocking(Backend::pg)
            .await
            .expect("postgres");
        let to = pg.open_log().await;
        let loaded = to.load(&dump).await.expect("load");
        assert_eq!((loaded.edits, loaded.suggestions), (2, 2));
        let copied = to.dump().await.expect("dump");
        assert_eq!(copied.edits, dump.edits, "the same rows, ids and all");
        assert_eq!(copied.suggestions, dump.suggestions);
        let again = to.load(&dump).await.expect("load");
        assert_eq!((again.edits, again.suggestions), (0, 0));
        // New rows continue after the copied ids.
        let next = to
            .add(&entry("t/b.toml", "@x:hs", None))
            .await
            .expect("add");
        assert!(next > dump.edits.iter().map(|e| e.id).max().expect("ids"));
        assert_eq!(to.pending(10).await.expect("pending").1, 1);
        assert_eq!(to.load(&LogDump::default()).await.expect("load").edits, 0);
    });
}

#[test]
fn a_newer_postgres_edit_log_is_refused_and_a_stopped_database_is_unavailable() {
    runtime().block_on(async {
        let b = tokio::task::spawn_blocking(Backend::pg)
            .await
            .expect("postgres");
        let Backend::Pg { server, address } = &b else {
            unreachable!()
        };
        let log = b.open_log().await;
        log.add(&entry("t/a.toml", "@x:hs", None))
            .await
            .expect("add");
        server.down();
        let started = std::time::Instant::now();
        let err = log.recent(None, 10).await.expect_err("down");
        assert!(err.is_unavailable(), "{err:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(8));
        server.up();
        server.query(
            "dossier",
            "UPDATE dossier_schema SET version = 99 WHERE component = 'edits'",
        );
        let err = PgLog::open(database(address))
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("newer dossier") && err.contains("schema 99"),
            "{err}"
        );
        assert_eq!(
            server.query("dossier", "SELECT count(*) FROM edits"),
            "1",
            "nothing was changed"
        );
    });
}

/// A column whose type was changed by hand is an error for the call that reads it, not a panic
/// in the task that asked: the edit log answers it as a failure and goes on working.
#[test]
fn a_row_of_the_wrong_type_is_an_error_not_a_panic() {
    runtime().block_on(async {
        let b = tokio::task::spawn_blocking(Backend::pg)
            .await
            .expect("postgres");
        let Backend::Pg { server, .. } = &b else {
            unreachable!()
        };
        let log = b.open_log().await;
        log.add(&entry("t/a.toml", "@x:hs", None))
            .await
            .expect("add");
        log.suggest(&suggestion("@y:hs", "position"))
            .await
            .expect("suggest");
        server.query(
            "dossier",
            "ALTER TABLE edits ALTER COLUMN summary TYPE BYTEA USING convert_to(summary, 'UTF8')",
        );
        server.query(
            "dossier",
            "ALTER TABLE suggestions ALTER COLUMN fields TYPE BYTEA USING convert_to(fields, 'UTF8')",
        );
        let err = log.recent(None, 10).await.expect_err("a wrong type");
        assert!(!err.is_unavailable(), "{err:?}");
        assert!(log.last_undoable().await.is_err());
        assert!(log.pending(10).await.is_err());
        assert!(log.dump().await.is_err());
        // What does not read those columns still works.
        assert_eq!(log.pending_from(&author("@y:hs")).await.expect("count"), 1);
    });
}
