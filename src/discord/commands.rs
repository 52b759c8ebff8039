//! Slash-command registrations built from the one command list (`commands::spec`): names,
//! descriptions, typed options with autocomplete, and moderator permissions. Registered by bulk
//! overwrite, only when the definitions changed since the last registration.

use crate::commands::command::MAX_PAGE;
use crate::commands::spec::{ArgKind, ArgSpec, COMMANDS};
use crate::render::discord::limits;
use crate::text::truncate_words;
use serenity::builder::{CreateCommand, CreateCommandOption};
use serenity::http::Http;
use serenity::model::Permissions;
use serenity::model::application::{Command, CommandOptionType, InteractionContext};
use serenity::model::id::GuildId;
use std::path::Path;

/// The option every command takes to answer only the asker.
pub const PRIVATE: &str = "private";

fn option(arg: &ArgSpec) -> CreateCommandOption {
    let (kind, autocomplete) = match arg.kind {
        ArgKind::Page | ArgKind::Id => (CommandOptionType::Integer, false),
        ArgKind::Switch => (CommandOptionType::Boolean, false),
        ArgKind::Timezone => (CommandOptionType::String, true),
        ArgKind::Time => (CommandOptionType::String, false),
        ArgKind::Actor | ArgKind::Topic | ArgKind::Command => (CommandOptionType::String, true),
        ArgKind::Date | ArgKind::Text | ArgKind::EditWhat | ArgKind::NewWhat => {
            (CommandOptionType::String, false)
        }
    };
    let mut o = CreateCommandOption::new(
        kind,
        arg.name,
        truncate_words(arg.help, limits::OPTION_DESCRIPTION),
    )
    .required(arg.required)
    .set_autocomplete(autocomplete);
    match arg.kind {
        ArgKind::Page => o = o.min_int_value(1).max_int_value(u64::from(MAX_PAGE)),
        ArgKind::Date => o = o.min_length(4).max_length(10),
        ArgKind::Time => o = o.min_length(4).max_length(5),
        ArgKind::Id => o = o.min_int_value(1),
        ArgKind::Text => o = o.min_length(1).max_length(200),
        ArgKind::EditWhat => {
            for w in crate::commands::spec::EDIT_WHATS {
                o = o.add_string_choice(*w, *w);
            }
        }
        ArgKind::NewWhat => {
            for w in crate::commands::spec::NEW_WHATS {
                o = o.add_string_choice(*w, *w);
            }
        }
        _ => o = o.max_length(100),
    }
    o
}

/// Every command as a slash command. Moderator commands are shown in servers only to members
/// holding `moderator` (server admins can change that in Integrations); with `None` (the
/// operator names Discord users or roles, who may lack it) they are offered to everyone, in DMs
/// too, and the router refuses whoever is not a moderator.
pub fn definitions(moderator: Option<Permissions>) -> Vec<CreateCommand> {
    COMMANDS
        .iter()
        .map(|spec| {
            let mut c = CreateCommand::new(spec.name)
                .description(truncate_words(spec.summary, limits::COMMAND_DESCRIPTION))
                .contexts(vec![
                    InteractionContext::Guild,
                    InteractionContext::BotDm,
                    InteractionContext::PrivateChannel,
                ]);
            // Required options must come before optional ones.
            let mut args: Vec<_> = spec.args.iter().collect();
            args.sort_by_key(|a| !a.required);
            for a in args {
                c = c.add_option(option(a));
            }
            c = c.add_option(CreateCommandOption::new(
                CommandOptionType::Boolean,
                PRIVATE,
                "Show the answer only to you",
            ));
            if spec.moderator
                && let Some(p) = moderator
            {
                c = c
                    .default_member_permissions(p)
                    .contexts(vec![InteractionContext::Guild]);
            }
            c
        })
        .collect()
}

/// The definitions as JSON, to compare with what was registered last.
pub fn fingerprint(defs: &[CreateCommand]) -> String {
    serde_json::to_string(defs).unwrap_or_default()
}

/// Register the commands (bulk overwrite), globally or in one guild. With `state_file`, skip
/// when the definitions are the ones registered last time. Returns whether it registered.
pub async fn register(
    http: &Http,
    moderator: Option<Permissions>,
    guild: Option<u64>,
    state_file: Option<&Path>,
) -> serenity::Result<bool> {
    let defs = definitions(moderator);
    let print = format!(
        "{}\n{}",
        guild.map_or("global".to_owned(), |g| g.to_string()),
        fingerprint(&defs)
    );
    if let Some(f) = state_file
        && std::fs::read_to_string(f).is_ok_and(|old| old == print)
    {
        tracing::info!("slash commands unchanged since the last registration");
        return Ok(false);
    }
    match guild {
        Some(g) => {
            GuildId::new(g).set_commands(http, defs).await?;
        }
        None => {
            Command::set_global_commands(http, defs).await?;
        }
    }
    tracing::info!(scope = %guild.map_or("global".to_owned(), |g| format!("guild {g}")), "registered slash commands");
    if let Some(f) = state_file {
        if let Some(dir) = f.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(f, print) {
            tracing::warn!(path = %f.display(), error = %e, "could not record the registered commands");
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_follow_the_spec_and_discord_rules() {
        let defs = definitions(Some(Permissions::MANAGE_GUILD));
        let json: serde_json::Value = serde_json::to_value(&defs).expect("json");
        let list = json.as_array().expect("array");
        assert_eq!(list.len(), COMMANDS.len());
        for c in list {
            let name = c["name"].as_str().expect("name");
            assert!(name.len() <= 32 && name.chars().all(|ch| ch.is_ascii_lowercase()));
            assert!(
                c["description"]
                    .as_str()
                    .expect("description")
                    .chars()
                    .count()
                    <= 100
            );
            let opts = c["options"].as_array().expect("options");
            let mut seen_optional = false;
            for o in opts {
                let req = o["required"].as_bool().unwrap_or(false);
                assert!(!(req && seen_optional), "{name}: required after optional");
                seen_optional |= !req;
            }
            assert!(opts.iter().any(|o| o["name"] == "private"));
        }
        let position = list
            .iter()
            .find(|c| c["name"] == "position")
            .expect("position");
        assert_eq!(position["options"][0]["name"], "actor");
        assert_eq!(position["options"][0]["autocomplete"], true);
        let timeline = list
            .iter()
            .find(|c| c["name"] == "timeline")
            .expect("timeline");
        let page = timeline["options"]
            .as_array()
            .expect("opts")
            .iter()
            .find(|o| o["name"] == "page")
            .expect("page");
        assert_eq!(
            (page["type"].as_u64(), page["min_value"].as_u64()),
            (Some(4), Some(1))
        );
        let compare = list
            .iter()
            .find(|c| c["name"] == "compare")
            .expect("compare");
        let names: Vec<&str> = compare["options"]
            .as_array()
            .expect("opts")
            .iter()
            .filter_map(|o| o["name"].as_str())
            .collect();
        assert_eq!(
            names,
            ["first", "second", "on", "topic", "picture", "private"]
        );
        let picture = compare["options"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["name"] == "picture"))
            .expect("picture");
        assert_eq!(picture["type"], 5, "a boolean option");
        let status = list.iter().find(|c| c["name"] == "status").expect("status");
        assert_eq!(status["default_member_permissions"], "32");
    }
}
