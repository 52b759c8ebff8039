//! The scheduler of a running service: the loop that posts each due daily briefing exactly
//! once through the doors' posters (`run`), the stores of subscriptions and posts: SQLite in
//! one process (`sqlite`), PostgreSQL shared by replicas (`postgres`); and the moderators'
//! replies about them: `subscribe`, `unsubscribe`, `schedules`, `preview` (`chat`). When a briefing is due is `crate::schedule`'s pure maths.

pub mod chat;
pub mod postgres;
pub mod run;
pub mod sqlite;

pub use postgres::PgStore;
pub use run::{PostError, PostFuture, Poster, ScheduleWatch, Scheduler};
pub use sqlite::SqliteStore;
