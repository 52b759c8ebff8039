//! What an edit asks for, as every door and the edit desk name it: its kind, whether it
//! corrects, changes or removes an existing entry (one table, read both ways, gives each
//! action its name), who asks, and the content hash that tells a form its card changed.
//! Plain data and pure functions.

use super::form::FormKind;
use sha2::Digest;

/// What a moderator asked to change.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

/// How an edit touches its kind of entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// A new entry (for a position: a new dated entry of its history).
    Add,
    /// The latest position corrected in place (positions only).
    Correct,
    /// An existing entry changed.
    Change,
    /// An existing entry removed.
    Remove,
}

/// What an edit does: its kind and its verb. The edit log, suggestions and Discord forms keep
/// it by [`Action::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Action {
    pub kind: FormKind,
    pub verb: Verb,
}

impl Action {
    /// Every action there is.
    pub fn all() -> impl Iterator<Item = Action> {
        use FormKind::*;
        [Position, Event, Source, Expert, Person]
            .into_iter()
            .flat_map(|kind| {
                [Verb::Add, Verb::Correct, Verb::Change, Verb::Remove]
                    .into_iter()
                    .map(move |verb| Action { kind, verb })
            })
            .filter(|a| a.verb != Verb::Correct || a.kind == FormKind::Position)
    }

    /// Its name: `position`, `correction`, `change-event`, `remove-source`, …
    pub fn name(self) -> &'static str {
        use FormKind::*;
        match (self.kind, self.verb) {
            (Position, Verb::Add) => "position",
            (Position, Verb::Correct) => "correction",
            (Position, Verb::Change) => "change-position",
            (Position, Verb::Remove) => "remove-position",
            (Event, Verb::Add) => "event",
            (Event, Verb::Change) => "change-event",
            (Event, Verb::Remove) => "remove-event",
            (Source, Verb::Add) => "source",
            (Source, Verb::Change) => "change-source",
            (Source, Verb::Remove) => "remove-source",
            (Expert, Verb::Add) => "expert",
            (Expert, Verb::Change) => "change-expert",
            (Expert, Verb::Remove) => "remove-expert",
            (Person, Verb::Add) => "person",
            (Person, Verb::Change) => "change-person",
            (Person, Verb::Remove) => "remove-person",
            // Only a position is corrected in place; anything else is changed.
            (kind, Verb::Correct) => Action {
                kind,
                verb: Verb::Change,
            }
            .name(),
        }
    }

    /// The action named `name` (see [`Action::name`]).
    pub fn parse(name: &str) -> Option<Action> {
        Action::all().find(|a| a.name() == name)
    }

    /// Whether it corrects the latest position in place.
    pub fn corrects(self) -> bool {
        self.verb == Verb::Correct
    }

    /// Whether it works on an existing entry.
    pub fn existing(self) -> bool {
        matches!(self.verb, Verb::Change | Verb::Remove)
    }

    /// Whether it removes that entry.
    pub fn removes(self) -> bool {
        self.verb == Verb::Remove
    }
}

impl EditRequest {
    /// What the request does, as the edit log and the suggestions name it.
    pub fn action(&self) -> Action {
        // Naming an entry of a position history is what corrects it; only an entry is removed.
        let verb = match (self.entry.is_some(), self.remove, self.correct) {
            (true, true, _) => Verb::Remove,
            (true, false, _) => Verb::Change,
            (false, _, true) if self.kind == FormKind::Position => Verb::Correct,
            (false, _, _) => Verb::Add,
        };
        Action {
            kind: self.kind,
            verb,
        }
    }

    /// Whether the request works on what is already in the card (so a card changed since the
    /// form opened refuses it).
    pub fn edits_existing(&self) -> bool {
        self.kind == FormKind::Position || self.entry.is_some()
    }
}

/// The action a name (see [`Action::name`]) stands for.
pub fn parse_action(action: &str) -> Option<Action> {
    Action::parse(action)
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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Author {
    pub platform: crate::platform::Platform,
    pub id: String,
    pub name: String,
}

impl Author {
    pub fn describe(&self) -> String {
        format!("{} ({}:{})", self.name, self.platform, self.id)
    }
}

#[cfg(test)]
mod action_tests {
    use super::*;

    #[test]
    fn every_action_has_one_name_that_reads_back_as_itself() {
        let all: Vec<Action> = Action::all().collect();
        assert_eq!(all.len(), 16);
        let mut names: Vec<&str> = all.iter().map(|a| a.name()).collect();
        for a in &all {
            assert_eq!(Action::parse(a.name()), Some(*a), "{}", a.name());
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 16);
        assert_eq!(Action::parse("undo"), None);
        assert_eq!(Action::parse(""), None);
    }
}
