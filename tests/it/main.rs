//! Integration tests, in one binary to keep link times down.

mod architecture;
mod archive;
mod browser;
#[cfg(all(feature = "discord", feature = "matrix"))]
mod cache;
mod charts;
mod cli;
mod common;
#[cfg(all(feature = "discord", feature = "matrix"))]
mod compose;
#[cfg(feature = "discord")]
mod deadlines;
mod digest;
#[cfg(feature = "discord")]
mod discord_charts;
#[cfg(feature = "discord")]
mod discord_endpoint;
#[cfg(feature = "discord")]
mod discord_gateway;
#[cfg(feature = "discord")]
mod discord_support;
#[cfg(all(feature = "discord", feature = "matrix"))]
mod edit;
#[cfg(all(feature = "discord", feature = "matrix"))]
mod edit_git;
mod edit_stores;
#[cfg(feature = "discord")]
mod fake_discord;
#[cfg(feature = "matrix")]
mod feed;
mod fetch;
mod fixtures;
mod follows;
#[cfg(feature = "matrix")]
mod matrix_charts;
#[cfg(feature = "matrix")]
mod matrix_e2e;
#[cfg(feature = "matrix")]
mod matrix_mock;
#[cfg(all(feature = "discord", feature = "matrix"))]
mod moderators;
mod never_panics;
#[cfg(all(feature = "discord", feature = "matrix"))]
mod new_from_chat;
mod newsdesk;
#[cfg(feature = "discord")]
mod places;
mod postgres;
mod postgres_tls;
#[cfg(all(feature = "discord", feature = "matrix"))]
mod proposals;
#[cfg(feature = "discord")]
mod reload;
#[cfg(feature = "discord")]
mod replicas;
mod replies;
#[cfg(feature = "discord")]
mod schedules;
mod schema;
#[cfg(feature = "discord")]
mod serve;
mod sources;
mod sources_replicas;
mod stores;
#[cfg(feature = "matrix")]
mod synapse;
mod upgrade;
mod web;
