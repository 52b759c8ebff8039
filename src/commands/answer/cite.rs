//! Numbered citations, in the order a reply first cites each source, and the as-of footer with
//! its staleness warning.

use super::ctx::Ctx;
use crate::cards::Topic;
use crate::date::human_day;
use crate::library::Library;
use crate::reply::{Citation, Footer};
use chrono::NaiveDate;

/// Numbers sources in the order a reply first cites them.
pub(super) struct Cites<'a> {
    lib: &'a Library,
    topic: usize,
    pub(super) list: Vec<Citation>,
}

impl<'a> Cites<'a> {
    pub(super) fn new(lib: &'a Library, topic: usize) -> Self {
        Cites {
            lib,
            topic,
            list: Vec::new(),
        }
    }

    pub(super) fn cite(&mut self, ids: &[String]) -> Vec<u32> {
        let mut ns = Vec::new();
        for id in ids {
            let n = match self.list.iter().find(|c| &c.source_id == id) {
                Some(c) => c.n,
                None => {
                    let Some(s) = self.lib.source(self.topic, id) else {
                        continue;
                    };
                    let n = self.list.len() as u32 + 1;
                    self.list.push(Citation {
                        n,
                        source_id: s.id.clone(),
                        title: s.title.clone(),
                        publisher: s.publisher.clone(),
                        published: s.published.map(|d| d.to_string()),
                        url: s.url.clone(),
                    });
                    n
                }
            };
            if !ns.contains(&n) {
                ns.push(n);
            }
        }
        ns
    }
}

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
