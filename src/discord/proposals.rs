//! The newsdesk's proposals in the moderators' Discord channel: the Approve, Edit and Reject
//! buttons under each proposal's notice. Approve decides it as `approve proposal N` does; Edit
//! opens the event's form prefilled with the draft, whose submit approves it with the fields as
//! changed; Reject opens a form asking why. Who may press them is the router's call, asked
//! before a form opens and again when it is sent; the ids carry the proposal's number only, so
//! any replica can take the press.

use super::respond::{Outcome, answer_command, discord_asker, message, reply_message};
use super::settings::Settings;
use crate::app::App;
use crate::commands::Command;
use crate::commands::command::DecideQuery;
use crate::edit::form::{FormKind, Value, render_form};
use serenity::all::InputTextStyle;
use serenity::builder::{CreateActionRow, CreateInputText, CreateInteractionResponse, CreateModal};
use serenity::model::application::{ActionRowComponent, ComponentInteraction, ModalInteraction};
use std::sync::Arc;

/// Buttons and forms of proposals: `dossier-proposal|<what>|<number>`.
const PREFIX: &str = "dossier-proposal|";
pub const APPROVE: &str = "approve";
pub const EDIT: &str = "edit";
pub const REJECT: &str = "reject";
/// The forms the Edit and Reject buttons open.
const EDITED: &str = "edited";
const WHY: &str = "why";

/// The event fields the Edit form shows (its sources are the proposal's).
const FIELDS: [&str; 4] = ["date", "title", "detail", "actors"];

/// A button's or form's custom id.
pub fn button_id(what: &str, id: i64) -> String {
    format!("{PREFIX}{what}|{id}")
}

fn parse_id(custom_id: &str) -> Option<(&str, i64)> {
    let (what, n) = custom_id.strip_prefix(PREFIX)?.split_once('|')?;
    Some((what, n.parse().ok().filter(|n: &i64| *n > 0)?))
}

fn decide(id: i64, approve: bool, reason: Option<String>, fields: Option<String>) -> Command {
    let q = DecideQuery {
        id,
        reason,
        what: crate::commands::command::Decides::Proposal,
        fields,
    };
    if approve {
        Command::Approve(q)
    } else {
        Command::Reject(q)
    }
}

fn refused(r: &crate::reply::Reply) -> Outcome {
    Outcome::Respond(CreateInteractionResponse::Message(message(
        &reply_message(r),
        true,
    )))
}

/// A press of one of a proposal's buttons; `None` when the button is not one of those.
pub async fn pressed(app: Arc<App>, s: &Settings, ci: &ComponentInteraction) -> Option<Outcome> {
    let (what, id) = parse_id(&ci.data.custom_id)?;
    let asker = discord_asker(
        ci.channel_id.get(),
        ci.guild_id,
        &ci.user,
        ci.member.as_ref(),
        s,
    );
    let cmd = decide(id, what != REJECT, None, None);
    if let Err(r) = crate::router::permit(&app, &cmd, &asker) {
        return Some(refused(&r));
    }
    match what {
        APPROVE => Some(answer_command(&app, s, cmd, asker, ci.token.clone(), "approve").await),
        EDIT => Some(match crate::router::proposal_draft(&app, id).await {
            Ok(values) => Outcome::Respond(edit_form(id, &values)),
            Err(r) => refused(&r),
        }),
        REJECT => Some(Outcome::Respond(why_form(id))),
        _ => None,
    }
}

fn input(key: &str, label: &str, style: InputTextStyle, value: &str) -> CreateActionRow {
    let max = super::edit::limits::VALUE;
    let mut i = CreateInputText::new(style, label, key)
        // An event may name no actor.
        .required(key != "actors")
        .max_length(max as u16);
    let value: String = value.chars().take(max).collect();
    if !value.is_empty() {
        i = i.value(value);
    }
    CreateActionRow::InputText(i)
}

/// The Edit form: the draft's date, title, detail and actors, to change before approving.
fn edit_form(id: i64, values: &[(&'static str, Value)]) -> CreateInteractionResponse {
    let rows = FIELDS
        .iter()
        .filter_map(|key| {
            let spec = FormKind::Event.field(key)?;
            let value = values
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| match v {
                    Value::Text(t) => t.clone(),
                    Value::List(items) => items.join(", "),
                })
                .unwrap_or_default();
            let style = if *key == "detail" {
                InputTextStyle::Paragraph
            } else {
                InputTextStyle::Short
            };
            let mut label = spec.label.to_owned();
            if let Some(first) = label.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            Some(input(key, &label, style, &value))
        })
        .collect();
    let title: String = format!("Approve proposal #{id}")
        .chars()
        .take(super::edit::limits::TITLE)
        .collect();
    CreateInteractionResponse::Modal(
        CreateModal::new(button_id(EDITED, id), title).components(rows),
    )
}

/// The Reject form: why, for the record.
fn why_form(id: i64) -> CreateInteractionResponse {
    CreateInteractionResponse::Modal(
        CreateModal::new(button_id(WHY, id), format!("Reject proposal #{id}")).components(vec![
            input(
                "why",
                "Why (kept with the decision)",
                InputTextStyle::Paragraph,
                "",
            ),
        ]),
    )
}

/// A submitted Edit or Reject form; `None` when the form is not one of those.
pub async fn submitted(app: Arc<App>, s: &Settings, mi: &ModalInteraction) -> Option<Outcome> {
    let (what, id) = parse_id(&mi.data.custom_id)?;
    let value = |key: &str| {
        mi.data.components.iter().find_map(|row| {
            row.components.iter().find_map(|c| match c {
                ActionRowComponent::InputText(t) if t.custom_id == key => {
                    Some(t.value.clone().unwrap_or_default())
                }
                _ => None,
            })
        })
    };
    let cmd = match what {
        EDITED => {
            let values: Vec<(&'static str, Value)> = FIELDS
                .iter()
                .filter_map(|key| {
                    let v = value(key)?;
                    let v = if *key == "actors" {
                        Value::List(
                            v.split([',', '\n'])
                                .map(str::trim)
                                .filter(|a| !a.is_empty())
                                .map(str::to_owned)
                                .collect(),
                        )
                    } else {
                        Value::Text(v)
                    };
                    Some((*key, v))
                })
                .collect();
            decide(id, true, None, Some(render_form(FormKind::Event, &values)))
        }
        WHY => decide(id, false, value("why"), None),
        _ => return None,
    };
    let asker = discord_asker(
        mi.channel_id.get(),
        mi.guild_id,
        &mi.user,
        mi.member.as_ref(),
        s,
    );
    Some(answer_command(&app, s, cmd, asker, mi.token.clone(), "proposal").await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_junk_is_no_proposal() {
        assert_eq!(parse_id(&button_id(APPROVE, 12)), Some((APPROVE, 12)));
        assert_eq!(parse_id(&button_id(WHY, 3)), Some((WHY, 3)));
        assert_eq!(parse_id("dossier-proposal|approve|-1"), None);
        assert_eq!(parse_id("dossier-proposal|approve|x"), None);
        assert_eq!(parse_id("dossier-approve|1"), None);
    }
}
