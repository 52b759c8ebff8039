//! Replicas on PostgreSQL, measured (issue 17): 10,000 subscriptions due at one minute, drained
//! by 1, 2 and 3 `dossier serve` replicas sharing a real PostgreSQL, and by one process on
//! SQLite, posting to the fake Discord on 127.0.0.1 (the tests' own, through `#[path]`): time
//! to drain, posts per second and a count of doubles. Then failover: two replicas with one
//! gateway shard, the holder SIGKILLed 20 times, each time timed until the other answers an
//! interaction dispatched through the gateway.
//!
//!   cargo bench --bench replicas             (SUBS=10000 KILLS=20 by default)
//!
//! `ONLY=takeover` (`TAKEOVER_SUBS=200`): two replicas, Discord answering each post in
//! 0.3–1.7 s, the first killed once a quarter are out: how soon the survivor posts the rest.

#[path = "../tests/it/discord_support.rs"]
#[allow(dead_code)]
mod discord_support;
#[path = "../tests/it/fake_discord.rs"]
#[allow(dead_code)]
mod fake_discord;
#[path = "../tests/it/postgres.rs"]
#[allow(dead_code)]
mod postgres;
mod common {
    pub fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    }
}

use chrono::{Duration, Utc};
use dossier::digest::WhenUnchanged;
use dossier::schedule::{Destination, NewSubscription};
use dossier::store::schedules::ScheduleStore;
use fake_discord::{APP_ID, Fake};
use postgres::Postgres;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const FIRST_CHANNEL: u64 = 10_000_000;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bundled() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings")
}

/// A subscription for channel `i`, due a minute ago in UTC.
fn due(i: usize) -> NewSubscription {
    NewSubscription {
        destination: Destination::Discord {
            channel: FIRST_CHANNEL + i as u64,
        },
        topic: "iran-us-talks".into(),
        at: (Utc::now() - Duration::minutes(1)).time(),
        tz: chrono_tz::UTC,
        when_unchanged: WhenUnchanged::Post,
        catch_up: Duration::hours(6),
        from_config: false,
        created_by: Some("bench".into()),
    }
}

async fn fill(store: &dyn ScheduleStore, n: usize) {
    // Made an hour ago: the briefing due a minute ago is owed.
    let made = Utc::now() - Duration::hours(1);
    for i in 0..n {
        store.subscribe(&due(i), made).await.expect("subscribe");
    }
}

fn config(
    dir: &Path,
    name: &str,
    state: &str,
    local: Option<&Path>,
    fake: &Fake,
    gateway: bool,
) -> (std::path::PathBuf, u16) {
    let port = common::free_port();
    let local = local.map_or(String::new(), |l| {
        format!("local_state = \"{}\"\n", l.display())
    });
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"{}\"\nstate = \"{state}\"\n{local}\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\ngateway = {gateway}\napi_proxy = \"{}\"\n",
            bundled().display(),
            discord_support::public_key_hex(),
            fake.base()
        ),
    )
    .expect("config");
    (cfg, port)
}

/// `n` briefings due in the database at `address`, and the configs of `count` replicas on it
/// (each with a local folder of its own in `dir`), posting to `fake`.
async fn replicas_on(
    address: &str,
    fake: &Fake,
    dir: &Path,
    n: usize,
    count: usize,
) -> Vec<std::path::PathBuf> {
    let db = dossier::store::postgres::Database::new(&dossier::config::PostgresConfig {
        address: address.to_owned(),
        password: None,
        ca_file: None,
    })
    .expect("database");
    let store = dossier::store::postgres::schedules::PgStore::open(db)
        .await
        .expect("store");
    fill(&store, n).await;
    (0..count)
        .map(|r| {
            let name = format!("r{r}");
            config(dir, &name, address, Some(&dir.join(&name)), fake, false).0
        })
        .collect()
}

fn serve(cfg: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["serve", "--config"])
        .arg(cfg)
        .env("DISCORD_TOKEN", "bench-token")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn dossier serve")
}

struct Drained {
    seconds: f64,
    doubles: usize,
}

/// Start `replicas` processes on `configs`, wait until `n` messages exist, then count doubles.
async fn drain(fake: &Fake, configs: &[std::path::PathBuf], n: usize) -> Drained {
    let started = Instant::now();
    let mut children: Vec<Child> = configs.iter().map(|c| serve(c)).collect();
    while fake.message_count() < n {
        assert!(
            started.elapsed().as_secs() < 600,
            "the drain did not finish in 10 minutes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    // Anything posted twice would arrive now.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let doubles = fake.message_count() - fake.channels_with_messages();
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    Drained { seconds, doubles }
}

fn report(what: &str, n: usize, d: &Drained) {
    println!(
        "{what:<40} {n} posts in {:>6.2} s  {:>7.0} posts/s  doubles: {}",
        d.seconds,
        n as f64 / d.seconds,
        d.doubles
    );
}

async fn drain_benchmarks(n: usize) {
    // SQLite, one process.
    {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        std::fs::create_dir_all(&state).expect("state");
        let store = dossier::store::Stores::in_folder_async(&state)
            .await
            .expect("store")
            .schedules;
        fill(&*store, n).await;
        drop(store);
        let (cfg, _) = config(
            dir.path(),
            "sqlite",
            &state.display().to_string(),
            None,
            &fake,
            false,
        );
        let d = drain(&fake, &[cfg], n).await;
        report("SQLite, 1 process", n, &d);
    }
    for replicas in 1..=3 {
        let pg = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let address = pg.database("bench");
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let configs = replicas_on(&address, &fake, dir.path(), n, replicas).await;
        let d = drain(&fake, &configs, n).await;
        report(&format!("PostgreSQL, {replicas} replica(s)"), n, &d);
    }
}

/// Whether the replica at `base` has the gateway connected, by its `/readyz`.
async fn holds_gateway(base: &str) -> bool {
    let Ok(r) = reqwest::get(format!("{base}/readyz")).await else {
        return false;
    };
    let Ok(body) = r.json::<serde_json::Value>().await else {
        return false;
    };
    body["doors"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|d| d["name"] == "Discord gateway" && d["state"] == "connected")
}

fn ping_interaction(id: u64) -> serde_json::Value {
    discord_support::with_token(
        discord_support::command("topics", &[], "0"),
        &id.to_string(),
        &format!("tok-{id}"),
    )
}

async fn failover_benchmark(kills: usize) {
    let pg = tokio::task::spawn_blocking(Postgres::start)
        .await
        .expect("postgres");
    let address = pg.database("failover");
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut replicas: Vec<(std::path::PathBuf, String, Child)> = (0..2)
        .map(|r| {
            let name = format!("g{r}");
            let (cfg, port) = config(
                dir.path(),
                &name,
                &address,
                Some(&dir.path().join(&name)),
                &fake,
                true,
            );
            let child = serve(&cfg);
            (cfg, format!("http://127.0.0.1:{port}"), child)
        })
        .collect();
    let mut times = Vec::new();
    let mut next_id = 1_600_000_000_000_000_000u64;
    for _ in 0..kills {
        // Find the holder (wait for one).
        let holder = loop {
            let mut found = None;
            for (i, (_, base, _)) in replicas.iter().enumerate() {
                if holds_gateway(base).await {
                    found = Some(i);
                }
            }
            if let Some(i) = found {
                break i;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let _ = replicas[holder].2.kill();
        let killed = Instant::now();
        let _ = replicas[holder].2.wait();
        // Ask through the gateway until an answer comes back.
        let answered = loop {
            next_id += 1;
            let before = fake
                .requests_to("POST", &format!("/interactions/{next_id}/"))
                .len();
            fake.dispatch("INTERACTION_CREATE", ping_interaction(next_id));
            let asked = Instant::now();
            let mut got = false;
            while asked.elapsed() < std::time::Duration::from_millis(300) {
                if fake
                    .requests_to("POST", &format!("/interactions/{next_id}/"))
                    .len()
                    > before
                {
                    got = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            if got {
                break killed.elapsed();
            }
            assert!(
                killed.elapsed().as_secs() < 60,
                "no failover within a minute"
            );
        };
        times.push(answered.as_secs_f64() * 1000.0);
        // The dead one comes back, as a supervisor restarts it, and waits on standby.
        let cfg = replicas[holder].0.clone();
        replicas[holder].2 = serve(&cfg);
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    for (_, _, c) in &mut replicas {
        let _ = c.kill();
        let _ = c.wait();
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!(
        "failover (SIGKILL of the gateway's holder → the other answers), {kills} kills: median {median:.0} ms, max {max:.0} ms"
    );
    println!(
        "  all (ms): {}",
        times
            .iter()
            .map(|t| format!("{t:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
}

/// Two replicas drain `n` briefings due at once, Discord answering each post after a second;
/// the first replica is killed (SIGKILL) once a quarter are out. Time from the start to the
/// last post, and from the kill to it; doubles counted as in the drain.
async fn takeover_benchmark(n: usize) {
    let pg = tokio::task::spawn_blocking(Postgres::start)
        .await
        .expect("postgres");
    let address = pg.database("takeover");
    let fake = Fake::start().await;
    fake.delay_messages_between(
        std::time::Duration::from_millis(300),
        std::time::Duration::from_millis(1700),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let configs = replicas_on(&address, &fake, dir.path(), n, 2).await;
    let started = Instant::now();
    let mut children: Vec<Child> = configs.iter().map(|c| serve(c)).collect();
    while fake.message_count() < n / 4 {
        assert!(
            started.elapsed().as_secs() < 120,
            "no quarter posted in 2 minutes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let _ = children[0].kill();
    let _ = children[0].wait();
    let killed = Instant::now();
    let at_kill = fake.message_count();
    while fake.channels_with_messages() < n {
        assert!(
            started.elapsed().as_secs() < 300,
            "the survivor did not finish in 5 minutes ({} of {n})",
            fake.channels_with_messages()
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let (total, after_kill) = (started.elapsed(), killed.elapsed());
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let doubles = fake.message_count() - fake.channels_with_messages();
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    println!(
        "takeover: {n} briefings over 2 replicas, Discord answering each in 0.3–1.7 s, one SIGKILLed after {at_kill} were out: the last posted {:.2} s after the start, {:.2} s after the kill; doubles: {doubles}",
        total.as_secs_f64(),
        after_kill.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes --bench; nothing else is taken.
    let n = env_or("SUBS", 10_000);
    let kills = env_or("KILLS", 20);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        if std::env::var("ONLY").map_or(true, |o| o == "drain") {
            drain_benchmarks(n).await;
        }
        if std::env::var("ONLY").map_or(true, |o| o == "failover") {
            failover_benchmark(kills).await;
        }
        if std::env::var("ONLY").map_or(true, |o| o == "takeover") {
            takeover_benchmark(env_or("TAKEOVER_SUBS", 200)).await;
        }
    });
}
