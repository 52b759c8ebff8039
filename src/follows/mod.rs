//! Follows: what one person asked to hear of (an actor of a topic, a whole topic, or a few
//! words), and, for each change the cards make (the daily briefing's `digest::Changes`), the
//! part of it a follow cares about, so an alert says that and nothing else, in the briefing's
//! words. Pure: the changes come from the change feed, the follows from the store, and the
//! alerts go out through the doors. Words are matched as whole folded words (case, accents and
//! punctuation ignored), never as patterns; what a person types is capped before it is read.
//! `calm` says when a person's waiting alerts go out (debounce, daily digest, a day's most).

pub mod calm;

use crate::cards::Topic;
use crate::digest::{Changes, Correction};
use std::collections::HashSet;

/// The most words one `follow word` may hold.
pub const MAX_WORDS: usize = 5;
/// The longest word kept, in characters.
pub const MAX_WORD_CHARS: usize = 40;
/// How much of a `follow word` line is read, in bytes (the rest is not looked at).
pub const MAX_INPUT: usize = 400;

/// What a follow is of.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Followed {
    /// One actor of one topic: its position moving, an event naming it, a correction of it.
    Actor { topic: String, actor: String },
    /// Any of those in one topic.
    Topic { topic: String },
    /// A new event or position entry holding every one of these (folded) words, in any topic.
    Words { words: Vec<String> },
}

impl Followed {
    /// The follow as the store keys it: "actor iran-us-talks/iran", "topic iran-us-talks",
    /// "words oman muscat".
    pub fn key(&self) -> String {
        match self {
            Followed::Actor { topic, actor } => format!("actor {topic}/{actor}"),
            Followed::Topic { topic } => format!("topic {topic}"),
            Followed::Words { words } => format!("words {}", words.join(" ")),
        }
    }

    /// The follow a [`key`](Followed::key) names.
    pub fn from_key(key: &str) -> Option<Followed> {
        let (kind, rest) = key.split_once(' ')?;
        match kind {
            "actor" => {
                let (topic, actor) = rest.split_once('/')?;
                Some(Followed::Actor {
                    topic: topic.to_owned(),
                    actor: actor.to_owned(),
                })
            }
            "topic" => Some(Followed::Topic {
                topic: rest.to_owned(),
            }),
            "words" => Some(Followed::Words {
                words: rest.split(' ').map(str::to_owned).collect(),
            }),
            _ => None,
        }
    }

    /// The topic the follow is of, if one.
    pub fn topic(&self) -> Option<&str> {
        match self {
            Followed::Actor { topic, .. } | Followed::Topic { topic } => Some(topic),
            Followed::Words { .. } => None,
        }
    }
}

/// Why words could not be followed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WordsError {
    #[error("give at least one word to follow")]
    Empty,
    #[error("follow at most {MAX_WORDS} words at once")]
    TooMany,
    #[error("a word to follow is at most {MAX_WORD_CHARS} letters")]
    TooLong,
}

/// The words of a `follow word` line, folded as the cards' words are, each once: at most
/// [`MAX_WORDS`] of at most [`MAX_WORD_CHARS`] characters, from the first [`MAX_INPUT`]
/// bytes of `input`.
pub fn words(input: &str) -> Result<Vec<String>, WordsError> {
    let mut end = input.len().min(MAX_INPUT);
    while !input.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: Vec<String> = Vec::new();
    for w in crate::text::words(&input[..end]) {
        if w.chars().count() > MAX_WORD_CHARS {
            return Err(WordsError::TooLong);
        }
        if !out.contains(&w) {
            out.push(w);
        }
        if out.len() > MAX_WORDS {
            return Err(WordsError::TooMany);
        }
    }
    if out.is_empty() {
        return Err(WordsError::Empty);
    }
    Ok(out)
}

/// Whether `text` holds every one of `words` as a whole word.
fn holds(text: &str, words: &[String]) -> bool {
    let have: HashSet<String> = crate::text::words(text).collect();
    words.iter().all(|w| have.contains(w))
}

/// The part of `c` (what changed in topic `t`) that `f` cares about, or `None` when nothing
/// of it does.
pub fn narrow(f: &Followed, t: &Topic, c: &Changes) -> Option<Changes> {
    if c.is_empty() || f.topic().is_some_and(|id| id != t.id) {
        return None;
    }
    let out = match f {
        Followed::Topic { .. } => c.clone(),
        Followed::Actor { actor, .. } => {
            let names = |i: &usize| t.events.get(*i).is_some_and(|e| e.actors.contains(actor));
            Changes {
                events_added: c.events_added.iter().copied().filter(names).collect(),
                events_revised: c.events_revised.iter().copied().filter(names).collect(),
                positions: c
                    .positions
                    .iter()
                    .filter(|p| &p.actor == actor)
                    .cloned()
                    .collect(),
                corrections: c
                    .corrections
                    .iter()
                    .filter(|k| match k {
                        Correction::Entry { after, .. } | Correction::EntryDate { after, .. } => {
                            &after.actor == actor
                        }
                        Correction::EventDate { event, .. } => names(event),
                    })
                    .cloned()
                    .collect(),
                ..Changes::default()
            }
        }
        Followed::Words { words } => {
            let event = |i: &usize| {
                t.events
                    .get(*i)
                    .is_some_and(|e| holds(&format!("{} {}", e.title, e.detail), words))
            };
            Changes {
                events_added: c.events_added.iter().copied().filter(event).collect(),
                positions: c
                    .positions
                    .iter()
                    .filter(|p| {
                        let summary = t
                            .actors
                            .iter()
                            .find(|a| a.id == p.actor)
                            .map(|a| a.history.latest().summary.as_str())
                            .unwrap_or_default();
                        let text = format!(
                            "{} {} {} {summary}",
                            p.after.stance,
                            p.after.demands.join(" "),
                            p.after.red_lines.join(" ")
                        );
                        holds(&text, words)
                    })
                    .cloned()
                    .collect(),
                ..Changes::default()
            }
        }
    };
    (!out.is_empty()).then_some(out)
}

impl Followed {
    /// The follow as its owner names it: "Iran (iran-us-talks)", "the topic iran-us-talks",
    /// "the words oman muscat".
    pub fn describe(&self, lib: &crate::library::Library) -> String {
        match self {
            Followed::Actor { topic, actor } => {
                let name = lib
                    .topic_index(topic)
                    .and_then(|t| lib.actor(t, actor))
                    .map_or(actor.as_str(), |a| a.name.as_str());
                format!("{name} ({topic})")
            }
            Followed::Topic { topic } => format!("the topic {topic}"),
            Followed::Words { words } => format!("the words {}", words.join(" ")),
        }
    }

    /// The command that ends this follow.
    pub fn unfollow(&self) -> String {
        match self {
            Followed::Actor { topic, actor } => format!("unfollow {actor} topic {topic}"),
            Followed::Topic { topic } => format!("unfollow topic {topic}"),
            Followed::Words { words } => format!("unfollow word {}", words.join(" ")),
        }
    }
}

/// The alert a follow makes of a change of topic `ti` (all of what changed since `previous`):
/// the part it cares about, in the daily briefing's words and with its numbered sources,
/// saying how to stop; `None` when nothing of it concerns the follow.
pub fn alert(
    lib: &crate::library::Library,
    ti: usize,
    f: &Followed,
    c: &Changes,
    previous: &crate::digest::Previous<'_>,
    today: chrono::NaiveDate,
) -> Option<crate::reply::Reply> {
    let t = lib.topic(ti);
    let part = narrow(f, t, c)?;
    let title = format!("{}: what changed in {}", f.describe(lib), t.title);
    let mut r = crate::digest::changes_told(lib, ti, &part, previous, title, today);
    if let Some(foot) = r.footer.as_mut() {
        foot.note = Some(format!(
            "You follow {}. Stop: `{}`, or `unfollow all`.",
            f.describe(lib),
            f.unfollow()
        ));
    }
    Some(r)
}

#[cfg(test)]
mod tests;
