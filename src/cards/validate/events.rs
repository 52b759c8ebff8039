//! The timeline (dated events and their actors and sources) and the expert views (who, when,
//! what, and short verbatim quotes with their source).

use super::checks::*;
use crate::cards::model::*;
use crate::cards::raw::*;
use crate::date::human_day;
use chrono::NaiveDate;
use toml::Spanned;

/// The longest phase label: it is drawn on the chart.
pub const MAX_PHASE_CHARS: usize = 24;

impl Validator {
    /// `timeline.toml`: events in date order; events on one date keep their order in the file.
    pub(super) fn timeline(
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

    pub(super) fn event(
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
        let event = Event {
            date: date.unwrap_or(PLACEHOLDER_DATE),
            title: self.text(f, "title", &er.title),
            detail: self.text(f, "detail", &er.detail),
            actors: self.actors_of(f, "actors", &er.actors, refs),
            verification: self
                .choice(f, "verification", &er.verification)
                .unwrap_or(Verification::Reported),
            sources: self.sources_of(f, "sources", &er.sources, refs, Some(e.span())),
            phase: self.phase(f, &er.phase),
        };
        // `verification = "reported"` (the default) or "claimed" is the hedge itself.
        if matches!(
            event.verification,
            Verification::Confirmed | Verification::Disputed
        ) {
            self.headline_hedge(
                f,
                er.verification.span(),
                "event",
                "set `verification = \"reported\"`, or say \"reported\" in its `detail`",
                &event.sources,
                refs,
                &[&event.title, &event.detail],
            );
        }
        event
    }

    /// An event's `phase`: a short label, one line, that fits the chart's band.
    fn phase(&mut self, f: &File, v: &Option<Text>) -> Option<String> {
        let t = self.opt_text(f, "phase", v)?;
        let chars = t.chars().count();
        if chars > MAX_PHASE_CHARS || t.contains('\n') {
            self.err(
                f,
                v.as_ref().map_or(0..0, |v| v.span()),
                "phase-too-long",
                format!("`phase` is {chars} characters on one or more lines"),
                format!(
                    "name the phase in a word or two, at most {MAX_PHASE_CHARS} characters (\"talks\", \"war\", \"ceasefire\")"
                ),
            );
        }
        (!t.is_empty()).then_some(t)
    }

    /// `experts.toml`.
    pub(super) fn experts(
        &mut self,
        card: &Option<(RawExperts, File)>,
        refs: &mut Refs,
    ) -> Vec<ExpertView> {
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

    pub(super) fn expert_view(
        &mut self,
        v: &Spanned<RawView>,
        f: &File,
        refs: &mut Refs,
    ) -> ExpertView {
        let vr = v.get_ref();
        let view = ExpertView {
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
        };
        // `reported = true` is the hedge itself.
        if !view.reported {
            self.headline_hedge(
                f,
                vr.summary.span(),
                "expert view",
                "set `reported = true`, or say \"reported\" in its `summary`",
                &view.sources,
                refs,
                &[&view.summary],
            );
        }
        view
    }

    /// A verbatim quote needs the source it was published in.
    pub(super) fn quote(&mut self, vr: &RawView, f: &File, refs: &mut Refs) -> Option<Quote> {
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
}
