//! Who asked, and where: the platform a command came from and the asker's place, name and
//! standing (the platform facts a moderator check needs), as the doors fill them in for the
//! router and the service features. Plain data: what the facts grant is `moderators`' call.

use crate::edit::Author;
use crate::schedule::Destination;

pub use crate::platform::Platform;

/// Who asked, and where: what commands that act on a place (subscriptions) need to know.
#[derive(Clone, Debug)]
pub struct Asker {
    pub platform: Platform,
    /// The channel or room the command came from; `None` in the terminal.
    pub place: Option<Destination>,
    /// "discord:1234 (alice)", for the record of who made a subscription.
    pub who: Option<String>,
    /// Who asked, for edits from chat: platform, user id and display name.
    pub author: Option<Author>,
    /// Holds more than the moderator permission (Discord: Administrator; Matrix: power level
    /// 100): may undo another moderator's edit.
    pub admin: bool,
    /// What the door saw of the asker's standing, for the router's moderator check.
    pub standing: Standing,
}

/// What a door saw of who asked: platform facts, no decision. The router decides with them
/// and the operator's `[moderation]` (`service::moderators`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    /// The user's id on the platform: "@alice:example.org", or a Discord user id.
    pub user: Option<String>,
    /// Discord: the server the command came from (none in a DM).
    pub guild: Option<u64>,
    /// Discord: the member's roles in that server.
    pub roles: Vec<u64>,
    /// Holds the place's own moderator power: Discord's `moderator_permission` in the server,
    /// Matrix's `moderator_power_level` in the room.
    pub place_moderator: bool,
    /// Matrix: the rooms named in `[moderation] matrix_rooms` where the user holds
    /// `moderator_power_level` (read only for commands that need it).
    pub in_named_rooms: Vec<String>,
    /// Who the place's own moderators are, for a refusal to say: "members with power level 50
    /// or more in this room".
    pub place_rule: String,
}

impl Asker {
    /// Someone at the terminal.
    pub fn terminal() -> Asker {
        Asker {
            platform: Platform::Terminal,
            place: None,
            who: None,
            author: None,
            admin: false,
            standing: Standing::default(),
        }
    }

    /// A user of a platform, in no particular place (tests, tools).
    pub fn on(platform: Platform) -> Asker {
        Asker {
            platform,
            place: None,
            who: None,
            author: None,
            admin: false,
            standing: Standing::default(),
        }
    }
}
