//! Which card and entry an edit names: the topic and actor resolved from the library (an
//! actor's name of several words too), the card's current values and content hash for a
//! form, and the replies when a selector names no entry or several.

use super::files::read_card;
use super::state::{Desk, Handles, user_error};
use crate::commands::Ctx;
use crate::edit::apply::{self, ApplyError};
use crate::edit::form::{FormKind, Value};
use crate::edit::{EditRequest, content_hash};
use crate::reply::Reply;
use std::path::PathBuf;

/// The card an edit writes to, and its topic.
#[derive(Clone, Debug)]
pub struct Target {
    pub topic_id: String,
    pub topic_dir: PathBuf,
    /// The card file (absolute).
    pub file: PathBuf,
    /// The actor's display name (positions only).
    pub actor_name: Option<String>,
}

/// A form as it opens: the card's current values and its hash.
#[derive(Clone, Debug)]
pub struct Prefill {
    /// The request as resolved (a person's actor name made whole).
    pub request: EditRequest,
    pub target: Target,
    pub hash: String,
    pub values: Vec<(&'static str, Value)>,
    /// The existing entry the form changes, if it changes one.
    pub entry: Option<apply::Entry>,
}

/// The `edit` line that opens what an edit just wrote, for a door whose forms show only some
/// fields: the latest position of the actor (corrected in place), or the entry as it now is
/// (its key follows its new label). Whether a door shows it is the door's business.
pub(super) fn more_fields(
    req: &EditRequest,
    target: &Target,
    changed: Option<&apply::Entry>,
    after: &str,
) -> Option<String> {
    let topic = &target.topic_id;
    if req.remove {
        return None;
    }
    let actor = target.file.file_stem()?.to_string_lossy();
    if req.kind == FormKind::Position && changed.is_none() {
        return Some(format!("edit correction {actor} topic {topic}"));
    }
    let now = apply::entries(after, req.kind).ok()?;
    let index = changed.map_or(now.len().checked_sub(1)?, |e| e.index);
    let key = &now.get(index)?.key;
    let actor = if req.kind.of_actor() {
        format!("{actor} ")
    } else {
        String::new()
    };
    Some(format!(
        "edit {} {actor}#{key} topic {topic}",
        req.kind.name()
    ))
}

/// Where an edit was made, as a suggestion or a Discord form keeps it: the actor's id for an
/// edit of an actor's card, then `#key` for an existing entry, space-separated.
pub fn card_ref(target: &Target, kind: FormKind, entry: Option<&apply::Entry>) -> String {
    let actor = target
        .file
        .file_stem()
        .filter(|_| kind.of_actor())
        .map(|s| s.to_string_lossy().into_owned());
    let entry = entry.map(|e| format!("#{}", e.key));
    [actor, entry]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The reply when a selector names no entry, or several, or one that changed since a form
/// named it.
pub(super) fn not_found(kind: FormKind, e: ApplyError) -> Reply {
    let title = match &e {
        ApplyError::Ambiguous { .. } => format!("Which {}?", kind.name()),
        ApplyError::NoEntry { .. } => format!("No such {}", kind.name()),
        ApplyError::EntryGone { .. } => format!("That {} changed", kind.name()),
        _ => "This card cannot be edited from chat".into(),
    };
    let how = match kind {
        FormKind::Event => {
            "Name an event by its date and words of its title, e.g. `edit event 2026-02-06 muscat`; `timeline` lists them."
        }
        FormKind::Expert => {
            "Name an expert view by its id or words of the expert's name, e.g. `edit expert trita-parsi`; `experts` lists them."
        }
        FormKind::Person => {
            "Name a person by the actor and words of their name, e.g. `edit person iran araghchi`; `position <actor>` lists the people."
        }
        FormKind::Position => {
            "Name an entry of the history by the actor and its date, e.g. `edit correction iran 2026-03-12`; `position <actor>` lists them under \"How it changed\"."
        }
        _ => {
            "Name a source by its id, e.g. `edit source dawn-muscat-dialogue`; `sources` lists them."
        }
    };
    let mut text = e.to_string();
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    user_error(title, format!("{text}. {how}"))
}

/// The answering context an edit resolves names in.
fn ctx<'a>(h: &Handles<'a>, lib: &'a crate::library::Library) -> Ctx<'a> {
    Ctx {
        library: lib,
        today: h.clock.today(),
        default_topic: h.default_topic,
        service: None,
    }
}

/// The topic `name` means (or the place's, or the only one): its id and folder.
pub(super) fn topic_folder(
    h: &Handles<'_>,
    name: Option<&str>,
) -> Result<(String, PathBuf), Reply> {
    let lib = h.shelf.snapshot();
    let t = ctx(h, &lib).topic(name)?;
    let topic = lib.topic(t);
    Ok((topic.id.clone(), topic.dir.clone()))
}

impl Desk {
    /// Which card a request edits.
    pub fn target(&self, h: &Handles<'_>, req: &EditRequest) -> Result<Target, Reply> {
        let lib = h.shelf.snapshot();
        let ctx = ctx(h, &lib);
        let t = ctx.topic(req.topic.as_deref())?;
        let topic = lib.topic(t);
        // Cards are edited where they are read from; the topic's folder is under our root.
        let dir = topic.dir.clone();
        let (file, actor_name) = match req.kind {
            kind if kind.of_actor() => {
                let Some(name) = req.actor.as_deref() else {
                    return Err(user_error(
                        "Which actor?",
                        if kind == FormKind::Person {
                            "Name the actor whose card the person is on, e.g. `edit person iran`."
                        } else {
                            "Name the actor whose position changes, e.g. `edit position iran`."
                        },
                    ));
                };
                let actor = ctx.actor(t, name)?;
                (
                    dir.join(crate::cards::load::ACTORS_DIR)
                        .join(format!("{}.toml", actor.id)),
                    Some(actor.name.clone()),
                )
            }
            kind => (dir.join(kind.card().unwrap_or_default()), None),
        };
        Ok(Target {
            topic_id: topic.id.clone(),
            topic_dir: dir,
            file,
            actor_name,
        })
    }

    /// The request and the card it edits. A person is named after the actor, so an actor's
    /// name of several words runs into the person's (`person united states rubio`): when the
    /// first word names no actor, up to four more are tried as part of its name.
    pub(super) fn resolve(
        &self,
        h: &Handles<'_>,
        req: &EditRequest,
    ) -> Result<(EditRequest, Target), Reply> {
        let first = match self.target(h, req) {
            Ok(t) => return Ok((req.clone(), t)),
            Err(r) => r,
        };
        let (FormKind::Person, Some(actor), Some(rest)) = (req.kind, &req.actor, &req.entry) else {
            return Err(first);
        };
        let words: Vec<&str> = rest.split_whitespace().take(5).collect();
        for k in 1..=words.len().min(4) {
            let mut r = req.clone();
            r.actor = Some(format!("{actor} {}", words[..k].join(" ")));
            let left: Vec<&str> = rest.split_whitespace().skip(k).collect();
            r.entry = (!left.is_empty()).then(|| left.join(" "));
            if r.entry.is_none() && r.remove {
                continue;
            }
            if let Ok(t) = self.target(h, &r) {
                return Ok((r, t));
            }
        }
        Err(first)
    }

    /// What a form opens with: the latest position for a position edit (nothing for a new
    /// event or source), and the card's hash.
    pub fn prefill(&self, h: &Handles<'_>, req: &EditRequest) -> Result<Prefill, Reply> {
        let (req, target) = self.resolve(h, req)?;
        let req = &req;
        let text = read_card(&target.file).map_err(|e| self.unreadable(&target.file, &e))?;
        let cannot =
            |e: ApplyError| user_error("This card cannot be edited from chat", e.to_string());
        let (values, entry) = match (req.kind, &req.entry) {
            (FormKind::Position, None) => (
                apply::latest_position(&text)
                    .map_err(cannot)?
                    .unwrap_or_default(),
                None,
            ),
            (kind, Some(selector)) => {
                let e = apply::select(&text, kind, selector).map_err(|e| not_found(kind, e))?;
                (e.values.clone(), Some(e))
            }
            (_, None) => (Vec::new(), None),
        };
        Ok(Prefill {
            request: req.clone(),
            target,
            hash: content_hash(&text),
            values,
            entry,
        })
    }
}
