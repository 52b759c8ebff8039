//! `dossier ask <command words…>`: answer once and exit (0, or 1 when the question was a
//! mistake; the reply then says how to ask). With `--image FILE`, the answer's chart (a
//! timeline's, a position's or a comparison's) is written too: PNG, or SVG for a `.svg` name.

use super::common::Common;
use crate::commands::{Ctx, respond};
use crate::render::text::render;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The command and its words, e.g. `position iran` (a leading / or ! is fine).
    #[arg(required = true, num_args = 1.., allow_hyphen_values = true, trailing_var_arg = true)]
    pub words: Vec<String>,
    /// Also write the answer's chart to FILE (PNG; SVG if FILE ends in .svg).
    #[arg(long, value_name = "FILE")]
    pub image: Option<std::path::PathBuf>,
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
    let line = line.join(" ");
    let reply = respond(&ctx, &line);
    print!("{}", render(&reply, args.common.text_style()));
    if let Some(file) = &args.image
        && !reply.is_user_error()
    {
        return write_image(&ctx, &line, file);
    }
    if reply.is_user_error() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Write the chart of `line`'s answer to `file`; 2 when there is none or it cannot be written.
fn write_image(ctx: &Ctx<'_>, line: &str, file: &std::path::Path) -> ExitCode {
    let picture = crate::commands::parse(line)
        .ok()
        .and_then(|cmd| crate::charts::for_command(ctx, &cmd));
    let Some(p) = picture else {
        eprintln!("error: this answer has no chart; `timeline`, `position` and `compare` have one");
        return ExitCode::from(2);
    };
    let svg = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let bytes = if svg {
        Ok(p.svg.into_bytes())
    } else {
        crate::charts::raster::png(&p.svg)
    };
    match bytes.and_then(|b| std::fs::write(file, b).map_err(|e| e.to_string())) {
        Ok(()) => {
            eprintln!("Chart written to {}: {}", file.display(), p.alt);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", file.display());
            ExitCode::from(2)
        }
    }
}
