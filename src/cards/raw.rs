//! The card files exactly as moderators write them: serde structs that mirror the TOML, with
//! spans on everything a later check may point at. No derived fields and no validation here:
//! that is `validate`'s job.

use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

/// A card file's path and text, kept for pointing diagnostics into it.
pub struct File {
    pub path: PathBuf,
    pub text: String,
}

pub type Text = Spanned<String>;

/// An item of a position's `demands`, `red_lines` or `signals`: its text, or a table with its
/// text and the sources it rests on when they are not the whole position's
/// (`{ text = "…", sources = ["id"] }`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum RawClaim {
    Text(String),
    Cited {
        text: String,
        /// Ids of the sources behind this item alone (sources.toml).
        sources: Vec<String>,
    },
}

/// A position's list of items, each with where it is in the file.
pub type RawClaims = Vec<Spanned<RawClaim>>;
pub type List = Vec<Spanned<String>>;

// The JSON Schema of the cards (`dossier schema`) comes from these same structs; what serde
// cannot say by itself (the spans are invisible, the choices and dates are strings) is said
// by the functions below, from the same lists the checks use.

fn choices<T: super::model::Choice>(what: &str) -> schemars::Schema {
    let names: Vec<&str> = T::ALL.iter().map(|(n, _)| *n).collect();
    schemars::json_schema!({
        "type": "string",
        "enum": names,
        "description": format!("{what}: {}", names.join(", ")),
    })
}

fn status_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    choices::<super::model::Status>("Where the story stands")
}

fn confidence_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    choices::<super::model::Confidence>("How sure the card's authors are")
}

fn verification_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    choices::<super::model::Verification>("How well the event is established")
}

fn source_kind_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    choices::<super::model::SourceKind>("What kind of document")
}

fn actor_kind_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    choices::<super::model::ActorKind>("What kind of party")
}

const DATE_PATTERN: &str = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$";

fn date_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": DATE_PATTERN,
        "description": "A date: YYYY, YYYY-MM or YYYY-MM-DD",
    })
}

fn optional_date_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    date_schema(g)
}

/// `[position]` (one table) or `[[position]]` (a dated history, oldest first).
fn positions_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let one = g.subschema_for::<RawPosition>();
    schemars::json_schema!({
        "description": "The actor's position: one [position] table, or a [[position]] history, oldest first",
        // if/then/else rather than anyOf, so that a wrong key inside is reported at that key.
        "if": {"type": "object"},
        "then": one,
        "else": {"type": "array", "items": one, "minItems": 1},
    })
}

/// `topic.toml`: what the story is, where it stands and what to watch.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    /// The topic's id, the same as its folder's name: lowercase letters, digits and hyphens.
    #[schemars(with = "String")]
    pub id: Text,
    /// The title answers show.
    #[schemars(with = "String")]
    pub title: Text,
    /// Other names a user may type for the topic.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub aliases: List,
    /// The story in two or three sentences, in your own words: what /brief leads with.
    #[schemars(with = "String")]
    pub bottom_line: Text,
    /// Why a reader should care, in a sentence or two.
    #[schemars(with = "String")]
    pub why_it_matters: Text,
    /// Sources behind the bottom line and why it matters.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub sources: List,
    /// Actors the brief lists, in this order (default: every actor).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub main_actors: List,
    #[schemars(schema_with = "status_schema")]
    pub status: Text,
    /// A line on why the status is what it is.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub status_note: Option<Text>,
    /// The day the card was last checked against its sources (YYYY-MM-DD).
    #[schemars(schema_with = "date_schema")]
    pub as_of: Text,
    /// After this many days past as_of, answers say the card may be out of date.
    #[serde(default)]
    #[schemars(with = "Option<i64>")]
    pub stale_after_days: Option<Spanned<i64>>,
    /// Words /search also matches.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub tags: List,
    /// The open questions the story turns on.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub key_questions: List,
    /// What to watch next: one [[watch]] table per item.
    #[serde(default)]
    #[schemars(with = "Vec<RawWatch>")]
    pub watch: Vec<Spanned<RawWatch>>,
}

/// One `[[watch]]` item of `topic.toml`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWatch {
    /// What to watch, in a sentence.
    #[schemars(with = "String")]
    pub item: Text,
    /// When it is expected, if a source says (YYYY, YYYY-MM or YYYY-MM-DD).
    #[serde(default)]
    #[schemars(schema_with = "optional_date_schema")]
    pub expected: Option<Text>,
    /// Ids of the sources (sources.toml) behind it.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub sources: List,
}

/// `sources.toml`: every document the topic's cards cite, one `[[source]]` table each.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSources {
    #[serde(default)]
    #[schemars(with = "Vec<RawSource>")]
    pub source: Vec<Spanned<RawSource>>,
}

/// One `[[source]]`: a document the cards cite by its id.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// The id cards cite the source by: lowercase letters, digits and hyphens.
    #[schemars(with = "String")]
    pub id: Text,
    /// The document's title, as published.
    #[schemars(with = "String")]
    pub title: Text,
    /// Who published it.
    #[schemars(with = "String")]
    pub publisher: Text,
    /// Where to read it (https://…).
    #[schemars(with = "String")]
    pub url: Text,
    /// When it was published.
    #[serde(default)]
    #[schemars(schema_with = "optional_date_schema")]
    pub published: Option<Text>,
    /// When the card's authors last read it.
    #[serde(default)]
    #[schemars(schema_with = "optional_date_schema")]
    pub accessed: Option<Text>,
    #[schemars(schema_with = "source_kind_schema")]
    pub kind: Text,
    /// A snapshot of the page in a web archive (https://web.archive.org/web/…), which answers
    /// show beside the live address and lead with when the page is gone.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub archived: Option<Text>,
    /// When the snapshot was taken; only with `archived`.
    #[serde(default)]
    #[schemars(schema_with = "optional_date_schema")]
    pub archived_on: Option<Text>,
    /// What the source is good for, or how far to trust it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub note: Option<Text>,
}

/// `actors/<actor-id>.toml`: one party to the story and its position.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawActor {
    /// The actor's id, the same as its card's file name: lowercase letters, digits and hyphens.
    #[schemars(with = "String")]
    pub id: Text,
    /// The name answers show.
    #[schemars(with = "String")]
    pub name: Text,
    /// Other names a user may type (/position us finds united-states).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub aliases: List,
    #[schemars(schema_with = "actor_kind_schema")]
    pub kind: Text,
    /// The actor's part in the story, in a sentence.
    #[schemars(with = "String")]
    pub role: Text,
    /// The people who speak for it: one [[people]] table each.
    #[serde(default)]
    #[schemars(with = "Vec<RawPerson>")]
    pub people: Vec<Spanned<RawPerson>>,
    /// `[position]` (one position, the older form) or `[[position]]` (a dated history).
    #[schemars(schema_with = "positions_schema")]
    pub position: Spanned<RawPositions>,
}

/// An actor's positions as written: one `[position]` table, or a `[[position]]` history.
#[derive(Debug)]
pub struct RawPositions {
    pub history: bool,
    /// In file order; for a single table, its span is the `position` key's.
    pub entries: Vec<RawPositionEntry>,
}

/// One entry and, in a history, its own span.
#[derive(Debug)]
pub struct RawPositionEntry {
    pub span: Option<std::ops::Range<usize>>,
    pub position: RawPosition,
}

impl<'de> Deserialize<'de> for RawPositions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = RawPositions;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a [position] table or a [[position]] history")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawPositions, A::Error> {
                let position =
                    RawPosition::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawPositions {
                    history: false,
                    entries: vec![RawPositionEntry {
                        span: None,
                        position,
                    }],
                })
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawPositions, A::Error> {
                let mut entries = Vec::new();
                while let Some(p) = seq.next_element::<Spanned<RawPosition>>()? {
                    let span = p.span();
                    entries.push(RawPositionEntry {
                        span: Some(span),
                        position: p.into_inner(),
                    });
                }
                Ok(RawPositions {
                    history: true,
                    entries,
                })
            }
        }
        d.deserialize_any(Either)
    }
}

/// One `[[people]]`: someone who speaks for the actor.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    /// The person's name.
    #[schemars(with = "String")]
    pub name: Text,
    /// Their office or part, as of as_of.
    #[schemars(with = "String")]
    pub role: Text,
    /// When a source last showed them in that role.
    #[schemars(schema_with = "date_schema")]
    pub as_of: Text,
    /// Anything a reader should know about them.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub note: Option<Text>,
    /// Ids of the sources (sources.toml) behind it.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub sources: List,
}

/// A position: `[position]`, or one `[[position]]` of a dated history.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPosition {
    /// The position in a few words: what /compare lines up.
    #[schemars(with = "String")]
    pub stance: Text,
    /// The position in two or three sentences, in your own words.
    #[schemars(with = "String")]
    pub summary: Text,
    /// What the actor asks for, one item each. An item is its text, or `{ text = "…", sources = ["id"] }`
    /// when it rests on sources of its own.
    #[serde(default)]
    #[schemars(with = "Vec<RawClaim>")]
    pub demands: RawClaims,
    /// What the actor says it will not accept. An item is its text, or `{ text = "…", sources = ["id"] }`
    /// when it rests on sources of its own.
    #[serde(default)]
    #[schemars(with = "Vec<RawClaim>")]
    pub red_lines: RawClaims,
    /// What the actor has done or said that shows the position. An item is its text, or `{ text = "…", sources = ["id"] }`
    /// when it rests on sources of its own.
    #[serde(default)]
    #[schemars(with = "Vec<RawClaim>")]
    pub signals: RawClaims,
    /// The day the position took effect or was reported (a history is oldest first).
    #[schemars(schema_with = "date_schema")]
    pub as_of: Text,
    #[schemars(schema_with = "confidence_schema")]
    pub confidence: Text,
    /// Ids of the sources (sources.toml) behind it: at least one.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub sources: List,
}

/// `timeline.toml`: what happened, one `[[event]]` table each, oldest first.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTimeline {
    #[serde(default)]
    #[schemars(with = "Vec<RawEvent>")]
    pub event: Vec<Spanned<RawEvent>>,
}

/// One `[[event]]` of the timeline.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    /// When it happened.
    #[schemars(schema_with = "date_schema")]
    pub date: Text,
    /// What happened, in a line.
    #[schemars(with = "String")]
    pub title: Text,
    /// What happened, in two or three sentences.
    #[schemars(with = "String")]
    pub detail: Text,
    /// Ids of the actors involved.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub actors: List,
    #[schemars(schema_with = "verification_schema")]
    pub verification: Text,
    /// Ids of the sources (sources.toml) behind it: at least one.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub sources: List,
    /// The phase of the story this event opens, in a word or two ("talks", "war",
    /// "ceasefire"): the timeline chart shades it until the next event that opens one.
    #[schemars(with = "Option<String>")]
    pub phase: Option<Text>,
}

/// `experts.toml`: what analysts said, one `[[view]]` table each.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExperts {
    #[serde(default)]
    #[schemars(with = "Vec<RawView>")]
    pub view: Vec<Spanned<RawView>>,
}

/// One `[[view]]`: an analyst's view, summarized and sourced.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawView {
    /// The view's id: lowercase letters, digits and hyphens.
    #[schemars(with = "String")]
    pub id: Text,
    /// Who holds the view.
    #[schemars(with = "String")]
    pub name: Text,
    /// Where they work or write.
    #[schemars(with = "String")]
    pub affiliation: Text,
    /// Their title there.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub role: Option<Text>,
    /// When the view was given (or, with reported = true, published).
    #[schemars(schema_with = "date_schema")]
    pub date: Text,
    /// `date` is when the source carrying the view was published, not when it was said.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub reported: Option<Spanned<bool>>,
    /// The view in your own words.
    #[schemars(with = "String")]
    pub summary: Text,
    /// A short verbatim quote, if any: it needs quote_source.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub quote: Option<Text>,
    /// The id of the source the quote is taken from.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub quote_source: Option<Text>,
    /// Ids of the actors the view is about.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub about: List,
    /// Ids of the sources (sources.toml) behind it: at least one.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub sources: List,
}

/// `feeds.toml`: the news feeds the newsdesk reads for this topic, and what makes an item
/// worth proposing.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFeeds {
    /// What an item must say to be proposed, besides the actors' names and aliases.
    #[serde(default, rename = "match")]
    #[schemars(with = "Option<RawMatch>")]
    pub matching: Option<Spanned<RawMatch>>,
    /// One `[[feed]]` table per feed.
    #[serde(default)]
    #[schemars(with = "Vec<RawFeed>")]
    pub feed: Vec<Spanned<RawFeed>>,
}

/// `[match]`: the topic's words.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMatch {
    /// Words and phrases that make an item about the topic ("Hormuz", "Muscat talks").
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub keywords: Vec<Text>,
    /// Words and phrases that rule an item out ("football").
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub exclude: Vec<Text>,
    /// How many distinct things an item must name to be proposed (2 unless set).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub min_score: Option<Spanned<i64>>,
}

/// One `[[feed]]`: where it is, and its own words.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    /// The feed's address (RSS, Atom or JSON Feed), https://…
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub url: Option<Text>,
    /// Or a feed file in the topic folder (fetched by another tool, or for trying it offline).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub path: Option<Text>,
    /// Who publishes it; the feed's own title unless set.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub outlet: Option<Text>,
    /// How often to read it: "15m", "2h" (30m unless set, at least 5m).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub every: Option<Text>,
    /// An item of this feed must also say one of these.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub include: Vec<Text>,
    /// An item of this feed that says one of these is ruled out.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub exclude: Vec<Text>,
}
