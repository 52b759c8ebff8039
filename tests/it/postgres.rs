//! A real PostgreSQL server for tests: Debian's `postgresql` programs (found under
//! /usr/lib/postgresql/*/bin, or in `DOSSIER_PG_BIN`), a cluster made once per test run with
//! `initdb` and copied for each test, started on 127.0.0.1 on a free port with trust
//! authentication, and stopped when the test's handle drops. As root (CI), the programs run as
//! the `postgres` user, which they insist on.

use crate::common::free_port;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The database user the tests connect as.
pub const USER: &str = "dossier";

/// The folder with `initdb`, `pg_ctl` and `postgres`.
fn bin() -> PathBuf {
    if let Ok(b) = std::env::var("DOSSIER_PG_BIN") {
        return PathBuf::from(b);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .filter(|p| p.join("initdb").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().expect(
        "PostgreSQL's programs are not installed: `apt-get install postgresql` (scripts/test does), or set DOSSIER_PG_BIN",
    )
}

fn as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A command for one of PostgreSQL's programs, run as `postgres` when we are root.
fn program(name: &str) -> Command {
    let path = bin().join(name);
    if as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    }
}

fn run(mut c: Command, what: &str) {
    let out = c
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Let the `postgres` user into a folder we made.
fn hand_over(dir: &Path) {
    if as_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.args(["-R", "postgres:postgres"]).arg(dir);
                c
            },
            "chown",
        );
    }
}

/// A fresh folder the `postgres` user can reach.
fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("dossier-pg-")
        .tempdir()
        .expect("tempdir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    dir
}

/// The cluster every test copies: `initdb` once per test run (it takes a few seconds).
fn template() -> &'static Path {
    static TEMPLATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let dir = open_tempdir();
            let data = dir.path().join("data");
            hand_over(dir.path());
            let mut c = program("initdb");
            c.arg("-D").arg(&data).args([
                "-U",
                USER,
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]);
            run(c, "initdb");
            dir
        })
        .path()
}

/// One running server, stopped on drop.
pub struct Postgres {
    dir: tempfile::TempDir,
    pub port: u16,
    /// Whether it serves TLS (`server.crt` and `server.key` in its data folder).
    tls: bool,
}

impl Postgres {
    pub fn start() -> Postgres {
        Postgres::start_with(None)
    }

    /// A server with `ssl=on`, presenting the certificate `cert` (PEM) with its key `key`.
    pub fn start_with_tls(cert: &str, key: &str) -> Postgres {
        Postgres::start_with(Some((cert, key)))
    }

    fn start_with(tls: Option<(&str, &str)>) -> Postgres {
        let dir = open_tempdir();
        run(
            {
                let mut c = Command::new("cp");
                c.arg("-a").arg(template().join("data")).arg(dir.path());
                c
            },
            "copying the template cluster",
        );
        if let Some((cert, key)) = tls {
            let data = dir.path().join("data");
            std::fs::write(data.join("server.crt"), cert).expect("server.crt");
            std::fs::write(data.join("server.key"), key).expect("server.key");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                // PostgreSQL refuses a key others can read.
                std::fs::set_permissions(
                    data.join("server.key"),
                    std::fs::Permissions::from_mode(0o600),
                )
                .expect("chmod");
            }
        }
        hand_over(dir.path());
        let pg = Postgres {
            dir,
            port: free_port(),
            tls: tls.is_some(),
        };
        pg.up();
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Start (again) on the same port and data.
    pub fn up(&self) {
        let mut c = program("pg_ctl");
        let tls = if self.tls {
            " -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
        } else {
            ""
        };
        c.arg("-D").arg(self.data()).arg("-o").arg(format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200{tls}",
            self.port,
            self.data().display()
        ));
        c.args(["-w", "-l"])
            .arg(self.dir.path().join("log"))
            .arg("start");
        run(c, "pg_ctl start");
    }

    /// Stop at once, as a crash would (no checkpoint).
    pub fn down(&self) {
        let mut c = program("pg_ctl");
        c.arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"]);
        run(c, "pg_ctl stop");
    }

    /// The address of a new, empty database on this server.
    pub fn database(&self, name: &str) -> String {
        let mut c = Command::new(bin().join("psql"));
        c.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER])
            .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc"])
            .arg(format!("CREATE DATABASE \"{name}\""));
        run(c, "createdb");
        self.address(name)
    }

    pub fn address(&self, name: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{name}", self.port)
    }

    /// A query's output, one line per row (psql's unaligned form), for checks.
    pub fn query(&self, db: &str, sql: &str) -> String {
        let out = Command::new(bin().join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER])
            .args(["-d", db, "-v", "ON_ERROR_STOP=1", "-XAtc", sql])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut c = program("pg_ctl");
        c.arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = c.status();
    }
}
