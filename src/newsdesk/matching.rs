//! How much an item says about a topic: the names of its actors (name, aliases, key people and
//! their surnames), the topic's own names and keywords, and the feed's include and exclude
//! words, found in one pass over the item's title and summary (aho-corasick over a folded copy:
//! accents off, lowercase, punctuation as spaces) and counted as whole words only. Short
//! aliases ("US") must be written in capitals, so "join us" is not the United States. The score
//! is the number of distinct things named: each actor once, each keyword once, and a name
//! found inside a longer one ("Muscat" in "Muscat talks") not again.

use crate::cards::model::{Feeds, Topic};
use aho_corasick::{AhoCorasick, MatchKind};

/// The most characters of an item judged.
pub const MAX_TEXT: usize = 8192;

/// What a term stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    /// An actor, by its index in the topic.
    Actor(usize),
    /// One of the topic's names or keywords, by its place among them.
    Keyword(usize),
    /// A word that rules an item out: the topic's (`None`) or a feed's.
    Exclude(Option<usize>),
    /// A word one feed's items must say.
    Include(usize),
}

#[derive(Clone, Debug)]
struct Term {
    signal: Signal,
    /// Written in capitals only (a short alias such as "US").
    capitals: bool,
}

/// A topic's matcher, built once per library.
pub struct Matcher {
    automaton: AhoCorasick,
    terms: Vec<Term>,
    actor_ids: Vec<String>,
    /// The words of every term, as written, for saying what matched.
    written: Vec<String>,
    min_score: u32,
    /// Which feeds have include words.
    includes: Vec<bool>,
}

/// What an item came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It says a word that rules it out.
    Excluded { word: String },
    /// Its feed asks for words it does not say.
    NotIncluded,
    /// It names too few things.
    Below { score: u32, named: Vec<String> },
    /// Worth proposing: the actors it names (ids) and everything it names, as written.
    Matches {
        score: u32,
        actors: Vec<String>,
        named: Vec<String>,
    },
}

impl Verdict {
    pub fn score(&self) -> u32 {
        match self {
            Verdict::Below { score, .. } | Verdict::Matches { score, .. } => *score,
            _ => 0,
        }
    }
}

/// `s` folded for matching, and for each byte whether it came from a capital letter.
fn fold(s: &str) -> (String, Vec<bool>) {
    let mut out = String::with_capacity(s.len());
    let mut capitals = Vec::with_capacity(s.len());
    let mut space = true;
    for c in s.chars() {
        let upper = c.is_uppercase();
        let ascii = if c.is_ascii() {
            None
        } else {
            deunicode::deunicode_char(c)
        };
        let mut push = |a: char| {
            if a.is_ascii_alphanumeric() {
                out.push(a.to_ascii_lowercase());
                capitals.push(upper || a.is_ascii_uppercase());
                space = false;
            } else if !space {
                out.push(' ');
                capitals.push(false);
                space = true;
            }
        };
        match ascii {
            Some(a) => a.chars().for_each(&mut push),
            None => push(c),
        }
    }
    (out, capitals)
}

impl Matcher {
    /// The matcher of `topic` with its `feeds`.
    pub fn new(topic: &Topic, feeds: &Feeds) -> Matcher {
        let mut patterns: Vec<String> = Vec::new();
        let mut terms = Vec::new();
        let mut written = Vec::new();
        let mut add = |text: &str, signal: Signal| {
            let (folded, _) = fold(text);
            let folded = folded.trim().to_owned();
            if folded.len() < 2 {
                return;
            }
            // "US", "U.S.", "UK": short names are only names in capitals.
            let capitals = folded.chars().filter(|c| c.is_ascii_alphanumeric()).count() <= 3;
            patterns.push(folded);
            terms.push(Term { signal, capitals });
            written.push(text.trim().to_owned());
        };
        for (i, a) in topic.actors.iter().enumerate() {
            add(&a.name, Signal::Actor(i));
            for alias in &a.aliases {
                add(alias, Signal::Actor(i));
            }
            for p in &a.people {
                add(&p.name, Signal::Actor(i));
                // A surname alone ("Araghchi"), when it is long enough to be one.
                if let Some(last) = p.name.split_whitespace().last()
                    && last.chars().count() >= 5
                    && p.name.split_whitespace().count() > 1
                {
                    add(last, Signal::Actor(i));
                }
            }
        }
        let names = std::iter::once(&topic.title)
            .chain(&topic.aliases)
            .chain(&feeds.keywords);
        for (k, name) in names.enumerate() {
            add(name, Signal::Keyword(k));
        }
        for w in &feeds.exclude {
            add(w, Signal::Exclude(None));
        }
        let mut includes = Vec::new();
        for (i, f) in feeds.feeds.iter().enumerate() {
            for w in &f.exclude {
                add(w, Signal::Exclude(Some(i)));
            }
            for w in &f.include {
                add(w, Signal::Include(i));
            }
            includes.push(!f.include.is_empty());
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .unwrap_or_else(|_| {
                AhoCorasick::new(Vec::<String>::new()).expect("an empty automaton")
            });
        Matcher {
            automaton,
            terms,
            actor_ids: topic.actors.iter().map(|a| a.id.clone()).collect(),
            written,
            min_score: feeds.min_score,
            includes,
        }
    }

    /// Judge an item's `title` and `summary`, read from feed number `feed` of the topic's.
    pub fn judge(&self, title: &str, summary: &str, feed: Option<usize>) -> Verdict {
        // Titles and summaries come plain and capped; anything longer is cut here.
        let text: String = format!("{title} \n {summary}")
            .chars()
            .take(MAX_TEXT)
            .collect();
        let (folded, capitals) = fold(&text);
        let bytes = folded.as_bytes();
        // Whole-word matches: (start, end, term).
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for m in self.automaton.find_overlapping_iter(&folded) {
            let (s, e) = (m.start(), m.end());
            let whole = (s == 0 || bytes[s - 1] == b' ') && (e == bytes.len() || bytes[e] == b' ');
            let term = &self.terms[m.pattern().as_usize()];
            let written_so = !term.capitals
                || capitals[s..e]
                    .iter()
                    .zip(&bytes[s..e])
                    .all(|(cap, b)| *cap || !b.is_ascii_alphabetic());
            if whole && written_so {
                found.push((s, e, m.pattern().as_usize()));
            }
        }
        // Exclude and include words count wherever they are, even inside a longer name.
        let mut included = false;
        for (_, _, t) in &found {
            match self.terms[*t].signal {
                Signal::Exclude(None) => {
                    return Verdict::Excluded {
                        word: self.written[*t].clone(),
                    };
                }
                Signal::Exclude(Some(f)) if Some(f) == feed => {
                    return Verdict::Excluded {
                        word: self.written[*t].clone(),
                    };
                }
                Signal::Include(f) if Some(f) == feed => included = true,
                _ => {}
            }
        }
        // A name inside a longer one (or at the very same place) is not counted again: in
        // order of start, longest first, a name is kept only if it reaches past every name
        // kept before it.
        let mut names: Vec<(usize, usize, usize)> = found
            .into_iter()
            .filter(|(_, _, t)| {
                matches!(self.terms[*t].signal, Signal::Actor(_) | Signal::Keyword(_))
            })
            .collect();
        names.sort_by_key(|(s, e, _)| (*s, std::cmp::Reverse(*e)));
        let mut reach = 0;
        let kept: Vec<(usize, usize, usize)> = names
            .into_iter()
            .filter(|(_, e, _)| {
                let new = *e > reach;
                reach = reach.max(*e);
                new
            })
            .collect();
        let mut actors: Vec<usize> = Vec::new();
        let mut keywords: Vec<usize> = Vec::new();
        let mut named: Vec<String> = Vec::new();
        for (_, _, t) in &kept {
            match self.terms[*t].signal {
                Signal::Actor(a) if !actors.contains(&a) => {
                    actors.push(a);
                    named.push(self.written[*t].clone());
                }
                Signal::Keyword(k) if !keywords.contains(&k) => {
                    keywords.push(k);
                    named.push(self.written[*t].clone());
                }
                _ => {}
            }
        }
        if feed.is_some_and(|f| self.includes.get(f).copied().unwrap_or(false)) && !included {
            return Verdict::NotIncluded;
        }
        let score = (actors.len() + keywords.len()) as u32;
        if score < self.min_score {
            return Verdict::Below { score, named };
        }
        Verdict::Matches {
            score,
            actors: actors.iter().map(|a| self.actor_ids[*a].clone()).collect(),
            named,
        }
    }

    /// Every word of the topic's names (actors, aliases, people, keywords), folded as
    /// `crate::text::words` folds a title.
    pub fn name_words(&self) -> std::collections::HashSet<String> {
        self.terms
            .iter()
            .zip(&self.written)
            .filter(|(t, _)| matches!(t.signal, Signal::Actor(_) | Signal::Keyword(_)))
            .flat_map(|(_, w)| crate::text::words(w))
            .collect()
    }
}
