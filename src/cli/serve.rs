//! `dossier serve --config FILE`: load the cards, then run every door the config opens, the
//! card watcher and the HTTP listener in one runtime until SIGTERM or Ctrl-C; then stop taking
//! new work, finish what is in flight (bounded) and exit 0. Refuses to start on an invalid
//! config or invalid cards. A door that stops on its own is logged with why, and `serve`
//! exits 1 so a supervisor restarts it.

use super::common::LogFormat;
use crate::app::App;
use crate::clock::Clock;
use crate::config::Config;
use crate::library::Library;
use crate::reload;
use chrono::NaiveDate;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The config file (see dossier.example.toml).
    #[arg(long, env = "DOSSIER_CONFIG", value_name = "FILE")]
    pub config: PathBuf,
    /// Fix "today" (YYYY-MM-DD) for staleness, so answers are reproducible.
    #[arg(long, env = "DOSSIER_TODAY", value_parser = super::common::parse_day, value_name = "DATE")]
    pub today: Option<NaiveDate>,
    /// Logs for people (default), or one JSON object a line for log shippers.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, env = "DOSSIER_LOG_FORMAT")]
    pub log_format: LogFormat,
}

/// How long a shutdown waits for doors to close and for answers in flight.
const GRACE: Duration = Duration::from_secs(10);

/// The running doors and listeners, each named; `serve` stops when one of them stops.
type Tasks = tokio::task::JoinSet<(&'static str, Result<(), String>)>;

/// Load the cards the config names, checked as a reload checks them (the default topic too),
/// or print why not: exit 1 for invalid cards, 2 for an unreadable folder.
pub fn load_library(
    config: &Config,
    root: &std::path::Path,
    today: NaiveDate,
) -> Result<(Library, crate::diag::Report), ExitCode> {
    match reload::load_checked(root, today, config.default_topic.as_deref()) {
        Ok((_, report)) if report.has_errors() => {
            eprint!("{}", report.human());
            eprintln!(
                "dossier will not serve invalid cards; fix them (see `dossier check`) and start again."
            );
            Err(ExitCode::from(1))
        }
        Ok((library, report)) => {
            for d in report.diagnostics.iter().filter(|d| !d.is_error()) {
                tracing::warn!("{}", d.one_line(root));
            }
            Ok((library, report))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(super::common::UNREADABLE_FOLDER))
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    super::common::init_logging(args.log_format);
    let config = match super::common::read_config(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // `[web]` with the HTTP listener is a door of its own: the public pages.
    if config.discord.is_none() && config.matrix.is_none() && config.web.is_none() {
        eprintln!(
            "error: {} opens no door: add a [discord], [matrix] or [web] table (see dossier.example.toml)",
            args.config.display()
        );
        return ExitCode::from(2);
    }
    let clock = args.today.map_or(Clock::System, Clock::Fixed);
    let root = reload::absolute(&config.briefings);
    let (library, report) = match load_library(&config, &root, clock.today()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    // Every store, opened once where the config says: a replica waits for the shared
    // database to be reachable (until stopped).
    let opened = runtime.block_on(async {
        tokio::select! {
            r = open_stores(&config, &library) => Some(r),
            _ = shutdown_signal() => None,
        }
    });
    let (stores, places, feed) = match opened {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        None => {
            eprintln!("stopped while opening the state");
            return ExitCode::SUCCESS;
        }
    };
    let db = stores.database.clone();
    let store = stores.schedules.clone();
    let desk = match open_desk(&root, &config, &stores) {
        Ok(d) => Arc::new(d),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let app = Arc::new(
        App::new(library, config.default_topic.clone(), clock)
            .with_places(places)
            .with_feed(feed)
            .with_sources(stores.sources.clone())
            .with_public_url(config.web.as_ref().and_then(|w| w.public_url.clone()))
            .with_charts(config.charts)
            .with_claim_lease(config.claim_lease)
            .with_moderators(config.moderation.moderators.clone())
            .reading(root, &report)
            .with_schedules(store)
            .with_desk(desk)
            .with_reply_cache(config.reply_cache_bytes),
    );
    let polling = newsdesk(&config, &stores);
    let watching = sources_watch(&config, &stores, &app);
    let code = runtime.block_on(serve(config, app, db, polling, watching));
    // Whatever is left (a sync request that outlived the grace period) is dropped here.
    runtime.shutdown_timeout(Duration::from_millis(500));
    code
}

fn fail(message: String) -> ExitCode {
    tracing::error!("{message}");
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Every store (the state folder's one file, or the shared database), with the config's
/// `[[schedule]]`s synced into the schedules (their topics must be loaded), and the places'
/// topics and the change feed read.
async fn open_stores(
    config: &Config,
    library: &Library,
) -> Result<
    (
        crate::store::Stores,
        crate::places::Places,
        crate::feed::Feed,
    ),
    String,
> {
    for s in &config.schedules {
        if library.topic_index(&s.topic).is_none() {
            return Err(format!(
                "a [[schedule]] in the config names the topic `{}`, which is not loaded",
                s.topic
            ));
        }
    }
    let stores = crate::store::Stores::open(config).await?;
    tracing::info!(store = %stores.describe(), "state kept in");
    for w in super::config::warnings(config) {
        tracing::warn!("{w}");
    }
    let canonical: Vec<_> = config
        .schedules
        .iter()
        .map(|s| crate::schedule::NewSubscription {
            topic: library
                .topic_index(&s.topic)
                .map_or_else(|| s.topic.clone(), |t| library.topic(t).id.clone()),
            ..s.clone()
        })
        .collect();
    stores
        .schedules
        .sync_config(&canonical, chrono::Utc::now())
        .await
        .map_err(|e| e.to_string())?;
    let places = crate::places::Places::open(stores.places.clone())
        .await
        .map_err(|e| e.to_string())?;
    let feed = crate::feed::Feed::open(stores.feed.clone())
        .await
        .map_err(|e| e.to_string())?;
    Ok((stores, places, feed))
}

/// A fetcher under `allow_private`'s address policy, naming the operator's contact; none
/// (and why, in the log) when it cannot be set up.
fn fetcher(
    config: &Config,
    allow_private: bool,
    what: &str,
) -> Option<crate::fetch::client::Fetcher> {
    let policy = crate::fetch::address::Policy {
        allow_private,
        allowed: Vec::new(),
    };
    crate::fetch::client::Fetcher::new(crate::fetch::client::Options::new(
        policy,
        config.newsdesk.contact.as_deref(),
    ))
    .map_err(|e| tracing::error!(error = %e, "{what} cannot fetch"))
    .ok()
}

/// The newsdesk's poller, when `[newsdesk] poll` is on.
fn newsdesk(
    config: &Config,
    stores: &crate::store::Stores,
) -> Option<crate::desk::polling::Polling> {
    if !config.newsdesk.poll {
        return None;
    }
    Some(crate::desk::polling::Polling {
        fetcher: fetcher(config, config.newsdesk.allow_private, "the newsdesk")?,
        store: stores.news.clone(),
        max: config.newsdesk.max_proposals_per_day,
    })
}

/// The watcher of the cited pages, when `[sources] watch` is on; it keeps the web archive's
/// snapshots in the cards when the service edits them (a desk).
fn sources_watch(
    config: &Config,
    stores: &crate::store::Stores,
    app: &App,
) -> Option<crate::sources::watch::Watching> {
    if !config.sources.watch {
        return None;
    }
    let archiving = app.desk.clone().and_then(|desk| {
        let archive = crate::sources::archive::Archive::of(config)
            .map_err(|e| tracing::error!(error = %e, "the web archive cannot be asked"))
            .ok()?;
        Some(crate::sources::watch::Archiving {
            archive,
            desk,
            reloader: app.reloader.clone(),
            clock: app.clock,
            tried: Default::default(),
        })
    });
    Some(crate::sources::watch::Watching {
        fetcher: fetcher(config, config.sources.allow_private, "the sources' watcher")?,
        store: stores.sources.clone(),
        every: config.sources.check_every,
        pace: crate::sources::check::Pace::of(&config.sources),
        archiving,
    })
}

/// Run `run` in the background until `stop`: here, or, when replicas share `db`, in one replica
/// at a time under the lease `name` (listed beside the doors as `name`).
fn run_one_at_a_time<F, Fut>(
    app: &Arc<App>,
    db: Option<crate::store::postgres::Database>,
    name: &'static str,
    stop: &CancellationToken,
    run: F,
) where
    F: Fn(CancellationToken) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    match db {
        None => {
            app.doors.set(name, crate::service::DoorState::Connected);
            app.tasks.spawn(run(stop.clone()));
        }
        Some(db) => {
            let (app2, stop2) = (app.clone(), stop.clone());
            app.tasks.spawn(async move {
                let ran = crate::service::lease::run_leased(
                    db,
                    name.to_owned(),
                    &app2.doors,
                    name,
                    stop2,
                    GRACE,
                    None,
                    |own, _handed| {
                        let running = run(own);
                        async move {
                            running.await;
                            Ok(())
                        }
                    },
                )
                .await;
                if let Err(e) = ran {
                    tracing::error!(error = %e, "{name} stopped");
                }
            });
        }
    }
}

/// The sources watcher's name beside the doors, and its lease's.
const SOURCES: &str = "sources";

/// The newsdesk's name as `status` lists it beside the doors, and its lease's.
const NEWSDESK: &str = "newsdesk";

async fn serve(
    config: Config,
    app: Arc<App>,
    db: Option<crate::store::postgres::Database>,
    polling: Option<crate::desk::polling::Polling>,
    watching: Option<crate::sources::watch::Watching>,
) -> ExitCode {
    let stop = CancellationToken::new();
    let mut tasks = Tasks::new();
    // Every background task is on the tracker a shutdown waits for, and ends on `stop`.
    app.follow_changes(stop.clone());
    app.tasks
        .spawn(crate::places::follow(app.places.clone(), stop.clone()));
    app.tasks
        .spawn(crate::feed::follow_shared(app.feed.clone(), stop.clone()));
    if let Some(looks) = app.sources.clone() {
        app.tasks.spawn(crate::sources::shown::follow(
            looks,
            app.shelf.clone(),
            stop.clone(),
        ));
    }
    let (routes, discord_poster) =
        match open_discord(&config, &app, db.clone(), &stop, &mut tasks).await {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
    let polling = polling.map(Arc::new);
    // With replicas, the moderators' Matrix room hears only the replica that holds the sync, so
    // the newsdesk runs there, under the Matrix door's lease, and its notices reach the room.
    let (polling, beside_matrix) = match polling {
        Some(p) if db.is_some() && config.matrix.is_some() => (None, Some(p)),
        p => (p, None),
    };
    if let Some(polling) = polling {
        let (shelf, notices) = (app.shelf.clone(), app.notices.clone());
        let run = move |stop: CancellationToken| {
            crate::desk::polling::run(polling.clone(), shelf.clone(), notices.clone(), stop)
        };
        tracing::info!("the newsdesk reads the topics' feeds on their `every`");
        run_one_at_a_time(&app, db.clone(), NEWSDESK, &stop, run);
    }
    if let Some(w) = watching {
        let w = Arc::new(w);
        let (shelf, notices) = (app.shelf.clone(), app.notices.clone());
        let run = move |stop: CancellationToken| {
            crate::sources::watch::run(w.clone(), shelf.clone(), notices.clone(), stop)
        };
        tracing::info!(
            "the cited pages are looked at every {}",
            crate::deadlines::describe(config.sources.check_every)
        );
        run_one_at_a_time(&app, db.clone(), SOURCES, &stop, run);
    }
    let matrix_poster = match open_matrix(&config, &app, db, beside_matrix, &stop, &mut tasks) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if let Some(store) = app.schedules.clone() {
        let posters = discord_poster.into_iter().chain(matrix_poster).collect();
        let scheduler = app.scheduler(store, posters);
        app.tasks.spawn(scheduler.run(stop.clone()));
    }
    if let Some(addr) = config.listen {
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => return fail(format!("cannot listen on {addr}: {e}")),
        };
        let endpoint = routes.is_some();
        if config.web.is_some() {
            app.doors
                .set("web pages", crate::service::DoorState::Connected);
        }
        let routes = match (routes, config.web.is_some()) {
            (Some(r), true) => Some(r.merge(crate::web::router(app.clone()))),
            (None, true) => Some(crate::web::router(app.clone())),
            (r, false) => r,
        };
        let router = crate::http::router(app.clone(), routes);
        #[cfg(feature = "discord")]
        if endpoint {
            crate::discord::endpoint_listening(&app.doors);
        }
        tracing::info!(
            %addr,
            "HTTP listening: GET /healthz, /readyz, /metrics{}{}",
            if endpoint { "; Discord interactions endpoint listening on POST /interactions" } else { "" },
            if config.web.is_some() { "; web pages at / and /t/<topic>" } else { "" }
        );
        let stop = stop.clone();
        tasks.spawn(async move {
            (
                "HTTP listener",
                crate::http::serve(listener, router, stop).await,
            )
        });
    }
    app.tasks
        .spawn(reload::watch(app.reloader.clone(), stop.clone()));
    if let Some(desk) = app.desk.clone()
        && let Some(sharing) = desk.shared()
    {
        tracing::info!(remote = %sharing.remote, "edits from chat are pushed to the cards' remote; the other replicas' edits are pulled from it");
        app.tasks.spawn(crate::desk::follow::follow(
            desk,
            app.reloader.clone(),
            stop.clone(),
        ));
    }
    let code = tokio::select! {
        why = shutdown_signal() => {
            tracing::info!("{why}: shutting down; finishing the answers in flight");
            ExitCode::SUCCESS
        }
        Some(done) = tasks.join_next() => {
            match done {
                Ok((door, Err(e))) => tracing::error!(door, "the door stopped: {e}"),
                Ok((door, Ok(()))) => tracing::error!(door, "the door stopped on its own, without an error"),
                Err(e) => tracing::error!(error = %e, "a door's task failed"),
            }
            tracing::error!("stopping, since a door is down; a supervisor should restart dossier");
            ExitCode::from(1)
        }
    };
    stop.cancel();
    let closing = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(GRACE, closing).await.is_err() {
        tracing::warn!("a door did not close within {} s", GRACE.as_secs());
    }
    app.tasks.close();
    let in_flight = app.tasks.len();
    if tokio::time::timeout(GRACE, app.tasks.wait()).await.is_err() {
        tracing::warn!(
            in_flight = app.tasks.len(),
            "gave up waiting for answers in flight"
        );
    } else if in_flight > 0 {
        tracing::info!(in_flight, "finished the answers in flight");
    }
    tracing::info!("stopped");
    code
}

type BriefingPoster = Option<Arc<dyn crate::scheduler::Poster>>;

/// Open the Matrix door. With a shared database it runs only while this replica holds its
/// lease (one sync per account across the replicas), and is taken over when the holder stops.
#[cfg(feature = "matrix")]
fn open_matrix(
    config: &Config,
    app: &Arc<App>,
    db: Option<crate::store::postgres::Database>,
    polling: Option<Arc<crate::desk::polling::Polling>>,
    stop: &CancellationToken,
    tasks: &mut Tasks,
) -> Result<BriefingPoster, String> {
    let Some(m) = config.matrix.clone() else {
        return Ok(None);
    };
    let poster = crate::matrix::MatrixPoster::default();
    let make = {
        let (app, poster) = (app.clone(), poster.clone());
        let moderation_room = config.moderation.matrix_room.clone();
        // A replica that takes the sync over answers the commands nobody answered in the
        // moments before it did (those the homeserver shows no reply to).
        let leased = db.is_some();
        move || -> Result<crate::matrix::Door, String> {
            let mut door =
                crate::matrix::Door::new(app.clone(), m.clone()).map_err(|e| format!("{e:#}"))?;
            if leased {
                door.catch_up_from_ms = door
                    .started_ms
                    .saturating_sub(crate::matrix::catch_up::TAKEOVER_WINDOW.as_millis() as u64);
            }
            door.moderation_room = moderation_room.clone();
            door.poster = poster.clone();
            Ok(door)
        }
    };
    let first = make()?;
    let stop = stop.clone();
    let app = app.clone();
    let briefings: BriefingPoster = Some(Arc::new(poster.clone()));
    tasks.spawn(async move {
        let run = async |door: crate::matrix::Door, stop: CancellationToken| {
            let ran = crate::matrix::run(door, stop).await;
            poster.disconnected();
            ran.map_err(|e| format!("{e:#}"))
        };
        let ran = match db {
            None => run(first, stop).await,
            Some(db) => {
                let lease = format!("matrix:{}", first.cfg.user);
                drop(first);
                crate::service::lease::run_leased(
                    db,
                    lease,
                    &app.doors,
                    crate::matrix::NAME,
                    stop,
                    GRACE,
                    None,
                    |own, handed| {
                        let door = make().map(|mut d| {
                            d.handed_over = Some(handed);
                            d
                        });
                        if let Some(p) = &polling {
                            app.tasks.spawn(crate::desk::polling::run(
                                p.clone(),
                                app.shelf.clone(),
                                app.notices.clone(),
                                own.clone(),
                            ));
                        }
                        async move { run(door?, own).await }
                    },
                )
                .await
            }
        };
        (crate::matrix::NAME, ran)
    });
    Ok(briefings)
}

#[cfg(not(feature = "matrix"))]
fn open_matrix(
    config: &Config,
    _app: &Arc<App>,
    _db: Option<crate::store::postgres::Database>,
    _polling: Option<Arc<crate::desk::polling::Polling>>,
    _stop: &CancellationToken,
    _tasks: &mut Tasks,
) -> Result<BriefingPoster, String> {
    match config.matrix {
        Some(_) => Err("this dossier was built without the `matrix` feature".into()),
        None => Ok(None),
    }
}

#[cfg(feature = "discord")]
async fn open_discord(
    config: &Config,
    app: &Arc<App>,
    db: Option<crate::store::postgres::Database>,
    stop: &CancellationToken,
    tasks: &mut Tasks,
) -> Result<(Option<axum::Router>, BriefingPoster), String> {
    let opened = crate::discord::open(config, app, db, stop, tasks).await?;
    Ok((opened.routes, opened.poster))
}

#[cfg(not(feature = "discord"))]
async fn open_discord(
    config: &Config,
    _app: &Arc<App>,
    _db: Option<crate::store::postgres::Database>,
    _stop: &CancellationToken,
    _tasks: &mut Tasks,
) -> Result<(Option<axum::Router>, BriefingPoster), String> {
    match config.discord {
        Some(_) => Err("this dossier was built without the `discord` feature".into()),
        None => Ok((None, None)),
    }
}

/// SIGTERM or SIGINT (Ctrl-C); which one.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// The edit desk of the cards under `root`, as `config` sets it up: its log and the newsdesk's
/// proposals in `stores`, each topic held across the replicas when they share a database, and
/// edits pulled and pushed through `cards_remote` when it is set.
pub(super) fn open_desk(
    root: &std::path::Path,
    config: &crate::config::Config,
    stores: &crate::store::Stores,
) -> Result<crate::desk::Desk, String> {
    let desk =
        crate::desk::Desk::with_log(root, stores.edits.clone()).with_news(stores.news.clone());
    let desk = match &stores.database {
        Some(db) => desk.with_cluster(db.clone()),
        None => desk,
    };
    match &config.cards_remote {
        None => Ok(desk),
        Some(remote) => desk
            .sharing(crate::desk::Sharing {
                remote: remote.clone(),
                deadline: config.deadlines.git,
            })
            .map_err(|e| e.to_string()),
    }
}
