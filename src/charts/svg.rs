//! A small SVG writer: elements with presentation attributes only (a page's CSP forbids
//! `style` attributes), every text and attribute value escaped, numbers rounded to a tenth so
//! the same chart is the same bytes everywhere; and a text-width estimate for DejaVu Sans, the
//! bundled font, that errs wide, so text cut to a width never spills.

use std::fmt::Write as _;

/// XML-escape `s` for text and for double-quoted attribute values; control characters, which
/// XML 1.0 forbids, are dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A number as SVG writes it: a tenth at most, no `-0`.
pub fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".into()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// The advance of `c` in DejaVu Sans, in ems, rounded up.
fn advance(c: char) -> f64 {
    match c {
        ' ' => 0.33,
        'i' | 'j' | 'l' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 0.3,
        'f' | 't' | 'r' | 'I' | '(' | ')' | '[' | ']' | '-' => 0.42,
        'm' | 'w' => 0.98,
        'M' | 'W' | '@' | '%' | '—' => 1.02,
        'a'..='z' => 0.64,
        'A'..='Z' | '0'..='9' => 0.78,
        c if c.is_ascii() => 0.7,
        // Wide scripts and symbols: a full em.
        _ => 1.0,
    }
}

/// How wide `s` is at `px`, estimated on the wide side.
pub fn width(s: &str, px: f64) -> f64 {
    s.chars().map(advance).sum::<f64>() * px
}

/// `s` cut to at most `max` pixels at `px`: whole words where it can, then "…". Linear in the
/// text (a 64 KiB stance is walked once).
pub fn fit(s: &str, max: f64, px: f64) -> String {
    let s = s.trim();
    if width(s, px) <= max {
        return s.to_owned();
    }
    let room = max - width("…", px);
    if room <= 0.0 {
        return String::new();
    }
    let mut used = 0.0;
    let mut end = 0;
    let mut last_space = None;
    for (i, c) in s.char_indices() {
        let w = advance(c) * px;
        if used + w > room {
            break;
        }
        used += w;
        end = i + c.len_utf8();
        if c == ' ' {
            last_space = Some(i);
        }
    }
    let cut = match last_space {
        Some(sp) if sp > end / 2 => &s[..sp],
        _ => &s[..end],
    };
    format!("{}…", cut.trim_end_matches([' ', ',', ';', ':', '.']))
}

/// An SVG document being written.
pub struct Svg {
    out: String,
}

impl Svg {
    pub fn new(width: f64, height: f64, title: &str, desc: &str) -> Svg {
        let mut out = String::with_capacity(16 * 1024);
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" font-family="DejaVu Sans, Verdana, sans-serif"><title>{t}</title><desc>{d}</desc>"#,
            w = num(width),
            h = num(height),
            t = escape(&crate::text::truncate_words(title, 300)),
            d = escape(&crate::text::truncate_words(desc, 1500)),
        );
        Svg { out }
    }

    /// A chart's panel: the background, the title and the line under it, each cut to fit.
    pub fn panel(width: f64, height: f64, title: &str, subtitle: &str, alt: &str) -> Svg {
        use super::style::{BACKGROUND, INK, MUTED};
        let mut svg = Svg::new(width, height, title, alt);
        svg.rect(0.0, 0.0, width, height, BACKGROUND, "");
        svg.text(
            16.0,
            26.0,
            16.0,
            "start",
            INK,
            &fit(title, width - 32.0, 16.0),
        );
        svg.text(
            16.0,
            46.0,
            12.0,
            "start",
            MUTED,
            &fit(subtitle, width - 32.0, 12.0),
        );
        svg
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, extra: &str) {
        let _ = write!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}"{extra}/>"#,
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0))
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, extra: &str) {
        let _ = write!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}"{extra}/>"#,
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        );
    }

    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str, extra: &str) {
        let _ = write!(
            self.out,
            r#"<circle cx="{}" cy="{}" r="{}" fill="{fill}"{extra}/>"#,
            num(cx),
            num(cy),
            num(r)
        );
    }

    /// A diamond centred on (`cx`, `cy`).
    pub fn diamond(&mut self, cx: f64, cy: f64, r: f64, fill: &str, extra: &str) {
        let _ = write!(
            self.out,
            r#"<path d="M{} {}L{} {}L{} {}L{} {}Z" fill="{fill}"{extra}/>"#,
            num(cx),
            num(cy - r),
            num(cx + r),
            num(cy),
            num(cx),
            num(cy + r),
            num(cx - r),
            num(cy)
        );
    }

    /// Text, escaped; `anchor` is start, middle or end.
    pub fn text(&mut self, x: f64, y: f64, px: f64, anchor: &str, fill: &str, text: &str) {
        let _ = write!(
            self.out,
            r#"<text x="{}" y="{}" font-size="{}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
            num(x),
            num(y),
            num(px),
            escape(text)
        );
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_numbers() {
        assert_eq!(
            escape("<a href=\"x\">&'\u{7}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(num(1.04), "1");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(2.25), "2.3");
    }

    #[test]
    fn fit_cuts_at_words_within_the_width() {
        let s = "Ready to resume indirect talks, on its own terms";
        let cut = fit(s, 120.0, 12.0);
        assert!(cut.ends_with('…') && width(&cut, 12.0) <= 120.0, "{cut}");
        assert!(!cut.contains("  "));
        assert_eq!(fit("short", 200.0, 12.0), "short");
        assert_eq!(fit(s, 5.0, 12.0), "");
        let huge = "W".repeat(64 * 1024);
        assert!(width(&fit(&huge, 300.0, 12.0), 12.0) <= 300.0);
    }
}
