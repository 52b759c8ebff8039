//! `Reply` → a Matrix message: a plain-text body and an `org.matrix.custom.html` body using only
//! tags from the spec's recommended HTML subset. Every piece of card text and user input is
//! HTML-escaped, and `@room` is defused in both bodies, so no reply can notify a room.

use crate::date::human_day;
use crate::reply::{Block, Citation, Line, Reply, ReplyKind};
use std::fmt::Write as _;

/// Matrix events may be at most 65,536 bytes. Both bodies together stay under 32 KiB: in an
/// encrypted room the event is base64 ciphertext of the JSON (a third larger, plus escaping), and
/// the envelope and reply relation need room too.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// The two bodies of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixMessage {
    pub plain: String,
    pub html: String,
}

/// Escape text for HTML and defuse `@room`.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in defuse(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// A word joiner after `@` keeps `@room` (and user ids) from matching mention push rules.
pub fn defuse(s: &str) -> String {
    s.replace('@', "@\u{2060}")
}

fn plain_text(s: &str) -> String {
    defuse(s)
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

fn cites_plain(ns: &[u32]) -> String {
    ns.iter().map(|n| format!("[{n}]")).collect()
}

fn cites_html(ns: &[u32], all: &[Citation]) -> String {
    ns.iter()
        .filter_map(|n| all.iter().find(|c| c.n == *n))
        .map(|c| {
            format!(
                "<sup><a href=\"{}\">[{}]</a></sup>",
                escape_html(c.link()),
                c.n
            )
        })
        .collect()
}

fn line_plain(l: &Line) -> String {
    let mut s = String::new();
    if let Some(label) = &l.label {
        let _ = write!(s, "{}: ", plain_text(label));
    }
    s.push_str(&plain_text(&l.text));
    if !l.cites.is_empty() {
        let _ = write!(s, " {}", cites_plain(&l.cites));
    }
    s
}

fn line_html(l: &Line, all: &[Citation]) -> String {
    let mut s = String::new();
    if let Some(label) = &l.label {
        let _ = write!(s, "<strong>{}</strong>: ", escape_html(label));
    }
    s.push_str(&escape_html(&l.text));
    if !l.cites.is_empty() {
        let _ = write!(s, " {}", cites_html(&l.cites, all));
    }
    s
}

/// Pieces of a message; rendered in order and cut at a piece boundary when too long.
struct Piece {
    plain: String,
    html: String,
}

/// Room kept for each "… left out" note.
const NOTE_ROOM: usize = 240;

fn size(pieces: &[Piece]) -> usize {
    pieces
        .iter()
        .map(|p| p.plain.len() + p.html.len() + 1)
        .sum()
}

/// The leading pieces that fit in `budget` (which is reduced by what they take), and how many
/// were left out.
fn fitting(pieces: Vec<Piece>, budget: &mut usize) -> (Vec<Piece>, usize) {
    let total = pieces.len();
    let mut kept = Vec::new();
    for p in pieces {
        let n = size(std::slice::from_ref(&p));
        if n > *budget {
            break;
        }
        *budget -= n;
        kept.push(p);
    }
    let cut = total - kept.len();
    (kept, cut)
}

/// The two bodies being assembled.
#[derive(Default)]
struct Joined {
    plain: String,
    html: String,
}

impl Joined {
    fn push(&mut self, p: &Piece) {
        if !self.plain.is_empty() {
            self.plain.push('\n');
        }
        self.plain.push_str(&p.plain);
        self.html.push_str(&p.html);
    }

    fn note(&mut self, text: &str) {
        self.push(&Piece {
            plain: text.to_owned(),
            html: format!("<p><em>{}</em></p>", escape_html(text)),
        });
    }
}

/// Render a reply as a Matrix message, with `prefix` (e.g. `!`) in command hints.
pub fn render(reply: &Reply, prefix: &str) -> MatrixMessage {
    let all = &reply.citations;
    let mut head: Vec<Piece> = Vec::new();
    let title_tag = if reply.kind == ReplyKind::UserError {
        "em"
    } else {
        "strong"
    };
    head.push(Piece {
        plain: plain_text(&reply.title),
        html: format!(
            "<p><{title_tag}>{}</{title_tag}></p>",
            escape_html(&reply.title)
        ),
    });
    if let Some(s) = &reply.summary {
        head.push(Piece {
            plain: line_plain(s),
            html: format!("<p>{}</p>", line_html(s, all)),
        });
    }
    let mut pieces: Vec<Piece> = Vec::new();
    for section in &reply.sections {
        let heading = Piece {
            plain: format!("\n{}", plain_text(&section.heading)),
            html: format!("<h4>{}</h4>", escape_html(&section.heading)),
        };
        pieces.push(heading);
        match &section.body {
            Block::Text(l) => pieces.push(Piece {
                plain: line_plain(l),
                // Multi-line text (a form to copy and send back) keeps its lines.
                html: format!("<p>{}</p>", line_html(l, all).replace('\n', "<br>")),
            }),
            Block::Bullets(ls) => {
                for l in ls {
                    pieces.push(Piece {
                        plain: format!("• {}", line_plain(l)),
                        html: format!("<ul><li>{}</li></ul>", line_html(l, all)),
                    });
                }
            }
            Block::Fields(fs) => {
                for f in fs {
                    let plain = f
                        .lines
                        .iter()
                        .map(line_plain)
                        .collect::<Vec<_>>()
                        .join("; ");
                    let html = if f.lines.len() == 1 {
                        line_html(&f.lines[0], all)
                    } else {
                        format!(
                            "<ul>{}</ul>",
                            f.lines
                                .iter()
                                .map(|l| format!("<li>{}</li>", line_html(l, all)))
                                .collect::<String>()
                        )
                    };
                    pieces.push(Piece {
                        plain: format!("{}: {plain}", plain_text(&f.name)),
                        html: format!("<p><strong>{}</strong>: {html}</p>", escape_html(&f.name)),
                    });
                }
            }
        }
    }
    let mut pager = None;
    if let Some(p) = &reply.pager {
        let next = p
            .next
            .as_deref()
            .map(|n| format!(" Next: {prefix}{n}"))
            .unwrap_or_default();
        let text = format!(
            "Page {} of {} ({} {}).{next}",
            p.page, p.pages, p.total, p.noun
        );
        pager = Some(Piece {
            plain: format!("\n{}", plain_text(&text)),
            html: format!("<p><em>{}</em></p>", escape_html(&text)),
        });
    }
    let mut sources: Vec<Piece> = Vec::new();
    if !all.is_empty() {
        for c in all {
            let date = c
                .published
                .as_deref()
                .map(|d| format!(", {d}"))
                .unwrap_or_default();
            let mut plain_asides = String::new();
            let mut html_asides = String::new();
            for a in c.asides() {
                match a.link {
                    Some(to) => {
                        plain_asides.push_str(&format!(" ({}: {to})", plain_text(&a.text)));
                        html_asides.push_str(&format!(
                            " · <a href=\"{}\">{}</a>",
                            escape_html(to),
                            escape_html(&a.text)
                        ));
                    }
                    None => {
                        plain_asides.push_str(&format!(" ({})", plain_text(&a.text)));
                        html_asides.push_str(&format!(" · {}", escape_html(&a.text)));
                    }
                }
            }
            sources.push(Piece {
                plain: format!(
                    "[{}] {}. {}{}. {}{plain_asides}",
                    c.n,
                    plain_text(&c.title),
                    plain_text(&c.publisher),
                    plain_text(&date),
                    c.link()
                ),
                html: format!(
                    "<ol start=\"{}\"><li><a href=\"{}\">{}</a>. {}{}.{html_asides}</li></ol>",
                    c.n,
                    escape_html(c.link()),
                    escape_html(&c.title),
                    escape_html(&c.publisher),
                    escape_html(&date)
                ),
            });
        }
    }
    let pager: Vec<Piece> = pager.into_iter().collect();
    let mut foot: Vec<Piece> = Vec::new();
    if let Some(f) = &reply.footer {
        let mut text = format!("{} · as of {}", f.topic, human_day(f.as_of));
        if let Some(s) = &f.stale {
            text.push_str(&format!("\n⚠ {s}"));
        }
        if let Some(n) = &f.note {
            text.push_str(&format!("\n{}", n.replace('`', "")));
        }
        foot.push(Piece {
            plain: format!("\n{}", plain_text(&text)),
            html: format!(
                "<p><em>{}</em></p>",
                escape_html(&text).replace('\n', "<br>")
            ),
        });
    }
    // The answer's web page, when the service has public pages: always kept, like the footer.
    if let Some(url) = reply
        .link
        .as_ref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        foot.push(Piece {
            plain: format!("Read on the web: {}", plain_text(url)),
            html: format!(
                "<p><a href=\"{}\">Read on the web</a></p>",
                escape_html(url)
            ),
        });
    }
    // Keep well inside the event size limit. The title, summary and footer (as-of date,
    // staleness) always stay. The body and the sources share the rest: the sources are kept
    // whole when they take no more than half of it; the body is cut from its end, and what it
    // leaves unused goes to the sources, which are cut from their end (the last-numbered are
    // cited last).
    let mut budget =
        MAX_BODY_BYTES.saturating_sub(size(&head) + size(&pager) + size(&foot) + 2 * NOTE_ROOM);
    let sources_share = size(&sources).min(budget / 2);
    let mut body_budget = budget - sources_share;
    let (body, body_cut) = fitting(pieces, &mut body_budget);
    budget = sources_share + body_budget;
    let (sources, sources_cut) = fitting(sources, &mut budget);
    let mut out = Joined::default();
    head.iter().chain(&body).for_each(|p| out.push(p));
    if body_cut > 0 {
        out.note(&format!(
            "… {body_cut} more line{} left out; narrow the question or ask for the next page.",
            if body_cut == 1 { "" } else { "s" }
        ));
    }
    pager.iter().for_each(|p| out.push(p));
    if !sources.is_empty() {
        out.push(&Piece {
            plain: "\nSources".into(),
            html: "<h4>Sources</h4>".into(),
        });
        sources.iter().for_each(|p| out.push(p));
    }
    if sources_cut > 0 {
        out.note(&format!("… {sources_cut} more sources left out."));
    }
    foot.iter().for_each(|p| out.push(p));
    let Joined { plain, html } = out;
    // Adjacent single-item lists read as one list.
    let html = html.replace("</li></ul><ul><li>", "</li><li>");
    MatrixMessage { plain, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_and_defuses_room_mentions() {
        let mut r = Reply::new(ReplyKind::Answer, "<b>x</b> @room")
            .summary(Line::cited("a & b <script>", vec![1]));
        r.citations.push(Citation {
            n: 1,
            source_id: "s".into(),
            title: "T\"".into(),
            publisher: "P".into(),
            published: None,
            url: "https://e.org/?a=1&b=\"2\"".into(),
            ..Default::default()
        });
        let m = render(&r, "!");
        assert!(m.html.contains("&lt;b&gt;x&lt;/b&gt;"), "{}", m.html);
        assert!(m.html.contains("a &amp; b &lt;script&gt;"));
        assert!(
            m.html
                .contains("href=\"https://e.org/?a=1&amp;b=&quot;2&quot;\"")
        );
        assert!(!m.plain.contains("@room") && !m.html.contains("@room"));
        let tags: Vec<&str> = m
            .html
            .split('<')
            .skip(1)
            .map(|t| {
                t.trim_start_matches('/')
                    .split([' ', '>'])
                    .next()
                    .unwrap_or("")
            })
            .collect();
        for t in tags {
            assert!(
                [
                    "p", "strong", "em", "h4", "ul", "ol", "li", "a", "sup", "br"
                ]
                .contains(&t),
                "tag {t}"
            );
        }
    }

    #[test]
    fn a_cut_body_keeps_its_sources_and_as_of_footer() {
        let mut r = Reply::new(ReplyKind::Answer, "Timeline").summary(Line::new("Many events"));
        r.bullets(
            "Events",
            (0..3000)
                .map(|i| Line::cited(format!("event {i} ").repeat(6), vec![1]))
                .collect(),
        );
        r.citations.push(Citation {
            n: 1,
            source_id: "dawn".into(),
            title: "Dawn analysis".into(),
            publisher: "Dawn".into(),
            published: None,
            url: "https://www.dawn.com/news/1".into(),
            ..Default::default()
        });
        r.footer = Some(crate::reply::Footer {
            topic: "Iran–US talks".into(),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 10, 7).expect("date"),
            stale: Some("Stale: checked long ago".into()),
            note: None,
        });
        let m = render(&r, "!");
        assert!(
            m.plain.len() + m.html.len() <= MAX_BODY_BYTES,
            "{}",
            m.plain.len() + m.html.len()
        );
        for body in [&m.plain, &m.html] {
            assert!(body.contains("Many events"), "summary kept");
            assert!(body.contains("event 0 "), "the body starts");
            assert!(body.contains("more lines left out"), "the cut is said");
            assert!(body.contains("Dawn analysis"), "sources kept");
            assert!(body.contains("as of 7 Oct 2026"), "as-of footer kept");
            assert!(body.contains("Stale: checked long ago"), "staleness kept");
        }
        assert!(!m.plain.contains("event 2999"));
        let cut_at = m.plain.find("more lines left out").expect("note");
        assert!(m.plain.find("Dawn analysis").expect("source") > cut_at);
    }

    #[test]
    fn long_replies_stay_under_the_event_limit() {
        let mut r = Reply::new(ReplyKind::Answer, "T");
        r.bullets(
            "Many",
            (0..5000)
                .map(|i| Line::new(format!("line {i} ").repeat(5)))
                .collect(),
        );
        let m = render(&r, "!");
        assert!(m.plain.len() + m.html.len() <= MAX_BODY_BYTES + 200);
        assert!(m.plain.contains("more lines left out"));
    }
}
