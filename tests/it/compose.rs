//! The compose deployment run as a user runs it: `deploy/compose.yaml` exactly as shipped, with
//! the image built from the Dockerfile, PostgreSQL in its own container and two replicas, only
//! `replica.toml` filled in (the test key, and Discord's API at a fake Discord on the host's
//! side of the compose network) and the secrets written as the file's header says. Then:
//! both replicas come up ready on their published ports; the two gateway shards are split
//! between them; 20 briefings due a minute ago are posted once each; both answer
//! `/position iran`; an edit on replica A is answered by replica B within 3 s; the shard of a
//! SIGKILLed replica is connected again within 10 s; a stop ends both replicas with exit code 0;
//! and everything started at once on an empty database comes up ready.
//!
//! It needs podman, podman-compose and the images, so it is ignored by `cargo test`:
//! `tests/compose/run.sh` prepares all three and runs it.

use crate::common::*;
use crate::discord_support::public_key_hex;
use crate::fake_discord::{APP_ID, Fake};
use crate::replicas::{connected_shards, edit_stance, position};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The published ports of the two replicas (deploy/compose.yaml).
const A: &str = "http://127.0.0.1:8081";
const B: &str = "http://127.0.0.1:8082";
/// How many briefings fall due in the minute before the replicas start.
const DUE: usize = 20;

/// The compose tool (`COMPOSE`, default `podman-compose`) on the copied compose file.
fn compose(file: &Path, args: &[&str]) -> String {
    let tool = std::env::var("COMPOSE").unwrap_or_else(|_| "podman-compose".into());
    let mut parts = tool.split_whitespace();
    let mut cmd = Command::new(parts.next().expect("a compose command"));
    cmd.args(parts).arg("-f").arg(file).args(args);
    run(cmd)
}

fn podman(args: &[&str]) -> String {
    let mut cmd = Command::new("podman");
    cmd.args(args);
    run(cmd)
}

fn run(mut cmd: Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{said}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The container of a compose service, by the labels compose gives it.
fn container(service: &str) -> String {
    podman(&[
        "ps",
        "-a",
        "--filter",
        &format!("label=com.docker.compose.service={service}"),
        "--filter",
        "label=com.docker.compose.project=dossier",
        "--format",
        "{{.Names}}",
    ])
    .lines()
    .next()
    .unwrap_or_else(|| panic!("no container for {service}"))
    .to_owned()
}

/// The logs of both replicas, for a failure's message.
fn logs() -> String {
    ["replica-a", "replica-b"]
        .iter()
        .map(|s| {
            let name = container(s);
            let out = Command::new("podman")
                .args(["logs", "--tail", "60", &name])
                .output()
                .map(|o| {
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    )
                })
                .unwrap_or_default();
            format!("--- {s}\n{out}")
        })
        .collect()
}

/// The shipped compose file and replica.toml in a folder of their own, the config pointed at
/// `fake` with the test key and `DUE` briefings due a minute ago, and the two secrets.
fn deployment(dir: &Path, fake: &Fake) -> PathBuf {
    let deploy = dir.join("deploy");
    std::fs::create_dir_all(deploy.join("secrets")).expect("secrets");
    std::fs::copy(
        repo().join("deploy/compose.yaml"),
        deploy.join("compose.yaml"),
    )
    .expect("compose.yaml");
    let shipped =
        std::fs::read_to_string(repo().join("deploy/replica.toml")).expect("replica.toml");
    let mut config = shipped
        .replace("\"123456789012345678\"", &format!("\"{APP_ID}\""))
        .replace(
            "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
            &format!("\"{}\"", public_key_hex()),
        );
    assert_ne!(config, shipped, "replica.toml's placeholders moved");
    config.push_str(&format!("api_proxy = \"{}\"\n", fake.base()));
    let at = (chrono::Utc::now() - chrono::Duration::minutes(1)).format("%H:%M");
    for i in 0..DUE {
        config.push_str(&format!(
            "\n[[schedule]]\ntopic = \"iran-us-talks\"\nat = \"{at}\"\ntimezone = \"UTC\"\ndiscord_channel = \"{}\"\n",
            7_000 + i
        ));
    }
    std::fs::write(deploy.join("replica.toml"), config).expect("replica.toml");
    let password: String = (0..24)
        .map(|i| char::from(b'a' + ((std::process::id() as usize + i * 7) % 26) as u8))
        .collect();
    std::fs::write(deploy.join("secrets/db_password"), password).expect("password");
    std::fs::write(deploy.join("secrets/discord_token"), "compose-bot-token").expect("token");
    deploy.join("compose.yaml")
}

/// The gateway address of the network the database container is on: the host's side of it.
fn host_side() -> std::net::IpAddr {
    let inspect: Value =
        serde_json::from_str(&podman(&["inspect", &container("db")])).expect("inspect json");
    let networks = &inspect[0]["NetworkSettings"]["Networks"];
    networks
        .as_object()
        .and_then(|n| n.values().next())
        .and_then(|n| n["Gateway"].as_str())
        .and_then(|g| g.parse().ok())
        .unwrap_or_else(|| panic!("no gateway in {networks}"))
}

async fn ready(base: &str) -> bool {
    matches!(reqwest::get(format!("{base}/readyz")).await, Ok(r) if r.status().is_success())
}

async fn wait(secs: u64, what: &str, mut done: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done().await {
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "{what}: not within {secs} s\n{}",
            logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

#[test]
#[ignore = "needs podman, podman-compose and the images: run tests/compose/run.sh"]
fn the_compose_deployment_runs_two_replicas_that_share_the_work_and_fail_over() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        // The database first: its network is where the replicas will look for Discord. The
        // files are written again once the fake Discord's address on it is known.
        let probe = Fake::start().await;
        let file = deployment(dir.path(), &probe);
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "${{COMPOSE:-podman-compose}} -f {} down -v >/dev/null 2>&1",
                file.display()
            ))
            .status();
        compose(&file, &["up", "-d", "db"]);
        let fake = Fake::start_on(host_side(), 2).await;
        deployment(dir.path(), &fake);
        let started = Instant::now();
        compose(&file, &["up", "-d"]);
        let up = wait(240, "both replicas ready", async || {
            ready(A).await && ready(B).await
        })
        .await;
        eprintln!("compose up to both replicas ready: {:?}", started.elapsed().max(up));

        // The two shards, one on each replica.
        let split = wait(60, "each replica holding one shard", async || {
            let (a, b) = (connected_shards(A).await, connected_shards(B).await);
            a.len() == 1 && b.len() == 1 && a != b
        })
        .await;
        eprintln!("shards split after {split:?}");

        // Each due briefing posted once.
        wait(90, "every due briefing posted", async || {
            fake.channels_with_messages() == DUE
        })
        .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        for i in 0..DUE {
            let channel = (7_000 + i).to_string();
            assert_eq!(
                fake.messages_in(&channel).len(),
                1,
                "channel {channel}: {}",
                logs()
            );
        }

        // Both answer the interactions endpoint.
        for base in [A, B] {
            let answer = position(base, "iran").await;
            assert!(answer.contains("Iran"), "{base}: {answer}");
        }

        // An edit on A, answered by B.
        let done = edit_stance(A, &fake, "iran", "Changed in the compose run.").await;
        assert!(
            done.to_string().contains("Changed in the compose run"),
            "{done}\n{}",
            logs()
        );
        let seen = wait(3, "replica B answering with A's edit", async || {
            position(B, "iran")
                .await
                .contains("Changed in the compose run")
        })
        .await;
        eprintln!("an edit on A answered by B after {seen:?}");

        // SIGKILL the replica holding shard 0: the shard is connected again within 10 s.
        let (victim, survivor) = if connected_shards(A).await.contains(&0) {
            ("replica-a", B)
        } else {
            ("replica-b", A)
        };
        let gateways = fake.identified_shards().len();
        podman(&["kill", "--signal", "KILL", &container(victim)]);
        let killed = Instant::now();
        let back = wait(10, "shard 0 connected again", async || {
            fake.identified_shards()[gateways..]
                .iter()
                .any(|s| s[0] == 0)
                && (connected_shards(A).await.contains(&0)
                    || connected_shards(B).await.contains(&0))
        })
        .await;
        eprintln!(
            "SIGKILL of {victim} to shard 0 connected again: {back:?} (survivor {survivor} holds {:?})",
            connected_shards(survivor).await
        );
        assert!(killed.elapsed() < Duration::from_secs(11));

        // A stop: SIGTERM, the answers in flight finished, exit code 0.
        compose(&file, &["stop"]);
        for service in ["replica-a", "replica-b"] {
            let code = podman(&["inspect", "--format", "{{.State.ExitCode}}", &container(service)]);
            if service != victim || code.trim() != "137" {
                assert_eq!(code.trim(), "0", "{service} stopped with {code}");
            }
        }

        // Everything started at once on an empty database, as `up` does on a fresh machine
        // (podman before 4.6 does not wait for the database to be healthy; the replicas go with
        // it, as they depend on it): the replicas wait
        // for it, then serve.
        podman(&["rm", "--force", "--depend", &container("db")]);
        podman(&["volume", "rm", "dossier_db"]);
        let fresh = Instant::now();
        compose(&file, &["up", "-d"]);
        wait(180, "both replicas ready on a fresh database", async || {
            ready(A).await && ready(B).await
        })
        .await;
        eprintln!("fresh database: both replicas ready after {:?}", fresh.elapsed());
        for base in [A, B] {
            let answer = position(base, "iran").await;
            assert!(answer.contains("Iran"), "{base}: {answer}");
        }
        compose(&file, &["down", "-v"]);
    });
}

/// The image's build stage copies every file the sources embed (`include_bytes!`,
/// `include_str!`): the Dockerfile once lacked the chart's font, and only an image build showed
/// it.
#[test]
fn the_image_build_copies_every_file_the_sources_embed() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).expect("Dockerfile");
    let build = dockerfile
        .split("\nFROM ")
        .find(|stage| stage.starts_with("chef AS build"))
        .expect("a build stage");
    let copied: Vec<PathBuf> = build
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words[..words.len() - 1]
                .iter()
                .map(|w| repo().join(w))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut embedded = Vec::new();
    let mut stack = vec![repo().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for macro_ in ["include_bytes!(\"", "include_str!(\""] {
                for (at, _) in text.match_indices(macro_) {
                    let rest = &text[at + macro_.len()..];
                    let rel = &rest[..rest.find('"').expect("a closing quote")];
                    let file = path.parent().expect("dir").join(rel);
                    embedded.push(std::fs::canonicalize(&file).unwrap_or(file));
                }
            }
        }
    }
    assert!(embedded.len() >= 2, "found {embedded:?}");
    for file in embedded {
        assert!(
            copied.iter().any(|c| file.starts_with(c)),
            "{} is embedded by the sources but the Dockerfile's build stage does not copy it \
             (it copies {copied:?})",
            file.display()
        );
    }
}
