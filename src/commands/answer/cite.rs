//! Numbered citations, in the order a reply first cites each source, and the as-of footer with
//! its staleness warning.

use super::ctx::Ctx;
use crate::cards::Topic;
use crate::date::human_day;
use crate::reply::Footer;
use chrono::NaiveDate;

pub(super) use crate::library::Cites;

impl Ctx<'_> {
    /// The footer of an answer drawn from cards last checked on `as_of`: `what` names them
    /// ("this position") in the staleness warning.
    pub(super) fn footer(&self, t: &Topic, as_of: NaiveDate, what: &str) -> Footer {
        let stale = t.staleness().is_stale(as_of, self.today).then(|| {
            let age = (self.today - as_of).num_days();
            format!(
                "Stale: {what} is as of {}, {age} days ago; this topic's cards are meant to be rechecked every {} days.",
                human_day(as_of),
                t.stale_after_days
            )
        });
        Footer {
            topic: t.title.clone(),
            as_of,
            stale,
            note: None,
        }
    }
}
