//! Deadlines on calls that leave the process, with peers that stop answering: a fake Discord
//! that takes briefings in and never answers some channels (more of them than the scheduler's
//! posting slots), and a real Synapse behind a proxy that passes requests on and holds every
//! answer. Each hung post fails at its deadline, the other places' briefings go out meanwhile,
//! and the hung ones are retried with the same key and land once the peer answers again.

use crate::common::*;
use crate::discord_support::*;
use crate::fake_discord::{APP_ID, Fake, Hang};
use crate::serve::serve_with;
use chrono::Utc;
use std::time::{Duration, Instant};

/// Channels that hang without creating anything: more than the 32 posts a process sends at once.
const HUNG: usize = 40;
/// The channel that creates the message and then hangs (a retry must not post it twice).
const CREATED_THEN_HUNG: &str = "2000";
/// Channels that answer, listed after the hung ones (so they queue behind them).
const ANSWERING: [&str; 3] = ["88", "89", "90"];

fn hung(i: usize) -> String {
    (1000 + i).to_string()
}

fn every_channel() -> Vec<String> {
    (0..HUNG)
        .map(hung)
        .chain([CREATED_THEN_HUNG.to_owned()])
        .chain(ANSWERING.map(str::to_owned))
        .collect()
}

/// How many posts failed for running out of time.
fn posts_failed(logs: &str) -> usize {
    logs.lines()
        .filter(|l| l.contains("posting a briefing failed") && l.contains("timed out"))
        .count()
}

#[test]
fn a_discord_that_never_answers_fails_each_post_at_its_deadline_and_holds_up_no_other() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        for i in 0..HUNG {
            fake.hang(&hung(i), Hang::BeforeCreating);
        }
        fake.hang(CREATED_THEN_HUNG, Hang::AfterCreating);
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let at = (Utc::now() - chrono::Duration::minutes(1)).format("%H:%M");
        let mut text = format!(
            "briefings = \"{}\"\nstate = \"{}\"\n\n[deadlines]\ndiscord = \"2s\"\n\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\ngateway = false\napi_proxy = \"{}\"\n",
            bundled().display(),
            dir.path().join("state").display(),
            public_key_hex(),
            fake.base()
        );
        for c in every_channel() {
            text.push_str(&format!(
                "\n[[schedule]]\ntopic = \"iran-us-talks\"\nat = \"{at}\"\ntimezone = \"UTC\"\ndiscord_channel = \"{c}\"\n"
            ));
        }
        let cfg = dir.path().join("dossier.toml");
        std::fs::write(&cfg, text).expect("config");
        let serve = serve_with(&cfg, Some("bot-token"), &[], &[]);

        let started = Instant::now();
        while fake.requests_to("POST", "/channels/").is_empty() {
            assert!(started.elapsed() < Duration::from_secs(60), "nothing was posted: {}", serve.logs());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let first_post = Instant::now();
        // The answering channels queue behind 32 hung posts; the deadline frees those slots.
        for c in ANSWERING {
            while fake.messages_in(c).is_empty() {
                assert!(
                    first_post.elapsed() < Duration::from_secs(10),
                    "channel {c} was held up by the hung ones: {}",
                    serve.logs()
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        let answered_after = first_post.elapsed();
        // Every hung post failed at its deadline: two rounds of 2 s, as 41 > 32 slots.
        while posts_failed(&serve.logs()) < HUNG + 1 {
            assert!(
                first_post.elapsed() < Duration::from_secs(15),
                "{} of {} hung posts failed: {}",
                posts_failed(&serve.logs()),
                HUNG + 1,
                serve.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let failed_after = first_post.elapsed();
        // Each deadline runs from when the client began its request, a moment before the fake
        // saw the first one: two rounds are 4 s less that moment.
        assert!(
            failed_after >= Duration::from_millis(3_900),
            "the second round failed before its deadline ({failed_after:?})"
        );
        eprintln!(
            "answering channels out {answered_after:?} after the first post; {} hung posts failed within {failed_after:?}",
            HUNG + 1
        );
        // Discord answers again: the hung posts are retried (30–60 s later, by the schedule's
        // rules) and each channel ends with one message.
        fake.answer_again();
        let retrying = Instant::now();
        for c in every_channel() {
            while fake.messages_in(&c).is_empty() {
                assert!(
                    retrying.elapsed() < Duration::from_secs(120),
                    "channel {c} never got its briefing: {}",
                    serve.logs()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let logs = serve.stop_and_read_logs();
        for c in every_channel() {
            assert_eq!(fake.messages_in(&c).len(), 1, "channel {c}: {logs}");
            let nonces: std::collections::BTreeSet<String> = fake
                .requests_to("POST", &format!("/channels/{c}/messages"))
                .iter()
                .filter_map(|r| r.body["nonce"].as_str().map(str::to_owned))
                .collect();
            assert_eq!(nonces.len(), 1, "channel {c}: every attempt used one nonce");
        }
        let tries = fake
            .requests_to("POST", &format!("/channels/{CREATED_THEN_HUNG}/messages"))
            .len();
        assert!(tries >= 2, "the created-then-hung post was retried ({tries})");
    });
}

#[cfg(feature = "matrix")]
mod matrix {
    use super::*;
    use crate::matrix_e2e::{PASSWORD, Seen, User, bot_config, wait_joined};
    use crate::synapse::Synapse;
    use dossier::app::App;
    use dossier::clock::Clock;
    use dossier::config::MatrixConfig;
    use dossier::schedule::store::PostState;
    use dossier::scheduler::Poster;
    use dossier::store::schedules::ScheduleStore;
    use matrix_sdk::ruma::{OwnedUserId, UserId};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::watch;

    /// A TCP proxy in front of `upstream`: while stalled it passes every request on and holds
    /// every answer, so the server acts on a request whose sender hears nothing.
    struct Stall {
        addr: std::net::SocketAddr,
        stalled: Arc<watch::Sender<bool>>,
    }

    impl Stall {
        async fn start(upstream: std::net::SocketAddr) -> Stall {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let stalled = Arc::new(watch::Sender::new(false));
            let gate = stalled.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        continue;
                    };
                    let (mut from_client, mut to_client) = client.into_split();
                    let (mut from_server, mut to_server) = server.into_split();
                    tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
                        let _ = to_server.shutdown().await;
                    });
                    let mut open = gate.subscribe();
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = match from_server.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            let answering = open.wait_for(|stalled| !*stalled).await.is_ok();
                            if !answering || to_client.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            });
            Stall { addr, stalled }
        }

        fn stall(&self) {
            self.stalled.send_replace(true);
        }

        fn answer(&self) {
            self.stalled.send_replace(false);
        }
    }

    fn briefings(alice: &User, room: &matrix_sdk::Room) -> Vec<Seen> {
        alice
            .seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|s| s.room == room.room_id() && s.plain.starts_with("Daily briefing"))
            .cloned()
            .collect()
    }

    async fn state_becomes(
        store: &Arc<dyn ScheduleStore>,
        sub: i64,
        secs: u64,
        want: impl Fn(&PostState) -> bool,
    ) -> (PostState, u32) {
        let until = Instant::now() + Duration::from_secs(secs);
        loop {
            let recent = store.recent(sub, 1).await.expect("recent");
            if let Some(p) = recent.first()
                && (want(&p.state) || Instant::now() > until)
            {
                return (p.state.clone(), p.attempts);
            }
            assert!(Instant::now() < until, "no post was recorded");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[test]
    fn a_homeserver_that_stops_answering_fails_the_post_at_its_deadline_and_it_lands_once() {
        runtime().block_on(async {
            let synapse = Synapse::with_users(&["dossier", "alice"], PASSWORD).await;
            let upstream: std::net::SocketAddr = synapse
                .url()
                .trim_start_matches("http://")
                .parse()
                .expect("address");
            let proxy = Stall::start(upstream).await;
            let bot_id: OwnedUserId = UserId::parse("@dossier:localhost").expect("id");
            let alice = User::login(&synapse.url(), "alice").await;
            let room = alice.create_room(vec![bot_id.clone()], false).await;

            let state = tempfile::tempdir().expect("state");
            let stores = crate::common::state_stores(state.path()).await;
            let store = stores.schedules;
            let app = Arc::new(
                App::new(bundled_library(), None, Clock::Fixed(bundled_today()))
                    .with_schedules(store.clone()),
            );
            let matrix_store = tempfile::tempdir().expect("matrix store");
            let deadline = Duration::from_secs(3);
            let cfg = MatrixConfig {
                homeserver: url::Url::parse(&format!("http://{}", proxy.addr)).expect("url"),
                deadline,
                ..bot_config(&synapse, matrix_store.path())
            };
            let door = dossier::matrix::Door::new(app.clone(), cfg).expect("door");
            let matrix = door.poster.clone();
            let stop = tokio_util::sync::CancellationToken::new();
            let running = tokio::spawn(dossier::matrix::run(door, stop.clone()));
            wait_joined(&room, &bot_id).await;
            let connected = Instant::now();
            while !matrix.ready() {
                assert!(
                    connected.elapsed() < Duration::from_secs(30),
                    "the door never connected"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // A Discord channel is subscribed too: its briefing must not wait on Matrix's.
            let fake = Fake::start().await;
            let http = serenity::http::HttpBuilder::new("bot-token")
                .proxy(fake.base())
                .ratelimiter_disabled(true)
                .build();
            let discord = Arc::new(dossier::discord::briefings::DiscordPoster {
                http: Arc::new(http),
            });
            let posters: Vec<Arc<dyn Poster>> = vec![Arc::new(matrix.clone()), discord];
            let scheduler = app.scheduler(store.clone(), posters);
            let now = Utc::now();
            let at = dossier::schedule::parse_time(
                &(now - chrono::Duration::minutes(1))
                    .format("%H:%M")
                    .to_string(),
            )
            .expect("time");
            let subscribe = |destination| dossier::schedule::NewSubscription {
                destination,
                topic: "iran-us-talks".into(),
                at,
                tz: chrono_tz::UTC,
                when_unchanged: dossier::digest::WhenUnchanged::Post,
                catch_up: chrono::Duration::hours(6),
                from_config: false,
                created_by: None,
            };
            let sub = store
                .subscribe(
                    &subscribe(dossier::schedule::Destination::Matrix {
                        room: room.room_id().to_string(),
                    }),
                    now - chrono::Duration::days(1),
                )
                .await
                .expect("subscribe");
            store
                .subscribe(
                    &subscribe(dossier::schedule::Destination::Discord { channel: 88 }),
                    now - chrono::Duration::days(1),
                )
                .await
                .expect("subscribe");

            // The homeserver takes the briefing in and never answers.
            proxy.stall();
            let ticked = Instant::now();
            scheduler.tick(now).await;
            while fake.messages_in("88").is_empty() {
                assert!(
                    ticked.elapsed() < Duration::from_secs(2),
                    "the Discord briefing waited on the stalled homeserver"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let (failed, attempts) = state_becomes(&store, sub.id, 20, |s| {
                matches!(s, PostState::Failed { .. })
            })
            .await;
            let failed_after = ticked.elapsed();
            assert!(
                matches!(&failed, PostState::Failed { error } if error.contains("timed out")),
                "{failed:?}"
            );
            assert_eq!(attempts, 1);
            assert!(
                failed_after >= deadline && failed_after < deadline * 2 + Duration::from_secs(2),
                "the post failed {failed_after:?} after it was sent, for a {deadline:?} deadline"
            );
            eprintln!("stalled homeserver: the post failed {failed_after:?} after it was sent");

            // It answers again: the post is retried when its retry time comes (30–60 s, by the
            // schedule's rules) with the same transaction id, and lands once.
            proxy.answer();
            let answering = Instant::now();
            let (sent, attempts) = loop {
                scheduler.tick(Utc::now()).await;
                let (state, attempts) = state_becomes(&store, sub.id, 1, |_| true).await;
                if matches!(state, PostState::Sent { .. })
                    || answering.elapsed() > Duration::from_secs(100)
                {
                    break (state, attempts);
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            };
            assert!(matches!(sent, PostState::Sent { .. }), "{sent:?}");
            assert_eq!(attempts, 2);
            let until = Instant::now() + Duration::from_secs(20);
            while briefings(&alice, &room).is_empty() && Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            let seen = briefings(&alice, &room);
            assert_eq!(seen.len(), 1, "{seen:#?}");
            assert_eq!(fake.messages_in("88").len(), 1);
            stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(10), running).await;
            drop(synapse);
        });
    }
}
