//! The [`Command`] value every surface parses into: one variant per command, each carrying its
//! own typed query, so an answer takes exactly what it needs and never re-matches the enum.
//! `to_line` turns a command back into the canonical line that parses to it (paging hints and
//! stateless paging buttons rely on that round trip).

use super::spec::{self, CommandKind, CommandSpec};
use crate::date::Date;
use std::num::NonZeroU32;

/// The largest page number anyone may ask for.
pub const MAX_PAGE: u32 = 1000;

/// Page 1.
pub const FIRST_PAGE: NonZeroU32 = NonZeroU32::MIN;

/// Who may run a command, by what it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Questions, and `suggest`: anyone.
    Anyone,
    /// The settings of the place it is asked in (its daily briefings, its topic, `status`):
    /// that place's own moderators, and the moderators the operator names.
    Place,
    /// What every place shares (the cards, their history and undo, suggestions, `reload`,
    /// `check`): only the moderators the operator names.
    Shared,
}

/// A parsed command, ready to answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    Brief(TopicQuery),
    Position(PositionQuery),
    Actors(TopicQuery),
    Timeline(TimelineQuery),
    Experts(ExpertsQuery),
    Compare(CompareQuery),
    Sources(TopicQuery),
    Search(SearchQuery),
    Topics,
    /// Which topic this place answers from; with `set`, moderators choose it.
    Place(PlaceQuery),
    /// Moderators: what is loaded and how the service is doing.
    Status,
    /// Moderators: read the cards again now.
    Reload,
    /// Moderators: check the cards on disk without serving them.
    Check,
    /// Moderators: a daily briefing for the place the command came from.
    Subscribe(SubscribeQuery),
    Unsubscribe(UnsubscribeQuery),
    Schedules,
    /// Moderators: the next daily briefing, privately.
    Preview(TopicQuery),
    /// Moderators: change a card from chat.
    Edit(EditQuery),
    /// Moderators: a new topic or actor card from the template, through the edit desk.
    New(NewQuery),
    /// Moderators: the edits made from chat.
    History(HistoryQuery),
    /// Moderators: revert the newest edit made from chat.
    Undo,
    /// Anyone: propose an edit for the moderators to approve.
    Suggest(EditQuery),
    /// Moderators: apply a suggestion, or add a newsdesk proposal to the timeline.
    Approve(DecideQuery),
    /// Moderators: turn a suggestion or a proposal down.
    Reject(DecideQuery),
    /// Moderators: the suggestions waiting for a decision.
    Suggestions,
    /// Moderators: the newsdesk's proposals waiting for a decision, or one of them.
    Proposals(ProposalsQuery),
    /// Moderators: a topic's news feeds, listed, added or removed.
    Feeds(FeedsQuery),
    Help(HelpQuery),
}

/// `topic [set T]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlaceQuery {
    /// The topic this place should answer from; `None` asks which it is.
    pub set: Option<String>,
}

/// `edit`: what to change; the fields come with the message (Matrix, terminal) or from a
/// form (Discord).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EditQuery {
    pub request: crate::edit::EditRequest,
    /// The `field: value` lines sent with the command, if any.
    pub fields: Option<String>,
}

/// What `new` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NewWhat {
    Topic,
    Actor,
}

impl NewWhat {
    pub fn name(self) -> &'static str {
        match self {
            NewWhat::Topic => "topic",
            NewWhat::Actor => "actor",
        }
    }
}

/// `new topic <id> <title>` and `new actor <id> <name> [topic T]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NewQuery {
    pub what: NewWhat,
    pub id: String,
    /// The topic's title or the actor's name.
    pub name: String,
    /// The topic a new actor goes in (default: the place's).
    pub topic: Option<String>,
}

/// `approve [proposal|suggestion] N` and `reject [proposal|suggestion] N [reason …]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DecideQuery {
    pub id: i64,
    pub reason: Option<String>,
    /// What N numbers.
    pub what: Decides,
    /// An approved proposal's event fields to change first, as `field: value` lines.
    pub fields: Option<String>,
}

/// What `approve N` and `reject N` decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decides {
    /// A member's suggested edit.
    Suggestion,
    /// A newsdesk proposal.
    Proposal,
    /// Whichever of the two numbered N is waiting (both waiting: the asker is asked which).
    Either,
}

/// `feeds [topic T]`, `feed add <url> [outlet …]`, `feed remove <n>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeedsQuery {
    /// What to change; none lists them.
    pub change: Option<FeedChange>,
    pub topic: Option<String>,
}

/// What `feed …` changes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeedChange {
    Add {
        url: String,
        outlet: Option<String>,
    },
    /// The n-th feed, from 1, as `feeds` numbers them.
    Remove(usize),
}

/// `proposals [N] [topic T]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProposalsQuery {
    pub id: Option<i64>,
    pub topic: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HistoryQuery {
    pub card: Option<String>,
    pub topic: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubscribeQuery {
    pub at: chrono::NaiveTime,
    pub tz: chrono_tz::Tz,
    pub topic: Option<String>,
    pub when_unchanged: Option<crate::digest::WhenUnchanged>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UnsubscribeQuery {
    pub id: Option<i64>,
}

/// Commands that take nothing but an optional topic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TopicQuery {
    pub topic: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PositionQuery {
    pub actor: String,
    pub topic: Option<String>,
    /// The position in force on this date; `None`: the latest, with how it changed.
    pub on: Option<Date>,
    /// Whether the answer carries its chart (`picture off`: no).
    pub picture: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimelineQuery {
    pub topic: Option<String>,
    pub since: Option<Date>,
    pub until: Option<Date>,
    pub actor: Option<String>,
    pub page: NonZeroU32,
    /// Whether the answer carries its chart (`picture off`: no).
    pub picture: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExpertsQuery {
    pub topic: Option<String>,
    pub about: Option<String>,
}

/// `second` is `None` when the two names were not separated ("compare iran united states"):
/// the answer then tries the few ways to split the words.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompareQuery {
    pub first: String,
    pub second: Option<String>,
    pub topic: Option<String>,
    /// Compare the positions in force on this date.
    pub on: Option<Date>,
    /// Whether the answer carries its chart (`picture off`: no).
    pub picture: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchQuery {
    pub query: String,
    pub topic: Option<String>,
    pub page: NonZeroU32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct HelpQuery {
    pub command: Option<String>,
}

fn quoted(s: &str) -> String {
    if s.contains(char::is_whitespace) || s.is_empty() {
        format!("\"{}\"", s.replace('"', ""))
    } else {
        s.to_owned()
    }
}

/// Builds a canonical command line word by word.
struct LineBuilder(String);

impl LineBuilder {
    fn positional(&mut self, v: &str) {
        self.0.push(' ');
        self.0.push_str(&quoted(v));
    }

    fn keyword(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.0.push_str(&format!(" {k} {}", quoted(v)));
        }
    }

    fn page(&mut self, page: NonZeroU32) {
        if page > FIRST_PAGE {
            self.0.push_str(&format!(" page {page}"));
        }
    }
}

impl Command {
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Brief(_) => CommandKind::Brief,
            Command::Position(_) => CommandKind::Position,
            Command::Actors(_) => CommandKind::Actors,
            Command::Timeline(_) => CommandKind::Timeline,
            Command::Experts(_) => CommandKind::Experts,
            Command::Compare(_) => CommandKind::Compare,
            Command::Sources(_) => CommandKind::Sources,
            Command::Search(_) => CommandKind::Search,
            Command::Topics => CommandKind::Topics,
            Command::Place(_) => CommandKind::Place,
            Command::Status => CommandKind::Status,
            Command::Reload => CommandKind::Reload,
            Command::Check => CommandKind::Check,
            Command::Subscribe(_) => CommandKind::Subscribe,
            Command::Unsubscribe(_) => CommandKind::Unsubscribe,
            Command::Schedules => CommandKind::Schedules,
            Command::Preview(_) => CommandKind::Preview,
            Command::Help(_) => CommandKind::Help,
            Command::Edit(_) => CommandKind::Edit,
            Command::New(_) => CommandKind::New,
            Command::History(_) => CommandKind::History,
            Command::Undo => CommandKind::Undo,
            Command::Suggest(_) => CommandKind::Suggest,
            Command::Approve(_) => CommandKind::Approve,
            Command::Reject(_) => CommandKind::Reject,
            Command::Suggestions => CommandKind::Suggestions,
            Command::Proposals(_) => CommandKind::Proposals,
            Command::Feeds(_) => CommandKind::Feeds,
        }
    }

    pub fn spec(&self) -> &'static CommandSpec {
        spec::of(self.kind())
    }

    pub fn name(&self) -> &'static str {
        self.spec().name
    }

    /// Whether the answer is for the asker alone (ephemeral on Discord).
    pub fn answers_privately(&self) -> bool {
        matches!(self, Command::Preview(_))
    }

    /// Whether its answer depends on nothing but the library, the day and the command itself,
    /// so the same question gets the same bytes until the library changes: the questions and
    /// `help`. Not the moderators' commands (they read or act on the running service), nor
    /// edits and suggestions.
    pub fn is_cacheable(&self) -> bool {
        matches!(
            self,
            Command::Brief(_)
                | Command::Position(_)
                | Command::Actors(_)
                | Command::Timeline(_)
                | Command::Experts(_)
                | Command::Compare(_)
                | Command::Sources(_)
                | Command::Search(_)
                | Command::Topics
                | Command::Help(_)
        )
    }

    /// Whether it reads or changes cards through the edit desk (edits from chat, their
    /// history, undo and suggestions).
    pub fn is_edit(&self) -> bool {
        matches!(
            self,
            Command::Edit(_)
                | Command::New(_)
                | Command::History(_)
                | Command::Undo
                | Command::Suggest(_)
                | Command::Approve(_)
                | Command::Reject(_)
                | Command::Suggestions
                | Command::Proposals(_)
                | Command::Feeds(_)
        )
    }

    /// Whether only moderators may run it on shared surfaces.
    pub fn is_moderator(&self) -> bool {
        self.scope() != Scope::Anyone
    }

    /// Who may run it: anyone, the place's moderators, or only the moderators the operator
    /// names. The router decides with this; the doors only say who asked.
    pub fn scope(&self) -> Scope {
        match self {
            // Anyone may ask which topic a place uses; choosing it is for its moderators.
            Command::Place(q) if q.set.is_some() => Scope::Place,
            Command::Status
            | Command::Subscribe(_)
            | Command::Unsubscribe(_)
            | Command::Schedules
            | Command::Preview(_) => Scope::Place,
            Command::Reload
            | Command::Check
            | Command::Edit(_)
            | Command::New(_)
            | Command::History(_)
            | Command::Undo
            | Command::Approve(_)
            | Command::Reject(_)
            | Command::Suggestions
            | Command::Proposals(_)
            | Command::Feeds(_) => Scope::Shared,
            c if c.spec().moderator => Scope::Shared,
            _ => Scope::Anyone,
        }
    }

    /// The canonical line that parses back to this command: used for "next page" hints and
    /// for stateless paging buttons.
    pub fn to_line(&self) -> String {
        let mut b = LineBuilder(self.name().to_owned());
        match self {
            Command::Brief(q) | Command::Actors(q) | Command::Sources(q) => {
                b.keyword("topic", q.topic.as_deref());
            }
            Command::Position(q) => {
                b.positional(&q.actor);
                b.keyword("on", q.on.map(|d| d.iso()).as_deref());
                b.keyword("topic", q.topic.as_deref());
            }
            Command::Timeline(q) => {
                b.keyword("topic", q.topic.as_deref());
                b.keyword("since", q.since.map(|d| d.iso()).as_deref());
                b.keyword("until", q.until.map(|d| d.iso()).as_deref());
                b.keyword("actor", q.actor.as_deref());
                b.page(q.page);
            }
            Command::Experts(q) => {
                b.keyword("topic", q.topic.as_deref());
                b.keyword("about", q.about.as_deref());
            }
            Command::Compare(q) => {
                b.positional(&q.first);
                b.keyword("vs", q.second.as_deref());
                b.keyword("on", q.on.map(|d| d.iso()).as_deref());
                b.keyword("topic", q.topic.as_deref());
            }
            Command::Search(q) => {
                for w in q.query.split_whitespace() {
                    b.positional(w);
                }
                b.keyword("topic", q.topic.as_deref());
                b.page(q.page);
            }
            Command::Topics
            | Command::Status
            | Command::Reload
            | Command::Check
            | Command::Schedules => {}
            Command::Subscribe(q) => {
                b.positional(&q.at.format("%H:%M").to_string());
                b.positional(q.tz.name());
                b.keyword("topic", q.topic.as_deref());
                b.keyword("unchanged", q.when_unchanged.map(|w| w.name()));
            }
            Command::Unsubscribe(q) => {
                if let Some(id) = q.id {
                    b.positional(&id.to_string());
                }
            }
            Command::Preview(q) => b.keyword("topic", q.topic.as_deref()),
            Command::Place(q) => b.keyword("set", q.set.as_deref()),
            Command::Edit(q) | Command::Suggest(q) => {
                let r = &q.request;
                let action = r.action().name();
                b.positional(action.strip_prefix("change-").unwrap_or(action));
                for a in [&r.actor, &r.entry].into_iter().flatten() {
                    b.positional(a);
                }
                b.keyword("topic", r.topic.as_deref());
            }
            Command::New(q) => {
                b.positional(q.what.name());
                b.positional(&q.id);
                b.positional(&q.name);
                b.keyword("topic", q.topic.as_deref());
            }
            Command::History(q) => {
                if let Some(c) = &q.card {
                    b.positional(c);
                }
                b.keyword("topic", q.topic.as_deref());
            }
            Command::Undo | Command::Suggestions => {}
            Command::Approve(q) | Command::Reject(q) => {
                match q.what {
                    Decides::Proposal => b.positional("proposal"),
                    Decides::Suggestion => b.positional("suggestion"),
                    Decides::Either => {}
                }
                b.positional(&q.id.to_string());
                b.keyword("reason", q.reason.as_deref());
            }
            Command::Proposals(q) => {
                if let Some(id) = q.id {
                    b.positional(&id.to_string());
                }
                b.keyword("topic", q.topic.as_deref());
            }
            Command::Feeds(q) => {
                match &q.change {
                    None => {}
                    Some(FeedChange::Add { url, outlet }) => {
                        b.positional("add");
                        b.positional(url);
                        if let Some(o) = outlet {
                            b.positional(o);
                        }
                    }
                    Some(FeedChange::Remove(n)) => {
                        b.positional("remove");
                        b.positional(&n.to_string());
                    }
                }
                b.keyword("topic", q.topic.as_deref());
            }
            Command::Help(q) => {
                if let Some(c) = &q.command {
                    b.positional(c);
                }
            }
        }
        b.0
    }
}

impl TimelineQuery {
    /// The same query showing another page.
    pub fn with_page(&self, page: NonZeroU32) -> Command {
        Command::Timeline(TimelineQuery {
            page,
            ..self.clone()
        })
    }
}

impl SearchQuery {
    /// The same query showing another page.
    pub fn with_page(&self, page: NonZeroU32) -> Command {
        Command::Search(SearchQuery {
            page,
            ..self.clone()
        })
    }
}
