//! `state`: where dossier keeps what it must remember. A folder (the default, `state/`) holds
//! the embedded SQLite stores; a `postgres://` address selects one PostgreSQL database shared
//! by every replica, and then `local_state` names the folder each replica keeps to itself (the
//! Matrix session, Discord's registered commands). The database password comes from
//! `PGPASSWORD` or `state_password_file`, never from the config.

use super::check::ConfigCheck;
use super::raw::RawConfig;
use super::types::*;
use std::path::PathBuf;
use std::str::FromStr;

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
        let parsed = match tokio_postgres::Config::from_str(v.get_ref()) {
            Ok(c) => c,
            Err(e) => {
                self.err(
                    v.span(),
                    "bad-value",
                    format!("`state` is not a PostgreSQL address: {e}"),
                    "write it as postgres://user@host:5432/database",
                );
                return StateChoice {
                    local,
                    postgres: None,
                };
            }
        };
        if parsed.get_password().is_some() {
            self.err(
                v.span(),
                "secret-in-config",
                "the database password must not be written in the config file".into(),
                "remove it from the address; set PGPASSWORD in the environment, or point `state_password_file` at a file that holds it",
            );
        }
        if parsed.get_user().is_none() {
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
            }),
        }
    }
}
