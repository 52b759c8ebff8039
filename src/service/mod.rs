//! What the service features share: who asked (`asker`) and what that grants (`moderators`),
//! each door's state (`doors`), the
//! moderators' notices (`notices`), the shelf the library is served from (`shelf`) and the
//! cache of answers rendered from it (`cache`), how the small SQLite stores open (`sqlite`)
//! and the PostgreSQL database replicas share (`postgres`, its TLS in `postgres_tls`). Small
//! parts, each a handle a feature takes when it needs it; none knows the whole service.

pub mod asker;
pub mod cache;
pub mod doors;
pub mod lease;
pub mod moderators;
pub mod notices;
pub mod postgres;
pub mod postgres_tls;
pub mod shelf;
pub mod sqlite;

pub use asker::{Asker, Platform, Standing};
pub use cache::ReplyCache;
pub use doors::{DoorReport, DoorState, Doors};
pub use notices::{Notice, NoticeKind, Notices};
pub use shelf::Shelf;
