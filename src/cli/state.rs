//! `dossier state migrate --from state/ --to postgres://user@host/db`: copy one process's
//! SQLite state (the schedules: subscriptions, the posts already made, the snapshots each place
//! was last sent; the edit log and the members' suggestions; the places' topics; the change
//! feed) into the PostgreSQL database replicas share, ids and history kept, so no briefing is
//! posted again, no edit is lost and the feed keeps its entries' ids. Idempotent: rows already
//! in the target are left as they are, and running it twice adds nothing. A target that already
//! holds subscriptions or edits is refused unless `--into-non-empty` says to add to it. The
//! password comes from `PGPASSWORD` or `--password-file`, never the address.

use crate::config::{PostgresConfig, Secret};
use crate::desk::{EditStore, PgLog, SqliteLog};
use crate::scheduler::{PgStore, SqliteStore};
use crate::service::postgres::Database;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Copy a SQLite state folder's schedules and edit log into a PostgreSQL database.
    Migrate(MigrateArgs),
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The state folder `serve` used (it holds schedules.sqlite3 and edits.sqlite3).
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// The database: postgres://user@host:5432/db (no password in it; `?sslmode=verify-full`
    /// and --ca-file to check the server's certificate).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The certificate authority (PEM) for `sslmode=verify-ca` or `verify-full`.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// A file holding the database password (else PGPASSWORD).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Add to a database that already holds subscriptions (rows already there are kept).
    #[arg(long)]
    pub into_non_empty: bool,
}

pub fn run(cmd: Cmd) -> ExitCode {
    match cmd {
        Cmd::Migrate(a) => match migrate(a) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}

fn password(a: &MigrateArgs) -> Result<Option<Secret>, String> {
    match &a.password_file {
        Some(f) => {
            let t = std::fs::read_to_string(f)
                .map_err(|e| format!("cannot read the password file {}: {e}", f.display()))?;
            let t = t.trim_end_matches(['\n', '\r']);
            if t.is_empty() {
                return Err(format!("the password file {} is empty", f.display()));
            }
            Ok(Some(Secret::new(t)))
        }
        None => Ok(std::env::var("PGPASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(Secret::new)),
    }
}

fn migrate(a: MigrateArgs) -> Result<(), String> {
    use std::str::FromStr as _;
    let plain = crate::config::sslmode(&a.to)
        .map(|(plain, _)| plain)
        .map_err(|e| format!("`--to` is not a PostgreSQL address: {e}"))?;
    let parsed = tokio_postgres::Config::from_str(&plain).map_err(|_| {
        "`--to` is not a PostgreSQL address: write it as postgres://user@host:5432/database"
            .to_owned()
    })?;
    if parsed.get_password().is_some() {
        return Err(
            "`--to` must not hold the password: set PGPASSWORD, or use --password-file".into(),
        );
    }
    let schedules = a.from.join("schedules.sqlite3");
    let edits = a.from.join("edits.sqlite3");
    if !schedules.exists() && !edits.exists() {
        return Err(format!(
            "{} holds neither schedules.sqlite3 nor edits.sqlite3: name the folder `serve` used as its `state`",
            a.from.display()
        ));
    }
    let pg = PostgresConfig {
        address: a.to.clone(),
        password: password(&a)?,
        ca_file: a.ca_file.clone(),
    };
    let dump = match schedules.exists() {
        true => Some(
            SqliteStore::open(&schedules)
                .and_then(|s| s.dump())
                .map_err(|e| e.to_string())?,
        ),
        false => None,
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let log = match edits.exists() {
            true => Some(
                SqliteLog::open(&edits)
                    .map_err(|e| e.to_string())?
                    .dump()
                    .await
                    .map_err(|e| e.to_string())?,
            ),
            false => None,
        };
        let db = Database::new(&pg)?;
        let name = db.name.clone();
        let target = PgStore::open(db.clone()).await.map_err(|e| e.to_string())?;
        let target_log = PgLog::open(db.clone()).await.map_err(|e| e.to_string())?;
        let there = target
            .subscription_count()
            .await
            .map_err(|e| e.to_string())?;
        let logged = target_log
            .recent(None, 1)
            .await
            .map_err(|e| e.to_string())?
            .len();
        if (there > 0 || logged > 0) && !a.into_non_empty {
            return Err(format!(
                "{name} already holds {}; nothing was copied. Pass --into-non-empty to add to it (rows already there are kept, none is duplicated)",
                match (there, logged) {
                    (0, _) => "edits from chat".to_owned(),
                    (n, 0) => format!("{n} subscription(s)"),
                    (n, _) => format!("{n} subscription(s) and edits from chat"),
                }
            ));
        }
        if let Some(dump) = &dump {
            let loaded = target.load(dump).await.map_err(|e| e.to_string())?;
            println!(
                "copied from {} into {name}: {} of {} subscriptions, {} of {} posts, {} of {} snapshots (the rest were there already)",
                schedules.display(),
                loaded.subscriptions,
                dump.subscriptions.len(),
                loaded.posts,
                dump.posts.len(),
                loaded.snapshots,
                dump.snapshots.len()
            );
        }
        if let Some(log) = &log {
            let loaded = target_log.load(log).await.map_err(|e| e.to_string())?;
            println!(
                "copied from {} into {name}: {} of {} edits, {} of {} suggestions (the rest were there already)",
                edits.display(),
                loaded.edits,
                log.edits.len(),
                loaded.suggestions,
                log.suggestions.len(),
            );
        }
        let places = a.from.join("places.sqlite3");
        if places.exists() {
            let rows = crate::places::Places::open(&places)
                .map_err(|e| e.to_string())?
                .rows();
            let shared = crate::places::Places::open_shared(db.clone())
                .await
                .map_err(|e| e.to_string())?;
            let added = shared.load_shared(&rows).await.map_err(|e| e.to_string())?;
            println!(
                "copied from {} into {name}: {added} of {} places' topics (the rest were there already)",
                places.display(),
                rows.len()
            );
        }
        let feed = a.from.join("feed.sqlite3");
        if feed.exists() {
            let dump = crate::feed::Feed::open(&feed)
                .and_then(|f| f.dump())
                .map_err(|e| e.to_string())?;
            let shared = crate::feed::Feed::open_shared(db.clone())
                .await
                .map_err(|e| e.to_string())?;
            let added = shared.load_shared(&dump).await.map_err(|e| e.to_string())?;
            println!(
                "copied from {} into {name}: {added} of {} feed entries (the rest were there already)",
                feed.display(),
                dump.entries.len()
            );
        }
        Ok(())
    })
}
