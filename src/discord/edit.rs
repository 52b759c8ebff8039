//! Edits from Discord: `/edit` answers with a modal (a form of at most five text inputs)
//! prefilled from the card; submitting it applies the edit through the core's edit desk. The
//! modal's custom id carries what is edited and the card's content hash when the form opened,
//! so any instance can take the submit, and a card changed meanwhile is refused.

use super::respond::{
    self, Answering, Outcome, discord_asker, message, reply_message, respond_or_defer,
};
use super::settings::Settings;
use crate::app::App;
use crate::commands::command::EditQuery;
use crate::desk::Prefill;
use crate::edit::EditRequest;
use crate::edit::form::{Form, FormKind, Value};
use crate::schedule::Destination;
use serenity::all::InputTextStyle;
use serenity::builder::{CreateActionRow, CreateInputText, CreateInteractionResponse, CreateModal};
use serenity::model::application::{ActionRowComponent, ComponentInteraction, ModalInteraction};
use std::sync::Arc;

/// Custom ids of edit modals start with this.
pub const MODAL_PREFIX: &str = "dossier-edit|";
/// A suggestion's modal: the same form, kept for the moderators instead of written.
pub const SUGGEST_PREFIX: &str = "dossier-suggest|";
/// The buttons under a suggestion in the moderators' channel.
pub const APPROVE_PREFIX: &str = "dossier-approve|";
pub const REJECT_PREFIX: &str = "dossier-reject|";

/// Discord's documented limits for modals.
pub mod limits {
    /// Text inputs in one modal.
    pub const INPUTS: usize = 5;
    /// A modal's title and an input's label.
    pub const TITLE: usize = 45;
    pub const LABEL: usize = 45;
    /// An input's value.
    pub const VALUE: usize = 4000;
    /// A custom id.
    pub const CUSTOM_ID: usize = 100;
}

/// A modal shows at most five inputs, so an entry's fields come in two forms. The first is
/// what `/edit` opens; fields it leaves out keep their values (positions) or take their
/// defaults (an event's verification, a source's kind). The second, for an entry that exists,
/// opens from the "More fields" button under the edit's answer.
fn modal_fields(kind: FormKind, page: Page) -> &'static [&'static str] {
    match (kind, page) {
        (FormKind::Position, Page::First) => {
            &["stance", "summary", "demands", "red_lines", "sources"]
        }
        (FormKind::Position, Page::More) => &["signals", "as_of", "confidence"],
        (FormKind::Event, Page::First) => &["date", "title", "detail", "actors", "sources"],
        (FormKind::Event, Page::More) => &["verification"],
        (FormKind::Source, Page::First) => &["id", "url", "title", "publisher", "published"],
        (FormKind::Source, Page::More) => &["kind", "note"],
        // An expert view's id is made from the name; it is changed in the file or on Matrix.
        (FormKind::Expert, Page::First) => &["name", "affiliation", "date", "summary", "sources"],
        (FormKind::Expert, Page::More) => &["role", "reported", "quote", "quote_source", "about"],
        (FormKind::Person, Page::First) => &["name", "role", "as_of", "note", "sources"],
        (FormKind::Person, Page::More) => &[],
    }
}

/// Which of an entry's two forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    First,
    More,
}

fn user_error(title: &str, text: String) -> CreateInteractionResponse {
    respond::short(title, &text)
}

/// The custom id of a modal for this edit: what, topic, the actor or the existing entry's key,
/// and the card's hash; `|more` ends the second form's.
pub fn custom_id(req: &EditRequest, p: &Prefill) -> String {
    custom_id_with(MODAL_PREFIX, req, p, Page::First)
}

fn custom_id_with(prefix: &str, req: &EditRequest, p: &Prefill, page: Page) -> String {
    let actor = crate::desk::card_ref(&p.target, req.kind, p.entry.as_ref());
    format!(
        "{prefix}{}|{}|{}|{}{}",
        req.action().name(),
        p.target.topic_id,
        actor,
        p.hash,
        if page == Page::More { "|more" } else { "" }
    )
}

/// The request a modal's custom id stands for, and which of its forms it is.
pub fn request_of(custom_id: &str) -> Option<(EditRequest, Page)> {
    let rest = custom_id
        .strip_prefix(MODAL_PREFIX)
        .or_else(|| custom_id.strip_prefix(SUGGEST_PREFIX))?;
    let mut parts = rest.split('|');
    let (what, topic, actor, hash) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let page = match parts.next() {
        None => Page::First,
        Some("more") => Page::More,
        Some(_) => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    let action = crate::edit::Action::parse(what)?;
    let (kind, correct, existing, remove) = (
        action.kind,
        action.corrects(),
        action.existing(),
        action.removes(),
    );
    let (actor, entry) = crate::edit::split_card_ref(actor);
    if remove || existing != entry.is_some() || kind.of_actor() != actor.is_some() {
        return None;
    }
    // The second form only changes what exists: a position's latest entry, or an entry.
    if page == Page::More && !(correct || existing) {
        return None;
    }
    Some((
        EditRequest {
            kind,
            correct,
            topic: Some(topic.to_owned()),
            actor,
            base: Some(hash.to_owned()),
            entry,
            remove: false,
        },
        page,
    ))
}

fn prefilled(kind: FormKind, key: &str, values: &[(&'static str, Value)]) -> String {
    let shape = kind.field(key).map(|f| f.shape);
    match values.iter().find(|(k, _)| *k == key).map(|(_, v)| v) {
        Some(Value::Text(t)) => t.clone(),
        Some(Value::List(items)) if shape == Some(crate::edit::form::Shape::Ids) => {
            items.join(", ")
        }
        Some(Value::List(items)) => items.join("\n"),
        None => String::new(),
    }
}

/// The response to `/edit` (or `/suggest`, when `suggest`): the modal, or why it cannot open.
pub fn open(
    app: &App,
    q: &EditQuery,
    suggest: bool,
    place: &Destination,
) -> CreateInteractionResponse {
    open_page(app, q, suggest, Page::First, place)
}

/// The modal of one of the edit's two forms.
pub fn open_page(
    app: &App,
    q: &EditQuery,
    suggest: bool,
    page: Page,
    place: &Destination,
) -> CreateInteractionResponse {
    let p = match crate::router::prefill(app, &q.request, Some(place)) {
        Ok(p) => p,
        Err(r) => return CreateInteractionResponse::Message(message(&reply_message(&r), true)),
    };
    let id = custom_id_with(
        if suggest {
            SUGGEST_PREFIX
        } else {
            MODAL_PREFIX
        },
        &p.request,
        &p,
        page,
    );
    if id.len() > limits::CUSTOM_ID {
        return user_error(
            "This card cannot be edited in a Discord form",
            format!(
                "Its topic and actor ids are too long for a form's id ({} of {} characters). Edit it from Matrix or in the file.",
                id.len(),
                limits::CUSTOM_ID
            ),
        );
    }
    let kind = q.request.kind;
    let mut rows = Vec::new();
    for key in modal_fields(kind, page).iter().take(limits::INPUTS) {
        let Some(spec) = kind.field(key) else {
            continue;
        };
        let value = prefilled(kind, key, &p.values);
        if value.chars().count() > limits::VALUE {
            return user_error(
                "This card cannot be edited in a Discord form",
                format!(
                    "Its {} is longer than a form field holds ({} characters). Edit it from Matrix or in the file.",
                    spec.label,
                    limits::VALUE
                ),
            );
        }
        let style = match spec.shape {
            crate::edit::form::Shape::Line
            | crate::edit::form::Shape::Ids
            | crate::edit::form::Shape::Flag => InputTextStyle::Short,
            _ => InputTextStyle::Paragraph,
        };
        let label: String = {
            let mut l = spec.label.to_owned();
            if let Some(first) = l.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            if matches!(spec.shape, crate::edit::form::Shape::List) {
                l.push_str(" (one per line)");
            }
            l.chars().take(limits::LABEL).collect()
        };
        let required =
            page == Page::First && (spec.required || matches!(*key, "stance" | "summary"));
        let mut input = CreateInputText::new(style, label, spec.key)
            .required(required)
            .max_length(limits::VALUE as u16)
            .placeholder(spec.hint.chars().take(100).collect::<String>());
        if !value.is_empty() {
            input = input.value(value);
        }
        rows.push(CreateActionRow::InputText(input));
    }
    let title = match (&p.target.actor_name, kind, q.request.correct, &p.entry) {
        (Some(a), FormKind::Person, _, Some(e)) => format!("{a}: {}", e.label),
        (Some(a), FormKind::Person, _, None) => format!("New person: {a}"),
        (Some(a), FormKind::Position, _, Some(e)) => format!(
            "Correct {a}: {}",
            e.label.split(' ').next().unwrap_or_default()
        ),
        (Some(a), _, true, _) => format!("Correct {a}'s position"),
        (Some(a), _, false, _) => format!("New position: {a}"),
        (None, FormKind::Event, _, Some(e)) => format!("Change: {}", e.label),
        (None, FormKind::Source, _, Some(e)) => format!("Change source: {}", e.label),
        (None, FormKind::Expert, _, Some(e)) => format!("Change view: {}", e.label),
        (None, FormKind::Expert, _, None) => "Add an expert view".into(),
        (None, FormKind::Event, _, None) => "Add an event".into(),
        _ => "Add a source".into(),
    };
    let title = match (suggest, page) {
        (true, _) => format!("Suggest: {title}"),
        (false, Page::More) => format!("More: {title}"),
        (false, Page::First) => title,
    };
    let title: String = title.chars().take(limits::TITLE).collect();
    CreateInteractionResponse::Modal(CreateModal::new(id, title).components(rows))
}

/// The form a submitted modal carries: the inputs of the form it was, no others.
pub fn form_of(kind: FormKind, page: Page, mi: &ModalInteraction) -> Form {
    let mut form = Form::default();
    for row in &mi.data.components {
        for c in &row.components {
            if let ActionRowComponent::InputText(t) = c
                && let Some(spec) = kind.field(&t.custom_id)
                && modal_fields(kind, page).contains(&spec.key)
            {
                form.set(spec, t.value.as_deref().unwrap_or(""));
            }
        }
    }
    form
}

/// A submitted edit modal: checked, written and answered with what changed.
pub async fn submit(app: Arc<App>, s: &Settings, mi: ModalInteraction) -> Outcome {
    let Some((req, page)) = request_of(&mi.data.custom_id) else {
        return Outcome::Respond(user_error(
            "This form no longer works",
            "Run `/edit` again.".into(),
        ));
    };
    let suggest = mi.data.custom_id.starts_with(SUGGEST_PREFIX);
    let form = form_of(req.kind, page, &mi);
    // The router refuses an edit from anyone the operator has not named.
    let asker = discord_asker(
        mi.channel_id.get(),
        mi.guild_id,
        &mi.user,
        mi.member.as_ref(),
        s,
    );
    let worker = app.clone();
    let work: Answering = app.tasks.spawn(async move {
        let mut reply = crate::router::submit_form(&worker, &req, &form, &asker, suggest).await;
        // "More fields" only where the kind has a second form.
        if modal_fields(req.kind, Page::More).is_empty() {
            reply.more_fields = None;
        }
        (
            reply.is_user_error() || reply.private,
            reply_message(&reply),
        )
    });
    respond_or_defer(s, work, mi.token.clone(), false, "edit").await
}

/// Approve or Reject under a suggestion in the moderators' channel: `None` if the button is
/// not one of those.
pub async fn decide(app: Arc<App>, s: &Settings, ci: &ComponentInteraction) -> Option<Outcome> {
    let id = &ci.data.custom_id;
    let (approve, n) = if let Some(n) = id.strip_prefix(APPROVE_PREFIX) {
        (true, n)
    } else {
        (false, id.strip_prefix(REJECT_PREFIX)?)
    };
    let Ok(n) = n.parse::<i64>() else {
        return Some(Outcome::Respond(user_error(
            "This button no longer works",
            "Use `/approve` or `/reject` with the suggestion's number.".into(),
        )));
    };
    let cmd = if approve {
        crate::commands::Command::Approve(crate::commands::command::DecideQuery {
            id: n,
            reason: None,
            what: crate::commands::command::Decides::Suggestion,
            fields: None,
        })
    } else {
        crate::commands::Command::Reject(crate::commands::command::DecideQuery {
            id: n,
            reason: None,
            what: crate::commands::command::Decides::Suggestion,
            fields: None,
        })
    };
    let asker = discord_asker(
        ci.channel_id.get(),
        ci.guild_id,
        &ci.user,
        ci.member.as_ref(),
        s,
    );
    Some(respond::answer_command(&app, s, cmd, asker, ci.token.clone(), "approve").await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_modal_id_round_trips_and_junk_is_refused() {
        let (req, page) =
            request_of("dossier-edit|correction|iran-us-talks|iran|0123456789abcdef").unwrap();
        assert_eq!((req.kind, page), (FormKind::Position, Page::First));
        assert!(req.correct);
        assert_eq!(req.actor.as_deref(), Some("iran"));
        assert_eq!(req.base.as_deref(), Some("0123456789abcdef"));
        let (req, _) = request_of("dossier-edit|event|t||h").unwrap();
        assert_eq!((req.kind, req.actor), (FormKind::Event, None));
        // A change to an existing entry carries its key; a removal never comes from a form.
        let (req, page) = request_of("dossier-edit|change-event|t|#1a2b3c4d|h|more").unwrap();
        assert_eq!(
            (req.kind, req.entry.as_deref(), req.actor, req.remove, page),
            (FormKind::Event, Some("#1a2b3c4d"), None, false, Page::More)
        );
        // The second form is only for what exists.
        assert!(request_of("dossier-edit|event|t||h|more").is_none());
        assert!(request_of("dossier-edit|position|t|iran|h|more").is_none());
        assert!(request_of("dossier-edit|correction|t|iran|h|more").is_some());
        assert!(request_of("dossier-edit|change-source|t||h").is_none());
        assert!(request_of("dossier-edit|remove-source|t|#1a2b3c4d|h").is_none());
        assert!(request_of("dossier-edit|rename|t|a|h").is_none());
        assert!(request_of("dossier-edit|event|t|a|h|extra").is_none());
        assert!(request_of("dossier-edit|event|t|a|h|more|extra").is_none());
        // A person is on an actor's card: both are named.
        let (req, _) = request_of("dossier-edit|change-person|t|iran #1a2b3c4d|h").unwrap();
        assert_eq!(
            (req.actor.as_deref(), req.entry.as_deref()),
            (Some("iran"), Some("#1a2b3c4d"))
        );
        assert!(request_of("dossier-edit|change-person|t|#1a2b3c4d|h").is_none());
        assert!(request_of("dossier-edit|person|t||h").is_none());
        assert!(request_of("page:brief").is_none());
    }

    #[test]
    fn every_modal_fits_discords_limits_and_every_field_is_on_one() {
        for kind in [
            FormKind::Position,
            FormKind::Event,
            FormKind::Source,
            FormKind::Expert,
            FormKind::Person,
        ] {
            let mut seen = Vec::new();
            for page in [Page::First, Page::More] {
                let fields = modal_fields(kind, page);
                assert!(fields.len() <= limits::INPUTS);
                assert!(page == Page::More || !fields.is_empty());
                for f in fields {
                    let spec = kind.field(f).expect("a field of the form");
                    assert!(spec.label.len() + " (one per line)".len() <= limits::LABEL);
                    assert!(!seen.contains(f), "{f} is on both forms");
                    seen.push(*f);
                }
            }
            let mut all: Vec<&str> = kind
                .fields()
                .iter()
                .map(|f| f.key)
                // Made from the name.
                .filter(|k| !(kind == FormKind::Expert && *k == "id"))
                .collect();
            all.sort_unstable();
            seen.sort_unstable();
            assert_eq!(seen, all, "every field of a {} is on a form", kind.name());
        }
    }
}
