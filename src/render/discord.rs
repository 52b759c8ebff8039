//! `Reply` → a Discord message: embeds that always fit Discord's published limits, numbered
//! source links, paging buttons and a link to the main source. Plain data, no serenity types:
//! the Discord door turns it into API builders. Card text and user input are Markdown-escaped,
//! and `@` is defused, so nothing here can ping anyone even before `allowed_mentions` says so.

use crate::date::human_day;
use crate::reply::{Block, Citation, Line, Reply, ReplyKind};
use std::borrow::Cow;
use std::fmt::Write as _;

/// Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
pub mod limits {
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const EMBED_FIELDS: usize = 25;
    pub const FIELD_NAME: usize = 256;
    pub const FIELD_VALUE: usize = 1024;
    pub const FOOTER_TEXT: usize = 2048;
    pub const AUTHOR_NAME: usize = 256;
    /// Across every embed of one message.
    pub const EMBEDS_TOTAL: usize = 6000;
    pub const EMBEDS_PER_MESSAGE: usize = 10;
    pub const CONTENT: usize = 2000;
    pub const CUSTOM_ID: usize = 100;
    pub const BUTTON_LABEL: usize = 80;
    pub const BUTTONS_PER_ROW: usize = 5;
    pub const AUTOCOMPLETE_CHOICES: usize = 25;
    pub const CHOICE_NAME: usize = 100;
    pub const CHOICE_VALUE: usize = 100;
    pub const COMMAND_DESCRIPTION: usize = 100;
    pub const OPTION_DESCRIPTION: usize = 100;
    /// An attachment's description (its alt text).
    pub const ATTACHMENT_DESCRIPTION: usize = 1024;
    /// The upload limit without boosts (10 MiB).
    pub const UPLOAD_BYTES: usize = 10 * 1024 * 1024;
}

/// Accent colours of the embed's left bar.
pub const COLOUR_ANSWER: u32 = 0x2b6cb0;
pub const COLOUR_STALE: u32 = 0xd69e2e;
pub const COLOUR_ERROR: u32 = 0xc53030;

/// Custom ids of "More fields" buttons start with this; the rest is the `edit` command line
/// whose second form they open.
pub const MORE_FIELDS_PREFIX: &str = "dossier-more|";
/// Custom ids of paging buttons start with this; the rest is the command line to answer.
pub const PAGE_PREFIX: &str = "dossier:page:";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub embeds: Vec<Embed>,
    pub buttons: Vec<Button>,
    /// The chart the first embed shows, uploaded with the message as its one attachment.
    pub picture: Option<std::sync::Arc<crate::charts::Png>>,
}

impl Message {
    /// `self` showing `picture` (if it fits Discord's upload limit) in its first embed.
    pub fn with_picture(mut self, picture: Option<std::sync::Arc<crate::charts::Png>>) -> Self {
        self.picture = picture.filter(|p| fits_upload(p));
        self
    }
}

/// Whether Discord takes `p` as an attachment.
pub fn fits_upload(p: &crate::charts::Png) -> bool {
    p.bytes.len() <= limits::UPLOAD_BYTES
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Embed {
    pub title: Option<String>,
    /// Where the title links: the answer's web page.
    pub url: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<EmbedField>,
    pub footer: Option<String>,
    pub colour: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Button {
    /// Runs `line` and shows the result in place of the message.
    Page {
        label: String,
        custom_id: String,
    },
    Link {
        label: String,
        url: String,
    },
    /// Opens a form: the rest of what `line` edits.
    Form {
        label: String,
        custom_id: String,
    },
}

/// Escape Discord Markdown and defuse mentions in text that is not meant as Markdown.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

/// Whether a byte needs attention when escaping: Markdown punctuation, `@`, an ASCII control
/// character, or 0xC2 (the lead byte of the C1 control characters U+0080–U+009F).
const fn special_bytes() -> [bool; 256] {
    let mut t = [false; 256];
    let marks = b"\\*_~`|>[]()#-<@\x7f\xc2";
    let mut i = 0;
    while i < marks.len() {
        t[marks[i] as usize] = true;
        i += 1;
    }
    let mut c = 0;
    while c < 0x20 {
        t[c] = c != b'\n' as usize;
        c += 1;
    }
    t
}
static SPECIAL: [bool; 256] = special_bytes();

/// [`escape`] appending to `out`: runs of ordinary text are copied whole.
pub fn escape_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let c1_control = b == 0xC2 && matches!(bytes.get(i + 1), Some(0x80..=0x9F));
        if !SPECIAL[usize::from(b)] || (b == 0xC2 && !c1_control) {
            i += 1;
            continue;
        }
        out.push_str(&s[start..i]);
        match b {
            // A zero-width space after @ keeps "@everyone", "@here" and "<@123>" from pinging.
            b'@' => out.push_str("@\u{200B}"),
            // Control characters other than newline are dropped: U+0080–U+009F here, the
            // ASCII ones below.
            0xC2 => i += 1,
            c if c < 0x20 || c == 0x7F => {}
            c => {
                out.push('\\');
                out.push(char::from(c));
            }
        }
        i += 1;
        start = i;
    }
    out.push_str(&s[start..]);
}

/// Characters counted the way Discord counts them (Unicode code points).
pub fn len(s: &str) -> usize {
    s.chars().count()
}

/// Cut plain text to `max` characters at a word boundary, before any Markdown is added, so a
/// cut can never fall inside a link or an escape.
fn fit_plain(s: &str, max: usize) -> Cow<'_, str> {
    // No more bytes than `max` means no more characters either.
    if s.len() <= max || len(s) <= max {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(crate::text::truncate_words(s, max))
    }
}

/// Cut already-rendered Markdown made of whole lines to `max` characters, dropping whole lines
/// and saying how many were left out.
fn fit_lines(lines: &[String], max: usize, what: &str) -> String {
    let mut out = String::new();
    let mut used = 0; // characters in `out`
    for (i, l) in lines.iter().enumerate() {
        let left = lines.len() - i;
        let sep = usize::from(!out.is_empty());
        let needed = used + sep + len(l);
        // The note saying what was left out must fit too, unless this is the last line.
        let note = || format!("\n… {left} more {what} not shown");
        if needed > max || (left > 1 && needed + len(&note()) > max) {
            let note = note();
            if used + len(&note) <= max {
                out.push_str(&note);
            }
            return out;
        }
        if sep == 1 {
            out.push('\n');
        }
        out.push_str(l);
        used = needed;
    }
    out
}

/// Append `url` for use inside a Markdown link: parentheses and spaces would end it early.
fn push_url(out: &mut String, url: &str) {
    for c in url.chars() {
        match c {
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '[' => out.push_str("%5B"),
            ']' => out.push_str("%5D"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            c if c.is_whitespace() || c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
}

fn push_cite_links(out: &mut String, cites: &[u32], all: &[Citation]) {
    let mut first = true;
    for c in cites.iter().filter_map(|n| all.iter().find(|c| c.n == *n)) {
        if first {
            out.push(' ');
            first = false;
        }
        let _ = write!(out, "[\\[{}\\]](", c.n);
        push_url(out, c.link());
        out.push(')');
    }
}

/// One Markdown line for a `Line` after `prefix`; the text part is cut to `max` characters
/// first.
fn line_after(prefix: &str, l: &Line, all: &[Citation], max: usize) -> String {
    let text = fit_plain(&l.text, max);
    let mut s = String::with_capacity(prefix.len() + text.len() + 16 + 64 * l.cites.len());
    s.push_str(prefix);
    if let Some(label) = &l.label {
        s.push_str("**");
        escape_into(&mut s, &fit_plain(label, 120));
        s.push_str("**: ");
    }
    escape_into(&mut s, &text);
    push_cite_links(&mut s, &l.cites, all);
    s
}

fn line(l: &Line, all: &[Citation], max: usize) -> String {
    line_after("", l, all, max)
}

fn citation_line(c: &Citation) -> String {
    let mut s = format!("{}. [", c.n);
    escape_into(&mut s, &fit_plain(&c.title, 150));
    s.push_str("](");
    push_url(&mut s, c.link());
    s.push_str(") — ");
    escape_into(&mut s, &fit_plain(&c.publisher, 60));
    if let Some(d) = &c.published {
        s.push_str(", ");
        escape_into(&mut s, d);
    }
    for a in c.asides() {
        s.push_str(" · ");
        match a.link {
            Some(to) => {
                s.push('[');
                escape_into(&mut s, &a.text);
                s.push_str("](");
                push_url(&mut s, to);
                s.push(')');
            }
            None => escape_into(&mut s, &a.text),
        }
    }
    s
}

/// Render a reply as one Discord message. `page_line` builds the custom id for a page button
/// from a command line (None when it would not fit).
pub fn render(reply: &Reply) -> Message {
    let all = &reply.citations;
    let mut body: Vec<String> = Vec::new();
    if let Some(s) = &reply.summary {
        body.push(line(s, all, 1500));
    }
    let mut fields: Vec<EmbedField> = Vec::new();
    for section in &reply.sections {
        match &section.body {
            Block::Fields(fs) => {
                // Side-by-side values: embed fields, a heading line in between.
                body.push(String::new());
                body.push(format!(
                    "__**{}**__",
                    escape(&fit_plain(&section.heading, 200))
                ));
                for f in fs {
                    let lines: Vec<String> = if f.lines.len() == 1 {
                        vec![line(&f.lines[0], all, 900)]
                    } else {
                        f.lines
                            .iter()
                            .map(|l| line_after("• ", l, all, 300))
                            .collect()
                    };
                    fields.push(EmbedField {
                        name: format!(
                            "{} · {}",
                            fit_plain(&section.heading, 100),
                            fit_plain(&f.name, 100)
                        ),
                        value: fit_lines(&lines, limits::FIELD_VALUE, "items"),
                        inline: fs.len() > 1 && fs.len() <= 3,
                    });
                }
            }
            Block::Text(l) => {
                body.push(String::new());
                body.push(format!("**{}**", escape(&fit_plain(&section.heading, 200))));
                body.push(line(l, all, 1500));
            }
            Block::Bullets(ls) => {
                body.push(String::new());
                body.push(format!("**{}**", escape(&fit_plain(&section.heading, 200))));
                body.extend(ls.iter().map(|l| line_after("• ", l, all, 600)));
            }
        }
    }
    if let Some(p) = &reply.pager {
        body.push(String::new());
        let next = p
            .next
            .as_deref()
            .map(|n| format!(" Next: `{}`", n.replace('`', "'")))
            .unwrap_or_default();
        body.push(format!(
            "*Page {} of {} ({} {}).*{next}",
            p.page, p.pages, p.total, p.noun
        ));
    }
    // Field names are plain text in Discord; only values take Markdown.
    for f in &mut fields {
        f.name = f.name.replace('@', "@\u{200B}");
        f.name = fit_plain(&f.name, limits::FIELD_NAME).into_owned();
    }
    fields.truncate(limits::EMBED_FIELDS - 1);
    let sources: Vec<String> = all.iter().map(citation_line).collect();
    if !sources.is_empty() {
        let value = fit_lines(&sources, limits::FIELD_VALUE, "sources");
        fields.push(EmbedField {
            name: "Sources".into(),
            value,
            inline: false,
        });
    }
    let footer = reply.footer.as_ref().map(|f| {
        let mut s = format!("{} · as of {}", f.topic, human_day(f.as_of));
        if let Some(stale) = &f.stale {
            s.push_str(&format!("\n⚠ {stale}"));
        }
        if let Some(n) = &f.note {
            s.push_str(&format!("\n{n}"));
        }
        fit_plain(&s.replace('@', "@\u{200B}"), limits::FOOTER_TEXT).into_owned()
    });
    let colour = match (
        reply.kind,
        reply.footer.as_ref().and_then(|f| f.stale.as_ref()),
    ) {
        (ReplyKind::UserError, _) => COLOUR_ERROR,
        (_, Some(_)) => COLOUR_STALE,
        _ => COLOUR_ANSWER,
    };
    let title = fit_plain(&reply.title.replace('@', "@\u{200B}"), limits::EMBED_TITLE).into_owned();
    // Budget the 6000 characters shared by all embeds: title, footer and fields first, then as
    // much of the body as fits.
    let size = |f: &EmbedField| len(&f.name) + len(&f.value);
    let mut fixed =
        len(&title) + footer.as_deref().map_or(0, len) + fields.iter().map(size).sum::<usize>();
    let has_sources = !all.is_empty();
    let mut dropped = 0;
    // Leave the description at least a few lines: drop the last side-by-side fields (never
    // the sources) until the rest fits.
    while fixed + 600 > limits::EMBEDS_TOTAL && fields.len() > usize::from(has_sources) {
        let at = fields.len() - 1 - usize::from(has_sources);
        fixed -= size(&fields.remove(at));
        dropped += 1;
    }
    if dropped > 0 {
        body.push(format!(
            "*… {dropped} more fields left out to fit Discord's limits.*"
        ));
    }
    let budget = limits::EMBEDS_TOTAL.saturating_sub(fixed);
    let description = fit_lines(&body, budget.min(limits::EMBED_DESCRIPTION), "lines");
    // Discord takes http(s) links of at most 512 characters on buttons; the same bound keeps
    // the embed's link sane.
    let link = reply
        .link
        .as_ref()
        .filter(|u| (u.starts_with("https://") || u.starts_with("http://")) && len(u) <= 512);
    let embed = Embed {
        title: Some(title),
        url: link.cloned(),
        description: (!description.trim().is_empty()).then_some(description),
        fields,
        footer,
        colour,
    };
    let mut buttons = Vec::new();
    if let Some(p) = &reply.pager {
        for (label, target) in [("◀ Previous", &p.prev), ("Next ▶", &p.next)] {
            if let Some(t) = target {
                let custom_id = format!("{PAGE_PREFIX}{t}");
                if len(&custom_id) <= limits::CUSTOM_ID {
                    buttons.push(Button::Page {
                        label: label.into(),
                        custom_id,
                    });
                }
            }
        }
    }
    if let Some(line) = &reply.more_fields {
        let custom_id = format!("{MORE_FIELDS_PREFIX}{line}");
        if len(&custom_id) <= limits::CUSTOM_ID {
            buttons.push(Button::Form {
                label: "More fields".into(),
                custom_id,
            });
        }
    }
    if let Some(c) = all.first() {
        buttons.push(Button::Link {
            label: fit_plain(
                &format!("Source: {}", c.publisher.replace('@', "@\u{200B}")),
                limits::BUTTON_LABEL,
            )
            .into_owned(),
            url: c.link().to_owned(),
        });
    }
    if let Some(url) = link {
        buttons.push(Button::Link {
            label: "Read on the web".into(),
            url: url.clone(),
        });
    }
    buttons.truncate(limits::BUTTONS_PER_ROW);
    Message {
        embeds: vec![embed],
        buttons,
        picture: None,
    }
}

/// Characters an embed counts against the 6000 total.
pub fn embed_chars(e: &Embed) -> usize {
    e.title.as_deref().map_or(0, len)
        + e.description.as_deref().map_or(0, len)
        + e.footer.as_deref().map_or(0, len)
        + e.fields
            .iter()
            .map(|f| len(&f.name) + len(&f.value))
            .sum::<usize>()
}

/// Whether a message keeps every documented limit.
pub fn within_limits(m: &Message) -> Result<(), String> {
    use limits::*;
    if m.embeds.len() > EMBEDS_PER_MESSAGE {
        return Err(format!("{} embeds", m.embeds.len()));
    }
    let total: usize = m.embeds.iter().map(embed_chars).sum();
    if total > EMBEDS_TOTAL {
        return Err(format!("{total} characters across embeds"));
    }
    for e in &m.embeds {
        let check = |what: &str, s: &Option<String>, max: usize| match s {
            Some(s) if len(s) > max => Err(format!("{what} is {} characters", len(s))),
            _ => Ok(()),
        };
        check("title", &e.title, EMBED_TITLE)?;
        check("description", &e.description, EMBED_DESCRIPTION)?;
        check("footer", &e.footer, FOOTER_TEXT)?;
        if e.fields.len() > EMBED_FIELDS {
            return Err(format!("{} fields", e.fields.len()));
        }
        for f in &e.fields {
            if len(&f.name) > FIELD_NAME
                || len(&f.value) > FIELD_VALUE
                || f.name.is_empty()
                || f.value.is_empty()
            {
                return Err(format!(
                    "field {:?} is {}/{} characters",
                    f.name,
                    len(&f.name),
                    len(&f.value)
                ));
            }
        }
    }
    for b in &m.buttons {
        match b {
            Button::Page { label, custom_id } | Button::Form { label, custom_id }
                if len(custom_id) > CUSTOM_ID || len(label) > BUTTON_LABEL =>
            {
                return Err(format!("button {custom_id}"));
            }
            Button::Link { label, .. } if len(label) > BUTTON_LABEL => {
                return Err(format!("link button {label}"));
            }
            _ => {}
        }
    }
    if m.buttons.len() > BUTTONS_PER_ROW {
        return Err(format!("{} buttons", m.buttons.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::{Footer, Pager};

    fn cite(n: u32) -> Citation {
        Citation {
            n,
            source_id: format!("s{n}"),
            title: format!("Title {n} (with parens)"),
            publisher: "P".into(),
            published: None,
            url: format!("https://example.org/a_(b)/{n}"),
            ..Default::default()
        }
    }

    #[test]
    fn escapes_markdown_and_defuses_mentions() {
        assert_eq!(
            escape("**bold** @everyone <@123>"),
            "\\*\\*bold\\*\\* @\u{200B}everyone \\<@\u{200B}123\\>"
        );
        assert!(!escape("@here").contains("@here"));
        assert_eq!(escape("a\u{85}b\u{9f}\u{a0}é\r\n\u{7f}"), "ab\u{a0}é\n");
    }

    /// The obvious character-by-character escaper, as an oracle for the fast one.
    fn escape_slowly(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '(' | ')' | '#' | '-'
                | '<' => {
                    out.push('\\');
                    out.push(c);
                }
                '@' => out.push_str("@\u{200B}"),
                c if c.is_control() && c != '\n' => {}
                c => out.push(c),
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn fast_escape_matches_the_obvious_one(s in "(?s).{0,80}") {
            proptest::prop_assert_eq!(escape(&s), escape_slowly(&s));
        }

        #[test]
        fn fast_escape_matches_on_markdown_heavy_text(s in "[a-z@*_~`|>\\[\\]()#<\\\\\n\u{80}-\u{a0}é \\-]{0,60}") {
            proptest::prop_assert_eq!(escape(&s), escape_slowly(&s));
        }
    }

    #[test]
    fn huge_replies_still_fit_every_limit() {
        let mut r = Reply::new(ReplyKind::Answer, "T".repeat(500))
            .summary(Line::cited("word ".repeat(2000), vec![1]));
        for i in 0..40 {
            r.bullets(
                format!("Section {i} {}", "h".repeat(300)),
                (0..30)
                    .map(|j| Line::cited(format!("item {j} ").repeat(50), vec![1, 2]))
                    .collect(),
            );
        }
        r.section(
            "Side",
            Block::Fields(
                (0..40)
                    .map(|i| crate::reply::Field {
                        name: "n".repeat(300),
                        lines: vec![Line::new(format!("{i}").repeat(2000))],
                    })
                    .collect(),
            ),
        );
        r.citations = (1..=60).map(cite).collect();
        r.footer = Some(Footer {
            topic: "x".repeat(3000),
            as_of: chrono::NaiveDate::MIN,
            stale: Some("s".into()),
            note: None,
        });
        r.pager = Some(Pager {
            page: 1,
            pages: 3,
            total: 30,
            noun: "events",
            prev: None,
            next: Some(format!("search {}", "q ".repeat(80))),
        });
        let m = render(&r);
        within_limits(&m).expect("fits");
        let d = m.embeds[0].description.as_deref().unwrap_or_default();
        assert!(d.contains("more lines not shown"), "says what was left out");
        // Never cut inside a link: every "](" has its closing parenthesis.
        for l in d.lines() {
            assert_eq!(
                l.matches("](").count(),
                l.matches(')').count() - l.matches("\\)").count(),
                "{l}"
            );
        }
    }

    #[test]
    fn links_and_buttons() {
        let mut r = Reply::new(ReplyKind::Answer, "T").summary(Line::cited("x", vec![1]));
        r.citations = vec![cite(1)];
        r.pager = Some(Pager {
            page: 2,
            pages: 3,
            total: 25,
            noun: "events",
            prev: Some("timeline".into()),
            next: Some("timeline page 3".into()),
        });
        let m = render(&r);
        let d = m.embeds[0].description.clone().unwrap_or_default();
        assert!(
            d.contains("[\\[1\\]](https://example.org/a_%28b%29/1)"),
            "{d}"
        );
        assert_eq!(m.buttons.len(), 3);
        assert!(
            matches!(&m.buttons[1], Button::Page { custom_id, .. } if custom_id == "dossier:page:timeline page 3")
        );
        assert!(
            matches!(&m.buttons[2], Button::Link { url, .. } if url == "https://example.org/a_(b)/1")
        );
    }
}
