//! The upgrade from the state folder earlier versions wrote (four SQLite files, kept as they
//! were made by the last of those versions in `tests/fixtures/state-2026-12-07`) into the one
//! file: every row kept with its ids and what it says, the old files renamed `*.migrated` and
//! never deleted, a second start copying nothing, a start stopped before the rename copying
//! nothing twice, and `dossier state migrate` taking such a folder to PostgreSQL whole.

use crate::common::{copy_tree, runtime, state_stores};
use crate::postgres::Postgres;
use chrono::{DateTime, NaiveDate, Utc};
use dossier::schedule::store::{Destination, PostState};
use std::path::{Path, PathBuf};

const OLD_FILES: [&str; 4] = [
    "schedules.sqlite3",
    "edits.sqlite3",
    "places.sqlite3",
    "feed.sqlite3",
];

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/state-2026-12-07")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

/// A copy of the old folder, as a user's `state/` would be.
fn old_state() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    copy_tree(&fixture(), &state);
    (dir, state)
}

/// Everything the fixture holds, read through the stores: what a user would see kept.
async fn assert_every_row_is_kept(state: &Path) {
    let stores = state_stores(state).await;

    // Schedules: three subscriptions with their ids (the third unsubscribed), four posts, two
    // snapshots.
    let active = stores
        .schedules
        .subscriptions()
        .await
        .expect("subscriptions");
    assert_eq!(
        active
            .iter()
            .map(|s| (s.id, s.destination.clone(), s.from_config))
            .collect::<Vec<_>>(),
        vec![
            (1, Destination::Discord { channel: 1101 }, false),
            (
                2,
                Destination::Matrix {
                    room: "!room:example.org".into()
                },
                true
            ),
        ]
    );
    assert_eq!(active[0].created_at, at("2026-10-05T04:00:00Z"));
    assert_eq!(active[0].created_by.as_deref(), Some("discord:41 (alice)"));
    let posts = stores.schedules.recent(1, 10).await.expect("posts");
    assert_eq!(
        posts
            .iter()
            .map(|p| (p.day.to_string(), p.state.clone(), p.updated))
            .collect::<Vec<_>>(),
        vec![
            (
                "2026-10-07".to_owned(),
                PostState::Failed {
                    error: "Discord answered 503".into()
                },
                at("2026-10-07T04:00:02Z")
            ),
            (
                "2026-10-06".to_owned(),
                PostState::Skipped,
                at("2026-10-06T04:00:02Z")
            ),
            (
                "2026-10-05".to_owned(),
                PostState::Sent {
                    message_id: "1400000000000000001".into()
                },
                at("2026-10-05T04:00:02Z")
            ),
        ]
    );
    assert_eq!(
        stores
            .schedules
            .last_handled(2)
            .await
            .expect("last handled"),
        NaiveDate::from_ymd_opt(2026, 10, 5)
    );
    let snapshot = stores
        .schedules
        .snapshot(&Destination::Discord { channel: 1101 }, "iran-us-talks")
        .await
        .expect("snapshot");
    assert_eq!(
        snapshot,
        Some((
            "{\"v\":1}".to_owned(),
            NaiveDate::from_ymd_opt(2026, 10, 5).expect("day")
        ))
    );
    // The failed post is still owed a retry, from when it was due.
    assert_eq!(
        stores.schedules.attention().await.expect("attention").len(),
        1
    );

    // The edit log: three edits with their ids, the undo naming what it undid; the
    // suggestions as they were decided.
    let log = stores.edits.dump().await.expect("log");
    assert_eq!(
        log.edits
            .iter()
            .map(|e| (e.id, e.action.name(), e.undoes, e.by.name.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (1, "position", None, "alice"),
            (2, "event", None, "bob"),
            (3, "undo", Some(2), "alice")
        ]
    );
    assert_eq!(log.edits[0].at, at("2026-10-08T10:00:00Z"));
    assert_eq!(
        log.edits[0].git_commit.as_deref(),
        Some("0123456789abcdef0123456789abcdef01234567")
    );
    assert_eq!(log.edits[0].after, "name = \"Iran\"\n# edited\n");
    let decided: Vec<_> = log
        .suggestions
        .iter()
        .map(|s| {
            (
                s.suggestion.id,
                s.suggestion.decision.map(|d| d.name()),
                s.edit,
                s.reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        decided,
        vec![
            (1, Some("approved"), Some(1), None),
            (2, Some("rejected"), None, Some("no source given")),
            (3, None, None, None)
        ]
    );
    let (pending, waiting) = stores.edits.pending(10).await.expect("pending");
    assert_eq!((pending.len(), waiting), (1, 1));
    assert_eq!(pending[0].0.fields, "{\"url\":\"https://example.org/a\"}");
    // The undone edit is not undoable again; the one before it is.
    assert_eq!(
        stores
            .edits
            .last_undoable()
            .await
            .expect("undoable")
            .map(|e| e.id),
        Some(1)
    );
    // The places' topics, their instants in the one stored form now.
    let places = dossier::places::Places::open(stores.places.clone())
        .await
        .expect("places");
    let here = places
        .topic_of(&Destination::Discord { channel: 1101 })
        .expect("kept");
    assert_eq!(here.topic, "iran-us-talks");
    assert_eq!(here.set_by.as_deref(), Some("discord:41 (alice)"));
    assert_eq!(here.set_at.timestamp_subsec_nanos() % 1_000_000, 0);
    assert_eq!(places.all().len(), 2);

    // The change feed: its entry under the same id, and its mark (a reload of the same cards
    // records nothing new).
    let feed = dossier::feed::Feed::open(stores.feed.clone())
        .await
        .expect("feed");
    let entries = feed.entries("iran-us-talks");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].id(),
        format!(
            "urn:dossier:iran-us-talks:1:{}",
            at("2026-10-05T04:00:00Z").timestamp()
        )
    );
    assert!(entries[0].title.contains("the briefing as first recorded"));
}

#[test]
fn an_old_state_folder_is_taken_into_the_one_file_with_every_row_kept() {
    runtime().block_on(async {
        let (_dir, state) = old_state();
        assert_every_row_is_kept(&state).await;
        for f in OLD_FILES {
            assert!(!state.join(f).exists(), "{f} was set aside");
            assert!(
                state.join(format!("{f}.migrated")).is_file(),
                "{f} was kept, renamed, never deleted"
            );
        }
        assert!(state.join("dossier.sqlite3").is_file());
        let sqlite: Vec<_> = std::fs::read_dir(&state)
            .expect("state")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sqlite3"))
            .collect();
        assert_eq!(sqlite, vec!["dossier.sqlite3"], "one state file");

        // A second start copies nothing and finds everything.
        assert_every_row_is_kept(&state).await;
        // New ids continue after the kept ones.
        let stores = state_stores(&state).await;
        let log = stores.edits.dump().await.expect("log");
        let next = stores
            .edits
            .suggest(&log.suggestions[2].suggestion)
            .await
            .expect("suggest");
        assert_eq!(next, 4);
        drop(stores);

        // A start stopped after the copy but before the rename left an old file in place: the
        // next start takes it in again, adding nothing twice.
        std::fs::copy(
            fixture().join("schedules.sqlite3"),
            state.join("schedules.sqlite3"),
        )
        .expect("copy");
        std::fs::copy(fixture().join("edits.sqlite3"), state.join("edits.sqlite3")).expect("copy");
        let stores = state_stores(&state).await;
        assert_eq!(stores.edits.dump().await.expect("log").edits.len(), 3);
        let everything = dossier::store::sqlite::schedules::SqliteStore::new(
            dossier::store::sqlite::Db::open_async(&state)
                .await
                .expect("file"),
        )
        .dump()
        .await
        .expect("dump");
        assert_eq!(
            (
                everything.subscriptions.len(),
                everything.posts.len(),
                everything.snapshots.len()
            ),
            (3, 4, 2)
        );
        assert!(state.join("schedules.sqlite3.migrated.2").is_file());
        // (The suggestion added by the first look is still there: 4, not 3 or 5.)
        assert_eq!(stores.edits.dump().await.expect("log").suggestions.len(), 4);
    });
}

#[test]
fn an_old_file_from_a_newer_dossier_is_refused_with_nothing_changed() {
    let (_dir, state) = old_state();
    let feed = state.join("feed.sqlite3");
    {
        let c = rusqlite::Connection::open(&feed).expect("open");
        c.pragma_update(None, "user_version", 7).expect("version");
    }
    let before = std::fs::read(&feed).expect("read");
    let err = dossier::store::Stores::in_folder(&state)
        .err()
        .expect("refused");
    assert!(
        err.contains("feed.sqlite3") && err.contains("newer dossier"),
        "{err}"
    );
    assert_eq!(std::fs::read(&feed).expect("read"), before);
    assert!(!state.join("feed.sqlite3.migrated").exists());
}

#[test]
fn state_migrate_takes_an_old_folder_to_postgres_whole() {
    runtime().block_on(async {
        let (_dir, state) = old_state();
        let server = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let address = server.database("upgraded");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
            .args(["state", "migrate", "--from"])
            .arg(&state)
            .args(["--to", &address])
            .env_remove("PGPASSWORD")
            .output()
            .expect("dossier state migrate");
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in [
            "3 of 3 subscriptions, 4 of 4 posts, 2 of 2 snapshots",
            "3 of 3 edits, 3 of 3 suggestions",
            "2 of 2 places' topics",
            "1 of 1 feed entries",
        ] {
            assert!(said.contains(line), "{line}: {said}");
        }
        let shared = crate::stores::shared(&address).await;
        let log = shared.edits.dump().await.expect("log");
        assert_eq!(log.edits[2].undoes, Some(2));
        assert_eq!(log.edits[0].at, at("2026-10-08T10:00:00Z"));
        assert_eq!(
            server.query(
                "upgraded",
                "SELECT to_char(set_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM place_topics WHERE place = '1101'"
            ),
            "2026-12-07"
        );
        let feed = dossier::feed::Feed::open(shared.feed.clone())
            .await
            .expect("feed");
        assert_eq!(feed.entries("iran-us-talks").len(), 1);
    });
}

#[test]
fn an_old_file_beside_a_one_file_that_has_rows_of_its_own_is_refused_and_nothing_mixed() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        // A fresh start: the one file, with a subscription of its own (id 1).
        {
            let stores = state_stores(&state).await;
            let mut sub = crate::stores::new_sub(4242);
            sub.from_config = false;
            stores
                .schedules
                .subscribe(&sub, at("2026-12-01T00:00:00Z"))
                .await
                .expect("subscribe");
        }
        // Then the old files come back beside it (a backup restored, a rollback's files).
        std::fs::copy(
            fixture().join("schedules.sqlite3"),
            state.join("schedules.sqlite3"),
        )
        .expect("copy");
        let err = dossier::store::Stores::in_folder_async(&state)
            .await
            .err()
            .expect("refused");
        assert!(
            err.contains("schedules.sqlite3")
                && err.contains("subscriptions")
                && err.contains("nothing was changed"),
            "{err}"
        );
        assert!(state.join("schedules.sqlite3").is_file(), "left in place");
        assert!(!state.join("schedules.sqlite3.migrated").exists());
        // Moved aside, the one file opens as it was: its own subscription, nothing of the old.
        std::fs::rename(
            state.join("schedules.sqlite3"),
            dir.path().join("aside.sqlite3"),
        )
        .expect("aside");
        let stores = state_stores(&state).await;
        let subs = stores
            .schedules
            .subscriptions()
            .await
            .expect("subscriptions");
        assert_eq!(
            subs.iter()
                .map(|s| s.destination.clone())
                .collect::<Vec<_>>(),
            vec![Destination::Discord { channel: 4242 }]
        );
    });
}

#[test]
fn processes_upgrading_one_old_folder_at_once_copy_it_once() {
    let (_dir, state) = old_state();
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let s = state.clone();
            std::thread::spawn(move || dossier::store::Stores::in_folder(&s).map(drop))
        })
        .collect();
    for o in opened {
        o.join().expect("thread").expect("opens");
    }
    for f in OLD_FILES {
        assert!(state.join(format!("{f}.migrated")).is_file(), "{f}");
        assert!(
            !state.join(format!("{f}.migrated.2")).exists(),
            "{f} set aside once"
        );
        assert!(!state.join(f).exists(), "{f} not made again, empty");
    }
    runtime().block_on(assert_every_row_is_kept(&state));
}
