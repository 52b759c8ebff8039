//! A real Synapse homeserver for tests: installed from PyPI into a cached virtualenv on first
//! use (scripts/synapse-venv), configured with SQLite, relaxed rate limits and shared-secret
//! registration, started on 127.0.0.1 and stopped by its pid.

use crate::common::free_port;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SECRET: &str = "dossier-test-registration-secret";

pub struct Synapse {
    pub dir: tempfile::TempDir,
    pub port: u16,
    venv: PathBuf,
    child: Option<Child>,
}

/// The virtualenv's path, installing Synapse the first time. The Synapse tests run in parallel
/// in this one process: the first to get here installs, the others wait for it (two installs
/// racing into one folder is what made a clean checkout fail). The script also takes a file
/// lock, for two test processes at once.
pub fn venv() -> PathBuf {
    static VENV: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    VENV.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new(root.join("scripts/synapse-venv"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/synapse-venv");
        assert!(out.status.success(), "installing Synapse failed");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
    .clone()
}

fn limits() -> String {
    let rc = "{per_second: 1000, burst_count: 1000}";
    format!(
        "rc_message: {rc}\nrc_registration: {rc}\nrc_login:\n  address: {rc}\n  account: {rc}\n  failed_attempts: {rc}\n\
         rc_joins:\n  local: {rc}\n  remote: {rc}\nrc_joins_per_room: {rc}\nrc_invites:\n  per_room: {rc}\n  per_user: {rc}\n  per_issuer: {rc}\n\
         rc_room_creation: {rc}\nrc_key_requests: {rc}\nrc_3pid_validation: {rc}\nrc_admin_redaction: {rc}\n"
    )
}

impl Synapse {
    pub fn start() -> Synapse {
        let venv = venv();
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let status = Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "synapse.app.homeserver",
                "--server-name",
                "localhost",
                "--config-path",
                "homeserver.yaml",
                "--generate-config",
                "--report-stats=no",
            ])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .status()
            .expect("generate synapse config");
        assert!(status.success());
        let test = format!(
            "listeners:\n  - port: {port}\n    bind_addresses: ['127.0.0.1']\n    type: http\n    tls: false\n    x_forwarded: false\n    resources:\n      - names: [client]\n        compress: false\n\
             registration_shared_secret: \"{SECRET}\"\nenable_registration: false\ntrusted_key_servers: []\nsuppress_key_server_warning: true\n\
             presence:\n  enabled: false\nreport_stats: false\nurl_preview_enabled: false\n{}",
            limits()
        );
        std::fs::write(dir.path().join("test.yaml"), test).expect("write test config");
        let mut s = Synapse {
            dir,
            port,
            venv,
            child: None,
        };
        s.spawn();
        s
    }

    /// A Synapse with these users registered, each with `password`.
    pub async fn with_users(users: &[&str], password: &str) -> Synapse {
        let synapse = tokio::task::spawn_blocking(Synapse::start)
            .await
            .expect("synapse");
        for u in users {
            synapse.register(u, password);
        }
        synapse
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("synapse.out")).expect("log");
        let child = Command::new(self.venv.join("bin/python"))
            .args([
                "-m",
                "synapse.app.homeserver",
                "-c",
                "homeserver.yaml",
                "-c",
                "test.yaml",
            ])
            .current_dir(self.dir.path())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start synapse");
        self.child = Some(child);
        self.wait_ready();
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = format!("127.0.0.1:{}", self.port);
        while Instant::now() < deadline {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                use std::io::{Read, Write};
                let _ = s
                    .write_all(b"GET /_matrix/client/versions HTTP/1.0\r\nHost: localhost\r\n\r\n");
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.path().join("synapse.out")).unwrap_or_default();
        panic!("Synapse did not become ready:\n{log}");
    }

    /// Register a user through the shared-secret admin API.
    pub fn register(&self, user: &str, password: &str) {
        let out = Command::new(self.venv.join("bin/register_new_matrix_user"))
            .args(["-k", SECRET, "-u", user, "-p", password, "--no-admin"])
            .arg(self.url())
            .output()
            .expect("register_new_matrix_user");
        assert!(
            out.status.success(),
            "registering {user}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stop and start again on the same database and port.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        self.stop();
    }
}
