//! Who asked, and where: the platform a command came from and the asker's place, name and
//! permissions, as the doors fill them in for the router and the service features. Plain data.

use crate::edit::Author;
use crate::schedule::Destination;

/// The platforms commands arrive from, as metrics and logs name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Terminal,
    Discord,
    Matrix,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Terminal => "terminal",
            Platform::Discord => "discord",
            Platform::Matrix => "matrix",
        }
    }
}

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
        }
    }
}
