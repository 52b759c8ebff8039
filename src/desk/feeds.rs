//! A topic's news feeds managed from chat: `feeds` lists them with how each was last read
//! (when, how many items over its life, and why it failed, if it does), `feed add <url>
//! [outlet]` and `feed remove <n>` change `feeds.toml` through the desk's one path: checked
//! with the whole topic like `dossier check`, written, committed as the moderator, logged (so
//! `undo` takes it back) and served at once; the poller reads a new feed at its next look.

use super::files::read_card;
use super::state::{Desk, Handles, user_error};
use super::write::{CardWrite, Described, committed_note, reloaded};
use crate::cards::model::FeedAt;
use crate::commands::command::FeedChange;
use crate::edit::form::FormKind;
use crate::edit::{Author, EditRequest, feeds};
use crate::reply::{Line, Reply, ReplyKind};
use crate::store::edits::Logged;

impl Desk {
    /// `feeds`: the topic's feeds, numbered, with how each was last read.
    pub async fn feeds(&self, h: &Handles<'_>, topic: Option<&str>) -> Reply {
        let target = match self.target(h, &card(topic)) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let lib = h.shelf.snapshot();
        let Some(t) = lib.topic_index(&target.topic_id).map(|i| lib.topic(i)) else {
            return user_error("No such topic", "That topic is not served.");
        };
        let listed = t.feeds.as_ref().map(|f| f.feeds.as_slice()).unwrap_or(&[]);
        if listed.is_empty() {
            return Reply::new(ReplyKind::Answer, format!("{} has no news feeds", t.title))
                .summary(Line::new(format!(
                    "`feed add <url> [outlet]` adds one (topic {}); the newsdesk then reads it on its `every` and proposes timeline events from what it finds.",
                    t.id
                )));
        }
        let fetches = match self.news.as_deref() {
            Some(n) => n.fetches(&t.id).await.unwrap_or_default(),
            None => Vec::new(),
        };
        let lines = listed
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let at = f.at.as_str();
                let about: Vec<&str> = f
                    .outlet
                    .as_deref()
                    .into_iter()
                    .chain(matches!(f.at, FeedAt::Path(_)).then_some("a file in the topic folder"))
                    .collect();
                let about = if about.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", about.join("; "))
                };
                let every = crate::deadlines::describe(f.every);
                let state = match fetches.iter().find(|x| x.feed == at) {
                    None => "not read yet".to_owned(),
                    Some(x) => {
                        let when = x.fetched_at.map_or("never".into(), |w| {
                            w.format("%Y-%m-%d %H:%M UTC").to_string()
                        });
                        match (&x.error, x.failing_since) {
                            (Some(e), since) => format!(
                                "failing{}: {}; last tried {when}",
                                since.map_or(String::new(), |s| format!(
                                    " since {}",
                                    s.format("%Y-%m-%d %H:%M UTC")
                                )),
                                crate::text::truncate_words(e, 200)
                            ),
                            (None, _) => format!("read {when}, {} items seen", x.items_seen),
                        }
                    }
                };
                Line::new(format!("{at}{about}, every {every}: {state}"))
                    .label(format!("{}", i + 1))
            })
            .collect();
        let mut r = Reply::new(
            ReplyKind::Answer,
            format!("News feeds of {}: {}", t.title, listed.len()),
        )
        .summary(Line::new(
            "`feed add <url> [outlet]` adds one, `feed remove <n>` removes one (each a commit `undo` takes back).",
        ));
        r.bullets("Feeds", lines);
        r
    }

    /// `feed add …` and `feed remove …`.
    pub async fn change_feeds(
        &self,
        h: &Handles<'_>,
        topic: Option<&str>,
        change: &FeedChange,
        by: &Author,
    ) -> Reply {
        let target = match self.target(h, &card(topic)) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let file = target.topic_dir.join(crate::cards::load::FEEDS_FILE);
        let _held = match self.hold(&target.topic_dir).await {
            Ok(h) => h,
            Err(r) => return r,
        };
        let existed = file.exists();
        let before = if existed {
            match read_card(&file) {
                Ok(t) => t,
                Err(e) => return self.unreadable(&file, &e),
            }
        } else {
            String::new()
        };
        let (after, summary) = match change {
            FeedChange::Add { url, outlet } => {
                match feeds::add(&before, url.trim(), outlet.as_deref()) {
                    Ok(a) => (a, format!("feed add {}", url.trim())),
                    Err(e) => {
                        return user_error(
                            "The feed was not added",
                            format!("{e}; nothing was changed."),
                        );
                    }
                }
            }
            FeedChange::Remove(_) if !self.as_served(h, &target.topic_id, &before) => {
                return user_error(
                    "The feeds changed since they were listed",
                    "feeds.toml on disk no longer lists the feeds `feeds` shows (it was edited, and is not served yet, or is broken), so a number could name the wrong one. Nothing was changed; send `feeds` again once the cards have reloaded.",
                );
            }
            FeedChange::Remove(n) => match feeds::remove(&before, *n) {
                Ok((a, gone)) => (a, format!("feed remove {gone}")),
                Err(e) => {
                    return user_error(
                        "The feed was not removed",
                        format!("{e}; `feeds` lists them."),
                    );
                }
            },
        };
        if let Err(mut r) = self
            .check_files(
                h,
                &target.topic_dir,
                vec![(file.clone(), before.clone(), after.clone())],
            )
            .await
        {
            r.title = r
                .title
                .replace("The edit was not written", "The feeds were not changed");
            return r;
        }
        let body = format!(
            "Edited from chat by {} ({} {}).\nCard: {}",
            by.name,
            by.platform,
            by.id,
            self.relative(&file)
        );
        let writes = vec![CardWrite {
            file,
            existed,
            before,
            after,
        }];
        let described = Described {
            action: Logged::Feeds,
            summary: summary.clone(),
            body,
        };
        let done = match self
            .write_checked(h, &target.topic_id, writes, by, described)
            .await
        {
            Ok(d) => d,
            Err(r) => return r,
        };
        let title = match change {
            FeedChange::Add { .. } => "News feed added",
            FeedChange::Remove(_) => "News feed removed",
        };
        Reply::new(ReplyKind::Answer, title).summary(Line::new(format!(
            "{} ({summary}) by {}{}{}. {}{}",
            done.entry.file,
            by.name,
            done.edit
                .map_or(String::new(), |n| format!(" (edit #{n}; `undo` reverts it)")),
            committed_note(done.committed.as_ref()),
            reloaded(&done.record),
            match change {
                FeedChange::Add { .. } =>
                    " The newsdesk reads it at its next look, from public addresses only unless the operator allows private ones.",
                FeedChange::Remove(_) => "",
            }
        )))
    }
}

impl Desk {
    /// Whether `text` (feeds.toml on disk) lists the feeds the served topic has, in its order:
    /// then the numbers `feeds` shows name the same feeds in the file.
    fn as_served(&self, h: &Handles<'_>, topic: &str, text: &str) -> bool {
        let lib = h.shelf.snapshot();
        let served: Vec<&str> = lib
            .topic_index(topic)
            .and_then(|i| lib.topic(i).feeds.as_ref())
            .map(|f| f.feeds.iter().map(|x| x.at.as_str()).collect())
            .unwrap_or_default();
        feeds::listed(text).is_ok_and(|on_disk| on_disk == served)
    }
}

/// The topic's cards as an edit request names them (the feeds file is beside the timeline).
fn card(topic: Option<&str>) -> EditRequest {
    EditRequest {
        kind: FormKind::Event,
        correct: false,
        topic: topic.map(str::to_owned),
        actor: None,
        base: None,
        entry: None,
        remove: false,
    }
}
