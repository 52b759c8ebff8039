//! Text helpers shared by the core: the lookup key used for ids, names and aliases, slug checks
//! and "did you mean" suggestions. Pure functions; no I/O, no platform knowledge.

/// The form in which names are compared: accents folded ("Türkiye" → "turkiye"), case folded,
/// and every run of punctuation or whitespace turned into one space, so "United-States",
/// "united states" and "UNITED  STATES." are one key.
pub fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s);
    let mut out = String::with_capacity(ascii.len());
    let mut pending_space = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            // "Côte d'Ivoire" and "cote divoire" should meet: apostrophes join, not split.
        } else {
            pending_space = true;
        }
    }
    out
}

/// Words of a folded string, for the search index.
pub fn words(s: &str) -> impl Iterator<Item = String> {
    fold(s)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

/// Whether `id` is a lowercase slug: `a-z`, `0-9` and single hyphens, starting with a letter.
pub fn is_slug(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !id.ends_with('-')
        && !id.contains("--")
}

/// The slug a moderator probably meant, for the `help:` line of a bad-id diagnostic.
pub fn slugify(s: &str) -> String {
    let folded = fold(s).replace(' ', "-");
    let trimmed = folded.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
    trimmed
        .chars()
        .take(64)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// Up to `max` candidates close to `wanted`, best first. Closeness is Jaro-Winkler on folded
/// forms, plus a bonus when one is a prefix of the other ("iri" → "iran").
pub fn did_you_mean<'a, I>(wanted: &str, candidates: I, max: usize) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let w = fold(wanted);
    if w.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(f64, &'a str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let f = fold(c);
            let mut score = strsim::jaro_winkler(&w, &f);
            if f.starts_with(&w) || w.starts_with(&f) {
                score += 0.15;
            }
            (score >= 0.78).then_some((score, c))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let mut seen = Vec::new();
    for (_, c) in scored {
        if !seen.contains(&c) {
            seen.push(c);
        }
        if seen.len() == max {
            break;
        }
    }
    seen
}

/// "`a`, `b` or `c`" for help lines.
pub fn or_list(items: &[&str]) -> String {
    join_with(items, "or")
}

fn join_with(items: &[&str], last: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} {last} {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// Cut `s` to at most `max` characters at a word boundary, adding "…" when something was cut.
pub fn truncate_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let budget = max.saturating_sub(1);
    let cut: String = s.chars().take(budget).collect();
    let at = cut
        .rfind(char::is_whitespace)
        .filter(|&i| i > budget / 2)
        .unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_ignores_case_accents_and_punctuation() {
        assert_eq!(fold("Türkiye"), "turkiye");
        assert_eq!(fold("United-States"), "united states");
        assert_eq!(fold("  UNITED   states. "), "united states");
        assert_eq!(fold("Hezbollah / \"axis\""), "hezbollah axis");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn slugs() {
        assert!(is_slug("iran"));
        assert!(is_slug("united-states"));
        assert!(is_slug("g7-2026"));
        for bad in [
            "",
            "Iran",
            "united_states",
            "-x",
            "x-",
            "a--b",
            "9lives",
            "é",
        ] {
            assert!(!is_slug(bad), "{bad}");
        }
        assert_eq!(slugify("United States"), "united-states");
        assert_eq!(slugify("Türkiye!"), "turkiye");
    }

    #[test]
    fn suggestions_rank_close_names_first() {
        let names = ["iran", "israel", "oman", "united-states"];
        assert_eq!(did_you_mean("irna", names, 2), vec!["iran"]);
        assert_eq!(did_you_mean("isreal", names, 1), vec!["israel"]);
        assert!(did_you_mean("zzzz", names, 3).is_empty());
    }

    #[test]
    fn truncation_keeps_words_whole() {
        assert_eq!(truncate_words("short", 10), "short");
        assert_eq!(truncate_words("one two three four", 12), "one two…");
        assert_eq!(or_list(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
