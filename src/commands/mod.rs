//! Commands: the one grammar (`spec`), the typed [`Command`] value (`command`), parsing typed
//! lines or structured options into it (`parse`), and answering it from a library snapshot as
//! a `Reply` (`answer`), and where each answer lives on the web (`address`). Platform-neutral:
//! no I/O, no chat platform types.

pub mod address;
pub mod answer;
pub mod command;
pub mod complete;
pub mod parse;
pub mod spec;

pub use answer::{Ctx, ServiceReport, answer, respond};
pub use command::{Command, Scope};
pub use parse::{ParseError, parse};
