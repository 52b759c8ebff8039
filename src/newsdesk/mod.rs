//! The newsdesk: news feeds read into items (`items`, with their text made plain by `text`),
//! each scored against its topic's actors, people and keywords (`matching`), and the same story
//! from several outlets merged into one proposed timeline event (`proposals`) for moderators
//! to approve, and what approving one writes (`draft`). Pure: fetching, keeping and writing
//! are the service's.

pub mod canon;
pub mod draft;
pub mod items;
pub mod matching;
pub mod proposals;
pub mod text;
