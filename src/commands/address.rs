//! Where each answer lives on the web: the paths of the web door's pages (`/t/<topic>`, an
//! actor's page, a timeline with its query, …) and the page that says at length what a chat
//! command answered, resolved the way the answer resolves its topic and actor. Paths only; the
//! public address in front of them is the caller's. Pure: no I/O.

use super::answer::Ctx;
use super::command::{Command, TimelineQuery};

/// A topic's brief.
pub fn topic_path(topic: &str) -> String {
    format!("/t/{topic}")
}

/// An actor's page: the position with its whole history.
pub fn actor_path(topic: &str, actor: &str) -> String {
    format!("/t/{topic}/actors/{actor}")
}

/// A source's entry on the topic's sources page.
pub fn source_anchor(topic: &str, source: &str) -> String {
    format!("/t/{topic}/sources#src-{source}")
}

/// The list of a topic's recorded changes.
pub fn changes_path(topic: &str) -> String {
    format!("/t/{topic}/changes")
}

/// One recorded change.
pub fn change_path(topic: &str, seq: i64) -> String {
    format!("/t/{topic}/changes/{seq}")
}

/// A topic's Atom feed of changes.
pub fn feed_path(topic: &str) -> String {
    format!("/t/{topic}/feed.atom")
}

/// A timeline page with the query's filters, on page `page`.
pub fn timeline_path(topic: &str, q: &TimelineQuery, actor: Option<&str>, page: u32) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    if let Some(d) = q.since {
        s.append_pair("since", &d.iso());
    }
    if let Some(d) = q.until {
        s.append_pair("until", &d.iso());
    }
    if let Some(a) = actor {
        s.append_pair("actor", a);
    }
    if page > 1 {
        s.append_pair("page", &page.to_string());
    }
    let qs = s.finish();
    if qs.is_empty() {
        format!("/t/{topic}/timeline")
    } else {
        format!("/t/{topic}/timeline?{qs}")
    }
}

impl Ctx<'_> {
    /// The path of the web page that shows what `cmd` answers, when there is one and the
    /// command's topic (and actor) resolve; `None` for commands no page shows (search,
    /// compare, the moderators' commands) and for what would be an error.
    pub fn address(&self, cmd: &Command) -> Option<String> {
        let lib = self.library;
        let topic = |given: Option<&str>| {
            self.topic(given)
                .ok()
                .map(|t| (t, lib.topic(t).id.as_str()))
        };
        match cmd {
            Command::Brief(q) | Command::Actors(q) => {
                topic(q.topic.as_deref()).map(|(_, id)| topic_path(id))
            }
            Command::Position(q) => {
                let (t, id) = topic(q.topic.as_deref())?;
                let actor = lib.actor(t, &q.actor)?;
                Some(actor_path(id, &actor.id))
            }
            Command::Timeline(q) => {
                let (t, id) = topic(q.topic.as_deref())?;
                let actor = match &q.actor {
                    Some(a) => Some(lib.actor(t, a)?.id.as_str()),
                    None => None,
                };
                Some(timeline_path(id, q, actor, q.page.get()))
            }
            Command::Experts(q) => {
                topic(q.topic.as_deref()).map(|(_, id)| format!("/t/{id}/experts"))
            }
            Command::Sources(q) => {
                topic(q.topic.as_deref()).map(|(_, id)| format!("/t/{id}/sources"))
            }
            Command::Topics => Some("/".into()),
            _ => None,
        }
    }
}
