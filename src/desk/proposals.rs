//! The newsdesk's proposals before the moderators: listed (`proposals`), shown, approved and
//! rejected. Approving one writes its draft (`newsdesk::draft`: the event, and its headline
//! sources) through the desk's one path: both cards checked together with the whole topic,
//! written, committed as one commit authored by the approving moderator, logged as one edit
//! that `undo` reverts whole, and reloaded. A proposal is decided once: the store's decision
//! is claimed after the check and before anything is written, so of two moderators (on two
//! replicas) exactly one approves, and a write that fails opens it again.

use super::files::read_card;
use super::state::{Desk, Handles, user_error};
use super::write::{CardWrite, Described, change_lines, committed_note, reloaded};
use crate::commands::command::Decides;
use crate::edit::apply::{self, ApplyError};
use crate::edit::form::{Form, FormKind};
use crate::edit::{Action, Author, EditRequest, Verb};
use crate::newsdesk::draft::{Draft, draft};
use crate::newsdesk::proposals::Proposal;
use crate::reply::{Line, Reply, ReplyKind};
use crate::store::edits::Logged;
use crate::store::news::{NewsError, NewsStore, StoredProposal};
use std::collections::{HashMap, HashSet};

/// How many open proposals `proposals` lists.
const LISTED: usize = 10;

fn store_failed(e: &NewsError, doing: &str) -> Reply {
    if matches!(e, NewsError::Unavailable(_)) {
        tracing::warn!(error = %e, "{doing} waits for the database");
        return user_error(
            "The newsdesk is paused for a moment",
            "Its proposals are in the database the replicas share, which cannot be reached just now. Nothing was changed; try again in a minute.",
        );
    }
    tracing::error!(error = %e, "{doing} failed");
    user_error(
        "The newsdesk's proposals could not be read",
        "Nothing was changed; the error has been logged for the operators.",
    )
}

fn no_newsdesk() -> Reply {
    user_error(
        "The newsdesk is not set up here",
        "Proposals come from the topics' `feeds.toml`, polled by `dossier serve` or `dossier desk poll --config …` into the config's state.",
    )
}

/// "Proposal #3 was already approved by Ana (matrix:@ana:example.org) on 2026-10-09: why".
fn already(s: &StoredProposal) -> Reply {
    user_error(
        format!("Proposal #{} was already {}", s.id, s.state),
        format!(
            "{}{}{}. Each proposal is decided once; nothing was changed.",
            s.decided_by
                .as_deref()
                .map_or(String::new(), |b| format!("Decided by {b}")),
            s.decided_at
                .map_or(String::new(), |t| format!(" on {}", t.format("%Y-%m-%d"))),
            s.reason
                .as_deref()
                .map_or(String::new(), |r| format!(": {r}")),
        ),
    )
}

/// A proposal as moderators read it: what happened, when, who is named, and its numbered
/// sources; how to decide it.
pub fn proposal_reply(id: i64, p: &Proposal) -> Reply {
    let confidence = p.confidence.explained();
    let mut r = Reply::new(
        ReplyKind::Answer,
        format!(
            "Proposal #{id}: {}",
            crate::text::truncate_words(&p.title, 200)
        ),
    )
    .summary(Line::new(format!(
        "A new event for {} dated {}{} ({confidence}), from the news feeds. It matched {}.",
        p.topic,
        p.date.format("%-d %b %Y"),
        if p.undated {
            " (when it was first seen: the feeds gave no date)"
        } else {
            ""
        },
        if p.named.is_empty() {
            "the topic's words".to_owned()
        } else {
            p.named.join(", ")
        }
    )));
    if !p.actors.is_empty() {
        r.bullets("Actors", vec![Line::new(p.actors.join(", "))]);
    }
    r.bullets(
        "Sources (headlines only)",
        p.sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Line::new(format!(
                    "{}: \"{}\", {}, {}",
                    s.outlet,
                    crate::text::truncate_words(&s.title, 200),
                    s.date.format("%-d %b %Y"),
                    s.url
                ))
                .label(format!("{}", i + 1))
            })
            .collect(),
    );
    r.bullets(
        "Decide",
        vec![
            Line::new(format!(
                "`approve proposal {id}` adds it to the timeline as it stands; `field: value` lines after it (title, date, detail, actors, verification) change the draft first."
            )),
            Line::new(format!(
                "`reject proposal {id} <why>` turns it down; the same story is never proposed again."
            )),
        ],
    );
    r
}

/// The notice that puts proposal `id` before the moderators: the title says which, the detail
/// what matched and its numbered sources, and how to decide it on every platform. A Matrix
/// reaction finds the proposal by the title's "Proposal #N".
pub fn notice(id: i64, p: &Proposal) -> crate::service::Notice {
    let confidence = p.confidence.explained();
    let mut detail = format!(
        "A new event for {}, dated {}{} ({confidence}).\nMatched: {}\n",
        p.topic,
        p.date.format("%-d %b %Y"),
        if p.undated {
            ", the day it was first seen"
        } else {
            ""
        },
        p.named.join(", ")
    );
    if !p.actors.is_empty() {
        detail.push_str(&format!("Actors: {}\n", p.actors.join(", ")));
    }
    for (i, s) in p.sources.iter().enumerate() {
        detail.push_str(&format!(
            "[{}] {}: \"{}\", {}\n    {}\n",
            i + 1,
            s.outlet,
            crate::text::truncate_words(&s.title, 200),
            s.date.format("%-d %b %Y"),
            s.url
        ));
    }
    detail.push_str(&format!(
        "\nApprove: `approve proposal {id}` (with `field: value` lines after it to change the title, date, detail or actors first), the Approve or Edit button on Discord, or a ✅ reaction on Matrix. Reject: `reject proposal {id} <why>`, or the Reject button."
    ));
    crate::service::Notice {
        kind: crate::service::NoticeKind::Proposal(id),
        title: format!(
            "Proposal #{id}: {}",
            crate::text::truncate_words(&p.title, 180)
        ),
        detail,
    }
}

/// The proposal a notice's title names ("Proposal #12: …"), if it names one.
pub fn named_in(title: &str) -> Option<i64> {
    let rest = title.trim_start().strip_prefix("Proposal #")?;
    let digits: String = rest
        .chars()
        .take_while(char::is_ascii_digit)
        .take(18)
        .collect();
    rest[digits.len()..]
        .starts_with(':')
        .then(|| digits.parse().ok())
        .flatten()
}

impl Desk {
    fn news_store(&self) -> Result<&dyn NewsStore, Reply> {
        self.news.as_deref().ok_or_else(no_newsdesk)
    }

    /// An open proposal, its store and its body; or the reply that says why not (it is not
    /// there, or decided already).
    async fn open_one(&self, id: i64) -> Result<(&dyn NewsStore, StoredProposal, Proposal), Reply> {
        let news = self.news_store()?;
        let (stored, p) = self.stored(id).await?;
        if stored.state != "open" {
            return Err(already(&stored));
        }
        Ok((news, stored, p))
    }

    /// What `approve N` or `reject N` without a word decides: the suggestion numbered N when it
    /// waits, else the proposal numbered N when it waits, else the suggestion (whose answer
    /// says it was decided); both waiting, the reply that asks which.
    pub async fn numbered(&self, id: i64) -> Result<Decides, Reply> {
        let suggestion = match self.log().suggestion(id).await {
            Ok(s) => s.map(|s| s.decision.is_none()),
            Err(_) => None,
        };
        let proposal = match self.news.as_deref() {
            Some(n) => match n.proposal(id).await {
                Ok(p) => p.map(|p| p.state == "open"),
                Err(_) => None,
            },
            None => None,
        };
        // Some(true): it waits; Some(false): it was decided; None: there is none.
        match (suggestion, proposal) {
            (Some(true), Some(true)) => Err(user_error(
                format!("Suggestion #{id} and proposal #{id} are both waiting"),
                format!(
                    "Say which: `approve suggestion {id}` or `approve proposal {id}` (and `reject …` the same way). Nothing was changed."
                ),
            )),
            (Some(true), _) => Ok(Decides::Suggestion),
            (_, Some(true)) | (None, Some(false)) => Ok(Decides::Proposal),
            _ => Ok(Decides::Suggestion),
        }
    }

    /// A kept proposal and its body; or the reply that says why not.
    async fn stored(&self, id: i64) -> Result<(StoredProposal, Proposal), Reply> {
        let news = self.news_store()?;
        let stored = match news.proposal(id).await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return Err(user_error(
                    "No such proposal",
                    format!("There is no proposal #{id}; `proposals` lists the open ones."),
                ));
            }
            Err(e) => return Err(store_failed(&e, "reading a proposal")),
        };
        match serde_json::from_str::<Proposal>(&stored.body) {
            Ok(p) => Ok((stored, p)),
            Err(e) => {
                tracing::error!(proposal = id, error = %e, "a kept proposal does not read");
                Err(user_error(
                    "That proposal cannot be read",
                    "It was kept by another version of dossier; the error has been logged for the operators.",
                ))
            }
        }
    }

    /// `proposals`: the open ones, newest first.
    pub async fn proposals(&self, topic: Option<&str>) -> Reply {
        let news = match self.news_store() {
            Ok(n) => n,
            Err(r) => return r,
        };
        let open = match news.proposals(topic, false, LISTED + 1).await {
            Ok(o) => o,
            Err(e) => return store_failed(&e, "listing the proposals"),
        };
        if open.is_empty() {
            return Reply::new(ReplyKind::Answer, "No proposals waiting").summary(Line::new(
                "The newsdesk proposes new timeline events from the topics' news feeds (`feeds.toml`); they appear here, and in the moderators' channel or room, until someone approves or rejects them.",
            ));
        }
        let more = open.len() > LISTED;
        let lines = open
            .iter()
            .take(LISTED)
            .map(|s| {
                let line = match serde_json::from_str::<Proposal>(&s.body) {
                    Ok(p) => format!(
                        "{} {}: {} ({} source{}: {})",
                        p.topic,
                        p.date.format("%Y-%m-%d"),
                        crate::text::truncate_words(&p.title, 160),
                        p.sources.len(),
                        if p.sources.len() == 1 { "" } else { "s" },
                        p.outlets().join(", ")
                    ),
                    Err(_) => format!("{} (cannot be read)", s.topic),
                };
                Line::new(line).label(format!("#{}", s.id))
            })
            .collect();
        let mut r = Reply::new(
            ReplyKind::Answer,
            format!(
                "{}{} proposal{} waiting",
                if more { "More than " } else { "" },
                open.len().min(LISTED),
                if open.len() == 1 { "" } else { "s" }
            ),
        )
        .summary(Line::new(
            "Newest first. `proposal N` shows one with its sources; `approve proposal N` adds it to the timeline, `reject proposal N <why>` turns it down.",
        ));
        r.bullets("Waiting", lines);
        r
    }

    /// `proposal N`: one proposal, with its sources and how to decide it.
    pub async fn show_proposal(&self, id: i64) -> Reply {
        match self.stored(id).await {
            Ok((s, p)) if s.state == "open" => proposal_reply(id, &p),
            Ok((s, p)) => {
                let mut r = proposal_reply(id, &p);
                r.sections.retain(|x| x.heading != "Decide");
                r.title = format!("{} ({})", r.title, s.state);
                r
            }
            Err(r) => r,
        }
    }

    /// The event an approval of proposal `id` would write, as a form's values: what the
    /// Discord form opens with.
    pub async fn proposal_draft(&self, h: &Handles<'_>, id: i64) -> Result<Form, Reply> {
        let (_, _, p) = self.open_one(id).await?;
        let (cited, taken) = self.cited(h, &p.topic)?;
        Ok(draft(&p, &cited, &taken, &Form::default()).event)
    }

    /// The canonical address → id of every source of `topic`, and every source id it uses.
    fn cited(
        &self,
        h: &Handles<'_>,
        topic: &str,
    ) -> Result<(HashMap<String, String>, HashSet<String>), Reply> {
        let lib = h.shelf.snapshot();
        let Some(t) = lib.topic_index(topic) else {
            return Err(user_error(
                "That topic is not served",
                format!(
                    "The proposal is for the topic {topic}, which the served cards do not have."
                ),
            ));
        };
        let sources = &lib.topic(t).sources;
        Ok((
            sources
                .iter()
                .filter_map(|s| Some((crate::newsdesk::canon::canonical(&s.url)?, s.id.clone())))
                .collect(),
            sources.iter().map(|s| s.id.clone()).collect(),
        ))
    }

    /// Turn proposal `id` down; the same story is never proposed again.
    pub async fn reject_proposal(&self, id: i64, why: &str, by: &Author) -> Reply {
        let why = why.trim();
        if why.is_empty() {
            return user_error(
                "Say why",
                format!(
                    "Send `reject proposal {id} <why>`: the reason is kept with the decision, so the moderators can tune the feeds' words."
                ),
            );
        }
        let why = crate::text::truncate_words(why, 500);
        let (news, _, p) = match self.open_one(id).await {
            Ok(o) => o,
            Err(r) => return r,
        };
        match news
            .decide(
                id,
                "rejected",
                &by.describe(),
                Some(&why),
                chrono::Utc::now(),
            )
            .await
        {
            Ok(true) => {
                tracing::info!(proposal = id, by = %by.describe(), "proposal rejected: {why}");
                Reply::new(ReplyKind::Answer, format!("Proposal #{id} rejected")).summary(
                    Line::new(format!(
                        "{} turned down \"{}\": {why}. Nothing was changed, and the same story will not be proposed again.",
                        by.name,
                        crate::text::truncate_words(&p.title, 200)
                    )),
                )
            }
            Ok(false) => match news.proposal(id).await {
                Ok(Some(s)) => already(&s),
                _ => user_error(
                    format!("Proposal #{id} was already decided"),
                    "Each proposal is decided once.",
                ),
            },
            Err(e) => store_failed(&e, "recording a decision"),
        }
    }

    /// Approve proposal `id`, with the moderator's `overrides` of the event's fields: the event
    /// and its new sources written, checked, committed, logged and reloaded as one edit.
    pub async fn approve_proposal(
        &self,
        h: &Handles<'_>,
        id: i64,
        overrides: &Form,
        by: &Author,
    ) -> Reply {
        let (news, _, p) = match self.open_one(id).await {
            Ok(o) => o,
            Err(r) => return r,
        };
        let card = |kind| EditRequest {
            kind,
            correct: false,
            topic: Some(p.topic.clone()),
            actor: None,
            base: None,
            entry: None,
            remove: false,
        };
        let (timeline, sources) = match (
            self.target(h, &card(FormKind::Event)),
            self.target(h, &card(FormKind::Source)),
        ) {
            (Ok(t), Ok(s)) => (t, s),
            (Err(r), _) | (_, Err(r)) => return r,
        };
        let _held = match self.hold(&timeline.topic_dir).await {
            Ok(h) => h,
            Err(r) => return r,
        };
        // Another moderator may have decided it while this one waited for the topic.
        match news.proposal(id).await {
            Ok(Some(s)) if s.state != "open" => return already(&s),
            Ok(_) => {}
            Err(e) => return store_failed(&e, "reading a proposal"),
        }
        let (cited, taken) = match self.cited(h, &p.topic) {
            Ok(c) => c,
            Err(r) => return r,
        };
        let Draft {
            sources: new_sources,
            event,
        } = draft(&p, &cited, &taken, overrides);
        let read = |t: &super::target::Target| {
            (
                t.file.exists(),
                read_card(&t.file).map_err(|e| self.unreadable(&t.file, &e)),
            )
        };
        let ((timeline_existed, timeline_before), (sources_existed, sources_before)) =
            (read(&timeline), read(&sources));
        let (timeline_before, sources_before) = match (timeline_before, sources_before) {
            (Ok(t), Ok(s)) => (t, s),
            (Err(r), _) | (_, Err(r)) => return r,
        };
        let today = h.clock.today().format("%Y-%m-%d").to_string();
        let refused = |e: ApplyError| {
            user_error(
                format!("Proposal #{id} was not approved"),
                format!("{e}; nothing was changed."),
            )
        };
        let mut sources_after = sources_before.clone();
        let mut changes = Vec::new();
        for f in &new_sources {
            match apply::append(&sources_after, FormKind::Source, f, &today) {
                Ok(a) => {
                    sources_after = a.text;
                    if let Some(c) = a.changes.into_iter().find(|c| c.label == "id") {
                        changes.push(Line::new(format!("new source {}", c.after)).label("source"));
                    }
                }
                Err(e) => return refused(e),
            }
        }
        let event_applied = match apply::append(&timeline_before, FormKind::Event, &event, &today) {
            Ok(a) => a,
            Err(e) => return refused(e),
        };
        let mut checked = vec![(
            timeline.file.clone(),
            timeline_before.clone(),
            event_applied.text.clone(),
        )];
        if !new_sources.is_empty() {
            checked.push((
                sources.file.clone(),
                sources_before.clone(),
                sources_after.clone(),
            ));
        }
        if let Err(mut r) = self.check_files(h, &timeline.topic_dir, checked).await {
            r.title = r.title.replace(
                "The edit was not written",
                &format!("Proposal #{id} was not approved"),
            );
            return r;
        }
        // The decision is claimed before anything is written: of two approving at once, one.
        match news
            .decide(id, "approved", &by.describe(), None, chrono::Utc::now())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                return match news.proposal(id).await {
                    Ok(Some(s)) => already(&s),
                    _ => user_error(
                        format!("Proposal #{id} was already decided"),
                        "Each proposal is decided once.",
                    ),
                };
            }
            Err(e) => return store_failed(&e, "recording a decision"),
        }
        let title = event
            .get("title")
            .map(|v| v.as_text())
            .unwrap_or_else(|| p.title.clone());
        let summary = format!(
            "proposal #{id} approved: {}",
            crate::text::truncate_words(&title, 80)
        );
        let mut writes = vec![CardWrite {
            file: timeline.file.clone(),
            existed: timeline_existed,
            before: timeline_before,
            after: event_applied.text.clone(),
        }];
        if !new_sources.is_empty() {
            writes.push(CardWrite {
                file: sources.file.clone(),
                existed: sources_existed,
                before: sources_before,
                after: sources_after,
            });
        }
        let body = format!(
            "Approved by {} ({} {}).\nProposed by the newsdesk from the feeds of {}.",
            by.name,
            by.platform,
            by.id,
            p.outlets().join(", "),
        );
        let described = Described {
            action: Logged::Edit(Action {
                kind: FormKind::Event,
                verb: Verb::Add,
            }),
            summary,
            body,
        };
        let done = match self.write_checked(h, &p.topic, writes, by, described).await {
            Ok(d) => d,
            Err(mut r) => {
                // Not written: the proposal waits again.
                if let Err(e) = news.reopen(id, "approved").await {
                    tracing::error!(proposal = id, error = %e, "could not open a proposal again after its approval failed");
                }
                r.title = format!("Proposal #{id} was not approved: {}", r.title);
                if let Some(s) = &mut r.summary {
                    s.text.push_str(" The proposal is still open.");
                }
                return r;
            }
        };
        let mut r = Reply::new(
            ReplyKind::Answer,
            format!("Proposal #{id} approved: event added to the timeline"),
        )
        .summary(Line::new(format!(
            "Written to {}{} by {}{}{}. {}",
            done.entry.file,
            done.entry
                .also
                .first()
                .map_or(String::new(), |f| format!(" and {}", f.file)),
            by.name,
            done.edit.map_or(String::new(), |n| format!(
                " (edit #{n}; `undo` reverts it whole)"
            )),
            committed_note(done.committed.as_ref()),
            reloaded(&done.record)
        )));
        let mut lines = change_lines(&event_applied.changes);
        lines.extend(changes);
        r.bullets("What changed", lines);
        r
    }
}
