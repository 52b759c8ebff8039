//! The `serve` configuration file: where the briefings are, and the platform doors to open.
//! Parsed with the same diagnostics as the cards, so an unknown key or a missing value names
//! the file, line and fix. Secrets never come from this file: tokens and passwords are read from
//! the environment or from files it names, and are never printed.

use crate::cards::parse::{decode, parse};
use crate::diag::{Diagnostic, Report, Severity};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use toml::Spanned;

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    briefings: Option<Spanned<String>>,
    #[serde(default)]
    default_topic: Option<Spanned<String>>,
    #[serde(default)]
    state: Option<Spanned<String>>,
    #[serde(default)]
    discord: Option<Spanned<RawDiscord>>,
    #[serde(default)]
    matrix: Option<Spanned<RawMatrix>>,
    #[serde(default)]
    http: Option<Spanned<RawHttp>>,
    #[serde(default)]
    moderation: Option<Spanned<RawModeration>>,
    #[serde(default)]
    schedule: Vec<Spanned<RawSchedule>>,
}

/// One `[[schedule]]`: a daily briefing posted to a channel or room.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    #[serde(default)]
    topic: Option<Spanned<String>>,
    at: Spanned<String>,
    timezone: Spanned<String>,
    #[serde(default)]
    discord_channel: Option<Spanned<String>>,
    #[serde(default)]
    matrix_room: Option<Spanned<String>>,
    #[serde(default)]
    when_unchanged: Option<Spanned<String>>,
    #[serde(default)]
    catch_up: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    listen: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModeration {
    #[serde(default)]
    discord_channel: Option<Spanned<String>>,
    #[serde(default)]
    matrix_room: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatrix {
    homeserver: Spanned<String>,
    user: Spanned<String>,
    /// Only here to be refused with a clear message.
    #[serde(default)]
    password: Option<Spanned<toml::Value>>,
    #[serde(default)]
    access_token: Option<Spanned<toml::Value>>,
    #[serde(default)]
    device_id: Option<Spanned<String>>,
    #[serde(default)]
    store: Option<Spanned<String>>,
    #[serde(default)]
    prefix: Option<Spanned<String>>,
    #[serde(default)]
    autojoin: Option<Spanned<bool>>,
    #[serde(default)]
    autojoin_from: Vec<Spanned<String>>,
    #[serde(default)]
    moderator_power_level: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscord {
    application_id: Spanned<String>,
    #[serde(default)]
    public_key: Option<Spanned<String>>,
    /// Only here to be refused with a clear message.
    #[serde(default)]
    token: Option<Spanned<toml::Value>>,
    #[serde(default)]
    token_file: Option<Spanned<String>>,
    #[serde(default)]
    gateway: Option<Spanned<bool>>,
    #[serde(default)]
    interactions_listen: Option<Spanned<String>>,
    #[serde(default)]
    dev_guild: Option<Spanned<String>>,
    #[serde(default)]
    moderator_permission: Option<Spanned<String>>,
    #[serde(default)]
    defer_after_ms: Option<Spanned<u64>>,
    #[serde(default)]
    api_proxy: Option<Spanned<String>>,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub briefings: PathBuf,
    pub default_topic: Option<String>,
    /// Where dossier keeps what it must remember across restarts.
    pub state: PathBuf,
    pub discord: Option<DiscordConfig>,
    pub matrix: Option<MatrixConfig>,
    /// The one HTTP listener: health, readiness, metrics, and the Discord interactions
    /// endpoint when that is configured. `[http] listen`, or `[discord] interactions_listen`.
    pub listen: Option<SocketAddr>,
    pub moderation: Moderation,
    /// Daily briefings from `[[schedule]]` (read-only from chat).
    pub schedules: Vec<crate::schedule::NewSubscription>,
}

/// Where moderators are told about broken cards, their fixes and new warnings.
#[derive(Debug, Clone, Default)]
pub struct Moderation {
    pub discord_channel: Option<u64>,
    pub matrix_room: Option<String>,
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
    /// Servers (`example.org`) or users (`@alice:example.org`) whose invites are accepted;
    /// empty means everyone's.
    pub autojoin_from: Vec<String>,
    pub moderator_power_level: i64,
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
}

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

/// Read and check a config file. Errors come back as a report with every problem found; a
/// line that looks like it holds a secret is never quoted in them.
pub fn load(path: &Path, env: &dyn Env) -> Result<Config, Report> {
    load_unredacted(path, env).map_err(|mut report| {
        for d in &mut report.diagnostics {
            redact(d);
        }
        report
    })
}

/// Replace the value of a `token = …`-like line in a diagnostic's snippet.
fn redact(d: &mut Diagnostic) {
    let Some(line) = &d.snippet else { return };
    let lower = line.to_ascii_lowercase();
    let secretish = ["token", "password", "secret", "passphrase"]
        .iter()
        .any(|w| lower.split('=').next().is_some_and(|k| k.contains(w)));
    if secretish && let Some(eq) = line.find('=') {
        d.snippet = Some(format!("{}= [redacted]", &line[..eq]));
        d.width = d.width.min(
            d.snippet
                .as_ref()
                .map_or(1, |s| {
                    s.chars().count().saturating_sub(d.column.saturating_sub(1))
                })
                .max(1),
        );
    }
}

fn load_unredacted(path: &Path, env: &dyn Env) -> Result<Config, Report> {
    let mut report = Report::default();
    let decoded = match std::fs::read(path) {
        Ok(bytes) => decode(path, bytes),
        Err(e) => Err(Diagnostic::file(
            Severity::Error,
            "io",
            path,
            format!("cannot read the config file: {e}"),
        )
        .help("pass the path of an existing file to --config (see dossier.example.toml)")),
    };
    let text = match decoded {
        Ok(t) => t,
        Err(d) => {
            report.push(d);
            return Err(report);
        }
    };
    let raw: RawConfig = match parse(path, &text) {
        Ok(r) => r,
        Err(diags) => {
            report.diagnostics.extend(diags);
            return Err(report);
        }
    };
    let mut check = ConfigCheck {
        path,
        text: &text,
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        env,
        report,
    };
    let config = check.config(raw);
    if check.report.has_errors() {
        return Err(check.report);
    }
    Ok(config)
}

/// Checks one config file: where diagnostics point, where relative paths start, and where
/// secrets come from.
struct ConfigCheck<'a> {
    path: &'a Path,
    text: &'a str,
    /// The config file's folder: relative paths in it start there.
    base: PathBuf,
    env: &'a dyn Env,
    report: Report,
}

impl ConfigCheck<'_> {
    fn err(&mut self, span: std::ops::Range<usize>, code: &'static str, msg: String, help: &str) {
        self.report.push(
            Diagnostic::at(Severity::Error, code, self.path, self.text, span, msg).help(help),
        );
    }

    fn relative(&self, p: &str) -> PathBuf {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            self.base.join(p)
        }
    }

    fn path_or(&self, value: Option<&Spanned<String>>, default: &str) -> PathBuf {
        self.relative(value.map_or(default, |v| v.get_ref()))
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        let state = self.path_or(raw.state.as_ref(), "state");
        let discord = raw.discord.map(|d| self.discord(d));
        let matrix_table = raw.matrix.as_ref().map(Spanned::span);
        let matrix = raw.matrix.and_then(|m| self.matrix(m, &state));
        let listen = self.listen(raw.http.as_ref(), discord.as_ref());
        let moderation = raw.moderation.map_or_else(Moderation::default, |m| {
            self.moderation(m, discord.as_ref(), matrix_table.is_some())
        });
        let default_topic = raw.default_topic.map(Spanned::into_inner);
        let schedules = raw
            .schedule
            .iter()
            .filter_map(|s| {
                self.schedule(
                    s,
                    default_topic.as_deref(),
                    discord.as_ref(),
                    matrix_table.is_some(),
                )
            })
            .collect();
        Config {
            briefings: self.path_or(raw.briefings.as_ref(), "briefings"),
            default_topic,
            discord,
            matrix,
            listen,
            moderation,
            schedules,
            state,
        }
    }

    fn schedule(
        &mut self,
        s: &Spanned<RawSchedule>,
        default_topic: Option<&str>,
        discord: Option<&DiscordConfig>,
        matrix: bool,
    ) -> Option<crate::schedule::NewSubscription> {
        use crate::schedule::{Destination, parse_catch_up, parse_time, parse_zone};
        let span = s.span();
        let s = s.get_ref();
        let topic = match (&s.topic, default_topic) {
            (Some(t), _) => Some(t.get_ref().trim().to_owned()),
            (None, Some(d)) => Some(d.to_owned()),
            (None, None) => {
                self.err(
                    span.clone(),
                    "missing-field",
                    "this schedule names no topic".into(),
                    "add `topic = \"…\"`, or set `default_topic` at the top of the config",
                );
                None
            }
        };
        let at = parse_time(s.at.get_ref())
            .map_err(|why| self.err(s.at.span(), "bad-value", why, "e.g. at = \"08:00\""))
            .ok();
        let tz = parse_zone(s.timezone.get_ref())
            .map_err(|why| {
                self.err(
                    s.timezone.span(),
                    "bad-value",
                    why,
                    "an IANA time zone name, e.g. timezone = \"Asia/Muscat\"",
                )
            })
            .ok();
        let destination = match (&s.discord_channel, &s.matrix_room) {
            (Some(c), None) => {
                let id = self.discord_id(c, "discord_channel", "copy the channel id (Developer Mode: right-click the channel, Copy Channel ID)")?;
                if discord.is_none_or(|d| d.token.is_none()) {
                    self.err(
                        c.span(),
                        "missing-secret",
                        "posting briefings to Discord needs the bot token".into(),
                        "add a [discord] table and set DISCORD_TOKEN (or `token_file`)",
                    );
                }
                Some(Destination::Discord { channel: id })
            }
            (None, Some(r)) => {
                let room = r.get_ref().trim().to_owned();
                if !(room.starts_with('!') && room[1..].contains(':')) {
                    self.err(r.span(), "bad-value", format!("`{room}` is not a Matrix room id"), "write the room's id (Room settings → Advanced), e.g. \"!abcdef:example.org\"");
                    return None;
                }
                if !matrix {
                    self.err(
                        r.span(),
                        "missing-field",
                        "posting briefings to Matrix needs a [matrix] table".into(),
                        "add the [matrix] door, or post to Discord instead",
                    );
                }
                Some(Destination::Matrix { room })
            }
            (Some(c), Some(_)) => {
                self.err(c.span(), "conflict", "a schedule posts to one place".into(), "keep `discord_channel` or `matrix_room`, and write a second [[schedule]] for the other");
                None
            }
            (None, None) => {
                self.err(
                    span,
                    "missing-field",
                    "this schedule names no place to post".into(),
                    "add `discord_channel = \"…\"` or `matrix_room = \"!…\"`",
                );
                None
            }
        };
        let when_unchanged = match &s.when_unchanged {
            None => Some(crate::digest::WhenUnchanged::Post),
            Some(w) => {
                let parsed = crate::digest::WhenUnchanged::parse(w.get_ref().trim());
                if parsed.is_none() {
                    self.err(w.span(), "bad-value", format!("`{}` is not a `when_unchanged`", w.get_ref()), "one of `post` (the full briefing), `short` (a one-line \"no change\") or `skip` (nothing)");
                }
                parsed
            }
        };
        let catch_up = match &s.catch_up {
            None => Some(crate::schedule::DEFAULT_CATCH_UP),
            Some(c) => parse_catch_up(c.get_ref())
                .map_err(|why| {
                    self.err(
                        c.span(),
                        "bad-value",
                        why,
                        "e.g. catch_up = \"6h\" (the default)",
                    )
                })
                .ok(),
        };
        Some(crate::schedule::NewSubscription {
            destination: destination?,
            topic: topic?,
            at: at?,
            tz: tz?,
            when_unchanged: when_unchanged?,
            catch_up: catch_up?,
            from_config: true,
            created_by: None,
        })
    }

    /// `[http] listen`, or the Discord endpoint's `interactions_listen`: one listener for both.
    fn listen(
        &mut self,
        http: Option<&Spanned<RawHttp>>,
        discord: Option<&DiscordConfig>,
    ) -> Option<SocketAddr> {
        let from_discord = discord.and_then(|d| d.interactions_listen);
        let Some(h) = http else {
            return from_discord;
        };
        let addr = self.listen_addr(&h.get_ref().listen)?;
        if let Some(other) = from_discord
            && other != addr
        {
            self.err(
                h.get_ref().listen.span(),
                "conflict",
                format!("`listen` is {addr} but `[discord] interactions_listen` is {other}"),
                "dossier has one HTTP listener: set the address in one place (`[http] listen`), or make both the same",
            );
        }
        Some(addr)
    }

    fn moderation(
        &mut self,
        m: Spanned<RawModeration>,
        discord: Option<&DiscordConfig>,
        matrix: bool,
    ) -> Moderation {
        let m = m.into_inner();
        let discord_channel = m.discord_channel.as_ref().and_then(|c| {
            let id = self.discord_id(c, "discord_channel", "copy the channel id (Developer Mode: right-click the channel, Copy Channel ID), as a quoted string of digits")?;
            if discord.is_none_or(|d| d.token.is_none()) {
                self.err(c.span(), "missing-secret", "posting to the moderators' Discord channel needs the bot token".into(), "add a [discord] table and set DISCORD_TOKEN (or `token_file`); the HTTP endpoint alone cannot post");
            }
            Some(id)
        });
        let matrix_room = m.matrix_room.as_ref().and_then(|r| {
            let room = r.get_ref().trim().to_owned();
            let well_formed = room.starts_with('!') && room.len() > 3 && room[1..].contains(':');
            if !well_formed {
                self.err(r.span(), "bad-value", format!("`{room}` is not a Matrix room id"), "write the room's id (Room settings → Advanced), e.g. \"!abcdef:example.org\"; an alias such as #mods:example.org will not do");
                return None;
            }
            if !matrix {
                self.err(r.span(), "missing-field", "`matrix_room` needs a [matrix] table".into(), "add the [matrix] door, or remove `matrix_room`");
            }
            Some(room)
        });
        Moderation {
            discord_channel,
            matrix_room,
        }
    }

    fn discord(&mut self, d: Spanned<RawDiscord>) -> DiscordConfig {
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
            api_proxy: d
                .api_proxy
                .map(|p| p.into_inner().trim_end_matches('/').to_owned()),
        }
    }

    /// A Discord snowflake written as a quoted string of digits.
    fn discord_id(&mut self, v: &Spanned<String>, key: &str, help: &str) -> Option<u64> {
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

    fn listen_addr(&mut self, l: &Spanned<String>) -> Option<SocketAddr> {
        let addr = l.get_ref().parse::<SocketAddr>().ok();
        if addr.is_none() {
            self.err(
                l.span(),
                "bad-value",
                format!("`{}` is not an address to listen on", l.get_ref()),
                "write an IP address and port, e.g. \"127.0.0.1:8080\"",
            );
        }
        addr
    }

    /// The bot token: from `token_file` when set, else from DISCORD_TOKEN.
    fn discord_token(&mut self, d: &RawDiscord) -> Option<Secret> {
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

    fn permission(&mut self, p: &Spanned<String>) -> ModeratorPermission {
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

    fn matrix(&mut self, m: Spanned<RawMatrix>, state: &Path) -> Option<MatrixConfig> {
        let span = m.span();
        let m = m.into_inner();
        for secret in [&m.password, &m.access_token].into_iter().flatten() {
            self.err(
                secret.span(),
                "secret-in-config",
                "passwords and access tokens must not be written in the config file".into(),
                "remove it; set MATRIX_PASSWORD (or MATRIX_ACCESS_TOKEN with `device_id`) in the environment",
            );
        }
        let homeserver = self.homeserver(&m.homeserver);
        let user = m.user.get_ref().trim().to_owned();
        if !(user.starts_with('@') && user.contains(':') && user.len() > 3) {
            self.err(
                m.user.span(),
                "bad-value",
                format!("`{user}` is not a Matrix user id"),
                "write the full id, e.g. \"@dossier:example.org\"",
            );
        }
        let login = self.matrix_login(&m, span.clone());
        let prefix = m
            .prefix
            .as_ref()
            .map_or("!".to_owned(), |p| p.get_ref().clone());
        if prefix.trim().is_empty()
            || prefix.chars().count() > 8
            || prefix.contains(char::is_whitespace)
        {
            let at = m.prefix.as_ref().map_or(span, Spanned::span);
            self.err(
                at,
                "bad-value",
                "`prefix` must be one to eight characters without spaces".into(),
                "use e.g. \"!\" (the default)",
            );
        }
        let autojoin_from = m
            .autojoin_from
            .iter()
            .map(|a| self.autojoin_entry(a))
            .collect();
        Some(MatrixConfig {
            homeserver: homeserver?,
            user,
            login: login?,
            store: m
                .store
                .as_ref()
                .map_or_else(|| state.join("matrix"), |s| self.relative(s.get_ref())),
            store_passphrase: self.env.var("MATRIX_STORE_PASSPHRASE").map(Secret::new),
            prefix,
            autojoin: m.autojoin.is_none_or(Spanned::into_inner),
            autojoin_from,
            moderator_power_level: m
                .moderator_power_level
                .as_ref()
                .map_or(50, |p| *p.get_ref()),
        })
    }

    /// https://, or http:// for a homeserver on this machine only.
    fn homeserver(&mut self, v: &Spanned<String>) -> Option<url::Url> {
        match url::Url::parse(v.get_ref().trim()) {
            Ok(u) if u.scheme() == "https" => Some(u),
            Ok(u)
                if u.scheme() == "http"
                    && u.host_str()
                        .is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]") =>
            {
                Some(u)
            }
            Ok(_) => {
                self.err(
                    v.span(),
                    "bad-url",
                    "the homeserver must be an https:// URL".into(),
                    "use https://; plain http:// is allowed only for a homeserver on 127.0.0.1",
                );
                None
            }
            Err(e) => {
                self.err(
                    v.span(),
                    "bad-url",
                    format!("`{}` is not a URL ({e})", v.get_ref()),
                    "write the homeserver's address, e.g. \"https://matrix.example.org\"",
                );
                None
            }
        }
    }

    fn matrix_login(&mut self, m: &RawMatrix, span: std::ops::Range<usize>) -> Option<MatrixLogin> {
        match (
            self.env.var("MATRIX_PASSWORD"),
            self.env.var("MATRIX_ACCESS_TOKEN"),
        ) {
            (_, Some(token)) => match &m.device_id {
                Some(d) => Some(MatrixLogin::Token {
                    access_token: Secret::new(token),
                    device_id: d.get_ref().clone(),
                }),
                None => {
                    self.err(
                        span,
                        "missing-field",
                        "MATRIX_ACCESS_TOKEN needs `device_id`".into(),
                        "add `device_id = \"…\"`: the device the access token belongs to",
                    );
                    None
                }
            },
            (Some(p), None) => Some(MatrixLogin::Password(Secret::new(p))),
            (None, None) => {
                self.err(span, "missing-secret", "the Matrix door needs a password or an access token".into(), "set MATRIX_PASSWORD, or MATRIX_ACCESS_TOKEN with `device_id`, in the environment");
                None
            }
        }
    }

    /// A server name (`example.org`) or a user id (`@alice:example.org`).
    fn autojoin_entry(&mut self, raw: &Spanned<String>) -> String {
        let a = raw.get_ref().trim().to_owned();
        let ok = match a.strip_prefix('@') {
            Some(rest) => rest.contains(':'),
            None => !a.is_empty() && !a.contains(['@', '/', ' ']),
        };
        if !ok {
            self.err(
                raw.span(),
                "bad-value",
                format!("`{a}` is neither a server name nor a user id"),
                "write a server (\"example.org\") or a user (\"@alice:example.org\")",
            );
        }
        a
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct FakeEnv(HashMap<&'static str, &'static str>);
    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|s| s.to_string())
        }
    }

    const KEY: &str = "67c6bd767ca099e79efac9fcce4d2022a63bf7dea780e7f3d813f694c1597089";

    fn load_text(text: &str, env: &[(&'static str, &'static str)]) -> Result<Config, Report> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dossier.toml");
        std::fs::write(&path, text).expect("write");
        load(&path, &FakeEnv(env.iter().copied().collect()))
    }

    #[test]
    fn http_endpoint_alone_needs_no_token() {
        let c = load_text(
            &format!("[discord]\napplication_id = \"42\"\npublic_key = \"{KEY}\"\ninteractions_listen = \"127.0.0.1:8080\"\n"),
            &[],
        )
        .expect("valid");
        let d = c.discord.expect("discord");
        assert!(!d.gateway);
        assert_eq!(d.application_id, 42);
        assert!(c.briefings.ends_with("briefings"));
    }

    #[test]
    fn token_comes_from_the_environment_and_is_never_printed() {
        let c = load_text(
            "[discord]\napplication_id = \"42\"\n",
            &[("DISCORD_TOKEN", "s3cr3t")],
        )
        .expect("valid");
        let d = c.discord.expect("discord");
        assert!(d.gateway);
        assert_eq!(d.token.as_ref().map(Secret::expose), Some("s3cr3t"));
        assert!(!format!("{d:?}").contains("s3cr3t"));
    }

    #[test]
    fn matrix_needs_only_homeserver_user_and_a_secret() {
        let text =
            "[matrix]\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@dossier:localhost\"\n";
        let c = load_text(text, &[("MATRIX_PASSWORD", "pw")]).expect("valid");
        let m = c.matrix.expect("matrix");
        assert_eq!(
            (m.prefix.as_str(), m.autojoin, m.moderator_power_level),
            ("!", true, 50)
        );
        assert!(m.store.ends_with("state/matrix"));
        assert!(!format!("{m:?}").contains("pw\""));
        let r = load_text(text, &[]).unwrap_err();
        assert!(
            r.human().contains("needs a password or an access token"),
            "{}",
            r.human()
        );
        let r = load_text("[matrix]\nhomeserver = \"http://matrix.example.org\"\nuser = \"dossier\"\npassword = \"hunter2\"\n", &[]).unwrap_err();
        let h = r.human();
        assert!(
            h.contains("must be an https:// URL")
                && h.contains("not a Matrix user id")
                && h.contains("must not be written"),
            "{h}"
        );
        assert!(!h.contains("hunter2"), "{h}");
    }

    #[test]
    fn mistakes_name_the_key_and_line() {
        let r = load_text(
            "briefings = \"b\"\n[discord]\napplication_id = \"42\"\ntoken = \"abc\"\n",
            &[],
        )
        .unwrap_err();
        let d = r
            .diagnostics
            .iter()
            .find(|d| d.code == "secret-in-config")
            .expect("refused");
        assert_eq!((d.line, d.column), (4, 9));
        let r = load_text("[discord]\napplication_id = \"42\"\ngatewy = true\n", &[]).unwrap_err();
        assert!(
            r.human().contains("did you mean `gateway`?"),
            "{}",
            r.human()
        );
        let r = load_text("[discord]\npublic_key = \"x\"\n", &[]).unwrap_err();
        assert!(
            r.human().contains("missing required key `application_id`"),
            "{}",
            r.human()
        );
        let r = load_text("[discord]\napplication_id = \"42\"\ngateway = true\n", &[]).unwrap_err();
        assert!(
            r.human().contains("the gateway needs a bot token"),
            "{}",
            r.human()
        );
        let r = load_text(&format!("[discord]\napplication_id = \"42\"\npublic_key = \"{KEY}\"\ninteractions_listen = \"nowhere\"\nmoderator_permission = \"MANAGE_GUILDS\"\n"), &[]).unwrap_err();
        let h = r.human();
        assert!(
            h.contains("is not an address to listen on")
                && h.contains("did you mean `MANAGE_GUILD`?"),
            "{h}"
        );
    }

    #[test]
    fn the_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("dossier.example.toml");
        let c = load(
            &path,
            &FakeEnv([("DISCORD_TOKEN", "t")].into_iter().collect()),
        )
        .unwrap_or_else(|r| panic!("{}", r.human()));
        assert!(c.discord.is_some_and(|d| d.gateway));
    }

    #[test]
    fn one_listener_and_the_moderators_destinations() {
        let c = load_text(
            "[http]\nlisten = \"127.0.0.1:9090\"\n[moderation]\ndiscord_channel = \"77\"\nmatrix_room = \"!mods:localhost\"\n[discord]\napplication_id = \"42\"\n[matrix]\nhomeserver = \"http://127.0.0.1:8008\"\nuser = \"@dossier:localhost\"\n",
            &[("DISCORD_TOKEN", "t"), ("MATRIX_PASSWORD", "pw")],
        )
        .unwrap_or_else(|r| panic!("{}", r.human()));
        assert_eq!(c.listen, Some("127.0.0.1:9090".parse().expect("addr")));
        assert_eq!(c.moderation.discord_channel, Some(77));
        assert_eq!(c.moderation.matrix_room.as_deref(), Some("!mods:localhost"));
        // The endpoint's own address is the listener when [http] is not set.
        let c = load_text(
            &format!("[discord]\napplication_id = \"42\"\npublic_key = \"{KEY}\"\ninteractions_listen = \"127.0.0.1:8080\"\n"),
            &[],
        )
        .expect("valid");
        assert_eq!(c.listen, Some("127.0.0.1:8080".parse().expect("addr")));
        // Posting to Discord needs the token; a room alias is not a room id.
        let r = load_text(
            &format!("[moderation]\ndiscord_channel = \"77\"\nmatrix_room = \"#mods:localhost\"\n[discord]\napplication_id = \"42\"\npublic_key = \"{KEY}\"\ninteractions_listen = \"127.0.0.1:8080\"\n"),
            &[],
        )
        .unwrap_err();
        let h = r.human();
        assert!(
            h.contains("needs the bot token") && h.contains("is not a Matrix room id"),
            "{h}"
        );
    }
}
