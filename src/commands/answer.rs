//! Answering a [`Command`] from a [`Library`] snapshot, as a [`Reply`]. Pure: the same library,
//! command and day give the same reply. A user's mistake (unknown actor, bad page) is answered
//! with a reply that says how to ask instead, never with an empty one.

// A user's mistake travels as `Err(Reply)`: the reply that explains it. It is the cold path,
// and boxing it would buy nothing.
#![allow(clippy::result_large_err)]

use super::parse::{Command, ParseError};
use super::spec::{self, COMMANDS};
use crate::cards::{Actor, Choice, Status, Topic};
use crate::date::human_day;
use crate::library::{Hit, Library, Place};
use crate::reply::{Block, Citation, Field, Footer, Line, Pager, Reply, ReplyKind};
use crate::text::{fold, or_list, truncate_words};
use chrono::NaiveDate;

/// Timeline events or search results on one page.
pub const PAGE_SIZE: usize = 10;

/// Everything an answer depends on besides the command.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub library: &'a Library,
    pub today: NaiveDate,
    /// The topic to use when several are loaded and none is named.
    pub default_topic: Option<&'a str>,
}

/// Parse and answer one line as typed on any surface.
pub fn respond(ctx: &Ctx<'_>, line: &str) -> Reply {
    match super::parse::parse(line) {
        Ok(cmd) => answer(ctx, &cmd),
        Err(e) => parse_error_reply(&e),
    }
}

/// Answer a parsed command.
pub fn answer(ctx: &Ctx<'_>, cmd: &Command) -> Reply {
    let result = match cmd {
        Command::Brief { topic } => ctx.topic(topic.as_deref()).map(|t| brief(ctx, t)),
        Command::Position { actor, topic } => position(ctx, actor, topic.as_deref()),
        Command::Actors { topic } => ctx.topic(topic.as_deref()).map(|t| actors(ctx, t)),
        Command::Timeline { .. } => timeline(ctx, cmd),
        Command::Experts { topic, about } => experts(ctx, topic.as_deref(), about.as_deref()),
        Command::Compare {
            first,
            second,
            topic,
        } => compare(ctx, first, second.as_deref(), topic.as_deref()),
        Command::Sources { topic } => ctx.topic(topic.as_deref()).map(|t| sources(ctx, t)),
        Command::Search { query, topic, page } => search(ctx, cmd, query, topic.as_deref(), *page),
        Command::Topics => Ok(topics(ctx)),
        Command::Status => Ok(status(ctx)),
        Command::Help { command } => Ok(help(command.as_deref())),
    };
    result.unwrap_or_else(|e| e)
}

fn user_error(title: impl Into<String>, summary: impl Into<String>) -> Reply {
    Reply::new(ReplyKind::UserError, title).summary(Line::new(summary))
}

fn quote_list(items: &[String]) -> String {
    let refs: Vec<&str> = items.iter().map(String::as_str).collect();
    or_list(&refs)
}

impl<'a> Ctx<'a> {
    fn topic_names(&self) -> Vec<String> {
        self.library.topics().iter().map(|t| t.id.clone()).collect()
    }

    /// The topic named, or the only one, or the default one; otherwise a reply that explains.
    fn topic(&self, given: Option<&str>) -> Result<usize, Reply> {
        let lib = self.library;
        if lib.is_empty() {
            return Err(user_error(
                "No topics are loaded",
                "The briefings folder has no topics yet. Moderators: add briefings/<topic-id>/topic.toml (see briefings/README.md).",
            ));
        }
        match given {
            Some(name) => lib.topic_index(name).ok_or_else(|| {
                let close = lib.suggest_topics(name);
                let mut r = user_error(
                    format!("No topic called “{name}”"),
                    if close.is_empty() {
                        format!("Loaded topics: {}.", quote_list(&self.topic_names()))
                    } else {
                        format!("Did you mean {}?", quote_list(&close))
                    },
                );
                r.bullets("Try", vec![Line::new("topics — lists every loaded topic")]);
                r
            }),
            None if lib.topics().len() == 1 => Ok(0),
            None => match self.default_topic.and_then(|d| lib.topic_index(d)) {
                Some(t) => Ok(t),
                None => Err(self.ambiguous_topic()),
            },
        }
    }

    /// For `timeline iran` and `experts iran`: a positional word that names no topic but an
    /// actor of the current topic is taken as the actor filter.
    fn topic_or_actor<'n>(
        &self,
        topic: Option<&'n str>,
        actor: Option<&'n str>,
    ) -> Result<(usize, Option<&'n str>), Reply> {
        if let (Some(name), None) = (topic, actor)
            && self.library.topic_index(name).is_none()
            && let Ok(ti) = self.topic(None)
            && self.library.actor(ti, name).is_some()
        {
            return Ok((ti, Some(name)));
        }
        Ok((self.topic(topic)?, actor))
    }

    fn ambiguous_topic(&self) -> Reply {
        let mut r = user_error(
            "Which topic?",
            format!(
                "Several topics are loaded ({}) and no default topic is set. Name one, e.g. `brief topic {}`.",
                quote_list(&self.topic_names()),
                self.library.topic(0).id
            ),
        );
        r.bullets(
            "Try",
            vec![Line::new(
                "topics — lists every loaded topic with its status",
            )],
        );
        r
    }

    fn actor(&self, t: usize, name: &str) -> Result<&'a Actor, Reply> {
        self.library
            .actor(t, name)
            .ok_or_else(|| self.unknown_actor(t, name))
    }

    fn unknown_actor(&self, t: usize, name: &str) -> Reply {
        let topic = self.library.topic(t);
        let close = self.library.suggest_actors(t, name);
        let summary = if close.is_empty() {
            let ids: Vec<String> = topic.actors.iter().map(|a| a.id.clone()).collect();
            format!(
                "No actor called “{name}” in {}. The actors are {}.",
                topic.title,
                quote_list(&ids)
            )
        } else {
            format!(
                "No actor called “{name}” in {}. Did you mean {}?",
                topic.title,
                quote_list(&close)
            )
        };
        let mut r = user_error(format!("Unknown actor “{name}”"), summary);
        r.bullets(
            "Try",
            vec![Line::new("actors — lists every actor with its aliases")],
        );
        r
    }

    fn footer(&self, t: &Topic, as_of: NaiveDate, what: &str) -> Footer {
        let stale = t.is_stale(as_of, self.today).then(|| {
            let age = (self.today - as_of).num_days();
            format!(
                "Stale: {what} is as of {}, {age} days ago; this topic's cards are meant to be rechecked every {} days.",
                human_day(as_of),
                t.stale_after_days
            )
        });
        Footer {
            topic: t.title.clone(),
            as_of,
            stale,
            note: None,
        }
    }
}

/// Numbers sources in the order a reply first cites them.
struct Cites<'a> {
    lib: &'a Library,
    topic: usize,
    list: Vec<Citation>,
}

impl<'a> Cites<'a> {
    fn new(lib: &'a Library, topic: usize) -> Self {
        Cites {
            lib,
            topic,
            list: Vec::new(),
        }
    }

    fn cite(&mut self, ids: &[String]) -> Vec<u32> {
        let mut ns = Vec::new();
        for id in ids {
            let n = match self.list.iter().find(|c| &c.source_id == id) {
                Some(c) => c.n,
                None => {
                    let Some(s) = self.lib.source(self.topic, id) else {
                        continue;
                    };
                    let n = self.list.len() as u32 + 1;
                    self.list.push(Citation {
                        n,
                        source_id: s.id.clone(),
                        title: s.title.clone(),
                        publisher: s.publisher.clone(),
                        published: s.published.map(|d| d.to_string()),
                        url: s.url.clone(),
                    });
                    n
                }
            };
            if !ns.contains(&n) {
                ns.push(n);
            }
        }
        ns
    }
}

fn status_word(s: Status) -> String {
    let w = s.as_str();
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn brief(ctx: &Ctx<'_>, ti: usize) -> Reply {
    let lib = ctx.library;
    let t = lib.topic(ti);
    let mut cites = Cites::new(lib, ti);
    let top = cites.cite(&t.sources_cited);
    let mut r =
        Reply::new(ReplyKind::Answer, &t.title).summary(Line::cited(&t.bottom_line, top.clone()));
    let status = Line::new(t.status_note.clone().unwrap_or_default()).label(status_word(t.status));
    r.section("Status", Block::Text(status));
    r.section(
        "Why it matters",
        Block::Text(Line::cited(&t.why_it_matters, top)),
    );
    let main: Vec<&Actor> = if t.main_actors.is_empty() {
        t.actors.iter().collect()
    } else {
        t.main_actors
            .iter()
            .filter_map(|id| lib.actor(ti, id))
            .collect()
    };
    let stances: Vec<Line> = main
        .iter()
        .map(|a| Line::cited(&a.position.stance, cites.cite(&a.position.sources)).label(&a.name))
        .collect();
    let oldest = main.iter().map(|a| a.position.as_of).min();
    let heading = match oldest {
        Some(d) if d < t.as_of => {
            format!("Where the actors stood (positions as of {})", human_day(d))
        }
        _ => "Where the actors stand".to_owned(),
    };
    r.bullets(heading, stances);
    let latest: Vec<Line> = t
        .events
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|e| Line::cited(&e.title, cites.cite(&e.sources)).label(e.date.to_string()))
        .collect();
    r.bullets("Latest events", latest);
    let watch: Vec<Line> = t
        .watch
        .iter()
        .map(|w| {
            let l = Line::cited(&w.item, cites.cite(&w.sources));
            match w.expected {
                Some(d) => l.label(format!("by {d}")),
                None => l,
            }
        })
        .collect();
    r.bullets("What to watch", watch);
    r.citations = cites.list;
    let mut footer = ctx.footer(t, t.as_of, "this briefing");
    footer.note =
        Some("More: position <actor> · timeline · experts · compare <actor> <actor>".into());
    r.footer = Some(footer);
    r
}

fn position(ctx: &Ctx<'_>, actor: &str, topic: Option<&str>) -> Result<Reply, Reply> {
    let lib = ctx.library;
    let ti = match topic {
        Some(_) => ctx.topic(topic)?,
        None if lib.topics().len() > 1 => {
            let with = lib.topics_with_actor(actor);
            let default = ctx.default_topic.and_then(|d| lib.topic_index(d));
            match (with.as_slice(), default) {
                ([only], _) => *only,
                (many, Some(d)) if many.contains(&d) || many.is_empty() => d,
                ([], None) => return Err(ctx.ambiguous_topic()),
                (many, _) => {
                    let ids: Vec<String> = many.iter().map(|&t| lib.topic(t).id.clone()).collect();
                    return Err(user_error(
                        format!("“{actor}” is in several topics"),
                        format!(
                            "It appears in {}. Say which: `position {actor} topic {}`.",
                            quote_list(&ids),
                            ids[0]
                        ),
                    ));
                }
            }
        }
        None => ctx.topic(None)?,
    };
    // "position iran iran-us-talks": a trailing topic name without the keyword.
    let a = match (lib.actor(ti, actor), actor.rsplit_once(' ')) {
        (Some(a), _) => a,
        (None, Some((head, tail))) if topic.is_none() && lib.topic_index(tail).is_some() => {
            let t2 = lib.topic_index(tail).unwrap_or(ti);
            return position(ctx, head, Some(&lib.topic(t2).id));
        }
        _ => return Err(ctx.unknown_actor(ti, actor)),
    };
    let t = lib.topic(ti);
    let p = &a.position;
    let mut cites = Cites::new(lib, ti);
    let ps = cites.cite(&p.sources);
    let mut r = Reply::new(ReplyKind::Answer, format!("{}: position", a.name))
        .summary(Line::cited(&p.stance, ps.clone()));
    r.section("Summary", Block::Text(Line::cited(&p.summary, ps)));
    let plain = |v: &Vec<String>| v.iter().map(Line::new).collect::<Vec<_>>();
    r.bullets("Demands", plain(&p.demands));
    r.bullets("Red lines", plain(&p.red_lines));
    r.bullets("Signals and concessions", plain(&p.signals));
    let people: Vec<Line> = a
        .people
        .iter()
        .map(|person| {
            let mut text = format!("{} (as of {})", person.role, person.as_of);
            if let Some(n) = &person.note {
                text.push_str(&format!(". {n}"));
            }
            Line::cited(text, cites.cite(&person.sources)).label(&person.name)
        })
        .collect();
    r.bullets("Key people", people);
    r.section(
        "Assessment",
        Block::Fields(vec![
            Field {
                name: "Confidence".into(),
                lines: vec![Line::new(p.confidence.as_str())],
            },
            Field {
                name: "As of".into(),
                lines: vec![Line::new(human_day(p.as_of))],
            },
            Field {
                name: "Role".into(),
                lines: vec![Line::new(&a.role)],
            },
        ]),
    );
    r.citations = cites.list;
    let mut footer = ctx.footer(t, p.as_of, "this position");
    if p.as_of < t.as_of {
        footer.note = Some(format!(
            "The topic itself is updated to {}: see `timeline since {}` for what happened after this position was written.",
            human_day(t.as_of),
            p.as_of
        ));
    }
    r.footer = Some(footer);
    Ok(r)
}

fn actors(ctx: &Ctx<'_>, ti: usize) -> Reply {
    let lib = ctx.library;
    let t = lib.topic(ti);
    let mut cites = Cites::new(lib, ti);
    let lines = t
        .actors
        .iter()
        .map(|a| {
            let aka = if a.aliases.is_empty() {
                String::new()
            } else {
                format!(" Also: {}.", a.aliases.join(", "))
            };
            let text = format!(
                "`{}` · {} · {} Stance: {}{aka}",
                a.id, a.kind, a.role, a.position.stance
            );
            Line::cited(text, cites.cite(&a.position.sources)).label(&a.name)
        })
        .collect();
    let mut r =
        Reply::new(ReplyKind::Answer, format!("Actors: {}", t.title)).summary(Line::new(format!(
            "{} actors. Ask `position <actor>` for any of them.",
            t.actors.len()
        )));
    r.bullets("Actors", lines);
    r.citations = cites.list;
    r.footer = Some(ctx.footer(t, t.as_of, "this topic"));
    r
}

fn pager(cmd: &Command, page: u32, pages: u32, total: usize, noun: &'static str) -> Option<Pager> {
    (pages > 1).then(|| Pager {
        page,
        pages,
        total,
        noun,
        prev: (page > 1)
            .then(|| cmd.with_page(page - 1))
            .flatten()
            .map(|c| c.to_line()),
        next: (page < pages)
            .then(|| cmd.with_page(page + 1))
            .flatten()
            .map(|c| c.to_line()),
    })
}

fn page_bounds(total: usize, page: u32) -> (u32, std::ops::Range<usize>) {
    let pages = total.div_ceil(PAGE_SIZE).max(1) as u32;
    let start = (page as usize - 1) * PAGE_SIZE;
    (pages, start.min(total)..(start + PAGE_SIZE).min(total))
}

fn no_such_page(page: u32, pages: u32, noun: &str, cmd: &Command) -> Reply {
    let last = cmd
        .with_page(pages)
        .map(|c| c.to_line())
        .unwrap_or_default();
    user_error(
        format!("There is no page {page}"),
        format!(
            "The {noun} fill {pages} page{}; the last is `{last}`.",
            if pages == 1 { "" } else { "s" }
        ),
    )
}

fn timeline(ctx: &Ctx<'_>, cmd: &Command) -> Result<Reply, Reply> {
    let Command::Timeline {
        topic,
        since,
        until,
        actor,
        page,
    } = cmd
    else {
        return Err(help(None));
    };
    let lib = ctx.library;
    let (ti, actor) = ctx.topic_or_actor(topic.as_deref(), actor.as_deref())?;
    let t = lib.topic(ti);
    let who = actor.map(|a| ctx.actor(ti, a)).transpose()?;
    let events: Vec<_> = t
        .events
        .iter()
        .filter(|e| since.is_none_or(|s| e.date.last_day() >= s.first_day()))
        .filter(|e| until.is_none_or(|u| e.date.first_day() <= u.last_day()))
        .filter(|e| who.is_none_or(|a| e.actors.contains(&a.id)))
        .collect();
    let mut filters = Vec::new();
    if let Some(s) = since {
        filters.push(format!("since {s}"));
    }
    if let Some(u) = until {
        filters.push(format!("until {u}"));
    }
    if let Some(a) = who {
        filters.push(format!("involving {}", a.name));
    }
    let filter = if filters.is_empty() {
        String::new()
    } else {
        format!(" {}", filters.join(", "))
    };
    let title = format!("Timeline: {}", t.title);
    if events.is_empty() {
        let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(format!(
            "No events{filter}. The timeline has {} events in all.",
            t.events.len()
        )));
        r.footer = Some(ctx.footer(t, t.as_of, "this timeline"));
        return Ok(r);
    }
    let (pages, range) = page_bounds(events.len(), *page);
    if *page > pages {
        return Err(no_such_page(*page, pages, "events", cmd));
    }
    let mut cites = Cites::new(lib, ti);
    let lines = events[range.clone()]
        .iter()
        .map(|e| {
            let mut text = format!("{}. {}", e.title, e.detail);
            if e.verification != crate::cards::Verification::Confirmed {
                text.push_str(&format!(" ({})", e.verification));
            }
            Line::cited(text, cites.cite(&e.sources)).label(e.date.to_string())
        })
        .collect();
    let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(format!(
        "Events {}–{} of {}{filter}, oldest first.",
        range.start + 1,
        range.end,
        events.len()
    )));
    r.bullets("Events", lines);
    r.citations = cites.list;
    r.pager = pager(cmd, *page, pages, events.len(), "events");
    r.footer = Some(ctx.footer(t, t.as_of, "this timeline"));
    Ok(r)
}

fn experts(ctx: &Ctx<'_>, topic: Option<&str>, about: Option<&str>) -> Result<Reply, Reply> {
    let lib = ctx.library;
    let (ti, about) = ctx.topic_or_actor(topic, about)?;
    let t = lib.topic(ti);
    let who = about.map(|a| ctx.actor(ti, a)).transpose()?;
    let views: Vec<_> = t
        .experts
        .iter()
        .filter(|v| who.is_none_or(|a| v.about.contains(&a.id)))
        .collect();
    let title = match who {
        Some(a) => format!("Expert views on {}", a.name),
        None => format!("Expert views: {}", t.title),
    };
    let mut r = Reply::new(ReplyKind::Answer, title);
    let mut cites = Cites::new(lib, ti);
    for v in &views {
        let mut who_line = v.affiliation.clone();
        if let Some(role) = &v.role {
            who_line = format!("{role}, {who_line}");
        }
        let mut lines = vec![Line::cited(&v.summary, cites.cite(&v.sources))];
        if let Some(q) = &v.quote {
            lines.push(
                Line::cited(
                    format!("“{}”", q.text),
                    cites.cite(std::slice::from_ref(&q.source)),
                )
                .label("Quote"),
            );
        }
        if !v.about.is_empty() {
            let names: Vec<&str> = v
                .about
                .iter()
                .filter_map(|id| lib.actor(ti, id))
                .map(|a| a.name.as_str())
                .collect();
            lines.push(Line::new(names.join(", ")).label("About"));
        }
        r.section(
            format!("{} — {who_line} ({})", v.name, v.date),
            Block::Bullets(lines),
        );
    }
    r.summary = Some(Line::new(match (views.len(), who) {
        (0, Some(a)) => format!(
            "No expert view in the cards is about {}. Try `experts` for all of them.",
            a.name
        ),
        (0, None) => "The cards hold no expert views yet.".to_owned(),
        (n, _) => format!(
            "{n} view{}, in the experts' words as summarised by the card authors; quotes are verbatim.",
            if n == 1 { "" } else { "s" }
        ),
    }));
    r.citations = cites.list;
    r.footer = Some(ctx.footer(t, t.as_of, "this topic"));
    Ok(r)
}

/// Resolve two actor names, splitting unseparated words at every point if needed.
fn two_actors<'a>(
    ctx: &Ctx<'a>,
    ti: usize,
    first: &str,
    second: Option<&str>,
) -> Result<(&'a Actor, &'a Actor), Reply> {
    if let Some(b) = second {
        return Ok((ctx.actor(ti, first)?, ctx.actor(ti, b)?));
    }
    let words: Vec<&str> = first.split_whitespace().collect();
    for k in 1..words.len() {
        let (a, b) = (words[..k].join(" "), words[k..].join(" "));
        if let (Some(x), Some(y)) = (ctx.library.actor(ti, &a), ctx.library.actor(ti, &b)) {
            return Ok((x, y));
        }
    }
    Err(user_error(
        "Which two actors?",
        format!(
            "I could not read two actors in “{first}”. Separate them with `vs` or quotes: `compare iran vs \"united states\"`."
        ),
    ))
}

/// Words that carry meaning, cut to a stem so "missiles" meets "missile".
fn stems(s: &str) -> Vec<String> {
    const SKIP: [&str; 16] = [
        "that", "this", "with", "from", "into", "must", "will", "would", "should", "their",
        "there", "about", "only", "than", "other", "which",
    ];
    let mut v: Vec<String> = fold(s)
        .split(' ')
        .filter(|w| w.len() >= 4 && !SKIP.contains(w))
        .map(|w| w.chars().take(6).collect())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Demands of one side that touch a red line of the other: for each demand, the red line that
/// shares the most meaningful words with it, if any.
fn clashes(a: &Actor, b: &Actor) -> Vec<Line> {
    let mut out = Vec::new();
    for (x, y) in [(a, b), (b, a)] {
        for d in &x.position.demands {
            let ds = stems(d);
            let best = y
                .position
                .red_lines
                .iter()
                .map(|rl| (stems(rl).iter().filter(|s| ds.contains(s)).count(), rl))
                .filter(|(n, _)| *n > 0)
                .fold(None::<(usize, &String)>, |best, c| match best {
                    Some(b) if b.0 >= c.0 => Some(b),
                    _ => Some(c),
                });
            if let Some((_, rl)) = best {
                out.push(
                    Line::new(format!("{d} — {}'s red line: {rl}", y.name))
                        .label(format!("{} wants", x.name)),
                );
            }
        }
    }
    out
}

fn compare(
    ctx: &Ctx<'_>,
    first: &str,
    second: Option<&str>,
    topic: Option<&str>,
) -> Result<Reply, Reply> {
    let lib = ctx.library;
    let ti = match topic {
        Some(_) => ctx.topic(topic)?,
        None if lib.topics().len() > 1 => {
            let name = first.split_whitespace().next().unwrap_or(first);
            match lib.topics_with_actor(name).as_slice() {
                [only] => *only,
                _ => ctx.topic(None)?,
            }
        }
        None => ctx.topic(None)?,
    };
    let t = lib.topic(ti);
    let (a, b) = two_actors(ctx, ti, first, second)?;
    if a.id == b.id {
        return Err(user_error(
            "Two different actors, please",
            format!(
                "Both names lead to {}. Compare it with another actor.",
                a.name
            ),
        ));
    }
    let mut cites = Cites::new(lib, ti);
    let (ca, cb) = (
        cites.cite(&a.position.sources),
        cites.cite(&b.position.sources),
    );
    let mut r = Reply::new(
        ReplyKind::Answer,
        format!("{} and {} compared", a.name, b.name),
    );
    let side = |x: &Actor, lines: Vec<Line>| Field {
        name: x.name.clone(),
        lines,
    };
    let list = |v: &Vec<String>| {
        if v.is_empty() {
            vec![Line::new("none recorded")]
        } else {
            v.iter().map(Line::new).collect()
        }
    };
    r.section(
        "Stance",
        Block::Fields(vec![
            side(a, vec![Line::cited(&a.position.stance, ca)]),
            side(b, vec![Line::cited(&b.position.stance, cb)]),
        ]),
    );
    r.section(
        "Demands",
        Block::Fields(vec![
            side(a, list(&a.position.demands)),
            side(b, list(&b.position.demands)),
        ]),
    );
    r.section(
        "Red lines",
        Block::Fields(vec![
            side(a, list(&a.position.red_lines)),
            side(b, list(&b.position.red_lines)),
        ]),
    );
    let clash = clashes(a, b);
    r.summary = Some(Line::new(if clash.is_empty() {
        "No demand of one side touches a red line of the other in these cards.".to_owned()
    } else {
        format!(
            "{} point{} where a demand of one side meets a red line of the other.",
            clash.len(),
            if clash.len() == 1 { "" } else { "s" }
        )
    }));
    r.bullets("Where they clash", clash);
    r.citations = cites.list;
    let older = a.position.as_of.min(b.position.as_of);
    r.footer = Some(ctx.footer(t, older, "the older of these positions"));
    Ok(r)
}

fn sources(ctx: &Ctx<'_>, ti: usize) -> Reply {
    let lib = ctx.library;
    let t = lib.topic(ti);
    let mut cites = Cites::new(lib, ti);
    let ids: Vec<String> = t.sources.iter().map(|s| s.id.clone()).collect();
    cites.cite(&ids);
    let mut r =
        Reply::new(ReplyKind::Answer, format!("Sources: {}", t.title)).summary(Line::new(format!(
            "{} sources behind this topic's cards, in the order listed in sources.toml.",
            t.sources.len()
        )));
    r.citations = cites.list;
    r.footer = Some(ctx.footer(t, t.as_of, "this topic"));
    r
}

/// Where a hit is, in words, and the command that shows it whole.
fn describe(lib: &Library, h: &Hit) -> (String, String) {
    let t = lib.topic(h.topic);
    match h.place {
        Place::Topic(field) => (format!("{} › {field}", t.title), "brief".into()),
        Place::Watch(_) => (format!("{} › what to watch", t.title), "brief".into()),
        Place::Actor(a, field) => {
            let actor = &t.actors[a];
            (
                format!("{} › {field}", actor.name),
                format!("position {}", actor.id),
            )
        }
        Place::Person(a, p) => {
            let actor = &t.actors[a];
            (
                format!("{} › key people › {}", actor.name, actor.people[p].name),
                format!("position {}", actor.id),
            )
        }
        Place::Event(i) => (
            format!("Timeline › {}", t.events[i].date),
            format!("timeline since {}", t.events[i].date.iso()),
        ),
        Place::Expert(i) => (format!("Experts › {}", t.experts[i].name), "experts".into()),
        Place::Source(_) => ("Sources".into(), "sources".into()),
    }
}

/// The text to show for a hit: the list item or sentence that matched, cut short.
fn snippet(lib: &Library, h: &Hit, terms: &[String]) -> String {
    let t = lib.topic(h.topic);
    let matches = |s: &str| {
        let f = fold(s);
        terms
            .iter()
            .any(|w| f.split(' ').any(|x| x.starts_with(w.as_str())))
    };
    let text: String = match h.place {
        Place::Actor(a, field @ ("demands" | "red lines" | "signals")) => {
            let p = &t.actors[a].position;
            let list = match field {
                "demands" => &p.demands,
                "red lines" => &p.red_lines,
                _ => &p.signals,
            };
            list.iter()
                .find(|s| matches(s))
                .or(list.first())
                .cloned()
                .unwrap_or_default()
        }
        Place::Actor(a, "name") => {
            let actor = &t.actors[a];
            format!("{}: {}", actor.name, actor.role)
        }
        Place::Event(i) => format!("{}. {}", t.events[i].title, t.events[i].detail),
        Place::Source(i) => format!("{} ({})", t.sources[i].title, t.sources[i].publisher),
        Place::Topic("tags") => t
            .tags
            .iter()
            .chain(&t.key_questions)
            .find(|s| matches(s))
            .cloned()
            .unwrap_or_default(),
        place => {
            let whole = lib.place_text(h.topic, place);
            // The sentence that matched, when the field has several.
            whole
                .split_inclusive(". ")
                .find(|s| matches(s))
                .unwrap_or(whole)
                .trim()
                .to_owned()
        }
    };
    truncate_words(&text, 200)
}

fn search(
    ctx: &Ctx<'_>,
    cmd: &Command,
    query: &str,
    topic: Option<&str>,
    page: u32,
) -> Result<Reply, Reply> {
    let lib = ctx.library;
    let only = topic.map(|t| ctx.topic(Some(t))).transpose()?;
    let hits = lib.search(query, only);
    let terms: Vec<String> = crate::text::words(query).collect();
    let title = format!("Search: {}", truncate_words(query, 80));
    if hits.is_empty() {
        let r = Reply::new(ReplyKind::Answer, title).summary(Line::new(
            "Nothing in the cards matches. Try fewer or other words, or `brief` for the overview.",
        ));
        return Ok(r);
    }
    let (pages, range) = page_bounds(hits.len(), page);
    if page > pages {
        return Err(no_such_page(page, pages, "results", cmd));
    }
    let partial = hits[0].matched < terms.len();
    let lines = hits[range.clone()]
        .iter()
        .map(|h| {
            let (place, see) = describe(lib, h);
            let mut label = place;
            if lib.topics().len() > 1 {
                label = format!("{} › {label}", lib.topic(h.topic).id);
            }
            Line::new(format!("{} (see `{see}`)", snippet(lib, h, &terms))).label(label)
        })
        .collect();
    let mut r = Reply::new(ReplyKind::Answer, title).summary(Line::new(format!(
        "Results {}–{} of {}, best first{}.",
        range.start + 1,
        range.end,
        hits.len(),
        if partial {
            "; nothing matched every word, so these match some of them"
        } else {
            ""
        }
    )));
    r.bullets("Matches", lines);
    r.pager = pager(cmd, page, pages, hits.len(), "results");
    Ok(r)
}

fn topics(ctx: &Ctx<'_>) -> Reply {
    let lines: Vec<Line> = ctx
        .library
        .topics()
        .iter()
        .map(|t| {
            let stale = if t.is_stale(t.as_of, ctx.today) {
                " (stale)"
            } else {
                ""
            };
            Line::new(format!(
                "`{}` · {} · as of {}{stale}",
                t.id,
                t.status,
                human_day(t.as_of)
            ))
            .label(&t.title)
        })
        .collect();
    let n = lines.len();
    let mut r = Reply::new(ReplyKind::Answer, "Topics").summary(Line::new(match n {
        0 => "No topics are loaded.".to_owned(),
        1 => "One topic is loaded; commands use it without being told.".to_owned(),
        n => format!("{n} topics are loaded. Name one with `topic <id>` where it matters."),
    }));
    r.bullets("Loaded", lines);
    r
}

/// For moderators: what is loaded, in numbers.
fn status(ctx: &Ctx<'_>) -> Reply {
    let lib = ctx.library;
    let lines: Vec<Line> = lib
        .topics()
        .iter()
        .map(|t| {
            let stale = if t.is_stale(t.as_of, ctx.today) {
                ", stale"
            } else {
                ""
            };
            Line::new(format!(
                "{} actors, {} events, {} expert views, {} sources; as of {}{stale}",
                t.actors.len(),
                t.events.len(),
                t.experts.len(),
                t.sources.len(),
                human_day(t.as_of)
            ))
            .label(&t.id)
        })
        .collect();
    let cards: usize = lib.topics().iter().map(|t| 4 + t.actors.len()).sum();
    let mut r = Reply::new(ReplyKind::Answer, "dossier status").summary(Line::new(format!(
        "{} topic(s) loaded from about {cards} card files; all cards are valid.",
        lib.topics().len()
    )));
    r.bullets("Topics", lines);
    r
}

/// `help` and `help <command>`, generated from the command definitions.
pub fn help(command: Option<&str>) -> Reply {
    match command {
        None => {
            let mut r = Reply::new(ReplyKind::Help, "dossier: commands").summary(Line::new(
                "Ask about the briefing topics. Names of actors and topics ignore case and accents; aliases work too.",
            ));
            let lines = COMMANDS
                .iter()
                .filter(|c| !c.moderator)
                .map(|c| Line::new(c.summary).label(c.usage()))
                .collect();
            r.bullets("Commands", lines);
            r.bullets(
                "Examples",
                vec![
                    Line::new("brief"),
                    Line::new("position iran"),
                    Line::new("compare iran vs united-states"),
                    Line::new("timeline since 2026-03"),
                    Line::new("help timeline"),
                ],
            );
            r
        }
        Some(name) => match spec::find(name.trim_start_matches(['/', '!'])) {
            None => parse_error_reply(&ParseError::UnknownCommand {
                name: name.to_owned(),
                suggestions: crate::text::did_you_mean(name, COMMANDS.iter().map(|c| c.name), 3),
            }),
            Some(c) => {
                let mut r = Reply::new(ReplyKind::Help, format!("help: {}", c.name))
                    .summary(Line::new(c.summary));
                r.section("Usage", Block::Text(Line::new(c.usage())));
                let args = c
                    .args
                    .iter()
                    .map(|a| {
                        Line::new(format!(
                            "{}{}",
                            a.help,
                            if a.required { " (required)" } else { "" }
                        ))
                        .label(a.name)
                    })
                    .collect();
                r.bullets("Arguments", args);
                r.bullets(
                    "Examples",
                    c.examples.iter().map(|e| Line::new(*e)).collect(),
                );
                if !c.aliases.is_empty() {
                    r.section(
                        "Also answers to",
                        Block::Text(Line::new(c.aliases.join(", "))),
                    );
                }
                r
            }
        },
    }
}

/// The reply to a line that did not parse: what was wrong and what to type instead.
pub fn parse_error_reply(e: &ParseError) -> Reply {
    let usage = |c: &str| spec::find(c).map(|s| s.usage()).unwrap_or_default();
    let mut r = match e {
        ParseError::Empty => user_error(
            "Nothing to answer",
            "Type a command, for example `brief`; `help` lists them all.",
        ),
        ParseError::UnknownCommand { name, suggestions } => {
            let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
            let s = if suggestions.is_empty() {
                format!("The commands are {}.", or_list(&names))
            } else {
                format!(
                    "Did you mean {}? `help` lists every command.",
                    or_list(suggestions)
                )
            };
            user_error(format!("Unknown command “{}”", truncate_words(name, 40)), s)
        }
        ParseError::Missing { command, arg } => user_error(
            format!("`{command}` needs {}", article(arg)),
            format!("Usage: {}", usage(command)),
        ),
        ParseError::BadDate { command, arg, why } => user_error(
            format!("That date for `{arg}` does not work"),
            format!("{why}. Usage: {}", usage(command)),
        ),
        ParseError::BadPage { command, value } => user_error(
            "Pages are numbered 1, 2, 3…",
            format!(
                "“{}” is not a page number. Usage: {}",
                truncate_words(value, 20),
                usage(command)
            ),
        ),
        ParseError::DateOrder { since, until } => user_error(
            "Those dates are the wrong way round",
            format!(
                "`since {}` is after `until {}`; swap them.",
                since.iso(),
                until.iso()
            ),
        ),
        ParseError::Unexpected { command, text } => user_error(
            format!(
                "`{command}` takes no words like “{}”",
                truncate_words(text, 40)
            ),
            format!("Usage: {}", usage(command)),
        ),
    };
    if let ParseError::Missing { command, .. } | ParseError::BadDate { command, .. } = e
        && let Some(c) = spec::find(command)
    {
        r.bullets(
            "Examples",
            c.examples.iter().map(|x| Line::new(*x)).collect(),
        );
    }
    r
}

fn article(arg: &str) -> String {
    match arg {
        "actor" => "an actor, e.g. `iran`".into(),
        "first" | "second" => "two actors, e.g. `iran vs united-states`".into(),
        "query" => "some words to look for".into(),
        a => format!("a {a}"),
    }
}
