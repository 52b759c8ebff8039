//! What every answer depends on besides the command: the library snapshot, the day, the
//! default topic, and (for `status`) what a running service reports about itself, already in
//! words; and the small helpers the answers share.

use crate::library::Library;
use crate::reply::{Line, Reply, ReplyKind};
use chrono::NaiveDate;
use std::time::Duration;

/// Everything an answer depends on besides the command.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub library: &'a Library,
    pub today: NaiveDate,
    /// The topic to use when several are loaded and none is named.
    pub default_topic: Option<&'a str>,
    /// What a running service knows about itself, for `status`; `None` in the terminal.
    pub service: Option<&'a ServiceReport>,
}

/// What a running service knows about itself, as `status` shows it. The service features
/// describe themselves; the answer only lays the lines out.
#[derive(Clone, Debug)]
pub struct ServiceReport {
    pub version: &'static str,
    pub uptime: Duration,
    /// The last reload, in one line (when, after what, how it ended, how long it took).
    pub last_reload: Option<String>,
    /// Each door: its name, and its state since when.
    pub doors: Vec<(String, String)>,
    /// Daily briefings that need attention: failing destinations, missed posts.
    pub schedules: Vec<String>,
    /// The channels and rooms with a topic of their own, one line each.
    pub places: Vec<String>,
    /// The cited pages by verdict, when they are looked at.
    pub sources: Option<String>,
}

pub(super) fn user_error(title: impl Into<String>, summary: impl Into<String>) -> Reply {
    Reply::new(ReplyKind::UserError, title).summary(Line::new(summary))
}

pub(super) fn quote_list(items: &[String]) -> String {
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    crate::text::or_list(&refs)
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
