//! What an edit asks for, as every door and the edit desk name it: its kind, whether it
//! corrects, changes or removes an existing entry (one table, read both ways, gives each
//! action its name), who asks, and the content hash that tells a form its card changed.
//! Plain data and pure functions.

use super::form::FormKind;
use sha2::Digest;

/// What a moderator asked to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditRequest {
    pub kind: FormKind,
    /// Correct the latest position in place instead of adding a dated entry.
    pub correct: bool,
    pub topic: Option<String>,
    /// The actor whose position changes (positions only).
    pub actor: Option<String>,
    /// The card's content hash when the form was opened: a changed card refuses the edit.
    pub base: Option<String>,
    /// An existing event, source, expert view or person to change (or remove), named as
    /// [`apply::select`] takes it; `None` adds a new one.
    pub entry: Option<String>,
    /// Remove that entry instead of changing it.
    pub remove: bool,
}

/// Every action an edit can be, by the name the edit log, suggestions and Discord forms keep:
/// its kind, whether it corrects the latest position, whether it works on an existing entry,
/// and whether it removes it.
const ACTIONS: &[(&str, FormKind, bool, bool, bool)] = &[
    ("position", FormKind::Position, false, false, false),
    ("correction", FormKind::Position, true, false, false),
    ("change-position", FormKind::Position, false, true, false),
    ("remove-position", FormKind::Position, false, true, true),
    ("event", FormKind::Event, false, false, false),
    ("change-event", FormKind::Event, false, true, false),
    ("remove-event", FormKind::Event, false, true, true),
    ("source", FormKind::Source, false, false, false),
    ("change-source", FormKind::Source, false, true, false),
    ("remove-source", FormKind::Source, false, true, true),
    ("expert", FormKind::Expert, false, false, false),
    ("change-expert", FormKind::Expert, false, true, false),
    ("remove-expert", FormKind::Expert, false, true, true),
    ("person", FormKind::Person, false, false, false),
    ("change-person", FormKind::Person, false, true, false),
    ("remove-person", FormKind::Person, false, true, true),
];

impl EditRequest {
    /// What the request does, as the edit log and the suggestions name it (see [`ACTIONS`]).
    pub fn action(&self) -> &'static str {
        // Naming an entry of a position history is what corrects it; only an entry is removed.
        let existing = self.entry.is_some();
        let correct = self.correct && !existing;
        let remove = self.remove && existing;
        ACTIONS
            .iter()
            .find(|a| a.1 == self.kind && a.2 == correct && a.3 == existing && a.4 == remove)
            .map_or(self.kind.name(), |a| a.0)
    }

    /// Whether the request works on what is already in the card (so a card changed since the
    /// form opened refuses it).
    pub fn edits_existing(&self) -> bool {
        self.kind == FormKind::Position || self.entry.is_some()
    }
}

/// The kind, correction, change and removal an action name (see [`EditRequest::action`])
/// stands for.
pub fn parse_action(action: &str) -> Option<(FormKind, bool, bool, bool)> {
    ACTIONS
        .iter()
        .find(|a| a.0 == action)
        .map(|&(_, kind, correct, existing, remove)| (kind, correct, existing, remove))
}

/// The content hash of a card's text, as forms carry it: 16 hex digits of its SHA-256.
pub fn content_hash(text: &str) -> String {
    let d = sha2::Sha256::digest(text.as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The actor and the entry's `#key` a [`card_ref`] names.
pub fn split_card_ref(r: &str) -> (Option<String>, Option<String>) {
    let mut actor = None;
    let mut entry = None;
    for word in r.split_whitespace() {
        if word.starts_with('#') {
            entry = Some(word.to_owned());
        } else {
            actor = Some(word.to_owned());
        }
    }
    (actor, entry)
}

/// Who made an edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub platform: String,
    pub id: String,
    pub name: String,
}

impl Author {
    pub fn describe(&self) -> String {
        format!("{} ({}:{})", self.name, self.platform, self.id)
    }
}
