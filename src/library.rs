//! The library: an immutable, indexed snapshot of every validated topic. Lookups by id, name
//! or alias are hash lookups on folded keys, and search is an inverted index, so answer time
//! does not grow with the size of the library. Immutable: a reload builds a new one from the
//! cards and the reloader swaps the old one off the shelf whole.

use crate::cards::{Actor, Topic};
use crate::text::{did_you_mean, fold, words};
use std::collections::{BTreeMap, HashMap};

/// Where in the cards a search hit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Topic(TopicField),
    Watch(usize),
    Actor(usize, ActorField),
    Person(usize, usize),
    Event(usize),
    Expert(usize),
    Source(usize),
}

/// The searchable fields of `topic.toml`, in the order equal-scoring hits are listed
/// (alphabetical by label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TopicField {
    BottomLine,
    Status,
    /// Tags and key questions.
    Tags,
    Title,
    WhyItMatters,
}

/// The searchable fields of an actor card, in the order equal-scoring hits are listed
/// (alphabetical by label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActorField {
    Demands,
    Name,
    RedLines,
    Role,
    Signals,
    Stance,
    Summary,
}

impl TopicField {
    /// How a reply names the field.
    pub fn label(self) -> &'static str {
        match self {
            TopicField::Title => "title",
            TopicField::BottomLine => "bottom line",
            TopicField::WhyItMatters => "why it matters",
            TopicField::Status => "status",
            TopicField::Tags => "tags",
        }
    }
}

impl ActorField {
    /// How a reply names the field.
    pub fn label(self) -> &'static str {
        match self {
            ActorField::Name => "name",
            ActorField::Role => "role",
            ActorField::Stance => "stance",
            ActorField::Summary => "summary",
            ActorField::Demands => "demands",
            ActorField::RedLines => "red lines",
            ActorField::Signals => "signals",
        }
    }

    /// Whether the field is a list of items rather than running text.
    pub fn is_list(self) -> bool {
        matches!(
            self,
            ActorField::Demands | ActorField::RedLines | ActorField::Signals
        )
    }
}

/// One indexed field of one card.
#[derive(Clone, Debug)]
struct Doc {
    topic: usize,
    place: Place,
    weight: f32,
}

#[derive(Clone, Debug, Default)]
struct SearchIndex {
    docs: Vec<Doc>,
    /// The documents of each topic: a contiguous range, since topics are indexed in turn.
    topic_docs: Vec<std::ops::Range<u32>>,
    /// Folded word → (doc, how often the word occurs in it).
    postings: BTreeMap<String, Vec<(u32, u16)>>,
}

/// A search result, best first.
#[derive(Clone, Debug)]
pub struct Hit {
    pub topic: usize,
    pub place: Place,
    pub score: f32,
    /// How many of the query's words it matched.
    pub matched: usize,
}

#[derive(Clone)]
struct TopicIndex {
    actors: HashMap<String, usize>,
    sources: HashMap<String, usize>,
}

/// What the latest look at a cited page found, as a reader is shown it (kept by day, so a
/// look that finds nothing new changes nothing shown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Liveness {
    /// The address looked at: a look at another address than the card cites now is not shown.
    pub url: String,
    /// `ok`, `moved`, `blocked`, `failing` or `gone`.
    pub status: String,
    /// The day of the latest look.
    pub checked_on: chrono::NaiveDate,
    /// For a page gone: the day of the first failed look.
    pub offline_since: Option<chrono::NaiveDate>,
    /// Where the page moved for good.
    pub moved_to: Option<String>,
    /// The day its text was found changed since it was cited.
    pub changed_on: Option<chrono::NaiveDate>,
}

/// The latest looks at the cited pages, by topic id and source id, each for the address the
/// card cites now.
pub type Looks = HashMap<(String, String), Liveness>;

/// Every loaded topic, indexed.
#[derive(Clone)]
pub struct Library {
    topics: Vec<Topic>,
    index: Vec<TopicIndex>,
    topic_names: HashMap<String, usize>,
    search: SearchIndex,
    /// Which library this is among those a service has served (0: none yet); what was
    /// rendered from one is kept under its version.
    version: u64,
    /// When it was put on the shelf (when it was made, before that): what a web page of it
    /// says as `Last-Modified`.
    loaded_at: chrono::DateTime<chrono::Utc>,
    /// The latest looks at the cited pages (none until something has looked).
    looks: std::sync::Arc<Looks>,
}

const STOP_WORDS: [&str; 12] = [
    "the", "a", "an", "of", "and", "in", "on", "to", "for", "is", "what", "with",
];

impl Library {
    /// Which library this is among those a service has served: the shelf numbers each one
    /// it serves, from 1.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The same library, numbered `version`.
    pub fn numbered(mut self, version: u64) -> Self {
        self.version = version;
        self.loaded_at = chrono::Utc::now();
        self
    }

    /// When this library was put on the shelf.
    pub fn loaded_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.loaded_at
    }

    pub fn new(topics: Vec<Topic>) -> Self {
        let mut topic_names = HashMap::new();
        let mut index = Vec::with_capacity(topics.len());
        let mut search = SearchIndex::default();
        for (ti, t) in topics.iter().enumerate() {
            for name in std::iter::once(&t.id).chain([&t.title]).chain(&t.aliases) {
                topic_names.entry(fold(name)).or_insert(ti);
            }
            let mut actors = HashMap::new();
            for (ai, a) in t.actors.iter().enumerate() {
                for name in std::iter::once(&a.id).chain([&a.name]).chain(&a.aliases) {
                    actors.entry(fold(name)).or_insert(ai);
                }
            }
            let sources = t
                .sources
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id.clone(), i))
                .collect();
            let first_doc = search.docs.len() as u32;
            index.push(TopicIndex { actors, sources });
            search.add_topic(ti, t);
            search.topic_docs.push(first_doc..search.docs.len() as u32);
        }
        Library {
            topics,
            index,
            topic_names,
            search,
            version: 0,
            loaded_at: chrono::Utc::now(),
            looks: Default::default(),
        }
    }

    pub fn topics(&self) -> &[Topic] {
        &self.topics
    }

    /// How many card files the library was read from.
    pub fn card_files(&self) -> usize {
        self.topics.iter().map(|t| t.card_files).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.topics.is_empty()
    }

    /// The topic called `name` (id, title or alias; case, accents and punctuation ignored).
    pub fn topic_index(&self, name: &str) -> Option<usize> {
        self.topic_names.get(&fold(name)).copied()
    }

    pub fn topic(&self, i: usize) -> &Topic {
        &self.topics[i]
    }

    /// Close topic ids for a "did you mean", matching on ids, titles and aliases.
    pub fn suggest_topics(&self, name: &str) -> Vec<String> {
        let names = self
            .topics
            .iter()
            .flat_map(|t| std::iter::once(&t.id).chain([&t.title]).chain(&t.aliases));
        suggest_ids(name, names, |n| {
            self.topic_index(n).map(|t| &self.topics[t].id)
        })
    }

    /// The actor called `name` in topic `t`.
    pub fn actor(&self, t: usize, name: &str) -> Option<&Actor> {
        let i = *self.index.get(t)?.actors.get(&fold(name))?;
        self.topics[t].actors.get(i)
    }

    /// Actor ids close to `name`, best first, matching on ids, names and aliases.
    pub fn suggest_actors(&self, t: usize, name: &str) -> Vec<String> {
        let names = self.topics[t]
            .actors
            .iter()
            .flat_map(|a| std::iter::once(&a.id).chain([&a.name]).chain(&a.aliases));
        suggest_ids(name, names, |n| self.actor(t, n).map(|a| &a.id))
    }

    /// The same library, showing `looks` beside its sources.
    pub fn with_looks(mut self, looks: std::sync::Arc<Looks>) -> Self {
        self.looks = looks;
        self
    }

    /// The latest looks at the cited pages.
    pub fn looks(&self) -> &std::sync::Arc<Looks> {
        &self.looks
    }

    /// The latest look at source `id` of topic `t`, when one was made at the address the card
    /// cites.
    pub fn liveness(&self, t: usize, id: &str) -> Option<&Liveness> {
        let topic = self.topics.get(t)?;
        let cited = self.source(t, id)?;
        self.looks
            .get(&(topic.id.clone(), id.to_owned()))
            .filter(|l| l.url == cited.url)
    }

    /// The source with id `id` in topic `t`.
    pub fn source(&self, t: usize, id: &str) -> Option<&crate::cards::Source> {
        let i = *self.index.get(t)?.sources.get(id)?;
        self.topics[t].sources.get(i)
    }

    /// Topics in which `name` is an actor.
    pub fn topics_with_actor(&self, name: &str) -> Vec<usize> {
        let key = fold(name);
        (0..self.topics.len())
            .filter(|&t| self.index[t].actors.contains_key(&key))
            .collect()
    }

    /// Ranked matches for `query` across every card (or one topic). Hits that match every
    /// word come first; when none does, hits that match some words are returned.
    pub fn search(&self, query: &str, only_topic: Option<usize>) -> Vec<Hit> {
        self.search.query(query, only_topic)
    }

    /// The texts of the field a hit points at, for snippets: one for running text, one per
    /// item for lists.
    pub fn place_texts(&self, t: usize, place: Place) -> Vec<&str> {
        let topic = &self.topics[t];
        match place {
            Place::Topic(field) => match field {
                TopicField::Title => vec![topic.title.as_str()],
                TopicField::BottomLine => vec![topic.bottom_line.as_str()],
                TopicField::WhyItMatters => vec![topic.why_it_matters.as_str()],
                TopicField::Status => topic.status_note.iter().map(String::as_str).collect(),
                TopicField::Tags => topic
                    .tags
                    .iter()
                    .chain(&topic.key_questions)
                    .map(String::as_str)
                    .collect(),
            },
            Place::Watch(i) => vec![topic.watch[i].item.as_str()],
            Place::Actor(a, field) => {
                let actor = &topic.actors[a];
                let p = actor.position();
                match field {
                    ActorField::Name => vec![actor.name.as_str()],
                    ActorField::Role => vec![actor.role.as_str()],
                    ActorField::Stance => vec![p.stance.as_str()],
                    ActorField::Summary => vec![p.summary.as_str()],
                    ActorField::Demands => p.demands.iter().map(String::as_str).collect(),
                    ActorField::RedLines => p.red_lines.iter().map(String::as_str).collect(),
                    ActorField::Signals => p.signals.iter().map(String::as_str).collect(),
                }
            }
            Place::Person(a, i) => {
                let person = &topic.actors[a].people[i];
                std::iter::once(person.role.as_str())
                    .chain(person.note.as_deref())
                    .collect()
            }
            Place::Event(i) => vec![topic.events[i].title.as_str(), &topic.events[i].detail],
            Place::Expert(i) => {
                let e = &topic.experts[i];
                std::iter::once(e.summary.as_str())
                    .chain(e.quote.as_ref().map(|q| q.text.as_str()))
                    .collect()
            }
            Place::Source(i) => vec![topic.sources[i].title.as_str()],
        }
    }
}

/// Up to three ids whose names are close to `wanted`: names are matched, ids are returned once.
fn suggest_ids<'a>(
    wanted: &str,
    names: impl Iterator<Item = &'a String>,
    id_of: impl Fn(&str) -> Option<&'a String>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in did_you_mean(wanted, names.map(String::as_str), 8) {
        if let Some(id) = id_of(n)
            && !out.contains(id)
        {
            out.push(id.clone());
        }
    }
    out.truncate(3);
    out
}

/// Posting lists a query word matches, each with its weight factor.
type Expansion<'a> = Vec<(&'a [(u32, u16)], f32)>;

impl SearchIndex {
    fn add(&mut self, topic: usize, place: Place, weight: f32, texts: &[&str]) {
        let doc = self.docs.len() as u32;
        let mut counts: HashMap<String, u16> = HashMap::new();
        for text in texts {
            for w in words(text) {
                let c = counts.entry(w).or_insert(0);
                *c = c.saturating_add(1);
            }
        }
        if counts.is_empty() {
            return;
        }
        self.docs.push(Doc {
            topic,
            place,
            weight,
        });
        for (w, n) in counts {
            self.postings.entry(w).or_default().push((doc, n));
        }
    }

    fn add_topic(&mut self, ti: usize, t: &Topic) {
        self.add(ti, Place::Topic(TopicField::Title), 3.0, &[&t.title, &t.id]);
        self.add(
            ti,
            Place::Topic(TopicField::BottomLine),
            1.5,
            &[&t.bottom_line],
        );
        self.add(
            ti,
            Place::Topic(TopicField::WhyItMatters),
            1.0,
            &[&t.why_it_matters],
        );
        self.add(
            ti,
            Place::Topic(TopicField::Status),
            1.0,
            &[t.status_note.as_deref().unwrap_or("")],
        );
        let tags: Vec<&str> = t
            .tags
            .iter()
            .chain(&t.key_questions)
            .map(String::as_str)
            .collect();
        self.add(ti, Place::Topic(TopicField::Tags), 1.0, &tags);
        for (i, w) in t.watch.iter().enumerate() {
            self.add(ti, Place::Watch(i), 1.0, &[&w.item]);
        }
        for (ai, a) in t.actors.iter().enumerate() {
            let mut names: Vec<&str> = vec![&a.name, &a.id];
            names.extend(a.aliases.iter().map(String::as_str));
            self.add(ti, Place::Actor(ai, ActorField::Name), 3.0, &names);
            self.add(ti, Place::Actor(ai, ActorField::Role), 1.0, &[&a.role]);
            let p = a.position();
            self.add(ti, Place::Actor(ai, ActorField::Stance), 1.5, &[&p.stance]);
            self.add(
                ti,
                Place::Actor(ai, ActorField::Summary),
                1.0,
                &[&p.summary],
            );
            for (field, list) in [
                (ActorField::Demands, &p.demands),
                (ActorField::RedLines, &p.red_lines),
                (ActorField::Signals, &p.signals),
            ] {
                let texts: Vec<&str> = list.iter().map(String::as_str).collect();
                self.add(ti, Place::Actor(ai, field), 1.2, &texts);
            }
            for (pi, person) in a.people.iter().enumerate() {
                let note = person.note.as_deref().unwrap_or("");
                self.add(
                    ti,
                    Place::Person(ai, pi),
                    2.0,
                    &[&person.name, &person.role, note],
                );
            }
        }
        for (i, e) in t.events.iter().enumerate() {
            self.add(ti, Place::Event(i), 1.2, &[&e.title, &e.title, &e.detail]);
        }
        for (i, e) in t.experts.iter().enumerate() {
            let quote = e.quote.as_ref().map_or("", |q| q.text.as_str());
            let role = e.role.as_deref().unwrap_or("");
            self.add(
                ti,
                Place::Expert(i),
                1.2,
                &[&e.name, &e.name, &e.affiliation, role, &e.summary, quote],
            );
        }
        for (i, s) in t.sources.iter().enumerate() {
            self.add(ti, Place::Source(i), 0.8, &[&s.title, &s.publisher]);
        }
    }

    /// The posting lists a query word matches: the word itself, and (for words of three letters
    /// or more) the words it begins ("negotiat" → "negotiations"), which count half.
    fn expand(&self, term: &str, docs: &std::ops::Range<u32>) -> Expansion<'_> {
        fn within<'p>(p: &'p [(u32, u16)], docs: &std::ops::Range<u32>) -> &'p [(u32, u16)] {
            let from = p.partition_point(|(d, _)| *d < docs.start);
            let to = p.partition_point(|(d, _)| *d < docs.end);
            &p[from..to]
        }
        let mut out = Vec::new();
        if let Some(p) = self.postings.get(term) {
            out.push((within(p, docs), 1.0));
        }
        if term.len() >= 3 {
            for (w, p) in self.postings.range(term.to_owned()..) {
                if !w.starts_with(term) {
                    break;
                }
                if w != term {
                    out.push((within(p, docs), 0.5));
                }
            }
        }
        out.retain(|(p, _)| !p.is_empty());
        out
    }

    fn query(&self, query: &str, only_topic: Option<usize>) -> Vec<Hit> {
        let mut terms: Vec<String> = words(query).collect();
        if terms.iter().any(|w| !STOP_WORDS.contains(&w.as_str())) {
            terms.retain(|w| !STOP_WORDS.contains(&w.as_str()));
        }
        terms.dedup();
        terms.truncate(64);
        let docs = match only_topic {
            Some(t) => self.topic_docs.get(t).cloned().unwrap_or(0..0),
            None => 0..self.docs.len() as u32,
        };
        let n_docs = self.docs.len().max(1) as f32;
        let lists: Vec<Expansion<'_>> = terms.iter().map(|t| self.expand(t, &docs)).collect();
        let weight = |p: &[(u32, u16)], factor: f32, doc: u32, tf: u16| {
            let idf = (1.0 + n_docs / p.len() as f32).ln();
            factor * self.docs[doc as usize].weight * idf * (1.0 + f32::from(tf).ln())
        };
        // How a document scores on one query word, if it contains it (postings are sorted by doc).
        let score_on = |lists: &[(&[(u32, u16)], f32)], doc: u32| -> Option<f32> {
            let mut total = None;
            for (p, factor) in lists {
                if let Ok(i) = p.binary_search_by_key(&doc, |(d, _)| *d) {
                    *total.get_or_insert(0.0) += weight(p, *factor, doc, p[i].1);
                }
            }
            total
        };
        let hit = |doc: u32, score: f32, matched: usize| {
            let d = &self.docs[doc as usize];
            Hit {
                topic: d.topic,
                place: d.place,
                score,
                matched,
            }
        };
        let mut hits: Vec<Hit> = Vec::new();
        // Documents with every word: walk the rarest word's documents, look the others up.
        if let Some(rarest) =
            (0..lists.len()).min_by_key(|&i| lists[i].iter().map(|(p, _)| p.len()).sum::<usize>())
        {
            let mut candidates: Vec<u32> = lists[rarest]
                .iter()
                .flat_map(|(p, _)| p.iter().map(|(d, _)| *d))
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            for doc in candidates {
                let mut total = 0.0;
                if lists
                    .iter()
                    .all(|l| score_on(l, doc).map(|s| total += s).is_some())
                {
                    hits.push(hit(doc, total, lists.len()));
                }
            }
        }
        // None has every word: rank those with some of them.
        if hits.is_empty() && lists.len() > 1 {
            let mut acc: HashMap<u32, (f32, usize)> = HashMap::new();
            for l in &lists {
                for (p, factor) in l {
                    for &(doc, tf) in p.iter() {
                        let e = acc.entry(doc).or_insert((0.0, 0));
                        e.0 += weight(p, *factor, doc, tf);
                    }
                }
            }
            for (doc, entry) in &mut acc {
                entry.1 = lists.iter().filter(|l| score_on(l, *doc).is_some()).count();
            }
            hits = acc
                .into_iter()
                .map(|(doc, (score, matched))| hit(doc, score, matched))
                .collect();
        }
        hits.sort_by(|a, b| {
            b.matched
                .cmp(&a.matched)
                .then(b.score.total_cmp(&a.score))
                .then(a.topic.cmp(&b.topic))
                .then(a.place.cmp(&b.place))
        });
        hits
    }
}
/// Numbers a reply's sources in the order it first cites them, from one topic of a library:
/// what every answer and briefing lists under "Sources".
pub struct Cites<'a> {
    lib: &'a Library,
    topic: usize,
    /// The sources cited so far, numbered from 1.
    pub list: Vec<crate::reply::Citation>,
}

impl<'a> Cites<'a> {
    pub fn new(lib: &'a Library, topic: usize) -> Self {
        Cites {
            lib,
            topic,
            list: Vec::new(),
        }
    }

    /// The numbers of `ids`, each source numbered at its first citation; unknown ids are left
    /// out, a source cited twice in `ids` is numbered once.
    pub fn cite(&mut self, ids: &[String]) -> Vec<u32> {
        let mut ns = Vec::new();
        for id in ids {
            let n = match self.list.iter().find(|c| &c.source_id == id) {
                Some(c) => c.n,
                None => {
                    let Some(s) = self.lib.source(self.topic, id) else {
                        continue;
                    };
                    let n = self.list.len() as u32 + 1;
                    let mut c = crate::reply::Citation {
                        n,
                        source_id: s.id.clone(),
                        title: s.title.clone(),
                        publisher: s.publisher.clone(),
                        published: s.published.map(|d| d.to_string()),
                        url: s.url.clone(),
                        archived: s.archived.as_ref().map(|a| a.url.clone()),
                        archived_on: s
                            .archived
                            .as_ref()
                            .and_then(|a| a.on.map(|d| d.to_string())),
                        ..Default::default()
                    };
                    if let Some(l) = self.lib.liveness(self.topic, id) {
                        match l.status.as_str() {
                            "gone" => {
                                let since = l.offline_since.unwrap_or(l.checked_on);
                                c.offline_since = Some(crate::date::human_day(since));
                            }
                            "moved" => c.moved_to = l.moved_to.clone(),
                            _ => {}
                        }
                    }
                    self.list.push(c);
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
