//! The command line: one file per subcommand. Parses arguments with clap, loads the briefings,
//! and hands off to the core. Exit codes follow ripgrep: 0 fine, 1 cards invalid or a user's
//! question could not be answered, 2 usage or I/O error.

pub mod ask;
pub mod chat;
pub mod check;
#[cfg(feature = "discord")]
pub mod discord;
pub mod serve;

use crate::cards;
use crate::diag::Report;
use crate::library::Library;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Curated briefing cards, answered in the terminal, on Discord and on Matrix.
#[derive(Debug, Parser)]
#[command(name = "dossier", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

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

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Check the briefing cards and report every problem with file, line and fix.
    Check(check::Args),
    /// Answer one command and exit, e.g. `dossier ask position iran`.
    Ask(ask::Args),
    /// Talk to the briefing bot in the terminal.
    Chat(chat::Args),
    /// Run the chat doors named in a config file (Discord gateway, HTTP interactions endpoint).
    Serve(serve::Args),
    /// Discord tools: register the slash commands.
    #[cfg(feature = "discord")]
    #[command(subcommand)]
    Discord(discord::Cmd),
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
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
            Ok(loaded) => Ok(Library::new(loaded.topics)),
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

/// Run the command line; returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Cmd::Check(a) => check::run(a),
        Cmd::Ask(a) => ask::run(a),
        Cmd::Chat(a) => chat::run(a),
        Cmd::Serve(a) => serve::run(a),
        #[cfg(feature = "discord")]
        Cmd::Discord(c) => discord::run(c),
    }
}
