//! Suggestions: a member's edit, checked at once like an edit and kept for the moderators
//! (posted to them as a notice), listed with `suggestions`, and approved (applied, credited to
//! both) or rejected, each exactly once.

use super::files::read_card;
use super::state::{Desk, HISTORY_LEN, Handles, MAX_PENDING_SUGGESTIONS, log_failed, user_error};
use super::target::card_ref;
use super::write::change_lines;
use crate::edit::form::{Form, FormKind};
use crate::edit::{Author, EditRequest, content_hash, split_card_ref};
use crate::reply::{Line, Reply, ReplyKind};
use crate::store::edits as log;
use crate::store::edits::Decision;

impl Desk {
    /// Keep a member's suggested edit and put it before the moderators. It is checked first,
    /// so a suggestion that could never be approved is refused at once with the diagnostics.
    pub async fn suggest(
        &self,
        h: &Handles<'_>,
        req: &EditRequest,
        form: &Form,
        by: &Author,
    ) -> Reply {
        let pending = self.log().pending_from(by).await;
        if pending.is_ok_and(|n| n >= MAX_PENDING_SUGGESTIONS) {
            return user_error(
                "Your suggestions are waiting",
                format!(
                    "You have {MAX_PENDING_SUGGESTIONS} suggestions the moderators have not decided yet; send more once they have."
                ),
            );
        }
        let (req, target) = match self.resolve(h, req) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let req = &req;
        let before = match read_card(&target.file) {
            Ok(t) => t,
            Err(e) => return self.unreadable(&target.file, &e),
        };
        let (applied, changed) = match self.applied(h, req, form, &target, &before).await {
            Ok(a) => a,
            Err(mut r) => {
                r.title = r
                    .title
                    .replace("The edit was not written", "The suggestion was not sent");
                return r;
            }
        };
        let suggestion = log::Suggestion {
            id: 0,
            what: req.action(),
            topic: target.topic_id.clone(),
            // The actor's card, and the existing entry by its key.
            actor: Some(card_ref(&target, req.kind, changed.as_ref())).filter(|r| !r.is_empty()),
            base: req.edits_existing().then(|| content_hash(&before)),
            fields: form.to_json(),
            by: by.clone(),
            decision: None,
        };
        let id = match self.log().suggest(&suggestion).await {
            Ok(id) => id,
            Err(e) => return log_failed(&e, "keeping a suggestion"),
        };
        let card = match (&target.actor_name, req.kind) {
            (Some(a), FormKind::Position) => format!("{a}'s position"),
            (Some(a), _) => format!("{a}'s people"),
            (None, kind) => format!("the {}", kind.card_name()),
        };
        let card = match &changed {
            Some(e) => format!(
                "{card} ({} {})",
                if req.remove { "remove" } else { "change" },
                crate::text::truncate_words(&e.label, 60)
            ),
            None => card,
        };
        let changes = change_lines(&applied.changes);
        let detail: String = changes
            .iter()
            .map(|l| format!("{}: {}\n", l.label.as_deref().unwrap_or(""), l.text))
            .collect();
        h.notices.post(crate::service::Notice {
            kind: crate::service::NoticeKind::Suggestion(id),
            title: format!(
                "Suggestion #{id} from {} ({}): {card}",
                by.name, by.platform
            ),
            detail: format!(
                "{detail}\nApprove with `approve {id}` (on Discord, the button), or reject with `reject {id}`."
            ),
        });
        tracing::info!(suggestion = id, by = %by.describe(), "a suggested edit to {card}");
        let mut r = Reply::new(ReplyKind::Answer, format!("Suggestion #{id} sent to the moderators"))
            .summary(Line::new(format!(
                "Thank you. A moderator will approve or reject your change to {card}; nothing changes until then."
            )));
        r.bullets("Your change", changes);
        r.private = true;
        r
    }

    /// `suggestions`: what waits for a decision, oldest first.
    pub async fn pending(&self) -> Reply {
        let found = self.log().pending(HISTORY_LEN).await;
        let (rows, total) = match found {
            Ok(r) => r,
            Err(e) => return log_failed(&e, "reading the suggestions"),
        };
        if rows.is_empty() {
            return Reply::new(ReplyKind::Answer, "No suggestions waiting").summary(Line::new(
                "Members' suggested edits appear here, and in the moderators' channel or room, until someone approves or rejects them.",
            ));
        }
        let lines = rows
            .iter()
            .map(|(s, at)| {
                let kind = s.what.kind;
                let form = Form::from_json(kind, &s.fields);
                let fields: Vec<&str> = form.values.iter().map(|(f, _)| f.label).collect();
                let what = match &s.actor {
                    Some(a) => format!("{} {a}", s.what.name()),
                    None => s.what.name().to_owned(),
                };
                Line::new(format!(
                    "{what} ({}) from {} ({}), {}",
                    fields.join(", "),
                    s.by.name,
                    s.by.platform,
                    at.get(..10).unwrap_or(at)
                ))
                .label(format!("#{}", s.id))
            })
            .collect();
        let mut r = Reply::new(
            ReplyKind::Answer,
            format!("{total} suggestion{} waiting", if total == 1 { "" } else { "s" }),
        )
        .summary(Line::new(
            "Oldest first. `approve N` applies one (checked like an edit), `reject N [reason …]` turns it down.",
        ));
        r.bullets("Waiting", lines);
        r
    }

    /// Approve (apply, credited to both) or reject a suggestion.
    pub async fn decide(
        &self,
        h: &Handles<'_>,
        id: i64,
        approve: bool,
        reason: Option<&str>,
        by: &Author,
    ) -> Reply {
        let found = self.log().suggestion(id).await;
        let s = match found {
            Ok(Some(s)) => s,
            Ok(None) => {
                return user_error(
                    "No such suggestion",
                    format!("There is no suggestion #{id}."),
                );
            }
            Err(e) => return log_failed(&e, "reading a suggestion"),
        };
        if let Some(d) = &s.decision {
            return user_error(
                format!("Suggestion #{id} was already {d}"),
                "Each suggestion is decided once.",
            );
        }
        let record = |decision: Decision, edit: Option<i64>| {
            self.log().decide(id, decision, by, reason, edit)
        };
        if !approve {
            return match record(Decision::Rejected, None).await {
                Ok(true) => Reply::new(ReplyKind::Answer, format!("Suggestion #{id} rejected"))
                    .summary(Line::new(format!(
                        "{}'s suggestion was turned down by {}{}. Nothing was changed.",
                        s.by.name,
                        by.name,
                        reason.map_or(String::new(), |r| format!(": {r}"))
                    ))),
                Ok(false) => user_error(
                    format!("Suggestion #{id} was already decided"),
                    "Each suggestion is decided once.",
                ),
                Err(e) => log_failed(&e, "recording a decision"),
            };
        }
        let (kind, correct, existing, remove) = (
            s.what.kind,
            s.what.corrects(),
            s.what.existing(),
            s.what.removes(),
        );
        let (actor, entry) = split_card_ref(s.actor.as_deref().unwrap_or_default());
        let req = EditRequest {
            kind,
            correct,
            topic: Some(s.topic.clone()),
            actor,
            base: s.base.clone(),
            entry: entry.filter(|_| existing),
            remove,
        };
        let form = Form::from_json(kind, &s.fields);
        let (mut r, edit) = self.apply_inner(h, &req, &form, by, Some(&s.by)).await;
        if r.is_user_error() {
            r.title = format!("Suggestion #{id} could not be applied: {}", r.title);
            return r;
        }
        if let Err(e) = record(Decision::Approved, edit).await {
            tracing::error!(error = %e, "recording a decision failed");
        }
        r.title = format!("Suggestion #{id} approved: {}", r.title);
        if let Some(sum) = &mut r.summary {
            sum.text = format!(
                "Suggested by {} ({}). {}",
                s.by.name, s.by.platform, sum.text
            );
        }
        r
    }
}
