//! `dossier discord register [--guild ID] --config FILE`: register the slash commands now
//! (bulk overwrite), whether or not they changed.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Register the slash commands with Discord (needs the bot token).
    Register {
        /// The config file (see dossier.example.toml).
        #[arg(long, env = "DOSSIER_CONFIG", value_name = "FILE")]
        config: PathBuf,
        /// Register in this server only (instant; global registration can take a while to show).
        #[arg(long, value_name = "ID")]
        guild: Option<u64>,
    },
}

pub fn run(cmd: Cmd) -> ExitCode {
    let Cmd::Register { config, guild } = cmd;
    super::common::init_logging(super::common::LogFormat::Human);
    let config = match super::common::read_config(&config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let Some(d) = config.discord.clone() else {
        eprintln!("error: the config has no [discord] table");
        return ExitCode::from(2);
    };
    let Some(token) = d.token.clone() else {
        eprintln!(
            "error: registering commands needs the bot token: set DISCORD_TOKEN or `token_file`"
        );
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let http = crate::discord::http(&d, token.expose());
    let settings = crate::discord::Settings::from_config(&d);
    let state_file = config.state.join("discord-commands.json");
    let guild = guild.or(d.dev_guild);
    match runtime.block_on(async {
        // Forget what was registered so the overwrite always happens.
        let _ = std::fs::remove_file(&state_file);
        crate::discord::commands::register(
            &http,
            (!config.moderation.moderators.names_discord_people())
                .then_some(settings.moderator_permission),
            guild,
            Some(&state_file),
        )
        .await
    }) {
        Ok(_) => {
            println!(
                "registered {} slash commands {}",
                crate::commands::spec::COMMANDS.len(),
                guild.map_or("globally".to_owned(), |g| format!("in guild {g}"))
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: registering slash commands failed: {e}");
            ExitCode::from(1)
        }
    }
}
