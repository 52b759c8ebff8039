//! The fields of an edit made from chat, and the plain-text grammar for them that Matrix and the
//! terminal use (Discord fills the same fields from a modal):
//!
//! ```text
//! stance: Will talk only about the nuclear file.
//! summary: A paragraph, which may go on
//! over several lines.
//! demands:
//! - Talks to be indirect
//! - Talks in Oman
//! sources: dawn-muscat-dialogue, reuters-far-apart
//! ```
//!
//! A line starts a field when the words before its first `:` name a field of this form
//! (case, spaces, `-` and `_` do not matter); any other line continues the field before it. List
//! fields take one item per line (a leading `-`, `*` or `•` is dropped); id lists also take
//! commas. A field left out keeps its current value; `field:` with nothing after it empties
//! it. One pass over the text, no recursion: a 64 KiB paste costs microseconds.

use crate::text::did_you_mean;

/// The longest edit message or form any door accepts, in bytes. A position's summary is a
/// paragraph or two; Discord's modal caps a text input at 4,000 characters.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// How a field's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One line of text.
    Line,
    /// Text that may span lines (joined with spaces).
    Text,
    /// One item per line.
    List,
    /// Ids, one per line or separated by commas.
    Ids,
    /// Yes or no (`yes`, `no`, `true`, `false`), written as a TOML boolean.
    Flag,
}

/// A field of a form: its TOML key, the name people type, how it is written, and a hint.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub shape: Shape,
    pub hint: &'static str,
    /// Must be given when the entry is new (an event, a source).
    pub required: bool,
}

const fn f(
    key: &'static str,
    label: &'static str,
    shape: Shape,
    required: bool,
    hint: &'static str,
) -> FieldSpec {
    FieldSpec {
        key,
        label,
        shape,
        hint,
        required,
    }
}

/// What an edit changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormKind {
    Position,
    Event,
    Source,
    /// An expert's view, in `experts.toml`.
    Expert,
    /// One of an actor's key people, in the actor's card.
    Person,
}

pub const POSITION_FIELDS: &[FieldSpec] = &[
    f(
        "stance",
        "stance",
        Shape::Line,
        false,
        "the position in one sentence",
    ),
    f(
        "summary",
        "summary",
        Shape::Text,
        false,
        "a short paragraph, in your own words",
    ),
    f("demands", "demands", Shape::List, false, "one per line"),
    f("red_lines", "red lines", Shape::List, false, "one per line"),
    f("signals", "signals", Shape::List, false, "one per line"),
    f(
        "as_of",
        "as of",
        Shape::Line,
        false,
        "the date this position holds from, YYYY-MM-DD (default: today)",
    ),
    f(
        "confidence",
        "confidence",
        Shape::Line,
        false,
        "high, medium or low",
    ),
    f(
        "sources",
        "sources",
        Shape::Ids,
        false,
        "source ids from sources.toml, separated by commas",
    ),
];

pub const EVENT_FIELDS: &[FieldSpec] = &[
    f(
        "date",
        "date",
        Shape::Line,
        true,
        "YYYY-MM-DD (or YYYY-MM when the day is not known)",
    ),
    f(
        "title",
        "title",
        Shape::Line,
        true,
        "what happened, in a few words",
    ),
    f(
        "detail",
        "detail",
        Shape::Text,
        true,
        "a sentence or two, in your own words",
    ),
    f(
        "actors",
        "actors",
        Shape::Ids,
        false,
        "actor ids, separated by commas",
    ),
    f(
        "verification",
        "verification",
        Shape::Line,
        false,
        "confirmed, reported (the default), claimed or disputed",
    ),
    f(
        "sources",
        "sources",
        Shape::Ids,
        true,
        "source ids from sources.toml, separated by commas",
    ),
];

pub const SOURCE_FIELDS: &[FieldSpec] = &[
    f(
        "id",
        "id",
        Shape::Line,
        true,
        "a new lowercase id, e.g. reuters-talks-resume",
    ),
    f("url", "url", Shape::Line, true, "the https:// address"),
    f(
        "title",
        "title",
        Shape::Line,
        true,
        "the headline as published",
    ),
    f("publisher", "publisher", Shape::Line, true, "e.g. Reuters"),
    f(
        "published",
        "published",
        Shape::Line,
        false,
        "YYYY-MM-DD, if known",
    ),
    f(
        "kind",
        "kind",
        Shape::Line,
        false,
        "news (the default), analysis, primary, reference or headline",
    ),
    f(
        "note",
        "note",
        Shape::Text,
        false,
        "anything a reader should know about it",
    ),
];

pub const EXPERT_FIELDS: &[FieldSpec] = &[
    f(
        "id",
        "id",
        Shape::Line,
        false,
        "a lowercase id (default: made from the name)",
    ),
    f("name", "name", Shape::Line, true, "the expert's name"),
    f(
        "affiliation",
        "affiliation",
        Shape::Line,
        true,
        "where they work, e.g. Quincy Institute",
    ),
    f("role", "role", Shape::Line, false, "their title there"),
    f(
        "date",
        "date",
        Shape::Line,
        true,
        "YYYY-MM-DD when the view was given or published",
    ),
    f(
        "reported",
        "reported",
        Shape::Flag,
        false,
        "yes if the date is when the source was published",
    ),
    f(
        "summary",
        "summary",
        Shape::Text,
        true,
        "the view, in your own words",
    ),
    f(
        "quote",
        "quote",
        Shape::Text,
        false,
        "a short verbatim quote, if any",
    ),
    f(
        "quote_source",
        "quote source",
        Shape::Line,
        false,
        "the source id the quote was published in",
    ),
    f(
        "about",
        "about",
        Shape::Ids,
        false,
        "actor ids the view is about, separated by commas",
    ),
    f(
        "sources",
        "sources",
        Shape::Ids,
        true,
        "source ids from sources.toml, separated by commas",
    ),
];

pub const PERSON_FIELDS: &[FieldSpec] = &[
    f("name", "name", Shape::Line, true, "the person's name"),
    f(
        "role",
        "role",
        Shape::Line,
        true,
        "their office or part in the story",
    ),
    f(
        "as_of",
        "as of",
        Shape::Line,
        false,
        "the date the role is known to hold, YYYY-MM-DD (default: today)",
    ),
    f(
        "note",
        "note",
        Shape::Text,
        false,
        "what a reader should know",
    ),
    f(
        "sources",
        "sources",
        Shape::Ids,
        false,
        "source ids from sources.toml, separated by commas",
    ),
];

impl FormKind {
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            FormKind::Position => POSITION_FIELDS,
            FormKind::Event => EVENT_FIELDS,
            FormKind::Source => SOURCE_FIELDS,
            FormKind::Expert => EXPERT_FIELDS,
            FormKind::Person => PERSON_FIELDS,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FormKind::Position => "position",
            FormKind::Event => "event",
            FormKind::Source => "source",
            FormKind::Expert => "expert",
            FormKind::Person => "person",
        }
    }

    /// The card file of a topic this kind of edit writes to; `None` for positions and people,
    /// which are in each actor's card.
    pub fn card(self) -> Option<&'static str> {
        match self {
            FormKind::Position | FormKind::Person => None,
            FormKind::Event => Some("timeline.toml"),
            FormKind::Source => Some("sources.toml"),
            FormKind::Expert => Some("experts.toml"),
        }
    }

    /// What `history` and answers call that card.
    pub fn card_name(self) -> &'static str {
        match self {
            FormKind::Position => "position",
            FormKind::Event => "timeline",
            FormKind::Source => "sources",
            FormKind::Expert => "experts",
            FormKind::Person => "people",
        }
    }

    /// "an event", "a source": for messages.
    pub fn a(self) -> &'static str {
        match self {
            FormKind::Position => "a position",
            FormKind::Event => "an event",
            FormKind::Source => "a source",
            FormKind::Expert => "an expert view",
            FormKind::Person => "a person",
        }
    }

    /// Whether its entries are named by a date first (events; entries of a position history).
    pub fn dated(self) -> bool {
        matches!(self, FormKind::Event | FormKind::Position)
    }

    /// Whether it is written in an actor's card, so an edit names the actor.
    pub fn of_actor(self) -> bool {
        matches!(self, FormKind::Position | FormKind::Person)
    }

    pub fn field(self, key: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.key == key)
    }
}

/// A field's value as given.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    List(Vec<String>),
}

impl Value {
    pub fn as_text(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::List(items) => items.join(", "),
        }
    }
}

/// The fields given, in the order the form lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub values: Vec<(&'static FieldSpec, Value)>,
}

impl Form {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(f, _)| f.key == key)
            .map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The fields as JSON, `{"stance": "…", "demands": ["…"]}`, for keeping a suggestion.
    pub fn to_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = self
            .values
            .iter()
            .map(|(f, v)| {
                (
                    f.key.to_owned(),
                    serde_json::to_value(v).unwrap_or_default(),
                )
            })
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    /// The fields kept by `to_json`; keys the form does not have are dropped.
    pub fn from_json(kind: FormKind, json: &str) -> Form {
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).unwrap_or_default();
        let mut values: Vec<(&'static FieldSpec, Value)> = map
            .into_iter()
            .filter_map(|(k, v)| Some((kind.field(&k)?, serde_json::from_value(v).ok()?)))
            .collect();
        values.sort_by_key(|(f, _)| kind.fields().iter().position(|g| g.key == f.key));
        Form { values }
    }

    /// Set a field from text written in its shape (a modal's input).
    pub fn set(&mut self, spec: &'static FieldSpec, raw: &str) {
        let v = value_of(spec.shape, raw.lines());
        self.values.retain(|(f, _)| f.key != spec.key);
        self.values.push((spec, v));
    }
}

/// Why a form could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormError {
    TooLong {
        bytes: usize,
    },
    /// A line before any field that does not start one.
    NoField {
        line: usize,
        text: String,
        suggestion: Option<&'static str>,
    },
    Repeated {
        line: usize,
        label: &'static str,
    },
    /// A yes-or-no field given something else.
    NotAFlag {
        line: usize,
        label: &'static str,
        text: String,
    },
}

impl FormError {
    pub fn explain(&self, kind: FormKind) -> String {
        let names: Vec<&str> = kind.fields().iter().map(|f| f.label).collect();
        match self {
            FormError::TooLong { bytes } => format!(
                "the edit is {bytes} bytes long; an edit may be at most {} KiB",
                MAX_FORM_BYTES / 1024
            ),
            FormError::NoField {
                line,
                text,
                suggestion,
            } => {
                let hint = suggestion.map_or(String::new(), |s| format!(" Did you mean `{s}:`?"));
                format!(
                    "line {line} (`{text}`) does not start with a field name and follows none. Write one `field: value` per line; a {} has {}.{hint}",
                    kind.name(),
                    names.join(", ")
                )
            }
            FormError::Repeated { line, label } => {
                format!("line {line} gives `{label}` a second time; give each field once")
            }
            FormError::NotAFlag { line, label, text } => {
                format!("line {line}: `{label}` takes yes or no, not `{text}`")
            }
        }
    }
}

/// Fold a field name as typed: lowercase, with spaces, `-` and `_` the same.
fn fold_name(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' | '_' | '\t' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect::<String>()
}

/// The field a line starts, if any, and the text after its colon.
fn field_of(kind: FormKind, line: &str) -> Option<(&'static FieldSpec, &str)> {
    let (name, rest) = line.split_once(':')?;
    // Field names are short: do not fold a whole sentence that happens to hold a colon.
    if name.len() > 24 {
        return None;
    }
    let folded = fold_name(name);
    let spec = kind
        .fields()
        .iter()
        .find(|f| f.key == folded || fold_name(f.label) == folded)?;
    Some((spec, rest))
}

fn item(line: &str) -> &str {
    let t = line.trim();
    t.strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("• "))
        .unwrap_or(t)
        .trim()
}

fn value_of<'a>(shape: Shape, lines: impl Iterator<Item = &'a str>) -> Value {
    match shape {
        Shape::Flag => match value_of(Shape::Line, lines) {
            // Kept as typed when it is neither: the checks then say what the field takes.
            Value::Text(t) => Value::Text(match t.to_ascii_lowercase().as_str() {
                "yes" | "y" | "true" => "true".into(),
                "no" | "n" | "false" => "false".into(),
                _ => t,
            }),
            list => list,
        },
        Shape::Line | Shape::Text => {
            let mut out = String::new();
            for l in lines {
                let l = l.trim();
                if l.is_empty() {
                    continue;
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(l);
            }
            Value::Text(out)
        }
        Shape::List => Value::List(
            lines
                .map(item)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        Shape::Ids => Value::List(
            lines
                .flat_map(|l| l.split([',', ' ', ';']))
                .map(item)
                .filter(|s| !s.is_empty() && *s != "-")
                .map(str::to_owned)
                .collect(),
        ),
    }
}

/// Read the text of an edit message (the lines after the command).
pub fn parse_form(kind: FormKind, text: &str) -> Result<Form, FormError> {
    if text.len() > MAX_FORM_BYTES {
        return Err(FormError::TooLong { bytes: text.len() });
    }
    // (field, its lines), and the line each started on.
    let mut open: Vec<(&'static FieldSpec, Vec<&str>)> = Vec::new();
    let mut started: Vec<usize> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((spec, rest)) = field_of(kind, line) {
            if open.iter().any(|(f, _)| f.key == spec.key) {
                return Err(FormError::Repeated {
                    line: i + 1,
                    label: spec.label,
                });
            }
            open.push((spec, vec![rest]));
            started.push(i + 1);
        } else if let Some((_, lines)) = open.last_mut() {
            lines.push(line);
        } else if !line.trim().is_empty() {
            let name = line.split_once(':').map_or("", |(n, _)| n);
            let suggestion = did_you_mean(
                &fold_name(name).replace('_', " "),
                kind.fields().iter().map(|f| f.label),
                1,
            )
            .first()
            .and_then(|s| kind.fields().iter().find(|f| f.label == *s))
            .map(|f| f.label);
            let text: String = line.trim().chars().take(60).collect();
            return Err(FormError::NoField {
                line: i + 1,
                text,
                suggestion,
            });
        }
    }
    let mut form = Form::default();
    for ((spec, lines), line) in open.into_iter().zip(started) {
        let v = value_of(spec.shape, lines.into_iter());
        if let (Shape::Flag, Value::Text(t)) = (spec.shape, &v)
            && !matches!(t.as_str(), "true" | "false" | "")
        {
            return Err(FormError::NotAFlag {
                line,
                label: spec.label,
                text: t.chars().take(60).collect(),
            });
        }
        form.values.push((spec, v));
    }
    form.values
        .sort_by_key(|(f, _)| kind.fields().iter().position(|g| g.key == f.key));
    Ok(form)
}

/// Write values in the grammar `parse_form` reads: what a moderator copies, changes and sends.
pub fn render_form(kind: FormKind, values: &[(&'static str, Value)]) -> String {
    let mut out = String::new();
    for spec in kind.fields() {
        let Some((_, v)) = values.iter().find(|(k, _)| *k == spec.key) else {
            continue;
        };
        match (spec.shape, v) {
            (Shape::List, Value::List(items)) => {
                out.push_str(spec.label);
                out.push_str(":\n");
                for i in items {
                    out.push_str("- ");
                    out.push_str(i);
                    out.push('\n');
                }
            }
            (_, v) => {
                out.push_str(spec.label);
                out.push_str(": ");
                out.push_str(&v.as_text());
                out.push('\n');
            }
        }
    }
    out
}

/// The grammar, for `help edit`.
pub fn grammar_help(kind: FormKind) -> Vec<String> {
    kind.fields()
        .iter()
        .map(|f| {
            let req = if f.required { " (required)" } else { "" };
            format!("{}: {}{req}", f.label, f.hint)
        })
        .collect()
}

#[cfg(test)]
mod tests;
