//! `dossier state migrate --from state/ --to postgres://user@host/db`: copy one process's
//! SQLite schedules (subscriptions, the posts already made, the snapshots each place was last
//! sent) into the PostgreSQL database replicas share, ids and history kept, so no briefing is
//! posted again and none is lost. Idempotent: rows already in the target are left as they are,
//! and running it twice adds nothing. A target that already holds subscriptions is refused
//! unless `--into-non-empty` says to add to it. The password comes from `PGPASSWORD` or
//! `--password-file`, never the address. The edit log, the places' topics and the feed stay in
//! the folder (give it to the replica that edits as its `local_state`).

use crate::config::{PostgresConfig, Secret};
use crate::scheduler::{PgStore, SqliteStore};
use crate::service::postgres::Database;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Copy a SQLite state folder's schedules into a PostgreSQL database.
    Migrate(MigrateArgs),
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The state folder `serve` used (it holds schedules.sqlite3).
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// The database: postgres://user@host:5432/db (no password in it).
    #[arg(long, value_name = "URL")]
    pub to: String,
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
    let parsed = tokio_postgres::Config::from_str(&a.to).map_err(|_| {
        "`--to` is not a PostgreSQL address: write it as postgres://user@host:5432/database"
            .to_owned()
    })?;
    if parsed.get_password().is_some() {
        return Err(
            "`--to` must not hold the password: set PGPASSWORD, or use --password-file".into(),
        );
    }
    let file = a.from.join("schedules.sqlite3");
    if !file.exists() {
        return Err(format!(
            "{} holds no schedules.sqlite3: name the folder `serve` used as its `state`",
            a.from.display()
        ));
    }
    let pg = PostgresConfig {
        address: a.to.clone(),
        password: password(&a)?,
    };
    let source = SqliteStore::open(&file).map_err(|e| e.to_string())?;
    let dump = source.dump().map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let db = Database::new(&pg)?;
        let name = db.name.clone();
        let target = PgStore::open(db).await.map_err(|e| e.to_string())?;
        let there = target
            .subscription_count()
            .await
            .map_err(|e| e.to_string())?;
        if there > 0 && !a.into_non_empty {
            return Err(format!(
                "{name} already holds {there} subscription(s); nothing was copied. Pass --into-non-empty to add to it (rows already there are kept, none is duplicated)"
            ));
        }
        let loaded = target.load(&dump).await.map_err(|e| e.to_string())?;
        println!(
            "copied from {} into {name}: {} of {} subscriptions, {} of {} posts, {} of {} snapshots (the rest were there already)",
            file.display(),
            loaded.subscriptions,
            dump.subscriptions.len(),
            loaded.posts,
            dump.posts.len(),
            loaded.snapshots,
            dump.snapshots.len()
        );
        println!(
            "the edit log, the places' topics and the feed stay in {}: give that folder to the replica that edits, as its `local_state`",
            a.from.display()
        );
        Ok(())
    })
}
