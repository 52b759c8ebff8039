//! `[discord]`: the application, its public key, the bot token (from the environment or a
//! file, never the config), the gateway and endpoint switches and the moderator permission.

use super::check::ConfigCheck;
use super::raw::*;
use super::types::*;
use toml::Spanned;

impl ConfigCheck<'_> {
    pub(super) fn discord(&mut self, d: Spanned<RawDiscord>) -> DiscordConfig {
        let span = d.span();
        let d = d.into_inner();
        if let Some(t) = &d.token {
            self.err(
                t.span(),
                "secret-in-config",
                "the bot token must not be written in the config file".into(),
                "remove it; set DISCORD_TOKEN in the environment, or point `token_file` at a file that holds it",
            );
        }
        let application_id = self
            .discord_id(
                &d.application_id,
                "application_id",
                "copy the Application ID from the Developer Portal, as a quoted string of digits",
            )
            .unwrap_or(0);
        let public_key = d.public_key.as_ref().and_then(|k| {
            let key = parse_key(k.get_ref());
            if key.is_none() {
                self.err(
                    k.span(),
                    "bad-value",
                    "`public_key` is not a valid Ed25519 public key".into(),
                    "copy the Public Key from the Developer Portal: 64 hexadecimal characters",
                );
            }
            key
        });
        let token = self.discord_token(&d);
        let interactions_listen = d
            .interactions_listen
            .as_ref()
            .and_then(|l| self.listen_addr(l));
        if interactions_listen.is_some() && d.public_key.is_none() {
            self.err(
                span.clone(),
                "missing-field",
                "`interactions_listen` needs `public_key`".into(),
                "add `public_key = \"…\"` (from the Developer Portal) so requests can be verified",
            );
        }
        let gateway = d.gateway.as_ref().map_or(token.is_some(), |g| *g.get_ref());
        if gateway && token.is_none() {
            let at = d.gateway.as_ref().map_or(span.clone(), Spanned::span);
            self.err(at, "missing-secret", "the gateway needs a bot token".into(), "set DISCORD_TOKEN, or `token_file`, or `gateway = false` to run only the HTTP interactions endpoint");
        }
        if !gateway && interactions_listen.is_none() {
            self.err(
                span,
                "missing-field",
                "the [discord] table opens no door".into(),
                "set `interactions_listen = \"127.0.0.1:8080\"`, or give a token for the gateway",
            );
        }
        DiscordConfig {
            deadline: crate::deadlines::DISCORD_REQUEST,
            application_id,
            public_key,
            token,
            gateway,
            interactions_listen,
            dev_guild: d.dev_guild.as_ref().and_then(|g| {
                self.discord_id(
                    g,
                    "dev_guild",
                    "write the server (guild) id as a quoted string of digits",
                )
            }),
            moderator_permission: d
                .moderator_permission
                .as_ref()
                .map_or(ModeratorPermission::ManageGuild, |p| self.permission(p)),
            defer_after_ms: d.defer_after_ms.map_or(2000, Spanned::into_inner),
            shards: d
                .shards
                .as_ref()
                .map_or(Shards::Count(1), |s| self.shards(s)),
            api_proxy: d
                .api_proxy
                .map(|p| p.into_inner().trim_end_matches('/').to_owned()),
        }
    }

    /// `shards = "auto"` or a count from 1 to [`MAX_SHARDS`].
    fn shards(&mut self, v: &Spanned<toml::Value>) -> Shards {
        match v.get_ref() {
            toml::Value::String(s) if s == "auto" => Shards::Auto,
            toml::Value::Integer(n) if (1..=i64::from(MAX_SHARDS)).contains(n) => {
                Shards::Count(*n as u32)
            }
            _ => {
                self.err(
                    v.span(),
                    "bad-value",
                    format!("`shards` must be \"auto\" or a count from 1 to {MAX_SHARDS}"),
                    "write `shards = \"auto\"` (Discord's recommended count) or e.g. `shards = 2`",
                );
                Shards::Count(1)
            }
        }
    }

    /// A Discord snowflake written as a quoted string of digits.
    pub(super) fn discord_id(&mut self, v: &Spanned<String>, key: &str, help: &str) -> Option<u64> {
        match v.get_ref().trim().parse::<u64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                self.err(
                    v.span(),
                    "bad-value",
                    format!("`{key}` is not a Discord id"),
                    help,
                );
                None
            }
        }
    }
    /// The bot token: from `token_file` when set, else from DISCORD_TOKEN.
    pub(super) fn discord_token(&mut self, d: &RawDiscord) -> Option<Secret> {
        let Some(f) = &d.token_file else {
            return self.env.var("DISCORD_TOKEN").map(Secret::new);
        };
        match std::fs::read_to_string(self.relative(f.get_ref())) {
            Ok(t) if !t.trim().is_empty() => Some(Secret::new(t.trim())),
            Ok(_) => {
                self.err(
                    f.span(),
                    "bad-value",
                    "the token file is empty".into(),
                    "write the bot token into that file",
                );
                None
            }
            Err(e) => {
                self.err(
                    f.span(),
                    "io",
                    format!("cannot read the token file: {e}"),
                    "check the path and that the file is readable",
                );
                None
            }
        }
    }

    pub(super) fn permission(&mut self, p: &Spanned<String>) -> ModeratorPermission {
        if let Some(perm) = ModeratorPermission::parse(p.get_ref()) {
            return perm;
        }
        let names = ModeratorPermission::names();
        let help = match crate::text::did_you_mean(p.get_ref(), names.iter().copied(), 1).first() {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("one of {}", crate::text::or_list(&names)),
        };
        self.err(
            p.span(),
            "bad-value",
            format!(
                "`{}` is not a moderator permission dossier knows",
                p.get_ref()
            ),
            &help,
        );
        ModeratorPermission::ManageGuild
    }
}
