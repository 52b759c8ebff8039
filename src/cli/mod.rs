//! The command line: one file per subcommand, and what they share in `common`. Parses arguments with clap, loads the briefings,
//! and hands off to the core. Exit codes follow ripgrep: 0 fine, 1 cards invalid or a user's
//! question could not be answered, 2 usage or I/O error.

pub mod ask;
pub mod chat;
pub mod check;
pub mod config;
pub mod desk;
pub mod digest;
#[cfg(feature = "discord")]
pub mod discord;
pub mod health;
pub mod new;
pub mod schema;
pub mod serve;
pub mod site;
pub mod sources;
pub mod state;

pub mod common;

pub use common::{Color, Common, LogFormat, UNREADABLE_FOLDER, init_logging, read_config};

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Curated briefing cards, answered in the terminal, on Discord and on Matrix.
#[derive(Debug, Parser)]
#[command(name = "dossier", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Check the briefing cards and report every problem with file, line and fix.
    Check(check::Args),
    /// Answer one command and exit, e.g. `dossier ask position iran`.
    Ask(ask::Args),
    /// Talk to the briefing bot in the terminal.
    Chat(chat::Args),
    /// Print a daily briefing: what changed since a date or against another folder, then the
    /// bottom line.
    Digest(digest::Args),
    /// Run the chat doors named in a config file (Discord, Matrix), reloading the cards live.
    Serve(serve::Args),
    /// The newsdesk: `desk poll` reads every topic's feeds now and prints the proposals.
    #[command(subcommand)]
    Desk(desk::Cmd),
    /// Sources that stay true: `sources check` looks at every page the cards cite, `sources
    /// archive` keeps a web archive's snapshot of each in the cards.
    #[command(subcommand)]
    Sources(sources::Cmd),
    /// Config tools: check a config file and the cards it names, without connecting anywhere.
    #[command(subcommand)]
    Config(config::Cmd),
    /// New cards from templates: `new topic <id> --title …`, `new actor <topic> <id> --name …`.
    #[command(subcommand)]
    New(new::Cmd),
    /// The JSON Schema of the card files, for an editor's TOML support (Taplo, "Even Better
    /// TOML"): `schema actor` prints one, `schema --out briefings/.schema` writes them all.
    Schema(schema::Args),
    /// The web pages and Atom feeds as a static site: `site --out public/`.
    Site(site::Args),
    /// State tools: `state migrate --from state/ --to postgres://…` copies one process's
    /// schedules into the database replicas share.
    #[command(subcommand)]
    State(state::Cmd),
    /// Probe a running `serve` (GET /healthz): exit 0 when it answers. For container health checks.
    Health(health::Args),
    /// Discord tools: register the slash commands.
    #[cfg(feature = "discord")]
    #[command(subcommand)]
    Discord(discord::Cmd),
}

impl Cli {
    /// Whether the command runs the service (its own sockets, for hours), not one answer.
    pub fn serves(&self) -> bool {
        matches!(self.command, Cmd::Serve(_))
    }
}

/// Run the command line; returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Cmd::Check(a) => check::run(a),
        Cmd::Ask(a) => ask::run(a),
        Cmd::Chat(a) => chat::run(a),
        Cmd::Digest(a) => digest::run(a),
        Cmd::Serve(a) => serve::run(a),
        Cmd::Config(c) => config::run(c),
        Cmd::Desk(c) => desk::run(c),
        Cmd::Sources(c) => sources::run(c),
        Cmd::Health(a) => health::run(a),
        Cmd::New(c) => new::run(c),
        Cmd::Schema(a) => schema::run(a),
        Cmd::Site(a) => site::run(a),
        Cmd::State(c) => state::run(c),
        #[cfg(feature = "discord")]
        Cmd::Discord(c) => discord::run(c),
    }
}
