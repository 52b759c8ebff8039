//! `[matrix]`: the homeserver, the bot's user and how it logs in (password or access token,
//! from the environment or a file), its store, prefix, autojoin rules and moderator power level.

use super::check::ConfigCheck;
use super::raw::*;
use super::types::*;
use std::path::Path;
use toml::Spanned;

impl ConfigCheck<'_> {
    pub(super) fn matrix(&mut self, m: Spanned<RawMatrix>, state: &Path) -> Option<MatrixConfig> {
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
        let mut autojoin_from: Vec<String> = m
            .autojoin_from
            .iter()
            .map(|a| self.autojoin_entry(a))
            .collect();
        // By default only the bot's own homeserver's users may invite it: anyone further
        // needs the operator to say so (`"*"` for anyone).
        if autojoin_from.is_empty()
            && let Some((_, server)) = user.split_once(':')
        {
            autojoin_from.push(server.to_owned());
        }
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
            deadline: crate::deadlines::MATRIX_REQUEST,
        })
    }

    /// https://, or http:// for a homeserver on this machine only.
    pub(super) fn homeserver(&mut self, v: &Spanned<String>) -> Option<url::Url> {
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

    pub(super) fn matrix_login(
        &mut self,
        m: &RawMatrix,
        span: std::ops::Range<usize>,
    ) -> Option<MatrixLogin> {
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
    pub(super) fn autojoin_entry(&mut self, raw: &Spanned<String>) -> String {
        let a = raw.get_ref().trim().to_owned();
        let ok = a == "*"
            || match a.strip_prefix('@') {
                Some(rest) => rest.contains(':'),
                None => !a.is_empty() && !a.contains(['@', '/', ' ']),
            };
        if !ok {
            self.err(
                raw.span(),
                "bad-value",
                format!("`{a}` is neither a server name nor a user id"),
                "write a server (\"example.org\"), a user (\"@alice:example.org\"), or \"*\" for anyone",
            );
        }
        a
    }
}
