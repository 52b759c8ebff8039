//! Renderers: a [`crate::reply::Reply`] turned into what one surface shows. Each renderer
//! escapes card and user text for its own markup; none changes what a reply says.

pub mod discord;
pub mod matrix;
pub mod text;
