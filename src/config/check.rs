//! Checking one config file: reading and parsing it with the same diagnostics as the cards,
//! the top-level keys, `[http]` and `[moderation]`, and what every table's checks share
//! (an error at a span, paths relative to the file, listen addresses). A line that looks like it
//! holds a secret is never quoted in a diagnostic.

use super::raw::*;
use super::types::*;
use crate::cards::parse::{decode, parse};
use crate::diag::{Diagnostic, Report, Severity};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use toml::Spanned;

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
        .any(|w| lower.split('=').next().is_some_and(|k| k.contains(w)))
        || has_userinfo_password(line);
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

/// Whether a line holds an address with a password in it (`postgres://user:pw@host`).
fn has_userinfo_password(line: &str) -> bool {
    line.split("://").skip(1).any(|rest| {
        let authority = rest.split(['/', '"', '\'', ' ']).next().unwrap_or("");
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
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
pub(super) struct ConfigCheck<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    /// The config file's folder: relative paths in it start there.
    pub(super) base: PathBuf,
    pub(super) env: &'a dyn Env,
    pub(super) report: Report,
}

impl ConfigCheck<'_> {
    pub(super) fn err(
        &mut self,
        span: std::ops::Range<usize>,
        code: &'static str,
        msg: String,
        help: &str,
    ) {
        self.report.push(
            Diagnostic::at(Severity::Error, code, self.path, self.text, span, msg).help(help),
        );
    }

    pub(super) fn relative(&self, p: &str) -> PathBuf {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            self.base.join(p)
        }
    }

    pub(super) fn path_or(&self, value: Option<&Spanned<String>>, default: &str) -> PathBuf {
        self.relative(value.map_or(default, |v| v.get_ref()))
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        let choice = self.state(&raw);
        let state = choice.local;
        let deadlines = self.deadlines(raw.deadlines.as_ref());
        let claim_lease = self.claim_lease(raw.schedules.as_ref());
        let newsdesk = self.newsdesk(raw.newsdesk.as_ref());
        let sources = self.sources(raw.sources.as_ref());
        let discord = raw.discord.map(|d| DiscordConfig {
            deadline: deadlines.discord,
            ..self.discord(d)
        });
        let matrix_table = raw.matrix.as_ref().map(Spanned::span);
        let matrix = raw
            .matrix
            .and_then(|m| self.matrix(m, &state))
            .map(|m| MatrixConfig {
                deadline: deadlines.matrix,
                ..m
            });
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
        let reply_cache_bytes = self.cache(raw.cache.as_ref());
        let web = raw.web.as_ref().map(|w| self.web(w, listen.is_some()));
        let charts = raw
            .charts
            .as_ref()
            .and_then(|c| c.get_ref().enabled)
            .unwrap_or(true);
        let cards_remote = raw.cards_remote.as_ref().and_then(|r| self.cards_remote(r));
        Config {
            newsdesk,
            sources,
            deadlines,
            claim_lease,
            cards_remote,
            postgres: choice.postgres,
            reply_cache_bytes,
            web,
            charts,
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

    /// `cards_remote`: a remote name, URL or path, with no password in it.
    fn cards_remote(&mut self, r: &Spanned<String>) -> Option<String> {
        let v = r.get_ref().trim();
        if v.is_empty() || v.starts_with('-') || v.contains(char::is_whitespace) {
            self.err(
                r.span(),
                "bad-value",
                "`cards_remote` must name a git remote".into(),
                "write a remote's name (\"origin\"), URL or path",
            );
            return None;
        }
        if url::Url::parse(v).is_ok_and(|u| u.password().is_some()) {
            self.err(
                r.span(),
                "secret-in-config",
                "the cards remote's password must not be written in the config file".into(),
                "remove it from the URL; use an SSH key or a git credential helper",
            );
            return None;
        }
        Some(v.to_owned())
    }

    /// `[web]`: the pages need the HTTP listener; `public_url` must be http(s).
    fn web(&mut self, w: &Spanned<RawWeb>, listening: bool) -> WebConfig {
        if !listening {
            self.err(
                w.span(),
                "no-listener",
                "`[web]` needs the HTTP listener".into(),
                "add `[http] listen = \"127.0.0.1:8080\"`: the pages are served there",
            );
        }
        let public_url = w.get_ref().public_url.as_ref().and_then(|u| {
            match url::Url::parse(u.get_ref().trim()) {
                Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => {
                    Some(url)
                }
                _ => {
                    self.err(
                        u.span(),
                        "bad-url",
                        format!("`{}` is not an http(s) URL", u.get_ref().chars().take(80).collect::<String>()),
                        "write where readers reach the pages, e.g. \"https://briefings.example.org\"",
                    );
                    None
                }
            }
        });
        WebConfig { public_url }
    }

    /// `[sources]`: each source looked at every `check_every`, from an hour to 90 days.
    fn sources(&mut self, s: Option<&Spanned<RawSources>>) -> SourcesConfig {
        let mut out = SourcesConfig::default();
        let Some(s) = s.map(Spanned::get_ref) else {
            return out;
        };
        out.allow_private = s.allow_private.unwrap_or(false);
        out.watch = s.watch.unwrap_or(false);
        if let Some(v) = &s.check_every {
            let bounds =
                std::time::Duration::from_secs(3600)..=std::time::Duration::from_secs(90 * 86_400);
            match crate::deadlines::parse(v.get_ref()) {
                Some(d) if bounds.contains(&d) => out.check_every = d,
                _ => self.err(
                    v.span(),
                    "bad-duration",
                    format!(
                        "`check_every = \"{}\"` is not how often dossier can look",
                        v.get_ref().chars().take(40).collect::<String>()
                    ),
                    "give it from \"1h\" to \"90d\"; unset, it is \"7d\"",
                ),
            }
        }
        for (key, value, into) in [
            ("archive", &s.archive, &mut out.archive),
            ("availability", &s.availability, &mut out.availability),
        ] {
            let Some(v) = value else { continue };
            match url::Url::parse(v.get_ref().trim()) {
                // A host as cards need one (a dot, or localhost), so the snapshots it gives
                // pass the cards' check.
                Ok(u)
                    if matches!(u.scheme(), "https" | "http")
                        && u.host_str()
                            .is_some_and(|h| h.contains('.') || h == "localhost") =>
                {
                    *into = v.get_ref().trim().trim_end_matches('/').to_owned();
                }
                _ => self.err(
                    v.span(),
                    "bad-url",
                    format!("`{key}` is not an http(s) URL"),
                    "give the archive's address, e.g. \"https://web.archive.org\"; unset, it is the Wayback Machine",
                ),
            }
        }
        for (key, value, into, unset) in [
            ("archive_gap", &s.archive_gap, &mut out.archive_gap, "5s"),
            ("host_gap", &s.host_gap, &mut out.host_gap, "2s"),
        ] {
            let Some(v) = value else { continue };
            let bounds = std::time::Duration::from_millis(50)..=std::time::Duration::from_secs(600);
            match crate::deadlines::parse(v.get_ref()) {
                Some(d) if bounds.contains(&d) => *into = d,
                _ => self.err(
                    v.span(),
                    "bad-duration",
                    format!(
                        "`{key} = \"{}\"` is not a wait dossier can keep",
                        v.get_ref().chars().take(40).collect::<String>()
                    ),
                    &format!("give it from \"50ms\" to \"10m\"; unset, it is \"{unset}\""),
                ),
            }
        }
        if let Some(f) = &s.archive_keys_file {
            match std::fs::read_to_string(self.relative(f.get_ref())) {
                Ok(t) if t.trim().split_once(':').is_some_and(|(a, b)| {
                    !a.trim().is_empty() && !b.trim().is_empty()
                }) && !t.trim().contains(char::is_whitespace) =>
                {
                    let local = url::Url::parse(&out.archive).ok().is_some_and(|u| {
                        matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
                    });
                    if out.archive.starts_with("http://") && !local {
                        self.err(
                            f.span(),
                            "insecure",
                            "the archive keys would go over plain http".into(),
                            "give the archive an https:// address, or drop the keys",
                        );
                    } else {
                        out.archive_keys = Some(Secret::new(t.trim()));
                    }
                }
                Ok(_) => self.err(
                    f.span(),
                    "bad-value",
                    "the archive keys file does not hold `access:secret`".into(),
                    "write the archive account's S3-style keys into it as one line, `access:secret`",
                ),
                Err(e) => self.err(
                    f.span(),
                    "io",
                    format!("cannot read the archive keys file: {e}"),
                    "check the path and that the file is readable",
                ),
            }
        }
        out
    }

    /// `[newsdesk]`: the contact must be an http(s) URL; at most 500 proposals a day.
    fn newsdesk(&mut self, n: Option<&Spanned<RawNewsdesk>>) -> NewsdeskConfig {
        let mut out = NewsdeskConfig::default();
        let Some(n) = n.map(Spanned::get_ref) else {
            return out;
        };
        out.allow_private = n.allow_private.unwrap_or(false);
        out.poll = n.poll.unwrap_or(true);
        if let Some(c) = &n.contact {
            match url::Url::parse(c.get_ref().trim()) {
                Ok(u) if matches!(u.scheme(), "https" | "http" | "mailto") => {
                    out.contact = Some(u.to_string())
                }
                _ => self.err(
                    c.span(),
                    "bad-url",
                    "`contact` is not an http(s) or mailto URL".into(),
                    "give where the sites you fetch from can reach you, e.g. \"https://briefings.example.org/about\"",
                ),
            }
        }
        if let Some(m) = &n.max_proposals_per_day {
            match *m.get_ref() {
                v @ 1..=500 => out.max_proposals_per_day = v as usize,
                v => self.err(
                    m.span(),
                    "bad-value",
                    format!("`max_proposals_per_day = {v}` is outside 1–500"),
                    "unset, it is 20",
                ),
            }
        }
        out
    }

    /// `[cache] max_mib`: the reply cache's budget, 32 MiB when unset, at most 4 GiB.
    fn cache(&mut self, c: Option<&Spanned<RawCache>>) -> usize {
        const DEFAULT_MIB: i64 = 32;
        let Some(mib) = c.and_then(|c| c.get_ref().max_mib.as_ref()) else {
            return (DEFAULT_MIB as usize) << 20;
        };
        match *mib.get_ref() {
            n @ 0..=4096 => (n as usize) << 20,
            n => {
                self.err(
                    mib.span(),
                    "bad-cache-size",
                    format!("`max_mib = {n}` is not a size for the reply cache"),
                    "give the budget in MiB from 0 (no cache) to 4096; unset, it is 32",
                );
                (DEFAULT_MIB as usize) << 20
            }
        }
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

    pub(super) fn listen_addr(&mut self, l: &Spanned<String>) -> Option<SocketAddr> {
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
}
