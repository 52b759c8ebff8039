//! `dossier state migrate --from state/ --to postgres://user@host/db`: copy one process's
//! state (the schedules: subscriptions, the posts already made, the snapshots each place
//! was last sent; the edit log and the members' suggestions; the places' topics; the change
//! feed) into the PostgreSQL database replicas share, ids and history kept, so no briefing is
//! posted again, no edit is lost and the feed keeps its entries' ids. Idempotent: rows already
//! in the target are left as they are, and running it twice adds nothing. A target that already
//! holds subscriptions or edits is refused unless `--into-non-empty` says to add to it. The
//! password comes from `PGPASSWORD` or `--password-file`, never the address.

use crate::config::{PostgresConfig, Secret};
use crate::store::Stores;
use crate::store::edits::EditStore as _;
use crate::store::feed::FeedStore as _;
use crate::store::places::PlaceStore as _;
use crate::store::postgres::Database;
use crate::store::postgres::edits::PgLog;
use crate::store::postgres::feed::PgFeed;
use crate::store::postgres::places::PgPlaces;
use crate::store::postgres::schedules::PgStore;
use crate::store::sqlite::{Db, schedules::SqliteStore};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Copy a state folder's schedules, edit log, places' topics and change feed into a
    /// PostgreSQL database.
    Migrate(MigrateArgs),
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The state folder `serve` used (it holds dossier.sqlite3, or the files of earlier
    /// versions, which are first brought into it).
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
    let parsed = crate::store::postgres::address(&a.to).map_err(|_| {
        "`--to` is not a PostgreSQL address: write it as postgres://user@host:5432/database"
            .to_owned()
    })?;
    if parsed.has_password {
        return Err(
            "`--to` must not hold the password: set PGPASSWORD, or use --password-file".into(),
        );
    }
    let files = [
        crate::store::sqlite::FILE,
        "schedules.sqlite3",
        "edits.sqlite3",
        "places.sqlite3",
        "feed.sqlite3",
    ];
    if !files.iter().any(|f| a.from.join(f).is_file()) {
        return Err(format!(
            "{} holds no dossier state ({}): name the folder `serve` used as its `state`",
            a.from.display(),
            crate::store::sqlite::FILE
        ));
    }
    let pg = PostgresConfig {
        address: a.to.clone(),
        password: password(&a)?,
        ca_file: a.ca_file.clone(),
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        // The folder is brought to its one file first, as `serve` would.
        let file_db = Db::open_async(&a.from).await.map_err(|e| e.to_string())?;
        let from = Stores::over_file(file_db.clone());
        let file = a.from.join(crate::store::sqlite::FILE);
        let file = file.display();
        let dump = SqliteStore::new(file_db)
            .dump()
            .await
            .map_err(|e| e.to_string())?;
        let log = from.edits.dump().await.map_err(|e| e.to_string())?;
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
        let loaded = target.load(&dump).await.map_err(|e| e.to_string())?;
        println!(
            "copied from {file} into {name}: {} of {} subscriptions, {} of {} posts, {} of {} snapshots (the rest were there already)",
            loaded.subscriptions,
            dump.subscriptions.len(),
            loaded.posts,
            dump.posts.len(),
            loaded.snapshots,
            dump.snapshots.len()
        );
        let loaded = target_log.load(&log).await.map_err(|e| e.to_string())?;
        println!(
            "copied from {file} into {name}: {} of {} edits, {} of {} suggestions (the rest were there already)",
            loaded.edits,
            log.edits.len(),
            loaded.suggestions,
            log.suggestions.len(),
        );
        let rows = from.places.all().await.map_err(|e| e.to_string())?;
        let shared = PgPlaces::open(db.clone())
            .await
            .map_err(|e| e.to_string())?;
        let added = shared.load(&rows).await.map_err(|e| e.to_string())?;
        println!(
            "copied from {file} into {name}: {added} of {} places' topics (the rest were there already)",
            rows.len()
        );
        let feed = from.feed.read(usize::MAX).await.map_err(|e| e.to_string())?;
        let shared = PgFeed::open(db.clone()).await.map_err(|e| e.to_string())?;
        let added = shared.load(&feed).await.map_err(|e| e.to_string())?;
        println!(
            "copied from {file} into {name}: {added} of {} feed entries (the rest were there already)",
            feed.entries.len()
        );
        Ok(())
    })
}
