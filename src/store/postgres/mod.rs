//! The PostgreSQL database the replicas share: a pool of connections to it (the password set
//! only here, from the config's secret), versioned migrations per store, applied under an
//! advisory lock so two replicas starting at once migrate once, LISTEN and NOTIFY, and the
//! stores over it (`edits`, `schedules`, `places`, `feed`). A database whose schema is
//! newer than this build's is refused, with nothing changed. Errors name the database (never
//! its password) and say whether it could not be reached or refused what was asked.

pub mod cells;
pub mod edits;
pub mod feed;
pub mod follows;
pub mod news;
pub mod places;
pub mod schedules;
pub mod sources;
pub mod tls;

use crate::config::PostgresConfig;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use std::str::FromStr;
use std::time::Duration;
use tls::Connector;

/// How long a caller waits for a connection, or a statement for its answer: a database that
/// is down makes the caller fail in seconds, never hang.
pub const WAIT: Duration = crate::deadlines::DATABASE;

/// The pool's size: the scheduler's posts, chat commands and the door locks' own connections
/// are few; PostgreSQL's default limit is 100 connections for every replica together.
const POOL_SIZE: usize = 8;

/// What went wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// It cannot be reached (down, refusing connections, a timeout).
    #[error("the database {0} cannot be reached: {1}")]
    Unreachable(String, String),
    /// It answered with an error.
    #[error("the database {0} refused a query: {1}")]
    Refused(String, String),
}

use crate::deadlines::causes;

/// Why a connection of its own was not made.
#[derive(Debug, thiserror::Error)]
enum NotConnected {
    #[error("{0}")]
    Error(#[source] tokio_postgres::Error),
    #[error("no connection within {} s", WAIT.as_secs())]
    Timeout,
}

/// The shared database: its pool and its address (without a password) for messages.
#[derive(Clone)]
pub struct Database {
    pub pool: Pool,
    pub name: String,
    /// The settings the pool connects with, for connections of their own (a door's lease).
    pub settings: tokio_postgres::Config,
    /// The TLS they connect with (`sslmode`).
    pub tls: Connector,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Database({})", self.name)
    }
}

/// The connection settings from the config: the address, the password, and time limits.
pub fn settings(cfg: &PostgresConfig) -> Result<(tokio_postgres::Config, Connector), String> {
    let (address, tls) = crate::config::sslmode(&cfg.address)
        .map_err(|e| format!("`state` is not a PostgreSQL address: {e}"))?;
    let mut pg = tokio_postgres::Config::from_str(&address)
        .map_err(|e| format!("`state` is not a PostgreSQL address: {e}"))?;
    pg.ssl_mode(tls::ssl_mode(tls));
    let connector = tls::connector(cfg, tls)?;
    if let Some(p) = &cfg.password {
        pg.password(p.expose());
    }
    pg.connect_timeout(WAIT);
    pg.application_name("dossier");
    // A statement that outlives this is cancelled by the server, and so is a transaction left
    // idle by a replica that died holding it.
    pg.options(format!(
        "-c statement_timeout={} -c idle_in_transaction_session_timeout=10000",
        WAIT.as_millis() * 2
    ));
    Ok((pg, connector))
}

/// Where the database is, for messages: `host:port/db` as the address says, no password.
pub fn describe(cfg: &PostgresConfig) -> String {
    match url::Url::parse(&cfg.address) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "(the configured PostgreSQL database)".into(),
    }
}

impl Database {
    /// A pool for the database; nothing is connected until it is used.
    pub fn new(cfg: &PostgresConfig) -> Result<Database, String> {
        let (pg, tls) = settings(cfg)?;
        let manager = Manager::from_config(
            pg.clone(),
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .timeouts(Timeouts {
                wait: Some(WAIT),
                create: Some(WAIT),
                recycle: Some(WAIT),
            })
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| format!("cannot set up the database pool: {e}"))?;
        Ok(Database {
            pool,
            name: describe(cfg),
            settings: pg,
            tls,
        })
    }

    /// A connection from the pool, or why not.
    pub async fn client(&self) -> Result<deadpool_postgres::Object, PgError> {
        self.pool
            .get()
            .await
            .map_err(|e| PgError::Unreachable(self.name.clone(), causes(&e)))
    }

    /// A connection of its own, outside the pool, for a session that must live as long as
    /// its holder (a lock, a LISTEN); within [`WAIT`], or why not. The caller drives the
    /// connection.
    pub async fn connect_own(
        &self,
    ) -> Result<
        (
            tokio_postgres::Client,
            tokio_postgres::Connection<tokio_postgres::Socket, tls::Stream>,
        ),
        PgError,
    > {
        self.connect_within()
            .await
            .map_err(|why| PgError::Unreachable(self.name.clone(), causes(&why)))
    }

    /// A connection of its own within [`WAIT`]; the server's error, or none for a timeout.
    async fn connect_within(
        &self,
    ) -> Result<
        (
            tokio_postgres::Client,
            tokio_postgres::Connection<tokio_postgres::Socket, tls::Stream>,
        ),
        NotConnected,
    > {
        match tokio::time::timeout(WAIT, self.settings.connect(self.tls.clone())).await {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(NotConnected::Error(e)),
            Err(_) => Err(NotConnected::Timeout),
        }
    }

    /// Wait until the database takes a connection, as a replica starting beside it must (a
    /// compose file, a Kubernetes pod, a host rebooting): while it cannot be reached or is still
    /// starting up, say so once, then every 30 s, and try again every second. An answer that
    /// waiting will not change (a wrong password, a database that does not exist) is returned
    /// at once.
    pub async fn wait_until_reachable(&self) -> Result<(), PgError> {
        let started = std::time::Instant::now();
        let mut told: Option<std::time::Instant> = None;
        loop {
            let why = match self.connect_within().await {
                Ok((client, connection)) => {
                    drop(client);
                    drop(connection);
                    if told.is_some() {
                        tracing::info!(
                            database = %self.name,
                            waited_s = started.elapsed().as_secs(),
                            "the shared database is reachable"
                        );
                    }
                    return Ok(());
                }
                Err(NotConnected::Error(e))
                    if e.as_db_error().is_some_and(|db| {
                        *db.code() != tokio_postgres::error::SqlState::CANNOT_CONNECT_NOW
                    }) =>
                {
                    return Err(PgError::Refused(self.name.clone(), e.to_string()));
                }
                Err(why) => causes(&why),
            };
            if told.is_none_or(|t| t.elapsed() >= Duration::from_secs(30)) {
                tracing::warn!(
                    database = %self.name,
                    error = %why,
                    "waiting for the shared database before starting"
                );
                told = Some(std::time::Instant::now());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Sort a query's error: a lost connection is "unreachable", anything else "refused".
    pub fn error(&self, e: tokio_postgres::Error) -> PgError {
        // A row that does not read as this build expects (a column of another type, a NULL
        // where none may be) is the database answering, not the database being away.
        let unreadable_row = {
            use std::error::Error as _;
            e.source().is_some_and(|s| {
                s.is::<tokio_postgres::types::WrongType>()
                    || s.is::<tokio_postgres::types::WasNull>()
            }) || e.to_string().starts_with("error deserializing column")
        };
        if unreadable_row {
            PgError::Refused(self.name.clone(), e.to_string())
        } else if e.is_closed() || e.as_db_error().is_none() {
            PgError::Unreachable(self.name.clone(), e.to_string())
        } else {
            PgError::Refused(self.name.clone(), e.to_string())
        }
    }

    /// Bring `component`'s tables to `migrations.len()`: migration `i` takes the schema from
    /// version `i` to `i + 1`, all in one transaction, under one advisory lock.
    pub async fn migrate(&self, component: &str, migrations: &[&str]) -> Result<(), PgError> {
        let mut client = self.client().await?;
        let known = migrations.len() as i32;
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        tx.batch_execute(
            "SELECT pg_advisory_xact_lock(hashtext('dossier.migrate'));
             CREATE TABLE IF NOT EXISTS dossier_schema (component TEXT PRIMARY KEY, version INT NOT NULL);",
        )
        .await
        .map_err(|e| self.error(e))?;
        let found: i32 = tx
            .query_opt(
                "SELECT version FROM dossier_schema WHERE component = $1",
                &[&component],
            )
            .await
            .and_then(|r| r.map(|r| r.try_get(0)).transpose())
            .map_err(|e| self.error(e))?
            .unwrap_or(0);
        if found > known {
            return Err(PgError::Refused(
                self.name.clone(),
                format!(
                    "its {component} tables were written by a newer dossier (schema {found}; this one knows {known}). Run that dossier, or restore a backup; nothing was changed"
                ),
            ));
        }
        for (i, sql) in migrations.iter().enumerate().skip(found as usize) {
            tx.batch_execute(sql).await.map_err(|e| self.error(e))?;
            tx.execute(
                "INSERT INTO dossier_schema (component, version) VALUES ($1, $2)
                 ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
                &[&component, &(i as i32 + 1)],
            )
            .await
            .map_err(|e| self.error(e))?;
        }
        tx.commit().await.map_err(|e| self.error(e))
    }
}

/// What a listening connection gives: a word for each notification (the receiver ends when the
/// connection does), and the client, which must live as long as it listens.
pub type Listening = (tokio::sync::mpsc::Receiver<()>, tokio_postgres::Client);

impl Database {
    /// Listen on `channel` on a connection of its own; `None` when the database cannot be
    /// reached. The caller keeps the client for as long as it listens.
    pub async fn listen(&self, channel: &str) -> Option<Listening> {
        let (client, mut connection) = self.connect_own().await.ok()?;
        // A channel of one: notifications that come while one is waiting to be heard are the
        // same news, and coalesce instead of queueing.
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(tokio_postgres::AsyncMessage::Notification(_))) => {
                        if let Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) =
                            tx.try_send(())
                        {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return,
                }
            }
        });
        let listen = format!("LISTEN {channel}");
        match tokio::time::timeout(WAIT, client.batch_execute(&listen)).await {
            Ok(Ok(())) => Some((rx, client)),
            _ => None,
        }
    }

    /// Say on `channel` that something changed; the listeners of every replica hear it. A
    /// failure is logged: the listeners also look on their own, every little while.
    pub async fn notify(&self, channel: &str) {
        let sent = match self.client().await {
            Ok(c) => c
                .batch_execute(&format!("NOTIFY {channel}"))
                .await
                .map_err(|e| self.error(e)),
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::warn!(channel, error = %e, "could not tell the other replicas of a change; they find it on their next look");
        }
    }
}

/// Call `refresh` until `stop`: when another replica says on `channel` that something changed,
/// on every (re)connection of the listener (what changed while nobody listened), and every
/// `every` whatever is heard (a notification lost while the database was down). A failed
/// refresh is logged once (`could not {what}`) until one works again.
pub async fn follow_channel<F, Fut>(
    db: &Database,
    channel: &str,
    every: Duration,
    stop: &tokio_util::sync::CancellationToken,
    what: &str,
    mut refresh: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut failing = false;
    let mut told: Option<Listening> = None;
    let mut next = tokio::time::Instant::now() + every;
    loop {
        if told.is_none() {
            told = db.listen(channel).await;
            if told.is_some() {
                logged(refresh(), what, &mut failing).await;
            }
        }
        let listening = told.is_some();
        let heard = async {
            match told.as_mut() {
                Some((rx, _)) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        let listen_again = async {
            if listening {
                std::future::pending::<()>().await;
            } else {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            got = heard => match got {
                Some(()) => logged(refresh(), what, &mut failing).await,
                None => told = None,
            },
            _ = tokio::time::sleep_until(next) => {
                next = tokio::time::Instant::now() + every;
                logged(refresh(), what, &mut failing).await;
            }
            _ = listen_again => {}
        }
    }
}

/// Await one refresh, logging its failure once per run of failures.
pub async fn logged(
    refresh: impl std::future::Future<Output = Result<(), String>>,
    what: &str,
    failing: &mut bool,
) {
    match refresh.await {
        Ok(()) => *failing = false,
        Err(e) => {
            if !*failing {
                tracing::warn!(error = %e, "could not {what}; trying again");
            }
            *failing = true;
        }
    }
}

/// A row that did not read, as the database's refusal (its words name the column).
pub fn unreadable(db: &Database, e: String) -> PgError {
    PgError::Refused(db.name.clone(), format!("a stored row does not read: {e}"))
}

/// What an address names that the config and `state migrate` check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    pub has_user: bool,
    pub has_password: bool,
}

/// Read a `postgres://` address (its `sslmode` as [`crate::config::sslmode`] reads it).
pub fn address(s: &str) -> Result<Address, String> {
    let (plain, _) = crate::config::sslmode(s)?;
    let c = tokio_postgres::Config::from_str(&plain).map_err(|e| e.to_string())?;
    Ok(Address {
        has_user: c.get_user().is_some(),
        has_password: c.get_password().is_some(),
    })
}
