//! A fake Discord on 127.0.0.1 for tests: the REST routes dossier and serenity use, recording
//! every request, and a gateway websocket that plays HELLO → IDENTIFY → READY → heartbeats →
//! dispatches. Tests push INTERACTION_CREATE events, make it answer 429, or drop the socket.
//! Uploads (multipart/form-data) are read as Discord reads them: `payload_json` is the body,
//! each `files[n]` must be named by an entry of its `attachments` with id `n`, and every
//! `attachment://` an embed refers to must be among them; a request that breaks these, or a
//! file over 10 MiB, is refused with 400.

use axum::Router;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

pub const APP_ID: &str = "1000000000000000001";
pub const BOT_ID: &str = "1000000000000000002";

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Value,
    /// The files uploaded with it (multipart), in order.
    pub files: Vec<Upload>,
    pub authorization: Option<String>,
    pub at: std::time::Instant,
}

#[derive(Clone, Debug)]
pub struct Upload {
    /// The form field: `files[0]`, …
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A multipart body as `payload_json` and its files.
async fn read_multipart(
    content_type: &str,
    body: axum::body::Bytes,
) -> Result<(Value, Vec<Upload>), String> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let (mut payload, mut files): (Option<Value>, Vec<Upload>) = (None, Vec::new());
    while let Some(field) = form.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field
            .content_type()
            .map(|m| m.to_string())
            .unwrap_or_default();
        let bytes = field.bytes().await.map_err(|e| e.to_string())?;
        if name == "payload_json" {
            payload =
                Some(serde_json::from_slice(&bytes).map_err(|e| format!("payload_json: {e}"))?);
        } else if name.starts_with("files[") {
            files.push(Upload {
                field: name,
                filename: filename.ok_or("a file without a filename")?,
                content_type,
                bytes: bytes.to_vec(),
            });
        } else {
            return Err(format!("unexpected form field {name}"));
        }
    }
    let payload: Value = payload.ok_or("no payload_json")?;
    // The checks Discord makes of an upload: of the message, which a callback wraps in `data`.
    let data = if payload["data"].is_object() {
        &payload["data"]
    } else {
        &payload
    };
    let attachments = data["attachments"].as_array().cloned().unwrap_or_default();
    for f in &files {
        if f.bytes.len() > 10 * 1024 * 1024 {
            return Err(format!("{} is over the 10 MiB upload limit", f.filename));
        }
        let n = f.field.trim_start_matches("files[").trim_end_matches(']');
        let named = attachments.iter().any(|a| {
            a["id"].to_string().trim_matches('"') == n && a["filename"] == json!(f.filename)
        });
        if !named {
            return Err(format!("{} has no attachment entry with id {n}", f.field));
        }
    }
    for a in &attachments {
        if a["description"]
            .as_str()
            .is_some_and(|d| d.chars().count() > 1024)
        {
            return Err("an attachment description over 1024 characters".into());
        }
    }
    for e in data["embeds"].as_array().cloned().unwrap_or_default() {
        if let Some(name) = e["image"]["url"]
            .as_str()
            .and_then(|u| u.strip_prefix("attachment://"))
            && !files.iter().any(|f| f.filename == name)
        {
            return Err(format!(
                "an embed shows attachment://{name}, which was not uploaded"
            ));
        }
    }
    Ok((payload, files))
}

#[derive(Clone, Debug)]
enum Control {
    Dispatch(Value),
    Drop,
}

/// A message created in a channel: (channel, nonce, message).
type Created = (String, Option<String>, Value);

#[derive(Clone)]
pub struct Fake {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    gateway_log: Arc<Mutex<Vec<Value>>>,
    rate_limit_callbacks: Arc<AtomicU32>,
    rate_limit_edits: Arc<AtomicU32>,
    /// Milliseconds to hold each edit of an original response before answering it.
    edit_delay_ms: Arc<AtomicU64>,
    /// Milliseconds to hold each channel message before creating it, and up to how many more
    /// (spread over the channels).
    message_delay_ms: Arc<AtomicU64>,
    message_delay_spread_ms: Arc<AtomicU64>,
    /// Messages created in channels: (channel, nonce, message), as Discord keeps them.
    created: Arc<Mutex<Vec<Created>>>,
    seq: Arc<AtomicU64>,
    control: broadcast::Sender<Control>,
    /// The shard count `GET /gateway/bot` recommends.
    shards: u32,
    /// Channels whose messages are taken in and never answered, and how.
    hung: Arc<Mutex<std::collections::HashMap<String, Hang>>>,
}

/// How a hung channel treats a message sent to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hang {
    /// The request is read and held without a word: nothing is created.
    BeforeCreating,
    /// The message is created (a retry with its nonce gets it back), and no answer is sent.
    AfterCreating,
}

pub fn bot_user() -> Value {
    json!({"id": BOT_ID, "username": "dossier", "discriminator": "0", "global_name": null, "avatar": null, "bot": true})
}

pub fn message_json() -> Value {
    json!({
        "id": "1500000000000000001", "channel_id": "1400000000000000001", "author": bot_user(), "content": "",
        "timestamp": "2026-11-25T00:00:00.000000+00:00", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": false, "type": 0, "flags": 0, "components": []
    })
}

impl Fake {
    pub async fn start() -> Fake {
        Fake::start_on([127, 0, 0, 1].into(), 1).await
    }

    /// On `ip` (a port of its own), recommending `shards` shards: for a run where the bot is in
    /// a container and reaches the host on its bridge's address (tests/it/compose.rs).
    pub async fn start_on(ip: std::net::IpAddr, shards: u32) -> Fake {
        let listener = tokio::net::TcpListener::bind((ip, 0))
            .await
            .expect("bind fake discord");
        let addr = listener.local_addr().expect("addr");
        let (control, _) = broadcast::channel(64);
        let fake = Fake {
            addr,
            requests: Arc::default(),
            gateway_log: Arc::default(),
            rate_limit_callbacks: Arc::default(),
            rate_limit_edits: Arc::default(),
            edit_delay_ms: Arc::default(),
            message_delay_ms: Arc::default(),
            message_delay_spread_ms: Arc::default(),
            created: Arc::default(),
            seq: Arc::default(),
            control,
            shards,
            hung: Arc::default(),
        };
        let app = Router::new()
            .route("/ws", get(ws))
            .route("/api/v10/{*rest}", any(rest))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }

    pub fn requests_to(&self, method: &str, path_start: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.starts_with(path_start))
            .collect()
    }

    /// Gateway payloads received from the client (IDENTIFY, RESUME, heartbeats).
    pub fn gateway_ops(&self) -> Vec<u64> {
        self.gateway_log
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|v| v["op"].as_u64())
            .collect()
    }

    /// How many channel messages exist, in all channels.
    pub fn message_count(&self) -> usize {
        self.created.lock().expect("lock").len()
    }

    /// How many channels have at least one message.
    pub fn channels_with_messages(&self) -> usize {
        let created = self.created.lock().expect("lock");
        created
            .iter()
            .map(|(c, _, _)| c.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len()
    }

    /// The shard each IDENTIFY asked for, `[id, total]`, in order.
    pub fn identified_shards(&self) -> Vec<Value> {
        self.gateway_log
            .lock()
            .expect("lock")
            .iter()
            .filter(|v| v["op"] == 2)
            .map(|v| v["d"]["shard"].clone())
            .collect()
    }

    /// When each IDENTIFY arrived (ms since the epoch), in order.
    pub fn identify_times(&self) -> Vec<u64> {
        self.gateway_log
            .lock()
            .expect("lock")
            .iter()
            .filter(|v| v["op"] == 2)
            .filter_map(|v| v["received_ms"].as_u64())
            .collect()
    }

    /// Answer the next `n` interaction callbacks with 429 and a retry-after.
    pub fn rate_limit_next_callbacks(&self, n: u32) {
        self.rate_limit_callbacks.store(n, Ordering::SeqCst);
    }

    /// The messages that exist in `channel`: a send with `enforce_nonce` and a nonce already
    /// used returned the existing message instead of creating one, as Discord does.
    pub fn messages_in(&self, channel: &str) -> Vec<Value> {
        self.created
            .lock()
            .expect("lock")
            .iter()
            .filter(|(c, _, _)| c == channel)
            .map(|(_, _, m)| m.clone())
            .collect()
    }

    /// Answer the next `n` edits of an original response with 429 and a retry-after of 0.4 s.
    pub fn rate_limit_next_edits(&self, n: u32) {
        self.rate_limit_edits.store(n, Ordering::SeqCst);
    }

    /// Hold each edit of an original response this long before answering it.
    pub fn delay_edits(&self, by: Duration) {
        self.edit_delay_ms
            .store(by.as_millis() as u64, Ordering::SeqCst);
    }

    /// Hold each message sent to a channel this long before creating it.
    pub fn delay_messages(&self, by: Duration) {
        self.message_delay_ms
            .store(by.as_millis() as u64, Ordering::SeqCst);
    }

    /// From now on, messages sent to `channel` are held for ever, as `how` says.
    pub fn hang(&self, channel: &str, how: Hang) {
        self.hung
            .lock()
            .expect("lock")
            .insert(channel.to_owned(), how);
    }

    /// Answer every channel again (requests already held stay held: their senders gave up).
    pub fn answer_again(&self) {
        self.hung.lock().expect("lock").clear();
    }

    /// Hold each message sent to a channel from `least` to `most` before creating it: each
    /// channel its own time in that range, spread evenly over the channels' ids.
    pub fn delay_messages_between(&self, least: Duration, most: Duration) {
        self.delay_messages(least);
        self.message_delay_spread_ms.store(
            most.saturating_sub(least).as_millis() as u64,
            Ordering::SeqCst,
        );
    }

    pub fn dispatch(&self, event: &str, d: Value) {
        let s = self.seq.fetch_add(1, Ordering::SeqCst) + 2;
        let _ = self.control.send(Control::Dispatch(
            json!({"op": 0, "t": event, "s": s, "d": d}),
        ));
    }

    pub fn drop_socket(&self) {
        let _ = self.control.send(Control::Drop);
    }

    /// Wait until `pred` holds for the recorded requests, or panic after `secs`.
    pub async fn wait_for(
        &self,
        secs: u64,
        what: &str,
        pred: impl Fn(&[Recorded]) -> bool,
    ) -> Vec<Recorded> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let r = self.requests();
            if pred(&r) {
                return r;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; requests: {:#?}",
                    r.iter()
                        .map(|r| format!("{} {}", r.method, r.path))
                        .collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_for_gateway(&self, secs: u64, what: &str, pred: impl Fn(&[u64]) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !pred(&self.gateway_ops()) {
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; gateway ops: {:?}",
                    self.gateway_ops()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn rest(
    State(fake): State<Fake>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(rest): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/{rest}");
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (body_json, files) = if content_type.starts_with("multipart/form-data") {
        match read_multipart(&content_type, body).await {
            Ok(read) => read,
            Err(why) => {
                eprintln!("fake discord refused an upload to {path}: {why}");
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(
                        json!({"message": format!("Invalid Form Body: {why}"), "code": 50035}),
                    ),
                )
                    .into_response();
            }
        }
    } else if body.is_empty() {
        (Value::Null, Vec::new())
    } else {
        (
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned())),
            Vec::new(),
        )
    };
    fake.requests.lock().expect("lock").push(Recorded {
        method: method.to_string(),
        path: path.clone(),
        body: body_json.clone(),
        files,
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        at: std::time::Instant::now(),
    });
    let _ = uri;
    let ok = |v: Value| (StatusCode::OK, axum::Json(v)).into_response();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({"url": format!("ws://{}/ws", fake.addr)})),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": format!("ws://{}/ws", fake.addr), "shards": fake.shards,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        })),
        ("GET", ["users", "@me"]) => ok(bot_user()),
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => ok(json!([])),
        ("POST", ["interactions", _, _, "callback"]) => {
            let limited = fake
                .rate_limit_callbacks
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if limited {
                let mut r = (StatusCode::TOO_MANY_REQUESTS, axum::Json(json!({"message": "You are being rate limited.", "retry_after": 0.4, "global": false}))).into_response();
                let h = r.headers_mut();
                h.insert("retry-after", "0.4".parse().expect("header"));
                h.insert("x-ratelimit-limit", "1".parse().expect("header"));
                h.insert("x-ratelimit-remaining", "0".parse().expect("header"));
                h.insert("x-ratelimit-reset-after", "0.4".parse().expect("header"));
                h.insert("x-ratelimit-bucket", "callback".parse().expect("header"));
                h.insert("x-ratelimit-scope", "user".parse().expect("header"));
                r
            } else {
                StatusCode::NO_CONTENT.into_response()
            }
        }
        ("PATCH", ["webhooks", _, _, "messages", "@original"])
            if fake
                .rate_limit_edits
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok() =>
        {
            let mut r = (StatusCode::TOO_MANY_REQUESTS, axum::Json(json!({"message": "You are being rate limited.", "retry_after": 0.4, "global": false}))).into_response();
            r.headers_mut()
                .insert("retry-after", "0.4".parse().expect("header"));
            r
        }
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => {
            let delay = fake.edit_delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                // Recorded again when answered, so a test can tell it was waited for.
                if let Some(r) = fake.requests.lock().expect("lock").last_mut() {
                    r.at = std::time::Instant::now();
                }
            }
            ok(message_json())
        }
        ("POST", ["webhooks", _, _]) => ok(message_json()),
        ("POST", ["channels", channel, "messages"]) => {
            let spread = fake.message_delay_spread_ms.load(Ordering::SeqCst);
            let delay = fake.message_delay_ms.load(Ordering::SeqCst)
                + if spread > 0 {
                    // A multiplicative hash of the channel id: even over the range.
                    let id: u64 = channel.parse().unwrap_or_default();
                    id.wrapping_mul(0x9E37_79B9_7F4A_7C15) % (spread + 1)
                } else {
                    0
                };
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            let hang = fake.hung.lock().expect("lock").get(*channel).copied();
            if hang == Some(Hang::BeforeCreating) {
                return std::future::pending().await;
            }
            let nonce = body_json["nonce"].as_str().map(str::to_owned);
            let enforce = body_json["enforce_nonce"].as_bool() == Some(true);
            // The guard lives in this block only, so the handler stays `Send` across the hang.
            let m = {
                let mut created = fake.created.lock().expect("lock");
                let kept = created
                    .iter()
                    .find(|(c, n, _)| enforce && c == channel && n.is_some() && *n == nonce)
                    .map(|(_, _, m)| m.clone());
                match kept {
                    Some(m) => m,
                    None => {
                        let mut m = message_json();
                        m["id"] = json!(format!(
                            "{}",
                            1_500_000_000_000_000_100u64 + created.len() as u64
                        ));
                        m["channel_id"] = json!(channel);
                        m["embeds"] = body_json["embeds"].clone();
                        if body_json["components"].is_array() {
                            m["components"] = body_json["components"].clone();
                        }
                        m["nonce"] = json!(nonce);
                        created.push((channel.to_string(), nonce, m.clone()));
                        m
                    }
                }
            };
            if hang == Some(Hang::AfterCreating) {
                return std::future::pending().await;
            }
            ok(m)
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "404: Not Found", "code": 0})),
        )
            .into_response(),
    }
}

async fn ws(State(fake): State<Fake>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| gateway(fake, socket))
}

async fn gateway(fake: Fake, mut socket: WebSocket) {
    let mut control = fake.control.subscribe();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 45000}});
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            frame = socket.recv() => {
                let Some(Ok(frame)) = frame else { return };
                let text = match frame {
                    WsMessage::Text(t) => t.to_string(),
                    WsMessage::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                    WsMessage::Close(_) => return,
                    _ => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                let mut logged = v.clone();
                if v["op"] == 2 {
                    // When each IDENTIFY came, for the checks on their pace.
                    logged["received_ms"] = json!(std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_millis() as u64));
                }
                fake.gateway_log.lock().expect("lock").push(logged);
                let reply = match v["op"].as_u64() {
                    Some(1) => json!({"op": 11}),
                    Some(2) => {
                        let s = fake.seq.fetch_add(1, Ordering::SeqCst) + 1;
                        json!({"op": 0, "t": "READY", "s": s, "d": {
                            "v": 10, "user": bot_user(), "guilds": [], "session_id": "session-1",
                            "resume_gateway_url": format!("ws://{}/ws", fake.addr),
                            "shard": if v["d"]["shard"].is_array() { v["d"]["shard"].clone() } else { json!([0, 1]) },
                            "application": {"id": APP_ID, "flags": 0}
                        }})
                    }
                    Some(6) => {
                        let s = fake.seq.fetch_add(1, Ordering::SeqCst) + 1;
                        json!({"op": 0, "t": "RESUMED", "s": s, "d": {}})
                    }
                    _ => continue,
                };
                if socket.send(WsMessage::Text(reply.to_string().into())).await.is_err() {
                    return;
                }
            }
            c = control.recv() => match c {
                Ok(Control::Dispatch(v)) => {
                    if socket.send(WsMessage::Text(v.to_string().into())).await.is_err() {
                        return;
                    }
                }
                Ok(Control::Drop) | Err(_) => return,
            }
        }
    }
}
