//! Matrix failover, measured (issue 17): two `dossier serve` replicas sharing a real PostgreSQL
//! and one bot account on a local Synapse; the replica holding the sync is SIGKILLed 20 times,
//! and each time a user sends `!position iran` the moment it dies. Timed from the kill to that
//! command's reply (the new holder answers the commands nobody answered), with a count of
//! commands answered twice or never. The killed replica is started again as the standby before
//! the next kill.
//!
//!   cargo bench --bench matrix_failover            (KILLS=20 by default)

#[path = "../tests/it/common.rs"]
#[allow(dead_code)]
mod common;
#[path = "../tests/it/postgres.rs"]
#[allow(dead_code)]
mod postgres;
#[path = "../tests/it/synapse.rs"]
#[allow(dead_code)]
mod synapse;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoom;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, UserId};
use matrix_sdk::{Client, RoomMemberships};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PASSWORD: &str = "benchmark password";

/// One replica's config; returns it and the replica's HTTP base.
fn replica(dir: &Path, name: &str, database: &str, homeserver: &str) -> (PathBuf, String) {
    let port = common::free_port();
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"{}\"\nstate = \"{database}\"\nlocal_state = \"{}\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n\n[matrix]\nhomeserver = \"{homeserver}\"\nuser = \"@dossier:localhost\"\n",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings").display(),
            dir.join(name).display(),
        ),
    )
    .expect("config");
    (cfg, format!("http://127.0.0.1:{port}"))
}

fn serve(cfg: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["serve", "--config"])
        .arg(cfg)
        .env("MATRIX_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dossier serve")
}

/// The Matrix door's state in a replica's `/readyz`.
async fn matrix_state(base: &str) -> Option<String> {
    let body: serde_json::Value = reqwest::get(format!("{base}/readyz"))
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body["doors"]
        .as_array()?
        .iter()
        .find(|d| d["name"] == "Matrix")?["state"]
        .as_str()
        .map(str::to_owned)
}

async fn wait_state(base: &str, starts: &str) {
    let started = Instant::now();
    while !matrix_state(base)
        .await
        .is_some_and(|s| s.starts_with(starts))
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{base} never became {starts}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `cargo bench -- --list` run nothing here.
    }
    let kills: usize = std::env::var("KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let synapse = tokio::task::spawn_blocking(synapse::Synapse::start)
            .await
            .expect("synapse");
        synapse.register("dossier", PASSWORD);
        synapse.register("alice", PASSWORD);
        let pg = tokio::task::spawn_blocking(postgres::Postgres::start)
            .await
            .expect("postgres");
        let database = pg.database("failover");
        let dir = tempfile::tempdir().expect("tempdir");
        let replicas = [
            replica(dir.path(), "a", &database, &synapse.url()),
            replica(dir.path(), "b", &database, &synapse.url()),
        ];
        let mut children = [serve(&replicas[0].0), serve(&replicas[1].0)];
        wait_state(&replicas[0].1, "connected").await;
        wait_state(&replicas[1].1, "standby").await;

        // The user: every reply the bot sends, by the command it answers, with when it came.
        let replies: Arc<Mutex<HashMap<OwnedEventId, Vec<Instant>>>> = Arc::default();
        let user_store = tempfile::tempdir().expect("tempdir");
        let alice = Client::builder()
            .homeserver_url(synapse.url())
            .sqlite_store(user_store.path(), None)
            .build()
            .await
            .expect("client");
        alice
            .matrix_auth()
            .login_username("alice", PASSWORD)
            .send()
            .await
            .expect("login");
        alice
            .sync_once(SyncSettings::default())
            .await
            .expect("sync");
        let seen = replies.clone();
        alice.add_event_handler(move |ev: OriginalSyncRoomMessageEvent| {
            let seen = seen.clone();
            async move {
                // The answers, not the charts that follow them.
                if ev.sender.as_str() == "@dossier:localhost"
                    && !matches!(ev.content.msgtype, MessageType::Image(_))
                    && let Some(Relation::Reply(r)) = &ev.content.relates_to
                {
                    seen.lock()
                        .expect("lock")
                        .entry(r.in_reply_to.event_id.clone())
                        .or_default()
                        .push(Instant::now());
                }
            }
        });
        let c = alice.clone();
        tokio::spawn(async move {
            loop {
                let _ = c
                    .sync_once(SyncSettings::default().timeout(Duration::from_secs(5)))
                    .await;
            }
        });
        let bot = UserId::parse("@dossier:localhost").expect("id");
        let mut req = CreateRoom::new();
        req.invite = vec![bot.clone()];
        let room = alice.create_room(req).await.expect("room");
        while !room
            .members(RoomMemberships::JOIN)
            .await
            .is_ok_and(|m| m.iter().any(|x| x.user_id() == bot))
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ask = || async {
            room.send(RoomMessageEventContent::text_plain("!position iran"))
                .await
                .expect("send")
                .response
                .event_id
        };
        let answered = |id: &OwnedEventId| replies.lock().expect("lock").get(id).map(|v| v[0]);
        let warm = ask().await;
        while answered(&warm).is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let mut holder = 0;
        let mut times = Vec::new();
        let mut asked = vec![warm];
        for _ in 0..kills {
            children[holder].kill().expect("SIGKILL");
            let killed = Instant::now();
            let _ = children[holder].wait();
            let id = ask().await;
            asked.push(id.clone());
            let at = loop {
                if let Some(at) = answered(&id) {
                    break at;
                }
                assert!(
                    killed.elapsed() < Duration::from_secs(60),
                    "no answer a minute after the kill"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            times.push(at - killed);
            let survivor = 1 - holder;
            wait_state(&replicas[survivor].1, "connected").await;
            children[holder] = serve(&replicas[holder].0);
            wait_state(&replicas[holder].1, "standby").await;
            holder = survivor;
        }
        // Late doubles: give every replica time to send what it would.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (mut twice, mut never) = (0, 0);
        {
            let replies = replies.lock().expect("lock");
            for id in &asked {
                match replies.get(id).map_or(0, Vec::len) {
                    0 => never += 1,
                    1 => {}
                    _ => twice += 1,
                }
            }
        }
        times.sort();
        let ms = |d: &Duration| d.as_secs_f64() * 1e3;
        println!(
            "Matrix failover over {kills} SIGKILLs (a command sent at each kill): median {:.0} ms, min {:.0} ms, max {:.0} ms; commands answered twice: {twice}, never: {never}",
            ms(&times[times.len() / 2]),
            ms(&times[0]),
            ms(times.last().expect("times")),
        );
        for mut c in children {
            let _ = c.kill();
            let _ = c.wait();
        }
        drop((synapse, pg));
    });
}
