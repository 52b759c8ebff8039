//! What the subcommands share: the options for reading briefings, colour, logging, reading a
//! config, and the exit code of an unreadable folder.

use crate::cards;
use crate::diag::Report;
use crate::library::Library;
use chrono::NaiveDate;
use clap::ValueEnum;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options every subcommand that reads briefings shares.
#[derive(Debug, clap::Args, Clone)]
pub struct Common {
    /// The briefings folder: one folder per topic.
    #[arg(
        long,
        env = "DOSSIER_BRIEFINGS",
        default_value = "briefings",
        value_name = "DIR"
    )]
    pub briefings: PathBuf,
    /// Fix "today" (YYYY-MM-DD) for staleness checks, so output is reproducible.
    #[arg(long, env = "DOSSIER_TODAY", value_parser = parse_day, value_name = "DATE")]
    pub today: Option<NaiveDate>,
    /// The topic commands use when several are loaded and none is named.
    #[arg(long = "topic", env = "DOSSIER_DEFAULT_TOPIC", value_name = "TOPIC")]
    pub default_topic: Option<String>,
    /// Colour and clickable links: auto (when writing to a terminal), always or never.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// How `serve` writes its logs.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Human,
    /// One JSON object a line, for log shippers.
    Json,
}

/// Logs go to stderr; `RUST_LOG` picks the level (default: info). Colour only on a terminal,
/// and never with `NO_COLOR` set, so log files and container logs hold no escape codes.
pub fn init_logging(format: LogFormat) {
    use std::io::IsTerminal as _;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "info,serenity=warn,h2=warn,hyper=warn,rustls=warn,matrix_sdk_crypto::backups=error",
        )
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.with_ansi(colour).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}

/// Read the config, or print its diagnostics (exit 2).
pub fn read_config(path: &std::path::Path) -> Result<crate::config::Config, ExitCode> {
    crate::config::load(path, &crate::config::ProcessEnv).map_err(|report| {
        eprint!(
            "{}",
            report
                .human()
                .replace("briefings are invalid", "the config is invalid")
        );
        ExitCode::from(2)
    })
}

pub(super) fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("`{s}` is not a date in the form YYYY-MM-DD ({e})"))
}

impl Common {
    pub fn today(&self) -> NaiveDate {
        self.today
            .unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    /// Whether to style output written to stdout.
    pub fn styled(&self) -> bool {
        match self.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }

    pub fn text_style(&self) -> crate::render::text::TextStyle {
        if self.styled() {
            crate::render::text::TextStyle::TERMINAL
        } else {
            crate::render::text::TextStyle::PLAIN
        }
    }

    /// Load the library for answering; on invalid cards print the diagnostics and refuse.
    pub fn library(&self) -> Result<Library, ExitCode> {
        match cards::load(&self.briefings, self.today()) {
            Ok(loaded) if loaded.report.has_errors() => {
                eprint!("{}", only_errors(&loaded.report).human());
                eprintln!(
                    "dossier will not answer from invalid cards; fix them (see `dossier check`) and try again."
                );
                Err(ExitCode::from(1))
            }
            Ok(loaded) => {
                let library = Library::new(loaded.topics);
                match crate::reload::check_default_topic(
                    self.default_topic.as_deref(),
                    &library,
                    &self.briefings,
                ) {
                    Some(d) => {
                        eprintln!(
                            "error: --topic (or DOSSIER_DEFAULT_TOPIC) `{}` names no loaded topic; {}",
                            self.default_topic.as_deref().unwrap_or_default(),
                            d.help.unwrap_or_default()
                        );
                        Err(ExitCode::from(2))
                    }
                    None => Ok(library),
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                Err(ExitCode::from(UNREADABLE_FOLDER))
            }
        }
    }
}

fn only_errors(report: &Report) -> Report {
    Report {
        diagnostics: report
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect(),
    }
}

/// The exit code when the briefings folder itself cannot be read: a usage or I/O error.
pub const UNREADABLE_FOLDER: u8 = 2;

/// The config at `path` when one is given (its `briefings` then read instead of `common`'s),
/// or none; its diagnostics printed when it does not read.
pub fn optional_config(
    path: Option<&std::path::Path>,
    common: &mut Common,
) -> Result<Option<crate::config::Config>, ExitCode> {
    let Some(path) = path else { return Ok(None) };
    let c = read_config(path)?;
    common.briefings = c.briefings.clone();
    Ok(Some(c))
}

/// A runtime on this thread, for one command's calls.
pub fn current_thread() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(2)
        })
}
