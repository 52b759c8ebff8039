//! `dossier ask <command words…>`: answer once and exit (0, or 1 when the question was a
//! mistake; the reply then says how to ask).

use super::common::Common;
use crate::commands::{Ctx, respond};
use crate::render::text::render;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The command and its words, e.g. `position iran` (a leading / or ! is fine).
    #[arg(required = true, num_args = 1.., allow_hyphen_values = true, trailing_var_arg = true)]
    pub words: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(args: Args) -> ExitCode {
    let library = match args.common.library() {
        Ok(l) => l,
        Err(code) => return code,
    };
    let ctx = Ctx {
        library: &library,
        today: args.common.today(),
        default_topic: args.common.default_topic.as_deref(),
        service: None,
    };
    // Re-quote words that held spaces, so `ask position "united states"` keeps them together.
    let line: Vec<String> = args
        .words
        .iter()
        .map(|w| {
            if w.contains(char::is_whitespace) {
                format!("\"{w}\"")
            } else {
                w.clone()
            }
        })
        .collect();
    let reply = respond(&ctx, &line.join(" "));
    print!("{}", render(&reply, args.common.text_style()));
    if reply.is_user_error() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
