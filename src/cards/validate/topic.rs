//! A topic as a whole: its cards checked in order into a `Topic`, the topic card itself
//! (title, status, as-of, bottom line, what to watch), and names shared by several topics.

use super::checks::*;
use crate::cards::model::*;
use crate::cards::raw::*;
use crate::date::Date;
use crate::diag::{Diagnostic, Severity};
use crate::text::fold;
use std::collections::{HashMap, HashSet};
use toml::Spanned;

impl Validator {
    /// Validate one topic's cards. Returns the model even with errors; the caller drops it then.
    pub fn topic(&mut self, cards: &TopicCards) -> Option<Topic> {
        // Sources first: everything else refers to them.
        let sources = self.sources(cards.sources.as_ref());
        // Topic settings next: positions are judged against them.
        let raw_topic = cards.topic.as_ref().map(|(t, _)| t);
        let staleness = Staleness {
            after_days: stale_after_days(raw_topic),
        };
        let dates = TopicDates {
            staleness,
            // Reported where the topic card is checked; here only used when it is good.
            as_of: raw_topic.and_then(|t| Date::parse(t.as_of.get_ref()).ok()?.as_day()),
        };
        let mut refs = Refs {
            sources: Known::new(
                "source",
                sources.iter().map(|(s, _)| s.id.as_str()),
                cards.sources.is_some(),
            ),
            actors: Known::new("actor", std::iter::empty(), true),
            cited: HashSet::new(),
            headlines: sources
                .iter()
                .filter(|(s, _)| s.kind == SourceKind::Headline)
                .map(|(s, _)| s.id.clone())
                .collect(),
        };
        let actors = self.actors(&cards.actors, &mut refs, dates);
        refs.actors = Known::new(
            "actor",
            actors.iter().map(|a| a.id.as_str()),
            cards.actors_complete,
        );
        let topic = match &cards.topic {
            Some((raw, f)) => {
                let mut t = self.topic_card(cards, raw, f, &mut refs, staleness);
                t.events = self.timeline(&cards.timeline, &mut refs, Some(t.as_of));
                t.experts = self.experts(&cards.experts, &mut refs);
                t.actors = actors;
                Some(t)
            }
            None => {
                // Still check the other cards' references; there is no topic to return.
                self.timeline(&cards.timeline, &mut refs, None);
                self.experts(&cards.experts, &mut refs);
                None
            }
        };
        if let Some((_, f)) = &cards.sources {
            self.uncited_sources(f, &sources, &refs.cited);
        }
        let feeds = self.feeds(cards.feeds.as_ref(), &cards.dir);
        topic.map(|t| Topic {
            sources: sources.into_iter().map(|(s, _)| s).collect(),
            feeds,
            ..t
        })
    }

    /// `topic.toml`, without the parts other files supply (actors, events, experts, sources).
    pub(super) fn topic_card(
        &mut self,
        cards: &TopicCards,
        raw: &RawTopic,
        f: &File,
        refs: &mut Refs,
        staleness: Staleness,
    ) -> Topic {
        let id = self.slug(f, "topic", &raw.id);
        if id != cards.folder {
            let folder = &cards.folder;
            self.err(
                f,
                raw.id.span(),
                "id-mismatch",
                format!("topic id `{id}` does not match its folder name `{folder}`"),
                format!("rename the folder to `{id}`, or set id = \"{folder}\""),
            );
        }
        if let Some(d) = &raw.stale_after_days
            && !STALE_AFTER_RANGE.contains(d.get_ref())
        {
            self.err(
                f,
                d.span(),
                "bad-value",
                format!("`stale_after_days` is {}, outside 1–3650", d.get_ref()),
                format!("use a number of days such as {DEFAULT_STALE_AFTER_DAYS} (the default)"),
            );
        }
        let as_of = self.day(f, "as_of", &raw.as_of);
        self.stale_warning(f, &raw.as_of, &format!("topic `{id}`"), as_of, staleness);
        let watch = raw
            .watch
            .iter()
            .map(|w| self.watch_item(w.get_ref(), f, refs))
            .collect();
        Topic {
            title: self.text(f, "title", &raw.title),
            aliases: self.texts(f, "aliases", &raw.aliases),
            bottom_line: self.text(f, "bottom_line", &raw.bottom_line),
            why_it_matters: self.text(f, "why_it_matters", &raw.why_it_matters),
            sources_cited: self.sources_of(
                f,
                "sources",
                &raw.sources,
                refs,
                Some(raw.bottom_line.span()),
            ),
            main_actors: self.actors_of(f, "main_actors", &raw.main_actors, refs),
            status: self
                .choice(f, "status", &raw.status)
                .unwrap_or(Status::Active),
            status_note: self.opt_text(f, "status_note", &raw.status_note),
            as_of,
            stale_after_days: staleness.after_days,
            tags: self.texts(f, "tags", &raw.tags),
            key_questions: self.texts(f, "key_questions", &raw.key_questions),
            watch,
            sources: Vec::new(),
            actors: Vec::new(),
            events: Vec::new(),
            experts: Vec::new(),
            dir: cards.dir.clone(),
            card_files: 0,
            feeds: None,
            id,
        }
    }

    pub(super) fn watch_item(&mut self, w: &RawWatch, f: &File, refs: &mut Refs) -> WatchItem {
        let expected = w
            .expected
            .as_ref()
            .and_then(|e| self.date(f, "expected", e));
        if let (Some(e), Some(span)) = (expected, w.expected.as_ref().map(Spanned::span))
            && e.last_day() < self.today
        {
            self.warn(
                f,
                span,
                "past-watch",
                format!("this watch item was expected by {e}, which has passed"),
                "say what happened (in the timeline) and remove or re-date the item".into(),
            );
        }
        WatchItem {
            item: self.text(f, "item", &w.item),
            expected,
            sources: self.sources_of(f, "sources", &w.sources, refs, None),
        }
    }

    /// Topic ids, titles and aliases must each lead to one topic.
    pub fn check_topic_names(&mut self, topics: &[Topic]) {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for t in topics {
            let mut own = HashSet::new();
            for name in std::iter::once(&t.id)
                .chain(std::iter::once(&t.title))
                .chain(&t.aliases)
            {
                let key = fold(name);
                if !own.insert(key.clone()) {
                    continue;
                }
                if let Some(other) = seen.get(&key) {
                    self.report.push(
                        Diagnostic::file(Severity::Error, "alias-collision", &t.dir.join("topic.toml"), format!("`{name}` also names topic `{other}`"))
                            .help("every topic id, title and alias must lead to one topic; change one of them"),
                    );
                } else {
                    seen.insert(key, &t.id);
                }
            }
        }
    }
}
