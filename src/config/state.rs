//! `state`: where dossier keeps what it must remember. A folder (the default, `state/`) holds
//! the embedded SQLite stores; a `postgres://` address selects one PostgreSQL database shared
//! by every replica, and then `local_state` names the folder each replica keeps to itself (the
//! Matrix session, Discord's registered commands). The database password comes from
//! `PGPASSWORD` or `state_password_file`, never from the config; the address's `sslmode` says
//! how the connection is protected, with `state_ca_file` for the verifying modes.

use super::check::ConfigCheck;
use super::raw::RawConfig;
use super::types::*;
use std::path::PathBuf;
use toml::Spanned;

/// Where the shared stores are, and this replica's own folder.
pub(super) struct StateChoice {
    pub(super) local: PathBuf,
    pub(super) postgres: Option<PostgresConfig>,
}

/// Whether a `state` value is a database address rather than a folder.
pub fn is_database(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl ConfigCheck<'_> {
    pub(super) fn state(&mut self, raw: &RawConfig) -> StateChoice {
        let value = raw.state.as_ref();
        let Some(v) = value.filter(|v| is_database(v.get_ref())) else {
            if let Some(l) = &raw.local_state {
                self.err(
                    l.span(),
                    "unused-key",
                    "`local_state` is for a replica beside a shared database".into(),
                    "remove it: with `state` a folder, everything is kept there",
                );
            }
            if let Some(c) = &raw.state_ca_file {
                self.err(
                    c.span(),
                    "unused-key",
                    "`state_ca_file` is for a PostgreSQL `state`".into(),
                    "remove it, or set `state = \"postgres://user@host/db?sslmode=verify-full\"`",
                );
            }
            if let Some(p) = &raw.state_password_file {
                self.err(
                    p.span(),
                    "unused-key",
                    "`state_password_file` is for a PostgreSQL `state`".into(),
                    "remove it, or set `state = \"postgres://user@host/db\"`",
                );
            }
            return StateChoice {
                local: self.path_or(value, "state"),
                postgres: None,
            };
        };
        let local = self.path_or(raw.local_state.as_ref(), "state");
        let (plain, tls) = match sslmode(v.get_ref()) {
            Ok(m) => m,
            Err(e) => {
                self.err(
                    v.span(),
                    "bad-value",
                    format!("`state` is not a PostgreSQL address: {e}"),
                    "write it as postgres://user@host:5432/database?sslmode=verify-full",
                );
                return StateChoice {
                    local,
                    postgres: None,
                };
            }
        };
        let ca_file = self.ca_file(raw, tls);
        // The address is read whole when the database is opened; here, what the config must
        // and must not say in it.
        let parsed = match url::Url::parse(&plain) {
            Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => u,
            _ => {
                self.err(
                    v.span(),
                    "bad-value",
                    "`state` is not a PostgreSQL address".into(),
                    "write it as postgres://user@host:5432/database",
                );
                return StateChoice {
                    local,
                    postgres: None,
                };
            }
        };
        if parsed.password().is_some() {
            self.err(
                v.span(),
                "secret-in-config",
                "the database password must not be written in the config file".into(),
                "remove it from the address; set PGPASSWORD in the environment, or point `state_password_file` at a file that holds it",
            );
        }
        if parsed.username().is_empty() {
            self.err(
                v.span(),
                "missing-field",
                "the PostgreSQL address names no user".into(),
                "write it as postgres://user@host/database",
            );
        }
        let password = match &raw.state_password_file {
            None => self.env.var("PGPASSWORD").map(Secret::new),
            Some(f) => match std::fs::read_to_string(self.relative(f.get_ref())) {
                Ok(t) if !t.trim().is_empty() => {
                    Some(Secret::new(t.trim_end_matches(['\n', '\r'])))
                }
                Ok(_) => {
                    self.err(
                        f.span(),
                        "bad-value",
                        "the password file is empty".into(),
                        "write the database password into that file",
                    );
                    None
                }
                Err(e) => {
                    self.err(
                        f.span(),
                        "io",
                        format!("cannot read the password file: {e}"),
                        "check the path and that the file is readable",
                    );
                    None
                }
            },
        };
        StateChoice {
            local,
            postgres: Some(PostgresConfig {
                address: v.get_ref().clone(),
                password,
                ca_file,
            }),
        }
    }

    /// `state_ca_file`: required by the verifying `sslmode`s, refused by the others (libpq would
    /// quietly verify with it; here the address says what is checked), and readable.
    fn ca_file(&mut self, raw: &RawConfig, tls: PgTls) -> Option<PathBuf> {
        let Some(c) = &raw.state_ca_file else {
            if tls.verifies() {
                let at = raw.state.as_ref().map_or(0..0, Spanned::span);
                self.err(
                    at,
                    "missing-field",
                    "`sslmode=verify-ca` and `verify-full` check the server's certificate against a certificate authority".into(),
                    "set `state_ca_file` to the CA's certificate (PEM), e.g. \"/run/secrets/db_ca.pem\"",
                );
            }
            return None;
        };
        if !tls.verifies() {
            self.err(
                c.span(),
                "unused-key",
                "`state_ca_file` is used only with `sslmode=verify-ca` or `verify-full`".into(),
                "add `?sslmode=verify-full` to `state` (the certificate must name the host) or `verify-ca`, or remove `state_ca_file`",
            );
            return None;
        }
        let path = self.relative(c.get_ref());
        if let Err(e) = std::fs::metadata(&path) {
            self.err(
                c.span(),
                "io",
                format!("cannot read the CA file: {e}"),
                "check the path and that the file is readable",
            );
            return None;
        }
        Some(path)
    }
}
