//! Applying a form to a card's text with `toml_edit`: a new `[[position]]` entry (or a
//! correction of the latest one), a new `[[event]]`, a new `[[source]]`. Only the entry edited
//! is written; the comments, key order and layout of everything else in the file come out as
//! they went in. Pure: text in, text out, plus what changed, so it is tested without a disk.

use super::form::{Form, FormKind, Shape, Value};
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table};

/// One field's change, for the reply and the edit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub label: &'static str,
    pub before: Option<String>,
    pub after: String,
}

/// Why a form could not be applied to the card (before any check of the result).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApplyError {
    #[error("the card is not valid TOML ({0}); fix it by hand first, then edit from chat")]
    Unreadable(String),
    #[error("the card has no position to correct; leave out `correct` to add the first one")]
    NothingToCorrect,
    #[error("{what} needs {}: add {} to the edit", list(fields), lines(fields))]
    Missing {
        what: &'static str,
        fields: Vec<&'static str>,
    },
    #[error("the edit changes nothing: every field given already has that value")]
    NoChange,
    #[error(
        "the card has `{key}` in a form dossier cannot edit (expected a list of tables); edit the file by hand"
    )]
    Shape { key: &'static str },
}

fn list(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn lines(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| format!("`{f}: …`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The result of applying a form: the card's new text and what changed.
#[derive(Debug)]
pub struct Applied {
    pub text: String,
    pub changes: Vec<Change>,
}

fn parse(text: &str) -> Result<DocumentMut, ApplyError> {
    text.parse::<DocumentMut>()
        .map_err(|e| ApplyError::Unreadable(e.message().to_owned()))
}

/// A TOML value for a field, laid out the way the bundled cards are: lists of text one item
/// per line, lists of ids on one line.
fn item_for(shape: Shape, v: &Value) -> Item {
    match v {
        Value::Text(t) => toml_edit::value(t.as_str()),
        Value::List(items) => {
            let mut a: Array = items.iter().map(String::as_str).collect();
            if shape == Shape::List && !items.is_empty() {
                for v in a.iter_mut() {
                    v.decor_mut().set_prefix("\n  ");
                }
                a.set_trailing_comma(true);
                a.set_trailing("\n");
            }
            Item::Value(toml_edit::Value::Array(a))
        }
    }
}

/// A field's current value as text (lists joined one per line), if it has one.
fn shown(item: Option<&Item>) -> Option<String> {
    let item = item?;
    if let Some(s) = item.as_str() {
        return Some(s.to_owned());
    }
    let a = item.as_array()?;
    Some(
        a.iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn form_text(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        Value::List(items) => items.join("\n"),
    }
}

/// The values of a card entry, in the form's grammar: what a form opens with.
pub fn entry_values(kind: FormKind, table: &Table) -> Vec<(&'static str, Value)> {
    kind.fields()
        .iter()
        .filter_map(|spec| {
            let item = table.get(spec.key)?;
            let v = match spec.shape {
                Shape::Line | Shape::Text => Value::Text(item.as_str()?.to_owned()),
                Shape::List | Shape::Ids => Value::List(
                    item.as_array()?
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                ),
            };
            Some((spec.key, v))
        })
        .collect()
}

/// The latest `[[position]]` (or the single `[position]`) of an actor card's text.
pub fn latest_position(text: &str) -> Result<Option<Vec<(&'static str, Value)>>, ApplyError> {
    let doc = parse(text)?;
    Ok(match doc.get("position") {
        Some(Item::ArrayOfTables(a)) => {
            a.iter().last().map(|t| entry_values(FormKind::Position, t))
        }
        Some(Item::Table(t)) => Some(entry_values(FormKind::Position, t)),
        _ => None,
    })
}

/// Set the form's fields on `table`, recording what changed.
fn set_fields(kind: FormKind, table: &mut Table, form: &Form, changes: &mut Vec<Change>) {
    for (spec, v) in &form.values {
        if kind.field(spec.key).is_none() {
            continue;
        }
        let before = shown(table.get(spec.key));
        let after = form_text(v);
        if before.as_deref() == Some(after.as_str()) || before.is_none() && after.is_empty() {
            continue;
        }
        if after.is_empty() {
            table.remove(spec.key);
        } else {
            table.insert(spec.key, item_for(spec.shape, v));
        }
        changes.push(Change {
            label: spec.label,
            before,
            after,
        });
    }
}

/// Add a dated entry to an actor's position history, starting from the latest entry (fields
/// the form leaves out keep their values; `as_of` defaults to `today`), or correct the latest
/// entry in place. A card with a single `[position]` table becomes a `[[position]]` history.
pub fn position(
    text: &str,
    form: &Form,
    correct: bool,
    today: &str,
) -> Result<Applied, ApplyError> {
    let mut doc = parse(text)?;
    let mut changes = Vec::new();
    let existing = doc.remove("position");
    let mut history = match existing {
        Some(Item::ArrayOfTables(a)) => a,
        Some(Item::Table(t)) => {
            let mut a = ArrayOfTables::new();
            a.push(t);
            a
        }
        None => ArrayOfTables::new(),
        Some(_) => return Err(ApplyError::Shape { key: "position" }),
    };
    if correct {
        let Some(last) = history.iter_mut().last() else {
            return Err(ApplyError::NothingToCorrect);
        };
        set_fields(FormKind::Position, last, form, &mut changes);
    } else {
        let mut entry = Table::new();
        // Keys in the order the cards use, whatever the previous entry had.
        if let Some(prev) = history.iter().last() {
            for spec in FormKind::Position.fields() {
                if let Some(item) = prev.get(spec.key) {
                    entry.insert(spec.key, item.clone());
                }
            }
        }
        // Copies keep their values: a new entry's changes are the fields the form gives.
        let mut form = form.clone();
        if form.get("as_of").is_none() {
            let spec = FormKind::Position
                .field("as_of")
                .expect("as_of is a position field");
            form.values.push((spec, Value::Text(today.to_owned())));
        }
        set_fields(FormKind::Position, &mut entry, &form, &mut changes);
        entry.set_position(None);
        history.push(entry);
    }
    if changes.is_empty() || changes.iter().all(|c| c.label == "as of") && !correct {
        return Err(ApplyError::NoChange);
    }
    doc.insert("position", Item::ArrayOfTables(history));
    Ok(Applied {
        text: doc.to_string(),
        changes,
    })
}

/// Append a new entry (an `[[event]]` to the timeline, a `[[source]]` to the sources).
pub fn append(text: &str, kind: FormKind, form: &Form) -> Result<Applied, ApplyError> {
    let (key, what) = match kind {
        FormKind::Event => ("event", "an event"),
        FormKind::Source => ("source", "a source"),
        FormKind::Position => ("position", "a position"),
    };
    let missing: Vec<&'static str> = kind
        .fields()
        .iter()
        .filter(|f| f.required && form.get(f.key).is_none_or(|v| form_text(v).is_empty()))
        .map(|f| f.label)
        .collect();
    if !missing.is_empty() {
        return Err(ApplyError::Missing {
            what,
            fields: missing,
        });
    }
    let mut doc = parse(text)?;
    let mut form = form.clone();
    // Defaults for what the cards require but a form may leave out.
    let default = match kind {
        FormKind::Source => Some(("kind", "news")),
        FormKind::Event => Some(("verification", "reported")),
        FormKind::Position => None,
    };
    if let Some((key, value)) = default
        && form.get(key).is_none_or(|v| form_text(v).is_empty())
    {
        let spec = kind.field(key).expect("a field of this form");
        form.values.retain(|(f, _)| f.key != key);
        form.values.push((spec, Value::Text(value.into())));
        form.values
            .sort_by_key(|(f, _)| kind.fields().iter().position(|g| g.key == f.key));
    }
    let mut entry = Table::new();
    let mut changes = Vec::new();
    set_fields(kind, &mut entry, &form, &mut changes);
    match doc.get_mut(key) {
        Some(Item::ArrayOfTables(a)) => a.push(entry),
        None => {
            let mut a = ArrayOfTables::new();
            a.push(entry);
            doc.insert(key, Item::ArrayOfTables(a));
        }
        Some(_) => {
            return Err(ApplyError::Shape {
                key: if key == "event" { "event" } else { "source" },
            });
        }
    }
    let mut text = doc.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(Applied { text, changes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::form::parse_form;

    const ACTOR: &str = r#"# Iran's card. Keep this comment.
id = "iran"
name = "Iran"   # an aligned comment
kind = "state"
role = "A party."

[[people]]
name = "A"
role = "B"
as_of = "2026-02"

# The first position.
[[position]]
stance = "Old stance."
summary = """A summary \
over lines."""
demands = [
  "One",
  "Two",
]
as_of = "2026-02-05"
confidence = "medium"
sources = ["dawn"]
"#;

    #[test]
    fn a_new_position_keeps_every_other_line_and_comment() {
        let form =
            parse_form(FormKind::Position, "stance: New stance.\ndemands:\n- Three").unwrap();
        let out = position(ACTOR, &form, false, "2026-11-26").unwrap();
        // Every line of the card before the edit is still there, in order, unchanged.
        let before: Vec<&str> = ACTOR.lines().collect();
        let after: Vec<&str> = out.text.lines().collect();
        assert_eq!(&after[..before.len()], &before[..], "{}", out.text);
        let added = after[before.len()..].join("\n");
        assert!(added.contains("[[position]]"), "{added}");
        assert!(added.contains("stance = \"New stance.\""), "{added}");
        assert!(added.contains("as_of = \"2026-11-26\""), "{added}");
        assert!(added.contains("\"Three\""), "{added}");
        assert!(added.contains("confidence = \"medium\""), "{added}");
        let labels: Vec<&str> = out.changes.iter().map(|c| c.label).collect();
        assert_eq!(labels, ["stance", "demands", "as of"]);
        assert_eq!(out.changes[0].before.as_deref(), Some("Old stance."));
        // And it reads back as the latest position.
        let latest = latest_position(&out.text).unwrap().unwrap();
        assert!(latest.contains(&("stance", Value::Text("New stance.".into()))));
    }

    #[test]
    fn a_correction_changes_the_latest_entry_in_place() {
        let form = parse_form(FormKind::Position, "confidence: high").unwrap();
        let out = position(ACTOR, &form, true, "2026-11-26").unwrap();
        assert_eq!(out.text, ACTOR.replace("\"medium\"", "\"high\""));
        assert_eq!(
            out.changes,
            vec![Change {
                label: "confidence",
                before: Some("medium".into()),
                after: "high".into()
            }]
        );
    }

    #[test]
    fn nothing_new_is_refused() {
        let form = parse_form(FormKind::Position, "stance: Old stance.").unwrap();
        assert_eq!(
            position(ACTOR, &form, false, "2026-11-26").unwrap_err(),
            ApplyError::NoChange
        );
    }

    #[test]
    fn a_single_position_table_becomes_a_history() {
        let single = "id = \"x\"\n\n[position]\nstance = \"S\"\nas_of = \"2026-01-01\"\n";
        let form = parse_form(FormKind::Position, "stance: T").unwrap();
        let out = position(single, &form, false, "2026-11-26").unwrap();
        let doc: toml::Table = toml::from_str(&out.text).unwrap();
        let h = doc["position"].as_array().unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0]["stance"].as_str(), Some("S"));
        assert_eq!(h[1]["stance"].as_str(), Some("T"));
    }

    #[test]
    fn events_and_sources_are_appended_with_what_they_need() {
        let timeline = "# The timeline.\n\n[[event]]\ndate = \"2026-01-01\"\ntitle = \"T\"\n";
        let form = parse_form(
            FormKind::Event,
            "date: 2026-10-01\ntitle: Talks resume\ndetail: They met.\nactors: iran, oman\nverification: reported\nsources: x",
        )
        .unwrap();
        let out = append(timeline, FormKind::Event, &form).unwrap();
        assert!(out.text.starts_with(timeline), "{}", out.text);
        assert!(
            out.text.contains("actors = [\"iran\", \"oman\"]"),
            "{}",
            out.text
        );
        let form = parse_form(FormKind::Event, "title: Only a title").unwrap();
        let e = append(timeline, FormKind::Event, &form).unwrap_err();
        assert_eq!(
            e.to_string(),
            "an event needs `date`, `detail`, `sources`: add `date: …`, `detail: …`, `sources: …` to the edit"
        );
        let form = parse_form(
            FormKind::Source,
            "id: new-one\nurl: https://example.org/a\ntitle: A\npublisher: P",
        )
        .unwrap();
        let out = append("", FormKind::Source, &form).unwrap();
        assert!(
            out.text.contains("[[source]]\nid = \"new-one\""),
            "{}",
            out.text
        );
        assert!(out.text.contains("kind = \"news\""), "{}", out.text);
    }
}
