//! Sending interaction responses: the callback and the edit of a deferred original, as JSON or,
//! with a chart, as multipart (`payload_json` plus `files[0]`). Kept apart
//! from serenity's `Http` so that a 429 is honoured by its `retry-after` whether dossier talks to
//! Discord directly or through `api_proxy` (serenity's rate limiter is off behind a proxy).
//! Interaction tokens are part of the URL, so URLs are never logged.

use crate::charts::Png;
use serde::Serialize;
use std::time::Duration;

/// Discord's production API.
pub const DISCORD_API: &str = "https://discord.com";
/// How many times one response is retried after a 429 or a 5xx.
const MAX_RETRIES: u32 = 4;
/// The longest wait dossier accepts before giving up (an interaction token lives 15 minutes).
const MAX_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// The HTTP client could not be built (e.g. no TLS backend): nothing can be sent.
    #[error("cannot set up the HTTP client for Discord: {0}")]
    Client(String),
    #[error("request failed: {0}")]
    Transport(String),
    #[error("Discord answered {status} on {route}: {body}")]
    Status {
        status: u16,
        route: &'static str,
        body: String,
    },
}

#[derive(Clone)]
pub struct Rest {
    client: reqwest::Client,
    api: String,
    application_id: u64,
}

impl Rest {
    /// `base`: `https://discord.com` or a proxy / test double such as `http://127.0.0.1:3000`.
    /// Fails rather than fall back to a client without the timeout and the User-Agent Discord
    /// requires.
    pub fn new(base: Option<&str>, application_id: u64) -> Result<Self, RestError> {
        let base = base.unwrap_or(DISCORD_API).trim_end_matches('/');
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "DiscordBot (https://github.com/dossier-bot/dossier, ",
                env!("CARGO_PKG_VERSION"),
                ")"
            ))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| RestError::Client(e.to_string()))?;
        Ok(Rest {
            client,
            api: format!("{base}/api/v10"),
            application_id,
        })
    }

    /// `POST /interactions/{id}/{token}/callback`
    pub async fn callback(
        &self,
        id: u64,
        token: &str,
        body: &impl Serialize,
    ) -> Result<(), RestError> {
        let url = format!("{}/interactions/{id}/{token}/callback", self.api);
        self.send(reqwest::Method::POST, &url, "interaction callback", body)
            .await
    }

    /// `POST /interactions/{id}/{token}/callback` with a body already serialized.
    pub async fn callback_body(
        &self,
        id: u64,
        token: &str,
        body: bytes::Bytes,
    ) -> Result<(), RestError> {
        let url = format!("{}/interactions/{id}/{token}/callback", self.api);
        self.send_bytes(reqwest::Method::POST, &url, "interaction callback", body)
            .await
    }

    /// `PATCH /webhooks/{application}/{token}/messages/@original`
    pub async fn edit_original(&self, token: &str, body: &impl Serialize) -> Result<(), RestError> {
        let url = format!(
            "{}/webhooks/{}/{token}/messages/@original",
            self.api, self.application_id
        );
        self.send(reqwest::Method::PATCH, &url, "edit original response", body)
            .await
    }

    /// `POST /interactions/{id}/{token}/callback` as multipart: `body` (a callback whose
    /// message refers to attachment 0) with `file` as that attachment.
    pub async fn callback_upload(
        &self,
        id: u64,
        token: &str,
        body: bytes::Bytes,
        file: &Png,
    ) -> Result<(), RestError> {
        let url = format!("{}/interactions/{id}/{token}/callback", self.api);
        self.send_upload(
            reqwest::Method::POST,
            &url,
            "interaction callback",
            body,
            file,
        )
        .await
    }

    /// `PATCH /webhooks/{application}/{token}/messages/@original` as multipart: `body` (an
    /// edit that refers to attachment 0) with `file` as that attachment.
    pub async fn edit_original_upload(
        &self,
        token: &str,
        body: bytes::Bytes,
        file: &Png,
    ) -> Result<(), RestError> {
        let url = format!(
            "{}/webhooks/{}/{token}/messages/@original",
            self.api, self.application_id
        );
        self.send_upload(
            reqwest::Method::PATCH,
            &url,
            "edit original response",
            body,
            file,
        )
        .await
    }

    async fn send_upload(
        &self,
        method: reqwest::Method,
        url: &str,
        route: &'static str,
        body: bytes::Bytes,
        file: &Png,
    ) -> Result<(), RestError> {
        let form = || -> Result<reqwest::multipart::Form, RestError> {
            let json = reqwest::multipart::Part::stream(body.clone())
                .mime_str("application/json")
                .map_err(|e| RestError::Transport(e.to_string()))?;
            let png = reqwest::multipart::Part::stream(file.bytes.clone())
                .file_name(file.name)
                .mime_str("image/png")
                .map_err(|e| RestError::Transport(e.to_string()))?;
            Ok(reqwest::multipart::Form::new()
                .part("payload_json", json)
                .part("files[0]", png))
        };
        self.retrying(route, || {
            Ok(self.client.request(method.clone(), url).multipart(form()?))
        })
        .await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        route: &'static str,
        body: &impl Serialize,
    ) -> Result<(), RestError> {
        let body = serde_json::to_vec(body)
            .map_err(|e| RestError::Transport(format!("serializing the body: {e}")))?;
        self.send_bytes(method, url, route, body.into()).await
    }

    async fn send_bytes(
        &self,
        method: reqwest::Method,
        url: &str,
        route: &'static str,
        body: bytes::Bytes,
    ) -> Result<(), RestError> {
        self.retrying(route, || {
            Ok(self
                .client
                .request(method.clone(), url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone()))
        })
        .await
    }

    /// Send the request `make` builds, again after a 429 or a 5xx (up to [`MAX_RETRIES`]
    /// times, waiting as Discord asks).
    async fn retrying(
        &self,
        route: &'static str,
        make: impl Fn() -> Result<reqwest::RequestBuilder, RestError>,
    ) -> Result<(), RestError> {
        let mut attempt = 0;
        loop {
            let resp = make()?
                .send()
                .await
                .map_err(|e| RestError::Transport(e.without_url().to_string()))?;
            let status = resp.status();
            if status.is_success() {
                return Ok(());
            }
            let wait = retry_after(resp.headers());
            let text = resp.text().await.unwrap_or_default();
            let retriable = status.as_u16() == 429 || status.is_server_error();
            if retriable && attempt < MAX_RETRIES {
                let wait = wait
                    .or_else(|| body_retry_after(&text))
                    .unwrap_or(Duration::from_millis(500 << attempt))
                    .min(MAX_WAIT);
                tracing::warn!(
                    route,
                    status = status.as_u16(),
                    wait_ms = wait.as_millis() as u64,
                    "Discord asked to retry later"
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            return Err(RestError::Status {
                status: status.as_u16(),
                route,
                body: text.chars().take(300).collect(),
            });
        }
    }
}

/// The wait a 429 asks for: `retry-after` (seconds, possibly fractional), else
/// `x-ratelimit-reset-after`.
fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    ["retry-after", "x-ratelimit-reset-after"]
        .iter()
        .find_map(|name| h.get(*name)?.to_str().ok()?.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

fn body_retry_after(text: &str) -> Option<Duration> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    v["retry_after"]
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_wait_from_headers_or_body() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "0.4".parse().expect("value"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(400)));
        assert_eq!(
            body_retry_after("{\"retry_after\": 1.5}"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(body_retry_after("nope"), None);
        h.insert("retry-after", "-3".parse().expect("value"));
        assert_eq!(retry_after(&h), None);
    }
}
