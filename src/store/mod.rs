//! The one owner of what dossier keeps: one trait per concern (the edit log and suggestions in
//! `edits`, schedules and posts in `schedules`, the places' topics in
//! `places`, the change feed in `feed`, the newsdesk's fetches, items and proposals in `news`),
//! each written once for SQLite (`sqlite`: one file,
//! `state/dossier.sqlite3`, used off the async runtime) and once for the PostgreSQL database
//! replicas share (`postgres`), reading rows through one mapping per type (`rows`) and one
//! form of stored instant (`stamp`). `memory` keeps them for a run that keeps nothing.
//! [`Stores::open`] opens all of them once, where the config says; the features take the one
//! they need and keep their rules.

pub mod edits;
pub mod feed;
pub mod follows;
pub mod memory;
pub mod news;
pub mod places;
pub mod postgres;
pub mod rows;
pub mod schedules;
pub mod sources;
pub mod sqlite;
pub mod stamp;

use edits::EditStore;
use feed::FeedStore;
use places::PlaceStore;
use postgres::Database;
use schedules::ScheduleStore;
use std::path::Path;
use std::sync::Arc;

/// Every store, opened once.
#[derive(Clone)]
pub struct Stores {
    pub edits: Arc<dyn EditStore>,
    pub schedules: Arc<dyn ScheduleStore>,
    pub places: Arc<dyn PlaceStore>,
    pub feed: Arc<dyn FeedStore>,
    pub news: Arc<dyn news::NewsStore>,
    pub sources: Arc<dyn sources::SourceStore>,
    pub follows: Arc<dyn follows::FollowStore>,
    /// The database replicas share, when they share one (its locks and leases serve the doors
    /// and the desk too).
    pub database: Option<Database>,
}

impl Stores {
    /// Open every store where the config says: the shared database (waited for, as a
    /// replica starting beside it does), or the state folder's one file.
    pub async fn open(config: &crate::config::Config) -> Result<Stores, String> {
        match &config.postgres {
            Some(pg) => {
                let db = Database::new(pg)?;
                db.wait_until_reachable().await.map_err(|e| e.to_string())?;
                Stores::in_database(db).await
            }
            None => Stores::in_folder_async(&config.state).await,
        }
    }

    /// The stores in the state folder `dir`'s one file. Blocking: use it before a runtime
    /// starts, else [`Stores::in_folder_async`].
    pub fn in_folder(dir: &Path) -> Result<Stores, String> {
        sqlite::Db::open(dir)
            .map(Stores::over_file)
            .map_err(|e| e.to_string())
    }

    /// [`Stores::in_folder`] on a blocking thread.
    pub async fn in_folder_async(dir: &Path) -> Result<Stores, String> {
        sqlite::Db::open_async(dir)
            .await
            .map(Stores::over_file)
            .map_err(|e| e.to_string())
    }

    /// The stores over the one file `db`.
    pub fn over_file(db: sqlite::Db) -> Stores {
        Stores {
            edits: Arc::new(sqlite::edits::SqliteLog::new(db.clone())),
            schedules: Arc::new(sqlite::schedules::SqliteStore::new(db.clone())),
            places: Arc::new(sqlite::places::SqlitePlaces::new(db.clone())),
            feed: Arc::new(sqlite::feed::SqliteFeed::new(db.clone())),
            news: Arc::new(sqlite::news::SqliteNews::new(db.clone())),
            sources: Arc::new(sqlite::sources::SqliteSources::new(db.clone())),
            follows: Arc::new(sqlite::follows::SqliteFollows::new(db)),
            database: None,
        }
    }

    /// The stores in the shared database, each's tables migrated to this build's schema.
    pub async fn in_database(db: Database) -> Result<Stores, String> {
        let edits = postgres::edits::PgLog::open(db.clone())
            .await
            .map_err(|e| e.to_string())?;
        let schedules = postgres::schedules::PgStore::open(db.clone())
            .await
            .map_err(|e| e.to_string())?;
        let places = postgres::places::PgPlaces::open(db.clone())
            .await
            .map_err(|e| e.to_string())?;
        let feed = postgres::feed::PgFeed::open(db.clone())
            .await
            .map_err(|e| e.to_string())?;
        let news = postgres::news::PgNews::open(db.clone())
            .await
            .map_err(|e| e.to_string())?;
        let sources = postgres::sources::PgSources::open(db.clone())
            .await
            .map_err(|e| e.to_string())?;
        let follows = postgres::follows::PgFollows::open(db.clone())
            .await
            .map_err(|e| e.to_string())?;
        Ok(Stores {
            news: Arc::new(news),
            sources: Arc::new(sources),
            follows: Arc::new(follows),
            edits: Arc::new(edits),
            schedules: Arc::new(schedules),
            places: Arc::new(places),
            feed: Arc::new(feed),
            database: Some(db),
        })
    }

    /// Where everything is kept, for the logs.
    pub fn describe(&self) -> String {
        self.schedules.describe()
    }
}
