//! dossier: curated briefing cards, checked and answered on any chat surface.
//!
//! The core is platform-neutral: [`cards`] loads and checks the TOML cards, [`library`] holds
//! an immutable indexed snapshot, [`commands`] parses and answers commands as a [`reply::Reply`],
//! and [`render`] turns a reply into text for a surface.

pub mod app;
pub mod cards;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod date;
pub mod deadlines;
pub mod desk;
pub mod diag;
pub mod digest;
#[cfg(feature = "discord")]
pub mod discord;
pub mod edit;
pub mod feed;
pub mod fetch;
pub mod follows;
pub mod http;
pub mod library;
#[cfg(feature = "matrix")]
pub mod matrix;
pub mod metrics;
pub mod newsdesk;
pub mod places;
pub mod platform;
pub mod reload;
pub mod render;
pub mod reply;
pub mod retry;
pub mod router;
pub mod schedule;
pub mod scheduler;
pub mod service;
pub mod sources;
pub mod store;
pub mod text;
pub mod web;
