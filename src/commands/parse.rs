//! From what a user typed (or a chat platform's structured options) to a [`Command`]. One
//! grammar for every surface: `position iran`, `/position iran`, `!position iran` and
//! Discord's `{actor: "iran"}` all end up as the same value. No library access here: names are
//! resolved when the command is answered.

use super::spec::{self, ArgKind, CommandSpec};
use crate::date::Date;
use crate::text::did_you_mean;
use std::collections::BTreeMap;

/// The largest page number anyone may ask for.
pub const MAX_PAGE: u32 = 1000;

/// A parsed command, ready to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Brief {
        topic: Option<String>,
    },
    Position {
        actor: String,
        topic: Option<String>,
    },
    Actors {
        topic: Option<String>,
    },
    Timeline {
        topic: Option<String>,
        since: Option<Date>,
        until: Option<Date>,
        actor: Option<String>,
        page: u32,
    },
    Experts {
        topic: Option<String>,
        about: Option<String>,
    },
    /// `second` is `None` when the two names were not separated ("compare iran united states"):
    /// the answer then tries each split of the words.
    Compare {
        first: String,
        second: Option<String>,
        topic: Option<String>,
    },
    Sources {
        topic: Option<String>,
    },
    Search {
        query: String,
        topic: Option<String>,
        page: u32,
    },
    Topics,
    /// Moderators: what is loaded.
    Status,
    Help {
        command: Option<String>,
    },
}

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

/// Parse a typed line. A leading `/` or `!` is accepted.
pub fn parse(line: &str) -> Result<Command, ParseError> {
    let mut words = tokenize(line.trim());
    if words.is_empty() {
        return Err(ParseError::Empty);
    }
    let first = words.remove(0);
    let name = first.trim_start_matches(['/', '!']);
    if name.is_empty() {
        if words.is_empty() {
            return Err(ParseError::Empty);
        }
        // "! position iran"
        let rest = words.join(" ");
        return parse(&rest);
    }
    let Some(spec) = spec::find(name) else {
        let names = spec::COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(&c.name).chain(c.aliases));
        let mut suggestions: Vec<&'static str> = Vec::new();
        for s in did_you_mean(name, names.copied(), 6) {
            if let Some(c) = spec::find(s)
                && !suggestions.contains(&c.name)
            {
                suggestions.push(c.name);
            }
        }
        suggestions.truncate(3);
        return Err(ParseError::UnknownCommand {
            name: name.to_owned(),
            suggestions,
        });
    };
    let args = split_args(spec, &words)?;
    from_args(spec, args)
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
                if !matches!(a.kind, ArgKind::Date | ArgKind::Page) {
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
    let page = || -> Result<u32, ParseError> {
        match get("page") {
            None => Ok(1),
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
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
    let topic = get("topic");
    Ok(match spec.name {
        "brief" => Command::Brief { topic },
        "position" => Command::Position {
            actor: required("actor")?,
            topic,
        },
        "actors" => Command::Actors { topic },
        "timeline" => {
            let (since, until) = (date("since")?, date("until")?);
            if let (Some(s), Some(u)) = (since, until)
                && s.first_day() > u.last_day()
            {
                return Err(ParseError::DateOrder { since: s, until: u });
            }
            Command::Timeline {
                topic,
                since,
                until,
                actor: get("actor"),
                page: page()?,
            }
        }
        "experts" => Command::Experts {
            topic,
            about: get("about"),
        },
        "compare" => {
            let first = required("first")?;
            let second = get("second");
            if second.is_none() && !first.contains(' ') {
                return Err(ParseError::Missing {
                    command: spec.name,
                    arg: "second",
                });
            }
            Command::Compare {
                first,
                second,
                topic,
            }
        }
        "sources" => Command::Sources { topic },
        "search" => Command::Search {
            query: required("query")?,
            topic,
            page: page()?,
        },
        "topics" => Command::Topics,
        "status" => Command::Status,
        _ => Command::Help {
            command: get("command"),
        },
    })
}

fn quoted(s: &str) -> String {
    if s.contains(char::is_whitespace) || s.is_empty() {
        format!("\"{}\"", s.replace('"', ""))
    } else {
        s.to_owned()
    }
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Brief { .. } => "brief",
            Command::Position { .. } => "position",
            Command::Actors { .. } => "actors",
            Command::Timeline { .. } => "timeline",
            Command::Experts { .. } => "experts",
            Command::Compare { .. } => "compare",
            Command::Sources { .. } => "sources",
            Command::Search { .. } => "search",
            Command::Topics => "topics",
            Command::Status => "status",
            Command::Help { .. } => "help",
        }
    }

    /// The canonical line that parses back to this command: used for "next page" hints and
    /// for stateless paging buttons.
    pub fn to_line(&self) -> String {
        let mut s = self.name().to_owned();
        let mut push = |k: &str, v: &str| {
            if k.is_empty() {
                s.push_str(&format!(" {}", quoted(v)));
            } else {
                s.push_str(&format!(" {k} {}", quoted(v)));
            }
        };
        match self {
            Command::Brief { topic } | Command::Actors { topic } | Command::Sources { topic } => {
                if let Some(t) = topic {
                    push("topic", t);
                }
            }
            Command::Position { actor, topic } => {
                push("", actor);
                if let Some(t) = topic {
                    push("topic", t);
                }
            }
            Command::Timeline {
                topic,
                since,
                until,
                actor,
                page,
            } => {
                if let Some(t) = topic {
                    push("topic", t);
                }
                if let Some(d) = since {
                    push("since", &d.iso());
                }
                if let Some(d) = until {
                    push("until", &d.iso());
                }
                if let Some(a) = actor {
                    push("actor", a);
                }
                if *page > 1 {
                    push("page", &page.to_string());
                }
            }
            Command::Experts { topic, about } => {
                if let Some(t) = topic {
                    push("topic", t);
                }
                if let Some(a) = about {
                    push("about", a);
                }
            }
            Command::Compare {
                first,
                second,
                topic,
            } => {
                push("", first);
                if let Some(b) = second {
                    push("vs", b);
                }
                if let Some(t) = topic {
                    push("topic", t);
                }
            }
            Command::Search { query, topic, page } => {
                for w in query.split_whitespace() {
                    push("", w);
                }
                if let Some(t) = topic {
                    push("topic", t);
                }
                if *page > 1 {
                    push("page", &page.to_string());
                }
            }
            Command::Topics | Command::Status => {}
            Command::Help { command } => {
                if let Some(c) = command {
                    push("", c);
                }
            }
        }
        s
    }

    /// The same command showing page `page`, for commands that page.
    pub fn with_page(&self, new: u32) -> Option<Command> {
        let mut c = self.clone();
        match &mut c {
            Command::Timeline { page, .. } | Command::Search { page, .. } => *page = new,
            _ => return None,
        }
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Command {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn surfaces_share_one_grammar() {
        let want = Command::Position {
            actor: "iran".into(),
            topic: None,
        };
        assert_eq!(ok("position iran"), want);
        assert_eq!(ok("/position iran"), want);
        assert_eq!(ok("!POSITION iran"), want);
        assert_eq!(ok("  pos   iran "), want);
        assert_eq!(
            ok("position united states"),
            Command::Position {
                actor: "united states".into(),
                topic: None
            }
        );
    }

    #[test]
    fn keywords_and_positionals() {
        let c = ok("timeline since 2026-02 until 2026-03-01 actor united states page 2");
        let Command::Timeline {
            since,
            until,
            actor,
            page,
            topic,
        } = c
        else {
            panic!()
        };
        assert_eq!(since.unwrap().iso(), "2026-02");
        assert_eq!(until.unwrap().iso(), "2026-03-01");
        assert_eq!(actor.as_deref(), Some("united states"));
        assert_eq!(page, 2);
        assert_eq!(topic, None);
        assert_eq!(
            ok("timeline page=3"),
            Command::Timeline {
                topic: None,
                since: None,
                until: None,
                actor: None,
                page: 3
            }
        );
    }

    #[test]
    fn compare_splits_two_names() {
        let c = |a: &str, b: Option<&str>| Command::Compare {
            first: a.into(),
            second: b.map(Into::into),
            topic: None,
        };
        assert_eq!(
            ok("compare iran united-states"),
            c("iran", Some("united-states"))
        );
        assert_eq!(
            ok("compare iran vs united states"),
            c("iran", Some("united states"))
        );
        assert_eq!(
            ok("compare \"gulf states\" iran"),
            c("gulf states", Some("iran"))
        );
        assert_eq!(
            ok("compare iran united states"),
            c("iran united states", None)
        );
        assert!(matches!(
            parse("compare iran"),
            Err(ParseError::Missing { arg: "second", .. })
        ));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(
            matches!(parse("postion iran"), Err(ParseError::UnknownCommand { ref suggestions, .. }) if suggestions[0] == "position")
        );
        assert!(matches!(
            parse("position"),
            Err(ParseError::Missing { arg: "actor", .. })
        ));
        assert!(matches!(
            parse("timeline since 2026-02-30"),
            Err(ParseError::BadDate { .. })
        ));
        assert!(matches!(
            parse("timeline page 0"),
            Err(ParseError::BadPage { .. })
        ));
        assert!(matches!(
            parse("timeline since 2026-03 until 2026-01"),
            Err(ParseError::DateOrder { .. })
        ));
        assert!(matches!(
            parse("topics iran"),
            Err(ParseError::Unexpected { .. })
        ));
        assert_eq!(parse("   "), Err(ParseError::Empty));
        assert_eq!(parse("/"), Err(ParseError::Empty));
    }

    #[test]
    fn canonical_lines_parse_back() {
        for line in [
            "brief",
            "position \"united states\" topic iran-us-talks",
            "timeline since 2026-02 actor oman page 2",
            "compare iran vs \"gulf states\"",
            "search missile range page 3",
            "experts about israel",
            "help timeline",
        ] {
            let c = ok(line);
            assert_eq!(ok(&c.to_line()), c, "{line} → {}", c.to_line());
        }
    }

    #[test]
    fn quotes_group_words() {
        assert_eq!(tokenize("a \"b c\" 'd e' f"), ["a", "b c", "d e", "f"]);
        assert_eq!(tokenize("don't"), ["don't"]);
        assert_eq!(tokenize("\"\""), [""]);
    }
}
