//! `dossier digest [--topic T] [--since DATE | --against DIR]`: print a daily briefing in the
//! terminal, leading with what changed since a date (as the cards' own dates tell it) or
//! against another briefings folder (a checkout of last week, say); with neither, the full
//! first briefing a new subscriber gets.

use super::common::Common;
use crate::date::Date;
use crate::digest::{Previous, TopicSnapshot, WhenUnchanged, digest};
use crate::render::text::render;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Changes since this date (YYYY, YYYY-MM or YYYY-MM-DD; a month means its last day).
    #[arg(long, value_name = "DATE", conflicts_with = "against")]
    pub since: Option<String>,
    /// Changes against the cards in another briefings folder.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(args: Args) -> ExitCode {
    let library = match args.common.library() {
        Ok(l) => l,
        Err(code) => return code,
    };
    let today = args.common.today();
    let ti = match (args.common.default_topic.as_deref(), library.topics().len()) {
        (Some(t), _) => library.topic_index(t),
        (None, 1) => Some(0),
        (None, _) => None,
    };
    let Some(ti) = ti else {
        let ids: Vec<&str> = library.topics().iter().map(|t| t.id.as_str()).collect();
        eprintln!(
            "error: say which topic with --topic: {}",
            crate::text::or_list(&ids)
        );
        return ExitCode::from(2);
    };
    let topic = library.topic(ti);
    let previous: Option<(TopicSnapshot, chrono::NaiveDate)> = match (&args.since, &args.against) {
        (Some(s), _) => match Date::parse(s) {
            Ok(d) => {
                let day = d.last_day();
                Some((TopicSnapshot::as_on(topic, day), day))
            }
            Err(why) => {
                eprintln!("error: --since: {why}");
                return ExitCode::from(2);
            }
        },
        (None, Some(dir)) => match crate::cards::load(dir, today) {
            Ok(l) => match l.topics.iter().find(|t| t.id == topic.id) {
                Some(old) if !l.report.has_errors() => Some((TopicSnapshot::of(old), old.as_of)),
                Some(_) => {
                    eprint!("{}", l.report.human());
                    eprintln!("error: the cards in {} are invalid", dir.display());
                    return ExitCode::from(1);
                }
                None => {
                    eprintln!("error: {} has no topic `{}`", dir.display(), topic.id);
                    return ExitCode::from(2);
                }
            },
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        (None, None) => None,
    };
    let reply = digest(
        &library,
        ti,
        previous.as_ref().map(|(s, d)| Previous {
            snapshot: s,
            day: *d,
        }),
        today,
        today,
        WhenUnchanged::Post,
    );
    match reply {
        Some(r) => {
            print!("{}", render(&r, args.common.text_style()));
            ExitCode::SUCCESS
        }
        None => ExitCode::SUCCESS,
    }
}
