//! The bot's Matrix session: logged in once, then restored from the store at every start, so
//! it keeps one device (and its encryption keys) across restarts. The session file holds an
//! access token and is readable by this user only.

use crate::config::{MatrixConfig, MatrixLogin};
use anyhow::Context as _;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::ruma::UserId;
use matrix_sdk::{Client, SessionMeta, SessionTokens};
use std::path::{Path, PathBuf};
pub(super) fn session_file(store: &Path) -> PathBuf {
    store.join("session.json")
}

pub(super) fn save_session(store: &Path, session: &MatrixSession) -> anyhow::Result<()> {
    std::fs::create_dir_all(store).with_context(|| format!("creating {}", store.display()))?;
    let path = session_file(store);
    let json = serde_json::to_vec(session)?;
    crate::desk::files::write_private_atomically(&path, &json)
        .with_context(|| format!("writing {}", path.display()))
}

/// The session holds an access token: readable by this user only, however the file came to be.
pub(super) fn private(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("making {} private (mode 0600)", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The session kept in the store, if there is one. A session file that cannot be read or
/// parsed stops the bot: logging in again would make a new device and orphan the encryption
/// keys kept for the old one.
pub fn read_session(store: &Path) -> anyhow::Result<Option<MatrixSession>> {
    let path = session_file(store);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(anyhow::anyhow!(
                "cannot read the Matrix session {}: {e}. Make it readable by the user dossier runs as; \
                 removing it would log in as a new device and lose the bot's encryption keys",
                path.display()
            ));
        }
    };
    private(&path)?;
    serde_json::from_slice::<MatrixSession>(&bytes).map(Some).map_err(|e| {
        anyhow::anyhow!(
            "the Matrix session {} is corrupt ({e}). Restore it from a backup; or, to start over \
             as a new device (losing the keys of encrypted rooms), remove the whole store folder {}",
            path.display(),
            store.display()
        )
    })
}

/// Build the client on the store and log in, or restore the session kept there, so the bot
/// keeps one device (and its encryption keys) across restarts.
pub async fn connect(cfg: &MatrixConfig) -> anyhow::Result<Client> {
    std::fs::create_dir_all(&cfg.store)
        .with_context(|| format!("creating the Matrix store {}", cfg.store.display()))?;
    let client = Client::builder()
        .homeserver_url(cfg.homeserver.as_str())
        .request_config(matrix_sdk::config::RequestConfig::new().timeout(cfg.deadline))
        .sqlite_store(
            &cfg.store,
            cfg.store_passphrase.as_ref().map(|s| s.expose()),
        )
        .build()
        .await
        .context("setting up the Matrix client")?;
    let stored = read_session(&cfg.store)?;
    if let Some(s) = &stored
        && s.meta.user_id.as_str() != cfg.user
    {
        tracing::warn!(stored = %s.meta.user_id, configured = %cfg.user, "the stored Matrix session belongs to another user; logging in as the configured one");
    }
    match (stored, &cfg.login) {
        (Some(session), _) if session.meta.user_id.as_str() == cfg.user => {
            client
                .restore_session(session)
                .await
                .context("restoring the Matrix session")?;
            tracing::info!(user = %cfg.user, "restored the Matrix session");
        }
        (
            _,
            MatrixLogin::Token {
                access_token,
                device_id,
            },
        ) => {
            let session = MatrixSession {
                meta: SessionMeta {
                    user_id: UserId::parse(&cfg.user)?,
                    device_id: device_id.as_str().into(),
                },
                tokens: SessionTokens {
                    access_token: access_token.expose().to_owned(),
                    refresh_token: None,
                },
            };
            client
                .restore_session(session.clone())
                .await
                .context("logging in with the access token")?;
            save_session(&cfg.store, &session)?;
        }
        (_, MatrixLogin::Password(password)) => {
            let localpart = cfg
                .user
                .trim_start_matches('@')
                .split(':')
                .next()
                .unwrap_or_default();
            client
                .matrix_auth()
                .login_username(localpart, password.expose())
                .initial_device_display_name("dossier")
                .send()
                .await
                .context("logging in to the homeserver")?;
            if let Some(session) = client.matrix_auth().session() {
                save_session(&cfg.store, &session)?;
            }
            tracing::info!(user = %cfg.user, "logged in to Matrix");
        }
    }
    Ok(client)
}
