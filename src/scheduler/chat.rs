//! The moderators' commands for daily briefings, answered as replies: `subscribe`,
//! `unsubscribe`, `schedules` and `preview`, each about the channel or room it was typed in.
//! Platform-neutral: the doors say where a command came from (an `Asker`).

// A user's mistake travels as `Err(Reply)`: the reply that explains it (as in `answer`).
#![allow(clippy::result_large_err)]

use crate::commands::Ctx;
use crate::commands::command::{SubscribeQuery, TopicQuery, UnsubscribeQuery};
use crate::date::human_day;
use crate::digest::{self, Previous, TopicSnapshot, WhenUnchanged};
use crate::reply::{Line, Reply, ReplyKind};
use crate::schedule::due::{instant_on, next_post};
use crate::schedule::store::*;
use crate::schedule::{DEFAULT_CATCH_UP, Destination};
use crate::service::Asker;
use crate::store::schedules::*;
use chrono::{DateTime, Utc};

fn user_error(title: impl Into<String>, summary: impl Into<String>) -> Reply {
    Reply::new(ReplyKind::UserError, title).summary(Line::new(summary))
}

fn no_place() -> Reply {
    user_error(
        "Daily briefings go to a channel or room",
        "Type this in the Discord channel or Matrix room that should get the briefing.",
    )
}

fn store_failed(e: StoreError) -> Reply {
    if let StoreError::Unavailable(why) = &e {
        tracing::warn!(error = %why, "a schedule command waits for the store");
        return Reply::new(ReplyKind::UserError, "Daily briefings are paused for a moment")
            .summary(Line::new(
                "dossier cannot reach its database just now, so subscriptions cannot be read or changed. Answers go on as usual; try again in a few minutes. Briefings that fall due meanwhile are posted once it is back.",
            ));
    }
    tracing::error!(error = %e, "the schedule store failed");
    Reply::new(ReplyKind::UserError, "Sorry, something went wrong").summary(Line::new(
        "dossier could not read or write its schedules; the error has been logged for the operators.",
    ))
}

/// "08:00 Asia/Muscat (04:00 UTC) on Mon 6 Oct 2026".
fn when(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let local = at.with_timezone(&tz);
    format!(
        "{} {} on {} ({} UTC)",
        local.format("%H:%M"),
        tz.name(),
        local.format("%a %-d %b %Y"),
        at.format("%H:%M %-d %b")
    )
}

/// The topic a subscription is about: the one named, or the only or default one.
fn topic_id(ctx: &Ctx<'_>, named: Option<&str>) -> Result<String, Reply> {
    let lib = ctx.library;
    let found = match named {
        Some(n) => lib.topic_index(n),
        None if lib.topics().len() == 1 => Some(0),
        None => ctx.default_topic.and_then(|d| lib.topic_index(d)),
    };
    found.map(|t| lib.topic(t).id.clone()).ok_or_else(|| {
        let ids: Vec<&str> = lib.topics().iter().map(|t| t.id.as_str()).collect();
        user_error(
            match named {
                Some(n) => format!("No topic called “{}”", crate::text::truncate_words(n, 40)),
                None => "Which topic?".to_owned(),
            },
            format!(
                "Name one with `topic`: the topics are {}.",
                crate::text::or_list(&ids)
            ),
        )
    })
}

async fn here(
    store: &dyn ScheduleStore,
    place: &Destination,
) -> Result<Vec<Subscription>, StoreError> {
    Ok(store
        .subscriptions()
        .await?
        .into_iter()
        .filter(|s| &s.destination == place)
        .collect())
}

pub async fn subscribe(
    ctx: &Ctx<'_>,
    store: &dyn ScheduleStore,
    q: &SubscribeQuery,
    asker: &Asker,
) -> Reply {
    let Some(place) = &asker.place else {
        return no_place();
    };
    let topic = match topic_id(ctx, q.topic.as_deref()) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let new = NewSubscription {
        destination: place.clone(),
        topic,
        at: q.at,
        tz: q.tz,
        when_unchanged: q.when_unchanged.unwrap_or(WhenUnchanged::Post),
        catch_up: DEFAULT_CATCH_UP,
        from_config: false,
        created_by: asker.who.clone(),
    };
    let now = Utc::now();
    match store.subscribe(&new, now).await {
        Ok(sub) => {
            let next = next_post(&sub.slot(), None, now);
            tracing::info!(subscription = sub.id, destination = %place.describe(), topic = %sub.topic, by = ?asker.who, "subscribed to a daily briefing");
            let mut r = Reply::new(ReplyKind::Answer, "Subscribed").summary(Line::new(format!(
                "This {} gets the {} briefing every day at {} {}. The first is the whole picture; each after it starts with what changed since the one before.",
                match place {
                    Destination::Discord { .. } => "channel",
                    Destination::Matrix { .. } => "room",
                },
                sub.topic,
                sub.at.format("%H:%M"),
                sub.tz.name()
            )));
            r.bullets(
                "Details",
                vec![
                    Line::new(when(next, sub.tz)).label("Next"),
                    Line::new(match sub.when_unchanged {
                        WhenUnchanged::Post => "the whole briefing anyway",
                        WhenUnchanged::Short => "a one-line \"no change\"",
                        WhenUnchanged::Skip => "nothing",
                    })
                    .label("When nothing changed"),
                    Line::new(format!("{}; `unsubscribe {}` stops it", sub.id, sub.id))
                        .label("Number"),
                ],
            );
            r
        }
        Err(StoreError::Conflict(why)) => user_error(
            "Already subscribed",
            format!("{why}. `schedules` lists this place's briefings."),
        ),
        Err(e) => store_failed(e),
    }
}

pub async fn unsubscribe(store: &dyn ScheduleStore, q: &UnsubscribeQuery, asker: &Asker) -> Reply {
    let Some(place) = &asker.place else {
        return no_place();
    };
    let subs = match here(store, place).await {
        Ok(s) => s,
        Err(e) => return store_failed(e),
    };
    let chat: Vec<&Subscription> = subs.iter().filter(|s| !s.from_config).collect();
    let target = match (q.id, chat.as_slice()) {
        (Some(id), _) => match subs.iter().find(|s| s.id == id) {
            Some(s) if s.from_config => {
                return user_error(
                    "That one is set in the config",
                    format!(
                        "Briefing {id} comes from dossier's config file; ask the operator to remove its [[schedule]]."
                    ),
                );
            }
            Some(s) => s,
            None => {
                return user_error(
                    format!("No briefing {id} here"),
                    "`schedules` lists this place's briefings with their numbers.",
                );
            }
        },
        (None, [only]) => *only,
        (None, []) => {
            return user_error(
                "No daily briefing here",
                if subs.is_empty() {
                    "This place has no daily briefing; `subscribe 08:00 Europe/Berlin` starts one."
                } else {
                    "This place's briefings are set in the config; ask the operator."
                },
            );
        }
        (None, several) => {
            let mut r = user_error(
                "Which one?",
                "This place has several daily briefings; name one by its number, e.g. `unsubscribe 3`.",
            );
            r.bullets(
                "Here",
                several
                    .iter()
                    .map(|s| {
                        Line::new(format!(
                            "{} at {} {}",
                            s.topic,
                            s.at.format("%H:%M"),
                            s.tz.name()
                        ))
                        .label(s.id.to_string())
                    })
                    .collect(),
            );
            return r;
        }
    };
    match store.unsubscribe(place, Some(target.id)).await {
        Ok(_) => {
            tracing::info!(subscription = target.id, destination = %place.describe(), by = ?asker.who, "unsubscribed from a daily briefing");
            Reply::new(ReplyKind::Answer, "Unsubscribed").summary(Line::new(format!(
                "No more {} briefings at {} {} here. What was posted stays; `subscribe` starts one again.",
                target.topic,
                target.at.format("%H:%M"),
                target.tz.name()
            )))
        }
        Err(e) => store_failed(e),
    }
}

/// One line about a subscription's last post: sent, skipped, missed or failing.
fn last_line(last: &PostRecord) -> String {
    match &last.state {
        PostState::Sent { .. } => format!("last posted for {}", human_day(last.day)),
        PostState::Skipped => format!("nothing changed for {}: skipped", human_day(last.day)),
        PostState::Missed => format!("missed {} (dossier was down)", human_day(last.day)),
        PostState::Failed { error } => format!(
            "failing since {} UTC ({} attempts): {}",
            last.updated.format("%-d %b %H:%M"),
            last.attempts,
            crate::text::truncate_words(error, 120)
        ),
        PostState::Claimed => format!("being posted for {}", human_day(last.day)),
    }
}

pub async fn schedules(store: &dyn ScheduleStore, asker: &Asker) -> Reply {
    let Some(place) = &asker.place else {
        return no_place();
    };
    let subs = match here(store, place).await {
        Ok(s) => s,
        Err(e) => return store_failed(e),
    };
    let now = Utc::now();
    let mut lines: Vec<Line> = Vec::with_capacity(subs.len());
    for s in &subs {
        let last = store.last_handled(s.id).await.ok().flatten();
        let mut text = format!(
            "{} at {} {}; next {}; when nothing changed: {}; {}",
            s.topic,
            s.at.format("%H:%M"),
            s.tz.name(),
            when(next_post(&s.slot(), last, now), s.tz),
            s.when_unchanged.name(),
            if s.from_config {
                "set in the config".to_owned()
            } else {
                format!(
                    "added by {}",
                    s.created_by.as_deref().unwrap_or("a moderator")
                )
            }
        );
        if let Some(l) = store
            .recent(s.id, 1)
            .await
            .ok()
            .and_then(|r| r.into_iter().next())
        {
            text.push_str(&format!("; {}", last_line(&l)));
        }
        lines.push(Line::new(text).label(s.id.to_string()));
    }
    let n = lines.len();
    let mut r = Reply::new(ReplyKind::Answer, "Daily briefings here").summary(Line::new(match n {
        0 => "None. `subscribe 08:00 Europe/Berlin` starts one.".to_owned(),
        1 => "One daily briefing.".to_owned(),
        n => format!("{n} daily briefings."),
    }));
    r.bullets("Briefings", lines);
    r
}

pub async fn preview(
    ctx: &Ctx<'_>,
    store: &dyn ScheduleStore,
    q: &TopicQuery,
    asker: &Asker,
) -> Reply {
    let Some(place) = &asker.place else {
        return no_place();
    };
    let subs = match here(store, place).await {
        Ok(s) => s,
        Err(e) => return store_failed(e),
    };
    let named = match q.topic.as_deref() {
        Some(t) => match topic_id(ctx, Some(t)) {
            Ok(id) => Some(id),
            Err(r) => return r,
        },
        None => None,
    };
    let sub = subs
        .iter()
        .find(|s| named.as_ref().is_none_or(|t| &s.topic == t));
    let topic = match (sub, named) {
        (Some(s), _) => s.topic.clone(),
        (None, Some(t)) => t,
        (None, None) => match topic_id(ctx, None) {
            Ok(t) => t,
            Err(r) => return r,
        },
    };
    let lib = ctx.library;
    let Some(ti) = lib.topic_index(&topic) else {
        return user_error(
            "That topic is not loaded",
            format!("`{topic}` is not among the loaded topics."),
        );
    };
    let now = Utc::now();
    let (day, when_unchanged, next) = match sub {
        Some(s) => {
            let last = store.last_handled(s.id).await.ok().flatten();
            let next = next_post(&s.slot(), last, now);
            (
                next.with_timezone(&s.tz).date_naive(),
                s.when_unchanged,
                Some((next, s.tz)),
            )
        }
        None => (ctx.today, WhenUnchanged::Post, None),
    };
    let stored = match store.snapshot(place, &topic).await {
        Ok(s) => s,
        Err(e) => return store_failed(e),
    };
    let previous = stored
        .as_ref()
        .and_then(|(body, d)| TopicSnapshot::from_json(body).map(|s| (s, *d)));
    let built = digest::digest(
        lib,
        ti,
        previous.as_ref().map(|(s, d)| Previous {
            snapshot: s,
            day: *d,
        }),
        day,
        ctx.today,
        when_unchanged,
    );
    let mut r = match built {
        Some(r) => r,
        None => Reply::new(ReplyKind::Answer, "Nothing would be posted").summary(Line::new(
            "Nothing has changed since the last briefing here, and this subscription skips unchanged days.",
        )),
    };
    r.title = format!("Preview · {}", r.title);
    let note = match next {
        Some((at, tz)) => format!(
            "Only you see this preview. It would be posted {}.",
            when(at, tz)
        ),
        None => format!(
            "Only you see this preview. This place has no daily briefing: `subscribe 08:00 {}` starts one.",
            "Europe/Berlin"
        ),
    };
    if let Some(f) = &mut r.footer {
        f.note = Some(note);
    }
    r.private = true;
    r
}

/// `status`'s line about a subscription whose last post failed or was missed.
pub fn attention_line(s: &Subscription, last: &PostRecord) -> String {
    format!(
        "{} → {} ({} at {} {}): {}",
        s.id,
        s.destination.describe(),
        s.topic,
        s.at.format("%H:%M"),
        s.tz.name(),
        last_line(last)
    )
}

/// The instant of a subscription's post on its local `day` (for tests and tools).
pub fn scheduled_on(s: &Subscription, day: chrono::NaiveDate) -> DateTime<Utc> {
    instant_on(day, s.at, s.tz)
}
