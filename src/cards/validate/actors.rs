//! Actor cards: ids, names and aliases (unique in the topic), key people, and each actor's
//! dated position history.

use super::checks::*;
use crate::cards::model::*;
use crate::cards::raw::*;
use crate::date::human_day;
use crate::text::fold;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use toml::Spanned;

impl Validator {
    /// Every actor card; ids must match file names, and ids, names and aliases must each lead
    /// to one actor.
    pub(super) fn actors(
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

    pub(super) fn actor_id(&mut self, raw: &RawActor, f: &File) -> String {
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

    pub(super) fn actor_names(
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

    pub(super) fn actor(
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
    pub(super) fn history(
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

    pub(super) fn position(
        &mut self,
        p: &RawPosition,
        span: Range<usize>,
        f: &File,
        refs: &mut Refs,
    ) -> Position {
        let mut item_sources = Vec::new();
        let mut claims = |this: &mut Self, key: &str, list: &RawClaims, which: ClaimList| {
            this.claims(f, key, list, which, refs, &mut item_sources)
        };
        let demands = claims(self, "demands", &p.demands, ClaimList::Demands);
        let red_lines = claims(self, "red_lines", &p.red_lines, ClaimList::RedLines);
        let signals = claims(self, "signals", &p.signals, ClaimList::Signals);
        let position = Position {
            stance: self.text(f, "stance", &p.stance),
            summary: self.text(f, "summary", &p.summary),
            demands,
            red_lines,
            signals,
            as_of: self.day(f, "as_of", &p.as_of),
            confidence: self
                .choice(f, "confidence", &p.confidence)
                .unwrap_or(Confidence::Low),
            sources: self.sources_of(f, "sources", &p.sources, refs, Some(span)),
            item_sources,
        };
        // The stance and the summary are shown as written: each carries the hedge itself (the
        // lists' items are marked by dossier from their sources).
        for (span, what, fix, text) in [
            (
                p.stance.span(),
                "position",
                "say \"reported\" in its `stance`",
                &position.stance,
            ),
            (
                p.summary.span(),
                "position's summary",
                "say \"reported\" (or \"according to\" the outlet) in its `summary`",
                &position.summary,
            ),
        ] {
            self.headline_hedge(f, span, what, fix, &position.sources, refs, &[text]);
        }
        position
    }

    /// The texts of a position's list; the items that name sources of their own add them to
    /// `item_sources` (checked like any source list, at the item's place in the file).
    fn claims(
        &mut self,
        f: &File,
        key: &str,
        list: &RawClaims,
        which: ClaimList,
        refs: &mut Refs,
        item_sources: &mut Vec<ItemSources>,
    ) -> Vec<String> {
        let mut texts = Vec::with_capacity(list.len());
        for (index, item) in list.iter().enumerate() {
            let span = item.span();
            match item.get_ref() {
                RawClaim::Text(t) => texts.push(self.text(f, key, &Spanned::new(span, t.clone()))),
                RawClaim::Cited { text, sources } => {
                    texts.push(self.text(f, key, &Spanned::new(span.clone(), text.clone())));
                    let ids: List = sources
                        .iter()
                        .map(|id| Spanned::new(span.clone(), id.clone()))
                        .collect();
                    let sources = self.sources_of(f, key, &ids, refs, Some(span));
                    item_sources.push(ItemSources {
                        list: which,
                        index,
                        sources,
                    });
                }
            }
        }
        texts
    }
}
