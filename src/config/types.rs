//! The validated configuration, as `serve` and the doors use it: where the briefings and the
//! state are, each door's settings, the moderators' destinations and the daily briefings; and
//! where secrets come from (`Env`), printed as `[redacted]` whatever prints them.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A secret (a bot token, a password): printed as `[redacted]`, whatever prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub briefings: PathBuf,
    pub default_topic: Option<String>,
    /// Where dossier keeps what it must remember across restarts: with `postgres`, what this
    /// replica keeps to itself (`local_state`).
    pub state: PathBuf,
    /// `state = "postgres://…"`: the database the replicas share.
    pub postgres: Option<PostgresConfig>,
    pub discord: Option<DiscordConfig>,
    pub matrix: Option<MatrixConfig>,
    /// The one HTTP listener: health, readiness, metrics, and the Discord interactions
    /// endpoint when that is configured. `[http] listen`, or `[discord] interactions_listen`.
    pub listen: Option<SocketAddr>,
    pub moderation: Moderation,
    /// Daily briefings from `[[schedule]]` (read-only from chat).
    pub schedules: Vec<crate::schedule::NewSubscription>,
    /// The reply cache's budget in bytes (`[cache] max_mib`; 0 turns it off).
    pub reply_cache_bytes: usize,
    /// `[web]`: the public pages are served on the HTTP listener.
    pub web: Option<WebConfig>,
    /// `[charts] enabled`: draw charts beside the answers that have one (true unless set off).
    pub charts: bool,
    /// `cards_remote`: the git remote (a name, URL or path) the replicas' card folders pull
    /// from and push edits to.
    pub cards_remote: Option<String>,
    /// `[newsdesk]`: how the topics' feeds are read.
    pub newsdesk: NewsdeskConfig,
    /// `[sources]`: how the cited pages are looked at.
    pub sources: SourcesConfig,
    /// `[deadlines]`: how long a call to Discord, Matrix or the cards remote may take.
    pub deadlines: crate::deadlines::Deadlines,
    /// `[schedules] claim_lease`: how long a replica's claim on a briefing holds without being
    /// renewed (so how soon another replica takes over the briefings of one that died).
    pub claim_lease: std::time::Duration,
}

/// `[sources]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcesConfig {
    /// Look at pages on loopback and private addresses too (an intranet; the tests).
    pub allow_private: bool,
    /// Whether `serve` looks at the cited pages on its own: off unless the operator says so,
    /// since it asks every site the cards cite.
    pub watch: bool,
    /// How often `serve` looks at each source (a new one within minutes).
    pub check_every: std::time::Duration,
    /// The web archive that takes snapshots (Save Page Now 2 answers at `{archive}/save`).
    pub archive: String,
    /// The archive's availability API, asked for a snapshot it already has.
    pub availability: String,
    /// The archive's keys ("access:secret"), from `archive_keys_file`: with them, snapshots
    /// are taken as the operator's account.
    pub archive_keys: Option<Secret>,
    /// The least time between two requests to the archive (5 s unless set).
    pub archive_gap: std::time::Duration,
    /// The least time between two requests to one cited site (2 s unless set).
    pub host_gap: std::time::Duration,
}

/// The public Wayback Machine.
pub const WAYBACK: &str = "https://web.archive.org";
/// The Wayback Machine's availability API.
pub const WAYBACK_AVAILABILITY: &str = "https://archive.org/wayback/available";

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            allow_private: false,
            watch: false,
            check_every: std::time::Duration::from_secs(7 * 86_400),
            archive: WAYBACK.into(),
            availability: WAYBACK_AVAILABILITY.into(),
            archive_keys: None,
            archive_gap: std::time::Duration::from_secs(5),
            host_gap: std::time::Duration::from_secs(2),
        }
    }
}

/// `[newsdesk]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsdeskConfig {
    /// Fetch from loopback and private addresses too (an intranet; the tests).
    pub allow_private: bool,
    /// The operator's contact URL, in the `User-Agent` of every fetch.
    pub contact: Option<String>,
    /// How many proposals of one topic reach the moderators a day.
    pub max_proposals_per_day: usize,
    /// Whether `serve` reads the feeds on their own `every` (`dossier desk poll` reads them
    /// whenever it is run).
    pub poll: bool,
}

impl Default for NewsdeskConfig {
    fn default() -> Self {
        NewsdeskConfig {
            allow_private: false,
            contact: None,
            max_proposals_per_day: 20,
            poll: true,
        }
    }
}

/// A PostgreSQL database for the shared state. The address holds no password.
#[derive(Debug, Clone)]
pub struct PostgresConfig {
    pub address: String,
    /// From `PGPASSWORD` or `state_password_file`.
    pub password: Option<Secret>,
    /// The certificate authority (PEM) the server's certificate must chain to
    /// (`state_ca_file`): needed by `sslmode=verify-ca` and `verify-full`.
    pub ca_file: Option<PathBuf>,
}

/// How the connection to the shared database is protected: the address's `sslmode`, with
/// libpq's meanings. `Prefer` (the default) and `Require` encrypt without checking who answers;
/// `VerifyCa` checks the certificate against `state_ca_file`; `VerifyFull` also checks that it
/// names the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PgTls {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl PgTls {
    /// The `sslmode` values, as written in an address.
    pub const NAMES: [&'static str; 5] =
        ["disable", "prefer", "require", "verify-ca", "verify-full"];

    /// Whether the server's certificate is checked against a CA file.
    pub fn verifies(self) -> bool {
        matches!(self, PgTls::VerifyCa | PgTls::VerifyFull)
    }
}

/// The `sslmode` of a PostgreSQL address, and the address as tokio-postgres reads it (which
/// knows only `disable`, `prefer` and `require`: a verifying mode is `require` there, and the
/// checking is dossier's).
pub fn sslmode(address: &str) -> Result<(String, PgTls), String> {
    if !address.contains("sslmode=") {
        return Ok((address.to_owned(), PgTls::Prefer));
    }
    let mut url = url::Url::parse(address).map_err(|e| e.to_string())?;
    let mut mode = PgTls::Prefer;
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (k, v) in url.query_pairs() {
        if k == "sslmode" {
            mode = match v.as_ref() {
                "disable" => PgTls::Disable,
                "prefer" => PgTls::Prefer,
                "require" => PgTls::Require,
                "verify-ca" => PgTls::VerifyCa,
                "verify-full" => PgTls::VerifyFull,
                other => {
                    return Err(format!(
                        "`sslmode={other}` is not one of {}",
                        PgTls::NAMES.join(", ")
                    ));
                }
            };
            let plain = if mode.verifies() { "require" } else { &v };
            pairs.push((k.into_owned(), plain.to_owned()));
        } else {
            pairs.push((k.into_owned(), v.into_owned()));
        }
    }
    url.query_pairs_mut().clear().extend_pairs(pairs);
    Ok((url.to_string(), mode))
}

/// `[web]`.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where the pages are reached from outside (`public_url`), for links from chat.
    pub public_url: Option<url::Url>,
}

/// `[moderation]`: where moderators are told about broken cards, their fixes and new warnings,
/// and who the moderators are.
#[derive(Debug, Clone, Default)]
pub struct Moderation {
    pub discord_channel: Option<u64>,
    pub matrix_room: Option<String>,
    pub moderators: Moderators,
}

/// The moderators the operator names: only they may change what every place shares (the
/// cards, their history, suggestions, reloads). Each list grants on its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moderators {
    /// Matrix users who moderate from any room the bot is in.
    pub matrix_users: Vec<String>,
    /// Matrix rooms whose members at `moderator_power_level` or above moderate.
    pub matrix_rooms: Vec<String>,
    /// Discord users who moderate from any server or a DM.
    pub discord_users: Vec<u64>,
    /// Discord servers whose members holding `moderator_permission` moderate there.
    pub discord_guilds: Vec<u64>,
    /// Discord roles whose members moderate.
    pub discord_roles: Vec<u64>,
}

impl Moderators {
    /// Whether the operator named nobody: then no chat user may change the shared cards.
    pub fn is_empty(&self) -> bool {
        self.matrix_users.is_empty()
            && self.matrix_rooms.is_empty()
            && self.discord_users.is_empty()
            && self.discord_guilds.is_empty()
            && self.discord_roles.is_empty()
    }

    /// Whether some Discord user is named without a server's permission (a user or a role):
    /// then the slash commands that change the cards are offered to everyone who can see the
    /// bot, and dossier alone decides who may run them.
    pub fn names_discord_people(&self) -> bool {
        !self.discord_users.is_empty() || !self.discord_roles.is_empty()
    }
}

/// How the Matrix door logs in.
#[derive(Debug, Clone)]
pub enum MatrixLogin {
    Password(Secret),
    /// An existing session: access token and the device it belongs to.
    Token {
        access_token: Secret,
        device_id: String,
    },
}

#[derive(Debug, Clone)]
pub struct MatrixConfig {
    pub homeserver: url::Url,
    pub user: String,
    pub login: MatrixLogin,
    /// The matrix-sdk SQLite store: room state, sync token, encryption keys, our session.
    pub store: PathBuf,
    pub store_passphrase: Option<Secret>,
    pub prefix: String,
    pub autojoin: bool,
    /// Servers (`example.org`) or users (`@alice:example.org`) whose invites are accepted,
    /// or `*` for anyone's; by default the bot's own homeserver (its user id's server name).
    pub autojoin_from: Vec<String>,
    pub moderator_power_level: i64,
    /// How long one request to the homeserver may take (`[deadlines] matrix`).
    pub deadline: std::time::Duration,
}

#[derive(Debug, Clone)]
pub struct DiscordConfig {
    pub application_id: u64,
    pub public_key: Option<[u8; 32]>,
    pub token: Option<Secret>,
    pub gateway: bool,
    pub interactions_listen: Option<SocketAddr>,
    pub dev_guild: Option<u64>,
    /// The permission moderators need.
    pub moderator_permission: ModeratorPermission,
    /// Answers that take longer than this are deferred and completed by an edit.
    pub defer_after_ms: u64,
    /// Send REST and gateway traffic to this base URL instead of https://discord.com (an
    /// outgoing proxy, or a test double).
    pub api_proxy: Option<String>,
    /// How many gateway shards the bot runs (spread over the replicas when they share a
    /// database).
    pub shards: Shards,
    /// How long one REST request may take (`[deadlines] discord`).
    pub deadline: std::time::Duration,
}

/// `[discord] shards`: a count, or the count Discord recommends (`GET /gateway/bot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shards {
    Auto,
    Count(u32),
}

/// The most shards a config may ask for (Discord requires sharding from 2,500 servers; this
/// allows far beyond any bot dossier serves).
pub const MAX_SHARDS: u32 = 256;

/// Where secrets come from, so tests can supply them without touching the process environment.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

/// The Discord permission that makes a member a moderator. The one list of names dossier
/// accepts for `moderator_permission`; the Discord door maps each to serenity's flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeratorPermission {
    ManageGuild,
    Administrator,
    ManageChannels,
    ManageMessages,
    ModerateMembers,
    KickMembers,
}

impl ModeratorPermission {
    /// Each permission with its name in the config (Discord's own spelling).
    pub const ALL: [(&'static str, ModeratorPermission); 6] = [
        ("MANAGE_GUILD", ModeratorPermission::ManageGuild),
        ("ADMINISTRATOR", ModeratorPermission::Administrator),
        ("MANAGE_CHANNELS", ModeratorPermission::ManageChannels),
        ("MANAGE_MESSAGES", ModeratorPermission::ManageMessages),
        ("MODERATE_MEMBERS", ModeratorPermission::ModerateMembers),
        ("KICK_MEMBERS", ModeratorPermission::KickMembers),
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("MANAGE_GUILD", |(n, _)| n)
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|(n, _)| *n).collect()
    }
}

/// A 64-character hex Ed25519 public key.
pub fn parse_key(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
