//! Diagnostics about briefing cards: what is wrong, where (file, line, column, the offending
//! line) and how to fix it. Rendered for people like compiler errors, or as JSON for CI and
//! editors. Knows nothing about how cards are parsed.

use serde::Serialize;
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in the briefings folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable, kebab-case identifier of the kind of problem (`unknown-key`, `bad-date`, …).
    pub code: &'static str,
    pub path: PathBuf,
    /// 1-based line, 0 when the problem concerns a whole file or folder.
    pub line: usize,
    /// 1-based column in characters, 0 when there is no position.
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
    /// The offending line, for the caret display.
    #[serde(skip)]
    pub snippet: Option<String>,
    /// How many characters the caret marker spans.
    #[serde(skip)]
    pub width: usize,
}

impl Diagnostic {
    /// A problem about a whole file or folder, with no position inside it.
    pub fn file(severity: Severity, code: &'static str, path: &Path, message: String) -> Self {
        Diagnostic {
            severity,
            code,
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message,
            help: None,
            snippet: None,
            width: 0,
        }
    }

    /// A problem at a byte span of a file's text.
    pub fn at(
        severity: Severity,
        code: &'static str,
        path: &Path,
        text: &str,
        span: Range<usize>,
        message: String,
    ) -> Self {
        let mut d = Diagnostic::file(severity, code, path, message);
        d.locate(text, span);
        d
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        let h = help.into();
        if !h.is_empty() {
            self.help = Some(h);
        }
        self
    }

    fn locate(&mut self, text: &str, span: Range<usize>) {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        self.line = text[..start].matches('\n').count() + 1;
        self.column = text[line_start..start].chars().count() + 1;
        let line = text[line_start..line_end].trim_end_matches('\r');
        self.snippet = Some(line.to_owned());
        let marked_end = end.min(line_start + line.len()).max(start);
        self.width = text[start..marked_end].chars().count().max(1);
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// "t/topic.toml:7:3: error[bad-date]: message (help: …)", with the path relative to
    /// `root`: for chat replies, where the caret display does not fit.
    pub fn one_line(&self, root: &Path) -> String {
        let path = self.path.strip_prefix(root).unwrap_or(&self.path).display();
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut s = if self.line > 0 {
            format!(
                "{path}:{}:{}: {sev}[{}]: {}",
                self.line, self.column, self.code, self.message
            )
        } else {
            format!("{path}: {sev}[{}]: {}", self.code, self.message)
        };
        if let Some(h) = &self.help {
            s.push_str(&format!(" (help: {h})"));
        }
        s
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{sev}[{}]: {}", self.code, self.message)?;
        let path = self.path.display();
        let gutter = if self.line > 0 {
            self.line.to_string().len()
        } else {
            1
        };
        let pad = " ".repeat(gutter);
        if self.line > 0 {
            writeln!(f, "{pad}--> {path}:{}:{}", self.line, self.column)?;
        } else {
            writeln!(f, "{pad}--> {path}")?;
        }
        if let Some(snippet) = &self.snippet {
            // Tabs would throw the caret off; show them as one space each.
            let shown: String = snippet
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            writeln!(f, "{pad} |")?;
            writeln!(f, "{} | {shown}", self.line)?;
            let mut marker = String::new();
            let _ = write!(
                marker,
                "{}{}",
                " ".repeat(self.column.saturating_sub(1)),
                "^".repeat(self.width.max(1))
            );
            writeln!(f, "{pad} | {marker}")?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "{pad} = help: {help}")?;
        }
        Ok(())
    }
}

/// Everything `dossier check` found, sorted by file and position.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    pub fn has_errors(&self) -> bool {
        self.errors() > 0
    }

    pub fn sort(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (&a.path, a.line, a.column, a.severity, a.code)
                .cmp(&(&b.path, b.line, b.column, b.severity, b.code))
        });
        self.diagnostics.dedup();
    }

    /// The human form: every diagnostic, then a one-line summary.
    pub fn human(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let _ = writeln!(out, "{d}");
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    pub fn summary(&self) -> String {
        let (e, w) = (self.errors(), self.warnings());
        let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
        if e > 0 {
            format!(
                "briefings are invalid: {}, {}",
                plural(e, "error"),
                plural(w, "warning")
            )
        } else {
            format!("briefings are valid ({})", plural(w, "warning"))
        }
    }

    /// The JSON form: `{"valid": bool, "errors": n, "warnings": n, "diagnostics": [...]}`.
    pub fn json(&self) -> String {
        serde_json::json!({
            "valid": !self.has_errors(),
            "errors": self.errors(),
            "warnings": self.warnings(),
            "diagnostics": self.diagnostics,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_and_column() {
        let text = "id = \"x\"\nred_line = [\"a\"]\n";
        let start = text.find("red_line").unwrap();
        let d = Diagnostic::at(
            Severity::Error,
            "unknown-key",
            Path::new("b/t/actors/x.toml"),
            text,
            start..start + 8,
            "unknown field `red_line`".into(),
        )
        .help("did you mean `red_lines`?");
        assert_eq!((d.line, d.column), (2, 1));
        let shown = d.to_string();
        assert!(shown.contains("--> b/t/actors/x.toml:2:1"), "{shown}");
        assert!(shown.contains("2 | red_line = [\"a\"]"), "{shown}");
        assert!(shown.contains("  | ^^^^^^^^\n"), "{shown}");
        assert!(
            shown.contains("= help: did you mean `red_lines`?"),
            "{shown}"
        );
    }

    #[test]
    fn spans_out_of_range_or_inside_characters_do_not_panic() {
        let text = "tï = 1";
        #[allow(clippy::reversed_empty_ranges)]
        for span in [0..100, 2..3, 50..60, 3..1] {
            let d = Diagnostic::at(Severity::Error, "x", Path::new("f"), text, span, "m".into());
            assert!(d.line >= 1);
        }
    }
}
