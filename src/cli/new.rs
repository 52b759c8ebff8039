//! `dossier new topic <id> --title …` and `dossier new actor <topic> <id> --name …`: new
//! cards from the templates of `edit::new`, written so that nothing is half there (a topic
//! folder appears whole, by rename), never over an existing topic or card, and checked as
//! `dossier check` does before the command says it is done. Exit 0 done, 2 refused (with why).

use super::common::{Common, UNREADABLE_FOLDER};
use crate::cards;
use crate::desk::new::{CreateError, create_actor, create_topic};
use crate::edit::new::{name, slug};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// A new topic folder: topic card, one example actor, an empty timeline, a sources card and
    /// no expert views yet, each field explained; passes `dossier check` as it is.
    Topic {
        /// The topic's id, also its folder's name: lowercase letters, digits and hyphens.
        id: String,
        /// The title answers show.
        #[arg(long)]
        title: String,
        #[command(flatten)]
        common: Common,
    },
    /// A new actor card in a topic, citing the topic's first source until you cite your own.
    Actor {
        /// The topic the actor belongs to.
        #[arg(value_name = "TOPIC")]
        in_topic: String,
        /// The actor's id, also its card's name: lowercase letters, digits and hyphens.
        id: String,
        /// The name answers show.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        common: Common,
    },
}

fn refuse(why: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {why}; nothing was written");
    ExitCode::from(2)
}

pub fn run(cmd: Cmd) -> ExitCode {
    match cmd {
        Cmd::Topic { id, title, common } => new_topic(&id, &title, &common),
        Cmd::Actor {
            in_topic,
            id,
            name,
            common,
        } => new_actor(&in_topic, &id, &name, &common),
    }
}

fn new_topic(id: &str, title: &str, common: &Common) -> ExitCode {
    let (id, title) = match (slug(id, "topic"), name(title, "title")) {
        (Ok(i), Ok(t)) => (i, t),
        (Err(e), _) | (_, Err(e)) => return refuse(e),
    };
    let target = match create_topic(&common.briefings, &id, &title, common.today()) {
        Ok(t) => t,
        Err(e) => return refuse(e),
    };
    if let Some(code) = checked(&common.briefings, &id, common, &[], &[]) {
        return code;
    }
    println!(
        "Wrote {}: topic.toml, sources.toml, timeline.toml, experts.toml and actors/example-actor.toml.",
        target.display()
    );
    println!(
        "They pass `dossier check`. Next: replace the examples with what your sources say (each field says what it is for), add actors with `dossier new actor {id} <id> --name …`, run `dossier check`, then `dossier ask brief topic {id}`."
    );
    ExitCode::SUCCESS
}

fn new_actor(topic: &str, id: &str, actor_name: &str, common: &Common) -> ExitCode {
    let (topic, id, actor_name) = match (
        slug(topic, "topic"),
        slug(id, "actor"),
        name(actor_name, "name"),
    ) {
        (Ok(t), Ok(i), Ok(n)) => (t, i, n),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return refuse(e),
    };
    let dir = common.briefings.join(&topic);
    // Errors the topic already has are not the new card's.
    let before = topic_errors(&common.briefings, &topic, common);
    let card = match create_actor(&dir, &id, &actor_name, common.today()) {
        Ok(c) => c,
        Err(CreateError::NoTopic { .. }) => {
            return refuse(format!(
                "there is no topic `{topic}` in {} (no {}): `dossier new topic {topic} --title …` makes one",
                common.briefings.display(),
                dir.join("topic.toml").display()
            ));
        }
        Err(e) => return refuse(e),
    };
    if let Some(code) = checked(
        &common.briefings,
        &topic,
        common,
        std::slice::from_ref(&card.path),
        &before,
    ) {
        return code;
    }
    println!(
        "Wrote {}; it cites `{}` until you cite your own sources, and passes `dossier check`.",
        card.path.display(),
        card.source
    );
    println!(
        "Add `{id}` to `main_actors` in {} to list it in the brief.",
        dir.join("topic.toml").display()
    );
    ExitCode::SUCCESS
}

/// The errors `dossier check` finds in a topic's folder, one line each.
fn topic_errors(root: &Path, topic: &str, common: &Common) -> Vec<String> {
    let dir = root.join(topic);
    cards::load(root, common.today())
        .map(|l| {
            l.report
                .diagnostics
                .iter()
                .filter(|d| d.is_error() && d.path.starts_with(&dir))
                .map(|d| d.one_line(root))
                .collect()
        })
        .unwrap_or_default()
}

/// Check the topic as `dossier check` does. When what was just written brought errors the
/// topic did not have (`before`), remove it (`undo`; a new topic's whole folder when empty)
/// and say why; `None` when all is well.
fn checked(
    root: &Path,
    topic: &str,
    common: &Common,
    undo: &[PathBuf],
    before: &[String],
) -> Option<ExitCode> {
    if let Err(e) = cards::load(root, common.today()) {
        eprintln!("error: {e}");
        return Some(ExitCode::from(UNREADABLE_FOLDER));
    }
    let new: Vec<String> = topic_errors(root, topic, common)
        .into_iter()
        .filter(|e| !before.contains(e))
        .collect();
    if new.is_empty() {
        return None;
    }
    for line in &new {
        eprintln!("{line}");
    }
    if undo.is_empty() {
        let _ = std::fs::remove_dir_all(root.join(topic));
    }
    for p in undo {
        let _ = std::fs::remove_file(p);
    }
    Some(refuse(format!(
        "the new card{} would not pass `dossier check`",
        if undo.len() == 1 { "" } else { "s" }
    )))
}
