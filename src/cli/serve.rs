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

/// Logs go to stderr; `RUST_LOG` picks the level (default: info).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,serenity=warn,h2=warn,hyper=warn,rustls=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
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
    if config.discord.is_none() {
        eprintln!(
            "error: {} opens no door: add a [discord] table (see dossier.example.toml)",
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

#[cfg(not(feature = "discord"))]
async fn serve(_config: Config, _app: Arc<App>) -> ExitCode {
    eprintln!("error: this dossier was built without the `discord` feature");
    ExitCode::from(2)
}

#[cfg(feature = "discord")]
async fn serve(config: Config, app: Arc<App>) -> ExitCode {
    use crate::discord;
    let Some(d) = config.discord.clone() else {
        return ExitCode::from(2);
    };
    let settings = discord::Settings::from_config(&d);
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(addr) = d.interactions_listen {
        let Some(key) = d.public_key else {
            return ExitCode::from(2);
        };
        let verifier = match serenity::interactions_endpoint::Verifier::try_new(key) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("error: the Discord public key is not usable: {e}");
                return ExitCode::from(2);
            }
        };
        let rest = Arc::new(discord::rest::Rest::new(
            d.api_proxy.as_deref(),
            d.application_id,
        ));
        let router = discord::endpoint::router(discord::endpoint::Endpoint {
            app: app.clone(),
            settings: settings.clone(),
            verifier,
            rest,
        });
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {addr}: {e}");
                return ExitCode::from(2);
            }
        };
        tracing::info!(%addr, "Discord interactions endpoint listening on POST /interactions");
        tasks.spawn(async move {
            axum::serve(listener, router)
                .await
                .map_err(|e| format!("interactions endpoint: {e}"))
        });
    }
    if d.gateway {
        let Some(token) = d.token.clone() else {
            return ExitCode::from(2);
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
        let rest = Arc::new(discord::rest::Rest::new(
            d.api_proxy.as_deref(),
            d.application_id,
        ));
        let mut client =
            match discord::gateway::client(http, rest, app.clone(), settings.clone()).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: cannot start the Discord client: {e}");
                    return ExitCode::from(2);
                }
            };
        tasks.spawn(async move {
            client
                .start()
                .await
                .map_err(|e| format!("Discord gateway: {e}"))
        });
    }
    tokio::select! {
        _ = shutdown() => {
            tracing::info!("shutting down");
            ExitCode::SUCCESS
        }
        Some(done) = tasks.join_next() => {
            match done {
                Ok(Err(e)) => tracing::error!("{e}"),
                Err(e) => tracing::error!(error = %e, "a door stopped"),
                Ok(Ok(())) => {}
            }
            ExitCode::from(1)
        }
    }
}

#[cfg(feature = "discord")]
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
