//! The `dossier` binary: parse the command line and run it. Everything else lives in the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = dossier::cli::Cli::parse();
    dossier::cli::run(cli)
}
