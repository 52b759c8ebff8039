//! Sending interaction responses: the callback and the edit of a deferred original, as JSON or,
//! with a chart, as multipart (`payload_json` plus `files[0]`). Kept apart
//! from serenity's `Http` so that a 429 is honoured by its `retry-after` whether dossier talks to
//! Discord directly or through `api_proxy` (serenity's rate limiter is off behind a proxy):
//! a 429 holds back that route and token (or every request, when Discord says the limit is
//! global) until its `retry_after` has passed. Interaction tokens are part of the URL, so URLs
//! are never logged.

use crate::charts::Png;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    limits: Arc<Mutex<Limits>>,
}

/// What Discord's 429s hold back, and until when.
#[derive(Default)]
struct Limits {
    /// Every request (a global limit).
    global: Option<Instant>,
    /// One route with one token (the URL; Discord limits an interaction's edits per token).
    routes: HashMap<String, Instant>,
}

/// How many held-back routes are remembered before the past ones are forgotten.
const LIMITS_KEPT: usize = 1024;

impl Limits {
    /// How long a request to `url` must wait now.
    fn wait(&mut self, url: &str, now: Instant) -> Option<Duration> {
        let until = [self.global, self.routes.get(url).copied()]
            .into_iter()
            .flatten()
            .max()?;
        if until <= now {
            self.routes.remove(url);
            return None;
        }
        Some(until - now)
    }

    fn hold(&mut self, url: &str, global: bool, until: Instant) {
        if global {
            self.global = Some(self.global.map_or(until, |g| g.max(until)));
            return;
        }
        if self.routes.len() >= LIMITS_KEPT {
            let now = Instant::now();
            self.routes.retain(|_, t| *t > now);
        }
        if self.routes.len() < LIMITS_KEPT {
            self.routes.insert(url.to_owned(), until);
        }
    }
}

impl Rest {
    /// `base`: `https://discord.com` or a proxy / test double such as `http://127.0.0.1:3000`.
    /// Fails rather than fall back to a client without the timeout and the User-Agent Discord
    /// requires.
    pub fn new(base: Option<&str>, application_id: u64) -> Result<Self, RestError> {
        Rest::within(base, application_id, crate::deadlines::DISCORD_REQUEST)
    }

    /// [`Rest::new`] with each request bounded by `deadline` (`[deadlines] discord`).
    pub fn within(
        base: Option<&str>,
        application_id: u64,
        deadline: std::time::Duration,
    ) -> Result<Self, RestError> {
        let base = base.unwrap_or(DISCORD_API).trim_end_matches('/');
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "DiscordBot (https://github.com/dossier-bot/dossier, ",
                env!("CARGO_PKG_VERSION"),
                ")"
            ))
            .connect_timeout(crate::deadlines::DISCORD_CONNECT)
            .timeout(deadline)
            .build()
            .map_err(|e| RestError::Client(e.to_string()))?;
        Ok(Rest {
            client,
            api: format!("{base}/api/v10"),
            application_id,
            limits: Arc::default(),
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
        self.retrying(route, url, || {
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
        self.retrying(route, url, || {
            Ok(self
                .client
                .request(method.clone(), url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone()))
        })
        .await
    }

    /// Send the request `make` builds to `url`, again after a 429 or a 5xx (up to
    /// [`MAX_RETRIES`] times, waiting as Discord asks); a request to a route Discord is holding
    /// back waits first.
    async fn retrying(
        &self,
        route: &'static str,
        url: &str,
        make: impl Fn() -> Result<reqwest::RequestBuilder, RestError>,
    ) -> Result<(), RestError> {
        let mut attempt = 0;
        loop {
            let held = self.lock_limits().wait(url, Instant::now());
            if let Some(wait) = held {
                tokio::time::sleep(wait.min(MAX_WAIT)).await;
            }
            let resp = make()?
                .send()
                .await
                .map_err(|e| RestError::Transport(e.without_url().to_string()))?;
            let status = resp.status();
            if status.is_success() {
                return Ok(());
            }
            let wait = retry_after(resp.headers());
            let global_header = resp
                .headers()
                .get("x-ratelimit-global")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
            let text = resp.text().await.unwrap_or_default();
            let retriable = status.as_u16() == 429 || status.is_server_error();
            if retriable && attempt < MAX_RETRIES {
                let wait = wait
                    .or_else(|| body_retry_after(&text))
                    .unwrap_or(Duration::from_millis(500 << attempt))
                    .min(MAX_WAIT);
                let global = global_header || body_global(&text);
                tracing::warn!(
                    route,
                    status = status.as_u16(),
                    global,
                    wait_ms = wait.as_millis() as u64,
                    "Discord asked to retry later"
                );
                self.lock_limits().hold(url, global, Instant::now() + wait);
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

    fn lock_limits(&self) -> std::sync::MutexGuard<'_, Limits> {
        self.limits.lock().unwrap_or_else(|e| e.into_inner())
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

/// Whether a 429's body says the limit is global.
fn body_global(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v["global"] == true)
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
        assert!(body_global("{\"retry_after\": 1, \"global\": true}"));
        assert!(!body_global("{\"retry_after\": 1}"));
    }

    #[test]
    fn a_limit_holds_its_route_and_token_or_everything_when_global() {
        let now = Instant::now();
        let mut l = Limits::default();
        l.hold("a/tok1", false, now + Duration::from_secs(1));
        assert_eq!(l.wait("a/tok1", now), Some(Duration::from_secs(1)));
        assert_eq!(l.wait("a/tok2", now), None, "another token is not held");
        assert_eq!(l.wait("a/tok1", now + Duration::from_secs(2)), None);
        assert!(l.routes.is_empty(), "a passed limit is forgotten");
        l.hold("b", true, now + Duration::from_secs(3));
        assert_eq!(l.wait("anything", now), Some(Duration::from_secs(3)));
        // Held routes are bounded.
        for i in 0..(LIMITS_KEPT * 2) {
            l.hold(&format!("r{i}"), false, now + Duration::from_secs(60));
        }
        assert!(l.routes.len() <= LIMITS_KEPT);
    }
}
