//! One card file from bytes to its raw struct, turning every failure on the way (size,
//! encoding, TOML syntax, unknown keys, missing or mistyped fields) into diagnostics with a
//! position and a fix. Never panics, whatever the bytes.

use crate::diag::{Diagnostic, Severity};
use crate::text::{did_you_mean, or_list};
use serde::de::DeserializeOwned;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue, Deserializer};

/// Cards are short; anything larger is a mistake (a pasted log, a binary), not a briefing.
pub const MAX_CARD_BYTES: u64 = 1024 * 1024;

/// How many unknown keys one file may report before we stop looking for more.
const MAX_UNKNOWN_KEYS: usize = 32;

/// Decode a card's bytes as UTF-8, or say where the first bad byte is.
#[allow(clippy::result_large_err)] // once per broken file; not worth a box
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        // The valid prefix is text we can point into.
        let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
        let mut shown = prefix.clone();
        shown.push('\u{FFFD}');
        Diagnostic::at(
            Severity::Error,
            "not-utf8",
            path,
            &shown,
            prefix.len()..shown.len(),
            format!("the file is not UTF-8 text (bad byte at offset {valid})"),
        )
        .help("cards are UTF-8 TOML files; re-save the file as UTF-8, or remove it if it is not a card")
    })
}

/// Parse `text` as the card type `T`. On failure, every syntax error, and every unknown key
/// the file has, is reported, not only the first.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, Vec<Diagnostic>> {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return Err(syntax
            .into_iter()
            .map(|e| {
                let span = e.span().unwrap_or(0..0);
                Diagnostic::at(
                    Severity::Error,
                    "toml-syntax",
                    path,
                    text,
                    span,
                    format!("invalid TOML: {}", first_line(e.message())),
                )
                .help(syntax_help(e.message()))
            })
            .collect());
    }
    // The happy path deserializes the parsed tree once, without copying it.
    let first = T::deserialize(Deserializer::from(root));
    let e = match first {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let mut found = Vec::new();
    let mut error = e;
    // On an unknown key, drop it from a fresh tree and try again, so one run reports every typo.
    let (mut root, _) = DeTable::parse_recoverable(text);
    loop {
        let span = error.span().unwrap_or(0..0);
        let d = field_error(path, text, span.clone(), error.message());
        let unknown = d.code == "unknown-key";
        found.push(d);
        if !unknown || found.len() >= MAX_UNKNOWN_KEYS || !remove_key_at(root.get_mut(), &span) {
            return Err(found);
        }
        match T::deserialize(Deserializer::from(root.clone())) {
            Ok(_) => return Err(found),
            Err(e) => error = e,
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}

fn syntax_help(message: &str) -> String {
    let m = message.to_ascii_lowercase();
    if m.contains("duplicate key") {
        "each key may appear once per table; remove or rename the repeated one".into()
    } else if m.contains("string") || m.contains("quote") {
        "text values are quoted: key = \"text\"; use '''…''' for text with quotes inside".into()
    } else if m.contains("recursion") || m.contains("nest") {
        "cards are shallow tables; this nesting is far deeper than any card needs".into()
    } else {
        "fix the TOML syntax at the marked place (see https://toml.io/en/v1.0.0)".into()
    }
}

/// Turn a serde error from the toml deserializer into a diagnostic with a fix.
fn field_error(path: &Path, text: &str, span: Range<usize>, message: &str) -> Diagnostic {
    let message = first_line(message);
    if let Some((field, expected)) = unknown_field(message) {
        let suggestions = did_you_mean(field, expected.iter().copied(), 1);
        let help = match suggestions.first() {
            Some(s) => format!("did you mean `{s}`?"),
            None if expected.is_empty() => "this table takes no keys".into(),
            None => format!("the keys allowed here are {}", or_list(&expected)),
        };
        return Diagnostic::at(
            Severity::Error,
            "unknown-key",
            path,
            text,
            span,
            format!("unknown key `{field}`"),
        )
        .help(help);
    }
    if let Some(field) = between(message, "missing field `", "`") {
        return Diagnostic::at(
            Severity::Error,
            "missing-field",
            path,
            text,
            span,
            format!("missing required key `{field}`"),
        )
        .help(format!(
            "add `{field} = …` to this table (see briefings/README.md for the card format)"
        ));
    }
    if message.starts_with("invalid type") {
        let help = if message.contains("datetime") || message.contains("date") {
            "write dates as quoted text: \"2026-02-06\" (or \"2026-02\", \"2026\")".to_owned()
        } else if message.contains("expected a sequence") {
            "this key takes a list: key = [\"…\", \"…\"]".to_owned()
        } else if message.contains("expected i64") || message.contains("expected u") {
            "this key takes a whole number without quotes, e.g. key = 14".to_owned()
        } else if message.contains("expected a string") {
            "this key takes quoted text: key = \"…\"".to_owned()
        } else {
            "change the value to the type the card format expects (see briefings/README.md)"
                .to_owned()
        };
        return Diagnostic::at(
            Severity::Error,
            "wrong-type",
            path,
            text,
            span,
            message.to_owned(),
        )
        .help(help);
    }
    Diagnostic::at(
        Severity::Error,
        "invalid-card",
        path,
        text,
        span,
        message.to_owned(),
    )
    .help("see briefings/README.md for the card format")
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

/// Read serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a` or `b`",
/// "expected `a`", "there are no fields") into the field and the allowed names.
fn unknown_field(message: &str) -> Option<(&str, Vec<&str>)> {
    let field = between(message, "unknown field `", "`")?;
    let rest = &message[message.find(field)? + field.len() + 1..];
    let expected = rest
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s)
        .collect();
    Some((field, expected))
}

/// Remove the key whose name sits at `span`, wherever it is in the tree.
fn remove_key_at(table: &mut DeTable<'_>, span: &Range<usize>) -> bool {
    let key = table
        .iter()
        .find(|(k, _)| k.span() == *span)
        .map(|(k, _)| k.clone());
    if let Some(key) = key {
        return table.remove(&key).is_some();
    }
    table.iter_mut().any(|(_, v)| remove_in_value(v, span))
}

fn remove_in_value(value: &mut Spanned<DeValue<'_>>, span: &Range<usize>) -> bool {
    // Table and array spans do not always cover their contents (array-of-tables headers), so
    // search the whole tree; cards are small.
    match value.get_mut() {
        DeValue::Table(t) => remove_key_at(t, span),
        DeValue::Array(a) => remove_in_array(a, span),
        _ => false,
    }
}

fn remove_in_array(array: &mut DeArray<'_>, span: &Range<usize>) -> bool {
    array.iter_mut().any(|v| remove_in_value(v, span))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Card {
        id: String,
        red_lines: Vec<String>,
        #[serde(default)]
        inner: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    fn p(text: &str) -> Result<Card, Vec<Diagnostic>> {
        parse::<Card>(Path::new("x.toml"), text)
    }

    #[test]
    fn every_unknown_key_is_reported_with_a_suggestion() {
        let text =
            "id = \"a\"\nred_line = []\nred_lines = []\n[[inner]]\nnmae = \"x\"\nname = \"y\"\n";
        let mut errs = p(text).unwrap_err();
        errs.sort_by_key(|d| d.line);
        assert_eq!(errs.len(), 2, "{errs:#?}");
        assert_eq!(errs[0].code, "unknown-key");
        assert_eq!((errs[0].line, errs[0].column), (2, 1));
        assert_eq!(errs[0].help.as_deref(), Some("did you mean `red_lines`?"));
        assert_eq!(errs[1].line, 5);
        assert_eq!(errs[1].help.as_deref(), Some("did you mean `name`?"));
    }

    #[test]
    fn syntax_errors_point_at_the_place() {
        let errs = p("id = \"a\"\nred_lines = [\"x\"\n").unwrap_err();
        assert_eq!(errs[0].code, "toml-syntax");
        assert!(errs[0].line >= 2);
    }

    #[test]
    fn missing_and_mistyped_fields() {
        let errs = p("id = \"a\"\n").unwrap_err();
        assert_eq!(errs[0].code, "missing-field");
        assert!(errs[0].message.contains("red_lines"));
        let errs = p("id = 5\nred_lines = []\n").unwrap_err();
        assert_eq!(errs[0].code, "wrong-type");
        assert_eq!((errs[0].line, errs[0].column), (1, 6));
    }

    #[test]
    fn bad_utf8_is_located() {
        let d = decode(Path::new("x"), b"id = \"a\"\nname = \"\xff\"\n".to_vec()).unwrap_err();
        assert_eq!(d.code, "not-utf8");
        assert_eq!((d.line, d.column), (2, 9));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("id = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let errs = p(&text).unwrap_err();
        assert!(!errs.is_empty());
    }
}
