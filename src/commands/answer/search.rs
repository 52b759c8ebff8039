//! `search <words>`: ranked matches across every card, each with the text that matched, where
//! it is, and the command that shows it whole.

use super::ctx::Ctx;
use super::paging::{no_such_page, page_bounds, pager};
use crate::commands::command::SearchQuery;
use crate::library::{ActorField, Hit, Library, Place};
use crate::reply::{Line, Reply, ReplyKind};
use crate::text::{fold, truncate_words};

/// Where a hit is, in words, and the command that shows it whole.
fn describe(lib: &Library, h: &Hit) -> (String, String) {
    let t = lib.topic(h.topic);
    match h.place {
        Place::Topic(field) => (format!("{} › {}", t.title, field.label()), "brief".into()),
        Place::Watch(_) => (format!("{} › what to watch", t.title), "brief".into()),
        Place::Actor(a, field) => {
            let actor = &t.actors[a];
            (
                format!("{} › {}", actor.name, field.label()),
                format!("position {}", actor.id),
            )
        }
        Place::Person(a, p) => {
            let actor = &t.actors[a];
            (
                format!("{} › key people › {}", actor.name, actor.people[p].name),
                format!("position {}", actor.id),
            )
        }
        Place::Event(i) => (
            format!("Timeline › {}", t.events[i].date),
            format!("timeline since {}", t.events[i].date.iso()),
        ),
        Place::Expert(i) => (format!("Experts › {}", t.experts[i].name), "experts".into()),
        Place::Source(_) => ("Sources".into(), "sources".into()),
    }
}

/// The text to show for a hit: the list item or sentence that matched, cut short.
fn snippet(lib: &Library, h: &Hit, terms: &[String]) -> String {
    let t = lib.topic(h.topic);
    let matches = |s: &str| {
        let f = fold(s);
        terms
            .iter()
            .any(|w| f.split(' ').any(|x| x.starts_with(w.as_str())))
    };
    let text: String = match h.place {
        Place::Actor(a, ActorField::Name) => {
            let actor = &t.actors[a];
            format!("{}: {}", actor.name, actor.role)
        }
        Place::Event(i) => format!("{}. {}", t.events[i].shown_title(), t.events[i].detail),
        Place::Source(i) => format!("{} ({})", t.sources[i].title, t.sources[i].publisher),
        place => {
            let texts = lib.place_texts(h.topic, place);
            let whole_items = matches!(place, Place::Actor(_, f) if f.is_list())
                || matches!(place, Place::Topic(crate::library::TopicField::Tags));
            let found = if whole_items {
                texts.iter().copied().find(|s| matches(s))
            } else {
                // The sentence that matched, when the field has several.
                texts
                    .iter()
                    .flat_map(|s| s.split_inclusive(". "))
                    .find(|s| matches(s))
            };
            found
                .or(texts.first().copied())
                .unwrap_or_default()
                .trim()
                .to_owned()
        }
    };
    truncate_words(&text, 200)
}

pub(super) fn search(ctx: &Ctx<'_>, q: &SearchQuery) -> Result<Reply, Reply> {
    let lib = ctx.library;
    let only = q.topic.as_deref().map(|t| ctx.topic(Some(t))).transpose()?;
    let hits = lib.search(&q.query, only);
    let terms: Vec<String> = crate::text::words(&q.query).collect();
    let title = format!("Search: {}", truncate_words(&q.query, 80));
    if hits.is_empty() {
        let r = Reply::new(ReplyKind::Answer, title).summary(Line::new(
            "Nothing in the cards matches. Try fewer or other words, or `brief` for the overview.",
        ));
        return Ok(r);
    }
    let (pages, range) = page_bounds(hits.len(), q.page);
    if q.page.get() > pages {
        return Err(no_such_page(q.page, pages, "results", |p| q.with_page(p)));
    }
    let partial = hits[0].matched < terms.len();
    let lines = hits[range.clone()]
        .iter()
        .map(|h| {
            let (place, see) = describe(lib, h);
            let mut label = place;
            if lib.topics().len() > 1 {
                label = format!("{} › {label}", lib.topic(h.topic).id);
            }
            Line::new(format!("{} (see `{see}`)", snippet(lib, h, &terms))).label(label)
        })
        .collect();
    let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(format!(
        "Results {}–{} of {}, best first{}.",
        range.start + 1,
        range.end,
        hits.len(),
        if partial {
            "; nothing matched every word, so these match some of them"
        } else {
            ""
        }
    )));
    r.bullets("Matches", lines);
    r.pager = pager(|p| q.with_page(p), q.page, pages, hits.len(), "results");
    Ok(r)
}
