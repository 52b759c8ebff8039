//! `help` and `help <command>`, generated from the command list, and the replies to lines that
//! did not parse: what was wrong and what to type instead.

use super::ctx::user_error;
use crate::commands::parse::{MAX_LINE_CHARS, ParseError};
use crate::commands::spec::{self, COMMANDS};
use crate::reply::{Block, Line, Reply, ReplyKind};
use crate::text::{or_list, truncate_words};

/// `help` and `help <command>`, generated from the command definitions.
pub fn help(command: Option<&str>) -> Reply {
    match command {
        None => {
            let mut r = Reply::new(ReplyKind::Help, "dossier: commands").summary(Line::new(
                "Ask about the briefing topics. Names of actors and topics ignore case and accents; aliases work too.",
            ));
            let public = || COMMANDS.iter().filter(|c| !c.moderator);
            r.bullets(
                "Commands",
                public()
                    .map(|c| Line::new(c.summary).label(c.usage()))
                    .collect(),
            );
            // From the commands' own definitions: the first command's first example, then
            // for each command the first example that shows an argument.
            let first = public().filter_map(|c| c.examples.first()).take(1);
            let with_args = public().filter_map(|c| c.examples.iter().find(|e| e.contains(' ')));
            r.bullets(
                "Examples",
                first.chain(with_args).map(|e| Line::new(*e)).collect(),
            );
            r
        }
        Some(name) => match spec::find(name.trim_start_matches(['/', '!'])) {
            None => parse_error_reply(&ParseError::UnknownCommand {
                name: name.chars().take(32).collect(),
                suggestions: crate::text::did_you_mean(name, COMMANDS.iter().map(|c| c.name), 3),
            }),
            Some(c) => {
                let mut r = Reply::new(ReplyKind::Help, format!("help: {}", c.name))
                    .summary(Line::new(c.summary));
                r.section("Usage", Block::Text(Line::new(c.usage())));
                let args = c
                    .args
                    .iter()
                    .map(|a| {
                        Line::new(format!(
                            "{}{}",
                            a.help,
                            if a.required { " (required)" } else { "" }
                        ))
                        .label(a.name)
                    })
                    .collect();
                r.bullets("Arguments", args);
                r.bullets(
                    "Examples",
                    c.examples.iter().map(|e| Line::new(*e)).collect(),
                );
                if c.kind == spec::CommandKind::Edit {
                    edit_grammar(&mut r);
                }
                if !c.aliases.is_empty() {
                    r.section(
                        "Also answers to",
                        Block::Text(Line::new(c.aliases.join(", "))),
                    );
                }
                r
            }
        },
    }
}

/// `help edit`: how to write the fields of an edit in a message (Matrix, where there are no
/// forms; Discord opens a form instead).
fn edit_grammar(r: &mut Reply) {
    use crate::edit::form::{FormKind, grammar_help};
    r.section(
        "Writing an edit in a message",
        Block::Text(Line::new(
            "Send the command on the first line and one `field: value` per line after it. A line that does not start with a field name continues the field before it. List fields (demands, red lines, signals) take one item per line, each may start with `- `; id lists (sources, actors) take commas. A field you leave out keeps its value; `field:` with nothing after it empties it. Send the command alone to see the current values to copy. Example:\nedit position iran\nstance: Ready to resume talks in Muscat.\ndemands:\n- Sanctions relief first\nsources: dawn-muscat-dialogue",
        )),
    );
    for (heading, kind) in [
        ("Fields of a position", FormKind::Position),
        ("Fields of an event", FormKind::Event),
        ("Fields of a source", FormKind::Source),
        ("Fields of an expert view", FormKind::Expert),
        ("Fields of a person", FormKind::Person),
    ] {
        r.bullets(
            heading,
            grammar_help(kind).into_iter().map(Line::new).collect(),
        );
    }
}

/// The reply to a line that did not parse: what was wrong and what to type instead.
pub fn parse_error_reply(e: &ParseError) -> Reply {
    let usage = |c: &str| spec::find(c).map(|s| s.usage()).unwrap_or_default();
    let mut r = match e {
        ParseError::Empty => user_error(
            "Nothing to answer",
            "Type a command, for example `brief`; `help` lists them all.",
        ),
        ParseError::UnknownCommand { name, suggestions } => {
            let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
            let s = if suggestions.is_empty() {
                format!("The commands are {}.", or_list(&names))
            } else {
                format!(
                    "Did you mean {}? `help` lists every command.",
                    or_list(suggestions)
                )
            };
            user_error(format!("Unknown command “{}”", truncate_words(name, 40)), s)
        }
        ParseError::Missing { command, arg } => user_error(
            format!("`{command}` needs {}", article(arg)),
            format!("Usage: {}", usage(command)),
        ),
        ParseError::BadDate { command, arg, why } => user_error(
            format!("That date for `{arg}` does not work"),
            format!("{}. Usage: {}", truncate_words(why, 200), usage(command)),
        ),
        ParseError::BadPage { command, value } => user_error(
            "Pages are numbered 1, 2, 3…",
            format!(
                "“{}” is not a page number. Usage: {}",
                truncate_words(value, 20),
                usage(command)
            ),
        ),
        ParseError::DateOrder { since, until } => user_error(
            "Those dates are the wrong way round",
            format!(
                "`since {}` is after `until {}`; swap them.",
                since.iso(),
                until.iso()
            ),
        ),
        ParseError::Unexpected { command, text } => user_error(
            format!(
                "`{command}` takes no words like “{}”",
                truncate_words(text, 40)
            ),
            format!("Usage: {}", usage(command)),
        ),
        ParseError::Invalid { command, arg, why } => user_error(
            format!("That `{arg}` does not work"),
            format!("{}. Usage: {}", truncate_words(why, 200), usage(command)),
        ),
        ParseError::TooLong { chars } => user_error(
            "That is too long to answer",
            format!(
                "Commands are at most {MAX_LINE_CHARS} characters; that one has {chars}. Ask in fewer words, e.g. `search hormuz`."
            ),
        ),
    };
    if let ParseError::Missing { command, .. }
    | ParseError::BadDate { command, .. }
    | ParseError::Invalid { command, .. } = e
        && let Some(c) = spec::find(command)
    {
        r.bullets(
            "Examples",
            c.examples.iter().map(|x| Line::new(*x)).collect(),
        );
    }
    r
}

fn article(arg: &str) -> String {
    match arg {
        "actor" => "an actor, e.g. `iran`".into(),
        "first" | "second" => "two actors, e.g. `iran vs united-states`".into(),
        "query" => "some words to look for".into(),
        a => format!("a {a}"),
    }
}
