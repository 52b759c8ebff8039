//! What one look at a cited page means: `ok` (2xx), `moved` (permanent redirects to a page found
//! elsewhere), `blocked` (401, 403, 429: the site refuses robots, which is not death),
//! `failing` (5xx, timeouts, names that do not resolve, and a 404 or 410 seen only once), and
//! `gone` (404, 410 or failing, on looks at least 24 hours apart: never on one look). Pure: the
//! look, what the last looks said, and the time in; the verdict out.

use chrono::{DateTime, Duration, Utc};

/// How long a page must keep failing before it is called gone.
pub const GONE_AFTER: Duration = Duration::hours(24);

/// A source's standing after its latest look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Moved,
    Blocked,
    Failing,
    Gone,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::Moved,
        Status::Blocked,
        Status::Failing,
        Status::Gone,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Moved => "moved",
            Status::Blocked => "blocked",
            Status::Failing => "failing",
            Status::Gone => "gone",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// What one look found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Look {
    /// The server answered `status`; `moved_to` when every redirect was permanent.
    Answered {
        status: u16,
        moved_to: Option<String>,
    },
    /// No answer: a timeout, a name that does not resolve, a refused connection.
    Unreachable(String),
}

/// The verdict on a look, and since when the page has failed (kept for the next look): `since`
/// is what the last looks said.
pub fn judge(
    look: &Look,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (Status, Option<DateTime<Utc>>) {
    let failing = || {
        let from = since.unwrap_or(now);
        let status = if now - from >= GONE_AFTER {
            Status::Gone
        } else {
            Status::Failing
        };
        (status, Some(from))
    };
    match look {
        Look::Answered {
            status: 200..=299,
            moved_to: Some(_),
        } => (Status::Moved, None),
        Look::Answered {
            status: 200..=299, ..
        } => (Status::Ok, None),
        Look::Answered {
            status: 401 | 403 | 429,
            ..
        } => (Status::Blocked, None),
        Look::Answered { .. } | Look::Unreachable(_) => failing(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).expect("instant") + Duration::hours(h)
    }

    fn answered(status: u16) -> Look {
        Look::Answered {
            status,
            moved_to: None,
        }
    }

    #[test]
    fn gone_needs_two_looks_a_day_apart_and_failing_is_never_gone_on_one_look() {
        assert_eq!(
            judge(&answered(404), None, at(0)),
            (Status::Failing, Some(at(0)))
        );
        assert_eq!(
            judge(&answered(404), Some(at(0)), at(23)),
            (Status::Failing, Some(at(0)))
        );
        assert_eq!(
            judge(&answered(410), Some(at(0)), at(24)),
            (Status::Gone, Some(at(0)))
        );
        let timeout = Look::Unreachable("no answer within 20 s".into());
        assert_eq!(judge(&timeout, None, at(5)), (Status::Failing, Some(at(5))));
        assert_eq!(judge(&timeout, Some(at(0)), at(30)).0, Status::Gone);
        // Back: the failing is forgotten.
        assert_eq!(
            judge(&answered(200), Some(at(0)), at(30)),
            (Status::Ok, None)
        );
    }

    #[test]
    fn robots_refused_are_blocked_and_a_permanent_move_is_moved() {
        for s in [401, 403, 429] {
            assert_eq!(
                judge(&answered(s), Some(at(0)), at(48)),
                (Status::Blocked, None)
            );
        }
        let moved = Look::Answered {
            status: 200,
            moved_to: Some("https://new.example.org/a".into()),
        };
        assert_eq!(judge(&moved, None, at(0)), (Status::Moved, None));
        assert_eq!(judge(&answered(503), None, at(0)).0, Status::Failing);
    }
}
