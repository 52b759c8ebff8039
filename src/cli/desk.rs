//! `dossier desk poll [--config F] [--topic T] [--format human|json]`: read every feed of the
//! topics now (`feeds.toml`), and print what the newsdesk proposes to the moderators, with what
//! became of every item. Offline with `path =` feeds; `url =` feeds are fetched under the
//! config's `[newsdesk]` address policy (public addresses only unless `allow_private`). With a
//! config, what was fetched, seen and proposed is kept in its state (the next poll sends
//! conditional requests and proposes nothing twice); `desk list` shows the open proposals,
//! `desk approve` and `desk reject` decide one through the edit desk as a moderator in chat
//! would, and `desk log` says what became of every item seen.

use super::check::Format;
use super::common::{Common, current_thread};
use crate::desk::news::{Poll, poll};
use crate::fetch::address::Policy;
use crate::fetch::client::{Fetcher, Options};
use crate::newsdesk::proposals::Fate;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Read every feed now and print the new proposals (kept in the config's state; without
    /// `--config`, nothing is kept).
    Poll(PollArgs),
    /// The proposals kept in the config's state, open ones unless `--all`.
    List(ListArgs),
    /// Add proposal N to its topic's timeline (checked, written, committed, logged), with
    /// any field changed first.
    Approve(ApproveArgs),
    /// Turn proposal N down, saying why: the same story is never proposed again.
    Reject(RejectArgs),
    /// What became of the items the newsdesk saw (30 days), newest first.
    Log(LogArgs),
}

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The proposal's number, as `desk list` shows it.
    pub id: i64,
    /// The config whose state holds the proposals (and whose `briefings` are written).
    #[arg(long, value_name = "FILE", default_value = "dossier.toml")]
    pub config: PathBuf,
    /// The event's title instead of the headline.
    #[arg(long)]
    pub title: Option<String>,
    /// The event's date (YYYY-MM-DD) instead of the earliest source's.
    #[arg(long)]
    pub date: Option<String>,
    /// The event's detail, in your own words.
    #[arg(long)]
    pub detail: Option<String>,
    /// The event's actors (ids, separated by commas).
    #[arg(long)]
    pub actors: Option<String>,
    /// Who approves, as the commit and the log name them (default: $USER).
    #[arg(long = "as", value_name = "NAME")]
    pub by: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RejectArgs {
    /// The proposal's number, as `desk list` shows it.
    pub id: i64,
    /// Why: kept with the decision.
    #[arg(long)]
    pub why: String,
    #[arg(long, value_name = "FILE", default_value = "dossier.toml")]
    pub config: PathBuf,
    /// Who rejects (default: $USER).
    #[arg(long = "as", value_name = "NAME")]
    pub by: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    #[arg(long, value_name = "FILE", default_value = "dossier.toml")]
    pub config: PathBuf,
    /// Only this topic's items (default: every topic with feeds).
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// At most this many items per topic.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The config whose state holds the proposals.
    #[arg(long, value_name = "FILE", default_value = "dossier.toml")]
    pub config: PathBuf,
    /// Decided ones too.
    #[arg(long)]
    pub all: bool,
    /// Only this topic's.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct PollArgs {
    /// The config whose `[newsdesk]` settings apply (and whose `briefings` are read).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(cmd: Cmd) -> ExitCode {
    match cmd {
        Cmd::Poll(a) => run_poll(a),
        Cmd::List(a) => run_list(a),
        Cmd::Approve(a) => run_decide(&a.config, a.by.as_deref(), Decision::Approve(&a)),
        Cmd::Reject(a) => run_decide(&a.config, a.by.as_deref(), Decision::Reject(&a)),
        Cmd::Log(a) => run_log(a),
    }
}

fn run_poll(mut args: PollArgs) -> ExitCode {
    let config = match super::common::optional_config(args.config.as_deref(), &mut args.common) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let settings = config
        .as_ref()
        .map_or_else(crate::config::NewsdeskConfig::default, |c| {
            c.newsdesk.clone()
        });
    let library = match args.common.library() {
        Ok(l) => l,
        Err(code) => return code,
    };
    let policy = Policy {
        allow_private: settings.allow_private,
        allowed: Vec::new(),
    };
    let fetcher = match Fetcher::new(Options::new(policy, settings.contact.as_deref())) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let topics: Vec<_> = library
        .topics()
        .iter()
        .filter(|t| {
            args.common
                .default_topic
                .as_deref()
                .is_none_or(|id| id == t.id)
        })
        .filter(|t| t.feeds.is_some())
        .collect();
    if topics.is_empty() {
        eprintln!(
            "no topic has a feeds.toml with feeds: add one (see briefings/README.md, \"feeds.toml\")"
        );
        return ExitCode::from(1);
    }
    let runtime = match current_thread() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let now = chrono::Utc::now();
    let polled: Result<Vec<Poll>, String> = runtime.block_on(async {
        let store = match &config {
            Some(c) => Some(crate::store::Stores::open(c).await?.news),
            None => None,
        };
        let mut out = Vec::new();
        for t in &topics {
            out.push(
                poll(
                    t,
                    &fetcher,
                    store.as_deref(),
                    settings.max_proposals_per_day,
                    now,
                )
                .await?,
            );
        }
        Ok(out)
    });
    let polls = match polled {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match args.format {
        Format::Json => println!("{}", json(&polls)),
        Format::Human => print!("{}", human(&polls)),
    }
    let any_read = polls
        .iter()
        .flat_map(|p| &p.feeds)
        .any(|f| f.error.is_none());
    if any_read {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The polls as JSON: each proposal with an `id` (its kept id, or its place in this poll from 1
/// when nothing is kept).
fn json(polls: &[Poll]) -> String {
    let mut next = 0;
    let topics: Vec<serde_json::Value> = polls
        .iter()
        .map(|p| {
            let proposals: Vec<serde_json::Value> = p
                .proposals
                .iter()
                .enumerate()
                .map(|(i, pr)| {
                    next += 1;
                    let mut v = serde_json::to_value(pr).unwrap_or_default();
                    v["id"] = serde_json::json!(p.ids.get(i).copied().unwrap_or(next));
                    v
                })
                .collect();
            serde_json::json!({
                "topic": p.topic,
                "feeds": p.feeds,
                "proposals": proposals,
                "items": p.items.iter().map(|(title, outlet, fate)| {
                    let mut v = serde_json::to_value(fate).unwrap_or_default();
                    v["title"] = serde_json::json!(title);
                    v["outlet"] = serde_json::json!(outlet);
                    v
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "topics": topics })).unwrap_or_default()
}

/// The polls for a person at a terminal.
fn human(polls: &[Poll]) -> String {
    let mut out = String::new();
    let mut next = 0;
    for p in polls {
        out.push_str(&format!("{}: {} feeds\n", p.topic, p.feeds.len()));
        for f in &p.feeds {
            match &f.error {
                None if f.unchanged => {
                    out.push_str(&format!("  {} ({}): unchanged\n", f.feed, f.outlet))
                }
                None => out.push_str(&format!("  {} ({}): {} items\n", f.feed, f.outlet, f.items)),
                Some(e) => out.push_str(&format!("  {} ({}): not read: {e}\n", f.feed, f.outlet)),
            }
        }
        if p.proposals.is_empty() {
            out.push_str("  nothing to propose\n");
        }
        for (i, pr) in p.proposals.iter().enumerate() {
            next += 1;
            let id = p.ids.get(i).copied().unwrap_or(next);
            let confidence = match pr.confidence {
                crate::newsdesk::proposals::Confidence::High => "high",
                crate::newsdesk::proposals::Confidence::Medium => "medium",
            };
            out.push_str(&format!(
                "\n{id}. {}  {}\n   {confidence} confidence · score {} · actors: {} · matched: {}{}\n",
                pr.date.format("%-d %b %Y"),
                pr.title,
                pr.score,
                pr.actors.join(", "),
                pr.named.join(", "),
                if pr.undated { " · undated: the day it was first seen" } else { "" }
            ));
            for (i, s) in pr.sources.iter().enumerate() {
                out.push_str(&format!(
                    "   [{}] {}: {} ({})\n",
                    i + 1,
                    s.outlet,
                    s.title,
                    s.url
                ));
            }
        }
        let count = |f: fn(&Fate) -> bool| p.items.iter().filter(|(_, _, x)| f(x)).count();
        out.push_str(&format!(
            "\n  items: {} proposed, {} merged, {} below the threshold, {} excluded, {} already cited, {} proposed before, {} rejected before, {} seen before or twice, {} waiting, {} without a link\n",
            count(|f| matches!(f, Fate::Proposed { .. })),
            count(|f| matches!(f, Fate::Merged { .. })),
            count(|f| matches!(f, Fate::Below { .. })),
            count(|f| matches!(f, Fate::Excluded { .. } | Fate::NotIncluded)),
            count(|f| matches!(f, Fate::AlreadyCited)),
            count(|f| matches!(f, Fate::AlreadyProposed)),
            count(|f| matches!(f, Fate::Rejected)),
            count(|f| matches!(f, Fate::Duplicate)),
            count(|f| matches!(f, Fate::Waiting)),
            count(|f| matches!(f, Fate::NoLink)),
        ));
    }
    out
}

fn run_list(args: ListArgs) -> ExitCode {
    let config = match super::common::read_config(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let runtime = match current_thread() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let listed = runtime.block_on(async {
        let store = crate::store::Stores::open(&config).await?.news;
        store
            .proposals(args.topic.as_deref(), args.all, 500)
            .await
            .map_err(|e| e.to_string())
    });
    let proposals = match listed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let values: Vec<serde_json::Value> = proposals
        .iter()
        .map(|p| {
            let mut v: serde_json::Value = serde_json::from_str(&p.body).unwrap_or_default();
            v["id"] = serde_json::json!(p.id);
            v["state"] = serde_json::json!(p.state);
            v["decided_by"] = serde_json::json!(p.decided_by);
            v["reason"] = serde_json::json!(p.reason);
            v
        })
        .collect();
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "proposals": values }))
                .unwrap_or_default()
        ),
        Format::Human => {
            if values.is_empty() {
                println!("no proposals{}", if args.all { "" } else { " are open" });
            }
            for v in &values {
                println!(
                    "{}. [{}] {} {}  {} ({} sources, {} confidence)",
                    v["id"],
                    v["state"].as_str().unwrap_or_default(),
                    v["topic"].as_str().unwrap_or_default(),
                    v["date"].as_str().unwrap_or_default(),
                    v["title"].as_str().unwrap_or_default(),
                    v["sources"].as_array().map_or(0, Vec::len),
                    v["confidence"].as_str().unwrap_or_default(),
                );
            }
        }
    }
    ExitCode::SUCCESS
}

enum Decision<'a> {
    Approve(&'a ApproveArgs),
    Reject(&'a RejectArgs),
}

/// `desk approve` and `desk reject`: the edit desk of the config's cards and state, as
/// `serve` opens it, deciding as the terminal's user.
fn run_decide(config: &std::path::Path, by: Option<&str>, decision: Decision<'_>) -> ExitCode {
    use crate::edit::form::{Form, FormKind};
    let config = match super::common::read_config(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let common = Common {
        briefings: config.briefings.clone(),
        today: None,
        default_topic: None,
        color: super::common::Color::Auto,
    };
    let (library, report) = match crate::cards::load(&common.briefings, common.today()) {
        Ok(l) if !l.report.has_errors() => (crate::library::Library::new(l.topics), l.report),
        Ok(l) => {
            eprint!("{}", l.report.human());
            eprintln!(
                "the cards have errors: fix them (see `dossier check`) before deciding a proposal"
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let name = by
        .map(str::to_owned)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    let author = crate::edit::Author {
        platform: crate::platform::Platform::Terminal,
        id: name.clone(),
        name,
    };
    let runtime = match current_thread() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let root = config.briefings.clone();
    let reply = runtime.block_on(async {
        let stores = crate::store::Stores::open(&config).await?;
        let desk = super::serve::open_desk(&root, &config, &stores)?;
        let app = crate::app::App::new(library, None, crate::clock::Clock::System)
            .reading(root.clone(), &report);
        let h = app.desk_handles(None);
        Ok::<_, String>(match decision {
            Decision::Approve(a) => {
                let mut form = Form::default();
                let kind = FormKind::Event;
                for (key, value) in [
                    ("title", &a.title),
                    ("date", &a.date),
                    ("detail", &a.detail),
                    ("actors", &a.actors),
                ] {
                    if let (Some(v), Some(spec)) = (value, kind.field(key)) {
                        let v = if key == "actors" {
                            v.replace(',', "\n")
                        } else {
                            v.clone()
                        };
                        form.set(spec, &v);
                    }
                }
                desk.approve_proposal(&h, a.id, &form, &author).await
            }
            Decision::Reject(a) => desk.reject_proposal(a.id, &a.why, &author).await,
        })
    });
    match reply {
        Ok(r) => {
            print!("{}", crate::render::text::render(&r, common.text_style()));
            if r.is_user_error() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// `desk log`: every item seen in the last 30 days and what became of it, with the decision on
/// the proposal it made or joined.
fn run_log(args: LogArgs) -> ExitCode {
    let config = match super::common::read_config(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let topics: Vec<String> = match &args.topic {
        Some(t) => vec![t.clone()],
        None => match crate::cards::load(&config.briefings, chrono::Utc::now().date_naive()) {
            Ok(l) => l
                .topics
                .iter()
                .filter(|t| t.feeds.is_some())
                .map(|t| t.id.clone())
                .collect(),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let runtime = match current_thread() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let read = runtime.block_on(async {
        let store = crate::store::Stores::open(&config).await?.news;
        let mut out = Vec::new();
        for t in &topics {
            // An item is kept under each of its keys (GUID, address): it is shown once.
            let mut shown = std::collections::HashSet::new();
            let items: Vec<_> = store
                .items(t, args.limit.saturating_mul(2))
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|i| shown.insert((i.title.clone(), i.outlet.clone(), i.seen_at)))
                .take(args.limit)
                .collect();
            let mut decided = std::collections::HashMap::new();
            for id in items.iter().filter_map(|i| i.proposal) {
                if let std::collections::hash_map::Entry::Vacant(v) = decided.entry(id)
                    && let Some(p) = store.proposal(id).await.map_err(|e| e.to_string())?
                {
                    v.insert(p);
                }
            }
            out.push((t.clone(), items, decided));
        }
        Ok::<_, String>(out)
    });
    let topics = match read {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let decision = |p: Option<&crate::store::news::StoredProposal>| {
        p.map(|p| {
            serde_json::json!({
                "proposal": p.id,
                "state": p.state,
                "decided_by": p.decided_by,
                "reason": p.reason,
            })
        })
    };
    match args.format {
        Format::Json => {
            let items: Vec<serde_json::Value> = topics
                .iter()
                .flat_map(|(_, items, decided)| {
                    items.iter().map(|i| {
                        serde_json::json!({
                            "topic": i.topic,
                            "key": i.key,
                            "title": i.title,
                            "outlet": i.outlet,
                            "fate": i.fate,
                            "score": i.score,
                            "seen_at": i.seen_at.to_rfc3339(),
                            "decision": decision(i.proposal.and_then(|id| decided.get(&id))),
                        })
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "items": items }))
                    .unwrap_or_default()
            );
        }
        Format::Human => {
            for (topic, items, decided) in &topics {
                println!("{topic}: {} items seen", items.len());
                for i in items {
                    let fate = match i.proposal.and_then(|id| decided.get(&id)) {
                        Some(p) if p.state == "open" => format!("{} (#{}, open)", i.fate, p.id),
                        Some(p) => format!(
                            "{} (#{}, {} by {}{})",
                            i.fate,
                            p.id,
                            p.state,
                            p.decided_by.as_deref().unwrap_or("?"),
                            p.reason
                                .as_deref()
                                .map_or(String::new(), |r| format!(": {r}"))
                        ),
                        None => i.fate.clone(),
                    };
                    println!(
                        "  {}  score {:>2}  {fate:<24}  {}: {}",
                        i.seen_at.format("%Y-%m-%d %H:%M"),
                        i.score,
                        i.outlet,
                        i.title
                    );
                }
            }
        }
    }
    ExitCode::SUCCESS
}
