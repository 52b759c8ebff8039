//! The config file as TOML has it: serde structs that mirror each table, with spans for the
//! diagnostics, and unknown keys refused.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) briefings: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) default_topic: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) state: Option<Spanned<String>>,
    /// With a PostgreSQL `state`: this replica's own folder.
    #[serde(default)]
    pub(super) local_state: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) state_password_file: Option<Spanned<String>>,
    /// The CA certificate for a verifying `sslmode`.
    #[serde(default)]
    pub(super) state_ca_file: Option<Spanned<String>>,
    /// The git remote the card folders share edits through.
    #[serde(default)]
    pub(super) cards_remote: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) discord: Option<Spanned<RawDiscord>>,
    #[serde(default)]
    pub(super) matrix: Option<Spanned<RawMatrix>>,
    #[serde(default)]
    pub(super) http: Option<Spanned<RawHttp>>,
    #[serde(default)]
    pub(super) moderation: Option<Spanned<RawModeration>>,
    #[serde(default)]
    pub(super) schedule: Vec<Spanned<RawSchedule>>,
    #[serde(default)]
    pub(super) cache: Option<Spanned<RawCache>>,
    #[serde(default)]
    pub(super) web: Option<Spanned<RawWeb>>,
    #[serde(default)]
    pub(super) charts: Option<Spanned<RawCharts>>,
    #[serde(default)]
    pub(super) deadlines: Option<Spanned<RawDeadlines>>,
    #[serde(default)]
    pub(super) newsdesk: Option<Spanned<RawNewsdesk>>,
    #[serde(default)]
    pub(super) sources: Option<Spanned<RawSources>>,
    /// `[schedules]`: how the daily briefings are run (the briefings are `[[schedule]]`).
    #[serde(default)]
    pub(super) schedules: Option<Spanned<RawSchedules>>,
}

/// `[sources]`: how the cited pages are looked at.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSources {
    #[serde(default)]
    pub(super) allow_private: Option<bool>,
    #[serde(default)]
    pub(super) check_every: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) watch: Option<bool>,
    #[serde(default)]
    pub(super) archive: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) availability: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) archive_keys_file: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) archive_gap: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) host_gap: Option<Spanned<String>>,
}

/// `[newsdesk]`: how the topics' feeds are read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNewsdesk {
    #[serde(default)]
    pub(super) allow_private: Option<bool>,
    #[serde(default)]
    pub(super) contact: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) max_proposals_per_day: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) poll: Option<bool>,
}

/// `[deadlines]`: how long calls to other services may take.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDeadlines {
    #[serde(default)]
    pub(super) discord: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) matrix: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) git: Option<Spanned<String>>,
}

/// `[schedules]`: how replicas share the daily briefings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedules {
    #[serde(default)]
    pub(super) claim_lease: Option<Spanned<String>>,
}

/// `[charts]`: the pictures drawn beside answers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCharts {
    #[serde(default)]
    pub(super) enabled: Option<bool>,
}

/// `[web]`: the public pages, on the HTTP listener.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeb {
    #[serde(default)]
    pub(super) public_url: Option<Spanned<String>>,
}

/// `[cache]`: the reply cache.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    #[serde(default)]
    pub(super) max_mib: Option<Spanned<i64>>,
}

/// One `[[schedule]]`: a daily briefing posted to a channel or room.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    #[serde(default)]
    pub(super) topic: Option<Spanned<String>>,
    pub(super) at: Spanned<String>,
    pub(super) timezone: Spanned<String>,
    #[serde(default)]
    pub(super) discord_channel: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) matrix_room: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) when_unchanged: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) catch_up: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    pub(super) listen: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModeration {
    #[serde(default)]
    pub(super) discord_channel: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) matrix_room: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) matrix_users: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) matrix_rooms: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) discord_users: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) discord_guilds: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) discord_roles: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatrix {
    pub(super) homeserver: Spanned<String>,
    pub(super) user: Spanned<String>,
    /// Only here to be refused with a clear message.
    #[serde(default)]
    pub(super) password: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) access_token: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) device_id: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) store: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) prefix: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) autojoin: Option<Spanned<bool>>,
    #[serde(default)]
    pub(super) autojoin_from: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) moderator_power_level: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscord {
    pub(super) application_id: Spanned<String>,
    #[serde(default)]
    pub(super) public_key: Option<Spanned<String>>,
    /// Only here to be refused with a clear message.
    #[serde(default)]
    pub(super) token: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub(super) token_file: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) gateway: Option<Spanned<bool>>,
    #[serde(default)]
    pub(super) interactions_listen: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) dev_guild: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) moderator_permission: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) defer_after_ms: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) api_proxy: Option<Spanned<String>>,
    /// `"auto"` or a count.
    #[serde(default)]
    pub(super) shards: Option<Spanned<toml::Value>>,
}
