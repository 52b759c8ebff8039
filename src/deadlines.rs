//! How long any call that leaves the process may take, in one place: a call past its deadline
//! fails like any other error (its slot is freed and its caller's retry rules apply), so no
//! unanswering peer holds dossier's work for ever. The defaults are here; `[deadlines]` in the
//! config changes the ones an operator may need to (a slow homeserver, a large cards remote).

use std::time::Duration;

/// Discord's REST API, through serenity and our own client: connecting, and the whole request
/// (a chart's upload included). `[deadlines] discord` changes the second.
pub const DISCORD_CONNECT: Duration = Duration::from_secs(5);
pub const DISCORD_REQUEST: Duration = Duration::from_secs(15);

/// A Matrix homeserver, for every request but the sync's long poll, which is given this on top
/// of the time it asks the server to wait. `[deadlines] matrix`.
pub const MATRIX_REQUEST: Duration = Duration::from_secs(30);

/// The shared PostgreSQL database: a connection, or a pooled one, within this; a statement
/// within twice this. Not a config key: the door locks' failover times are built on it.
pub const DATABASE: Duration = Duration::from_secs(3);

/// A git pull or push of the cards' remote. `[deadlines] git`.
pub const GIT_NETWORK: Duration = Duration::from_secs(30);

/// What dossier fetches on its own account (feeds, source pages): connecting, and the whole
/// answer, body included.
pub const FETCH_CONNECT: Duration = Duration::from_secs(5);
pub const FETCH: Duration = Duration::from_secs(20);

/// How long a replica's claim on a daily briefing holds unrenewed, unless `[schedules]
/// claim_lease` says otherwise: another replica takes the post over this long after the owner's
/// last renewal (it renews every third of this while it sends, so a slow send keeps it).
pub const CLAIM_LEASE: Duration = Duration::from_secs(10);

/// The longest one daily briefing's send may hold a posting slot, whatever the door does
/// inside it (several requests, key sharing in an encrypted room, waits a 429 asked for).
pub const BRIEFING_SEND: Duration = Duration::from_secs(300);

/// The deadlines in force: the defaults above, or what `[deadlines]` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    pub discord: Duration,
    pub matrix: Duration,
    pub git: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            discord: DISCORD_REQUEST,
            matrix: MATRIX_REQUEST,
            git: GIT_NETWORK,
        }
    }
}

/// "15s", "2m", "2h", "500ms", or a bare number of seconds; `None` for anything else.
pub fn parse(s: &str) -> Option<Duration> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(digits);
    let n: u64 = n.parse().ok()?;
    match unit.trim() {
        "" | "s" => Some(Duration::from_secs(n)),
        "ms" => Some(Duration::from_millis(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs),
        "h" => n.checked_mul(3600).map(Duration::from_secs),
        "d" => n.checked_mul(86_400).map(Duration::from_secs),
        _ => None,
    }
}

/// "15 s", "2 min", "500 ms": a deadline as messages and `status` say it.
pub fn describe(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{} min", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// An error and what caused it, in one line: "error sending request for url (…): operation
/// timed out" says that a call ran past its deadline, where the first part alone does not.
pub fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_read_as_operators_write_them() {
        assert_eq!(parse("15s"), Some(Duration::from_secs(15)));
        assert_eq!(parse("15"), Some(Duration::from_secs(15)));
        assert_eq!(parse("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse(" 500ms "), Some(Duration::from_millis(500)));
        for bad in [
            "",
            "s",
            "1.5s",
            "-3s",
            "2w",
            "15 seconds",
            "99999999999999999999m",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(describe(Duration::from_secs(120)), "2 min");
        assert_eq!(describe(Duration::from_secs(15)), "15 s");
        assert_eq!(describe(Duration::from_millis(1500)), "1500 ms");
    }
}
