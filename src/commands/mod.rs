//! Commands: the one grammar (`spec`), parsing typed lines or structured options into a
//! [`Command`] (`parse`), and answering it from a library snapshot as a `Reply` (`answer`).
//! Platform-neutral: no I/O, no chat platform types.

pub mod answer;
pub mod parse;
pub mod spec;

pub use answer::{Ctx, answer, respond};
pub use parse::{Command, ParseError, parse};
