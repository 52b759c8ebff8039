//! Helpers shared by the integration tests: fixture trees copied to temp dirs, and libraries.

use chrono::NaiveDate;
use dossier::cards::{self, Loaded};
use dossier::library::Library;
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bundled() -> PathBuf {
    repo().join("briefings")
}

pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures")
}

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

/// The day the fixture tests run "on".
pub fn fixture_today() -> NaiveDate {
    day("2026-03-25")
}

/// The day the bundled-topic tests run "on".
pub fn bundled_today() -> NaiveDate {
    day("2026-11-25")
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("entry");
        let dest = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).expect("copy");
        }
    }
}

/// A temp briefings folder holding the small valid fixture topic.
pub fn small_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixtures().join("valid/small"), dir.path());
    dir
}

pub fn load(root: &Path, today: NaiveDate) -> Loaded {
    cards::load(root, today).expect("briefings folder readable")
}

pub fn bundled_library() -> Library {
    let loaded = load(&bundled(), bundled_today());
    assert!(!loaded.report.has_errors(), "{}", loaded.report.human());
    Library::new(loaded.topics)
}

/// "error[code] rel/path:line:col" for each diagnostic, relative to `root`.
pub fn diag_lines(loaded: &Loaded, root: &Path) -> Vec<String> {
    loaded
        .report
        .diagnostics
        .iter()
        .map(|d| {
            let rel = d
                .path
                .strip_prefix(root)
                .unwrap_or(&d.path)
                .display()
                .to_string();
            let sev = if d.is_error() { "error" } else { "warning" };
            if d.line > 0 {
                format!("{sev}[{}] {rel}:{}:{}", d.code, d.line, d.column)
            } else {
                format!("{sev}[{}] {rel}", d.code)
            }
        })
        .collect()
}

/// The human report with the temp dir replaced by `briefings`, for snapshots.
pub fn human(loaded: &Loaded, root: &Path) -> String {
    loaded
        .report
        .human()
        .replace(&root.display().to_string(), "briefings")
}

/// A two-thread async runtime for tests that talk to servers on loopback.
#[cfg_attr(not(any(feature = "discord", feature = "matrix")), allow(dead_code))]
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A TCP port on 127.0.0.1 that was free a moment ago, for servers started as child processes.
#[cfg_attr(not(any(feature = "discord", feature = "matrix")), allow(dead_code))]
/// Add `lines` (whole tables) at the end of the config file at `cfg`.
pub fn add_to_config(cfg: &std::path::Path, lines: &str) {
    let mut text = std::fs::read_to_string(cfg).expect("config");
    text.push('\n');
    text.push_str(lines);
    std::fs::write(cfg, text).expect("config");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Every store in the state folder `dir`'s one file, as `serve` opens them.
pub async fn state_stores(dir: &std::path::Path) -> dossier::store::Stores {
    dossier::store::Stores::in_folder_async(dir)
        .await
        .expect("state folder")
}

/// The places' topics kept in the state folder `dir`.
pub async fn places_in(dir: &std::path::Path) -> dossier::places::Places {
    dossier::places::Places::open(state_stores(dir).await.places)
        .await
        .expect("places")
}

/// The change feed kept in the state folder `dir`.
pub async fn feed_in(dir: &std::path::Path) -> dossier::feed::Feed {
    dossier::feed::Feed::open(state_stores(dir).await.feed)
        .await
        .expect("feed")
}

/// [`feed_in`] from code that cannot wait (inside a multi-threaded runtime).
pub fn feed_in_now(dir: &std::path::Path) -> dossier::feed::Feed {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(feed_in(dir)))
}

/// `git -C dir args…`, which must succeed; what it printed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs (the tests need the git program)");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Make `dir` a git work tree with everything in it committed, by a setup identity.
pub fn commit_as_setup(dir: &Path) {
    let setup = [
        "-c",
        "user.name=Setup",
        "-c",
        "user.email=setup@example.invalid",
    ];
    git(dir, &["init", "--quiet"]);
    git(dir, &[&setup[..], &["add", "."]].concat());
    git(
        dir,
        &[&setup[..], &["commit", "--quiet", "-m", "cards"]].concat(),
    );
}

/// Serve `app` on a free port of 127.0.0.1 in the background; the port.
pub async fn serve_loopback(app: axum::Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    port
}
