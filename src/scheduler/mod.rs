//! The scheduler of a running service: the loop that posts each due daily briefing exactly
//! once through the doors' posters (`run`), over the schedule store `store` opens; and the
//! moderators' replies about them: `subscribe`, `unsubscribe`, `schedules`, `preview`
//! (`chat`). When a briefing is due is `crate::schedule`'s pure maths.

pub mod chat;
pub mod run;

pub use run::{PostError, PostFuture, Poster, ScheduleWatch, Scheduler};
