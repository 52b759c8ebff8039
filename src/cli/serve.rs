//! `dossier serve --config FILE`: load the cards, then run every door the config opens until
//! Ctrl-C or SIGTERM. Refuses to start on an invalid config or invalid cards.

use crate::app::{App, Clock};
use crate::cards;
use crate::config::{self, Config, ProcessEnv};
use crate::library::Library;
use chrono::NaiveDate;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The config file (see dossier.example.toml).
    #[arg(long, env = "DOSSIER_CONFIG", value_name = "FILE")]
    pub config: PathBuf,
    /// Fix "today" (YYYY-MM-DD) for staleness, so answers are reproducible.
    #[arg(long, env = "DOSSIER_TODAY", value_parser = super::parse_day, value_name = "DATE")]
    pub today: Option<NaiveDate>,
}

/// Logs go to stderr; `RUST_LOG` picks the level (default: info). Colour only on a terminal,
/// and never with `NO_COLOR` set, so log files and container logs hold no escape codes.
pub fn init_logging() {
    use std::io::IsTerminal as _;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "info,serenity=warn,h2=warn,hyper=warn,rustls=warn,matrix_sdk_crypto::backups=error",
        )
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}

/// Read the config, or print its diagnostics (exit 2).
pub fn read_config(path: &std::path::Path) -> Result<Config, ExitCode> {
    config::load(path, &ProcessEnv).map_err(|report| {
        eprint!(
            "{}",
            report
                .human()
                .replace("briefings are invalid", "the config is invalid")
        );
        ExitCode::from(2)
    })
}

/// Load the cards named by the config, or print why not (exit 1 for invalid cards).
pub fn load_library(config: &Config, today: NaiveDate) -> Result<Library, ExitCode> {
    match cards::load(&config.briefings, today) {
        Ok(l) if l.report.has_errors() => {
            eprint!("{}", l.report.human());
            eprintln!(
                "dossier will not serve invalid cards; fix them (see `dossier check`) and start again."
            );
            Err(ExitCode::from(1))
        }
        Ok(l) => {
            for d in l.report.diagnostics.iter().filter(|d| !d.is_error()) {
                tracing::warn!(code = d.code, path = %d.path.display(), line = d.line, "{}", d.message);
            }
            Ok(Library::new(l.topics))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(2))
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    init_logging();
    let config = match read_config(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let clock = args.today.map_or(Clock::System, Clock::Fixed);
    let library = match load_library(&config, clock.today()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if config.discord.is_none() && config.matrix.is_none() {
        eprintln!(
            "error: {} opens no door: add a [discord] or [matrix] table (see dossier.example.toml)",
            args.config.display()
        );
        return ExitCode::from(2);
    }
    let app = Arc::new(App::new(library, config.default_topic.clone(), clock));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(serve(config, app))
}

async fn serve(config: Config, app: Arc<App>) -> ExitCode {
    let mut tasks = Doors::new();
    if let Err(code) = start_discord(&config, &app, &mut tasks).await {
        return code;
    }
    if let Err(code) = start_matrix(&config, &app, &mut tasks) {
        return code;
    }
    tokio::select! {
        _ = shutdown() => {
            tracing::info!("shutting down");
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
    }
}

/// The running doors, each named; `serve` stops when one of them stops.
type Doors = tokio::task::JoinSet<(&'static str, Result<(), String>)>;

fn fail(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

#[cfg(feature = "matrix")]
fn start_matrix(config: &Config, app: &Arc<App>, tasks: &mut Doors) -> Result<(), ExitCode> {
    let Some(m) = config.matrix.clone() else {
        return Ok(());
    };
    let door = crate::matrix::Door::new(app.clone(), m).map_err(|e| fail(format!("{e:#}")))?;
    tasks.spawn(async move {
        (
            "Matrix",
            crate::matrix::run(door).await.map_err(|e| format!("{e:#}")),
        )
    });
    Ok(())
}

#[cfg(not(feature = "matrix"))]
fn start_matrix(config: &Config, _app: &Arc<App>, _tasks: &mut Doors) -> Result<(), ExitCode> {
    match config.matrix {
        Some(_) => Err(fail(
            "this dossier was built without the `matrix` feature".into(),
        )),
        None => Ok(()),
    }
}

#[cfg(not(feature = "discord"))]
async fn start_discord(
    config: &Config,
    _app: &Arc<App>,
    _tasks: &mut Doors,
) -> Result<(), ExitCode> {
    match config.discord {
        Some(_) => Err(fail(
            "this dossier was built without the `discord` feature".into(),
        )),
        None => Ok(()),
    }
}

#[cfg(feature = "discord")]
async fn start_discord(config: &Config, app: &Arc<App>, tasks: &mut Doors) -> Result<(), ExitCode> {
    use crate::discord;
    let Some(d) = config.discord.clone() else {
        return Ok(());
    };
    let settings = discord::Settings::from_config(&d);
    if let Some(addr) = d.interactions_listen {
        let Some(key) = d.public_key else {
            return Err(fail("the HTTP endpoint needs `public_key`".into()));
        };
        let verifier = serenity::interactions_endpoint::Verifier::try_new(key)
            .map_err(|e| fail(format!("the Discord public key is not usable: {e}")))?;
        let rest = Arc::new(
            discord::rest::Rest::new(d.api_proxy.as_deref(), d.application_id)
                .map_err(|e| fail(e.to_string()))?,
        );
        let endpoint = discord::endpoint::Endpoint {
            app: app.clone(),
            settings: settings.clone(),
            verifier,
            rest,
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| fail(format!("cannot listen on {addr}: {e}")))?;
        tracing::info!(%addr, "Discord interactions endpoint listening on POST /interactions");
        let router = discord::endpoint::router(endpoint);
        tasks.spawn(async move {
            let served = axum::serve(listener, router).await;
            (
                "Discord interactions endpoint",
                served.map_err(|e| e.to_string()),
            )
        });
    }
    if d.gateway {
        let Some(token) = d.token.clone() else {
            return Err(fail("the gateway needs a bot token".into()));
        };
        let http = super::discord::http(&d, token.expose());
        let state_file = config.state.join("discord-commands.json");
        if let Err(e) = discord::commands::register(
            &http,
            settings.moderator_permission,
            d.dev_guild,
            Some(&state_file),
        )
        .await
        {
            tracing::error!(error = %e, "registering slash commands failed; answering anyway");
        }
        let rest = Arc::new(
            discord::rest::Rest::new(d.api_proxy.as_deref(), d.application_id)
                .map_err(|e| fail(e.to_string()))?,
        );
        let mut client = discord::gateway::client(http, rest, app.clone(), settings.clone())
            .await
            .map_err(|e| fail(format!("cannot start the Discord client: {e}")))?;
        tasks.spawn(async move {
            (
                "Discord gateway",
                client.start().await.map_err(|e| e.to_string()),
            )
        });
    }
    Ok(())
}

async fn shutdown() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
