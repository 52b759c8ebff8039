//! `feeds.toml`: each feed's address (an http(s) URL with no password in it) or file (inside
//! the topic folder), how often it is read, and the words that make an item match or rule it
//! out.

use super::checks::*;
use crate::cards::model::*;
use crate::cards::raw::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// How often a feed is read unless `every` says otherwise, and the bounds of `every`.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(30 * 60);
const EVERY: (Duration, Duration) = (Duration::from_secs(5 * 60), Duration::from_secs(24 * 3600));
/// The most feeds one topic may have, and words in one list: a noisy card should not become a
/// slow one.
const MAX_FEEDS: usize = 500;
const MAX_WORDS: usize = 500;
const MIN_SCORE: std::ops::RangeInclusive<i64> = 1..=20;

impl Validator {
    /// `feeds.toml`, when the topic has one.
    pub(super) fn feeds(&mut self, card: Option<&(RawFeeds, File)>, dir: &Path) -> Option<Feeds> {
        let (raw, f) = card?;
        let (keywords, exclude, min_score) = match &raw.matching {
            Some(m) => {
                let m = m.get_ref();
                let min_score = match &m.min_score {
                    None => DEFAULT_MIN_SCORE,
                    Some(n) if MIN_SCORE.contains(n.get_ref()) => *n.get_ref() as u32,
                    Some(n) => {
                        self.err(
                            f,
                            n.span(),
                            "bad-value",
                            format!("`min_score` is {}, outside 1–20", n.get_ref()),
                            format!("an item must name this many distinct things; {DEFAULT_MIN_SCORE} unless set"),
                        );
                        DEFAULT_MIN_SCORE
                    }
                };
                let keywords = self.words(f, "keywords", &m.keywords);
                let exclude = self.words(f, "exclude", &m.exclude);
                (keywords, exclude, min_score)
            }
            None => (Vec::new(), Vec::new(), DEFAULT_MIN_SCORE),
        };
        if raw.feed.len() > MAX_FEEDS {
            self.err(
                f,
                raw.feed[MAX_FEEDS].span(),
                "too-many",
                format!("more than {MAX_FEEDS} feeds in one topic"),
                "split the topic, or keep the feeds that carry it".into(),
            );
        }
        let mut seen: HashMap<FeedAt, usize> = HashMap::new();
        let mut feeds = Vec::new();
        for spanned in raw.feed.iter().take(MAX_FEEDS) {
            let span = spanned.span();
            let feed = spanned.get_ref();
            let at = match (&feed.url, &feed.path) {
                (Some(url), None) => self.feed_url(f, url).map(FeedAt::Url),
                (None, Some(path)) => self.feed_path(f, path, dir).map(FeedAt::Path),
                (Some(_), Some(path)) => {
                    self.err(
                        f,
                        path.span(),
                        "conflicting-keys",
                        "a feed has both `url` and `path`".into(),
                        "keep one: the address to fetch, or a file in the topic folder".into(),
                    );
                    None
                }
                (None, None) => {
                    self.err(f, span.clone(), "missing-field", "this feed has no `url`".into(), "add url = \"https://…\" (or path = \"feeds/….xml\" for a file in the topic folder)".into());
                    None
                }
            };
            let every =
                feed.every.as_ref().map_or(DEFAULT_EVERY, |e| {
                    match crate::deadlines::parse(e.get_ref()) {
                        Some(d) if (EVERY.0..=EVERY.1).contains(&d) => d,
                        _ => {
                            self.err(
                                f,
                                e.span(),
                                "bad-duration",
                                format!(
                                    "`every = \"{}\"` is not how often a feed can be read",
                                    e.get_ref().chars().take(40).collect::<String>()
                                ),
                                "give it from \"5m\" to \"24h\"; unset, it is \"30m\"".into(),
                            );
                            DEFAULT_EVERY
                        }
                    }
                });
            let source = FeedSource {
                at: at.clone().unwrap_or(FeedAt::Url(String::new())),
                outlet: self.opt_text(f, "outlet", &feed.outlet),
                every,
                include: self.words(f, "include", &feed.include),
                exclude: self.words(f, "exclude", &feed.exclude),
            };
            if let Some(at) = at {
                if let Some(line) = seen.get(&at).map(|first| line_of(&f.text, *first)) {
                    self.err(
                        f,
                        span.clone(),
                        "duplicate-feed",
                        format!("`{}` is listed twice", at.as_str()),
                        format!("the first is at line {line}; keep one"),
                    );
                }
                seen.entry(at).or_insert(span.start);
            }
            feeds.push(source);
        }
        Some(Feeds {
            keywords,
            exclude,
            min_score,
            feeds,
        })
    }

    /// A list of words or phrases: each non-empty, at most 100 characters.
    fn words(&mut self, f: &File, key: &str, list: &[Text]) -> Vec<String> {
        if let Some(over) = list.get(MAX_WORDS) {
            self.err(
                f,
                over.span(),
                "too-many",
                format!("more than {MAX_WORDS} words in `{key}`"),
                "keep the list to the words that decide".into(),
            );
        }
        let mut out = Vec::with_capacity(list.len().min(MAX_WORDS));
        for w in list.iter().take(MAX_WORDS) {
            let text = self.text(f, key, w);
            if text.chars().count() > 100 {
                self.err(
                    f,
                    w.span(),
                    "bad-value",
                    format!("a word in `{key}` is over 100 characters"),
                    "write the word or phrase an item would say".into(),
                );
            } else if !text.is_empty() {
                out.push(text);
            }
        }
        out
    }

    /// A feed's `url`: http(s), a proper host, no password.
    fn feed_url(&mut self, f: &File, url: &Text) -> Option<String> {
        let raw = url.get_ref().trim();
        // A user or password is refused first, and alone: other messages repeat the address.
        if let Ok(u) = url::Url::parse(raw)
            && (u.password().is_some() || !u.username().is_empty())
        {
            self.err(f, url.span(), "secret-in-card", "a feed's address must not carry a user or password".into(), "cards are shared and committed: use a feed that needs no login, or fetch it with another tool and give its file as `path`".into());
            return None;
        }
        let before = self.report.errors();
        check_url(self, f, url);
        (self.report.errors() == before).then(|| raw.to_owned())
    }

    /// A feed's `path`: relative, inside the topic folder, and there.
    fn feed_path(&mut self, f: &File, path: &Text, dir: &Path) -> Option<String> {
        let raw = path.get_ref().trim();
        let p = Path::new(raw);
        let inside = !raw.is_empty()
            && p.is_relative()
            && p.components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside {
            self.err(
                f,
                path.span(),
                "bad-path",
                format!(
                    "`{}` is not a path inside the topic folder",
                    raw.chars().take(80).collect::<String>()
                ),
                "write it relative to the topic folder, without `..`, e.g. \"feeds/sample.xml\""
                    .into(),
            );
            return None;
        }
        if !dir.join(p).is_file() {
            self.err(
                f,
                path.span(),
                "missing-file",
                format!("there is no file `{raw}` in the topic folder"),
                format!("put the feed file at {}", dir.join(p).display()),
            );
            return None;
        }
        Some(raw.to_owned())
    }
}
