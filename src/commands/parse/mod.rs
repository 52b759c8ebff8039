//! From what a user typed (or a chat platform's structured options) to a [`Command`]. One
//! grammar for every surface: `position iran`, `/position iran`, `!position iran` and
//! Discord's `{actor: "iran"}` all end up as the same value. No library access here: names are
//! resolved when the command is answered.

use super::command::*;
use super::spec::{self, ArgKind, CommandKind, CommandSpec};
use crate::date::Date;
use crate::text::did_you_mean;
use std::collections::BTreeMap;
use std::num::NonZeroU32;

/// The longest command line any surface accepts, in characters. Discord caps a message at
/// 2,000 characters and its slash-command options lower still; no real question is longer, and
/// every door refuses a longer line politely before any work is done on it.
pub const MAX_LINE_CHARS: usize = 2000;

/// Why a line could not be parsed; the reply tells the user how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    UnknownCommand {
        name: String,
        suggestions: Vec<&'static str>,
    },
    Missing {
        command: &'static str,
        arg: &'static str,
    },
    BadDate {
        command: &'static str,
        arg: &'static str,
        why: String,
    },
    BadPage {
        command: &'static str,
        value: String,
    },
    DateOrder {
        since: Date,
        until: Date,
    },
    Unexpected {
        command: &'static str,
        text: String,
    },
    /// The line is longer than [`MAX_LINE_CHARS`].
    TooLong {
        chars: usize,
    },
    /// A value that is not what the argument takes (a time, a time zone, a number).
    Invalid {
        command: &'static str,
        arg: &'static str,
        why: String,
    },
}

/// Arguments by name, as typed.
pub type Args = BTreeMap<&'static str, String>;

/// Split a line into words, honouring "double" and 'single' quotes.
pub fn tokenize(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut had_quote = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' && cur.is_empty() || c == '“' || c == '”' => {
                quote = Some(if c == '“' { '”' } else { c });
                had_quote = true;
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() || had_quote {
                    out.push(std::mem::take(&mut cur));
                }
                had_quote = false;
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() || had_quote {
        out.push(cur);
    }
    out
}

/// Refuse lines longer than [`MAX_LINE_CHARS`]; counting stops just past the limit, so a
/// huge line costs no more than a long one.
pub fn check_length(line: &str) -> Result<(), ParseError> {
    // Bytes bound characters from above: most lines never need counting.
    if line.len() <= MAX_LINE_CHARS {
        return Ok(());
    }
    let chars = line.chars().take(MAX_LINE_CHARS + 1).count();
    if chars > MAX_LINE_CHARS {
        Err(ParseError::TooLong {
            chars: line.chars().count(),
        })
    } else {
        Ok(())
    }
}

/// Parse a typed line. A leading `/` or `!` is accepted. Lines longer than
/// [`MAX_LINE_CHARS`] are refused with [`ParseError::TooLong`].
pub fn parse(line: &str) -> Result<Command, ParseError> {
    check_length(line)?;
    parse_any_length(line)
}

/// Parse a line of any length: one pass to tokenize, one over the words, no recursion. The
/// doors use [`parse`], which caps the length first.
pub fn parse_any_length(line: &str) -> Result<Command, ParseError> {
    let words = tokenize(line.trim());
    // Bare prefix words are skipped: "! position iran", "/ / brief".
    let mut rest = words
        .iter()
        .skip_while(|w| w.trim_start_matches(['/', '!']).is_empty());
    let Some(first) = rest.next() else {
        return Err(ParseError::Empty);
    };
    let name = first.trim_start_matches(['/', '!']);
    let mut rest = rest.peekable();
    // `event add` and `source add` are spelled so in the moderators' guide: `edit event`,
    // `edit source`.
    let lower = name.to_ascii_lowercase();
    if matches!(lower.as_str(), "event" | "source")
        && rest.peek().is_some_and(|w| w.eq_ignore_ascii_case("add"))
    {
        rest.next();
        let mut words = vec![lower];
        words.extend(rest.cloned());
        let spec = spec::of(CommandKind::Edit);
        let args = split_args(spec, &words)?;
        return from_args(spec, args);
    }
    let Some(spec) = spec::find(name) else {
        let names = spec::COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(&c.name).chain(c.aliases));
        let mut suggestions: Vec<&'static str> = Vec::new();
        // Command names are short; a long word is compared by its start only.
        let short: String = name.chars().take(32).collect();
        for s in did_you_mean(&short, names.copied(), 6) {
            if let Some(c) = spec::find(s)
                && !suggestions.contains(&c.name)
            {
                suggestions.push(c.name);
            }
        }
        suggestions.truncate(3);
        return Err(ParseError::UnknownCommand {
            name: short,
            suggestions,
        });
    };
    let rest: Vec<String> = rest.cloned().collect();
    if spec.kind == CommandKind::New {
        return from_args(spec, new_args(&rest));
    }
    let args = split_args(spec, &rest)?;
    from_args(spec, args)
}

/// `new topic <id> <title words…>` and `new actor <id> <name words…> [topic T]`: by place,
/// not by keyword, since `topic` is both what is made and the keyword naming where an actor
/// goes, and a title may hold any word. Only an actor's last two words can be `topic T`.
fn new_args(words: &[String]) -> Args {
    let mut args = Args::new();
    let mut it = words.iter();
    if let Some(w) = it.next() {
        args.insert("what", w.clone());
    }
    if let Some(w) = it.next() {
        args.insert("id", w.clone());
    }
    let mut rest: Vec<&String> = it.collect();
    let actor = args
        .get("what")
        .is_some_and(|w| w.eq_ignore_ascii_case("actor"));
    if actor
        && rest.len() >= 2
        && rest[rest.len() - 2].eq_ignore_ascii_case("topic")
        && let Some(t) = rest.pop()
    {
        rest.pop();
        args.insert("topic", t.clone());
    }
    let name: Vec<&str> = rest.iter().map(|s| s.as_str()).collect();
    args.insert("name", name.join(" "));
    args
}

/// Sort a command's words into keyword and positional arguments.
fn split_args(spec: &'static CommandSpec, words: &[String]) -> Result<Args, ParseError> {
    let mut args = Args::new();
    let mut positional: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        // `key=value` and `key:value` forms, as chat users sometimes type.
        if let Some((k, v)) = w.split_once(['=', ':'])
            && let Some(a) = spec.arg(&k.to_ascii_lowercase()).filter(|a| !a.positional)
            && !v.is_empty()
        {
            args.insert(a.name, v.to_owned());
            i += 1;
            continue;
        }
        // Keywords; a positional argument may be named too ("brief topic iran-us-talks"),
        // except free text, where the word is more likely part of the text.
        let keyword = spec
            .arg(&w.to_ascii_lowercase())
            .filter(|a| !a.positional || !matches!(a.kind, ArgKind::Text | ArgKind::Command));
        match keyword {
            Some(a) if i + 1 < words.len() => {
                // The value runs to the next keyword: "actor united states since 2026".
                let mut j = i + 1;
                let mut value = vec![words[j].clone()];
                j += 1;
                if !matches!(a.kind, ArgKind::Date | ArgKind::Page | ArgKind::Switch) {
                    while j < words.len()
                        && spec
                            .arg(&words[j].to_ascii_lowercase())
                            .is_none_or(|b| b.positional && b.kind != ArgKind::Topic)
                    {
                        value.push(words[j].clone());
                        j += 1;
                    }
                }
                args.insert(a.name, value.join(" "));
                i = j;
            }
            _ => {
                positional.push(w.clone());
                i += 1;
            }
        }
    }
    let pos_specs: Vec<_> = spec.args.iter().filter(|a| a.positional).collect();
    match pos_specs.len() {
        0 if !positional.is_empty() => {
            return Err(ParseError::Unexpected {
                command: spec.name,
                text: positional.join(" "),
            });
        }
        0 => {}
        1 => {
            if !positional.is_empty() {
                args.insert(pos_specs[0].name, positional.join(" "));
            }
        }
        _ => {
            // compare: split at "vs", "and", "," or between exactly two words.
            let seps = ["vs", "vs.", "versus", "and", "&", ",", "/", "with"];
            let at = positional
                .iter()
                .position(|w| seps.contains(&w.to_ascii_lowercase().as_str()));
            let (a, b) = match at {
                Some(k) => (positional[..k].join(" "), positional[k + 1..].join(" ")),
                None if positional.len() == 2 => (positional[0].clone(), positional[1].clone()),
                None => (positional.join(" "), String::new()),
            };
            if !a.is_empty() {
                args.insert(pos_specs[0].name, a);
            }
            if !b.is_empty() {
                args.insert(pos_specs[1].name, b);
            }
        }
    }
    Ok(args)
}

/// Build a command from named arguments: the path chat platforms with structured options take.
pub fn from_args(spec: &'static CommandSpec, args: Args) -> Result<Command, ParseError> {
    let total: usize = args.values().map(String::len).sum();
    if total > MAX_LINE_CHARS {
        let chars = args.values().map(|v| v.chars().count()).sum();
        if chars > MAX_LINE_CHARS {
            return Err(ParseError::TooLong { chars });
        }
    }
    let get = |n: &str| {
        args.get(n)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let date = |n: &'static str| -> Result<Option<Date>, ParseError> {
        get(n)
            .map(|s| {
                Date::parse(&s).map_err(|why| ParseError::BadDate {
                    command: spec.name,
                    arg: n,
                    why,
                })
            })
            .transpose()
    };
    let page = || -> Result<NonZeroU32, ParseError> {
        match get("page") {
            None => Ok(FIRST_PAGE),
            Some(s) => match s.parse::<NonZeroU32>() {
                Ok(n) if n.get() <= MAX_PAGE => Ok(n),
                _ => Err(ParseError::BadPage {
                    command: spec.name,
                    value: s,
                }),
            },
        }
    };
    let required = |n: &'static str| {
        get(n).ok_or(ParseError::Missing {
            command: spec.name,
            arg: n,
        })
    };
    let switch = |n: &'static str| -> Result<bool, ParseError> {
        match get(n).map(|s| s.to_ascii_lowercase()).as_deref() {
            None | Some("on" | "yes" | "true") => Ok(true),
            Some("off" | "no" | "false" | "none") => Ok(false),
            Some(other) => Err(ParseError::Invalid {
                command: spec.name,
                arg: n,
                why: format!(
                    "`{}` is not on or off",
                    crate::text::truncate_words(other, 20)
                ),
            }),
        }
    };
    let topic = get("topic");
    Ok(match spec.kind {
        CommandKind::Brief => Command::Brief(TopicQuery { topic }),
        CommandKind::Position => Command::Position(PositionQuery {
            actor: required("actor")?,
            topic,
            on: date("on")?,
            picture: switch("picture")?,
        }),
        CommandKind::Actors => Command::Actors(TopicQuery { topic }),
        CommandKind::Timeline => {
            let (since, until) = (date("since")?, date("until")?);
            if let (Some(s), Some(u)) = (since, until)
                && s.first_day() > u.last_day()
            {
                return Err(ParseError::DateOrder { since: s, until: u });
            }
            Command::Timeline(TimelineQuery {
                topic,
                since,
                until,
                actor: get("actor"),
                page: page()?,
                picture: switch("picture")?,
            })
        }
        CommandKind::Experts => Command::Experts(ExpertsQuery {
            topic,
            about: get("about"),
        }),
        CommandKind::Compare => {
            let first = required("first")?;
            let second = get("second");
            if second.is_none() && !first.contains(' ') {
                return Err(ParseError::Missing {
                    command: spec.name,
                    arg: "second",
                });
            }
            Command::Compare(CompareQuery {
                first,
                second,
                topic,
                on: date("on")?,
                picture: switch("picture")?,
            })
        }
        CommandKind::Sources => Command::Sources(TopicQuery { topic }),
        CommandKind::Search => Command::Search(SearchQuery {
            query: required("query")?,
            topic,
            page: page()?,
        }),
        CommandKind::Topics => Command::Topics,
        CommandKind::Place => Command::Place(PlaceQuery { set: get("set") }),
        CommandKind::Status => Command::Status,
        CommandKind::Reload => Command::Reload,
        CommandKind::Check => Command::Check,
        CommandKind::Subscribe => {
            let invalid = |arg: &'static str, why: String| ParseError::Invalid {
                command: spec.name,
                arg,
                why,
            };
            let at =
                crate::schedule::parse_time(&required("time")?).map_err(|w| invalid("time", w))?;
            let tz = crate::schedule::parse_zone(&required("timezone")?)
                .map_err(|w| invalid("timezone", w))?;
            let when_unchanged = get("unchanged")
                .map(|w| {
                    crate::digest::WhenUnchanged::parse(&w.to_ascii_lowercase()).ok_or_else(|| {
                        invalid(
                            "unchanged",
                            format!(
                                "`{}` is not one of post, short or skip",
                                crate::text::truncate_words(&w, 20)
                            ),
                        )
                    })
                })
                .transpose()?;
            Command::Subscribe(SubscribeQuery {
                at,
                tz,
                topic,
                when_unchanged,
            })
        }
        CommandKind::Unsubscribe => {
            let id = get("id")
                .map(|s| match s.parse::<i64>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(ParseError::Invalid {
                        command: spec.name,
                        arg: "id",
                        why: format!(
                            "`{}` is not a number that `schedules` shows",
                            crate::text::truncate_words(&s, 20)
                        ),
                    }),
                })
                .transpose()?;
            Command::Unsubscribe(UnsubscribeQuery { id })
        }
        CommandKind::Schedules => Command::Schedules,
        CommandKind::Preview => Command::Preview(TopicQuery { topic }),
        CommandKind::Edit | CommandKind::Suggest => {
            use crate::edit::form::FormKind;
            // "position united states" arrives whole in `what`: the first word is what.
            let all = [get("what"), get("actor")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let split = |s: &str| match s.trim().split_once(char::is_whitespace) {
                Some((w, a)) => (w.to_ascii_lowercase(), Some(a.trim().to_owned())),
                None => (s.trim().to_ascii_lowercase(), None),
            };
            let (mut what, mut actor) = split(&all);
            // `remove event …` as well as `remove-event …`.
            let mut remove = false;
            if matches!(what.as_str(), "remove" | "delete") {
                remove = true;
                (what, actor) = split(actor.as_deref().unwrap_or(""));
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
                        command: spec.name,
                        arg: "what",
                    });
                }
                other if remove => {
                    return Err(ParseError::Invalid {
                        command: spec.name,
                        arg: "what",
                        why: format!(
                            "`remove` takes an event, a source, an expert view, a person or a dated position (`remove event <date> <title words>`, `remove source <id>`, `remove expert <id>`, `remove person <actor> <name>`, `remove position <actor> <date>`), not `{}`",
                            crate::text::truncate_words(other, 20)
                        ),
                    });
                }
                other => {
                    return Err(ParseError::Invalid {
                        command: spec.name,
                        arg: "what",
                        why: format!(
                            "`{}` is not one of {}",
                            crate::text::truncate_words(other, 20),
                            spec::EDIT_WHATS.join(", ")
                        ),
                    });
                }
            };
            if remove && actor.is_none() {
                return Err(ParseError::Invalid {
                    command: spec.name,
                    arg: "what",
                    why: format!(
                        "say which {} to remove, e.g. `{}`",
                        kind.name(),
                        match kind {
                            FormKind::Event => "remove event 2026-02-06 muscat",
                            FormKind::Expert => "remove expert trita-parsi",
                            FormKind::Person => "remove person iran araghchi",
                            _ => "remove source dawn-muscat-dialogue",
                        }
                    ),
                });
            }
            if kind.of_actor() && actor.is_none() {
                return Err(ParseError::Missing {
                    command: spec.name,
                    arg: "actor",
                });
            }
            // A person is named after the actor whose card they are on: `person iran araghchi`.
            let (actor, entry) = match (kind, actor) {
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
                (FormKind::Person, Some(a)) => match a.split_once(char::is_whitespace) {
                    Some((actor, who)) => (Some(actor.to_owned()), Some(who.trim().to_owned())),
                    None => (Some(a), None),
                },
                (_, a) => (None, a),
            };
            if remove && entry.is_none() {
                return Err(ParseError::Invalid {
                    command: spec.name,
                    arg: "what",
                    why: if kind == FormKind::Position {
                        "say which entry of the history to remove, by its date after the actor: `remove position iran 2026-03-12`".into()
                    } else {
                        "say which person to remove, after the actor: `remove person iran araghchi`"
                            .into()
                    },
                });
            }
            let q = EditQuery {
                request: crate::edit::EditRequest {
                    kind,
                    correct,
                    topic,
                    actor,
                    base: None,
                    entry,
                    remove,
                },
                fields: None,
            };
            if spec.kind == CommandKind::Suggest {
                Command::Suggest(q)
            } else {
                Command::Edit(q)
            }
        }
        CommandKind::Approve | CommandKind::Reject => {
            let s = required("id")?;
            let id = match s.trim_start_matches('#').parse::<i64>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(ParseError::Invalid {
                        command: spec.name,
                        arg: "id",
                        why: format!(
                            "`{}` is not a suggestion's number",
                            crate::text::truncate_words(&s, 20)
                        ),
                    });
                }
            };
            let q = DecideQuery {
                id,
                reason: get("reason"),
            };
            if spec.kind == CommandKind::Approve {
                Command::Approve(q)
            } else {
                Command::Reject(q)
            }
        }
        CommandKind::History => Command::History(HistoryQuery {
            card: get("card"),
            topic,
        }),
        CommandKind::New => {
            let what = required("what")?;
            let what = match what.to_ascii_lowercase().as_str() {
                "topic" => NewWhat::Topic,
                "actor" => NewWhat::Actor,
                _ => {
                    return Err(ParseError::Invalid {
                        command: spec.name,
                        arg: "what",
                        why: format!(
                            "`{}` is not something `new` makes: `new topic <id> <title>` or `new actor <id> <name>`",
                            crate::text::truncate_words(&what, 20)
                        ),
                    });
                }
            };
            if what == NewWhat::Topic && topic.is_some() {
                return Err(ParseError::Invalid {
                    command: spec.name,
                    arg: "topic",
                    why: "a new topic is not made inside another: leave out `topic`".into(),
                });
            }
            Command::New(NewQuery {
                what,
                id: required("id")?,
                name: required("name")?,
                topic,
            })
        }
        CommandKind::Undo => Command::Undo,
        CommandKind::Suggestions => Command::Suggestions,
        CommandKind::Help => Command::Help(HelpQuery {
            command: get("command"),
        }),
    })
}

#[cfg(test)]
mod tests;
