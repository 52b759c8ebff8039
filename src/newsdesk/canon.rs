//! One address per story: a URL reduced to the form that tells two links to the same page
//! apart from two pages. The scheme is folded (http and https alike), the host lowercased and
//! without `www.`, the fragment and the tracking parameters (`utm_*`, `fbclid`, `gclid` and the
//! like) dropped, the AMP forms of a page folded into the page, and a trailing slash dropped.

/// Parameters that say who sent the reader, not what they read.
const TRACKING: [&str; 8] = [
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src",
];

/// The canonical form of `url`, or `None` when it is not an http(s) URL.
pub fn canonical(url: &str) -> Option<String> {
    let mut u = url::Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?.to_ascii_lowercase();
    let host = host
        .strip_prefix("www.")
        .or_else(|| host.strip_prefix("amp."))
        .unwrap_or(&host)
        .to_owned();
    u.set_fragment(None);
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, v)| {
            let k = k.to_ascii_lowercase();
            !(k.starts_with("utm_")
                || TRACKING.contains(&k.as_str())
                || k == "amp"
                || (k == "outputtype" && v == "amp"))
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut path = u.path().to_owned();
    for amp in ["/amp/", "/amp"] {
        if let Some(p) = path.strip_suffix(amp) {
            path = p.to_owned();
        }
    }
    if let Some(p) = path.strip_prefix("/amp/") {
        path = format!("/{p}");
    }
    for ext in [".amp", ".amp.html"] {
        if let Some(p) = path.strip_suffix(ext) {
            path = p.to_owned();
        }
    }
    let path = path.trim_end_matches('/');
    let mut out = host;
    if let Some(port) = u.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(path);
    if !kept.is_empty() {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        out.push('?');
        out.push_str(&query);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_to_one_page_are_one_address() {
        let same = [
            "https://www.example.org/world/2026/10/08/iran-talks",
            "http://example.org/world/2026/10/08/iran-talks/",
            "https://EXAMPLE.org/world/2026/10/08/iran-talks?utm_source=rss&utm_medium=feed#comments",
            "https://example.org/world/2026/10/08/iran-talks/amp/",
            "https://amp.example.org/world/2026/10/08/iran-talks",
            "https://example.org/amp/world/2026/10/08/iran-talks",
            "https://example.org/world/2026/10/08/iran-talks?fbclid=abc&gclid=def",
            "https://example.org/world/2026/10/08/iran-talks?outputType=amp",
        ];
        let first = canonical(same[0]).expect("canonical");
        assert_eq!(first, "example.org/world/2026/10/08/iran-talks");
        for u in same {
            assert_eq!(canonical(u).as_deref(), Some(first.as_str()), "{u}");
        }
        // What tells pages apart is kept.
        assert_eq!(
            canonical("https://example.org/story?id=7&utm_campaign=x").as_deref(),
            Some("example.org/story?id=7")
        );
        assert_ne!(
            canonical("https://example.org/a?id=7"),
            canonical("https://example.org/a?id=8")
        );
        assert_eq!(canonical("ftp://example.org/a"), None);
        assert_eq!(canonical("not a url"), None);
    }
}
