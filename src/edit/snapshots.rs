//! A topic's `sources.toml` given the snapshots a web archive keeps of its pages, with
//! `toml_edit`: `archived` and `archived_on` set on each named `[[source]]` that has no
//! snapshot yet; every other line, comment and key comes out as it went in. Pure: text in, text
//! out. Whether the result is a valid card is `dossier check`'s to say, as for every edit.

use chrono::NaiveDate;
use toml_edit::{DocumentMut, Item, value};

/// A snapshot to keep: the source's id, the page it is of, the snapshot's address and the day
/// it was taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub id: String,
    /// The page's address: a source that cites another page by now is left alone.
    pub page: String,
    pub url: String,
    pub on: NaiveDate,
}

/// Why the snapshots could not be written into the card.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotEditError {
    #[error("sources.toml is not valid TOML ({0}); fix it by hand first")]
    Unreadable(String),
    #[error("sources.toml has `source` in a form dossier cannot edit; edit the file by hand")]
    Shape,
}

/// `text` with each of `kept` written into its source, and the ids written (a source that has
/// a snapshot already, is no longer in the card, or cites another page by now, is left as it
/// is).
pub fn set(text: &str, kept: &[Kept]) -> Result<(String, Vec<String>), SnapshotEditError> {
    let mut doc = text
        .parse::<DocumentMut>()
        .map_err(|e| SnapshotEditError::Unreadable(e.message().to_owned()))?;
    let sources = doc
        .get_mut("source")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or(SnapshotEditError::Shape)?;
    let mut written = Vec::new();
    for table in sources.iter_mut() {
        let Some(id) = table.get("id").and_then(Item::as_str).map(str::to_owned) else {
            continue;
        };
        if table.contains_key("archived") {
            continue;
        }
        let url = table.get("url").and_then(Item::as_str).map(str::trim);
        let Some(k) = kept
            .iter()
            .find(|k| k.id == id && url == Some(k.page.as_str()))
        else {
            continue;
        };
        table.insert("archived", value(k.url.as_str()));
        table.insert("archived_on", value(k.on.format("%Y-%m-%d").to_string()));
        written.push(id);
    }
    Ok((doc.to_string(), written))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = r#"# Every source once.

[[source]]
id = "a"
title = "A"
publisher = "P"
url = "https://example.org/a"
kind = "news"
note = "kept as it is" # a comment

[[source]]
id = "b"
title = "B"
publisher = "P"
url = "https://example.org/b"
kind = "news"
archived = "https://web.archive.org/web/20260101000000/https://example.org/b"
archived_on = "2026-01-01"
"#;

    fn kept(id: &str) -> Kept {
        Kept {
            id: id.into(),
            page: format!("https://example.org/{id}"),
            url: format!("https://web.archive.org/web/20260312101500/https://example.org/{id}"),
            on: NaiveDate::from_ymd_opt(2026, 3, 12).expect("date"),
        }
    }

    #[test]
    fn a_snapshot_is_written_only_where_there_is_none_and_nothing_else_moves() {
        let elsewhere = Kept {
            page: "https://example.org/elsewhere".into(),
            ..kept("a")
        };
        let (same, none) = set(CARD, &[elsewhere]).expect("set");
        assert!(
            none.is_empty(),
            "a source citing another page by now is left alone"
        );
        assert_eq!(same, CARD);
        let (after, written) = set(CARD, &[kept("a"), kept("b"), kept("gone")]).expect("set");
        assert_eq!(written, vec!["a".to_owned()]);
        assert!(after.starts_with("# Every source once.\n"), "{after}");
        assert!(
            after.contains("note = \"kept as it is\" # a comment\n"),
            "{after}"
        );
        assert!(after.contains(
            "archived = \"https://web.archive.org/web/20260312101500/https://example.org/a\"\narchived_on = \"2026-03-12\"\n"
        ));
        // The snapshot b had stays.
        assert!(after.contains("web/20260101000000/https://example.org/b"));
        assert!(!after.contains("web/20260312101500/https://example.org/b"));
        // Once more, nothing is written.
        let (again, none) = set(&after, &[kept("a")]).expect("set");
        assert!(none.is_empty());
        assert_eq!(again, after);
    }

    #[test]
    fn a_card_dossier_cannot_edit_is_refused() {
        assert!(matches!(
            set("source = 1", &[kept("a")]),
            Err(SnapshotEditError::Shape)
        ));
        assert!(matches!(
            set("[[source]\n", &[kept("a")]),
            Err(SnapshotEditError::Unreadable(_))
        ));
    }
}
