//! `dossier sources check [--config F] [--topic T] [--format human|json]`: look at every page
//! the cards cite now and say what became of it (ok, moved, blocked, failing, gone; changed
//! since it was cited). With a config, the looks are kept in its state, so a page is called gone
//! only when two looks a day apart find it so, and a page's text is compared with what it said
//! when first seen; without one, each run is a first look. Pages are fetched under the config's
//! `[sources]` address policy (public addresses only unless `allow_private`). Exits 0 when it
//! could look, whatever the verdicts.
//!
//! `dossier sources archive --config F [--topic T] [--limit N]`: for each source whose card
//! keeps no snapshot, the web archive's snapshot (found, or taken now), written into the
//! topic's `sources.toml` through the edit desk as dossier: checked, committed, logged. Exits 1
//! when the cards refused snapshots the archive gave, 0 otherwise (a page the archive had no
//! snapshot of is said, and asked for at the next run).

use super::check::Format;
use super::common::Common;
use crate::fetch::address::Policy;
use crate::fetch::client::{Fetcher, Options};
use crate::sources::check::{Pace, Report, check};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Look at every cited page now.
    Check(CheckArgs),
    /// Find or take a web archive's snapshot of every cited page the cards keep none of, and
    /// keep it in the card.
    Archive(ArchiveArgs),
}

#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// The config whose `[sources]` names the archive and whose cards and state are edited.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Only this topic's sources.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// At most this many pages asked for in this run.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The config whose `[sources]` settings apply, whose `briefings` are read and whose state
    /// keeps the looks.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(cmd: Cmd) -> ExitCode {
    match cmd {
        Cmd::Check(a) => run_check(a),
        Cmd::Archive(a) => run_archive(a),
    }
}

fn run_check(mut args: CheckArgs) -> ExitCode {
    let config = match super::common::optional_config(args.config.as_deref(), &mut args.common) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let library = match args.common.library() {
        Ok(l) => l,
        Err(code) => return code,
    };
    let policy = Policy {
        allow_private: config.as_ref().is_some_and(|c| c.sources.allow_private),
        allowed: Vec::new(),
    };
    let contact = config.as_ref().and_then(|c| c.newsdesk.contact.clone());
    let fetcher = match Fetcher::new(Options::new(policy, contact.as_deref())) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match super::common::current_thread() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let topic = args.common.default_topic.clone();
    let looked = runtime.block_on(async {
        let store: std::sync::Arc<dyn crate::store::sources::SourceStore> = match &config {
            Some(c) => crate::store::Stores::open(c).await?.sources,
            None => std::sync::Arc::new(crate::store::memory::MemorySources::default()),
        };
        check(
            &library,
            topic.as_deref(),
            &fetcher,
            store.as_ref(),
            config
                .as_ref()
                .map_or_else(Pace::default, |c| Pace::of(&c.sources)),
            chrono::Utc::now(),
        )
        .await
    });
    let reports = match looked {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "sources": reports }))
                .unwrap_or_default()
        ),
        Format::Human => print!("{}", human(&reports)),
    }
    ExitCode::SUCCESS
}

/// The reports for a person at a terminal: the ones to look at first, then a count.
fn human(reports: &[Report]) -> String {
    use crate::sources::verdict::Status;
    let mut out = String::new();
    for r in reports
        .iter()
        .filter(|r| r.status != Status::Ok || r.changed)
    {
        let what = match (&r.moved_to, &r.error, r.http) {
            (Some(to), _, _) => format!("moved to {to}"),
            (_, Some(e), _) => e.clone(),
            (_, _, Some(h)) => format!("HTTP {h}"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{}/{}: {}{}  {}\n  {}\n",
            r.topic,
            r.id,
            r.status.name(),
            if r.changed {
                ", changed since cited"
            } else {
                ""
            },
            what,
            r.url
        ));
    }
    let count = |s: Status| reports.iter().filter(|r| r.status == s).count();
    out.push_str(&format!(
        "{} sources: {} ok, {} moved, {} blocked, {} failing, {} gone; {} changed since cited\n",
        reports.len(),
        count(Status::Ok),
        count(Status::Moved),
        count(Status::Blocked),
        count(Status::Failing),
        count(Status::Gone),
        reports.iter().filter(|r| r.changed).count()
    ));
    out
}

fn run_archive(args: ArchiveArgs) -> ExitCode {
    use crate::sources::archive::{self, Archive};
    let config = match super::common::read_config(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let loaded = match crate::cards::load(&config.briefings, chrono::Utc::now().date_naive()) {
        Ok(l) if !l.report.has_errors() => l,
        Ok(l) => {
            eprint!("{}", l.report.human());
            eprintln!("the cards have errors: fix them (see `dossier check`) before archiving");
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let library = crate::library::Library::new(loaded.topics);
    if let Some(t) = &args.topic
        && !library.topics().iter().any(|x| &x.id == t)
    {
        eprintln!("error: no topic `{t}` in {}", config.briefings.display());
        return ExitCode::from(2);
    }
    let wayback = match Archive::of(&config) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let missing = archive::missing(
        &library,
        args.topic.as_deref(),
        args.limit,
        wayback.is_internal(),
    );
    let runtime = match super::common::current_thread() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let root = config.briefings.clone();
    let report = loaded.report;
    let done = runtime.block_on(async {
        let stores = crate::store::Stores::open(&config).await?;
        let desk = super::serve::open_desk(&root, &config, &stores)?;
        let app = crate::app::App::new(library, None, crate::clock::Clock::System)
            .reading(root.clone(), &report);
        let h = app.desk_handles(None);
        let (done, stopped) = archive::archive(&wayback, missing).await;
        let mut kept = Vec::new();
        let mut refused = false;
        for (topic, list) in archive::to_keep(&done) {
            match desk.keep_snapshots(&h, &topic, &list).await {
                Ok(ids) => kept.extend(ids.into_iter().map(|id| (topic.clone(), id))),
                Err(e) => {
                    refused = true;
                    eprintln!("{topic}: the snapshots were not kept: {e}");
                }
            }
        }
        Ok::<_, String>((done, stopped, kept, refused))
    });
    let (done, stopped, kept, refused) = match done {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "sources": done,
                "kept": kept.iter().map(|(t, id)| serde_json::json!({"topic": t, "id": id})).collect::<Vec<_>>(),
                "stopped": stopped.as_ref().map(ToString::to_string),
            }))
            .unwrap_or_default()
        ),
        Format::Human => {
            for a in &done {
                let what = match &a.outcome {
                    archive::Outcome::Found(s) => format!("found, {} {}", s.on, s.url),
                    archive::Outcome::Saved(s) => format!("taken now, {} {}", s.on, s.url),
                    archive::Outcome::Failed { why } => format!("no snapshot: {why}"),
                };
                println!("{}/{}: {what}", a.topic, a.id);
            }
            println!(
                "{} pages asked for; {} snapshots kept in the cards",
                done.len(),
                kept.len()
            );
            if let Some(s) = &stopped {
                println!("{s}");
            }
        }
    }
    if refused {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
