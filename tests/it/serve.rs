//! `dossier serve` as an operator runs it, as a child process: SIGTERM with an answer in flight
//! finishes it and exits 0; SIGHUP reloads; JSON logs; `/readyz` once the doors connect; a
//! door that stops is logged by name and ends the process; no secret in any log line at any
//! level; `config check` and `health`.

use crate::common::*;
use crate::discord_support::*;
use crate::fake_discord::{APP_ID, Fake};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `dossier serve`, its stderr collected line by line as it comes.
pub struct Serve {
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Serve {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().expect("lock").join("\n")
    }

    /// Stop it and return what it logged.
    pub fn stop_and_read_logs(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The reader thread ends with the pipe.
        std::thread::sleep(Duration::from_millis(100));
        self.logs()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([format!("-{sig}"), self.pid().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Wait for it to exit, up to `secs`.
    pub fn wait_exit(&mut self, secs: u64) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                std::thread::sleep(Duration::from_millis(100));
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not exit; logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait until a log line holds `text`.
    pub async fn wait_log(&self, secs: u64, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.logs().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no log line with {text:?}; logs:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `dossier serve --config FILE` with the token given (or none), and `extra` environment.
pub fn serve_with(
    config: &Path,
    token: Option<&str>,
    extra: &[(&str, &str)],
    args: &[&str],
) -> Serve {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dossier"));
    c.args(["serve", "--config"])
        .arg(config)
        .args(args)
        .env("DOSSIER_TODAY", "2026-11-25")
        .env_remove("DISCORD_TOKEN")
        .env_remove("MATRIX_PASSWORD")
        .env_remove("RUST_LOG")
        .env_remove("MIMALLOC_ALLOW_THP");
    if let Some(t) = token {
        c.env("DISCORD_TOKEN", t);
    }
    for (k, v) in extra {
        c.env(k, v);
    }
    let mut child = c
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let logs: Arc<Mutex<Vec<String>>> = Arc::default();
    let stderr = child.stderr.take().expect("stderr");
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().expect("lock").push(line);
        }
    });
    Serve { child, logs }
}

pub fn serve(config: &Path, token: Option<&str>) -> Serve {
    serve_with(config, token, &[], &[])
}

/// A config for the HTTP endpoint on a free port; returns it and the base URL.
fn endpoint_config(dir: &Path, briefings: &Path, extra: &str) -> (std::path::PathBuf, String) {
    let port = free_port();
    let cfg = dir.join("dossier.toml");
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"{}\"\nstate = \"state\"\n\n[discord]\napplication_id = \"{APP_ID}\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:{port}\"\n{extra}",
            briefings.display(),
            public_key_hex()
        ),
    )
    .expect("write config");
    (cfg, format!("http://127.0.0.1:{port}"))
}

pub(crate) async fn wait_up(base: &str, serving: &Serve) {
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("serve did not come up; logs:\n{}", serving.logs());
}

pub(crate) async fn post_signed(base: &str, body: &Value) -> Value {
    let body = serde_json::to_vec(body).expect("json");
    let ts = chrono::Utc::now().timestamp().to_string();
    reqwest::Client::new()
        .post(format!("{base}/interactions"))
        .header("x-signature-ed25519", sign(&signing_key(), &ts, &body))
        .header("x-signature-timestamp", ts)
        .body(body)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json")
}

#[test]
fn sigterm_finishes_the_answer_in_flight_and_exits_0() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        fake.delay_edits(Duration::from_millis(1500));
        let dir = tempfile::tempdir().expect("tempdir");
        // Every answer is deferred, then completed by an edit the fake holds for 1.5 s.
        let (cfg, base) = endpoint_config(
            dir.path(),
            &bundled(),
            &format!("defer_after_ms = 0\napi_proxy = \"{}\"\n", fake.base()),
        );
        let mut serving = serve(&cfg, None);
        wait_up(&base, &serving).await;
        let ack = post_signed(
            &base,
            &with_token(
                command("position", &[("actor", 3, json!("oman"))], "0"),
                "1100000000000000077",
                "tok-term",
            ),
        )
        .await;
        assert_eq!(ack["type"], 5, "deferred: {ack}");
        let signalled = Instant::now();
        serving.signal("TERM");
        let status = tokio::task::spawn_blocking(move || {
            let s = serving.wait_exit(20);
            (s, serving)
        })
        .await
        .expect("wait");
        let (status, serving) = status;
        let took = signalled.elapsed();
        assert_eq!(status.code(), Some(0), "logs:\n{}", serving.logs());
        let edits = fake.requests_to("PATCH", "/webhooks/");
        assert_eq!(edits.len(), 1, "the answer in flight was sent");
        assert!(
            edits[0].body["embeds"][0]["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Oman")),
            "{}",
            edits[0].body
        );
        assert!(
            took >= Duration::from_millis(1400),
            "it waited for the edit: {took:?}"
        );
        let logs = serving.logs();
        assert!(logs.contains("SIGTERM: shutting down"), "{logs}");
        assert!(logs.contains("stopped"), "{logs}");
    });
}

#[test]
fn sighup_reloads_and_json_logs_are_one_object_a_line() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cfg, base) = endpoint_config(dir.path(), &bundled(), "");
        let mut serving = serve_with(&cfg, None, &[], &["--log-format", "json"]);
        wait_up(&base, &serving).await;
        serving.signal("HUP");
        serving.wait_log(10, "reloaded the cards").await;
        serving.signal("TERM");
        let status = serving.wait_exit(15);
        assert_eq!(status.code(), Some(0));
        let logs = serving.logs();
        let lines: Vec<Value> = logs
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        let reload = lines
            .iter()
            .find(|l| l["message"] == "reloaded the cards")
            .expect("a reload line");
        assert_eq!(reload["trigger"], "SIGHUP", "{reload}");
        assert_eq!(reload["level"], "INFO");
        assert!(reload["topics"].as_u64().is_some_and(|n| n >= 1));
    });
}

/// `serve` keeps out of transparent huge pages, which made its memory creep up over reloads,
/// unless the operator asks for them through mimalloc's own variable.
#[cfg(target_os = "linux")]
#[test]
fn serve_keeps_out_of_transparent_huge_pages_unless_asked() {
    fn thp_enabled(pid: u32) -> Option<String> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("THP_enabled:"))
            .map(|v| v.trim().to_string())
    }
    runtime().block_on(async {
        for (asked, expected) in [(None, "0"), (Some("1"), "1")] {
            let dir = tempfile::tempdir().expect("tempdir");
            let (cfg, base) = endpoint_config(dir.path(), &bundled(), "");
            let extra: Vec<(&str, &str)> = asked
                .map(|v| vec![("MIMALLOC_ALLOW_THP", v)])
                .unwrap_or_default();
            let serving = serve_with(&cfg, None, &extra, &[]);
            wait_up(&base, &serving).await;
            let Some(got) = thp_enabled(serving.pid()) else {
                eprintln!("this kernel does not report THP_enabled; nothing to check");
                serving.stop_and_read_logs();
                return;
            };
            assert_eq!(got, expected, "MIMALLOC_ALLOW_THP={asked:?}");
            serving.stop_and_read_logs();
        }
    });
}

#[test]
fn a_web_only_deployment_serves_its_pages() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let cfg = dir.path().join("dossier.toml");
        // What the README's "On the web" section shows, and no chat door.
        std::fs::write(
            &cfg,
            format!(
                "briefings = \"{}\"\nstate = \"state\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n[web]\npublic_url = \"https://briefings.example.org\"\n",
                bundled().display()
            ),
        )
        .expect("write config");
        let checked = dossier(&["config", "check", "--config", cfg.to_str().expect("utf-8")]);
        assert!(
            checked.status.success(),
            "{}",
            String::from_utf8_lossy(&checked.stderr)
        );
        let serving = serve(&cfg, None);
        let base = format!("http://127.0.0.1:{port}");
        wait_up(&base, &serving).await;
        let client = reqwest::Client::new();
        let home = client.get(format!("{base}/")).send().await.expect("get /");
        assert_eq!(home.status().as_u16(), 200);
        let html = home.text().await.expect("body");
        assert!(html.contains("/t/iran-us-talks"), "{html}");
        let ready = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status().as_u16(), 200);
        let body: Value = ready.json().await.expect("json");
        assert!(body.to_string().contains("web pages"), "{body}");
        let logs = serving.stop_and_read_logs();
        assert!(!logs.contains("opens no door"), "{logs}");
    });
}

#[test]
fn readyz_once_every_door_is_connected() {
    runtime().block_on(async {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let (cfg, base) = endpoint_config(
            dir.path(),
            &bundled(),
            &format!("gateway = true\napi_proxy = \"{}\"\n", fake.base()),
        );
        let serving = serve(&cfg, Some("ready-token"));
        wait_up(&base, &serving).await;
        fake.wait_for_gateway(30, "IDENTIFY", |ops| ops.contains(&2))
            .await;
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let body: Value = loop {
            let r = client
                .get(format!("{base}/readyz"))
                .send()
                .await
                .expect("readyz");
            let ok = r.status().as_u16() == 200;
            let body: Value = r.json().await.expect("json");
            if ok {
                break body;
            }
            assert!(Instant::now() < deadline, "never ready: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let doors: Vec<&str> = body["doors"]
            .as_array()
            .expect("doors")
            .iter()
            .filter_map(|d| d["name"].as_str())
            .collect();
        assert!(
            doors.contains(&"Discord gateway") && doors.contains(&"Discord interactions endpoint"),
            "{body}"
        );
        // The gateway's socket drops: not ready until it is back.
        fake.drop_socket();
        let logs = serving.stop_and_read_logs();
        assert!(!logs.contains("ready-token"), "{logs}");
    });
}

#[test]
fn a_door_that_stops_is_named_and_no_secret_reaches_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("dossier.toml");
    // Nothing listens on that port: the Matrix door cannot log in and stops.
    let dead = free_port();
    std::fs::write(
        &cfg,
        format!(
            "briefings = \"{}\"\nstate = \"state\"\n\n[matrix]\nhomeserver = \"http://127.0.0.1:{dead}\"\nuser = \"@dossier:localhost\"\n",
            bundled().display()
        ),
    )
    .expect("write");
    let mut serving = serve_with(
        &cfg,
        None,
        &[
            ("MATRIX_PASSWORD", "hunter2-very-secret"),
            ("MATRIX_STORE_PASSPHRASE", "store-passphrase-secret"),
            ("RUST_LOG", "trace"),
        ],
        &[],
    );
    let status = serving.wait_exit(120);
    let logs = serving.logs();
    assert_eq!(status.code(), Some(1), "{logs}");
    assert!(
        logs.lines()
            .any(|l| l.contains("the door stopped") && l.contains("Matrix")),
        "{logs}"
    );
    for secret in ["hunter2-very-secret", "store-passphrase-secret"] {
        assert!(!logs.contains(secret), "{secret} in the log");
    }
}

fn dossier(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(args)
        .env("DOSSIER_TODAY", "2026-11-25")
        .env_remove("DISCORD_TOKEN")
        .env_remove("DOSSIER_CONFIG")
        .output()
        .expect("run dossier")
}

#[test]
fn config_check_reports_like_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (good, _) = endpoint_config(dir.path(), &bundled(), "");
    let out = dossier(&["config", "check", "--config", good.to_str().expect("utf-8")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("valid") && stdout.contains("POST http://127.0.0.1:"),
        "{stdout}"
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "briefings = \"b\"\n[discord]\napplication_id = \"1\"\ngatewy = true\n",
    )
    .expect("write");
    let out = dossier(&["config", "check", "--config", bad.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("bad.toml:4:1") && err.contains("did you mean `gateway`?"),
        "{err}"
    );

    let wrong_topic = dir.path().join("topic.toml");
    std::fs::write(
        &wrong_topic,
        format!(
            "briefings = \"{}\"\ndefault_topic = \"iran-us-talk\"\n[discord]\napplication_id = \"1\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:1\"\n",
            bundled().display(),
            public_key_hex()
        ),
    )
    .expect("write");
    let out = dossier(&[
        "config",
        "check",
        "--config",
        wrong_topic.to_str().expect("utf-8"),
    ]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("names no loaded topic") && text.contains("`iran-us-talks`"),
        "{text}"
    );

    let conflict = dir.path().join("conflict.toml");
    std::fs::write(
        &conflict,
        format!(
            "briefings = \"{}\"\n[http]\nlisten = \"127.0.0.1:9000\"\n[discord]\napplication_id = \"1\"\npublic_key = \"{}\"\ninteractions_listen = \"127.0.0.1:9001\"\n",
            bundled().display(),
            public_key_hex()
        ),
    )
    .expect("write");
    let out = dossier(&[
        "config",
        "check",
        "--config",
        conflict.to_str().expect("utf-8"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("one HTTP listener"), "{err}");

    let out = dossier(&["config", "check", "--config", "/nonexistent/dossier.toml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn health_probes_a_running_serve() {
    runtime().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cfg, base) = endpoint_config(dir.path(), &bundled(), "");
        let serving = serve(&cfg, None);
        wait_up(&base, &serving).await;
        let addr = base.trim_start_matches("http://");
        let out = dossier(&["health", "--addr", addr]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        drop(serving);
        let out = dossier(&["health", "--addr", addr, "--timeout", "1"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("unhealthy"));
    });
}
