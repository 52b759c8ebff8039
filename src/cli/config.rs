//! `dossier config check --config FILE`: check a config and the cards it names as `serve`
//! would at start-up, without connecting anywhere. Exit codes as `check`: 0 fine (warnings
//! allowed), 1 the config or the cards are invalid, 2 a file could not be read.

use crate::config::{Config, ProcessEnv};
use crate::reload;
use chrono::NaiveDate;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Check a config file and the cards it names; connect nowhere.
    Check {
        /// The config file (see dossier.example.toml).
        #[arg(long, env = "DOSSIER_CONFIG", value_name = "FILE")]
        config: PathBuf,
        /// Fix "today" (YYYY-MM-DD) for staleness warnings.
        #[arg(long, env = "DOSSIER_TODAY", value_parser = super::common::parse_day, value_name = "DATE")]
        today: Option<NaiveDate>,
    },
}

/// What the config opens, in one line each.
fn describe(c: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(d) = &c.discord {
        if d.gateway {
            out.push(format!(
                "Discord gateway (application {})",
                d.application_id
            ));
        }
        if d.public_key.is_some()
            && let Some(addr) = c.listen
        {
            out.push(format!(
                "Discord interactions endpoint: POST http://{addr}/interactions"
            ));
        }
    }
    if let Some(m) = &c.matrix {
        out.push(format!("Matrix as {} on {}", m.user, m.homeserver));
    }
    if let Some(addr) = c.listen {
        out.push(format!("HTTP: http://{addr}/healthz, /readyz, /metrics"));
    }
    if let Some(ch) = c.moderation.discord_channel {
        out.push(format!("moderators' Discord channel {ch}"));
    }
    if let Some(r) = &c.moderation.matrix_room {
        out.push(format!("moderators' Matrix room {r}"));
    }
    let m = &c.moderation.moderators;
    let named: Vec<String> = [
        ("Matrix users", m.matrix_users.len()),
        ("Matrix rooms", m.matrix_rooms.len()),
        ("Discord users", m.discord_users.len()),
        ("Discord servers", m.discord_guilds.len()),
        ("Discord roles", m.discord_roles.len()),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(what, n)| format!("{n} {what}"))
    .collect();
    if !named.is_empty() {
        out.push(format!(
            "moderators who may change the shared cards: {}",
            named.join(", ")
        ));
    }
    out.push(format!("state kept in {}", c.state.display()));
    out
}

/// What the config leaves unsaid that an operator should know: a warning each.
pub fn warnings(c: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if c.moderation.moderators.is_empty() {
        out.push("no moderators are named: nobody in chat can edit the cards, undo, approve suggestions, reload or check (the terminal still can). To let moderators do that, name them in [moderation]: matrix_users, matrix_rooms, discord_users, discord_guilds or discord_roles. A read-only bot needs none.".to_owned());
    }
    out
}

pub fn run(cmd: Cmd) -> ExitCode {
    let Cmd::Check { config, today } = cmd;
    let c = match crate::config::load(&config, &ProcessEnv) {
        Ok(c) => c,
        Err(report) => {
            eprint!(
                "{}",
                report
                    .human()
                    .replace("briefings are invalid", "the config is invalid")
            );
            let unreadable = report
                .diagnostics
                .iter()
                .any(|d| d.code == "io" && d.line == 0 && d.path == config);
            return ExitCode::from(if unreadable {
                super::common::UNREADABLE_FOLDER
            } else {
                1
            });
        }
    };
    // `[web]` with the HTTP listener is a door of its own: the public pages.
    if c.discord.is_none() && c.matrix.is_none() && c.web.is_none() {
        eprintln!(
            "error: {} opens no door: add a [discord], [matrix] or [web] table (see dossier.example.toml)",
            config.display()
        );
        return ExitCode::from(1);
    }
    let today = today.unwrap_or_else(|| chrono::Local::now().date_naive());
    let root = reload::absolute(&c.briefings);
    match reload::load_checked(&root, today, c.default_topic.as_deref()) {
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(super::common::UNREADABLE_FOLDER)
        }
        Ok((library, report)) => {
            print!("{}", report.human());
            if report.has_errors() {
                eprintln!("{}: the cards it names are invalid", config.display());
                return ExitCode::from(1);
            }
            println!("{}: valid", config.display());
            for line in describe(&c) {
                println!("  {line}");
            }
            for w in warnings(&c) {
                eprintln!("warning: {w}");
            }
            println!(
                "  cards: {} topic(s), {} card files in {}, {} warning(s)",
                library.topics().len(),
                library.card_files(),
                root.display(),
                report.diagnostics.len()
            );
            ExitCode::SUCCESS
        }
    }
}
