//! A proposal as the card edit it would be: a new timeline event (the date, the headline as its
//! title, the actors named, `verification = "reported"`) citing one new source of kind
//! `headline` per item (outlet, headline, date, address; its note says only the headline and
//! summary were seen). A source the cards already cite by the same address is cited again, not
//! added twice. A moderator's `field: value` overrides replace the draft's fields before it is
//! written. Pure: the desk writes it.

use super::canon::canonical;
use super::proposals::Proposal;
use crate::edit::form::{Form, FormKind};
use std::collections::{HashMap, HashSet};

/// The longest source id a draft makes.
const MAX_ID: usize = 48;

/// What approving a proposal writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    /// The sources to add to `sources.toml`, in the proposal's order.
    pub sources: Vec<Form>,
    /// The event to add to `timeline.toml`.
    pub event: Form,
}

/// The draft of `p`. `cited` maps the canonical address of every source the topic has to its
/// id; `taken` holds every id the topic's sources use. `overrides` replace the event's fields.
pub fn draft(
    p: &Proposal,
    cited: &HashMap<String, String>,
    taken: &HashSet<String>,
    overrides: &Form,
) -> Draft {
    let mut used: HashSet<String> = taken.clone();
    let mut ids = Vec::new();
    let mut sources = Vec::new();
    for s in &p.sources {
        if let Some(id) = canonical(&s.url).and_then(|c| cited.get(&c)) {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
            continue;
        }
        let id = source_id(&s.outlet, &s.title, &used);
        used.insert(id.clone());
        let mut f = Form::default();
        let kind = FormKind::Source;
        set(&mut f, kind, "id", &id);
        set(&mut f, kind, "url", &s.url);
        set(&mut f, kind, "title", &s.title);
        set(&mut f, kind, "publisher", &s.outlet);
        set(
            &mut f,
            kind,
            "published",
            &s.date.format("%Y-%m-%d").to_string(),
        );
        set(&mut f, kind, "kind", "headline");
        set(
            &mut f,
            kind,
            "note",
            "Headline and summary only, as the outlet's feed gave them to dossier's newsdesk; the article itself was not read.",
        );
        ids.push(id);
        sources.push(f);
    }
    let outlets = p.outlets();
    let kind = FormKind::Event;
    let mut event = Form::default();
    set(
        &mut event,
        kind,
        "date",
        &p.date.format("%Y-%m-%d").to_string(),
    );
    set(&mut event, kind, "title", &p.title);
    set(
        &mut event,
        kind,
        "detail",
        &format!(
            "Reported in headlines by {}; only the headlines and their summaries were seen.",
            and_list(&outlets)
        ),
    );
    if !p.actors.is_empty() {
        set(&mut event, kind, "actors", &p.actors.join("\n"));
    }
    set(&mut event, kind, "verification", "reported");
    set(&mut event, kind, "sources", &ids.join("\n"));
    for (spec, value) in &overrides.values {
        event.values.retain(|(f, _)| f.key != spec.key);
        event.values.push((spec, value.clone()));
    }
    event
        .values
        .sort_by_key(|(f, _)| kind.fields().iter().position(|g| g.key == f.key));
    Draft { sources, event }
}

fn set(f: &mut Form, kind: FormKind, key: &str, value: &str) {
    if let Some(spec) = kind.field(key) {
        f.set(spec, value);
    }
}

/// "A", "A and B", "A, B and C".
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A new source id from the outlet and the headline's first words, unique among `used`.
fn source_id(outlet: &str, title: &str, used: &HashSet<String>) -> String {
    let outlet = crate::text::slugify(outlet);
    let words: Vec<String> = crate::text::slugify(title)
        .split('-')
        .filter(|w| w.len() > 2)
        .take(5)
        .map(str::to_owned)
        .collect();
    let mut base = if outlet.is_empty() {
        "headline".to_owned()
    } else {
        outlet
    };
    for w in words {
        if base.len() + 1 + w.len() > MAX_ID {
            break;
        }
        base.push('-');
        base.push_str(&w);
    }
    if !used.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !used.contains(id))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::newsdesk::proposals::{Confidence, ProposedSource};
    use chrono::NaiveDate;

    fn proposal() -> Proposal {
        let d = NaiveDate::from_ymd_opt(2026, 10, 9).unwrap();
        Proposal {
            topic: "t".into(),
            date: d,
            title: "Iran says it has revised its proposals".into(),
            actors: vec!["iran".into()],
            score: 3,
            confidence: Confidence::High,
            sources: vec![
                ProposedSource {
                    url: "https://news.example.org/a?utm_source=x".into(),
                    outlet: "Example News".into(),
                    title: "Iran says it has revised its proposals".into(),
                    date: d,
                },
                ProposedSource {
                    url: "https://other.example.net/b".into(),
                    outlet: "Other Outlet".into(),
                    title: "Tehran revises its proposals".into(),
                    date: d,
                },
            ],
            named: vec!["Iran".into()],
            undated: false,
        }
    }

    #[test]
    fn a_draft_is_an_event_citing_new_headline_sources() {
        let taken = HashSet::from(["example-news-iran-says-has-revised-its".to_owned()]);
        let d = draft(&proposal(), &HashMap::new(), &taken, &Form::default());
        assert_eq!(d.sources.len(), 2);
        let id = d.sources[0].get("id").unwrap().as_text();
        assert_eq!(id, "example-news-iran-says-has-revised-its-2");
        assert_eq!(d.sources[0].get("kind").unwrap().as_text(), "headline");
        assert_eq!(d.event.get("date").unwrap().as_text(), "2026-10-09");
        assert_eq!(
            d.event.get("sources").unwrap().as_text(),
            format!("{id}, other-outlet-tehran-revises-its-proposals")
        );
        assert!(
            d.event
                .get("detail")
                .unwrap()
                .as_text()
                .contains("Example News and Other Outlet")
        );
        assert_eq!(d.event.get("verification").unwrap().as_text(), "reported");
    }

    #[test]
    fn a_cited_address_is_cited_again_and_overrides_win() {
        let cited = HashMap::from([(
            canonical("https://news.example.org/a").unwrap(),
            "known".to_owned(),
        )]);
        let over = crate::edit::form::parse_form(FormKind::Event, "title: Iran revises its offer")
            .unwrap();
        let d = draft(&proposal(), &cited, &HashSet::new(), &over);
        assert_eq!(d.sources.len(), 1);
        let sources = d.event.get("sources").unwrap().as_text();
        assert!(sources.starts_with("known, "), "{sources}");
        assert_eq!(
            d.event.get("title").unwrap().as_text(),
            "Iran revises its offer"
        );
    }
}
