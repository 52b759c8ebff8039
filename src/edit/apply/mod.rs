//! Applying a form to a card's text with `toml_edit`: a new `[[position]]` entry (or a
//! correction of the latest one), a new `[[event]]`, `[[source]]` or expert `[[view]]`, a
//! change to an existing one or its removal (found by [`select`]). Only the entry edited is written; the comments, key order and layout of everything else in the file come out as
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
    #[error("no {what} matches `{selector}`{}", close_list(close))]
    NoEntry {
        what: &'static str,
        selector: String,
        close: Vec<String>,
    },
    #[error(
        "`{selector}` matches {} {what}s ({}); name one: {}",
        matches.len(),
        match *what { "event" => "give its date and more of its title", "position" => "give its whole date", _ => "give more of its name" },
        matches.join("; ")
    )]
    Ambiguous {
        what: &'static str,
        selector: String,
        matches: Vec<String>,
    },
    #[error("the {what} changed or went since this was started; look it up again")]
    EntryGone { what: &'static str },
}

fn close_list(close: &[String]) -> String {
    if close.is_empty() {
        String::new()
    } else {
        format!("; the closest: {}", close.join("; "))
    }
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
        Value::Text(t) if shape == Shape::Flag && (t == "true" || t == "false") => {
            toml_edit::value(t == "true")
        }
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

/// The text of a list item: a string, or the `text` of an item that names its own sources
/// (`{ text = "…", sources = […] }`).
fn item_text(v: &toml_edit::Value) -> Option<&str> {
    v.as_str()
        .or_else(|| v.as_inline_table()?.get("text")?.as_str())
}

/// A new list for a field whose old list had items naming their own sources (the chat form
/// shows only their text), so an edit from chat never drops those sources. Each old table is
/// used once: first for the same text at the same place, then for the same text elsewhere (a
/// reordering), then for a new text at the place of an item whose text is no longer in the
/// list (a correction in place).
fn keep_cited(old: Option<&Item>, new: &mut Item) {
    let (Some(old), Some(new)) = (old.and_then(Item::as_array), new.as_array_mut()) else {
        return;
    };
    let old: Vec<&toml_edit::Value> = old.iter().collect();
    if !old.iter().any(|v| v.is_inline_table()) {
        return;
    }
    let old_texts: Vec<Option<&str>> = old.iter().map(|v| item_text(v)).collect();
    let new_texts: Vec<Option<String>> =
        new.iter().map(|v| v.as_str().map(str::to_owned)).collect();
    let cited = |k: usize| old[k].is_inline_table();
    let mut used = vec![false; old.len()];
    let mut kept: Vec<Option<usize>> = vec![None; new_texts.len()];
    for (i, t) in new_texts.iter().enumerate() {
        if i < old.len() && cited(i) && t.as_deref().is_some_and(|t| old_texts[i] == Some(t)) {
            kept[i] = Some(i);
            used[i] = true;
        }
    }
    for (i, t) in new_texts.iter().enumerate() {
        let Some(t) = t.as_deref() else { continue };
        if kept[i].is_some() {
            continue;
        }
        if let Some(k) = (0..old.len()).find(|&k| !used[k] && cited(k) && old_texts[k] == Some(t)) {
            kept[i] = Some(k);
            used[k] = true;
        }
    }
    for (i, t) in new_texts.iter().enumerate() {
        let Some(t) = t.as_deref() else { continue };
        let was_text = old_texts.contains(&Some(t));
        if kept[i].is_none() && i < old.len() && cited(i) && !used[i] && !was_text {
            kept[i] = Some(i);
            used[i] = true;
        }
    }
    for ((v, k), t) in new.iter_mut().zip(kept).zip(new_texts) {
        let (Some(k), Some(t)) = (k, t) else { continue };
        let Some(mut table) = old[k].as_inline_table().cloned() else {
            continue;
        };
        table.insert("text", t.as_str().into());
        let decor = v.decor().clone();
        *v = toml_edit::Value::InlineTable(table);
        *v.decor_mut() = decor;
    }
}

/// A field's current value as text (lists joined one per line), if it has one.
fn shown(item: Option<&Item>) -> Option<String> {
    let item = item?;
    if let Some(s) = item.as_str() {
        return Some(s.to_owned());
    }
    if let Some(b) = item.as_bool() {
        return Some(b.to_string());
    }
    let a = item.as_array()?;
    Some(
        a.iter()
            .filter_map(item_text)
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
                Shape::Flag => Value::Text(item.as_bool()?.to_string()),
                Shape::List | Shape::Ids => Value::List(
                    item.as_array()?
                        .iter()
                        .filter_map(|v| item_text(v).map(str::to_owned))
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
            let mut item = item_for(spec.shape, v);
            keep_cited(table.get(spec.key), &mut item);
            // A comment after the old value stays after the new one.
            if let (Some(new), Some(old)) = (
                item.as_value_mut(),
                table.get(spec.key).and_then(Item::as_value),
            ) {
                *new.decor_mut() = old.decor().clone();
            }
            table.insert(spec.key, item);
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

/// Append a new entry (an `[[event]]` to the timeline, a `[[source]]` to the sources, a
/// `[[view]]` to the expert views, a `[[people]]` entry to an actor's card).
pub fn append(text: &str, kind: FormKind, form: &Form, today: &str) -> Result<Applied, ApplyError> {
    let (key, what) = (entries_key(kind), kind.a());
    // An expert view's id is made from the name unless one is given.
    let mut form = form.clone();
    if kind == FormKind::Expert
        && form.get("id").is_none_or(|v| form_text(v).is_empty())
        && let Some(name) = form.get("name").map(form_text)
        && let Some(spec) = kind.field("id")
    {
        form.set(spec, &crate::text::slugify(&name));
        form.values
            .sort_by_key(|(f, _)| kind.fields().iter().position(|g| g.key == f.key));
    }
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
    // Defaults for what the cards require but a form may leave out.
    let default = match kind {
        FormKind::Source => Some(("kind", "news")),
        FormKind::Event => Some(("verification", "reported")),
        FormKind::Person => Some(("as_of", today)),
        FormKind::Position | FormKind::Expert => None,
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
        Some(_) => return Err(ApplyError::Shape { key }),
    }
    let mut text = doc.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(Applied { text, changes })
}

/// The key a card keeps its entries of this kind under.
fn entries_key(kind: FormKind) -> &'static str {
    match kind {
        FormKind::Event => "event",
        FormKind::Source => "source",
        FormKind::Expert => "view",
        FormKind::Person => "people",
        FormKind::Position => "position",
    }
}

/// An existing entry of a card (an `[[event]]`, `[[source]]`, expert `[[view]]` or
/// `[[people]]` entry), as [`select`] finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its place among the card's entries of this kind, in file order.
    pub index: usize,
    /// How people know it: an event's date and title, a source's id and title, an expert
    /// view's id and name, a person's name.
    pub label: String,
    /// A short name for it while its identity is unchanged (8 hex digits of a hash of its
    /// label): what a Discord form carries, written `#key` as a selector.
    pub key: String,
    /// What a form for it opens with.
    pub values: Vec<(&'static str, Value)>,
}

fn text_of(t: &Table, key: &str) -> String {
    t.get(key)
        .and_then(Item::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The card's entries of this kind, in file order.
pub fn entries(text: &str, kind: FormKind) -> Result<Vec<Entry>, ApplyError> {
    let doc = parse(text)?;
    let key = entries_key(kind);
    let list = match doc.get(key) {
        None => return Ok(Vec::new()),
        Some(Item::ArrayOfTables(a)) => a,
        Some(_) => return Err(ApplyError::Shape { key }),
    };
    Ok(list
        .iter()
        .enumerate()
        .map(|(index, t)| {
            let label = match kind {
                FormKind::Source => format!("{}: {}", text_of(t, "id"), text_of(t, "title")),
                FormKind::Expert => format!("{}: {}", text_of(t, "id"), text_of(t, "name")),
                FormKind::Person => text_of(t, "name"),
                FormKind::Position => format!("{} {}", text_of(t, "as_of"), text_of(t, "stance")),
                _ => format!("{} {}", text_of(t, "date"), text_of(t, "title")),
            };
            Entry {
                index,
                key: super::content_hash(&label)[..8].to_owned(),
                label,
                values: entry_values(kind, t),
            }
        })
        .collect())
}

/// The longest selector looked up: longer than any title, and short enough that "did you
/// mean" costs nothing.
pub const MAX_SELECTOR: usize = 300;

/// Whether `token` is written like a date or the start of one (`2026`, `2026-02`,
/// `2026-02-06`).
pub fn is_date_prefix(token: &str) -> bool {
    token.len() >= 4
        && token.len() <= 10
        && token.bytes().take(4).all(|b| b.is_ascii_digit())
        && token.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

/// Find the one entry a selector names:
/// - `#key`, the short key a form carries;
/// - for a source or an expert view, its id, or words of its id and title (or name);
/// - for a person, words of their name;
/// - for an entry of a position history, its `as_of` date or the start of one, then words of
///   its stance;
/// - for an event, its date or the start of one, then words of its title (each word the start
///   of a title word: `2026-02 muscat talks`), or words of its title alone.
///
/// No entry, or several, is an error that lists the closest or the candidates. One pass over
/// the entries per selector word: a long selector costs its length times the card's size.
pub fn select(text: &str, kind: FormKind, selector: &str) -> Result<Entry, ApplyError> {
    let what = kind.name();
    let selector = selector.trim();
    if selector.len() > MAX_SELECTOR {
        return Err(ApplyError::NoEntry {
            what,
            selector: crate::text::truncate_words(selector, 60),
            close: Vec::new(),
        });
    }
    let all = entries(text, kind)?;
    if let Some(key) = selector.strip_prefix('#') {
        return all
            .into_iter()
            .find(|e| e.key == key)
            .ok_or(ApplyError::EntryGone { what });
    }
    if matches!(kind, FormKind::Source | FormKind::Expert)
        && let Some(e) = all.iter().position(|e| {
            e.values
                .iter()
                .any(|(k, v)| *k == "id" && *v == Value::Text(selector.to_owned()))
        })
    {
        return Ok(all[e].clone());
    }
    let mut tokens = selector.split_whitespace();
    let (date, rest) = match tokens.clone().next() {
        Some(t) if kind.dated() && is_date_prefix(t) => {
            tokens.next();
            (Some(t), tokens.collect::<Vec<_>>().join(" "))
        }
        _ => (None, selector.to_owned()),
    };
    let wanted: Vec<String> = crate::text::words(&rest).collect();
    let matches: Vec<&Entry> = all
        .iter()
        .filter(|e| {
            let (head, tail) = if kind.dated() {
                e.label.split_once(' ').unwrap_or((&e.label, ""))
            } else {
                ("", e.label.as_str())
            };
            if date.is_some_and(|d| !head.starts_with(d)) {
                return false;
            }
            let words: Vec<String> = crate::text::words(tail).collect();
            wanted
                .iter()
                .all(|w| words.iter().any(|t| t.starts_with(w.as_str())))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let labels: Vec<&str> = all.iter().map(|e| e.label.as_str()).collect();
            Err(ApplyError::NoEntry {
                what,
                selector: crate::text::truncate_words(selector, 60),
                close: crate::text::did_you_mean(selector, labels, 3)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            })
        }
        many => {
            // A title given whole picks its event out of others that share its words.
            let exact: Vec<&&Entry> = many
                .iter()
                .filter(|e| {
                    let tail = e.label.split_once(' ').map_or("", |(_, t)| t);
                    kind.dated() && crate::text::fold(tail) == crate::text::fold(&rest)
                })
                .collect();
            if let [one] = exact.as_slice() {
                return Ok((**one).clone());
            }
            Err(ApplyError::Ambiguous {
                what,
                selector: crate::text::truncate_words(selector, 60),
                matches: many.iter().take(10).map(|e| e.label.clone()).collect(),
            })
        }
    }
}

/// The card's entries of this kind, to change, when the one at `index` is still there.
fn entries_mut(
    doc: &mut DocumentMut,
    kind: FormKind,
    index: usize,
) -> Result<&mut ArrayOfTables, ApplyError> {
    doc.get_mut(entries_key(kind))
        .and_then(Item::as_array_of_tables_mut)
        .filter(|a| index < a.len())
        .ok_or(ApplyError::EntryGone { what: kind.name() })
}

/// Change an existing entry (found by [`select`]) in place: fields the form gives are set,
/// `field:` left empty removes an optional field, the rest keep their values and layout.
pub fn amend(text: &str, kind: FormKind, index: usize, form: &Form) -> Result<Applied, ApplyError> {
    let mut doc = parse(text)?;
    let Some(table) = entries_mut(&mut doc, kind, index)?.get_mut(index) else {
        return Err(ApplyError::EntryGone { what: kind.name() });
    };
    let mut changes = Vec::new();
    set_fields(kind, table, form, &mut changes);
    if changes.is_empty() {
        return Err(ApplyError::NoChange);
    }
    let emptied: Vec<&'static str> = kind
        .fields()
        .iter()
        .filter(|f| f.required && table.get(f.key).is_none())
        .map(|f| f.label)
        .collect();
    if !emptied.is_empty() {
        return Err(ApplyError::Missing {
            what: kind.a(),
            fields: emptied,
        });
    }
    Ok(Applied {
        text: doc.to_string(),
        changes,
    })
}

/// Remove an existing entry (found by [`select`]); the comments above it go with it.
pub fn remove(text: &str, kind: FormKind, entry: &Entry) -> Result<Applied, ApplyError> {
    let mut doc = parse(text)?;
    let list = entries_mut(&mut doc, kind, entry.index)?;
    list.remove(entry.index);
    if list.is_empty() {
        doc.remove(entries_key(kind));
    }
    Ok(Applied {
        text: doc.to_string(),
        changes: vec![Change {
            label: "removed",
            before: None,
            after: entry.label.clone(),
        }],
    })
}

#[cfg(test)]
mod tests;
