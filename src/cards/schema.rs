//! The JSON Schema of each kind of card file, generated from the structs the loader reads them
//! into (`raw`), so that an editor (Taplo, "Even Better TOML") completes field names and flags a
//! wrong type or an unknown key before `dossier check` runs. The schema says what the TOML
//! must look like; the checks that need the whole topic (references, dates in order, staleness)
//! stay `dossier check`'s.

use super::raw::{RawActor, RawExperts, RawFeeds, RawSources, RawTimeline, RawTopic};
use schemars::generate::SchemaSettings;

/// Each kind of card file: its name, the files it describes (a Taplo `include` pattern), and
/// its schema.
pub struct CardSchema {
    pub kind: &'static str,
    pub files: &'static str,
    pub schema: serde_json::Value,
}

fn schema_for<T: schemars::JsonSchema>(title: &str) -> serde_json::Value {
    // TOML has no null: an optional field is one that may be left out, never one set to null.
    let mut root = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>();
    root.insert("title".into(), title.into());
    let mut value = root.to_value();
    drop_nulls(&mut value);
    value
}

/// Takes out what an `Option` adds for JSON and TOML cannot say: `null` among a field's types
/// and `"default": null`.
fn drop_nulls(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            if map.get("default").is_some_and(Value::is_null) {
                map.remove("default");
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Every kind of card file, in the order a topic folder lists them.
pub fn all() -> Vec<CardSchema> {
    vec![
        CardSchema {
            kind: "topic",
            files: "**/topic.toml",
            schema: schema_for::<RawTopic>("dossier topic card (topic.toml)"),
        },
        CardSchema {
            kind: "sources",
            files: "**/sources.toml",
            schema: schema_for::<RawSources>("dossier sources card (sources.toml)"),
        },
        CardSchema {
            kind: "timeline",
            files: "**/timeline.toml",
            schema: schema_for::<RawTimeline>("dossier timeline card (timeline.toml)"),
        },
        CardSchema {
            kind: "experts",
            files: "**/experts.toml",
            schema: schema_for::<RawExperts>("dossier expert views (experts.toml)"),
        },
        CardSchema {
            kind: "feeds",
            files: "**/feeds.toml",
            schema: schema_for::<RawFeeds>("dossier news feeds of a topic (feeds.toml)"),
        },
        CardSchema {
            kind: "actor",
            files: "**/actors/*.toml",
            schema: schema_for::<RawActor>("dossier actor card (actors/<id>.toml)"),
        },
    ]
}

/// The schema of one kind of card file.
pub fn of(kind: &str) -> Option<CardSchema> {
    all().into_iter().find(|s| s.kind == kind)
}

/// Which kind of card a file under a topic folder is, by its name.
pub fn kind_of(path: &std::path::Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    let in_actors = path
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|d| d == super::load::ACTORS_DIR);
    match name {
        _ if in_actors && name.ends_with(".toml") => Some("actor"),
        "topic.toml" => Some("topic"),
        "sources.toml" => Some("sources"),
        "timeline.toml" => Some("timeline"),
        "experts.toml" => Some("experts"),
        "feeds.toml" => Some("feeds"),
        _ => None,
    }
}
