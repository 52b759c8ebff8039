//! The Discord setup the handlers need (application, moderator permission, when to defer),
//! the doors' names, and the `Http` client for the configured application.

use crate::config::{DiscordConfig, ModeratorPermission};
use serenity::http::{Http, HttpBuilder};
use serenity::model::Permissions;
use serenity::model::id::ApplicationId;
use std::time::Duration;

/// The names the gateway and the endpoint have in `status`, `/readyz` and the logs.
pub const GATEWAY: &str = "Discord gateway";
pub const ENDPOINT: &str = "Discord interactions endpoint";

/// The name of gateway shard `shard` of `total` in `status`, `/readyz` and the logs: the
/// gateway's own name when there is one shard. Each name is made once (a handful a process).
pub fn gateway_name(shard: u32, total: u32) -> &'static str {
    static NAMES: std::sync::Mutex<Vec<((u32, u32), &'static str)>> =
        std::sync::Mutex::new(Vec::new());
    if total <= 1 {
        return GATEWAY;
    }
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, n)) = names.iter().find(|(k, _)| *k == (shard, total)) {
        return n;
    }
    let name: &'static str = Box::leak(format!("{GATEWAY} shard {shard}/{total}").into_boxed_str());
    names.push(((shard, total), name));
    name
}

/// An `Http` client for the configured application, through `api_proxy` when set. Behind a
/// proxy serenity's own rate limiter does not run (it would talk to discord.com directly); the
/// proxy is expected to pace requests, and dossier's responses honour 429s themselves.
/// Every request has the deadlines of `crate::deadlines` (serenity sets none of its own): a
/// Discord that accepts a connection and never answers fails the call, it does not hold it.
pub fn http(d: &DiscordConfig, token: &str) -> Http {
    http_within(d, token, crate::deadlines::DISCORD_CONNECT, d.deadline)
}

/// [`http`] with other deadlines.
pub fn http_within(d: &DiscordConfig, token: &str, connect: Duration, request: Duration) -> Http {
    let mut b = HttpBuilder::new(token).application_id(ApplicationId::new(d.application_id.max(1)));
    // serenity's own client, as it builds it, but with deadlines; were it refused, serenity's
    // default would be used, with none: so it is built here or the process says why.
    match reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(connect)
        .timeout(request)
        .build()
    {
        Ok(client) => b = b.client(client),
        Err(e) => {
            tracing::error!(error = %e, "the Discord client could not be given its deadlines")
        }
    }
    if let Some(p) = &d.api_proxy {
        b = b.proxy(p.clone()).ratelimiter_disabled(true);
    }
    b.build()
}

/// What the handler needs to know about the Discord setup.
#[derive(Clone, Debug)]
pub struct Settings {
    pub application_id: u64,
    pub moderator_permission: Permissions,
    /// Command answers slower than this are deferred, then completed by an edit.
    pub defer_after: Duration,
}

impl Settings {
    pub fn from_config(c: &DiscordConfig) -> Self {
        Settings {
            application_id: c.application_id,
            moderator_permission: permission(c.moderator_permission),
            defer_after: Duration::from_millis(c.defer_after_ms),
        }
    }
}

/// The serenity flag for a moderator permission from the config.
pub fn permission(p: ModeratorPermission) -> Permissions {
    match p {
        ModeratorPermission::ManageGuild => Permissions::MANAGE_GUILD,
        ModeratorPermission::Administrator => Permissions::ADMINISTRATOR,
        ModeratorPermission::ManageChannels => Permissions::MANAGE_CHANNELS,
        ModeratorPermission::ManageMessages => Permissions::MANAGE_MESSAGES,
        ModeratorPermission::ModerateMembers => Permissions::MODERATE_MEMBERS,
        ModeratorPermission::KickMembers => Permissions::KICK_MEMBERS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_configurable_permission_has_its_own_flag() {
        let flags: Vec<Permissions> = ModeratorPermission::ALL
            .iter()
            .map(|(_, p)| permission(*p))
            .collect();
        for (i, (name, p)) in ModeratorPermission::ALL.iter().enumerate() {
            assert!(!flags[..i].contains(&flags[i]), "{name} shares a flag");
            // The config's name is Discord's own name for the flag.
            let discord_name = permission(*p).get_permission_names().join(",");
            assert_eq!(
                discord_name.to_ascii_uppercase().replace(' ', "_"),
                *name,
                "{name}"
            );
        }
    }
}

#[cfg(test)]
mod shard_names {
    use super::*;

    #[test]
    fn one_shard_is_the_gateway_and_several_are_numbered_once_each() {
        assert_eq!(gateway_name(0, 1), GATEWAY);
        let a = gateway_name(1, 4);
        assert_eq!(a, "Discord gateway shard 1/4");
        // The same name every time, made once.
        assert!(std::ptr::eq(a, gateway_name(1, 4)));
        assert_ne!(gateway_name(0, 4), a);
    }
}

#[cfg(test)]
mod deadline_tests {
    use super::*;

    /// A Discord that accepts the connection and never answers: the call fails at its deadline
    /// instead of holding its caller (a briefing's posting slot) for ever.
    #[test]
    fn a_discord_that_never_answers_fails_the_call_at_its_deadline() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            // Accepts, reads, and holds every connection open without a word.
            tokio::spawn(async move {
                let mut held = Vec::new();
                while let Ok((s, _)) = listener.accept().await {
                    held.push(s);
                }
            });
            let d = DiscordConfig {
                application_id: 1,
                public_key: None,
                token: None,
                gateway: false,
                interactions_listen: None,
                dev_guild: None,
                moderator_permission: crate::config::ModeratorPermission::ManageGuild,
                defer_after_ms: 2000,
                api_proxy: Some(format!("http://{addr}")),
                shards: crate::config::Shards::Count(1),
                deadline: Duration::from_secs(15),
            };
            let http = http_within(
                &d,
                "token",
                Duration::from_secs(1),
                Duration::from_millis(800),
            );
            let started = std::time::Instant::now();
            let sent = http
                .send_message(
                    serenity::model::id::ChannelId::new(1),
                    vec![],
                    &serde_json::json!({"content": "briefing"}),
                )
                .await;
            let took = started.elapsed();
            assert!(sent.is_err(), "{sent:?}");
            assert!(
                took >= Duration::from_millis(700) && took < Duration::from_secs(5),
                "{took:?}"
            );
        });
    }
}
