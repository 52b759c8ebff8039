//! From raw cards to the validated model: every check the card format promises (ids, dates,
//! URLs, references, aliases, quotes, staleness), each failure a diagnostic that points at the
//! value and names the fix. Invalid values get placeholders so checking can go on; a topic with
//! any error is never served.

use super::load::File;
use super::model::*;
use super::raw::*;
use crate::date::{Date, human_day};
use crate::diag::{Diagnostic, Report, Severity};
use crate::text::{did_you_mean, fold, is_slug, or_list, slugify};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// Default number of days after `as_of` before a card counts as stale.
pub const DEFAULT_STALE_AFTER_DAYS: u32 = 14;

pub struct Validator {
    pub report: Report,
    today: NaiveDate,
}

/// Ids known in a topic, for reference checks.
struct Known {
    what: &'static str,
    ids: Vec<String>,
    set: HashSet<String>,
    /// False when a file that defines these ids could not be read: then an unknown id may be
    /// defined there, and reporting it would only bury the real error.
    complete: bool,
}

impl Known {
    fn contains(&self, id: &str) -> bool {
        !self.complete || self.set.contains(id)
    }
}

impl Validator {
    pub fn new(today: NaiveDate) -> Self {
        Validator {
            report: Report::default(),
            today,
        }
    }

    fn emit(
        &mut self,
        sev: Severity,
        f: &File,
        span: Range<usize>,
        code: &'static str,
        msg: String,
        help: String,
    ) {
        self.report
            .push(Diagnostic::at(sev, code, &f.path, &f.text, span, msg).help(help));
    }

    fn err(&mut self, f: &File, span: Range<usize>, code: &'static str, msg: String, help: String) {
        self.emit(Severity::Error, f, span, code, msg, help);
    }

    fn warn(
        &mut self,
        f: &File,
        span: Range<usize>,
        code: &'static str,
        msg: String,
        help: String,
    ) {
        self.emit(Severity::Warning, f, span, code, msg, help);
    }

    /// Required text: present and not blank.
    fn text(&mut self, f: &File, key: &str, v: &Text) -> String {
        let t = v.get_ref().trim();
        if t.is_empty() {
            self.err(
                f,
                v.span(),
                "empty-text",
                format!("`{key}` is empty"),
                format!(
                    "write the {} in a sentence or two, or remove the entry",
                    key.replace('_', " ")
                ),
            );
        }
        t.to_owned()
    }

    fn opt_text(&mut self, f: &File, key: &str, v: &Option<Text>) -> Option<String> {
        v.as_ref().map(|t| self.text(f, key, t))
    }

    fn texts(&mut self, f: &File, key: &str, list: &List) -> Vec<String> {
        list.iter().map(|t| self.text(f, key, t)).collect()
    }

    fn date(&mut self, f: &File, key: &str, v: &Text) -> Option<Date> {
        match Date::parse(v.get_ref()) {
            Ok(d) => Some(d),
            Err(why) => {
                self.err(
                    f,
                    v.span(),
                    "bad-date",
                    format!("`{key}`: {why}"),
                    "write a real date as \"YYYY-MM-DD\", or \"YYYY-MM\" / \"YYYY\" when only the month or year is known".into(),
                );
                None
            }
        }
    }

    /// A date that must be a day, for `as_of`.
    fn day(&mut self, f: &File, key: &str, v: &Text) -> NaiveDate {
        match self.date(f, key, v) {
            Some(d) => match d.as_day() {
                Some(day) => day,
                None => {
                    self.err(
                        f,
                        v.span(),
                        "bad-date",
                        format!("`{key}` must be a full date, not `{}`", d.iso()),
                        format!(
                            "write the day the card was last checked, e.g. \"{}\"",
                            d.first_day()
                        ),
                    );
                    NaiveDate::MIN
                }
            },
            None => NaiveDate::MIN,
        }
    }

    fn choice<T: Choice>(&mut self, f: &File, key: &str, v: &Text) -> Option<T> {
        let s = v.get_ref().trim();
        if let Some(c) = T::parse(s) {
            return Some(c);
        }
        let names: Vec<&str> = T::ALL.iter().map(|(n, _)| *n).collect();
        let help = match did_you_mean(s, names.iter().copied(), 1).first() {
            Some(m) => format!("did you mean `{m}`? `{key}` is one of {}", or_list(&names)),
            None => format!("`{key}` is one of {}", or_list(&names)),
        };
        self.err(
            f,
            v.span(),
            "bad-value",
            format!("`{s}` is not a valid `{key}`"),
            help,
        );
        None
    }

    /// An id: a lowercase slug.
    fn slug(&mut self, f: &File, what: &str, v: &Text) -> String {
        let id = v.get_ref();
        if !is_slug(id) {
            let suggestion = slugify(id);
            let help = if suggestion.is_empty() {
                "ids are lowercase slugs: letters a-z, digits and single hyphens, starting with a letter".to_owned()
            } else {
                format!("ids are lowercase slugs: a-z, 0-9 and single hyphens, e.g. `{suggestion}`")
            };
            self.err(
                f,
                v.span(),
                "bad-id",
                format!("`{id}` is not a valid {what} id"),
                help,
            );
        }
        id.clone()
    }

    /// Ids that must name an existing source or actor. `required`: at least one.
    fn refs(
        &mut self,
        f: &File,
        key: &str,
        list: &List,
        known: &Known,
        required: Option<Range<usize>>,
        cited: &mut HashSet<String>,
    ) -> Vec<String> {
        if let Some(span) = required
            && list.is_empty()
        {
            let help = match known.ids.first() {
                Some(first) => format!(
                    "add `{key} = [\"{first}\"]` with the ids of the {}s behind this entry",
                    known.what
                ),
                None => format!(
                    "add the {}s behind this entry to sources.toml and cite them here with `{key} = [\"…\"]`",
                    known.what
                ),
            };
            self.err(
                f,
                span,
                "no-sources",
                format!("this entry cites no {}: every claim needs one", known.what),
                help,
            );
        }
        let mut out = Vec::with_capacity(list.len());
        for item in list {
            let id = item.get_ref();
            if known.contains(id) {
                if known.what == "source" && !cited.contains(id) {
                    cited.insert(id.clone());
                }
                if !out.contains(id) {
                    out.push(id.clone());
                }
                continue;
            }
            let close = did_you_mean(id, known.ids.iter().map(String::as_str), 3);
            let help = if !close.is_empty() {
                format!("did you mean {}?", or_list(&close))
            } else if known.ids.is_empty() {
                format!("no {}s are defined in this topic yet", known.what)
            } else {
                let shown: Vec<&str> = known.ids.iter().take(8).map(String::as_str).collect();
                format!(
                    "known {}s: {}{}",
                    known.what,
                    or_list(&shown),
                    if known.ids.len() > 8 { ", …" } else { "" }
                )
            };
            self.err(
                f,
                item.span(),
                "unknown-reference",
                format!("unknown {} `{id}`", known.what),
                help,
            );
        }
        out
    }

    fn stale_warning(&mut self, f: &File, v: &Text, what: &str, as_of: NaiveDate, after: u32) {
        if as_of == NaiveDate::MIN {
            return;
        }
        let limit = as_of + chrono::Days::new(u64::from(after));
        if self.today > limit {
            let age = (self.today - as_of).num_days();
            self.warn(
                f,
                v.span(),
                "stale",
                format!(
                    "{what} is stale: as of {}, {age} days ago (stale after {after} days)",
                    human_day(as_of)
                ),
                "check the card against current reporting, then update `as_of`".into(),
            );
        }
    }

    /// Validate one topic's cards. Returns the model even with errors; the caller drops it then.
    #[allow(clippy::too_many_arguments)]
    pub fn topic(
        &mut self,
        folder: &str,
        dir: &Path,
        topic: Option<(RawTopic, File)>,
        sources: Option<(RawSources, File)>,
        actors: Vec<(RawActor, File)>,
        actors_complete: bool,
        timeline: Option<(RawTimeline, File)>,
        experts: Option<(RawExperts, File)>,
    ) -> Option<Topic> {
        let mut cited = HashSet::new();

        // Sources first: everything else refers to them.
        let mut source_list = Vec::new();
        let mut source_spans: Vec<(String, Range<usize>)> = Vec::new();
        if let Some((raw, f)) = &sources {
            let mut seen: HashMap<String, usize> = HashMap::new();
            for s in &raw.source {
                let s = s.get_ref();
                let id = self.slug(f, "source", &s.id);
                if let Some(line) = seen.get(&id).map(|at| line_of(&f.text, *at)) {
                    self.err(
                        f,
                        s.id.span(),
                        "duplicate-id",
                        format!("source `{id}` is defined twice"),
                        format!("the first is at line {line}; give each source its own id"),
                    );
                }
                // Where the first one is; its line is only counted if a duplicate turns up.
                seen.entry(id.clone()).or_insert(s.id.span().start);
                let url = s.url.get_ref().trim().to_owned();
                check_url(self, f, &s.url);
                source_spans.push((id.clone(), s.id.span()));
                source_list.push(Source {
                    id,
                    title: self.text(f, "title", &s.title),
                    publisher: self.text(f, "publisher", &s.publisher),
                    url,
                    published: s
                        .published
                        .as_ref()
                        .and_then(|p| self.date(f, "published", p)),
                    accessed: s
                        .accessed
                        .as_ref()
                        .and_then(|a| self.date(f, "accessed", a)),
                    kind: self.choice(f, "kind", &s.kind).unwrap_or(SourceKind::News),
                    note: self.opt_text(f, "note", &s.note),
                });
            }
        }
        let source_ids = Known {
            what: "source",
            ids: source_list.iter().map(|s| s.id.clone()).collect(),
            set: source_list.iter().map(|s| s.id.clone()).collect(),
            complete: sources.is_some(),
        };

        // Topic settings next: staleness of positions depends on them.
        let stale_after = topic
            .as_ref()
            .and_then(|(t, _)| t.stale_after_days.as_ref())
            .map(|d| *d.get_ref())
            .filter(|d| (1..=3650).contains(d))
            .map_or(DEFAULT_STALE_AFTER_DAYS, |d| d as u32);

        // Actors: ids from file names, names and aliases must not collide.
        let mut actor_list = Vec::new();
        let mut names: HashMap<String, (String, String)> = HashMap::new();
        for (raw, f) in &actors {
            let id = self.slug(f, "actor", &raw.id);
            let stem = f
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if id != stem && !id.is_empty() {
                self.err(
                    f,
                    raw.id.span(),
                    "id-mismatch",
                    format!("actor id `{id}` does not match its file name `{stem}.toml`"),
                    format!("rename the file to `{id}.toml`, or set id = \"{stem}\""),
                );
            }
            let name = self.text(f, "name", &raw.name);
            let aliases = self.texts(f, "aliases", &raw.aliases);
            let mut own = HashSet::new();
            let keys = std::iter::once((&raw.id, "id"))
                .chain(std::iter::once((&raw.name, "name")))
                .chain(raw.aliases.iter().map(|a| (a, "alias")));
            for (value, what) in keys {
                let key = fold(value.get_ref());
                if key.is_empty() || !own.insert(key.clone()) {
                    continue;
                }
                match names.get(&key) {
                    Some((other, other_path)) if *other != id => {
                        let msg = format!(
                            "the {what} `{}` also names actor `{other}`",
                            value.get_ref()
                        );
                        let help = format!(
                            "every id, name and alias must lead to one actor; remove it here or from {other_path}"
                        );
                        self.err(f, value.span(), "alias-collision", msg, help);
                    }
                    _ => {
                        names.insert(key, (id.clone(), f.path.display().to_string()));
                    }
                }
            }
            let p = raw.position.get_ref();
            let as_of = self.day(f, "as_of", &p.as_of);
            self.stale_warning(
                f,
                &p.as_of,
                &format!("the position of `{id}`"),
                as_of,
                stale_after,
            );
            let mut people = Vec::new();
            for person in &raw.people {
                let person = person.get_ref();
                people.push(Person {
                    name: self.text(f, "name", &person.name),
                    role: self.text(f, "role", &person.role),
                    as_of: self
                        .date(f, "as_of", &person.as_of)
                        .unwrap_or(PLACEHOLDER_DATE),
                    note: self.opt_text(f, "note", &person.note),
                    sources: self.refs(
                        f,
                        "sources",
                        &person.sources,
                        &source_ids,
                        None,
                        &mut cited,
                    ),
                });
            }
            let position = Position {
                stance: self.text(f, "stance", &p.stance),
                summary: self.text(f, "summary", &p.summary),
                demands: self.texts(f, "demands", &p.demands),
                red_lines: self.texts(f, "red_lines", &p.red_lines),
                signals: self.texts(f, "signals", &p.signals),
                as_of,
                confidence: self
                    .choice(f, "confidence", &p.confidence)
                    .unwrap_or(Confidence::Low),
                sources: self.refs(
                    f,
                    "sources",
                    &p.sources,
                    &source_ids,
                    Some(raw.position.span()),
                    &mut cited,
                ),
            };
            actor_list.push(Actor {
                id,
                name,
                aliases,
                kind: self
                    .choice(f, "kind", &raw.kind)
                    .unwrap_or(ActorKind::State),
                role: self.text(f, "role", &raw.role),
                people,
                position,
            });
        }
        let actor_ids = Known {
            what: "actor",
            ids: actor_list.iter().map(|a| a.id.clone()).collect(),
            set: actor_list.iter().map(|a| a.id.clone()).collect(),
            complete: actors_complete,
        };

        let (raw_topic, tf) = match &topic {
            Some((t, f)) => (t, f),
            None => {
                // Still check the other cards' references above and below; no topic to return.
                self.check_timeline(&timeline, &actor_ids, &source_ids, &mut cited, None);
                self.check_experts(&experts, &actor_ids, &source_ids, &mut cited);
                return None;
            }
        };
        let id = self.slug(tf, "topic", &raw_topic.id);
        if id != folder {
            self.err(
                tf,
                raw_topic.id.span(),
                "id-mismatch",
                format!("topic id `{id}` does not match its folder name `{folder}`"),
                format!("rename the folder to `{id}`, or set id = \"{folder}\""),
            );
        }
        if let Some(d) = &raw_topic.stale_after_days
            && !(1..=3650).contains(d.get_ref())
        {
            self.err(
                tf,
                d.span(),
                "bad-value",
                format!("`stale_after_days` is {}, outside 1–3650", d.get_ref()),
                format!("use a number of days such as {DEFAULT_STALE_AFTER_DAYS} (the default)"),
            );
        }
        let as_of = self.day(tf, "as_of", &raw_topic.as_of);
        self.stale_warning(
            tf,
            &raw_topic.as_of,
            &format!("topic `{id}`"),
            as_of,
            stale_after,
        );
        let mut watch = Vec::new();
        for w in &raw_topic.watch {
            let wr = w.get_ref();
            let expected = wr
                .expected
                .as_ref()
                .and_then(|e| self.date(tf, "expected", e));
            if let (Some(e), Some(span)) = (expected, wr.expected.as_ref().map(Spanned::span))
                && e.last_day() < self.today
            {
                self.warn(
                    tf,
                    span,
                    "past-watch",
                    format!("this watch item was expected by {e}, which has passed"),
                    "say what happened (in the timeline) and remove or re-date the item".into(),
                );
            }
            watch.push(WatchItem {
                item: self.text(tf, "item", &wr.item),
                expected,
                sources: self.refs(tf, "sources", &wr.sources, &source_ids, None, &mut cited),
            });
        }
        let mut topic_model = Topic {
            id,
            title: self.text(tf, "title", &raw_topic.title),
            aliases: self.texts(tf, "aliases", &raw_topic.aliases),
            bottom_line: self.text(tf, "bottom_line", &raw_topic.bottom_line),
            why_it_matters: self.text(tf, "why_it_matters", &raw_topic.why_it_matters),
            sources_cited: self.refs(
                tf,
                "sources",
                &raw_topic.sources,
                &source_ids,
                Some(raw_topic.bottom_line.span()),
                &mut cited,
            ),
            main_actors: self.refs(
                tf,
                "main_actors",
                &raw_topic.main_actors,
                &actor_ids,
                None,
                &mut cited,
            ),
            status: self
                .choice(tf, "status", &raw_topic.status)
                .unwrap_or(Status::Active),
            status_note: self.opt_text(tf, "status_note", &raw_topic.status_note),
            as_of,
            stale_after_days: stale_after,
            tags: self.texts(tf, "tags", &raw_topic.tags),
            key_questions: self.texts(tf, "key_questions", &raw_topic.key_questions),
            watch,
            sources: Vec::new(),
            actors: actor_list,
            events: Vec::new(),
            experts: Vec::new(),
            dir: dir.to_path_buf(),
        };
        topic_model.events =
            self.check_timeline(&timeline, &actor_ids, &source_ids, &mut cited, Some(as_of));
        topic_model.experts = self.check_experts(&experts, &actor_ids, &source_ids, &mut cited);

        if let Some((_, f)) = &sources {
            for (sid, span) in &source_spans {
                if !cited.contains(sid) {
                    self.warn(
                        f,
                        span.clone(),
                        "uncited-source",
                        format!("source `{sid}` is never cited"),
                        "cite it from the entry it supports, or remove it".into(),
                    );
                }
            }
        }
        topic_model.sources = source_list;
        Some(topic_model)
    }

    fn check_timeline(
        &mut self,
        timeline: &Option<(RawTimeline, File)>,
        actors: &Known,
        sources: &Known,
        cited: &mut HashSet<String>,
        topic_as_of: Option<NaiveDate>,
    ) -> Vec<Event> {
        let Some((raw, f)) = timeline else {
            return Vec::new();
        };
        let mut events = Vec::new();
        for e in &raw.event {
            let er = e.get_ref();
            let date = self.date(f, "date", &er.date);
            if let (Some(d), Some(as_of)) = (date, topic_as_of)
                && as_of != NaiveDate::MIN
                && d.first_day() > as_of
            {
                self.warn(f, er.date.span(), "event-after-as-of", format!("this event ({d}) is dated after the topic's as_of ({})", human_day(as_of)), "update `as_of` in topic.toml once the card is checked, or fix the event's date".into());
            }
            events.push(Event {
                date: date.unwrap_or(PLACEHOLDER_DATE),
                title: self.text(f, "title", &er.title),
                detail: self.text(f, "detail", &er.detail),
                actors: self.refs(f, "actors", &er.actors, actors, None, cited),
                verification: self
                    .choice(f, "verification", &er.verification)
                    .unwrap_or(Verification::Reported),
                sources: self.refs(f, "sources", &er.sources, sources, Some(e.span()), cited),
            });
        }
        // Stable: events on the same date keep their order in the file.
        events.sort_by_key(|e| e.date);
        events
    }

    fn check_experts(
        &mut self,
        experts: &Option<(RawExperts, File)>,
        actors: &Known,
        sources: &Known,
        cited: &mut HashSet<String>,
    ) -> Vec<ExpertView> {
        let Some((raw, f)) = experts else {
            return Vec::new();
        };
        let mut out: Vec<ExpertView> = Vec::new();
        for v in &raw.view {
            let vr = v.get_ref();
            let id = self.slug(f, "expert view", &vr.id);
            if out.iter().any(|o| o.id == id) {
                self.err(
                    f,
                    vr.id.span(),
                    "duplicate-id",
                    format!("expert view `{id}` is defined twice"),
                    "give each view its own id, e.g. `name-2026-02`".into(),
                );
            }
            let quote = match (&vr.quote, &vr.quote_source) {
                (Some(q), Some(s)) => {
                    let text = self.text(f, "quote", q);
                    let src = self.refs(f, "quote_source", &vec![s.clone()], sources, None, cited);
                    src.into_iter().next().map(|source| Quote { text, source })
                }
                (Some(q), None) => {
                    self.err(f, q.span(), "quote-without-source", "this quote has no source".into(), "add `quote_source = \"<source-id>\"` naming where the words were published, verbatim".into());
                    None
                }
                (None, Some(s)) => {
                    self.err(
                        f,
                        s.span(),
                        "bad-value",
                        "`quote_source` without a `quote`".into(),
                        "add the verbatim `quote`, or remove `quote_source`".into(),
                    );
                    None
                }
                (None, None) => None,
            };
            out.push(ExpertView {
                id,
                name: self.text(f, "name", &vr.name),
                affiliation: self.text(f, "affiliation", &vr.affiliation),
                role: self.opt_text(f, "role", &vr.role),
                date: self.date(f, "date", &vr.date).unwrap_or(PLACEHOLDER_DATE),
                summary: self.text(f, "summary", &vr.summary),
                quote,
                about: self.refs(f, "about", &vr.about, actors, None, cited),
                sources: self.refs(f, "sources", &vr.sources, sources, Some(v.span()), cited),
            });
        }
        out
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

/// Stands in for an invalid date so checking can continue; never served.
const PLACEHOLDER_DATE: Date = Date::year_only(1970);

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.matches('\n').count() + 1)
}

fn check_url(v: &mut Validator, f: &File, url: &Text) {
    let raw = url.get_ref().trim();
    let problem = match url::Url::parse(raw) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            Some(format!("`{raw}` is not an http(s) URL"))
        }
        Ok(u)
            if u.host_str()
                .is_none_or(|h| !h.contains('.') && h != "localhost") =>
        {
            Some(format!("`{raw}` has no proper host"))
        }
        Ok(_) => None,
        Err(e) => Some(format!("`{raw}` is not an absolute URL ({e})")),
    };
    if let Some(msg) = problem {
        v.err(
            f,
            url.span(),
            "bad-url",
            msg,
            "write the full address of the page, starting with https://".into(),
        );
    }
}
