//! `dossier chat`: an interactive session with line editing and history. Each line is answered
//! like a chat message; `quit`, `exit` or Ctrl-D leave.

use super::common::Common;
use crate::commands::{Ctx, respond};
use crate::render::text::render;
use rustyline::error::ReadlineError;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not read or write the history file.
    #[arg(long)]
    pub no_history: bool,
    #[command(flatten)]
    pub common: Common,
}

fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/state"))
        })?;
    Some(base.join("dossier").join("history"))
}

pub fn run(args: Args) -> ExitCode {
    let library = match args.common.library() {
        Ok(l) => l,
        Err(code) => return code,
    };
    let today = args.common.today();
    let ctx = Ctx {
        library: &library,
        today,
        default_topic: args.common.default_topic.as_deref(),
        service: None,
    };
    let style = args.common.text_style();
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start line editing: {e}");
            return ExitCode::from(2);
        }
    };
    let history = if args.no_history {
        None
    } else {
        history_path()
    };
    if let Some(h) = &history {
        // No history yet is normal; anything else is not worth failing over.
        let _ = editor.load_history(h);
    }
    let titles: Vec<&str> = library.topics().iter().map(|t| t.title.as_str()).collect();
    println!(
        "dossier: {} topic{} loaded ({}).",
        titles.len(),
        if titles.len() == 1 { "" } else { "s" },
        titles.join("; ")
    );
    println!("Type `brief` to start, `help` for every command, `quit` to leave.");
    loop {
        match editor.readline("dossier> ") {
            Ok(line) => {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line);
                if matches!(
                    line.to_ascii_lowercase().trim_start_matches(['/', '!']),
                    "quit" | "exit" | "q" | "bye"
                ) {
                    break;
                }
                let reply = respond(&ctx, line);
                println!("{}", render(&reply, style));
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: reading input: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(h);
    }
    ExitCode::SUCCESS
}
