//! What every check of the cards shares: the validator and its report, the ids a topic's
//! references resolve against, and the checks of single values (text, dates, choices, slugs,
//! references, URLs, staleness), each failure a diagnostic that points at the value and names
//! the fix.

use crate::cards::model::*;
use crate::cards::raw::*;
use crate::date::{Date, human_day};
use crate::diag::{Diagnostic, Report, Severity};
use crate::text::{did_you_mean, is_slug, or_list, slugify};
use chrono::NaiveDate;
use std::collections::HashSet;
use std::ops::Range;
use std::path::PathBuf;

/// Default number of days after `as_of` before a card counts as stale.
pub const DEFAULT_STALE_AFTER_DAYS: u32 = 14;

pub struct Validator {
    pub report: Report,
    pub(super) today: NaiveDate,
    /// Files read from memory instead of from disk: an edit being checked before it is written.
    pub(crate) overlay: Vec<(std::path::PathBuf, String)>,
}

/// Ids known in a topic, for reference checks.
pub(super) struct Known {
    pub(super) what: &'static str,
    pub(super) ids: Vec<String>,
    pub(super) set: HashSet<String>,
    /// False when a file that defines these ids could not be read: then an unknown id may be
    /// defined there, and reporting it would only bury the real error.
    pub(super) complete: bool,
}

impl Known {
    pub(super) fn new<'a>(
        what: &'static str,
        ids: impl Iterator<Item = &'a str>,
        complete: bool,
    ) -> Self {
        let ids: Vec<String> = ids.map(str::to_owned).collect();
        Known {
            what,
            set: ids.iter().cloned().collect(),
            ids,
            complete,
        }
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        !self.complete || self.set.contains(id)
    }
}

/// What references in one topic's cards resolve against, and which sources were cited.
pub(super) struct Refs {
    pub(super) sources: Known,
    pub(super) actors: Known,
    pub(super) cited: HashSet<String>,
    /// Sources of kind `headline`: only the headline was seen, not the article.
    pub(super) headlines: HashSet<String>,
}

/// Whether a text hedges its claim: "reported" or "claimed", as the card format asks of claims
/// that rest on headlines or on one outlet.
pub(super) fn says_reported(text: &str) -> bool {
    crate::cards::model::says_hedged(text)
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
    pub feeds: Option<(RawFeeds, File)>,
}

/// What a topic card says about dates that its other cards are checked against.
#[derive(Clone, Copy)]
pub(super) struct TopicDates {
    pub(super) staleness: Staleness,
    pub(super) as_of: Option<NaiveDate>,
}

/// Stands in for a missing history so checking can go on; never served.
pub(super) fn placeholder_history() -> History {
    History::new(vec![Position {
        stance: String::new(),
        summary: String::new(),
        demands: Vec::new(),
        red_lines: Vec::new(),
        signals: Vec::new(),
        as_of: NaiveDate::MIN,
        confidence: Confidence::Low,
        sources: Vec::new(),
        item_sources: Vec::new(),
    }])
    .unwrap_or_else(|| unreachable!("one entry"))
}

/// The allowed values of `stale_after_days`.
pub(super) const STALE_AFTER_RANGE: std::ops::RangeInclusive<i64> = 1..=3650;

/// A topic's `stale_after_days`, or the default when it is unset or out of range (the range is
/// reported where the topic card is checked).
pub(super) fn stale_after_days(topic: Option<&RawTopic>) -> u32 {
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
            overlay: Vec::new(),
        }
    }

    pub(super) fn emit(
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

    pub(super) fn err(
        &mut self,
        f: &File,
        span: Range<usize>,
        code: &'static str,
        msg: String,
        help: String,
    ) {
        self.emit(Severity::Error, f, span, code, msg, help);
    }

    pub(super) fn warn(
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
    pub(super) fn text(&mut self, f: &File, key: &str, v: &Text) -> String {
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

    pub(super) fn opt_text(&mut self, f: &File, key: &str, v: &Option<Text>) -> Option<String> {
        v.as_ref().map(|t| self.text(f, key, t))
    }

    pub(super) fn texts(&mut self, f: &File, key: &str, list: &List) -> Vec<String> {
        list.iter().map(|t| self.text(f, key, t)).collect()
    }

    pub(super) fn date(&mut self, f: &File, key: &str, v: &Text) -> Option<Date> {
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
    pub(super) fn day(&mut self, f: &File, key: &str, v: &Text) -> NaiveDate {
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

    pub(super) fn choice<T: Choice>(&mut self, f: &File, key: &str, v: &Text) -> Option<T> {
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
    pub(super) fn slug(&mut self, f: &File, what: &str, v: &Text) -> String {
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
    pub(super) fn refs(
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

    pub(super) fn stale_warning(
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
    pub(super) fn sources_of(
        &mut self,
        f: &File,
        key: &str,
        list: &List,
        refs: &mut Refs,
        required: Option<Range<usize>>,
    ) -> Vec<String> {
        self.refs(f, key, list, &refs.sources, required, &mut refs.cited)
    }

    /// A warning when an entry's sources are all headlines (`kind = "headline"`) and its text
    /// does not say "reported": a headline was seen, not the article, so the claim is hedged.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn headline_hedge(
        &mut self,
        f: &File,
        span: Range<usize>,
        what: &str,
        fix: &str,
        sources: &[String],
        refs: &Refs,
        texts: &[&str],
    ) {
        let only_headlines =
            !sources.is_empty() && sources.iter().all(|s| refs.headlines.contains(s));
        if !only_headlines || texts.iter().any(|t| says_reported(t)) {
            return;
        }
        self.warn(
            f,
            span,
            "headline-only",
            format!(
                "this {what} rests only on headlines ({}) but does not say \"reported\"",
                sources.join(", ")
            ),
            format!(
                "only the headline of each source was seen, not the article: {fix}, or cite a source whose article was read"
            ),
        );
    }

    /// Actor ids named by an entry.
    pub(super) fn actors_of(
        &mut self,
        f: &File,
        key: &str,
        list: &List,
        refs: &mut Refs,
    ) -> Vec<String> {
        self.refs(f, key, list, &refs.actors, None, &mut refs.cited)
    }
}

/// Stands in for an invalid date so checking can continue; never served.
pub(super) const PLACEHOLDER_DATE: Date = Date::year_only(1970);

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.matches('\n').count() + 1)
}

pub(super) fn check_url(v: &mut Validator, f: &File, url: &Text) {
    let raw = url.get_ref().trim();
    let problem = match url::Url::parse(raw) {
        // The parser drops tabs and line breaks silently; an address that holds one is not
        // what a reader would be sent to.
        _ if raw.chars().any(|c| c.is_control() || c.is_whitespace()) => {
            Some("the address holds a space or a control character".to_owned())
        }
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
