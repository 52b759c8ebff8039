//! One suite of schedule-store tests, run against both stores: SQLite (a file, as one process
//! keeps it) and PostgreSQL (a real server on 127.0.0.1, as replicas share it). Each test
//! opens the store twice, as two processes would, and checks what the scheduler relies on:
//! subscriptions kept and never dropped, a post claimed once however many race for it, a
//! dead owner's claim taken over after its lease with the same key, retries only when due.

use crate::common::runtime;
use crate::postgres::Postgres;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use dossier::config::{PostgresConfig, Secret};
use dossier::digest::WhenUnchanged;
use dossier::schedule::store::*;
use dossier::store::postgres::Database;
use dossier::store::postgres::schedules::PgStore;
use dossier::store::schedules::*;
use std::sync::Arc;

/// Where a store under test lives.
pub enum Backend {
    Sqlite(tempfile::TempDir),
    Pg { server: Postgres, address: String },
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().expect("tempdir"))
    }

    pub fn pg() -> Backend {
        let server = Postgres::start();
        let address = server.database("dossier");
        Backend::Pg { server, address }
    }

    /// Open the store, as one more process would.
    async fn open(&self) -> Arc<dyn ScheduleStore> {
        match self {
            Backend::Sqlite(dir) => {
                crate::common::state_stores(&dir.path().join("state"))
                    .await
                    .schedules
            }
            Backend::Pg { address, .. } => Arc::new(
                PgStore::open(database(address))
                    .await
                    .expect("postgres store"),
            ),
        }
    }

    /// Open every store, as one more process would.
    pub async fn open_all(&self) -> dossier::store::Stores {
        match self {
            Backend::Sqlite(dir) => crate::common::state_stores(&dir.path().join("state")).await,
            Backend::Pg { address, .. } => shared(address).await,
        }
    }

    /// Open the edit log, as one more process would.
    pub async fn open_log(&self) -> Arc<dyn dossier::desk::EditStore> {
        match self {
            Backend::Sqlite(dir) => {
                crate::common::state_stores(&dir.path().join("state"))
                    .await
                    .edits
            }
            Backend::Pg { address, .. } => shared(address).await.edits,
        }
    }
}

/// Every store in the shared database at `address`, as a replica opens them.
pub async fn shared(address: &str) -> dossier::store::Stores {
    dossier::store::Stores::in_database(database(address))
        .await
        .expect("shared stores")
}

pub fn database(address: &str) -> Database {
    Database::new(&PostgresConfig {
        address: address.to_owned(),
        password: None,
        ca_file: None,
    })
    .expect("pool")
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-05T04:00:00Z")
        .expect("instant")
        .with_timezone(&Utc)
}

pub fn new_sub(channel: u64) -> NewSubscription {
    NewSubscription {
        destination: Destination::Discord { channel },
        topic: "iran-us-talks".into(),
        at: NaiveTime::from_hms_opt(8, 0, 0).expect("time"),
        tz: chrono_tz::Asia::Muscat,
        when_unchanged: WhenUnchanged::Short,
        catch_up: Duration::hours(6),
        from_config: false,
        created_by: Some("discord:1 (alice)".into()),
    }
}

async fn subscriptions_survive_reopening_and_are_never_dropped(b: &Backend) {
    {
        let s = b.open().await;
        let sub = s.subscribe(&new_sub(7), now()).await.expect("subscribe");
        assert_eq!(sub.topic, "iran-us-talks");
        assert_eq!(sub.created_at, now());
        assert!(matches!(
            s.subscribe(&new_sub(7), now()).await,
            Err(StoreError::Conflict(_))
        ));
        let config = NewSubscription {
            from_config: true,
            ..new_sub(8)
        };
        s.sync_config(std::slice::from_ref(&config), now())
            .await
            .expect("sync");
        // Syncing the same config again (a restart, another replica) adds nothing.
        s.sync_config(&[config], now()).await.expect("sync");
    }
    let s = b.open().await;
    let all = s.subscriptions().await.expect("list");
    assert_eq!(all.len(), 2, "{all:#?}");
    let configured = all.iter().find(|x| x.from_config).expect("config one");
    assert_eq!(
        configured.created_at,
        now() - Duration::hours(6),
        "a configured schedule counts from its catch-up window"
    );
    // The config no longer names channel 8: deactivated, the chat one stays.
    s.sync_config(&[], now()).await.expect("sync");
    let left = s.subscriptions().await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].destination, Destination::Discord { channel: 7 });
    assert_eq!(left[0].created_by.as_deref(), Some("discord:1 (alice)"));
    // Config subscriptions cannot be removed from chat; chat ones can, and come back.
    let eight = Destination::Discord { channel: 8 };
    assert_eq!(s.unsubscribe(&eight, None).await.expect("unsub"), 0);
    let seven = Destination::Discord { channel: 7 };
    assert_eq!(
        s.unsubscribe(&seven, Some(left[0].id + 100))
            .await
            .expect("unsub"),
        0,
        "another id is not this one"
    );
    assert_eq!(s.unsubscribe(&seven, None).await.expect("unsub"), 1);
    assert!(s.subscriptions().await.expect("list").is_empty());
    let again = s.subscribe(&new_sub(7), now()).await.expect("resubscribe");
    assert_eq!(again.id, left[0].id, "the same row, with its history");
}

async fn a_claim_is_taken_once_and_a_dead_owners_taken_over(b: &Backend) {
    let a = b.open().await;
    let other = b.open().await;
    let sub = a.subscribe(&new_sub(7), now()).await.expect("subscribe");
    let day = NaiveDate::from_ymd_opt(2026, 10, 5).expect("day");
    let lease = Duration::seconds(60);
    assert_eq!(
        a.claim(&sub, day, now(), "a", lease, now())
            .await
            .expect("claim"),
        Claim::Won { attempt: 1 }
    );
    assert_eq!(
        other
            .claim(&sub, day, now(), "b", lease, now() + Duration::seconds(59))
            .await
            .expect("claim"),
        Claim::Taken
    );
    // a died before recording: once its lease is over, b takes over (the same post key).
    let later = now() + Duration::seconds(61);
    assert_eq!(
        other
            .claim(&sub, day, now(), "b", lease, later)
            .await
            .expect("claim"),
        Claim::Won { attempt: 2 }
    );
    let sent = PostState::Sent {
        message_id: "m1".into(),
    };
    let outcome = PostOutcome {
        day,
        scheduled: now(),
        state: &sent,
        snapshot: Some("{\"v\":1}"),
        retry_at: None,
    };
    other.record(&sub, &outcome, later).await.expect("record");
    assert_eq!(
        a.claim(&sub, day, now(), "a", lease, later + lease * 2)
            .await
            .expect("claim"),
        Claim::Taken,
        "a sent post is never taken again"
    );
    assert_eq!(a.last_handled(sub.id).await.expect("last"), Some(day));
    assert_eq!(
        a.snapshot(&sub.destination, "iran-us-talks")
            .await
            .expect("snap"),
        Some(("{\"v\":1}".into(), day))
    );
    let view = a.active_with_last().await.expect("view");
    assert_eq!(view, vec![(sub.clone(), Some(day))]);
    // A failure is retried only from its retry time, and shows in `status`.
    let next = day.succ_opt().expect("day");
    a.claim(&sub, next, now(), "a", lease, later)
        .await
        .expect("claim");
    let failed = PostState::Failed {
        error: "403 Missing Access".into(),
    };
    let outcome = PostOutcome {
        day: next,
        scheduled: now(),
        state: &failed,
        snapshot: None,
        retry_at: Some(later + Duration::seconds(30)),
    };
    a.record(&sub, &outcome, later).await.expect("record");
    let attention = other.attention().await.expect("attention");
    assert_eq!(attention.len(), 1, "{attention:#?}");
    assert_eq!(attention[0].1.state, failed);
    assert_eq!(attention[0].1.day, next);
    assert_eq!(
        a.claim(&sub, next, now(), "a", lease, later + Duration::seconds(10))
            .await
            .expect("claim"),
        Claim::Taken
    );
    assert_eq!(
        other
            .claim(&sub, next, now(), "b", lease, later + Duration::seconds(31))
            .await
            .expect("claim"),
        Claim::Won { attempt: 2 }
    );
    let recent = a.recent(sub.id, 5).await.expect("recent");
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0].day, next);
    assert_eq!(recent[0].attempts, 2);
    assert_eq!(recent[1].state, sent);
    // The failure was taken up again: `status` no longer lists it once it is sent.
    let outcome = PostOutcome {
        day: next,
        scheduled: now(),
        state: &sent,
        snapshot: None,
        retry_at: None,
    };
    other.record(&sub, &outcome, later).await.expect("record");
    assert!(a.attention().await.expect("attention").is_empty());
}

/// 200 subscriptions, each day's post claimed by 8 tasks over two opened stores at once:
/// exactly one claim wins per post.
async fn racing_claims_have_one_winner_each(b: &Backend) {
    let stores = [b.open().await, b.open().await];
    let mut subs = Vec::new();
    for ch in 0..200 {
        subs.push(
            stores[0]
                .subscribe(&new_sub(1000 + ch), now())
                .await
                .expect("subscribe"),
        );
    }
    let subs = Arc::new(subs);
    let day = NaiveDate::from_ymd_opt(2026, 10, 5).expect("day");
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = stores[t % 2].clone();
        let subs = subs.clone();
        tasks.push(tokio::spawn(async move {
            let mut won = Vec::new();
            for s in subs.iter() {
                let owner = format!("replica-{t}");
                if let Claim::Won { .. } = store
                    .claim(s, day, now(), &owner, Duration::seconds(60), now())
                    .await
                    .expect("claim")
                {
                    won.push(s.id);
                }
            }
            won
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    all.sort_unstable();
    let mut expected: Vec<i64> = subs.iter().map(|s| s.id).collect();
    expected.sort_unstable();
    assert_eq!(all, expected, "each post claimed exactly once");
}

/// Run `test` on a SQLite store, then on a PostgreSQL one.
pub fn on_both(
    test: for<'a> fn(&'a Backend) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>>,
) {
    runtime().block_on(async {
        test(&Backend::sqlite()).await;
        test(&Backend::pg()).await;
    });
}

async fn places_are_kept_replaced_and_copied_without_overwriting(b: &Backend) {
    use dossier::store::places::PlaceRow;
    let (one, other) = (b.open_all().await.places, b.open_all().await.places);
    let row = |place: &str, topic: &str, at: &str| PlaceRow {
        platform: "discord".into(),
        place: place.into(),
        topic: topic.into(),
        set_by: Some("discord:1 (mod)".into()),
        set_at: DateTime::parse_from_rfc3339(at)
            .expect("instant")
            .with_timezone(&Utc),
    };
    one.set(&row("7", "iran-us-talks", "2026-10-05T04:00:00.123Z"))
        .await
        .expect("set");
    one.set(&row("8", "river-treaty", "2026-10-05T04:00:01Z"))
        .await
        .expect("set");
    one.set(&row("7", "delta-accord", "2026-10-05T04:00:02Z"))
        .await
        .expect("replace");
    // Another process reads what the first wrote, instants to the millisecond.
    let all = other.all().await.expect("all");
    assert_eq!(
        all,
        vec![
            row("7", "delta-accord", "2026-10-05T04:00:02Z"),
            row("8", "river-treaty", "2026-10-05T04:00:01Z")
        ]
    );
    // A copy adds what is missing and never overwrites a place's own choice.
    let added = other
        .load(&[
            row("7", "iran-us-talks", "2026-01-01T00:00:00Z"),
            row("9", "iran-us-talks", "2026-01-01T00:00:00Z"),
        ])
        .await
        .expect("load");
    assert_eq!(added, 1);
    let topics: Vec<_> = one
        .all()
        .await
        .expect("all")
        .into_iter()
        .map(|r| (r.place, r.topic))
        .collect();
    assert_eq!(
        topics,
        vec![
            ("7".to_owned(), "delta-accord".to_owned()),
            ("8".to_owned(), "river-treaty".to_owned()),
            ("9".to_owned(), "iran-us-talks".to_owned())
        ]
    );
}

async fn feed_records_are_one_per_change_and_read_back_newest(b: &Backend) {
    use dossier::store::feed::{FeedCommit, StoredEntry, StoredMark};
    let stores: Vec<_> = futures_util::future::join_all((0..4).map(|_| b.open_all())).await;
    let day = NaiveDate::from_ymd_opt(2026, 10, 5).expect("day");
    let entry = |seq: i64, title: &str| StoredEntry {
        topic: "t".into(),
        seq,
        at: now(),
        title: title.into(),
        reply: "{}".into(),
    };
    // Four processes record the same change at once: one entry, numbered 1.
    let tasks: Vec<_> = stores
        .iter()
        .map(|s| {
            let feed = s.feed.clone();
            tokio::spawn(async move {
                feed.record(
                    "t",
                    Box::new(move |mark: Option<&StoredMark>, seq| {
                        if mark.is_some_and(|m| m.snapshot == "A") {
                            return None;
                        }
                        Some(FeedCommit {
                            entry: Some(StoredEntry {
                                topic: "t".into(),
                                seq,
                                at: now(),
                                title: "first".into(),
                                reply: "{}".into(),
                            }),
                            mark: StoredMark {
                                topic: "t".into(),
                                snapshot: "A".into(),
                                day,
                            },
                        })
                    }),
                )
                .await
                .expect("record")
            })
        })
        .collect();
    let mut made = Vec::new();
    for t in tasks {
        made.extend(t.await.expect("task"));
    }
    assert_eq!(made, vec![entry(1, "first")], "recorded once");
    // The next change is numbered after it; a change that says nothing moves the mark only.
    for (snapshot, title) in [("B", Some("second")), ("C", None), ("D", Some("third"))] {
        stores[1]
            .feed
            .record(
                "t",
                Box::new(move |_, seq| {
                    Some(FeedCommit {
                        entry: title.map(|t| entry(seq, t)),
                        mark: StoredMark {
                            topic: "t".into(),
                            snapshot: snapshot.into(),
                            day,
                        },
                    })
                }),
            )
            .await
            .expect("record");
    }
    let read = stores[2].feed.read(2).await.expect("read");
    assert_eq!(read.entries, vec![entry(2, "second"), entry(3, "third")]);
    assert_eq!(read.marks.len(), 1);
    assert_eq!(read.marks[0].snapshot, "D");
    assert_eq!(
        stores[3].feed.entry("t", 1).await.expect("entry"),
        Some(entry(1, "first"))
    );
    assert_eq!(stores[3].feed.entry("t", 9).await.expect("entry"), None);
    // A copy adds only what is missing.
    let mut dump = stores[0].feed.read(usize::MAX).await.expect("dump");
    dump.entries.push(entry(4, "fourth"));
    assert_eq!(stores[3].feed.load(&dump).await.expect("load"), 1);
    assert_eq!(stores[3].feed.load(&dump).await.expect("load"), 0);
}

async fn a_renewed_claim_holds_and_a_lapsed_one_is_taken_over(b: &Backend) {
    let (one, other) = (b.open().await, b.open().await);
    let sub = one.subscribe(&new_sub(77), now()).await.expect("subscribe");
    let day = NaiveDate::from_ymd_opt(2026, 10, 5).expect("day");
    let lease = Duration::seconds(10);
    let at = |s: i64| now() + Duration::seconds(s);
    let claim = |store: &Arc<dyn ScheduleStore>, owner: &'static str, t: DateTime<Utc>| {
        let (store, sub) = (store.clone(), sub.clone());
        async move {
            store
                .claim(&sub, day, now(), owner, lease, t)
                .await
                .expect("claim")
        }
    };
    assert!(matches!(
        claim(&one, "a", at(0)).await,
        Claim::Won { attempt: 1 }
    ));
    // Still sending at 8 s: renewed, so at 12 s the claim is 4 s old and holds.
    assert!(one.renew(sub.id, day, "a", at(8)).await.expect("renew"));
    assert_eq!(claim(&other, "b", at(12)).await, Claim::Taken);
    // Never renewed again (the owner died): a lease after the last renewal it is taken over,
    // and the one that lost it cannot renew it back.
    assert!(matches!(
        claim(&other, "b", at(19)).await,
        Claim::Won { attempt: 2 }
    ));
    assert!(!one.renew(sub.id, day, "a", at(20)).await.expect("renew"));

    // What the scheduler wakes for: b's claim (renewed at 19 s) lapses a lease later; a failed
    // post opens at its retry; a sent one, an older day's and an inactive place's are left out.
    use dossier::schedule::store::{PostOutcome, PostState, Unsettled};
    let opens = |u: Vec<Unsettled>| {
        let mut o: Vec<Option<DateTime<Utc>>> = u.iter().map(|u| u.opens_at(lease)).collect();
        o.sort();
        o
    };
    assert_eq!(
        opens(one.unsettled(day).await.expect("unsettled")),
        [Some(at(29))]
    );
    let failing = one.subscribe(&new_sub(78), now()).await.expect("subscribe");
    assert!(matches!(
        one.claim(&failing, day, now(), "a", lease, at(0))
            .await
            .expect("claim"),
        Claim::Won { .. }
    ));
    let failed = PostState::Failed {
        error: "no answer within 15 s".into(),
    };
    let outcome = PostOutcome {
        day,
        scheduled: now(),
        state: &failed,
        snapshot: None,
        retry_at: Some(at(45)),
    };
    one.record(&failing, &outcome, at(1)).await.expect("record");
    let sent_sub = one.subscribe(&new_sub(79), now()).await.expect("subscribe");
    let sent = PostState::Sent {
        message_id: "1".into(),
    };
    let outcome = PostOutcome {
        state: &sent,
        retry_at: None,
        ..outcome
    };
    one.record(&sent_sub, &outcome, at(1))
        .await
        .expect("record");
    assert_eq!(
        opens(other.unsettled(day).await.expect("unsettled")),
        [Some(at(29)), Some(at(45))]
    );
    assert!(
        one.unsettled(day.succ_opt().expect("day"))
            .await
            .expect("unsettled")
            .is_empty()
    );
    one.unsubscribe(&failing.destination, None)
        .await
        .expect("unsubscribe");
    assert_eq!(
        opens(one.unsettled(day).await.expect("unsettled")),
        [Some(at(29))]
    );
}

#[test]
fn renewed_claims_on_sqlite_and_postgres() {
    on_both(|b| Box::pin(a_renewed_claim_holds_and_a_lapsed_one_is_taken_over(b)));
}

#[test]
fn places_on_sqlite_and_postgres() {
    on_both(|b| Box::pin(places_are_kept_replaced_and_copied_without_overwriting(b)));
}

#[test]
fn the_feed_store_on_sqlite_and_postgres() {
    on_both(|b| Box::pin(feed_records_are_one_per_change_and_read_back_newest(b)));
}

#[test]
fn subscriptions_are_kept_on_sqlite_and_postgres() {
    on_both(|b| Box::pin(subscriptions_survive_reopening_and_are_never_dropped(b)));
}

#[test]
fn claims_and_takeovers_on_sqlite_and_postgres() {
    on_both(|b| Box::pin(a_claim_is_taken_once_and_a_dead_owners_taken_over(b)));
}

#[test]
fn racing_claims_on_sqlite_and_postgres() {
    on_both(|b| Box::pin(racing_claims_have_one_winner_each(b)));
}

#[test]
fn a_newer_postgres_schema_is_refused_and_left_alone() {
    runtime().block_on(async {
        let b = Backend::pg();
        let Backend::Pg { server, address } = &b else {
            unreachable!()
        };
        drop(b.open().await);
        server.query(
            "dossier",
            "UPDATE dossier_schema SET version = 99 WHERE component = 'schedules'",
        );
        let err = PgStore::open(database(address))
            .await
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("newer dossier") && err.contains("schema 99") && err.contains("127.0.0.1"),
            "{err}"
        );
        assert_eq!(
            server.query(
                "dossier",
                "SELECT version FROM dossier_schema WHERE component = 'schedules'"
            ),
            "99",
            "nothing was changed"
        );
    });
}

#[test]
fn a_database_that_is_down_is_unavailable_in_seconds_then_back() {
    runtime().block_on(async {
        let b = Backend::pg();
        let Backend::Pg { server, .. } = &b else {
            unreachable!()
        };
        let s = b.open().await;
        s.subscribe(&new_sub(7), now()).await.expect("subscribe");
        server.down();
        let started = std::time::Instant::now();
        let err = s.subscriptions().await.expect_err("down");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(8),
            "took {:?}",
            started.elapsed()
        );
        assert!(!err.to_string().contains("password"), "{err}");
        server.up();
        // The pool recovers on its own: the next call reconnects.
        let mut back = None;
        for _ in 0..20 {
            if let Ok(list) = s.subscriptions().await {
                back = Some(list);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        assert_eq!(back.expect("the store came back").len(), 1);
    });
}

#[test]
fn the_password_comes_from_the_config_secret_and_is_never_shown() {
    let cfg = PostgresConfig {
        address: "postgres://dossier@127.0.0.1:1/db".into(),
        password: Some(Secret::new("hunter2-very-secret")),
        ca_file: None,
    };
    let db = Database::new(&cfg).expect("pool");
    assert!(!format!("{db:?}").contains("hunter2"));
    assert!(!db.name.contains("hunter2"));
    let (pg, _) = dossier::store::postgres::settings(&cfg).expect("settings");
    assert_eq!(pg.get_password(), Some(&b"hunter2-very-secret"[..]));
}

/// `dossier state migrate` as an operator runs it.
fn migrate(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["state", "migrate"])
        .args(args)
        .env_remove("PGPASSWORD")
        .output()
        .expect("dossier state migrate")
}

#[test]
fn state_migrate_copies_sqlite_schedules_and_edits_into_postgres_once_and_refuses_a_full_target() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        let day = NaiveDate::from_ymd_opt(2026, 10, 5).expect("day");
        let (subs, sent) = {
            let s = crate::common::state_stores(&state).await.schedules;
            let mut subs = Vec::new();
            for c in [11, 12, 13] {
                subs.push(s.subscribe(&new_sub(c), now()).await.expect("subscribe"));
            }
            s.unsubscribe(&subs[2].destination, Some(subs[2].id))
                .await
                .expect("unsubscribe");
            // The first one's briefing for the day went out already.
            let lease = Duration::seconds(60);
            s.claim(&subs[0], day, now(), "old", lease, now())
                .await
                .expect("claim");
            let sent = PostState::Sent {
                message_id: "m-1".into(),
            };
            let outcome = PostOutcome {
                day,
                scheduled: now(),
                state: &sent,
                snapshot: Some("{\"v\":1}"),
                retry_at: None,
            };
            s.record(&subs[0], &outcome, now()).await.expect("record");
            let recent = s.recent(subs[0].id, 5).await.expect("recent");
            (subs, recent)
        };
        // The edit log beside them: an edit, and a suggestion waiting.
        {
            let log = crate::common::state_stores(&state).await.edits;
            let by = dossier::edit::Author {
                platform: dossier::platform::Platform::Discord,
                id: "1".into(),
                name: "alice".into(),
            };
            log.add(&dossier::store::edits::Entry {
                id: 0,
                at: now(),
                topic: "iran-us-talks".into(),
                file: "iran-us-talks/actors/iran.toml".into(),
                action: dossier::store::edits::Logged::parse("position").expect("action"),
                summary: "Iran's stance".into(),
                by: by.clone(),
                existed: true,
                before: "a".into(),
                after: "b".into(),
                after_hash: "h".into(),
                undoes: None,
                git_commit: None,
                also: Vec::new(),
            })
            .await
            .expect("edit");
            log.suggest(&dossier::store::edits::Suggestion {
                id: 0,
                what: dossier::edit::Action::parse("event").expect("action"),
                topic: "iran-us-talks".into(),
                actor: None,
                base: None,
                fields: "{}".into(),
                by,
                decision: None,
            })
            .await
            .expect("suggestion");
        }
        // A channel's own topic, and the feed's first entry.
        {
            let places = crate::common::places_in(&state).await;
            places
                .set(
                    &Destination::Discord { channel: 11 },
                    "iran-us-talks",
                    Some("mod"),
                )
                .await
                .expect("set");
            let (library, _) = dossier::reload::load_checked(
                &crate::common::bundled(),
                crate::common::bundled_today(),
                None,
            )
            .expect("loads");
            crate::common::feed_in(&state)
                .await
                .record(&library, now(), crate::common::bundled_today())
                .await
                .expect("record");
        }
        let server = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let address = server.database("migrated");
        let from = state.display().to_string();

        let out = migrate(&["--from", &from, "--to", &address]);
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            said.contains("3 of 3 subscriptions, 1 of 1 posts, 1 of 1 snapshots")
                && said.contains("1 of 1 edits, 1 of 1 suggestions"),
            "{said}"
        );
        assert_eq!(
            server.query("migrated", "SELECT user_name || ' ' || file FROM edits"),
            "alice iran-us-talks/actors/iran.toml"
        );
        assert!(
            said.contains("1 of 1 places' topics") && said.contains("1 of 1 feed entries"),
            "{said}"
        );
        assert_eq!(
            server.query("migrated", "SELECT place || ' ' || topic FROM place_topics"),
            "11 iran-us-talks"
        );
        let feed = dossier::feed::Feed::open(shared(&address).await.feed)
            .await
            .expect("shared feed");
        assert_eq!(feed.entries("iran-us-talks").len(), 1);
        let pg = PgStore::open(database(&address)).await.expect("store");
        let active = pg.subscriptions().await.expect("subscriptions");
        assert_eq!(
            active
                .iter()
                .map(|s| (s.id, s.destination.clone()))
                .collect::<Vec<_>>(),
            subs[..2]
                .iter()
                .map(|s| (s.id, s.destination.clone()))
                .collect::<Vec<_>>(),
            "the same ids; the unsubscribed one stays inactive"
        );
        assert_eq!(pg.last_handled(subs[0].id).await.expect("last"), Some(day));
        assert_eq!(pg.recent(subs[0].id, 5).await.expect("recent"), sent);
        assert_eq!(
            pg.claim(
                &subs[0],
                day,
                now(),
                "new",
                Duration::seconds(60),
                now() + Duration::hours(1)
            )
            .await
            .expect("claim"),
            Claim::Taken,
            "a briefing sent before the move is not sent again"
        );
        let next = pg.subscribe(&new_sub(14), now()).await.expect("subscribe");
        assert!(
            next.id > subs[2].id,
            "new ids continue after the copied ones"
        );

        // Again: refused (the target holds subscriptions), nothing changed.
        let out = migrate(&["--from", &from, "--to", &address]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("already holds 4 subscription(s)") && err.contains("--into-non-empty"),
            "{err}"
        );
        // Told to: idempotent, nothing is duplicated.
        let out = migrate(&["--from", &from, "--to", &address, "--into-non-empty"]);
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{said}");
        assert!(
            said.contains("0 of 3 subscriptions, 0 of 1 posts, 0 of 1 snapshots")
                && said.contains("0 of 1 edits, 0 of 1 suggestions")
                && said.contains("0 of 1 places' topics")
                && said.contains("0 of 1 feed entries"),
            "{said}"
        );
        assert_eq!(
            server.query("migrated", "SELECT count(*) FROM subscriptions"),
            "4"
        );

        // A password in the address is refused and not echoed.
        let out = migrate(&["--from", &from, "--to", "postgres://u:hunter2@127.0.0.1/x"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("PGPASSWORD") && !err.contains("hunter2"),
            "{err}"
        );
        // A folder without state.
        let out = migrate(&["--from", "/nonexistent", "--to", &address]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("dossier.sqlite3"));
    });
}

/// Columns retyped by hand: what reads them answers an error or leaves the row out, never
/// panics, and the subscriptions that still read go on.
#[test]
fn rows_of_the_wrong_type_are_errors_or_left_out_never_panics() {
    runtime().block_on(async {
        let b = Backend::pg();
        let Backend::Pg { server, .. } = &b else {
            unreachable!()
        };
        let s = b.open().await;
        let sub = s.subscribe(&new_sub(7), now()).await.expect("subscribe");
        let day = NaiveDate::from_ymd_opt(2026, 10, 5).expect("day");
        let claim = s
            .claim(&sub, day, now(), "a", Duration::minutes(5), now())
            .await
            .expect("claim");
        assert!(matches!(claim, Claim::Won { .. }));
        server.query(
            "dossier",
            "ALTER TABLE posts ALTER COLUMN attempts TYPE TEXT USING attempts::text",
        );
        let err = s.recent(sub.id, 5).await.expect_err("attempts is no number");
        assert!(matches!(err, StoreError::Query(_)), "{err:?}");
        assert!(
            s.claim(&sub, day, now(), "a", Duration::minutes(5), now())
                .await
                .is_err()
        );
        // A subscription whose column does not read is left alone; the others still list.
        s.subscribe(&new_sub(8), now()).await.expect("subscribe");
        server.query(
            "dossier",
            "ALTER TABLE subscriptions ALTER COLUMN created_by TYPE BYTEA USING convert_to(created_by, 'UTF8')",
        );
        let listed = s.subscriptions().await.expect("the list answers");
        assert!(listed.is_empty(), "{listed:#?}");
        assert!(s.active_with_last().await.expect("answers").is_empty());
        assert_eq!(s.snapshot(&sub.destination, "iran-us-talks").await.expect("snapshot"), None);
    });
}

async fn the_newsdesk_keeps_fetches_items_proposals_and_one_decision(b: &Backend) {
    use dossier::store::news::{FeedFetch, SeenItem};
    let (one, other) = (b.open_all().await.news, b.open_all().await.news);
    let at = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .expect("instant")
            .with_timezone(&Utc)
    };
    let fetch = FeedFetch {
        topic: "iran-us-talks".into(),
        feed: "https://news.example.org/rss".into(),
        etag: Some("\"v1\"".into()),
        last_modified: Some("Thu, 08 Oct 2026 09:00:00 GMT".into()),
        fetched_at: Some(at("2026-10-08T09:00:00.123Z")),
        error: None,
        failing_since: None,
        items_seen: 12,
        retry_at: None,
    };
    one.save_fetch(&fetch).await.expect("save");
    let failing = FeedFetch {
        error: Some("the server answered 503".into()),
        failing_since: Some(at("2026-10-08T10:00:00Z")),
        retry_at: Some(at("2026-10-08T10:02:00Z")),
        ..fetch.clone()
    };
    other.save_fetch(&failing).await.expect("replace");
    assert_eq!(
        one.fetches("iran-us-talks").await.expect("fetches"),
        [failing]
    );
    assert!(one.fetches("other").await.expect("fetches").is_empty());

    let item = |key: &str, fate: &str, proposal: Option<i64>| SeenItem {
        topic: "iran-us-talks".into(),
        key: key.into(),
        title: format!("title of {key}"),
        outlet: "Example News".into(),
        fate: fate.into(),
        score: 2,
        proposal,
        seen_at: at("2026-10-08T09:00:00Z"),
    };
    let ids = one
        .record(
            "iran-us-talks",
            &[
                "{\"title\":\"first\"}".into(),
                "{\"title\":\"second\"}".into(),
            ],
            &[
                item("guid:a", "proposed", Some(-1)),
                item("url:a.example.org/1", "proposed", Some(-1)),
                item("guid:b", "merged", Some(-1)),
                item("guid:c", "proposed", Some(-2)),
                item("guid:d", "below", None),
            ],
            at("2026-10-08T09:00:01Z"),
        )
        .await
        .expect("record");
    assert_eq!(ids.len(), 2);
    let keys: Vec<String> = ["guid:a", "guid:c", "guid:zzz", "url:a.example.org/1"]
        .map(String::from)
        .to_vec();
    let mut seen = other.seen("iran-us-talks", &keys).await.expect("seen");
    seen.sort();
    assert_eq!(seen, ["guid:a", "guid:c", "url:a.example.org/1"]);
    assert!(other.seen("other", &keys).await.expect("seen").is_empty());
    let items = other.items("iran-us-talks", 10).await.expect("items");
    assert_eq!(items.len(), 5);
    let by_key = |k: &str| items.iter().find(|i| i.key == k).expect("item").proposal;
    assert_eq!(by_key("guid:b"), Some(ids[0]));
    assert_eq!(by_key("guid:c"), Some(ids[1]));
    assert_eq!(by_key("guid:d"), None);

    let open = other
        .proposals(Some("iran-us-talks"), false, 10)
        .await
        .expect("open");
    assert_eq!(
        open.iter().map(|p| p.id).collect::<Vec<_>>(),
        [ids[1], ids[0]]
    );
    assert_eq!(open[1].body, "{\"title\":\"first\"}");
    // Two moderators decide at once: one wins, and a second decision changes nothing.
    let decided = at("2026-10-08T11:00:00Z");
    let (a, b2) = tokio::join!(
        one.decide(
            ids[0],
            "rejected",
            "discord:1 (alice)",
            Some("not news"),
            decided
        ),
        other.decide(ids[0], "approved", "matrix:@bob:example.org", None, decided)
    );
    assert_eq!(
        [a.expect("decide"), b2.expect("decide")]
            .iter()
            .filter(|won| **won)
            .count(),
        1
    );
    assert!(
        !one.decide(ids[0], "approved", "x", None, decided)
            .await
            .expect("again")
    );
    let open = one.proposals(None, false, 10).await.expect("open");
    assert_eq!(open.iter().map(|p| p.id).collect::<Vec<_>>(), [ids[1]]);
    let all = one.proposals(None, true, 10).await.expect("all");
    let first = all.iter().find(|p| p.id == ids[0]).expect("decided");
    assert!(first.state == "rejected" || first.state == "approved");
    assert_eq!(first.decided_at, Some(decided));
    // One proposal is read by its number; a decision taken back opens it again, once.
    let second = one.proposal(ids[1]).await.expect("one").expect("kept");
    assert_eq!(second.state, "open");
    assert!(one.proposal(ids[1] + 100).await.expect("none").is_none());
    assert!(
        one.decide(ids[1], "approved", "matrix:@bob:example.org", None, decided)
            .await
            .expect("decide")
    );
    assert!(
        !other
            .reopen(ids[1], "rejected")
            .await
            .expect("not so decided")
    );
    assert!(other.reopen(ids[1], "approved").await.expect("reopen"));
    let again = one.proposal(ids[1]).await.expect("one").expect("kept");
    assert_eq!((again.state.as_str(), again.decided_by), ("open", None));
    // Items are forgotten after their time; proposals are kept.
    assert_eq!(
        one.prune(at("2026-11-08T00:00:00Z")).await.expect("prune"),
        5
    );
    assert!(
        one.items("iran-us-talks", 10)
            .await
            .expect("items")
            .is_empty()
    );
    assert_eq!(one.proposals(None, true, 10).await.expect("all").len(), 2);
}

#[test]
fn the_newsdesk_store_on_sqlite_and_postgres() {
    on_both(|b| {
        Box::pin(the_newsdesk_keeps_fetches_items_proposals_and_one_decision(
            b,
        ))
    });
}
