//! The `dossier` binary: parse the command line and run it. Everything else lives in the library.

use clap::Parser;

// Loading thousands of small cards is allocation-heavy; mimalloc makes it markedly cheaper.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = dossier::cli::Cli::parse();
    dossier::cli::run(cli)
}
