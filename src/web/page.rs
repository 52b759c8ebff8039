//! A [`Reply`] as an HTML page, with maud (every value escaped unless marked otherwise): the
//! same words as the chat answer, each citation linked to its source's anchor on the topic's
//! sources page, actor names linked to their pages, a stale card's warning, and the page's
//! as-of date. Plus the pages no chat answer has: the list of topics and a topic's sources.
//! No script anywhere; one stylesheet.

use crate::cards::model::{Choice, Topic};
use crate::date::human_day;
use crate::reply::{Block, Line, Reply, ReplyKind};
use maud::{DOCTYPE, Markup, html};
use std::collections::HashMap;

/// Where a page sits, for its navigation and its links.
pub struct Place<'a> {
    pub topic: Option<&'a Topic>,
    /// Which tab of the topic's navigation is this page ("brief", "timeline", …).
    pub tab: &'a str,
}

pub use crate::commands::address::{
    actor_path, change_path, changes_path, feed_path, source_anchor, topic_path,
};

/// The page's own policy: the header's, but for what only a header can carry.
pub const META_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/// Text with `code` spans, as the replies write command names: linear, no nesting.
fn inline(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

struct Links<'a> {
    topic: Option<&'a Topic>,
    /// Actor names (and ids) to their pages.
    actors: HashMap<&'a str, String>,
    /// Citation number to its source's anchor.
    cites: HashMap<u32, String>,
}

impl<'a> Links<'a> {
    fn new(topic: Option<&'a Topic>, reply: &Reply) -> Links<'a> {
        let mut actors = HashMap::new();
        let mut cites = HashMap::new();
        if let Some(t) = topic {
            for a in &t.actors {
                actors.insert(a.name.as_str(), actor_path(&t.id, &a.id));
            }
            // A stored change may cite a source the cards no longer have: its outlet link
            // stays, the anchor would lead nowhere.
            for c in &reply.citations {
                if t.sources.iter().any(|s| s.id == c.source_id) {
                    cites.insert(c.n, source_anchor(&t.id, &c.source_id));
                }
            }
        }
        Links {
            topic,
            actors,
            cites,
        }
    }

    /// A label, its actor's name (alone, or before " (as of …)") linked to the actor's page.
    fn label(&self, label: &str) -> Markup {
        if let Some(href) = self.actors.get(label) {
            return html! { a href=(href) { (label) } };
        }
        if let Some((name, rest)) = label.split_once(" (")
            && let Some(href) = self.actors.get(name)
        {
            return html! { a href=(href) { (name) } " (" (rest) };
        }
        html! { (label) }
    }

    fn line(&self, l: &Line) -> Markup {
        html! {
            @if let Some(label) = &l.label { strong { (self.label(label)) } ": " }
            (inline(&l.text))
            @for n in &l.cites {
                @match self.cites.get(n) {
                    Some(href) => { " " sup { a href=(href) aria-label={"source " (n)} { "[" (n) "]" } } }
                    None => { " " sup { "[" (n) "]" } }
                }
            }
        }
    }
}

/// The whole page around `main`.
pub fn layout(title: &str, place: &Place<'_>, main: Markup) -> Markup {
    let tabs: &[(&str, &str)] = &[
        ("brief", ""),
        ("timeline", "/timeline"),
        ("experts", "/experts"),
        ("sources", "/sources"),
        ("changes", "/changes"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                // For a static host that sends no header (`dossier site`); frame-ancestors
                // works only as a header, so it is left out here.
                meta http-equiv="Content-Security-Policy" content=(META_CSP);
                title { (title) " · dossier" }
                link rel="stylesheet" href="/style.css";
                // No icon: and so no request for /favicon.ico.
                link rel="icon" href="data:,";
                @if let Some(t) = place.topic {
                    link rel="alternate" type="application/atom+xml" title={ (t.title) ": what changed" } href=(feed_path(&t.id));
                }
            }
            body {
                a class="skip" href="#main" { "Skip to the content" }
                header {
                    nav aria-label="Briefings" {
                        a href="/" { "Briefings" }
                        @if let Some(t) = place.topic {
                            " › " a href=(topic_path(&t.id)) { (t.title) }
                        }
                    }
                    @if let Some(t) = place.topic {
                        nav aria-label="This topic" class="tabs" {
                            ul {
                                @for (tab, rest) in tabs {
                                    li {
                                        @let href = format!("{}{rest}", topic_path(&t.id));
                                        @if *tab == place.tab {
                                            a href=(href) aria-current="page" { (tab) }
                                        } @else {
                                            a href=(href) { (tab) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" { (main) }
                footer {
                    p { "Made by dossier from curated briefing cards. Every claim links to its source." }
                }
            }
        }
    }
}

/// A chat answer as a page's content.
pub fn reply(
    r: &Reply,
    topic: Option<&Topic>,
    pager: Option<(Option<String>, Option<String>)>,
) -> Markup {
    let links = Links::new(topic, r);
    html! {
        article {
            h1 { (r.title) }
            @if let Some(s) = &r.summary {
                p class={ "summary" @if r.kind == ReplyKind::UserError { " error" } } { (links.line(s)) }
            }
            @if let Some(f) = &r.footer {
                @if let Some(stale) = &f.stale {
                    p class="stale" role="note" { strong { "Stale: " } (inline(stale)) }
                }
            }
            @for s in &r.sections {
                section {
                    h2 { (s.heading) }
                    @match &s.body {
                        Block::Text(l) => { p { (links.line(l)) } }
                        Block::Bullets(ls) => { ul { @for l in ls { li { (links.line(l)) } } } }
                        Block::Fields(fs) => {
                            dl {
                                @for f in fs {
                                    dt { (links.label(&f.name)) }
                                    @for l in &f.lines { dd { (links.line(l)) } }
                                }
                            }
                        }
                    }
                }
            }
            @if let (Some(p), Some((prev, next))) = (&r.pager, &pager) {
                nav aria-label="Pages" class="pager" {
                    @if let Some(href) = prev { a href=(href) rel="prev" { "← Newer" } " " }
                    span { "Page " (p.page) " of " (p.pages) " (" (p.total) " " (p.noun) ")" }
                    @if let Some(href) = next { " " a href=(href) rel="next" { "Older →" } }
                }
            }
            @if !r.citations.is_empty() {
                section class="citations" {
                    h2 { "Sources cited" }
                    ol {
                        @for c in &r.citations {
                            li value=(c.n) {
                                a href=(c.link()) rel="external noopener noreferrer" { (c.title) }
                                " — " (c.publisher)
                                @if let Some(d) = &c.published { ", " (d) }
                                @for a in c.asides() {
                                    " · "
                                    @if let Some(to) = a.link { a href=(to) rel="external noopener noreferrer" { (a.text) } }
                                    @else { span class="aside" { (a.text) } }
                                }
                                @if links.topic.is_some() && links.cites.contains_key(&c.n) {
                                    " · " a href=(links.cites[&c.n]) { "about this source" }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(f) = &r.footer {
                p class="as-of" { (f.topic) " · as of " time datetime=(f.as_of.format("%Y-%m-%d").to_string()) { (human_day(f.as_of)) } }
                @if let Some(n) = &f.note { p class="note" { (inline(n)) } }
            }
        }
    }
}

/// A chart as inline SVG (made by `charts`, every text in it escaped there), captioned with
/// what it shows.
pub fn figure(c: &crate::charts::Picture) -> Markup {
    html! {
        figure class="chart" {
            (maud::PreEscaped(&c.svg))
            figcaption { (c.alt) }
        }
    }
}

/// `/`: the topics, with status and as-of date.
pub fn index(topics: &[Topic], today: chrono::NaiveDate) -> Markup {
    html! {
        h1 { "Briefings" }
        @if topics.is_empty() {
            p { "No topics are loaded." }
        }
        ul class="topics" {
            @for t in topics {
                li {
                    a href=(topic_path(&t.id)) { strong { (t.title) } }
                    " — " (t.status.as_str())
                    ", as of " time datetime=(t.as_of.format("%Y-%m-%d").to_string()) { (human_day(t.as_of)) }
                    @if t.staleness().is_stale(t.as_of, today) { " " span class="stale-tag" { "(stale)" } }
                    p { (t.bottom_line) }
                }
            }
        }
    }
}

/// `/t/<topic>/sources`: every source, each with its anchor, its snapshot where the card
/// keeps one, and what the latest look at it found.
pub fn sources(lib: &crate::library::Library, ti: usize) -> Markup {
    let t = lib.topic(ti);
    html! {
        h1 { (t.title) ": sources" }
        p { (t.sources.len()) " sources, as of " (human_day(t.as_of)) ". A source marked headline was read only as a headline: what rests on it says so." }
        ol class="sources" {
            @for s in &t.sources {
                @let look = lib.liveness(ti, &s.id);
                @let gone = look.is_some_and(|l| l.status == "gone");
                li id={ "src-" (s.id) } {
                    @match (&s.archived, gone) {
                        (Some(a), true) => { a href=(a.url) rel="external noopener noreferrer" { (s.title) } }
                        _ => { a href=(s.url) rel="external noopener noreferrer" { (s.title) } }
                    }
                    " — " (s.publisher)
                    @if let Some(d) = &s.published { ", " (d.to_string()) }
                    " " span class="kind" { "(" (s.kind.as_str()) ")" }
                    @if let Some(a) = &s.archived {
                        @if !gone {
                            " · " a href=(a.url) rel="external noopener noreferrer" {
                                "archived" @if let Some(on) = a.on { " " (on.to_string()) }
                            }
                        }
                    }
                    @if let Some(l) = look {
                        p class="checked" { (look_line(l, s.archived.is_some())) }
                    }
                    @if let Some(n) = &s.note { p { (n) } }
                }
            }
        }
    }
}

/// What the latest look at a source found, as its line on the sources page says it.
fn look_line(l: &crate::library::Liveness, archived: bool) -> Markup {
    let day = human_day(l.checked_on);
    html! {
        @match l.status.as_str() {
            "gone" => {
                "Original offline since " (human_day(l.offline_since.unwrap_or(l.checked_on)))
                @if archived { "; the title links to the archived copy" }
                " (last checked " (day) ")."
            }
            "moved" => {
                "Moved to "
                @if let Some(to) = &l.moved_to { a href=(to) rel="external noopener noreferrer" { (to) } }
                " (last checked " (day) ")."
            }
            "blocked" => { "The site refuses automated checks (last checked " (day) ")." }
            "failing" => { "Not answering at the last check, " (day) "." }
            _ => { "Answering at the last check, " (day) "." }
        }
        @if let Some(c) = l.changed_on { " Its text changed since it was cited (found " (human_day(c)) ")." }
    }
}

/// `/t/<topic>/changes`: every change the feed recorded (newest first), each linked to its
/// page, and the feed to follow them in a reader.
pub fn changes(t: &Topic, entries: &[std::sync::Arc<crate::feed::Entry>]) -> Markup {
    html! {
        h1 { (t.title) ": what changed" }
        p {
            "Each time the cards change, an entry here says what changed, in the daily briefing's words. "
            "Follow them in a feed reader: " a href=(feed_path(&t.id)) type="application/atom+xml" { "Atom feed" } "."
        }
        @if entries.is_empty() {
            p { "No change has been recorded yet." }
        }
        ol class="changes" reversed {
            @for e in entries {
                li {
                    a href=(change_path(&t.id, e.seq)) { (e.title) }
                    " · " time datetime=(e.at.to_rfc3339()) { (e.at.format("%-d %b %Y, %H:%M UTC").to_string()) }
                }
            }
        }
    }
}

/// `/t/<topic>/changes/<n>`: one recorded change, when it was seen, and what it said.
pub fn change(t: &Topic, e: &crate::feed::Entry) -> Markup {
    html! {
        p class="seen" {
            "Change " (e.seq) " of " a href=(changes_path(&t.id)) { (t.title) } ", seen "
            time datetime=(e.at.to_rfc3339()) { (e.at.format("%-d %b %Y, %H:%M UTC").to_string()) } "."
        }
        (reply(&e.reply, Some(t), None))
    }
}

/// A change number that was never recorded.
pub fn not_found_change(t: &Topic, asked: &str) -> Markup {
    let shown: String = asked.chars().take(20).collect();
    html! {
        h1 { "No change “" (shown) "” in " (t.title) }
        p { a href=(changes_path(&t.id)) { "See every recorded change" } "." }
    }
}

/// A page that is not there, with the names that are close.
pub fn not_found(what: &str, asked: &str, close: &[(String, String)]) -> Markup {
    let shown: String = asked.chars().take(60).collect();
    html! {
        h1 { "No " (what) " called “" (shown) "”" }
        @if close.is_empty() {
            p { a href="/" { "See the topics" } "." }
        } @else {
            p { "Did you mean:" }
            ul { @for (href, name) in close { li { a href=(href) { (name) } } } }
        }
    }
}
