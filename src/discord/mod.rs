//! The Discord door: slash commands over the gateway (serenity's client) and over an HTTP
//! interactions endpoint (axum), both calling one handler, and the moderators' channel, where
//! broken cards and their fixes are posted, and the newsdesk's proposals decided with buttons
//! (`proposals`). Everything it says comes from the core's `Reply`,
//! rendered by `render::discord`. The only module that imports serenity; `door::open` wires
//! it all: `settings` is the setup, `respond` what the handlers share, `followups` the bounded
//! queue of what is sent after an answer (charts, deferred completions).

pub mod briefings;
pub mod commands;
pub mod door;
pub mod edit;
pub mod endpoint;
pub mod followups;
pub mod gateway;
pub mod handler;
pub mod moderation;
pub mod proposals;
pub mod respond;
pub mod rest;
pub mod settings;
pub mod signatures;

pub use door::{DoorTasks, Opened, endpoint_listening, open};
pub use settings::{ENDPOINT, GATEWAY, Settings, http, permission};
