//! Why a line or a set of options did not parse (each says how to fix it), and the named
//! arguments a command is given.

use crate::date::Date;
use std::collections::BTreeMap;

/// Why a line could not be parsed; the reply tells the user how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    UnknownCommand {
        name: String,
        suggestions: Vec<&'static str>,
    },
    Missing {
        command: &'static str,
        arg: &'static str,
    },
    BadDate {
        command: &'static str,
        arg: &'static str,
        why: String,
    },
    BadPage {
        command: &'static str,
        value: String,
    },
    DateOrder {
        since: Date,
        until: Date,
    },
    Unexpected {
        command: &'static str,
        text: String,
    },
    /// The line is longer than [`MAX_LINE_CHARS`].
    TooLong {
        chars: usize,
    },
    /// A value that is not what the argument takes (a time, a time zone, a number).
    Invalid {
        command: &'static str,
        arg: &'static str,
        why: String,
    },
}

/// Arguments by name, as typed.
pub type Args = BTreeMap<&'static str, String>;
