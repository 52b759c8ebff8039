//! A feed's items as the newsdesk reads them: RSS 0.9x/1.0/2.0, Atom or JSON Feed parsed by
//! feed-rs, each item's title and summary made plain text, its link (http or https only) and
//! its date when it has one. Feeds are hostile: the body is capped before it gets here, deep
//! nesting is refused before parsing, and at most [`MAX_ITEMS`] items are read.

use super::text::plain;
use chrono::{DateTime, Utc};

/// The most items read from one feed.
pub const MAX_ITEMS: usize = 500;
/// The deepest element nesting a feed may have (real feeds stay under 20).
pub const MAX_DEPTH: usize = 256;

/// One item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The item's own id (GUID), or one made from its link and title when it has none.
    pub guid: String,
    /// Where the story is: the first http(s) link.
    pub url: Option<String>,
    pub title: String,
    /// The summary, or the start of the content.
    pub summary: String,
    /// When it was published (or last updated), if the feed says.
    pub published: Option<DateTime<Utc>>,
}

/// A feed read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Read {
    /// The feed's own title.
    pub title: Option<String>,
    pub items: Vec<Item>,
}

/// Read a feed's bytes.
pub fn read(body: &[u8]) -> Result<Read, String> {
    // A byte-order mark says UTF-8, which a feed is anyway; feed-rs reads JSON only without it.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let depth = nesting(body);
    if depth > MAX_DEPTH {
        return Err(format!(
            "the feed nests elements {depth} deep (more than {MAX_DEPTH}): not read"
        ));
    }
    let feed =
        feed_rs::parser::parse(body).map_err(|e| format!("not a feed dossier can read: {e}"))?;
    let items = feed
        .entries
        .into_iter()
        .take(MAX_ITEMS)
        .filter_map(|e| {
            let title = e.title.map(|t| plain(&t.content)).unwrap_or_default();
            let summary = e
                .summary
                .map(|s| s.content)
                .or_else(|| e.content.and_then(|c| c.body))
                .map(|s| plain(&s))
                .unwrap_or_default();
            if title.is_empty() && summary.is_empty() {
                return None;
            }
            let url = e
                .links
                .iter()
                .filter(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .chain(e.links.iter())
                .map(|l| l.href.trim())
                .find(|h| h.starts_with("https://") || h.starts_with("http://"))
                .map(|h| h.chars().take(2048).collect());
            Some(Item {
                guid: e.id.chars().take(512).collect(),
                url,
                title,
                summary,
                published: e.published.or(e.updated),
            })
        })
        .collect();
    Ok(Read {
        title: feed
            .title
            .map(|t| plain(&t.content))
            .filter(|t| !t.is_empty()),
        items,
    })
}

/// How deep the elements of an XML body nest, counted in one pass over its bytes (CDATA,
/// comments and processing instructions skipped; an over-estimate is fine: it only guards the
/// parser). JSON is counted by its brackets, outside strings.
fn nesting(body: &[u8]) -> usize {
    let json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let (mut depth, mut most) = (0usize, 0usize);
    let mut i = 0;
    if json {
        let mut in_string = false;
        while i < body.len() {
            match (in_string, body[i]) {
                (true, b'\\') => i += 1,
                (true, b'"') => in_string = false,
                (false, b'"') => in_string = true,
                (false, b'{' | b'[') => depth += 1,
                (false, b'}' | b']') => depth = depth.saturating_sub(1),
                _ => {}
            }
            most = most.max(depth);
            i += 1;
        }
        return most;
    }
    while i < body.len() {
        let rest = &body[i..];
        // Sections whose `<` are not tags: skip to their end.
        let skip = [
            (&b"<![CDATA["[..], &b"]]>"[..]),
            (&b"<!--"[..], &b"-->"[..]),
            (&b"<?"[..], &b"?>"[..]),
        ]
        .iter()
        .find(|(open, _)| rest.starts_with(open))
        .map(|(open, close)| {
            rest[open.len()..]
                .windows(close.len())
                .position(|w| w == *close)
                .map_or(rest.len(), |at| open.len() + at + close.len())
        });
        if let Some(n) = skip {
            i += n;
            continue;
        }
        match (body[i], body.get(i + 1).copied()) {
            (b'<', Some(b'/')) => depth = depth.saturating_sub(1),
            (b'<', Some(b'!')) => {}
            (b'<', _) => depth += 1,
            (b'/', Some(b'>')) => depth = depth.saturating_sub(1),
            _ => {}
        }
        most = most.max(depth);
        i += 1;
    }
    most
}
