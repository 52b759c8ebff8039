//! `Reply` → terminal text. Plain text when the output is a pipe or a file; bold headings,
//! colour and clickable links (OSC 8) when it is a terminal. Control characters in card or
//! user text are dropped, so a card cannot move the cursor or retitle the terminal.

use crate::date::human_day;
use crate::reply::{Block, Line, Reply, ReplyKind};
use anstyle::{AnsiColor, Style};
use std::fmt::Write as _;

/// How to draw: plain, or with terminal styling.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextStyle {
    pub color: bool,
    pub links: bool,
}

impl TextStyle {
    pub const PLAIN: TextStyle = TextStyle {
        color: false,
        links: false,
    };
    pub const TERMINAL: TextStyle = TextStyle {
        color: true,
        links: true,
    };

    fn paint(&self, style: Style, s: &str) -> String {
        if self.color {
            format!("{style}{s}{style:#}")
        } else {
            s.to_owned()
        }
    }

    fn bullet(&self) -> &'static str {
        if self.color { "•" } else { "-" }
    }
}

const HEADING: Style = Style::new().bold();
const TITLE: Style = Style::new().bold().underline();
const LABEL: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const WARN: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)))
    .bold();
const ERROR: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .bold();

/// Drop control characters (ESC, BEL, …) but keep newlines.
pub fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

fn cites(ns: &[u32]) -> String {
    ns.iter().map(|n| format!("[{n}]")).collect()
}

fn line(style: &TextStyle, l: &Line) -> String {
    let mut s = String::new();
    if let Some(label) = &l.label {
        s.push_str(&style.paint(LABEL, &clean(label)));
        s.push_str(": ");
    }
    s.push_str(&clean(&l.text));
    if !l.cites.is_empty() {
        s.push(' ');
        s.push_str(&style.paint(DIM, &cites(&l.cites)));
    }
    s
}

/// Render a reply for a terminal or a pipe.
pub fn render(reply: &Reply, style: TextStyle) -> String {
    let mut out = String::new();
    let title = clean(&reply.title);
    let title_style = if reply.kind == ReplyKind::UserError {
        ERROR
    } else {
        TITLE
    };
    let _ = writeln!(out, "{}", style.paint(title_style, &title));
    if !style.color {
        let _ = writeln!(out, "{}", "=".repeat(title.chars().count().min(72)));
    }
    if let Some(s) = &reply.summary {
        let _ = writeln!(out, "{}", line(&style, s));
    }
    for section in &reply.sections {
        let _ = writeln!(out, "\n{}", style.paint(HEADING, &clean(&section.heading)));
        match &section.body {
            Block::Text(l) => {
                let _ = writeln!(out, "  {}", line(&style, l));
            }
            Block::Bullets(ls) => {
                for l in ls {
                    let _ = writeln!(out, "  {} {}", style.bullet(), line(&style, l));
                }
            }
            Block::Fields(fs) => {
                for f in fs {
                    if f.lines.len() == 1 {
                        let _ = writeln!(
                            out,
                            "  {}: {}",
                            style.paint(LABEL, &clean(&f.name)),
                            line(&style, &f.lines[0])
                        );
                    } else {
                        let _ = writeln!(out, "  {}:", style.paint(LABEL, &clean(&f.name)));
                        for l in &f.lines {
                            let _ = writeln!(out, "    {} {}", style.bullet(), line(&style, l));
                        }
                    }
                }
            }
        }
    }
    if let Some(p) = &reply.pager {
        let _ = write!(
            out,
            "\n{}",
            style.paint(
                DIM,
                &format!("Page {} of {} ({} {}).", p.page, p.pages, p.total, p.noun)
            )
        );
        if let Some(prev) = &p.prev {
            let _ = write!(out, " Previous: {}", clean(prev));
        }
        if let Some(next) = &p.next {
            let _ = write!(out, " Next: {}", clean(next));
        }
        out.push('\n');
    }
    if !reply.citations.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint(HEADING, "Sources"));
        for c in &reply.citations {
            let title = clean(&c.title);
            let shown = if style.links {
                // OSC 8: the title becomes a clickable link in terminals that support it.
                format!(
                    "\x1b]8;;{}\x1b\\{title}\x1b]8;;\x1b\\",
                    clean(c.link()).replace('\x1b', "")
                )
            } else {
                title
            };
            let date = c
                .published
                .as_deref()
                .map(|d| format!(", {}", clean(d)))
                .unwrap_or_default();
            let _ = writeln!(out, "  [{}] {shown}. {}{date}.", c.n, clean(&c.publisher));
            let _ = writeln!(out, "      {}", style.paint(DIM, &clean(c.link())));
            for a in c.asides() {
                let text = match a.link {
                    Some(to) => format!("{}: {}", a.text, to),
                    None => a.text,
                };
                let _ = writeln!(out, "      {}", style.paint(DIM, &clean(&text)));
            }
        }
    }
    if let Some(f) = &reply.footer {
        let _ = writeln!(
            out,
            "\n{}",
            style.paint(
                DIM,
                &format!("{} · as of {}", clean(&f.topic), human_day(f.as_of))
            )
        );
        if let Some(s) = &f.stale {
            let _ = writeln!(out, "{}", style.paint(WARN, &format!("⚠ {}", clean(s))));
        }
        if let Some(n) = &f.note {
            let _ = writeln!(out, "{}", style.paint(DIM, &clean(n)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{Citation, Footer};
    use chrono::NaiveDate;

    fn sample() -> Reply {
        let mut r = Reply::new(ReplyKind::Answer, "Iran: position\x1b[2J")
            .summary(Line::cited("Stance", vec![1]));
        r.bullets("Demands", vec![Line::new("a"), Line::new("b").label("x")]);
        r.citations.push(Citation {
            n: 1,
            source_id: "s".into(),
            title: "T".into(),
            publisher: "P".into(),
            published: Some("6 Feb 2026".into()),
            url: "https://example.org/a".into(),
            ..Default::default()
        });
        r.footer = Some(Footer {
            topic: "Topic".into(),
            as_of: NaiveDate::from_ymd_opt(2026, 2, 5).unwrap_or_default(),
            stale: Some("Stale: old".into()),
            note: None,
        });
        r
    }

    #[test]
    fn plain_text_has_no_escape_sequences() {
        let s = render(&sample(), TextStyle::PLAIN);
        assert!(!s.contains('\x1b'), "{s:?}");
        assert!(s.starts_with("Iran: position[2J\n"));
        assert!(s.contains("Stance [1]"));
        assert!(s.contains("  - x: b"));
        assert!(s.contains("[1] T. P, 6 Feb 2026."));
        assert!(s.contains("https://example.org/a"));
        assert!(s.contains("⚠ Stale: old"));
    }

    #[test]
    fn terminal_text_links_sources() {
        let s = render(&sample(), TextStyle::TERMINAL);
        assert!(s.contains("\x1b]8;;https://example.org/a\x1b\\T\x1b]8;;\x1b\\"));
        assert!(!s.contains("\x1b[2J"));
    }
}
