//! Several `dossier serve` replicas on one real PostgreSQL, as an operator runs them: two
//! replicas with 200 briefings due in the same minute post each to the fake Discord exactly
//! once, also when one of them is SIGKILLed mid-drain; the Matrix sync runs in one replica
//! only (the other shows it as standby and is still ready) and is taken over within 10 s of the
//! holder's SIGKILL on a real Synapse, with nothing answered twice; two gateway shards on the
//! fake Discord are split over two replicas, and the survivor of a SIGKILL holds both.

use crate::common::*;
use crate::discord_support::public_key_hex;
use crate::fake_discord::{APP_ID, Fake};
use crate::postgres::Postgres;
use crate::serve::{Serve, serve_with};
use chrono::{Duration, Utc};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How many subscriptions fall due in the same minute.
const DUE: usize = 200;

/// The channel of subscription `i`.
fn channel(i: usize) -> String {
    (5_000 + i).to_string()
}

/// A replica's config: the shared database, its own local folder and endpoint port, REST
/// through the fake, and `DUE` schedules due a minute ago.
fn replica_config(dir: &Path, name: &str, database: &str, fake: &Fake) -> PathBuf {
    let port = free_port();
    let at = (Utc::now() - Duration::minutes(1)).format("%H:%M");
    let mut text = format!(
        "briefings = \"{}\"\nstate = \"{database}\"\nlocal_state = \"{}\"\n\n[moderation]\ndiscord_guilds = [\"1300000000000000001\"]\n\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\ngateway = false\napi_proxy = \"{}\"\n",
        bundled().display(),
        dir.join(name).display(),
        public_key_hex(),
        fake.base()
    );
    for i in 0..DUE {
        text.push_str(&format!(
            "\n[[schedule]]\ntopic = \"iran-us-talks\"\nat = \"{at}\"\ntimezone = \"UTC\"\ndiscord_channel = \"{}\"\n",
            channel(i)
        ));
    }
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(&cfg, text).expect("config");
    cfg
}

/// Messages Discord keeps per channel, and sends per channel with distinct nonces.
fn tally(fake: &Fake) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let mut kept = BTreeMap::new();
    let mut nonces: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for i in 0..DUE {
        let c = channel(i);
        kept.insert(c.clone(), fake.messages_in(&c).len());
        nonces.entry(c).or_default();
    }
    for r in fake.requests_to("POST", "/channels/") {
        let c = r.path.trim_start_matches("/channels/").split('/').next();
        if let (Some(c), Some(n)) = (c, r.body["nonce"].as_str())
            && let Some(set) = nonces.get_mut(c)
        {
            set.insert(n.to_owned());
        }
    }
    (
        kept,
        nonces.into_iter().map(|(c, s)| (c, s.len())).collect(),
    )
}

/// Wait until every due channel has a message, up to `secs`; how long it took.
async fn drained(fake: &Fake, secs: u64, logs: impl Fn() -> String) -> std::time::Duration {
    let started = Instant::now();
    loop {
        let (kept, _) = tally(fake);
        let missing = kept.values().filter(|n| **n == 0).count();
        if missing == 0 {
            return started.elapsed();
        }
        assert!(
            started.elapsed().as_secs() < secs,
            "{missing} of {DUE} briefings never arrived; logs:\n{}",
            logs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn both_logs(a: &Serve, b: &Serve) -> String {
    format!("--- replica a\n{}\n--- replica b\n{}", a.logs(), b.logs())
}

fn assert_each_once(fake: &Fake, logs: &str) {
    assert_eq!(
        (fake.message_count(), fake.channels_with_messages()),
        (DUE, DUE),
        "one message in each of the {DUE} channels\n{logs}"
    );
    let (kept, nonces) = tally(fake);
    let doubled: Vec<_> = kept.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        doubled.is_empty(),
        "channels without exactly one message: {doubled:?}\n{logs}"
    );
    let rekeyed: Vec<_> = nonces.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        rekeyed.is_empty(),
        "every attempt at one briefing uses one nonce: {rekeyed:?}"
    );
}

#[test]
fn two_replicas_post_200_due_briefings_each_once() {
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let database = pg.database("drain");
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let a = replica_config(dir.path(), "a", &database, &fake);
        let b = replica_config(dir.path(), "b", &database, &fake);
        let first = serve_with(&a, Some("bot-token"), &[], &[]);
        let second = serve_with(&b, Some("bot-token"), &[], &[]);
        drained(&fake, 90, || both_logs(&first, &second)).await;
        // Anything sent twice would arrive now.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let logs = both_logs(&first, &second);
        assert_each_once(&fake, &logs);
        let sends = fake.requests_to("POST", "/channels/").len();
        assert_eq!(sends, DUE, "one send per briefing, no retries needed");
        let sent = pg.query("drain", "SELECT count(*) FROM posts WHERE state = 'sent'");
        assert_eq!(sent, DUE.to_string(), "each recorded as sent\n{logs}");
        drop((first, second));
    });
}

#[test]
fn a_replica_killed_mid_drain_leaves_its_claims_to_the_other_each_posted_once() {
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let database = pg.database("killed");
        let fake = Fake::start().await;
        // Slow sends, each channel its own time, so the kill lands with posts claimed and in
        // flight.
        fake.delay_messages_between(
            std::time::Duration::from_millis(100),
            std::time::Duration::from_millis(300),
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let a = replica_config(dir.path(), "a", &database, &fake);
        let b = replica_config(dir.path(), "b", &database, &fake);
        for cfg in [&a, &b] {
            crate::common::add_to_config(cfg, "[schedules]\nclaim_lease = \"2s\"\n");
        }
        let first = serve_with(&a, Some("bot-token"), &[], &[]);
        let second = serve_with(&b, Some("bot-token"), &[], &[]);
        let started = Instant::now();
        while fake.requests_to("POST", "/channels/").len() < 20 {
            assert!(
                started.elapsed().as_secs() < 60,
                "no drain began: {}",
                both_logs(&first, &second)
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // Kill the replica holding the most claims still unsent (whichever won the race).
        let busiest = pg.query(
            "killed",
            "SELECT split_part(owner, '-', 1) FROM posts WHERE state = 'claimed' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        );
        let (victim, survivor) = if busiest == second.pid().to_string() {
            (&second, &first)
        } else {
            (&first, &second)
        };
        victim.signal("KILL");
        drained(&fake, 90, || both_logs(&first, &second)).await;
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
        let logs = both_logs(&first, &second);
        assert_each_once(&fake, &logs);
        let open = pg.query("killed", "SELECT count(*) FROM posts WHERE state <> 'sent'");
        assert_eq!(open, "0", "every claim ended as sent\n{logs}");
        // The kill left claims behind, and the survivor took them up (with their nonces).
        let retaken: usize = pg
            .query("killed", "SELECT count(*) FROM posts WHERE attempts > 1")
            .parse()
            .expect("count");
        assert!(retaken > 0, "the kill left no claim to take over\n{logs}");
        assert!(
            survivor
                .logs()
                .contains("taking up a briefing that was claimed but not confirmed"),
            "{logs}"
        );
        eprintln!("SIGKILL mid-drain: {retaken} claims taken over by the other replica");
        drop((first, second));
    });
}

/// A Matrix-only replica: the shared database, its own local folder (and so its own Matrix
/// store: each replica logs in as its own device of the one bot account), `/readyz` on a port
/// of its own. Returns the config and the HTTP base.
#[cfg(feature = "matrix")]
fn matrix_replica(dir: &Path, name: &str, database: &str, homeserver: &str) -> (PathBuf, String) {
    let port = free_port();
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"{}\"\nstate = \"{database}\"\nlocal_state = \"{}\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n\n[matrix]\nhomeserver = \"{homeserver}\"\nuser = \"@dossier:localhost\"\n",
            bundled().display(),
            dir.join(name).display(),
        ),
    )
    .expect("config");
    (cfg, format!("http://127.0.0.1:{port}"))
}

/// The Matrix door's state in a replica's `/readyz`, and whether the replica is ready.
#[cfg(feature = "matrix")]
async fn matrix_state(base: &str) -> Option<(bool, String)> {
    let r = reqwest::get(format!("{base}/readyz")).await.ok()?;
    let ready = r.status().is_success();
    let body: serde_json::Value = r.json().await.ok()?;
    let state = body["doors"]
        .as_array()?
        .iter()
        .find(|d| d["name"] == "Matrix")?["state"]
        .as_str()?
        .to_owned();
    Some((ready, state))
}

#[cfg(feature = "matrix")]
async fn wait_matrix_state(base: &str, starts: &str, secs: u64, logs: impl Fn() -> String) {
    let started = Instant::now();
    loop {
        let seen = matrix_state(base).await;
        if seen.as_ref().is_some_and(|(_, s)| s.starts_with(starts)) {
            return;
        }
        assert!(
            started.elapsed().as_secs() < secs,
            "the Matrix door never became {starts:?} (last: {seen:?}); logs:\n{}",
            logs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[cfg(feature = "matrix")]
#[test]
fn the_matrix_sync_runs_in_one_replica_and_fails_over_within_10_s() {
    use crate::matrix_e2e::{PASSWORD, User, wait_joined};
    use crate::synapse::Synapse;
    runtime().block_on(async {
        let synapse = tokio::task::spawn_blocking(Synapse::start)
            .await
            .expect("synapse");
        synapse.register("dossier", PASSWORD);
        synapse.register("alice", PASSWORD);
        let pg = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let database = pg.database("matrix");
        let dir = tempfile::tempdir().expect("tempdir");
        let (a_cfg, a) = matrix_replica(dir.path(), "a", &database, &synapse.url());
        let (b_cfg, b) = matrix_replica(dir.path(), "b", &database, &synapse.url());
        let env = [("MATRIX_PASSWORD", PASSWORD)];
        let first = serve_with(&a_cfg, None, &env, &[]);
        // The Matrix door's lease (the newsdesk holds one of its own).
        first.wait_log(60, "lease=matrix:").await;
        let second = serve_with(&b_cfg, None, &env, &[]);
        // B waits, shown as standby, and is still ready (a replica without a door serves the
        // rest: the endpoint, the pages).
        wait_matrix_state(&b, "standby", 60, || both_logs(&first, &second)).await;
        let (ready, _) = matrix_state(&b).await.expect("readyz");
        assert!(ready, "a standby replica is ready");
        let metrics = reqwest::get(format!("{b}/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let samples = crate::reload::parse_exposition(&metrics);
        assert_eq!(
            samples.get("dossier_door_state{door=\"Matrix\",state=\"standby\"}"),
            Some(&1.0),
            "{metrics}"
        );
        wait_matrix_state(&a, "connected", 60, || both_logs(&first, &second)).await;

        let alice = User::login(&synapse.url(), "alice").await;
        let bot = matrix_sdk::ruma::UserId::parse("@dossier:localhost").expect("id");
        let room = alice.create_room(vec![bot.clone()], false).await;
        wait_joined(&room, &bot).await;
        let asked = alice.send(&room, "!position iran").await;
        let replies = alice.replies(&bot, &asked, 30).await;
        assert_eq!(replies.len(), 1, "{}", both_logs(&first, &second));
        assert!(replies[0].plain.contains("Iran"), "{:?}", replies[0].plain);

        first.signal("KILL");
        let killed = Instant::now();
        // Asked while no replica holds the sync: the one that takes it over answers.
        let answered = alice.send(&room, "!position iran").await;
        let replies = alice.replies(&bot, &answered, 30).await;
        assert_eq!(
            replies.len(),
            1,
            "the command sent during the takeover: {}",
            both_logs(&first, &second)
        );
        let failover = killed.elapsed();
        assert!(
            failover < std::time::Duration::from_secs(10),
            "taken over in {failover:?}, over 10 s"
        );
        wait_matrix_state(&b, "connected", 10, || both_logs(&first, &second)).await;
        // Nothing is answered twice: neither the command answered across the takeover nor the
        // next one.
        let next = alice.send(&room, "!position iran").await;
        assert_eq!(alice.replies(&bot, &next, 20).await.len(), 1);
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        assert_eq!(alice.replies(&bot, &answered, 1).await.len(), 1);
        assert_eq!(alice.replies(&bot, &next, 1).await.len(), 1);
        assert_eq!(alice.replies(&bot, &asked, 1).await.len(), 1);
        eprintln!("Matrix failover: SIGKILL to the next answer in {failover:?}");

        // Both replicas down, a command asked meanwhile: the replica that starts next answers
        // it, once, and none of the commands already answered in the minute before.
        second.signal("KILL");
        let waiting = alice.send(&room, "!position iran").await;
        let third = serve_with(&a_cfg, None, &env, &[]);
        let replies = alice.replies(&bot, &waiting, 60).await;
        assert_eq!(replies.len(), 1, "{}", third.logs());
        assert!(replies[0].plain.contains("Iran"), "{:?}", replies[0].plain);
        third.wait_log(5, "arrived before the door was ready").await;
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        for ev in [&asked, &answered, &next, &waiting] {
            assert_eq!(
                alice.replies(&bot, ev, 1).await.len(),
                1,
                "{ev} answered once: {}",
                third.logs()
            );
        }
        drop((first, second, third, synapse));
    });
}

/// A gateway replica with `shards = 2`; returns the config and its HTTP base.
fn shard_replica(dir: &Path, name: &str, database: &str, fake: &Fake) -> (PathBuf, String) {
    let port = free_port();
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"{}\"\nstate = \"{database}\"\nlocal_state = \"{}\"\n\n[moderation]\ndiscord_guilds = [\"1300000000000000001\"]\n\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\ngateway = true\nshards = 2\napi_proxy = \"{}\"\n",
            bundled().display(),
            dir.join(name).display(),
            public_key_hex(),
            fake.base()
        ),
    )
    .expect("config");
    (cfg, format!("http://127.0.0.1:{port}"))
}

/// The shards a replica runs and has connected, by its `/readyz`.
pub(crate) async fn connected_shards(base: &str) -> Vec<u32> {
    let Ok(r) = reqwest::get(format!("{base}/readyz")).await else {
        return vec![];
    };
    let Ok(body) = r.json::<serde_json::Value>().await else {
        return vec![];
    };
    body["doors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["state"] == "connected")
        .filter_map(|d| {
            d["name"]
                .as_str()?
                .strip_prefix("Discord gateway shard ")?
                .strip_suffix("/2")?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn two_gateway_shards_split_over_two_replicas_the_survivor_holds_both_and_a_late_joiner_gets_one() {
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let database = pg.database("shards");
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let (a_cfg, a) = shard_replica(dir.path(), "a", &database, &fake);
        let (b_cfg, b) = shard_replica(dir.path(), "b", &database, &fake);
        let first = serve_with(&a_cfg, Some("bot-token"), &[], &[]);
        let second = serve_with(&b_cfg, Some("bot-token"), &[], &[]);
        let started = Instant::now();
        let (on_a, on_b) = loop {
            let (x, y) = (connected_shards(&a).await, connected_shards(&b).await);
            if x.len() + y.len() == 2 {
                break (x, y);
            }
            assert!(
                started.elapsed().as_secs() < 60,
                "the shards never connected (a: {x:?}, b: {y:?}): {}",
                both_logs(&first, &second)
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert_eq!(
            (on_a.len(), on_b.len()),
            (1, 1),
            "replicas starting together share the shards: a {on_a:?}, b {on_b:?}"
        );
        // Each shard of the two identified (a session the loaded machine let lapse identifies
        // again, as Discord asks; what matters here is which shards, in how many replicas).
        let mut asked: Vec<_> = fake.identified_shards();
        asked.sort_by_key(|s| s.to_string());
        asked.dedup();
        assert_eq!(
            asked,
            vec![serde_json::json!([0, 2]), serde_json::json!([1, 2])]
        );
        // What follows counts from here: starting together on a loaded machine, a shard may
        // change hands once before the replicas settle.
        let settled = fake.identified_shards().len();

        // In steady state: a shard identifying within 5 s of the last IDENTIFY waits its turn
        // (Discord's rule), which is not what the failover time should measure.
        tokio::time::sleep(std::time::Duration::from_millis(5_500)).await;
        first.signal("KILL");
        let killed = Instant::now();
        loop {
            let held = connected_shards(&b).await;
            if held.len() == 2 {
                break;
            }
            assert!(
                killed.elapsed().as_secs() < 10,
                "the survivor holds {held:?} 10 s after the kill: {}",
                second.logs()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        eprintln!(
            "shard failover: SIGKILL to both shards connected in {:?}",
            killed.elapsed()
        );
        assert_eq!(
            fake.identified_shards().len(),
            settled + 1,
            "one new IDENTIFY, for the dead replica's shard"
        );

        // A replica that joins late gets its share: the survivor hands one shard over.
        let third = serve_with(&a_cfg, Some("bot-token"), &[], &[]);
        let joined = Instant::now();
        loop {
            let (x, y) = (connected_shards(&a).await, connected_shards(&b).await);
            if x.len() == 1 && y.len() == 1 {
                break;
            }
            assert!(
                joined.elapsed().as_secs() < 30,
                "the shards were not spread again (new: {x:?}, survivor: {y:?}): {}",
                both_logs(&third, &second)
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        eprintln!("a late replica got its shard in {:?}", joined.elapsed());
        second
            .wait_log(1, "handing the door over to a replica that holds fewer")
            .await;
        // Discord's `max_concurrency` (1 here): no two IDENTIFYs within 5 s, across replicas.
        let times = fake.identify_times();
        assert_eq!(times.len(), settled + 2);
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] >= 5_000,
                "two IDENTIFYs {} ms apart: {times:?}",
                pair[1] - pair[0]
            );
        }
        // It stays spread: nobody hands a shard over again.
        tokio::time::sleep(std::time::Duration::from_secs(8)).await;
        assert_eq!(
            (
                connected_shards(&a).await.len(),
                connected_shards(&b).await.len()
            ),
            (1, 1)
        );
        assert_eq!(
            fake.identified_shards().len(),
            settled + 2,
            "one more IDENTIFY, for the shard handed over"
        );
        drop((first, second, third));
    });
}

#[test]
fn the_database_stopped_for_30_s_answers_go_on_and_the_briefing_catches_up_once() {
    use crate::discord_support::{MANAGE_GUILD, command};
    use crate::serve::{post_signed, wait_up};
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let database = pg.database("outage");
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        // One briefing, due at the start of a minute that falls while the database is down.
        let at = (Utc::now() + Duration::seconds(65)).format("%H:%M").to_string();
        let due = chrono::NaiveTime::parse_from_str(&at, "%H:%M").expect("time");
        let port = free_port();
        let cfg = dir.path().join("outage.toml");
        std::fs::write(
            &cfg,
            format!(
                "briefings = \"{}\"\nstate = \"{database}\"\nlocal_state = \"{}\"\n\n[moderation]\ndiscord_guilds = [\"1300000000000000001\"]\n\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\ngateway = false\napi_proxy = \"{}\"\n\n[[schedule]]\ntopic = \"iran-us-talks\"\nat = \"{at}\"\ntimezone = \"UTC\"\ndiscord_channel = \"88\"\n",
                bundled().display(),
                dir.path().join("local").display(),
                public_key_hex(),
                fake.base()
            ),
        )
        .expect("config");
        let base = format!("http://127.0.0.1:{port}");
        let serving = serve_with(&cfg, Some("bot-token"), &[], &[]);
        wait_up(&base, &serving).await;

        pg.down();
        let stopped = Instant::now();
        let mut answered = 0;
        let mut degraded_seen = false;
        // Down for 30 s, and past the briefing's minute.
        while stopped.elapsed().as_secs() < 30 || Utc::now().time() < due + Duration::seconds(5) {
            let body = post_signed(&base, &command("position", &[("actor", 3, serde_json::json!("iran"))], "0")).await;
            let title = body["data"]["embeds"][0]["title"].as_str().unwrap_or_default().to_owned();
            assert!(title.starts_with("Iran"), "answers go on from memory: {body}");
            answered += 1;
            let ready = reqwest::get(format!("{base}/readyz")).await.expect("readyz");
            assert!(ready.status().is_success(), "a degraded replica is still ready");
            let r: serde_json::Value = ready.json().await.expect("json");
            degraded_seen |= r["degraded"].as_array().is_some_and(|d| !d.is_empty());
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        assert!(answered >= 30, "{answered}");
        assert!(degraded_seen, "/readyz said what is degraded: {}", serving.logs());
        let paused = post_signed(
            &base,
            &command(
                "subscribe",
                &[("time", 3, serde_json::json!("09:00")), ("timezone", 3, serde_json::json!("UTC"))],
                MANAGE_GUILD,
            ),
        )
        .await
        .to_string();
        assert!(paused.contains("paused"), "subscribing is refused clearly: {paused}");
        // So are choosing a channel's topic and reading the edit log: nothing half-done.
        let mut set = command(
            "topic",
            &[("set", 3, serde_json::json!("iran-us-talks"))],
            MANAGE_GUILD,
        );
        set["channel_id"] = serde_json::json!("89");
        set["channel"]["id"] = serde_json::json!("89");
        let chosen = post_signed(&base, &set).await.to_string();
        assert!(
            chosen.contains("Choosing a topic is paused"),
            "a topic is refused clearly: {chosen}"
        );
        let history = post_signed(&base, &command("history", &[], MANAGE_GUILD))
            .await
            .to_string();
        assert!(
            history.contains("Edits are paused"),
            "the edit log says it is paused: {history}"
        );
        assert!(fake.messages_in("88").is_empty(), "nothing posted while down");

        pg.up();
        let back = Instant::now();
        while fake.messages_in("88").is_empty() {
            assert!(
                back.elapsed().as_secs() < 15,
                "the briefing never caught up: {}",
                serving.logs()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        assert_eq!(fake.messages_in("88").len(), 1, "posted once");
        let r: serde_json::Value = reqwest::get(format!("{base}/readyz"))
            .await
            .expect("readyz")
            .json()
            .await
            .expect("json");
        assert_eq!(r["degraded"], serde_json::json!([]), "{r}");
        assert!(!serving.logs().contains("panicked"), "{}", serving.logs());
        eprintln!("database outage: {answered} answers while down; caught up {:?} after it was back", back.elapsed());
    });
}

/// A replica started before its database (a compose file, a pod, a host rebooting) waits for
/// it, saying so, and serves once it is up (a stop while it waits exits 0); one given a
/// database that does not exist stops at once with an error naming it, rather than waiting for
/// ever.
#[cfg(feature = "matrix")]
#[test]
fn a_replica_started_before_its_database_waits_for_it_and_a_missing_database_is_an_error() {
    use crate::serve::wait_up;
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let database = pg.database("later");
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        pg.down();
        let (cfg, base) = shard_replica(dir.path(), "early", &database, &fake);
        // Stopped while it waits: exit code 0, as any stop.
        let mut stopped = serve_with(&cfg, Some("bot-token"), &[], &[]);
        stopped
            .wait_log(20, "waiting for the shared database before starting")
            .await;
        stopped.signal("TERM");
        let code = tokio::task::spawn_blocking(move || stopped.wait_exit(10))
            .await
            .expect("exit");
        assert!(code.success(), "{code:?}");
        let serving = serve_with(&cfg, Some("bot-token"), &[], &[]);
        serving
            .wait_log(20, "waiting for the shared database before starting")
            .await;
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        pg.up();
        let back = Instant::now();
        wait_up(&base, &serving).await;
        eprintln!("serving {:?} after the database came up", back.elapsed());
        assert!(position(&base, "iran").await.contains("Iran"));
        assert!(serving.logs().contains("the shared database is reachable"));
        drop(serving);

        let missing = database.replace("/later", "/never_made");
        assert_ne!(missing, database);
        let (cfg, _) = shard_replica(dir.path(), "missing", &missing, &fake);
        let started = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
            .args(["serve", "--config"])
            .arg(&cfg)
            .env("DISCORD_TOKEN", "bot-token")
            .output()
            .expect("serve");
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert!(said.contains("never_made"), "{said}");
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    });
}

/// The compose deployment's replica config is valid as shipped, once its secrets exist (here
/// in a folder standing in for /run/secrets, and the cards where the image puts them).
#[test]
fn the_compose_replica_config_checks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = dir.path().join("secrets");
    std::fs::create_dir_all(&secrets).expect("secrets");
    std::fs::write(secrets.join("db_password"), "a long random password").expect("password");
    std::fs::write(secrets.join("discord_token"), "bot-token").expect("token");
    let shipped =
        std::fs::read_to_string(repo().join("deploy/replica.toml")).expect("replica.toml");
    let local = shipped
        .replace("/run/secrets", &secrets.display().to_string())
        .replace("\"/briefings\"", &format!("\"{}\"", bundled().display()))
        .replace(
            "\"/data\"",
            &format!("\"{}\"", dir.path().join("data").display()),
        );
    let cfg = dir.path().join("replica.toml");
    std::fs::write(&cfg, local).expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["config", "check", "--config"])
        .arg(&cfg)
        .env_remove("DISCORD_TOKEN")
        .env_remove("PGPASSWORD")
        .output()
        .expect("config check");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        !said.contains("a long random password") && !said.contains("bot-token"),
        "{said}"
    );
    let compose = std::fs::read_to_string(repo().join("deploy/compose.yaml")).expect("compose");
    assert!(compose.contains("./replica.toml:/etc/dossier/dossier.toml:ro"));
}

/// A replica with chat editing on its own clone of the cards' remote.
#[cfg(feature = "matrix")]
fn editing_replica(dir: &Path, name: &str, database: &str, fake: &Fake) -> (PathBuf, String) {
    let port = free_port();
    let cfg = dir.join(format!("{name}.toml"));
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"{}\"\nstate = \"{database}\"\nlocal_state = \"{}\"\ncards_remote = \"origin\"\n\n[moderation]\ndiscord_guilds = [\"1300000000000000001\"]\n\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\ngateway = false\napi_proxy = \"{}\"\n",
            dir.join(name).join("briefings").display(),
            dir.join(format!("{name}-state")).display(),
            public_key_hex(),
            fake.base()
        ),
    )
    .expect("config");
    (cfg, format!("http://127.0.0.1:{port}"))
}

/// Open `/edit position <actor>` on `base` and submit it with a new stance; the answer (the
/// completed one, from the fake Discord, when the answer was deferred).
#[cfg(feature = "matrix")]
pub(crate) async fn edit_stance(
    base: &str,
    fake: &Fake,
    actor: &str,
    stance: &str,
) -> serde_json::Value {
    let answer = submit_stance(base, actor, stance).await;
    if answer["type"] != 5 {
        return answer;
    }
    let started = Instant::now();
    loop {
        let done = fake
            .requests_to("PATCH", "/webhooks/")
            .into_iter()
            .map(|r| r.body)
            .find(|b| b.to_string().contains(stance));
        if let Some(b) = done {
            return b;
        }
        assert!(
            started.elapsed().as_secs() < 20,
            "the deferred edit never completed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[cfg(feature = "matrix")]
async fn submit_stance(base: &str, actor: &str, stance: &str) -> serde_json::Value {
    use crate::discord_support::{MANAGE_GUILD, command};
    use crate::edit::{input, modal_submit};
    use crate::serve::post_signed;
    let modal = post_signed(
        base,
        &command(
            "edit",
            &[
                ("what", 3, serde_json::json!("position")),
                ("actor", 3, serde_json::json!(actor)),
            ],
            MANAGE_GUILD,
        ),
    )
    .await;
    assert_eq!(modal["type"], 9, "a form: {modal}");
    let id = modal["data"]["custom_id"]
        .as_str()
        .expect("custom id")
        .to_owned();
    let keep = |field: &str| {
        input(&modal, field)["value"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let (summary, demands, red_lines, sources) = (
        keep("summary"),
        keep("demands"),
        keep("red_lines"),
        keep("sources"),
    );
    post_signed(
        base,
        &modal_submit(
            &id,
            &[
                ("stance", stance),
                ("summary", &summary),
                ("demands", &demands),
                ("red_lines", &red_lines),
                ("sources", &sources),
            ],
            MANAGE_GUILD,
        ),
    )
    .await
}

/// An undo's answer as text: the deferred one completed through the fake Discord, or at once.
#[cfg(feature = "matrix")]
async fn undo_answer(fake: &Fake, answer: serde_json::Value) -> String {
    if answer["type"] != 5 {
        return answer.to_string();
    }
    let started = Instant::now();
    loop {
        let done = fake
            .requests_to("PATCH", "/webhooks/")
            .into_iter()
            .map(|r| r.body.to_string())
            .find(|b| b.contains("undone"));
        if let Some(b) = done {
            return b;
        }
        assert!(
            started.elapsed().as_secs() < 20,
            "the deferred undo never completed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `/position <actor>` on `base`, as text.
#[cfg(feature = "matrix")]
pub(crate) async fn position(base: &str, actor: &str) -> String {
    use crate::discord_support::command;
    use crate::serve::post_signed;
    post_signed(
        base,
        &command("position", &[("actor", 3, serde_json::json!(actor))], "0"),
    )
    .await
    .to_string()
}

#[cfg(feature = "matrix")]
#[test]
fn an_edit_on_one_replica_is_answered_by_the_other_within_3_s_and_concurrent_edits_both_land_in_git_and_the_log()
 {
    use crate::common::git;
    use crate::discord_support::{MANAGE_GUILD, command};
    use crate::serve::{post_signed, wait_up};
    use dossier::desk::EditStore as _;
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let database = pg.database("cards");
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        // The remote, seeded with the bundled cards, and a clone of it for each replica.
        let remote = d.join("cards.git");
        git(
            d,
            &[
                "init",
                "--quiet",
                "--bare",
                "--initial-branch=main",
                "cards.git",
            ],
        );
        let seed = d.join("seed");
        copy_tree(&bundled(), &seed.join("briefings"));
        let who = [
            "-c",
            "user.name=Setup",
            "-c",
            "user.email=setup@example.invalid",
        ];
        git(d, &["init", "--quiet", "--initial-branch=main", "seed"]);
        git(&seed, &[&who[..], &["add", "."]].concat());
        git(
            &seed,
            &[&who[..], &["commit", "--quiet", "-m", "cards"]].concat(),
        );
        git(
            &seed,
            &["push", "--quiet", remote.to_str().expect("utf-8"), "main"],
        );
        for name in ["a", "b"] {
            git(
                d,
                &["clone", "--quiet", remote.to_str().expect("utf-8"), name],
            );
        }
        let (a_cfg, a) = editing_replica(d, "a", &database, &fake);
        let (b_cfg, b) = editing_replica(d, "b", &database, &fake);
        let first = serve_with(&a_cfg, Some("bot-token"), &[], &[]);
        let second = serve_with(&b_cfg, Some("bot-token"), &[], &[]);
        wait_up(&a, &first).await;
        wait_up(&b, &second).await;
        second.wait_log(20, "edits from chat are pushed").await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;

        // An edit on A, answered by B.
        let asked = Instant::now();
        let done = edit_stance(&a, &fake, "iran", "Changed on replica A.").await;
        eprintln!("the edit on A took {:?}", asked.elapsed());
        assert!(
            done.to_string().contains("Changed on replica A"),
            "{done}\n{}",
            both_logs(&first, &second)
        );
        let edited = Instant::now();
        while !position(&b, "iran").await.contains("Changed on replica A") {
            assert!(
                edited.elapsed() < std::time::Duration::from_secs(3),
                "replica B did not answer with A's edit within 3 s: {}",
                both_logs(&first, &second)
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let seen = edited.elapsed();

        // Two moderators edit one topic at once, on A and on B: both land, one after the other.
        let (x, y) = tokio::join!(
            edit_stance(&a, &fake, "oman", "Oman, edited on A."),
            edit_stance(&b, &fake, "qatar", "Qatar, edited on B."),
        );
        assert!(x.to_string().contains("edited on A"), "{x}");
        assert!(y.to_string().contains("edited on B"), "{y}");
        let log = git(&remote, &["log", "--format=%s", "main"]);
        let subjects: Vec<&str> = log.lines().collect();
        assert_eq!(
            subjects.len(),
            4,
            "the seed and three edits, nothing lost: {subjects:?}"
        );
        assert!(subjects[2].contains("Iran"), "{subjects:?}");
        assert!(
            subjects[..2].iter().any(|s| s.contains("Oman"))
                && subjects[..2].iter().any(|s| s.contains("Qatar")),
            "{subjects:?}"
        );
        // Both replicas serve all three edits.
        let both = Instant::now();
        for base in [&a, &b] {
            loop {
                let (o, q) = (position(base, "oman").await, position(base, "qatar").await);
                if o.contains("edited on A") && q.contains("edited on B") {
                    break;
                }
                assert!(
                    both.elapsed().as_secs() < 10,
                    "{base} lacks an edit: {}",
                    both_logs(&first, &second)
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        // Both replicas log to the one edit log, in the order the edits landed in git.
        let log = dossier::store::postgres::edits::PgLog::open(crate::stores::database(&database))
            .await
            .expect("the shared edit log");
        let logged = log.recent(None, 10).await.expect("edit log");
        assert_eq!(logged.len(), 3, "{logged:?}");
        let commits = git(&remote, &["log", "--format=%H", "main"]);
        let commits: Vec<&str> = commits.lines().take(3).collect();
        assert_eq!(
            logged
                .iter()
                .map(|e| e.git_commit.clone().unwrap_or_default())
                .collect::<Vec<_>>(),
            commits,
            "the edit log's order is git's order, newest first"
        );
        // History on B lists the edit made on A; undo on B reverts the newest edit wherever it
        // was made, and both replicas answer with the card as it was before it.
        let history = post_signed(&b, &command("history", &[], MANAGE_GUILD)).await;
        let history = history.to_string();
        assert!(
            history.contains("Iran") && history.contains("Oman") && history.contains("Qatar"),
            "{history}"
        );
        let newest = &logged[0];
        let (undone_actor, undone_text) = if newest.summary.contains("Oman") {
            ("oman", "edited on A")
        } else {
            ("qatar", "edited on B")
        };
        let undo = post_signed(&b, &command("undo", &[], "8")).await;
        let undo = undo_answer(&fake, undo).await;
        assert!(undo.contains("undone"), "{undo}");
        let undone = Instant::now();
        for base in [&a, &b] {
            while position(base, undone_actor).await.contains(undone_text) {
                assert!(
                    undone.elapsed().as_secs() < 10,
                    "{base} still serves the undone edit: {}",
                    both_logs(&first, &second)
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        let after = log.recent(None, 10).await.expect("edit log");
        assert_eq!(after.len(), 4);
        assert_eq!(
            after[0].undoes,
            Some(newest.id),
            "the undo names the edit it reverts"
        );

        // Edits back to back on both replicas (actors not edited yet today: a second new
        // entry on one day is refused as a duplicate date): each push makes the other replica
        // pull while its own next edit pulls too. None is refused, and all of them land.
        let pairs = [
            ("israel", "turkiye"),
            ("gulf-states", "pakistan"),
            ("united-states", "regional-allies"),
        ];
        for (round, (on_a, on_b)) in pairs.into_iter().enumerate() {
            let (text_a, text_b) = (
                format!("Edited on A in round {round}."),
                format!("Edited on B in round {round}."),
            );
            let (x, y) = tokio::join!(
                edit_stance(&a, &fake, on_a, &text_a),
                edit_stance(&b, &fake, on_b, &text_b),
            );
            for (done, text) in [(x, &text_a), (y, &text_b)] {
                assert!(
                    done.to_string().contains(text.as_str()),
                    "{done}\n{}",
                    both_logs(&first, &second)
                );
            }
        }
        let log_now = git(&remote, &["log", "--format=%s", "main"]);
        assert_eq!(log_now.lines().count(), 5 + 2 * pairs.len(), "{log_now}");

        // A channel's topic chosen on A is the one B answers from.
        let channel = "1400000000000000077";
        let mut set = command(
            "topic",
            &[("set", 3, serde_json::json!("iran-us-talks"))],
            MANAGE_GUILD,
        );
        set["channel_id"] = serde_json::json!(channel);
        set["channel"]["id"] = serde_json::json!(channel);
        let said = post_signed(&a, &set).await.to_string();
        assert!(said.contains("answers from"), "{said}");
        let chosen = Instant::now();
        loop {
            let mut ask = command("topic", &[], "0");
            ask["channel_id"] = serde_json::json!(channel);
            ask["channel"]["id"] = serde_json::json!(channel);
            let told = post_signed(&b, &ask).await.to_string();
            if told.contains("chosen by") {
                break;
            }
            assert!(
                chosen.elapsed() < std::time::Duration::from_secs(3),
                "B does not know A's choice of topic: {told}\n{}",
                both_logs(&first, &second)
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        eprintln!(
            "an edit on A answered by B after {seen:?}; a topic set on A known to B after {:?}",
            chosen.elapsed()
        );
        drop((first, second));
    });
}
