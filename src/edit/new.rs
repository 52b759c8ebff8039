//! New cards from templates: the files of a new topic (`topic.toml`, one actor card, an empty
//! timeline, a sources card with one placeholder source, no expert views yet) and a new actor
//! card, each field with a one-line comment saying what it is for, so the file teaches its own
//! format. What is generated passes `dossier check` as it is. Pure: names in, file texts out;
//! writing them is the caller's business.

use chrono::NaiveDate;

/// The longest title or name a template takes; a card's text can be longer, written by hand.
pub const MAX_NAME_CHARS: usize = 120;

/// The placeholder source every template cites until a real one replaces it.
pub const PLACEHOLDER_SOURCE: &str = "replace-me";

/// Why a slug or a name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NewError {
    #[error(
        "`{0}` cannot be a {1} id: use lowercase ASCII letters, digits and single hyphens, starting with a letter, at most 64 characters (e.g. `iran-us-talks`)"
    )]
    BadSlug(String, &'static str),
    #[error("the {0} is empty")]
    Empty(&'static str),
    #[error("the {0} is longer than {MAX_NAME_CHARS} characters")]
    TooLong(&'static str),
    #[error("the {0} has a line break or a control character in it")]
    Control(&'static str),
}

/// A slug as a topic or actor id, or why not. The error quotes at most 40 characters of it.
pub fn slug(s: &str, what: &'static str) -> Result<String, NewError> {
    if crate::text::is_slug(s) {
        Ok(s.to_owned())
    } else {
        Err(NewError::BadSlug(crate::text::truncate_words(s, 40), what))
    }
}

/// A title or name for a template, or why not.
pub fn name(s: &str, what: &'static str) -> Result<String, NewError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(NewError::Empty(what));
    }
    if s.chars().count() > MAX_NAME_CHARS {
        return Err(NewError::TooLong(what));
    }
    if s.chars().any(char::is_control) {
        return Err(NewError::Control(what));
    }
    Ok(s.to_owned())
}

/// `s` as a TOML basic string, escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The files of a new topic, relative to its folder: (path, text).
pub fn topic_files(id: &str, title: &str, today: NaiveDate) -> Vec<(String, String)> {
    let day = today.format("%Y-%m-%d");
    let topic = format!(
        r#"# {id}: a briefing topic, made by `dossier new topic`. Replace every example below with what your
# sources say, cite them by id, then run `dossier check`. The format: briefings/README.md.

# The topic's id: the folder's name, used in commands (`brief topic {id}`).
id = "{id}"
# The title every answer shows.
title = {title}
# Other names people type for it (optional).
aliases = []
# Two or three sentences: where the story stands today.
bottom_line = "Replace with the bottom line: what has happened and where things stand."
# Why a reader should care, in a sentence or two.
why_it_matters = "Replace with why this story matters to your readers."
# The sources behind the bottom line and why it matters (ids from sources.toml).
sources = ["{source}"]
# The actors the brief lists, in this order (ids from actors/; default: all of them).
main_actors = ["example-actor"]
# active, paused, concluded or superseded.
status = "active"
# A line on the status (optional).
status_note = "Just started: the cards are being written."
# The day these cards were last checked against the sources (YYYY-MM-DD).
as_of = "{day}"
# After how many days without a check the cards count as stale (1 to 3650; default 14).
stale_after_days = 14
# Words for search (optional).
tags = []
# The open questions readers should watch (optional).
key_questions = ["Replace with the first question this story raises."]

# What to watch next: one [[watch]] table per item, with an expected date if one is known.
# [[watch]]
# item = "The next round of talks"
# expected = "2026-12"
# sources = ["{source}"]
"#,
        title = quoted(title),
        source = PLACEHOLDER_SOURCE,
    );
    let sources = format!(
        r#"# The sources behind the cards: one [[source]] table each. Every claim cites them by id.

[[source]]
# A short id, used in `sources = [...]` elsewhere.
id = "{PLACEHOLDER_SOURCE}"
# The title as published.
title = "Replace with the title of the first source"
# Who published it.
publisher = "Replace with the publisher"
# Its address (http or https).
url = "https://example.org/replace-with-the-source-url"
# When it was published (YYYY, YYYY-MM or YYYY-MM-DD; optional).
published = "{day}"
# news, analysis, primary, reference, or headline when only the headline was seen.
kind = "news"
# Anything a reader should know about it (optional).
note = "A placeholder from `dossier new`: replace it with a real source."
"#
    );
    let timeline = "# The dated events of the story, oldest first: one [[event]] table each.\n\
# [[event]]\n\
# date = \"2026-02-06\"                 # YYYY, YYYY-MM or YYYY-MM-DD\n\
# title = \"Talks held\"\n\
# detail = \"What happened, in a sentence or two.\"\n\
# actors = [\"example-actor\"]\n\
# verification = \"reported\"          # confirmed, reported, claimed or disputed\n\
# sources = [\"replace-me\"]\n"
        .to_owned();
    let experts = "# Expert views on the story: one [[view]] table each.\n\
# [[view]]\n\
# id = \"jane-doe\"\n\
# name = \"Jane Doe\"\n\
# affiliation = \"An institute\"\n\
# date = \"2026-02-06\"\n\
# summary = \"What she thinks, in your words.\"\n\
# quote = \"A short quote, verbatim.\"  # optional; needs quote_source\n\
# quote_source = \"replace-me\"\n\
# about = [\"example-actor\"]\n\
# sources = [\"replace-me\"]\n"
        .to_owned();
    vec![
        ("topic.toml".into(), topic),
        ("sources.toml".into(), sources),
        ("timeline.toml".into(), timeline),
        ("experts.toml".into(), experts),
        (
            format!("{}/example-actor.toml", crate::cards::load::ACTORS_DIR),
            actor_card("example-actor", "Example actor", today, PLACEHOLDER_SOURCE),
        ),
    ]
}

/// A new actor card citing `source` (an id the topic's sources card has).
pub fn actor_card(id: &str, name: &str, today: NaiveDate, source: &str) -> String {
    let day = today.format("%Y-%m-%d");
    format!(
        r#"# An actor of the story, made by `dossier new actor`. Replace the examples with what your
# sources say, then run `dossier check`.

# The actor's id: the file's name, used in commands (`position {id}`).
id = "{id}"
# The name every answer shows.
name = {name}
# Other names people type for it (optional).
aliases = []
# state, person, organisation or group-of-states.
kind = "state"
# Its part in the story, in a sentence.
role = "Replace with the actor's part in the story."

# Key people (optional): one [[people]] table each.
# [[people]]
# name = "A name"
# role = "Foreign minister"
# as_of = "{day}"
# sources = ["{source}"]

# Its position, as a dated history: add a new [[position]] table when it changes, newest last.
[[position]]
# One line: what it wants, as answers show it.
stance = "Replace with the actor's stance."
# A few sentences in your own words.
summary = "Replace with a summary of the actor's position."
# What it asks for, and where it will not give way (optional).
demands = []
red_lines = []
# What it has done that shows its position (optional).
signals = []
# The day this position was last checked (YYYY-MM-DD).
as_of = "{day}"
# high, medium or low.
confidence = "low"
sources = ["{source}"]
"#,
        name = quoted(name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_names_are_checked() {
        assert_eq!(slug("iran-us-talks", "topic"), Ok("iran-us-talks".into()));
        for bad in [
            "../x",
            "Iran",
            "x--y",
            "-x",
            "",
            "іran",
            "a/b",
            &"a".repeat(65_536),
        ] {
            let e = slug(bad, "topic").unwrap_err();
            assert!(e.to_string().len() < 300, "{e}");
        }
        assert!(name("  ", "title").is_err());
        assert!(name("a\nb", "title").is_err());
        assert!(name(&"x".repeat(121), "title").is_err());
        assert_eq!(
            name(" The \"Delta\" accord ", "title"),
            Ok("The \"Delta\" accord".into())
        );
    }

    #[test]
    fn titles_are_escaped_in_the_toml() {
        let files = topic_files("delta", "A \"quoted\" \\ title", NaiveDate::MIN);
        let topic: toml::Table = toml::from_str(&files[0].1).expect("parses");
        assert_eq!(topic["title"].as_str(), Some("A \"quoted\" \\ title"));
    }
}
