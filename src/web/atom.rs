//! A topic's change feed as Atom, with `atom_syndication`: one entry per change the feed
//! recorded (newest first, at most [`KEPT`](crate::feed::KEPT)), its id stable across
//! restarts, its date when the change was seen, its content the page of that change (the same
//! HTML as `/t/<topic>/changes/<n>`), its link that page. Links are absolute when the config
//! names a `public_url`, else relative to the feed's own address.

use super::page;
use crate::cards::model::Topic;
use crate::feed::Entry;
use atom_syndication::{Content, Entry as AtomEntry, Feed, Link, Person, Text};
use chrono::{DateTime, FixedOffset, NaiveTime, Utc};
use std::sync::Arc;

fn fixed(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.fixed_offset()
}

fn link(href: String, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.to_owned(),
        mime_type: mime.map(str::to_owned),
        ..Link::default()
    }
}

/// The feed of `topic`, whose entries are `entries` (newest first); `base` is the public
/// address without a trailing slash, or `""`.
pub fn feed(topic: &Topic, entries: &[Arc<Entry>], base: &str) -> String {
    let updated = entries
        .first()
        .map_or_else(|| topic.as_of.and_time(NaiveTime::MIN).and_utc(), |e| e.at);
    let atom_entries = entries
        .iter()
        .map(|e| {
            let href = format!("{base}{}", page::change_path(&topic.id, e.seq));
            AtomEntry {
                title: Text::plain(e.title.clone()),
                id: e.id(),
                updated: fixed(e.at),
                published: Some(fixed(e.at)),
                links: vec![link(href, "alternate", Some("text/html"))],
                summary: e
                    .reply
                    .summary
                    .as_ref()
                    .map(|s| Text::plain(s.text.clone())),
                content: Some(Content {
                    content_type: Some("html".into()),
                    value: Some(page::reply(&e.reply, Some(topic), None).into_string()),
                    ..Content::default()
                }),
                ..AtomEntry::default()
            }
        })
        .collect();
    let f = Feed {
        title: Text::plain(format!("{}: what changed", topic.title)),
        id: format!("urn:dossier:{}:changes", topic.id),
        updated: fixed(updated),
        subtitle: Some(Text::plain(
            "One entry for each change to the briefing cards, in the daily briefing's words, with its sources.",
        )),
        authors: vec![Person {
            name: "dossier".into(),
            ..Person::default()
        }],
        links: vec![
            link(
                format!("{base}{}", page::feed_path(&topic.id)),
                "self",
                Some("application/atom+xml"),
            ),
            link(
                format!("{base}{}", page::topic_path(&topic.id)),
                "alternate",
                Some("text/html"),
            ),
        ],
        lang: Some("en".into()),
        entries: atom_entries,
        ..Feed::default()
    };
    f.to_string()
}
