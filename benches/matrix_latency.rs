//! Matrix latency on a local Synapse: the end-to-end time of `!position iran` (a user's send to
//! the reply arriving at the user) and the bot's own part (event received → send issued),
//! median and p99 over 200 commands; then the resident memory of `dossier serve` with the
//! Matrix door connected. Run: `cargo bench --bench matrix_latency` (installs Synapse on first
//! use, like the tests).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/it/synapse.rs"]
#[allow(dead_code)] // the tests use all of it; this benchmark does not restart Synapse
mod synapse;

/// The tests' shared helpers (`synapse.rs` takes `free_port` from them).
#[path = "../tests/it/common.rs"]
#[allow(dead_code)]
mod common;

use chrono::NaiveDate;
use dossier::app::App;
use dossier::clock::Clock;
use dossier::config::{MatrixConfig, MatrixLogin, Secret};
use dossier::matrix::{Door, run};
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::events::room::message::{
    OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, UserId};
use matrix_sdk::{Client, RoomMemberships};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const PASSWORD: &str = "benchmark password";
const COMMANDS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name}: n={} median={:.3} ms p99={:.3} ms max={:.3} ms",
        v.len(),
        percentile(&v, 0.5).as_secs_f64() * 1e3,
        percentile(&v, 0.99).as_secs_f64() * 1e3,
        v.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
}

fn config(url: &str, store: &std::path::Path) -> MatrixConfig {
    MatrixConfig {
        homeserver: url::Url::parse(url).expect("url"),
        user: "@dossier:localhost".into(),
        login: MatrixLogin::Password(Secret::new(PASSWORD)),
        store: store.to_path_buf(),
        store_passphrase: None,
        prefix: "!".into(),
        autojoin: true,
        autojoin_from: vec![],
        moderator_power_level: 50,
        deadline: dossier::deadlines::MATRIX_REQUEST,
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `cargo bench -- --list` run nothing here.
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let synapse = tokio::task::spawn_blocking(synapse::Synapse::start).await.expect("synapse");
        for u in ["dossier", "alice", "serve"] {
            synapse.register(u, PASSWORD);
        }
        let library = {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings");
            let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
            dossier::library::Library::new(dossier::cards::load(&dir, today).expect("load").topics)
        };
        // When the bot issued each send, and how long it had taken since the event arrived.
        let own: Arc<Mutex<Vec<(Instant, Duration)>>> = Arc::default();
        let store = tempfile::tempdir().expect("tempdir");
        let mut door = Door::new(Arc::new(App::new(library, None, Clock::System)), config(&synapse.url(), store.path())).expect("door");
        let sink = own.clone();
        door.on_answer = Some(Arc::new(move |d| sink.lock().expect("lock").push((Instant::now(), d))));
        tokio::spawn(async move { run(door, tokio_util::sync::CancellationToken::new()).await });

        let user_store = tempfile::tempdir().expect("tempdir");
        let alice = Client::builder().homeserver_url(synapse.url()).sqlite_store(user_store.path(), None).build().await.expect("client");
        alice.matrix_auth().login_username("alice", PASSWORD).send().await.expect("login");
        alice.sync_once(SyncSettings::default()).await.expect("sync");
        let (tx, mut rx) = mpsc::unbounded_channel::<(OwnedEventId, Instant)>();
        alice.add_event_handler(move |ev: OriginalSyncRoomMessageEvent| {
            let tx = tx.clone();
            async move {
                if let Some(Relation::Reply(r)) = &ev.content.relates_to {
                    let _ = tx.send((r.in_reply_to.event_id.clone(), Instant::now()));
                }
            }
        });
        let c = alice.clone();
        tokio::spawn(async move {
            loop {
                let _ = c.sync_once(SyncSettings::default().timeout(Duration::from_secs(5))).await;
            }
        });
        let bot = UserId::parse("@dossier:localhost").expect("id");
        let mut req = CreateRoom::new();
        req.invite = vec![bot.clone()];
        let room = alice.create_room(req).await.expect("room");
        while !room.members(RoomMemberships::JOIN).await.is_ok_and(|m| m.iter().any(|x| x.user_id() == bot)) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut e2e = Vec::new();
        let mut sends = Vec::new(); // (t0, send acknowledged, reply arrived)
        for i in 0..COMMANDS + 10 {
            let t0 = Instant::now();
            let sent = room.send(RoomMessageEventContent::text_plain("!position iran")).await.expect("send").response.event_id;
            let acked = Instant::now();
            let arrived = loop {
                let (id, at) = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.expect("a reply in time").expect("channel");
                if id == sent {
                    break at;
                }
            };
            if i >= 10 {
                e2e.push(arrived - t0); // the first ten warm up
                sends.push((t0, acked, arrived));
            }
        }
        println!("Matrix on a local Synapse 1.163.2 ({COMMANDS} commands after 10 warm-up)");
        report("end-to-end !position iran (send -> reply received)", e2e);
        let own = own.lock().expect("lock").split_off(10);
        report("bot's own part (event received -> send issued)", own.iter().map(|o| o.1).collect());
        // Where the rest of the round trip goes, leg by leg.
        if own.len() == sends.len() {
            let legs = sends.iter().zip(&own);
            report("  leg: user's send request (send -> 200 from Synapse)", legs.clone().map(|((t0, acked, _), _)| *acked - *t0).collect());
            report("  leg: to the bot (send -> bot's handler runs)", legs.clone().map(|((t0, _, _), (at, d))| (*at - *d).saturating_duration_since(*t0)).collect());
            report("  leg: back to the user (bot's send issued -> reply received)", legs.map(|((_, _, arrived), (at, _))| arrived.saturating_duration_since(*at)).collect());
        } else {
            println!("(the bot answered {} times for {} commands; legs not split)", own.len(), sends.len());
        }

        // Resident memory of `dossier serve` with the Matrix door connected and answering.
        let exe = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/dossier");
        if exe.exists() {
            let dir = tempfile::tempdir().expect("tempdir");
            let cfg = dir.path().join("dossier.toml");
            std::fs::write(
                &cfg,
                format!(
                    "briefings = \"{}\"\n[matrix]\nhomeserver = \"{}\"\nuser = \"@serve:localhost\"\n",
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings").display(),
                    synapse.url()
                ),
            )
            .expect("config");
            let mut child = std::process::Command::new(&exe)
                .args(["serve", "--config"])
                .arg(&cfg)
                .env("MATRIX_PASSWORD", PASSWORD)
                .env("RUST_LOG", "warn")
                .spawn()
                .expect("serve");
            let serve = UserId::parse("@serve:localhost").expect("id");
            let mut req = CreateRoom::new();
            req.invite = vec![serve.clone()];
            let room = alice.create_room(req).await.expect("room");
            while !room.members(RoomMemberships::JOIN).await.is_ok_and(|m| m.iter().any(|x| x.user_id() == serve)) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            for _ in 0..20 {
                let sent = room.send(RoomMessageEventContent::text_plain("!position iran")).await.expect("send").response.event_id;
                loop {
                    let (id, _) = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.expect("reply").expect("channel");
                    if id == sent {
                        break;
                    }
                }
            }
            let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
            let rss = status.lines().find(|l| l.starts_with("VmRSS")).unwrap_or("VmRSS: unknown").to_owned();
            println!("dossier serve (release) with the Matrix door connected, after 20 commands: {}", rss.split_whitespace().skip(1).collect::<Vec<_>>().join(" "));
            let _ = child.kill();
            let _ = child.wait();
        } else {
            println!("(build `cargo build --release` first to measure the resident memory of `dossier serve`)");
        }
        drop(synapse);
    });
}
