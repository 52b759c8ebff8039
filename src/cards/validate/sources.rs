//! The sources card: each source's id, URL, title, outlet and date, and the sources no card
//! cites.

use super::checks::*;
use crate::cards::model::*;
use crate::cards::raw::*;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

impl Validator {
    /// `sources.toml`: each source with the span of its id, for the uncited-source warning.
    pub(super) fn sources(
        &mut self,
        card: Option<&(RawSources, File)>,
    ) -> Vec<(Source, Range<usize>)> {
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
            let archived = self.snapshot(f, s);
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
                archived,
            };
            out.push((source, s.id.span()));
        }
        out
    }

    /// A source's `archived` address and `archived_on` date: an http(s) address, and a date
    /// only beside one.
    fn snapshot(&mut self, f: &File, s: &RawSource) -> Option<Snapshot> {
        let on = s
            .archived_on
            .as_ref()
            .and_then(|a| self.date(f, "archived_on", a));
        let Some(url) = &s.archived else {
            if let Some(a) = &s.archived_on {
                self.err(
                    f,
                    a.span(),
                    "archived-on-alone",
                    "`archived_on` without `archived`".into(),
                    "give the snapshot's address as `archived`, or remove the date".into(),
                );
            }
            return None;
        };
        check_url(self, f, url);
        Some(Snapshot {
            url: url.get_ref().trim().to_owned(),
            on,
        })
    }

    pub(super) fn uncited_sources(
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
}
