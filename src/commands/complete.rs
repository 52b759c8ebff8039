//! What to offer while a name is typed (Discord's autocomplete): which actors, topics, events,
//! sources, expert views, people, time zones or commands match what is typed so far, ranked
//! (exact, then a name's start, then a word's start, then close spellings) and cut to what the
//! platform shows. Plain values in and out, so it is tested without a chat platform.

use super::spec::{ArgKind, COMMANDS};
use crate::library::Library;
use crate::text::{fold, truncate_words};

/// What is being typed: in which option of which command, and what the other options say.
#[derive(Clone, Copy, Debug)]
pub struct Typing<'a> {
    pub command: &'a str,
    pub option: &'a str,
    pub typed: &'a str,
    /// The topic chosen in another option.
    pub topic: Option<&'a str>,
    /// What an `edit` or `suggest` changes, chosen in another option.
    pub what: Option<&'a str>,
}

/// What the platform shows: how many choices, and how long a choice's name may be.
#[derive(Clone, Copy, Debug)]
pub struct Fit {
    pub most: usize,
    pub name_chars: usize,
}

impl Fit {
    fn name(self, s: &str) -> String {
        truncate_words(s, self.name_chars)
    }
}

/// One choice: what it shows, and the value it gives the option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub value: String,
}

/// A ranked candidate for autocomplete.
struct Candidate {
    score: u8,
    name: String,
    value: String,
}

/// Rank names against what was typed: exact, then prefix of a name, then prefix of a word (or
/// of several words), then close (fuzzy) matches.
fn score(typed: &str, names: &[&str]) -> u8 {
    if typed.is_empty() {
        return 1;
    }
    let mut best = 0;
    for n in names {
        let f = fold(n);
        let s = if f == typed {
            5
        } else if f.starts_with(typed) {
            4
        } else if f.split(' ').any(|w| w.starts_with(typed))
            || typed.contains(' ')
                && typed
                    .split(' ')
                    .all(|t| f.split(' ').any(|w| w.starts_with(t)))
        {
            // A word's start, or each typed word the start of one ("strikes iran").
            3
        } else if strsim::jaro_winkler(typed, &f) >= 0.8 {
            2
        } else {
            0
        };
        best = best.max(s);
    }
    best
}

/// Offer entries by id: each is (id, another name it is known by, what the choice shows).
fn offer_ids<'a>(
    fit: Fit,
    out: &mut Vec<Candidate>,
    typed: &str,
    entries: impl Iterator<Item = (&'a String, &'a String, String)>,
) {
    for (id, other, shown) in entries {
        let sc = score(typed, &[id.as_str(), other.as_str()]);
        if sc > 0 && !out.iter().any(|c| c.value == *id) {
            out.push(Candidate {
                score: sc,
                name: fit.name(&shown),
                value: id.clone(),
            });
        }
    }
}

/// The choices for what is typed, best first, at most `fit.most`. The topic is the one chosen
/// in another option, else the place's default, else every topic.
pub fn choices(lib: &Library, default_topic: Option<&str>, t: &Typing, fit: Fit) -> Vec<Choice> {
    let mut out: Vec<Candidate> = Vec::new();
    if let Some(spec) = COMMANDS.iter().find(|c| c.name == t.command) {
        let typed = fold(t.typed);
        let kind = spec.arg(t.option).map(|a| a.kind);
        // The topic chosen in another option, else the default or only topic.
        let topics: Vec<usize> = match t.topic.and_then(|x| lib.topic_index(x)) {
            Some(t) => vec![t],
            None => match default_topic.and_then(|d| lib.topic_index(d)) {
                Some(t) => vec![t],
                None => (0..lib.topics().len()).collect(),
            },
        };
        // `/edit` and `/suggest` of an event or a source offer that card's entries instead of
        // actors.
        let what = t
            .what
            .filter(|_| matches!(spec.name, "edit" | "suggest"))
            .and_then(|w| crate::edit::Action::parse(w).map(|a| a.kind));
        match kind {
            Some(ArgKind::Actor) if what == Some(crate::edit::form::FormKind::Event) => {
                for &ti in &topics {
                    for e in &lib.topic(ti).events {
                        let when = e.date.iso();
                        let sc = score(&typed, &[e.title.as_str(), &format!("{when} {}", e.title)]);
                        if sc > 0 {
                            let value = format!("{when} {}", e.title);
                            out.push(Candidate {
                                score: sc,
                                name: fit.name(&value),
                                value,
                            });
                        }
                    }
                }
            }
            Some(ArgKind::Actor) if what == Some(crate::edit::form::FormKind::Source) => {
                for &ti in &topics {
                    let sources = lib.topic(ti).sources.iter();
                    offer_ids(
                        fit,
                        &mut out,
                        &typed,
                        sources.map(|x| (&x.id, &x.title, format!("{} · {}", x.id, x.title))),
                    );
                }
            }
            Some(ArgKind::Actor) if what == Some(crate::edit::form::FormKind::Expert) => {
                for &ti in &topics {
                    let views = lib.topic(ti).experts.iter();
                    offer_ids(
                        fit,
                        &mut out,
                        &typed,
                        views.map(|v| (&v.id, &v.name, format!("{} · {}", v.name, v.date.iso()))),
                    );
                }
            }
            Some(ArgKind::Actor) if what == Some(crate::edit::form::FormKind::Person) => {
                // The actor, to add someone to its card, or one of its people, to change.
                for &ti in &topics {
                    for a in &lib.topic(ti).actors {
                        let sc = score(&typed, &[a.id.as_str(), a.name.as_str()]);
                        if sc > 0 {
                            out.push(Candidate {
                                score: sc,
                                name: fit.name(&format!("{} (add a person)", a.name)),
                                value: a.id.clone(),
                            });
                        }
                        for p in &a.people {
                            let sc = score(&typed, &[p.name.as_str(), a.id.as_str()]);
                            if sc > 0 {
                                out.push(Candidate {
                                    score: sc,
                                    name: fit.name(&format!("{} · {}", p.name, a.name)),
                                    value: format!("{} {}", a.id, p.name),
                                });
                            }
                        }
                    }
                }
            }
            Some(ArgKind::Actor) => {
                // `/experts about:` offers only the actors some expert view is about, and
                // says how many views each has.
                let of_experts = spec.name == "experts";
                for &ti in &topics {
                    let topic = lib.topic(ti);
                    for a in &topic.actors {
                        let views = if of_experts {
                            topic
                                .experts
                                .iter()
                                .filter(|v| v.about.contains(&a.id))
                                .count()
                        } else {
                            0
                        };
                        if of_experts && views == 0 {
                            continue;
                        }
                        let mut names = vec![a.id.as_str(), a.name.as_str()];
                        names.extend(a.aliases.iter().map(String::as_str));
                        let sc = score(&typed, &names);
                        if sc > 0 && !out.iter().any(|c| c.value == a.id) {
                            let mut name = a.name.clone();
                            if of_experts {
                                let s = if views == 1 { "" } else { "s" };
                                name.push_str(&format!(" · {views} expert view{s}"));
                            }
                            if topics.len() > 1 {
                                name.push_str(&format!(" · {}", topic.id));
                            }
                            out.push(Candidate {
                                score: sc,
                                name: fit.name(&name),
                                value: a.id.clone(),
                            });
                        }
                    }
                }
            }
            Some(ArgKind::Topic) => {
                for topic in lib.topics() {
                    let mut names = vec![topic.id.as_str(), topic.title.as_str()];
                    names.extend(topic.aliases.iter().map(String::as_str));
                    let sc = score(&typed, &names);
                    if sc > 0 {
                        out.push(Candidate {
                            score: sc,
                            name: fit.name(&topic.title),
                            value: topic.id.clone(),
                        });
                    }
                }
            }
            Some(ArgKind::Timezone) => {
                for (i, z) in crate::schedule::zones_starting(t.typed, fit.most)
                    .into_iter()
                    .enumerate()
                {
                    out.push(Candidate {
                        // Keep the order zones_starting gives: names first, then cities.
                        score: 5u8.saturating_sub((i / 10) as u8).max(1),
                        name: z.to_owned(),
                        value: z.to_owned(),
                    });
                }
            }
            Some(ArgKind::Command) => {
                for c in COMMANDS.iter().filter(|c| !c.moderator) {
                    let sc = score(&typed, &[c.name]);
                    if sc > 0 {
                        out.push(Candidate {
                            score: sc,
                            name: fit.name(&format!("{}: {}", c.name, c.summary)),
                            value: c.name.into(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.name.cmp(&b.name)));
    out.truncate(fit.most);
    out.into_iter()
        .map(|c| Choice {
            name: c.name,
            value: c.value,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIT: Fit = Fit {
        most: 25,
        name_chars: 100,
    };

    fn bundled() -> Library {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 10, 10).unwrap();
        let loaded = crate::cards::load::load(&root, today).unwrap();
        Library::new(loaded.valid_topics().unwrap().to_vec())
    }

    fn typing<'a>(command: &'a str, option: &'a str, typed: &'a str) -> Typing<'a> {
        Typing {
            command,
            option,
            typed,
            topic: None,
            what: None,
        }
    }

    #[test]
    fn an_actor_is_offered_by_its_start_its_alias_or_a_close_spelling_best_first() {
        let lib = bundled();
        let got = choices(&lib, None, &typing("position", "actor", "ira"), FIT);
        assert_eq!(got[0].value, "iran", "{got:?}");
        let close = choices(&lib, None, &typing("position", "actor", "omna"), FIT);
        assert!(close.iter().any(|c| c.value == "oman"), "{close:?}");
        let none = choices(&lib, None, &typing("position", "actor", "zzzzqqq"), FIT);
        assert!(none.is_empty(), "{none:?}");
        let all = choices(&lib, None, &typing("position", "actor", ""), FIT);
        assert!(all.len() > 3 && all.len() <= 25);
    }

    #[test]
    fn an_edit_of_events_or_sources_offers_those_entries_instead_of_actors() {
        let lib = bundled();
        let mut t = typing("edit", "actor", "muscat");
        t.what = Some("event");
        let events = choices(&lib, None, &t, FIT);
        assert!(!events.is_empty());
        // Each event by its date and title, as `edit` names one.
        assert!(
            events.iter().all(|c| c.value.len() > 11
                && chrono::NaiveDate::parse_from_str(&c.value[..10], "%Y-%m-%d").is_ok()
                && c.value.to_lowercase().contains("muscat")),
            "{events:?}"
        );
        t.what = Some("source");
        t.typed = "dawn";
        let sources = choices(&lib, None, &t, FIT);
        assert!(
            sources.iter().any(|c| c.value.contains("dawn")),
            "{sources:?}"
        );
    }

    #[test]
    fn what_is_shown_fits_the_platform_and_hostile_input_is_cut_not_choked_on() {
        let lib = bundled();
        let fit = Fit {
            most: 3,
            name_chars: 12,
        };
        let got = choices(&lib, None, &typing("position", "actor", ""), fit);
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|c| c.name.chars().count() <= 12), "{got:?}");
        let long = "a".repeat(64 * 1024);
        let started = std::time::Instant::now();
        let _ = choices(&lib, None, &typing("position", "actor", &long), FIT);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(choices(&lib, None, &typing("no-such", "actor", "ir"), FIT).is_empty());
        let zones = choices(
            &lib,
            None,
            &typing("subscribe", "timezone", "Asia/Teh"),
            FIT,
        );
        assert_eq!(zones[0].value, "Asia/Tehran");
    }
}
