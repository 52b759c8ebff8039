//! What the service features share: who asked (`asker`) and what that grants (`moderators`),
//! each door's state (`doors`), the
//! moderators' notices (`notices`), the shelf the library is served from (`shelf`) and the
//! cache of answers rendered from it (`cache`), and the leases that keep a door, or a topic's
//! edit, in one replica at a time (`lease`). Small parts, each a handle a feature takes when it
//! needs it; none knows the whole service.

pub mod asker;
pub mod cache;
pub mod doors;
pub mod lease;
pub mod moderators;
pub mod notices;
pub mod shelf;

pub use asker::{Asker, Platform, Standing};
pub use cache::ReplyCache;
pub use doors::{DoorReport, DoorState, Doors};
pub use notices::{Notice, NoticeKind, Notices};
pub use shelf::Shelf;
