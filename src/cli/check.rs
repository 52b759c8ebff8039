//! `dossier check [DIR] [--format human|json]`: validate the cards and report every problem.

use super::common::Common;
use crate::cards;
use clap::ValueEnum;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The briefings folder (default: ./briefings, or DOSSIER_BRIEFINGS).
    pub dir: Option<PathBuf>,
    /// Output for people, or JSON for CI and editors.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: Args) -> ExitCode {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| args.common.briefings.clone());
    let loaded = match cards::load(&dir, args.common.today()) {
        Ok(l) => l,
        Err(e) => {
            match args.format {
                Format::Human => eprintln!("error: {e}"),
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"valid": false, "errors": 1, "warnings": 0, "fatal": e.to_string(), "diagnostics": []})
                ),
            }
            return ExitCode::from(super::common::UNREADABLE_FOLDER);
        }
    };
    match args.format {
        Format::Human => {
            print!("{}", loaded.report.human());
            if !loaded.report.has_errors() {
                let t = &loaded.topics;
                let actors: usize = t.iter().map(|t| t.actors.len()).sum();
                let events: usize = t.iter().map(|t| t.events.len()).sum();
                let sources: usize = t.iter().map(|t| t.sources.len()).sum();
                println!(
                    "{} topic(s), {actors} actors, {events} events, {sources} sources in {}",
                    t.len(),
                    dir.display()
                );
            }
        }
        Format::Json => println!("{}", loaded.report.json()),
    }
    if loaded.report.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
