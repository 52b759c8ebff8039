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
pub type List = Vec<Spanned<String>>;

/// `topic.toml`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub id: Text,
    pub title: Text,
    #[serde(default)]
    pub aliases: List,
    pub bottom_line: Text,
    pub why_it_matters: Text,
    /// Sources behind the bottom line and why it matters.
    #[serde(default)]
    pub sources: List,
    /// Actors the brief lists, in this order (default: every actor).
    #[serde(default)]
    pub main_actors: List,
    pub status: Text,
    #[serde(default)]
    pub status_note: Option<Text>,
    pub as_of: Text,
    #[serde(default)]
    pub stale_after_days: Option<Spanned<i64>>,
    #[serde(default)]
    pub tags: List,
    #[serde(default)]
    pub key_questions: List,
    #[serde(default)]
    pub watch: Vec<Spanned<RawWatch>>,
}

/// One `[[watch]]` item of `topic.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWatch {
    pub item: Text,
    #[serde(default)]
    pub expected: Option<Text>,
    #[serde(default)]
    pub sources: List,
}

/// `sources.toml`: a list of `[[source]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSources {
    #[serde(default)]
    pub source: Vec<Spanned<RawSource>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub id: Text,
    pub title: Text,
    pub publisher: Text,
    pub url: Text,
    #[serde(default)]
    pub published: Option<Text>,
    #[serde(default)]
    pub accessed: Option<Text>,
    pub kind: Text,
    #[serde(default)]
    pub note: Option<Text>,
}

/// `actors/<actor-id>.toml`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawActor {
    pub id: Text,
    pub name: Text,
    #[serde(default)]
    pub aliases: List,
    pub kind: Text,
    pub role: Text,
    #[serde(default)]
    pub people: Vec<Spanned<RawPerson>>,
    /// `[position]` (one position, the older form) or `[[position]]` (a dated history).
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    pub name: Text,
    pub role: Text,
    pub as_of: Text,
    #[serde(default)]
    pub note: Option<Text>,
    #[serde(default)]
    pub sources: List,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPosition {
    pub stance: Text,
    pub summary: Text,
    #[serde(default)]
    pub demands: List,
    #[serde(default)]
    pub red_lines: List,
    #[serde(default)]
    pub signals: List,
    pub as_of: Text,
    pub confidence: Text,
    #[serde(default)]
    pub sources: List,
}

/// `timeline.toml`: a list of `[[event]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeline {
    #[serde(default)]
    pub event: Vec<Spanned<RawEvent>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub date: Text,
    pub title: Text,
    pub detail: Text,
    #[serde(default)]
    pub actors: List,
    pub verification: Text,
    #[serde(default)]
    pub sources: List,
}

/// `experts.toml`: a list of `[[view]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExperts {
    #[serde(default)]
    pub view: Vec<Spanned<RawView>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawView {
    pub id: Text,
    pub name: Text,
    pub affiliation: Text,
    #[serde(default)]
    pub role: Option<Text>,
    pub date: Text,
    /// `date` is when the source carrying the view was published, not when it was said.
    #[serde(default)]
    pub reported: Option<Spanned<bool>>,
    pub summary: Text,
    #[serde(default)]
    pub quote: Option<Text>,
    #[serde(default)]
    pub quote_source: Option<Text>,
    #[serde(default)]
    pub about: List,
    #[serde(default)]
    pub sources: List,
}
