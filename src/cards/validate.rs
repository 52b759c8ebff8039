//! From raw cards to the validated model: every check the card format promises (ids, dates,
//! URLs, references, aliases, quotes, staleness), each failure a diagnostic that points at the
//! value and names the fix. Invalid values get placeholders so checking can go on; a topic with
//! any error is never served.

use super::model::*;
use super::raw::*;
use crate::date::{Date, human_day};
use crate::diag::{Diagnostic, Report, Severity};
use crate::text::{did_you_mean, fold, is_slug, or_list, slugify};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use toml::Spanned;

/// Default number of days after `as_of` before a card counts as stale.
pub const DEFAULT_STALE_AFTER_DAYS: u32 = 14;

pub struct Validator {
    pub report: Report,
    today: NaiveDate,
    /// A file read from memory instead of from disk: an edit being checked before it is written.
    pub(crate) overlay: Option<(std::path::PathBuf, String)>,
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
    fn new<'a>(what: &'static str, ids: impl Iterator<Item = &'a str>, complete: bool) -> Self {
        let ids: Vec<String> = ids.map(str::to_owned).collect();
        Known {
            what,
            set: ids.iter().cloned().collect(),
            ids,
            complete,
        }
    }

    fn contains(&self, id: &str) -> bool {
        !self.complete || self.set.contains(id)
    }
}

/// What references in one topic's cards resolve against, and which sources were cited.
struct Refs {
    sources: Known,
    actors: Known,
    cited: HashSet<String>,
}

/// One topic folder's cards as read from disk, before validation. A card that could not be
/// read or parsed is `None` (its diagnostics are already reported).
pub struct TopicCards {
    /// The folder's name, which must be the topic's id.
    pub folder: String,
    pub dir: PathBuf,
    pub topic: Option<(RawTopic, File)>,
    pub sources: Option<(RawSources, File)>,
    pub actors: Vec<(RawActor, File)>,
    /// False when some actor card could not be read: references to actors are not checked then.
    pub actors_complete: bool,
    pub timeline: Option<(RawTimeline, File)>,
    pub experts: Option<(RawExperts, File)>,
}

/// What a topic card says about dates that its other cards are checked against.
#[derive(Clone, Copy)]
struct TopicDates {
    staleness: Staleness,
    as_of: Option<NaiveDate>,
}

/// Stands in for a missing history so checking can go on; never served.
fn placeholder_history() -> History {
    History::new(vec![Position {
        stance: String::new(),
        summary: String::new(),
        demands: Vec::new(),
        red_lines: Vec::new(),
        signals: Vec::new(),
        as_of: NaiveDate::MIN,
        confidence: Confidence::Low,
        sources: Vec::new(),
    }])
    .unwrap_or_else(|| unreachable!("one entry"))
}

/// The allowed values of `stale_after_days`.
const STALE_AFTER_RANGE: std::ops::RangeInclusive<i64> = 1..=3650;

/// A topic's `stale_after_days`, or the default when it is unset or out of range (the range is
/// reported where the topic card is checked).
fn stale_after_days(topic: Option<&RawTopic>) -> u32 {
    topic
        .and_then(|t| t.stale_after_days.as_ref())
        .map(|d| *d.get_ref())
        .filter(|d| STALE_AFTER_RANGE.contains(d))
        .map_or(DEFAULT_STALE_AFTER_DAYS, |d| d as u32)
}

impl Validator {
    pub fn new(today: NaiveDate) -> Self {
        Validator {
            report: Report::default(),
            today,
            overlay: None,
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

    fn stale_warning(
        &mut self,
        f: &File,
        v: &Text,
        what: &str,
        as_of: NaiveDate,
        staleness: Staleness,
    ) {
        if as_of == NaiveDate::MIN {
            return;
        }
        let after = staleness.after_days;
        if staleness.is_stale(as_of, self.today) {
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

    /// Source ids cited from an entry; `required`: the entry needs at least one.
    fn sources_of(
        &mut self,
        f: &File,
        key: &str,
        list: &List,
        refs: &mut Refs,
        required: Option<Range<usize>>,
    ) -> Vec<String> {
        self.refs(f, key, list, &refs.sources, required, &mut refs.cited)
    }

    /// Actor ids named by an entry.
    fn actors_of(&mut self, f: &File, key: &str, list: &List, refs: &mut Refs) -> Vec<String> {
        self.refs(f, key, list, &refs.actors, None, &mut refs.cited)
    }

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
        topic.map(|t| Topic {
            sources: sources.into_iter().map(|(s, _)| s).collect(),
            ..t
        })
    }

    /// `sources.toml`: each source with the span of its id, for the uncited-source warning.
    fn sources(&mut self, card: Option<&(RawSources, File)>) -> Vec<(Source, Range<usize>)> {
        let Some((raw, f)) = card else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(raw.source.len());
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
            check_url(self, f, &s.url);
            let source = Source {
                id,
                title: self.text(f, "title", &s.title),
                publisher: self.text(f, "publisher", &s.publisher),
                url: s.url.get_ref().trim().to_owned(),
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
            };
            out.push((source, s.id.span()));
        }
        out
    }

    fn uncited_sources(
        &mut self,
        f: &File,
        sources: &[(Source, Range<usize>)],
        cited: &HashSet<String>,
    ) {
        for (s, span) in sources {
            if !cited.contains(&s.id) {
                self.warn(
                    f,
                    span.clone(),
                    "uncited-source",
                    format!("source `{}` is never cited", s.id),
                    "cite it from the entry it supports, or remove it".into(),
                );
            }
        }
    }

    /// Every actor card; ids must match file names, and ids, names and aliases must each lead
    /// to one actor.
    fn actors(
        &mut self,
        cards: &[(RawActor, File)],
        refs: &mut Refs,
        dates: TopicDates,
    ) -> Vec<Actor> {
        // Folded name → (actor id, file that claimed it).
        let mut names: HashMap<String, (String, String)> = HashMap::new();
        cards
            .iter()
            .map(|(raw, f)| {
                let id = self.actor_id(raw, f);
                self.actor_names(raw, f, &id, &mut names);
                self.actor(raw, f, id, refs, dates)
            })
            .collect()
    }

    fn actor_id(&mut self, raw: &RawActor, f: &File) -> String {
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
        id
    }

    fn actor_names(
        &mut self,
        raw: &RawActor,
        f: &File,
        id: &str,
        names: &mut HashMap<String, (String, String)>,
    ) {
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
                Some((other, other_path)) if other != id => {
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
                    names.insert(key, (id.to_owned(), f.path.display().to_string()));
                }
            }
        }
    }

    fn actor(
        &mut self,
        raw: &RawActor,
        f: &File,
        id: String,
        refs: &mut Refs,
        dates: TopicDates,
    ) -> Actor {
        let people = raw
            .people
            .iter()
            .map(|person| {
                let person = person.get_ref();
                Person {
                    name: self.text(f, "name", &person.name),
                    role: self.text(f, "role", &person.role),
                    as_of: self
                        .date(f, "as_of", &person.as_of)
                        .unwrap_or(PLACEHOLDER_DATE),
                    note: self.opt_text(f, "note", &person.note),
                    sources: self.sources_of(f, "sources", &person.sources, refs, None),
                }
            })
            .collect();
        let history = self.history(&raw.position, f, &id, refs, dates);
        Actor {
            name: self.text(f, "name", &raw.name),
            aliases: self.texts(f, "aliases", &raw.aliases),
            kind: self
                .choice(f, "kind", &raw.kind)
                .unwrap_or(ActorKind::State),
            role: self.text(f, "role", &raw.role),
            people,
            history,
            id,
        }
    }

    /// An actor's positions: a single `[position]`, or a `[[position]]` history that must be
    /// in date order, one entry a date, each saying something new; staleness is judged on the
    /// latest entry only.
    fn history(
        &mut self,
        raw: &Spanned<RawPositions>,
        f: &File,
        actor: &str,
        refs: &mut Refs,
        dates: TopicDates,
    ) -> History {
        let entries = &raw.get_ref().entries;
        let mut out: Vec<Position> = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let span = e.span.clone().unwrap_or_else(|| raw.span());
            let p = self.position(&e.position, span, f, refs);
            let at = e.position.as_of.span();
            if let Some(prev) = out.last()
                && p.as_of != NaiveDate::MIN
                && prev.as_of != NaiveDate::MIN
            {
                if p.as_of < prev.as_of {
                    self.err(
                        f,
                        at.clone(),
                        "history-order",
                        format!(
                            "this position (as of {}) comes after one as of {}",
                            human_day(p.as_of),
                            human_day(prev.as_of)
                        ),
                        format!(
                            "list an actor's positions oldest first: move this [[position]] above the one as of {}",
                            prev.as_of
                        ),
                    );
                } else if p.as_of == prev.as_of {
                    self.err(
                        f,
                        at.clone(),
                        "duplicate-date",
                        format!(
                            "two positions of `{actor}` are dated {}",
                            human_day(p.as_of)
                        ),
                        "give each [[position]] its own `as_of`, or merge the two into one".into(),
                    );
                } else if p.same_content(prev) {
                    self.warn(
                        f,
                        e.position.stance.span(),
                        "unchanged-position",
                        format!(
                            "this position says nothing the one before (as of {}) did not",
                            human_day(prev.as_of)
                        ),
                        "write what changed, or drop this entry and move the earlier one's `as_of` forward".into(),
                    );
                }
            }
            if let Some(topic) = dates.as_of
                && p.as_of != NaiveDate::MIN
                && p.as_of > topic
            {
                self.warn(
                    f,
                    at.clone(),
                    "position-after-as-of",
                    format!(
                        "this position ({}) is dated after the topic's as_of ({})",
                        human_day(p.as_of),
                        human_day(topic)
                    ),
                    "update `as_of` in topic.toml once the card is checked, or fix this date"
                        .into(),
                );
            }
            if i + 1 == entries.len() {
                self.stale_warning(
                    f,
                    &e.position.as_of,
                    &format!("the position of `{actor}`"),
                    p.as_of,
                    dates.staleness,
                );
            }
            out.push(p);
        }
        History::new(out).unwrap_or_else(|| {
            self.err(
                f,
                raw.span(),
                "no-position",
                format!("actor `{actor}` has no position"),
                "add a [[position]] table with as_of, stance, summary, confidence and sources (see briefings/README.md)".into(),
            );
            placeholder_history()
        })
    }

    fn position(
        &mut self,
        p: &RawPosition,
        span: Range<usize>,
        f: &File,
        refs: &mut Refs,
    ) -> Position {
        Position {
            stance: self.text(f, "stance", &p.stance),
            summary: self.text(f, "summary", &p.summary),
            demands: self.texts(f, "demands", &p.demands),
            red_lines: self.texts(f, "red_lines", &p.red_lines),
            signals: self.texts(f, "signals", &p.signals),
            as_of: self.day(f, "as_of", &p.as_of),
            confidence: self
                .choice(f, "confidence", &p.confidence)
                .unwrap_or(Confidence::Low),
            sources: self.sources_of(f, "sources", &p.sources, refs, Some(span)),
        }
    }

    /// `topic.toml`, without the parts other files supply (actors, events, experts, sources).
    fn topic_card(
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
            id,
        }
    }

    fn watch_item(&mut self, w: &RawWatch, f: &File, refs: &mut Refs) -> WatchItem {
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

    /// `timeline.toml`: events in date order; events on one date keep their order in the file.
    fn timeline(
        &mut self,
        card: &Option<(RawTimeline, File)>,
        refs: &mut Refs,
        topic_as_of: Option<NaiveDate>,
    ) -> Vec<Event> {
        let Some((raw, f)) = card else {
            return Vec::new();
        };
        let mut events: Vec<Event> = raw
            .event
            .iter()
            .map(|e| self.event(e, f, refs, topic_as_of))
            .collect();
        events.sort_by_key(|e| e.date);
        events
    }

    fn event(
        &mut self,
        e: &Spanned<RawEvent>,
        f: &File,
        refs: &mut Refs,
        topic_as_of: Option<NaiveDate>,
    ) -> Event {
        let er = e.get_ref();
        let date = self.date(f, "date", &er.date);
        if let (Some(d), Some(as_of)) = (date, topic_as_of)
            && as_of != NaiveDate::MIN
            && d.first_day() > as_of
        {
            self.warn(
                f,
                er.date.span(),
                "event-after-as-of",
                format!(
                    "this event ({d}) is dated after the topic's as_of ({})",
                    human_day(as_of)
                ),
                "update `as_of` in topic.toml once the card is checked, or fix the event's date"
                    .into(),
            );
        }
        Event {
            date: date.unwrap_or(PLACEHOLDER_DATE),
            title: self.text(f, "title", &er.title),
            detail: self.text(f, "detail", &er.detail),
            actors: self.actors_of(f, "actors", &er.actors, refs),
            verification: self
                .choice(f, "verification", &er.verification)
                .unwrap_or(Verification::Reported),
            sources: self.sources_of(f, "sources", &er.sources, refs, Some(e.span())),
        }
    }

    /// `experts.toml`.
    fn experts(&mut self, card: &Option<(RawExperts, File)>, refs: &mut Refs) -> Vec<ExpertView> {
        let Some((raw, f)) = card else {
            return Vec::new();
        };
        let mut out: Vec<ExpertView> = Vec::new();
        for v in &raw.view {
            let view = self.expert_view(v, f, refs);
            if out.iter().any(|o| o.id == view.id) {
                self.err(
                    f,
                    v.get_ref().id.span(),
                    "duplicate-id",
                    format!("expert view `{}` is defined twice", view.id),
                    "give each view its own id, e.g. `name-2026-02`".into(),
                );
            }
            out.push(view);
        }
        out
    }

    fn expert_view(&mut self, v: &Spanned<RawView>, f: &File, refs: &mut Refs) -> ExpertView {
        let vr = v.get_ref();
        ExpertView {
            id: self.slug(f, "expert view", &vr.id),
            name: self.text(f, "name", &vr.name),
            affiliation: self.text(f, "affiliation", &vr.affiliation),
            role: self.opt_text(f, "role", &vr.role),
            date: self.date(f, "date", &vr.date).unwrap_or(PLACEHOLDER_DATE),
            reported: vr.reported.as_ref().is_some_and(|r| *r.get_ref()),
            summary: self.text(f, "summary", &vr.summary),
            quote: self.quote(vr, f, refs),
            about: self.actors_of(f, "about", &vr.about, refs),
            sources: self.sources_of(f, "sources", &vr.sources, refs, Some(v.span())),
        }
    }

    /// A verbatim quote needs the source it was published in.
    fn quote(&mut self, vr: &RawView, f: &File, refs: &mut Refs) -> Option<Quote> {
        match (&vr.quote, &vr.quote_source) {
            (Some(q), Some(s)) => {
                let text = self.text(f, "quote", q);
                let src = self.sources_of(f, "quote_source", &vec![s.clone()], refs, None);
                src.into_iter().next().map(|source| Quote { text, source })
            }
            (Some(q), None) => {
                self.err(
                    f,
                    q.span(),
                    "quote-without-source",
                    "this quote has no source".into(),
                    "add `quote_source = \"<source-id>\"` naming where the words were published, verbatim".into(),
                );
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
