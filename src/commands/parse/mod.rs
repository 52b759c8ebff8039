//! From what a user typed (or a chat platform's structured options) to a [`Command`]. One
//! grammar for every surface: `position iran`, `/position iran`, `!position iran` and
//! Discord's `{actor: "iran"}` all end up as the same value. No library access here: names are
//! resolved when the command is answered.

mod error;
mod given;

use super::command::*;
use super::spec::{self, ArgKind, CommandKind, CommandSpec};
use crate::text::did_you_mean;

/// The longest command line any surface accepts, in characters. Discord caps a message at
/// 2,000 characters and its slash-command options lower still; no real question is longer, and
/// every door refuses a longer line politely before any work is done on it.
pub const MAX_LINE_CHARS: usize = 2000;

pub use error::{Args, ParseError};

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
    let g = given::Given { spec, args };
    let topic = g.get("topic");
    Ok(match spec.kind {
        CommandKind::Brief => Command::Brief(TopicQuery { topic }),
        CommandKind::Position => given::position(&g)?,
        CommandKind::Actors => Command::Actors(TopicQuery { topic }),
        CommandKind::Timeline => given::timeline(&g)?,
        CommandKind::Experts => Command::Experts(ExpertsQuery {
            topic,
            about: g.get("about"),
        }),
        CommandKind::Compare => given::compare(&g)?,
        CommandKind::Sources => Command::Sources(TopicQuery { topic }),
        CommandKind::Search => Command::Search(SearchQuery {
            query: g.required("query")?,
            topic,
            page: g.page()?,
        }),
        CommandKind::Topics => Command::Topics,
        CommandKind::Place => Command::Place(PlaceQuery { set: g.get("set") }),
        CommandKind::Status => Command::Status,
        CommandKind::Reload => Command::Reload,
        CommandKind::Check => Command::Check,
        CommandKind::Subscribe => given::subscribe(&g)?,
        CommandKind::Unsubscribe => given::unsubscribe(&g)?,
        CommandKind::Schedules => Command::Schedules,
        CommandKind::Preview => Command::Preview(TopicQuery { topic }),
        CommandKind::Edit | CommandKind::Suggest => given::edit(&g)?,
        CommandKind::Approve | CommandKind::Reject => given::decide(&g)?,
        CommandKind::History => Command::History(HistoryQuery {
            card: g.get("card"),
            topic,
        }),
        CommandKind::New => given::new(&g)?,
        CommandKind::Undo => Command::Undo,
        CommandKind::Suggestions => Command::Suggestions,
        CommandKind::Proposals => given::proposals(&g)?,
        CommandKind::Feeds => given::feeds(&g)?,
        CommandKind::Help => Command::Help(HelpQuery {
            command: g.get("command"),
        }),
    })
}

#[cfg(test)]
mod tests;
