//! Discord payloads for tests: interactions as Discord sends them, and Ed25519 request signing.

use crate::fake_discord::APP_ID;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

/// A fixed test key: deterministic, and never used anywhere but tests.
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

pub fn public_key_hex() -> String {
    signing_key()
        .verifying_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn sign(key: &SigningKey, timestamp: &str, body: &[u8]) -> String {
    let mut msg = timestamp.as_bytes().to_vec();
    msg.extend_from_slice(body);
    key.sign(&msg)
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub const MANAGE_GUILD: &str = "32";

fn user(id: &str, name: &str) -> Value {
    json!({"id": id, "username": name, "discriminator": "0", "global_name": name, "avatar": null, "bot": false})
}

/// One command option as Discord sends it: (name, type, value).
pub type Opt<'a> = (&'a str, u8, Value);

/// Options as Discord sends them: (name, type, value).
pub fn options(opts: &[(&str, u8, Value)], focused: Option<&str>) -> Value {
    Value::Array(
        opts.iter()
            .map(|(n, t, v)| {
                let mut o = json!({"name": n, "type": t, "value": v});
                if focused == Some(*n) {
                    o["focused"] = json!(true);
                }
                o
            })
            .collect(),
    )
}

/// An interaction of `kind` (2 command, 3 component, 4 autocomplete) from a guild member with
/// `permissions`.
pub fn interaction(kind: u8, data: Value, permissions: &str, token: &str) -> Value {
    json!({
        "id": "1100000000000000001",
        "application_id": APP_ID,
        "type": kind,
        "data": data,
        "guild_id": "1300000000000000001",
        "channel_id": "1400000000000000001",
        "channel": {"id": "1400000000000000001", "type": 0, "name": "briefing"},
        "member": {
            "user": user("1600000000000000001", "alice"),
            "roles": [], "joined_at": "2026-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false,
            "flags": 0, "pending": false, "permissions": permissions, "nick": null, "avatar": null,
            "premium_since": null, "communication_disabled_until": null
        },
        "token": token,
        "version": 1,
        "locale": "en-GB",
        "guild_locale": "en-GB",
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {},
        "context": 0,
        "attachment_size_limit": 26214400
    })
}

pub fn command(name: &str, opts: &[(&str, u8, Value)], permissions: &str) -> Value {
    interaction(
        2,
        json!({"id": "1200000000000000001", "name": name, "type": 1, "options": options(opts, None)}),
        permissions,
        "tok-command",
    )
}

pub fn autocomplete(name: &str, opts: &[(&str, u8, Value)], focused: &str) -> Value {
    interaction(
        4,
        json!({"id": "1200000000000000001", "name": name, "type": 1, "options": options(opts, Some(focused))}),
        "0",
        "tok-auto",
    )
}

pub fn button(custom_id: &str) -> Value {
    let mut v = interaction(
        3,
        json!({"custom_id": custom_id, "component_type": 2}),
        "0",
        "tok-button",
    );
    v["message"] = crate::fake_discord::message_json();
    v
}

pub fn ping() -> Value {
    json!({"id": "1100000000000000009", "application_id": APP_ID, "type": 1, "token": "tok-ping", "version": 1})
}

/// Every string in a JSON payload, for mention checks.
pub fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The interaction with its own id and token, so its callbacks and edits can be told apart.
pub fn with_token(mut v: Value, id: &str, token: &str) -> Value {
    v["id"] = serde_json::json!(id);
    v["token"] = serde_json::json!(token);
    v
}
