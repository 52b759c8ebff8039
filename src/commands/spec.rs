//! The one list of commands: names, arguments and help text. The terminal and chat parsers,
//! the `help` reply and Discord's slash-command registrations are all built from it, so they
//! cannot drift apart.

/// What an argument holds; decides parsing, validation and autocomplete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    Actor,
    Topic,
    Date,
    Page,
    Text,
    Command,
    /// A local time of day, HH:MM.
    Time,
    /// An IANA time zone name.
    Timezone,
    /// A number naming a stored item (a subscription).
    Id,
    /// What `edit` changes: one of [`EDIT_WHATS`].
    EditWhat,
    /// What `new` makes: one of [`NEW_WHATS`].
    NewWhat,
    /// On or off (`on`, `off`, `yes`, `no`, `true`, `false`); a boolean option on Discord.
    Switch,
}

#[derive(Clone, Copy, Debug)]
pub struct ArgSpec {
    pub name: &'static str,
    pub kind: ArgKind,
    pub required: bool,
    /// Given by position (`position iran`) rather than by keyword (`since 2026-01-01`).
    pub positional: bool,
    pub help: &'static str,
}

/// Which command a spec entry defines. `parse::from_args` matches on it exhaustively, so a
/// new entry cannot silently fall through to another command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    Brief,
    Position,
    Actors,
    Timeline,
    Experts,
    Compare,
    Sources,
    Search,
    Topics,
    /// Which topic this place answers from; `topic set` chooses it.
    Place,
    Help,
    Status,
    Reload,
    Check,
    Subscribe,
    Unsubscribe,
    Schedules,
    Preview,
    Edit,
    New,
    History,
    Undo,
    Suggest,
    Approve,
    Reject,
    Suggestions,
    Proposals,
    Feeds,
}

#[derive(Clone, Copy, Debug)]
pub struct CommandSpec {
    pub kind: CommandKind,
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub summary: &'static str,
    pub args: &'static [ArgSpec],
    pub examples: &'static [&'static str],
    /// Only moderators may run it on shared surfaces (Discord, Matrix).
    pub moderator: bool,
}

const fn pos(name: &'static str, kind: ArgKind, required: bool, help: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        kind,
        required,
        positional: true,
        help,
    }
}

const fn kw(name: &'static str, kind: ArgKind, help: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        kind,
        required: false,
        positional: false,
        help,
    }
}

const TOPIC_KW: ArgSpec = kw(
    "topic",
    ArgKind::Topic,
    "which topic, when several are loaded",
);
const TOPIC_POS: ArgSpec = pos(
    "topic",
    ArgKind::Topic,
    false,
    "which topic, when several are loaded",
);
const ON: ArgSpec = kw(
    "on",
    ArgKind::Date,
    "the position in force on this date (YYYY-MM-DD; a month means its last day)",
);
const PICTURE: ArgSpec = kw(
    "picture",
    ArgKind::Switch,
    "`off` leaves the chart out of the answer (on unless the operator turned charts off)",
);
const PAGE: ArgSpec = kw(
    "page",
    ArgKind::Page,
    "which page of a long answer (1, 2, …)",
);

/// What `edit` changes, as typed.
pub const EDIT_WHATS: &[&str] = &[
    "position",
    "correction",
    "event",
    "source",
    "expert",
    "person",
    "remove-event",
    "remove-source",
    "remove-expert",
    "remove-person",
];

/// What `new` makes, as typed.
pub const NEW_WHATS: &[&str] = &["topic", "actor"];

/// What `edit` and `suggest` take.
const EDIT_ARGS: &[ArgSpec] = &[
    pos(
        "what",
        ArgKind::EditWhat,
        true,
        "position, correction, event, source, expert, person, or remove-event, -source, -expert, -person",
    ),
    pos(
        "actor",
        ArgKind::Actor,
        false,
        "whose position or people; the event (date, title words), source or expert (id) to change or remove",
    ),
    TOPIC_KW,
];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        kind: CommandKind::Brief,
        name: "brief",
        aliases: &["briefing", "summary"],
        summary: "The bottom line: status, where each main actor stands, the latest events and what to watch.",
        args: &[TOPIC_POS],
        examples: &["brief"],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Position,
        name: "position",
        aliases: &["pos", "stance"],
        summary: "One actor's position: stance, demands, red lines, signals, key people and how it changed, with sources; or the position on a given date.",
        args: &[
            pos(
                "actor",
                ArgKind::Actor,
                true,
                "the actor: id, name or alias (iran, tehran, us, washington)",
            ),
            ON,
            TOPIC_KW,
            PICTURE,
        ],
        examples: &[
            "position iran",
            "position united states",
            "position iran on 2026-04-12",
        ],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Actors,
        name: "actors",
        aliases: &["who"],
        summary: "The actors in a topic, each with its role and one-line stance.",
        args: &[TOPIC_POS],
        examples: &["actors"],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Timeline,
        name: "timeline",
        aliases: &["events"],
        summary: "Dated events, oldest first, ten a page; filter by dates or by actor.",
        args: &[
            TOPIC_POS,
            kw(
                "since",
                ArgKind::Date,
                "only events on or after this date (YYYY, YYYY-MM or YYYY-MM-DD)",
            ),
            kw("until", ArgKind::Date, "only events on or before this date"),
            kw("actor", ArgKind::Actor, "only events involving this actor"),
            PAGE,
            PICTURE,
        ],
        examples: &[
            "timeline",
            "timeline since 2026-02",
            "timeline actor oman",
            "timeline page 2",
            "timeline since 2026-06 picture off",
        ],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Experts,
        name: "experts",
        aliases: &["expert", "views", "analysts"],
        summary: "What experts and observers said: who, affiliation, date, summary, quote, source.",
        args: &[
            TOPIC_POS,
            kw("about", ArgKind::Actor, "only views about this actor"),
        ],
        examples: &["experts", "experts about israel"],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Compare,
        name: "compare",
        aliases: &["vs"],
        summary: "Two actors' positions side by side (stance, demands, red lines) and where they clash, now or on a given date.",
        args: &[
            pos("first", ArgKind::Actor, true, "the first actor"),
            pos("second", ArgKind::Actor, true, "the second actor"),
            ON,
            TOPIC_KW,
            PICTURE,
        ],
        examples: &[
            "compare iran united-states",
            "compare iran vs \"gulf states\"",
            "compare iran united-states on 2026-06-20",
        ],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Sources,
        name: "sources",
        aliases: &["refs", "references"],
        summary: "Every source behind a topic's cards, with publisher, date and link.",
        args: &[TOPIC_POS],
        examples: &["sources"],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Search,
        name: "search",
        aliases: &["find"],
        summary: "Ranked matches across every card, saying where each match is.",
        args: &[
            pos("query", ArgKind::Text, true, "words to look for"),
            TOPIC_KW,
            PAGE,
        ],
        examples: &["search hormuz", "search missile range"],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Topics,
        name: "topics",
        aliases: &["list"],
        summary: "The loaded topics, with status and as-of date.",
        args: &[],
        examples: &["topics"],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Place,
        name: "topic",
        aliases: &[],
        summary: "Which topic this channel or room answers from when a command names none. Moderators choose it with `topic set <topic>`.",
        args: &[kw(
            "set",
            ArgKind::Topic,
            "for moderators: the topic this channel or room answers from from now on",
        )],
        examples: &["topic", "topic set iran-us-talks"],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Help,
        name: "help",
        aliases: &["?", "commands"],
        summary: "How to use dossier, or one command in detail.",
        args: &[pos("command", ArgKind::Command, false, "a command name")],
        examples: &["help", "help timeline"],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Status,
        name: "status",
        aliases: &[],
        summary: "For moderators: version, uptime, the last reload, each door's connection, the loaded topics and stale cards.",
        args: &[],
        examples: &["status"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Reload,
        name: "reload",
        aliases: &[],
        summary: "For moderators: read the cards again now, and say what was loaded or what to fix.",
        args: &[],
        examples: &["reload"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Check,
        name: "check",
        aliases: &["validate"],
        summary: "For moderators: check the cards on disk without serving them: every error and warning, with file and line.",
        args: &[],
        examples: &["check"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Subscribe,
        name: "subscribe",
        aliases: &[],
        summary: "For moderators: a daily briefing here at a local time, leading with what changed since the last one.",
        args: &[
            pos(
                "time",
                ArgKind::Time,
                true,
                "the local time, HH:MM on a 24-hour clock",
            ),
            pos(
                "timezone",
                ArgKind::Timezone,
                true,
                "an IANA time zone, e.g. Europe/Berlin or Asia/Muscat",
            ),
            TOPIC_KW,
            kw(
                "unchanged",
                ArgKind::Text,
                "when nothing changed: post (the full briefing, the default), short (one line) or skip",
            ),
        ],
        examples: &[
            "subscribe 08:00 Asia/Muscat",
            "subscribe 07:30 Europe/Berlin topic iran-us-talks unchanged short",
        ],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Unsubscribe,
        name: "unsubscribe",
        aliases: &[],
        summary: "For moderators: stop a daily briefing here (the one `schedules` numbers, or the only one).",
        args: &[pos(
            "id",
            ArgKind::Id,
            false,
            "which briefing, by the number `schedules` shows",
        )],
        examples: &["unsubscribe", "unsubscribe 3"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Schedules,
        name: "schedules",
        aliases: &["subscriptions"],
        summary: "For moderators: the daily briefings of this channel or room, each with its next post in local time and UTC.",
        args: &[],
        examples: &["schedules"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Preview,
        name: "preview",
        aliases: &[],
        summary: "For moderators: the next daily briefing for this place, shown only to you.",
        args: &[TOPIC_KW],
        examples: &["preview"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Edit,
        name: "edit",
        aliases: &[],
        summary: "For moderators: change a card from chat. `edit position <actor>` adds a dated position (`edit correction <actor>` corrects the latest, `edit correction <actor> <date>` an older one); `edit event` adds to the timeline and `edit event <date> <title words>` changes one; `edit source` adds a source and `edit source <id>` changes one; `edit expert` adds an expert view and `edit expert <id>` changes one; `edit person <actor>` adds one of an actor's people and `edit person <actor> <name>` changes one; `edit remove event …`, `edit remove source <id>`, `edit remove expert <id>`, `edit remove person <actor> <name>` and `edit remove position <actor> <date>` remove one. Checked like `dossier check` before it is written.",
        args: EDIT_ARGS,
        examples: &[
            "edit position iran",
            "edit correction iran",
            "edit event",
            "edit event 2026-02-06 muscat",
            "edit source dawn-muscat-dialogue",
            "edit remove event 2026-02-06 muscat",
        ],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::New,
        name: "new",
        aliases: &["create"],
        summary: "For moderators: start a story or an actor from the template `dossier new` uses. `new topic <id> <title>` makes a topic folder that passes the check, to fill in with `edit source`, `edit event` and `edit position`; `new actor <id> <name>` adds an actor card to this place's topic (or `topic <t>`). Committed, logged and undoable like an edit.",
        args: &[
            pos("what", ArgKind::NewWhat, true, "topic or actor"),
            pos(
                "id",
                ArgKind::Text,
                true,
                "the new id: lowercase letters, digits and hyphens, e.g. water-talks",
            ),
            pos(
                "name",
                ArgKind::Text,
                true,
                "the topic's title or the actor's name, as answers show it",
            ),
            TOPIC_KW,
        ],
        examples: &[
            "new topic water-talks Nile water talks",
            "new actor egypt Egypt topic water-talks",
        ],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::History,
        name: "history",
        aliases: &["edits"],
        summary: "For moderators: the last edits made from chat (who, when, what), of one card if named.",
        args: &[
            pos(
                "card",
                ArgKind::Actor,
                false,
                "an actor, `timeline` or `sources`",
            ),
            TOPIC_KW,
        ],
        examples: &["history", "history iran"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Undo,
        name: "undo",
        aliases: &[],
        summary: "For moderators: revert the newest edit made from chat (your own; anyone's with a higher permission), checked like an edit.",
        args: &[],
        examples: &["undo"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Suggest,
        name: "suggest",
        aliases: &[],
        summary: "Suggest a change to a card (`suggest position <actor>`, `suggest event`, `suggest source`, or an existing event or source: `suggest event 2026-02-06 muscat`): the moderators approve or reject it.",
        args: EDIT_ARGS,
        examples: &["suggest position iran", "suggest event"],
        moderator: false,
    },
    CommandSpec {
        kind: CommandKind::Approve,
        name: "approve",
        aliases: &[],
        summary: "For moderators: apply a suggested edit (checked like an edit), credited to who suggested it and to you; or, as `approve proposal N`, add the newsdesk's proposal N to the timeline (`field: value` lines after it change the draft first).",
        args: &[pos("id", ArgKind::Id, true, "the suggestion's number")],
        examples: &["approve 3", "approve proposal 12"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Reject,
        name: "reject",
        aliases: &[],
        summary: "For moderators: turn down a suggested edit, with a reason if you like; or, as `reject proposal N <why>`, the newsdesk's proposal N (the same story is never proposed again).",
        args: &[
            pos("id", ArgKind::Id, true, "the suggestion's number"),
            kw("reason", ArgKind::Text, "why, for the record"),
        ],
        examples: &[
            "reject 3",
            "reject 3 reason not in the sources",
            "reject proposal 12 not about the talks",
        ],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Suggestions,
        name: "suggestions",
        aliases: &[],
        summary: "For moderators: the suggested edits waiting for a decision, oldest first.",
        args: &[],
        examples: &["suggestions"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Proposals,
        name: "proposals",
        aliases: &["proposal"],
        summary: "For moderators: the newsdesk's proposed timeline events waiting for a decision, newest first; with a number, that one with its sources.",
        args: &[
            pos("id", ArgKind::Id, false, "a proposal's number"),
            kw("topic", ArgKind::Topic, "only this topic's"),
        ],
        examples: &["proposals", "proposal 12"],
        moderator: true,
    },
    CommandSpec {
        kind: CommandKind::Feeds,
        name: "feeds",
        aliases: &["feed"],
        summary: "For moderators: the topic's news feeds with how each was last read; `feed add <url> [outlet]` adds one, `feed remove <n>` removes one (checked, committed, undoable).",
        args: &[
            pos(
                "change",
                ArgKind::Text,
                false,
                "`add <url> [outlet]` or `remove <number>`",
            ),
            kw("topic", ArgKind::Topic, "the topic whose feeds"),
        ],
        examples: &[
            "feeds",
            "feed add https://news.example.org/rss.xml Example News",
            "feed remove 2",
        ],
        moderator: true,
    },
];

/// The command called `name` (or one of its aliases), ignoring case.
pub fn find(name: &str) -> Option<&'static CommandSpec> {
    // Command names are short: anything longer is not one, and is not lowercased whole.
    if name.len() > 32 {
        return None;
    }
    let name = name.to_ascii_lowercase();
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name.as_str()))
}

/// The spec entry of a kind of command.
pub fn of(kind: CommandKind) -> &'static CommandSpec {
    // Every kind has an entry: `every_kind_has_one_entry` checks it.
    COMMANDS
        .iter()
        .find(|c| c.kind == kind)
        .unwrap_or(&COMMANDS[0])
}

impl CommandSpec {
    /// "position <actor> [topic TOPIC]"
    pub fn usage(&self) -> String {
        let mut s = self.name.to_owned();
        for a in self.args {
            let body = if a.positional {
                format!("<{}>", a.name)
            } else if a.kind == ArgKind::Switch {
                format!("{} on|off", a.name)
            } else {
                format!("{} {}", a.name, a.name.to_uppercase())
            };
            if a.required {
                s.push_str(&format!(" {body}"));
            } else if a.positional {
                s.push_str(&format!(" [{}]", a.name));
            } else {
                s.push_str(&format!(" [{body}]"));
            }
        }
        s
    }

    pub fn arg(&self, name: &str) -> Option<&ArgSpec> {
        self.args.iter().find(|a| a.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique() {
        let mut all: Vec<&str> = Vec::new();
        for c in COMMANDS {
            for n in std::iter::once(&c.name).chain(c.aliases) {
                assert!(!all.contains(n), "{n} twice");
                all.push(n);
            }
        }
    }

    #[test]
    fn every_kind_has_one_entry() {
        use CommandKind::*;
        for kind in [
            Brief,
            Position,
            Actors,
            Timeline,
            Experts,
            Compare,
            Sources,
            Search,
            Topics,
            Help,
            Status,
            Reload,
            Check,
            Subscribe,
            Unsubscribe,
            Schedules,
            Preview,
            Edit,
            New,
            History,
            Undo,
            Suggest,
            Approve,
            Reject,
            Suggestions,
            Proposals,
            Feeds,
            Place,
        ] {
            // An exhaustive match: a new kind must be added to the list above.
            match kind {
                Brief | Position | Actors | Timeline | Experts | Compare | Sources | Search
                | Topics | Help | Status | Reload | Check | Subscribe | Unsubscribe | Schedules
                | Preview | Edit | New | History | Undo | Suggest | Approve | Reject
                | Suggestions | Proposals | Feeds | Place => {}
            }
            let n = COMMANDS.iter().filter(|c| c.kind == kind).count();
            assert_eq!(n, 1, "{kind:?} has {n} entries");
            assert_eq!(of(kind).kind, kind);
        }
    }

    #[test]
    fn usage_is_generated() {
        assert_eq!(
            find("position").unwrap().usage(),
            "position <actor> [on ON] [topic TOPIC] [picture on|off]"
        );
        assert_eq!(
            find("TIMELINE").unwrap().usage(),
            "timeline [topic] [since SINCE] [until UNTIL] [actor ACTOR] [page PAGE] [picture on|off]"
        );
        assert_eq!(find("vs").unwrap().name, "compare");
    }
}
