//! A topic's `feeds.toml` changed from chat with `toml_edit`: a `[[feed]]` added at the end (the
//! file made, with a line saying so, when the topic has none) or the n-th removed; the rest of
//! the file, its comments and `[match]` table, come out as they went in. Pure: text in, text
//! out. Whether the result is a valid card is `dossier check`'s to say, as for every edit.

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

/// Why a feed could not be added or removed (before any check of the result).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FeedEditError {
    #[error("feeds.toml is not valid TOML ({0}); fix it by hand first")]
    Unreadable(String),
    #[error("feeds.toml has `feed` in a form dossier cannot edit; edit the file by hand")]
    Shape,
    #[error("the topic has no feed {n}: it has {count}")]
    NoSuch { n: usize, count: usize },
    #[error("`{0}` is listed already")]
    Listed(String),
}

/// The first lines of a `feeds.toml` made from chat.
const MADE: &str =
    "# The news feeds the newsdesk reads for this topic (see briefings/README.md, feeds.toml).\n";

fn parse(text: &str) -> Result<DocumentMut, FeedEditError> {
    text.parse::<DocumentMut>()
        .map_err(|e| FeedEditError::Unreadable(e.message().to_owned()))
}

fn feeds_mut(doc: &mut DocumentMut) -> Result<&mut ArrayOfTables, FeedEditError> {
    if !doc.contains_key("feed") {
        doc.insert("feed", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    doc.get_mut("feed")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or(FeedEditError::Shape)
}

/// Where a feed is read from, as its table says.
fn address(t: &Table) -> String {
    t.get("url")
        .or_else(|| t.get("path"))
        .and_then(Item::as_str)
        .unwrap_or("?")
        .to_owned()
}

/// The feeds listed, in order: each one's address or path.
pub fn listed(text: &str) -> Result<Vec<String>, FeedEditError> {
    let doc = parse(text)?;
    match doc.get("feed") {
        None => Ok(Vec::new()),
        Some(i) => Ok(i
            .as_array_of_tables()
            .ok_or(FeedEditError::Shape)?
            .iter()
            .map(address)
            .collect()),
    }
}

/// `text` (empty when the topic has no `feeds.toml`) with a `[[feed]]` for `url` added at the
/// end, with its `outlet` when given.
pub fn add(text: &str, url: &str, outlet: Option<&str>) -> Result<String, FeedEditError> {
    let made = text.trim().is_empty();
    let mut doc = parse(text)?;
    let list = feeds_mut(&mut doc)?;
    if list.iter().any(|t| address(t) == url) {
        return Err(FeedEditError::Listed(url.to_owned()));
    }
    let mut t = Table::new();
    t.insert("url", value(url));
    if let Some(o) = outlet.map(str::trim).filter(|o| !o.is_empty()) {
        t.insert("outlet", value(o));
    }
    list.push(t);
    let out = doc.to_string();
    Ok(if made { format!("{MADE}\n{out}") } else { out })
}

/// `text` without its `n`-th feed (from 1), and that feed's address.
pub fn remove(text: &str, n: usize) -> Result<(String, String), FeedEditError> {
    let mut doc = parse(text)?;
    let list = feeds_mut(&mut doc)?;
    let count = list.len();
    if n == 0 || n > count {
        return Err(FeedEditError::NoSuch { n, count });
    }
    let gone = list.get(n - 1).map(address).unwrap_or_default();
    list.remove(n - 1);
    if list.is_empty() {
        doc.remove("feed");
    }
    Ok((doc.to_string(), gone))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = "# Feeds of the topic.\n[match]\nkeywords = [\"Hormuz\"] # the strait\n\n[[feed]]\nurl = \"https://a.example.org/rss\"\nevery = \"15m\"\n\n[[feed]]\npath = \"feeds/sample.xml\"\n";

    #[test]
    fn a_feed_is_added_at_the_end_and_the_rest_is_kept() {
        let out = add(CARD, "https://b.example.org/feed", Some("Outlet B")).unwrap();
        assert!(out.starts_with(CARD.trim_end()), "{out}");
        assert!(
            out.ends_with(
                "[[feed]]\nurl = \"https://b.example.org/feed\"\noutlet = \"Outlet B\"\n"
            ),
            "{out}"
        );
        assert_eq!(
            listed(&out).unwrap(),
            [
                "https://a.example.org/rss",
                "feeds/sample.xml",
                "https://b.example.org/feed"
            ]
        );
        assert_eq!(
            add(CARD, "https://a.example.org/rss", None),
            Err(FeedEditError::Listed("https://a.example.org/rss".into()))
        );
        // A topic without feeds.toml gets one, that says where it came from.
        let made = add("", "https://b.example.org/feed", None).unwrap();
        assert!(made.starts_with("# The news feeds"), "{made}");
        assert_eq!(listed(&made).unwrap(), ["https://b.example.org/feed"]);
    }

    #[test]
    fn the_nth_feed_is_removed_and_a_number_out_of_range_is_refused() {
        let (out, gone) = remove(CARD, 1).unwrap();
        assert_eq!(gone, "https://a.example.org/rss");
        assert!(
            out.contains("keywords = [\"Hormuz\"] # the strait"),
            "{out}"
        );
        assert_eq!(listed(&out).unwrap(), ["feeds/sample.xml"]);
        assert_eq!(
            remove(CARD, 3),
            Err(FeedEditError::NoSuch { n: 3, count: 2 })
        );
        assert_eq!(
            remove(CARD, 0),
            Err(FeedEditError::NoSuch { n: 0, count: 2 })
        );
        let (none, _) = remove(&remove(CARD, 2).unwrap().0, 1).unwrap();
        assert!(
            !none.contains("[[feed]]") && none.contains("[match]"),
            "{none}"
        );
    }
}
