//! `dossier schema [KIND] [--out DIR]`: the JSON Schema of each kind of card file, from the
//! structs the loader reads (`cards::schema`), for an editor's TOML language server (Taplo,
//! "Even Better TOML") to complete field names and flag a wrong type before `check` runs.
//! One kind prints to standard output; `--out` writes them all and prints the `.taplo.toml`
//! rules that point at them. Exit 0 done, 2 unknown kind or a file that could not be written.

use crate::cards::schema::{self, CardSchema};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which card file: topic, sources, timeline, experts or actor. Without it (and without
    /// --out), lists the kinds.
    pub kind: Option<String>,
    /// Write every kind's schema here as <kind>.schema.json (the folder is made if missing),
    /// and print the .taplo.toml rules that use them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The file name a kind's schema is written under.
pub fn file_name(kind: &str) -> String {
    format!("{kind}.schema.json")
}

/// The schema as it is written: pretty JSON with a final newline, so that a checked-in copy
/// diffs line by line.
pub fn text(s: &CardSchema) -> String {
    let mut t = serde_json::to_string_pretty(&s.schema).expect("a JSON value always serializes");
    t.push('\n');
    t
}

/// `.taplo.toml` rules that give each card file its schema. `briefings` is where the topic
/// folders are and `dir` where the schemas are, both as written from the `.taplo.toml`'s folder.
pub fn taplo_rules(briefings: &str, dir: &str) -> String {
    let briefings = briefings.trim_end_matches('/');
    let dir = dir.trim_end_matches('/');
    let mut out = String::new();
    for s in schema::all() {
        out.push_str(&format!(
            "[[rule]]\ninclude = [\"{briefings}/{}\"]\n[rule.schema]\npath = \"{dir}/{}\"\n\n",
            s.files,
            file_name(s.kind)
        ));
    }
    out.pop();
    out
}

pub fn run(args: Args) -> ExitCode {
    let kinds = || {
        schema::all()
            .iter()
            .map(|s| s.kind)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(dir) = &args.out {
        if let Some(k) = &args.kind {
            eprintln!(
                "error: --out writes every kind; leave out `{k}`, or print it alone without --out"
            );
            return ExitCode::from(2);
        }
        return write_all(dir);
    }
    match args.kind.as_deref() {
        Some(k) => match schema::of(k) {
            Some(s) => {
                print!("{}", text(&s));
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: no card kind `{}`: choose one of {}",
                    k.chars().take(40).collect::<String>(),
                    kinds()
                );
                ExitCode::from(2)
            }
        },
        None => {
            println!("Card kinds (dossier schema <kind> prints one):");
            for s in schema::all() {
                println!("  {:<9} {}", s.kind, s.files);
            }
            println!(
                "\ndossier schema --out briefings/.schema writes them all and prints the .taplo.toml that uses them."
            );
            ExitCode::SUCCESS
        }
    }
}

fn write_all(dir: &Path) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot make {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    for s in schema::all() {
        let path = dir.join(file_name(s.kind));
        if let Err(e) = crate::desk::files::write_atomically(&path, &text(&s)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        eprintln!("wrote {}", path.display());
    }
    let shown = dir.display().to_string();
    let briefings = dir
        .parent()
        .map(|p| p.display().to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| ".".into());
    eprintln!(
        "\nPut these rules in a .taplo.toml in the folder you run dossier from (paths are from there):\n"
    );
    println!("{}", taplo_rules(&briefings, &shown));
    ExitCode::SUCCESS
}
