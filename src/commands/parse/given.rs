//! The named arguments one command was given, read into its query: one small function per
//! command that takes more than a topic, over [`Given`], which reads an argument as text, a
//! date, a page, a switch or a required value, each error naming the command and the argument.

use super::super::command::*;
use super::super::spec::{self, CommandKind, CommandSpec};
use super::error::{Args, ParseError};
use crate::date::Date;
use crate::edit::form::FormKind;
use crate::text::truncate_words;
use std::num::NonZeroU32;

/// What a command was given.
pub(super) struct Given {
    pub spec: &'static CommandSpec,
    pub args: Args,
}

impl Given {
    /// An argument, trimmed; `None` when absent or blank.
    pub fn get(&self, n: &str) -> Option<String> {
        self.args
            .get(n)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    pub fn required(&self, n: &'static str) -> Result<String, ParseError> {
        self.get(n).ok_or(ParseError::Missing {
            command: self.spec.name,
            arg: n,
        })
    }

    fn invalid(&self, arg: &'static str, why: String) -> ParseError {
        ParseError::Invalid {
            command: self.spec.name,
            arg,
            why,
        }
    }

    fn date(&self, n: &'static str) -> Result<Option<Date>, ParseError> {
        self.get(n)
            .map(|s| {
                Date::parse(&s).map_err(|why| ParseError::BadDate {
                    command: self.spec.name,
                    arg: n,
                    why,
                })
            })
            .transpose()
    }

    pub fn page(&self) -> Result<NonZeroU32, ParseError> {
        match self.get("page") {
            None => Ok(FIRST_PAGE),
            Some(s) => match s.parse::<NonZeroU32>() {
                Ok(n) if n.get() <= MAX_PAGE => Ok(n),
                _ => Err(ParseError::BadPage {
                    command: self.spec.name,
                    value: s,
                }),
            },
        }
    }

    /// An on/off argument; absent is on.
    fn switch(&self, n: &'static str) -> Result<bool, ParseError> {
        match self.get(n).map(|s| s.to_ascii_lowercase()).as_deref() {
            None | Some("on" | "yes" | "true") => Ok(true),
            Some("off" | "no" | "false" | "none") => Ok(false),
            Some(other) => Err(self.invalid(
                n,
                format!("`{}` is not on or off", truncate_words(other, 20)),
            )),
        }
    }

    /// A positive number, as `schedules` and `suggestions` show them (a suggestion's with or
    /// without its `#`).
    fn number(&self, n: &'static str, what: &str, hash: bool) -> Result<Option<i64>, ParseError> {
        self.get(n)
            .map(
                |s| match if hash { s.trim_start_matches('#') } else { &s }.parse::<i64>() {
                    Ok(v) if v > 0 => Ok(v),
                    _ => {
                        Err(self.invalid(n, format!("`{}` is not {what}", truncate_words(&s, 20))))
                    }
                },
            )
            .transpose()
    }
}

pub(super) fn position(g: &Given) -> Result<Command, ParseError> {
    Ok(Command::Position(PositionQuery {
        actor: g.required("actor")?,
        topic: g.get("topic"),
        on: g.date("on")?,
        picture: g.switch("picture")?,
    }))
}

pub(super) fn timeline(g: &Given) -> Result<Command, ParseError> {
    let (since, until) = (g.date("since")?, g.date("until")?);
    if let (Some(s), Some(u)) = (since, until)
        && s.first_day() > u.last_day()
    {
        return Err(ParseError::DateOrder { since: s, until: u });
    }
    Ok(Command::Timeline(TimelineQuery {
        topic: g.get("topic"),
        since,
        until,
        actor: g.get("actor"),
        page: g.page()?,
        picture: g.switch("picture")?,
    }))
}

pub(super) fn compare(g: &Given) -> Result<Command, ParseError> {
    let first = g.required("first")?;
    let second = g.get("second");
    if second.is_none() && !first.contains(' ') {
        return Err(ParseError::Missing {
            command: g.spec.name,
            arg: "second",
        });
    }
    Ok(Command::Compare(CompareQuery {
        first,
        second,
        topic: g.get("topic"),
        on: g.date("on")?,
        picture: g.switch("picture")?,
    }))
}

pub(super) fn subscribe(g: &Given) -> Result<Command, ParseError> {
    let at = crate::schedule::parse_time(&g.required("time")?).map_err(|w| g.invalid("time", w))?;
    let tz = crate::schedule::parse_zone(&g.required("timezone")?)
        .map_err(|w| g.invalid("timezone", w))?;
    let when_unchanged = g
        .get("unchanged")
        .map(|w| {
            crate::digest::WhenUnchanged::parse(&w.to_ascii_lowercase()).ok_or_else(|| {
                g.invalid(
                    "unchanged",
                    format!(
                        "`{}` is not one of post, short or skip",
                        truncate_words(&w, 20)
                    ),
                )
            })
        })
        .transpose()?;
    Ok(Command::Subscribe(SubscribeQuery {
        at,
        tz,
        topic: g.get("topic"),
        when_unchanged,
    }))
}

pub(super) fn unsubscribe(g: &Given) -> Result<Command, ParseError> {
    let id = g.number("id", "a number that `schedules` shows", false)?;
    Ok(Command::Unsubscribe(UnsubscribeQuery { id }))
}

/// `feeds`, `feed add <url> [outlet …]`, `feed remove <n>`.
pub(super) fn feeds(g: &Given) -> Result<Command, ParseError> {
    let topic = g.get("topic");
    let Some(text) = g.get("change") else {
        return Ok(Command::Feeds(FeedsQuery {
            change: None,
            topic,
        }));
    };
    let mut words = text.split_whitespace();
    let verb = words.next().unwrap_or_default().to_ascii_lowercase();
    let rest: Vec<&str> = words.collect();
    let change = match verb.as_str() {
        "add" => {
            let Some((url, outlet)) = rest.split_first() else {
                return Err(g.invalid("change", "say which feed: `feed add <url> [outlet]`".into()));
            };
            FeedChange::Add {
                url: (*url).to_owned(),
                outlet: (!outlet.is_empty()).then(|| outlet.join(" ")),
            }
        }
        "remove" | "rm" | "delete" => match rest.as_slice() {
            [n] => FeedChange::Remove(
                n.trim_start_matches('#')
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        g.invalid(
                            "change",
                            format!(
                                "`{}` is not a feed's number, as `feeds` shows them",
                                truncate_words(n, 20)
                            ),
                        )
                    })?,
            ),
            _ => {
                return Err(g.invalid(
                    "change",
                    "say which feed by its number: `feed remove <n>` (`feeds` numbers them)".into(),
                ));
            }
        },
        "list" | "" => {
            return Ok(Command::Feeds(FeedsQuery {
                change: None,
                topic,
            }));
        }
        _ => {
            return Err(g.invalid(
                "change",
                format!(
                    "`{}` is not something `feed` does: `feed add <url> [outlet]` or `feed remove <n>`",
                    truncate_words(&verb, 20)
                ),
            ));
        }
    };
    Ok(Command::Feeds(FeedsQuery {
        change: Some(change),
        topic,
    }))
}

pub(super) fn proposals(g: &Given) -> Result<Command, ParseError> {
    Ok(Command::Proposals(ProposalsQuery {
        id: g.number("id", "a proposal's number, as `proposals` shows it", true)?,
        topic: g.get("topic"),
    }))
}

/// `approve [proposal] N` and `reject [proposal] N [why …]`: the words after the number are
/// the reason, as `reason …` is.
pub(super) fn decide(g: &Given) -> Result<Command, ParseError> {
    let text = g.required("id")?;
    let mut words = text.split_whitespace().peekable();
    let what = match words.peek().map(|w| w.to_ascii_lowercase()).as_deref() {
        Some("proposal" | "proposals") => Decides::Proposal,
        Some("suggestion" | "suggestions") => Decides::Suggestion,
        _ => Decides::Either,
    };
    if what != Decides::Either {
        words.next();
    }
    let number = words.next().unwrap_or_default();
    let id = number
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            g.invalid(
                "id",
                format!(
                    "`{}` is not a number: {}",
                    truncate_words(number, 20),
                    match what {
                        Decides::Proposal => "a proposal's number, as `proposals` shows it",
                        Decides::Suggestion => "a suggestion's number, as `suggestions` shows it",
                        Decides::Either => "a suggestion's or a proposal's number, as `suggestions` and `proposals` show them",
                    }
                ),
            )
        })?;
    let rest: Vec<&str> = words.collect();
    let reason = g.get("reason").or_else(|| {
        (!rest.is_empty() && g.spec.kind == CommandKind::Reject).then(|| rest.join(" "))
    });
    if g.spec.kind == CommandKind::Approve && !rest.is_empty() {
        return Err(g.invalid(
            "id",
            format!(
                "`approve` takes a number only; `{}` is more (a proposal's fields go on the lines after it)",
                truncate_words(&rest.join(" "), 40)
            ),
        ));
    }
    let q = DecideQuery {
        id,
        reason,
        what,
        fields: None,
    };
    Ok(match g.spec.kind {
        CommandKind::Approve => Command::Approve(q),
        _ => Command::Reject(q),
    })
}

pub(super) fn new(g: &Given) -> Result<Command, ParseError> {
    let what = g.required("what")?;
    let what = match what.to_ascii_lowercase().as_str() {
        "topic" => NewWhat::Topic,
        "actor" => NewWhat::Actor,
        _ => {
            return Err(g.invalid(
                "what",
                format!(
                    "`{}` is not something `new` makes: `new topic <id> <title>` or `new actor <id> <name>`",
                    truncate_words(&what, 20)
                ),
            ));
        }
    };
    let topic = g.get("topic");
    if what == NewWhat::Topic && topic.is_some() {
        return Err(g.invalid(
            "topic",
            "a new topic is not made inside another: leave out `topic`".into(),
        ));
    }
    Ok(Command::New(NewQuery {
        what,
        id: g.required("id")?,
        name: g.required("name")?,
        topic,
    }))
}

/// `edit` and `suggest`: what changes (and whether it is removed), then which card and entry.
pub(super) fn edit(g: &Given) -> Result<Command, ParseError> {
    let (kind, correct, remove, rest) = edit_what(g)?;
    if kind.of_actor() && rest.is_none() {
        return Err(ParseError::Missing {
            command: g.spec.name,
            arg: "actor",
        });
    }
    let (actor, entry) = edit_target(kind, rest);
    if remove && entry.is_none() {
        return Err(g.invalid(
            "what",
            if kind == FormKind::Position {
                "say which entry of the history to remove, by its date after the actor: `remove position iran 2026-03-12`".into()
            } else {
                "say which person to remove, after the actor: `remove person iran araghchi`".into()
            },
        ));
    }
    let q = EditQuery {
        request: crate::edit::EditRequest {
            kind,
            correct,
            topic: g.get("topic"),
            actor,
            base: None,
            entry,
            remove,
        },
        fields: None,
    };
    Ok(match g.spec.kind {
        CommandKind::Suggest => Command::Suggest(q),
        _ => Command::Edit(q),
    })
}

/// Split off the first word, lowercased, from the rest.
fn first_word(s: &str) -> (String, Option<String>) {
    match s.trim().split_once(char::is_whitespace) {
        Some((w, a)) => (w.to_ascii_lowercase(), Some(a.trim().to_owned())),
        None => (s.trim().to_ascii_lowercase(), None),
    }
}

/// The kind an edit changes, whether it corrects or removes, and the words after it.
fn edit_what(g: &Given) -> Result<(FormKind, bool, bool, Option<String>), ParseError> {
    // "position united states" arrives whole in `what`: the first word is what.
    let all = [g.get("what"), g.get("actor")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let (mut what, mut rest) = first_word(&all);
    // `remove event …` as well as `remove-event …`.
    let mut remove = false;
    if matches!(what.as_str(), "remove" | "delete") {
        remove = true;
        (what, rest) = first_word(rest.as_deref().unwrap_or(""));
    } else if let Some(w) = what
        .strip_prefix("remove-")
        .or_else(|| what.strip_prefix("delete-"))
    {
        remove = true;
        what = w.to_owned();
    }
    let (kind, correct) = match what.as_str() {
        "position" | "pos" | "stance" => (FormKind::Position, false),
        "correction" | "correct" if !remove => (FormKind::Position, true),
        "event" | "events" | "timeline" => (FormKind::Event, false),
        "source" | "sources" => (FormKind::Source, false),
        "expert" | "experts" | "view" => (FormKind::Expert, false),
        "person" | "people" => (FormKind::Person, false),
        "" if !remove => {
            return Err(ParseError::Missing {
                command: g.spec.name,
                arg: "what",
            });
        }
        other if remove => {
            return Err(g.invalid(
                "what",
                format!(
                    "`remove` takes an event, a source, an expert view, a person or a dated position (`remove event <date> <title words>`, `remove source <id>`, `remove expert <id>`, `remove person <actor> <name>`, `remove position <actor> <date>`), not `{}`",
                    truncate_words(other, 20)
                ),
            ));
        }
        other => {
            return Err(g.invalid(
                "what",
                format!(
                    "`{}` is not one of {}",
                    truncate_words(other, 20),
                    spec::EDIT_WHATS.join(", ")
                ),
            ));
        }
    };
    if remove && rest.is_none() {
        return Err(g.invalid(
            "what",
            format!(
                "say which {} to remove, e.g. `{}`",
                kind.name(),
                match kind {
                    FormKind::Event => "remove event 2026-02-06 muscat",
                    FormKind::Expert => "remove expert trita-parsi",
                    FormKind::Person => "remove person iran araghchi",
                    _ => "remove source dawn-muscat-dialogue",
                }
            ),
        ));
    }
    Ok((kind, correct, remove, rest))
}

/// The actor and the entry the words after an edit's kind name.
fn edit_target(kind: FormKind, rest: Option<String>) -> (Option<String>, Option<String>) {
    match (kind, rest) {
        // An entry of the history is named by its date after the actor's name:
        // `correction united states 2026-03-12`.
        (FormKind::Position, Some(a)) => match a.rsplit_once(char::is_whitespace) {
            Some((actor, last))
                if last.starts_with('#') || crate::edit::apply::is_date_prefix(last) =>
            {
                (Some(actor.trim().to_owned()), Some(last.to_owned()))
            }
            _ => (Some(a), None),
        },
        // A person is named after the actor whose card they are on: `person iran araghchi`.
        (FormKind::Person, Some(a)) => match a.split_once(char::is_whitespace) {
            Some((actor, who)) => (Some(actor.to_owned()), Some(who.trim().to_owned())),
            None => (Some(a), None),
        },
        (_, a) => (None, a),
    }
}
