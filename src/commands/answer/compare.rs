//! `compare <actor> <actor>`: two positions side by side (stance, demands, red lines), and the
//! clash heuristic: where a demand of one side shares meaningful words with a red line of the
//! other.

use super::cite::Cites;
use super::ctx::{Ctx, plural, user_error};
use super::position::{asked_day, claim_lines, in_force};
use crate::cards::{Actor, ClaimList, Position, Topic};
use crate::commands::command::CompareQuery;
use crate::date::human_day;
use crate::reply::{Block, Field, Line, Reply, ReplyKind};
use crate::text::fold;

/// Unseparated names ("compare iran united states") are split at each word boundary, but only
/// for lines this short: actor names are a few words, and trying every split of a long line
/// would cost time quadratic in its length.
pub const MAX_SPLIT_WORDS: usize = 8;

/// Resolve two actor names, splitting unseparated words if needed.
pub(super) fn two_actors<'a>(
    ctx: &Ctx<'a>,
    ti: usize,
    first: &str,
    second: Option<&str>,
) -> Result<(&'a Actor, &'a Actor), Reply> {
    if let Some(b) = second {
        return Ok((ctx.actor(ti, first)?, ctx.actor(ti, b)?));
    }
    let words: Vec<&str> = first.split_whitespace().take(MAX_SPLIT_WORDS + 1).collect();
    if words.len() <= MAX_SPLIT_WORDS {
        for k in 1..words.len() {
            let (a, b) = (words[..k].join(" "), words[k..].join(" "));
            if let (Some(x), Some(y)) = (ctx.library.actor(ti, &a), ctx.library.actor(ti, &b)) {
                return Ok((x, y));
            }
        }
    }
    Err(user_error(
        "Which two actors?",
        format!(
            "I could not read two actors in “{}”. Separate them with `vs` or quotes: `compare iran vs \"united states\"`.",
            crate::text::truncate_words(first, 80)
        ),
    ))
}

/// Words that carry meaning, cut to a stem so "missiles" meets "missile".
fn stems(s: &str) -> Vec<String> {
    // Function words, and the words of hedges and dates ("reported, 9 October", "according
    // to Reuters"), which say how a claim is known or when, not what it is about.
    const SKIP: [&str; 33] = [
        "that",
        "this",
        "with",
        "from",
        "into",
        "must",
        "will",
        "would",
        "should",
        "their",
        "there",
        "about",
        "only",
        "than",
        "other",
        "which",
        "reported",
        "reportedly",
        "according",
        "claimed",
        "said",
        "says",
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
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
fn clashes(t: &Topic, a: (&Actor, &Position), b: (&Actor, &Position)) -> Vec<Line> {
    let mut out = Vec::new();
    for ((x, xp), (y, yp)) in [(a, b), (b, a)] {
        for (di, d) in xp.demands.iter().enumerate() {
            let ds = stems(d);
            let best = yp
                .red_lines
                .iter()
                .enumerate()
                .map(|(ri, rl)| (stems(rl).iter().filter(|s| ds.contains(s)).count(), ri))
                .filter(|(n, _)| *n > 0)
                .fold(None::<(usize, usize)>, |best, c| match best {
                    Some(b) if b.0 >= c.0 => Some(b),
                    _ => Some(c),
                });
            if let Some((_, ri)) = best {
                out.push(
                    Line::new(format!(
                        "{} — {}'s red line: {}",
                        t.hedged(d, xp.sources_of(ClaimList::Demands, di)),
                        y.name,
                        t.hedged(&yp.red_lines[ri], yp.sources_of(ClaimList::RedLines, ri))
                    ))
                    .label(format!("{} wants", x.name)),
                );
            }
        }
    }
    out
}

/// The topic a comparison is in: the one named, else the one that has the first actor.
pub(super) fn topic_of(ctx: &Ctx<'_>, q: &CompareQuery) -> Result<usize, Reply> {
    let lib = ctx.library;
    match &q.topic {
        Some(t) => ctx.topic(Some(t)),
        None if lib.topics().len() > 1 => {
            let name = q.first.split_whitespace().next().unwrap_or(&q.first);
            match lib.topics_with_actor(name).as_slice() {
                [only] => Ok(*only),
                _ => ctx.topic(None),
            }
        }
        None => ctx.topic(None),
    }
}

pub(super) fn compare(ctx: &Ctx<'_>, q: &CompareQuery) -> Result<Reply, Reply> {
    let lib = ctx.library;
    let ti = topic_of(ctx, q)?;
    let t = lib.topic(ti);
    let (a, b) = two_actors(ctx, ti, &q.first, q.second.as_deref())?;
    if a.id == b.id {
        return Err(user_error(
            "Two different actors, please",
            format!(
                "Both names lead to {}. Compare it with another actor.",
                a.name
            ),
        ));
    }
    let (pa, pb) = match q.on {
        Some(on) => (in_force(a, on)?, in_force(b, on)?),
        None => (a.position(), b.position()),
    };
    let mut cites = Cites::new(lib, ti);
    let (ca, cb) = (cites.cite(&pa.sources), cites.cite(&pb.sources));
    let title = match q.on {
        Some(on) => format!(
            "{} and {} compared, on {}",
            a.name,
            b.name,
            human_day(asked_day(on))
        ),
        None => format!("{} and {} compared", a.name, b.name),
    };
    let mut r = Reply::new(ReplyKind::Answer, title);
    // The stance says which entry of each history is compared; the lists below follow it.
    let dated = |x: &Actor, p: &Position, lines: Vec<Line>| Field {
        name: format!("{} (as of {})", x.name, human_day(p.as_of)),
        lines,
    };
    let side = |x: &Actor, _: &Position, lines: Vec<Line>| Field {
        name: x.name.clone(),
        lines,
    };
    let mut list = |p: &Position, which: ClaimList| {
        let lines = claim_lines(t, p, which, &mut cites);
        if lines.is_empty() {
            vec![Line::new("none recorded")]
        } else {
            lines
        }
    };
    let (da, db) = (list(pa, ClaimList::Demands), list(pb, ClaimList::Demands));
    let (ra, rb) = (list(pa, ClaimList::RedLines), list(pb, ClaimList::RedLines));
    r.section(
        "Stance",
        Block::Fields(vec![
            dated(
                a,
                pa,
                vec![Line::cited(t.hedged(&pa.stance, &pa.sources), ca)],
            ),
            dated(
                b,
                pb,
                vec![Line::cited(t.hedged(&pb.stance, &pb.sources), cb)],
            ),
        ]),
    );
    r.section(
        "Demands",
        Block::Fields(vec![side(a, pa, da), side(b, pb, db)]),
    );
    r.section(
        "Red lines",
        Block::Fields(vec![side(a, pa, ra), side(b, pb, rb)]),
    );
    let clash = clashes(t, (a, pa), (b, pb));
    r.summary = Some(Line::new(if clash.is_empty() {
        "No demand of one side touches a red line of the other in these cards.".to_owned()
    } else {
        format!(
            "{} point{} where a demand of one side meets a red line of the other.",
            clash.len(),
            plural(clash.len())
        )
    }));
    r.bullets("Where they clash", clash);
    r.citations = cites.list;
    let older = pa.as_of.min(pb.as_of);
    let mut footer = ctx.footer(t, older, "the older of these positions");
    if q.on.is_some() {
        footer.stale = None;
        footer.note = Some(format!(
            "Positions in force then; for the latest, `compare {} {}`.",
            a.id, b.id
        ));
    }
    r.footer = Some(footer);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::stems;

    #[test]
    fn hedges_and_dates_are_not_what_a_claim_is_about() {
        let demand = stems("Sanctions lifted (reported, 9 October)");
        let unrelated = stems("No talks under force (according to Reuters, reported 9 October)");
        assert!(
            !unrelated.iter().any(|s| demand.contains(s)),
            "{unrelated:?}"
        );
        let related = stems("No lifting of sanctions before a deal (reported)");
        assert!(related.iter().any(|s| demand.contains(s)), "{related:?}");
    }
}
