//! A feed's titles and summaries reduced to plain text: tags dropped (with what a `script` or
//! `style` holds), entities decoded, whitespace folded, and the result capped. One pass over the
//! input, no recursion: feed content is hostile.

/// The longest text kept of a title or summary, in characters.
pub const MAX_CHARS: usize = 2000;

/// `html` as plain text.
pub fn plain(html: &str) -> String {
    plain_up_to(html, MAX_CHARS)
}

/// `html` as plain text, at most `max` characters (a page's visible text, for its fingerprint).
pub fn plain_up_to(html: &str, max: usize) -> String {
    let mut out = String::with_capacity(html.len().min(max * 4));
    let mut rest = html;
    // Inside `<script>` or `<style>`: skip to its end tag.
    let mut skip_until: Option<&'static str> = None;
    while !rest.is_empty() {
        if let Some(end) = skip_until {
            match find_ascii_ci(rest, end) {
                Some(i) => {
                    // Past the end tag's `>`.
                    let after = &rest[i + end.len()..];
                    rest = after.find('>').map_or("", |gt| &after[gt + 1..]);
                    skip_until = None;
                }
                None => break,
            }
            continue;
        }
        let Some(lt) = rest.find('<') else {
            decode_into(&mut out, rest);
            break;
        };
        decode_into(&mut out, &rest[..lt]);
        let tag = &rest[lt..];
        if let Some((text, after)) = special(tag) {
            out.push_str(text);
            rest = after;
            continue;
        }
        let Some(gt) = tag.find('>') else {
            // A `<` that opens no tag is text.
            decode_into(&mut out, tag);
            break;
        };
        let name: String = tag[1..gt]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if !tag[1..].starts_with('/') {
            match name.as_str() {
                "script" => skip_until = Some("</script"),
                "style" => skip_until = Some("</style"),
                _ => {}
            }
        }
        // Block-level tags separate words.
        if matches!(
            name.as_str(),
            "br" | "p" | "div" | "li" | "tr" | "td" | "h1" | "h2" | "h3" | "h4" | "blockquote"
        ) {
            out.push(' ');
        }
        rest = &tag[gt + 1..];
        if out.len() > max * 4 {
            break;
        }
    }
    fold(&out, max)
}

/// A comment (it says nothing) or a CDATA section (text as it stands) at the start of `tag`:
/// what it says, and what follows it.
fn special(tag: &str) -> Option<(&str, &str)> {
    for (open, close, keep) in [("<!--", "-->", false), ("<![CDATA[", "]]>", true)] {
        if let Some(inner) = tag.strip_prefix(open) {
            let end = inner.find(close).unwrap_or(inner.len());
            let after = inner.get(end + close.len()..).unwrap_or("");
            return Some((if keep { &inner[..end] } else { "" }, after));
        }
    }
    None
}

/// Where `needle` (ASCII, lowercase) starts in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Whitespace folded to single spaces, trimmed, at most `max` characters.
fn fold(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, word) in s.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() > max * 4 {
            break;
        }
    }
    match out.char_indices().nth(max) {
        Some((at, _)) => {
            out.truncate(at);
            out.push('…');
            out
        }
        None => out,
    }
}

/// `text` with its character references decoded, pushed onto `out`.
fn decode_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // A reference is at most 32 characters up to its `;`.
        let semi = after
            .char_indices()
            .take(32)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = semi.and_then(|i| reference(&after[..i]).map(|c| (c, i)));
        match decoded {
            Some((c, i)) => {
                out.push(c);
                rest = &after[i + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// The character a reference names (`amp`, `#39`, `#x2019`), if it is one dossier knows.
fn reference(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace());
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "laquo" => '«',
        "raquo" => '»',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ccedil" => 'ç',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_go_entities_decode_and_scripts_say_nothing() {
        assert_eq!(
            plain("<p>Iran &amp; US resume talks in <b>Muscat</b></p><p>Oman&#8217;s role</p>"),
            "Iran & US resume talks in Muscat Oman’s role"
        );
        assert_eq!(
            plain("a<script>alert('x')</script>b<STYLE>p{}</STYLE>c"),
            "abc"
        );
        assert_eq!(
            plain("5 < 6 &bogus; &#xD800; &"),
            "5 < 6 &bogus; &#xD800; &"
        );
        assert_eq!(plain("&#x1F600;&#65;&lt;br&gt;"), "😀A<br>");
        assert_eq!(
            plain("<![CDATA[Iran <talks>]]> in <!-- a > b --> Muscat"),
            "Iran <talks> in Muscat"
        );
    }

    #[test]
    fn hostile_input_is_bounded_and_linear() {
        // 64 KiB of each kind of trouble.
        for s in [
            "<".repeat(65_536),
            "&".repeat(65_536),
            "<script>".repeat(8_192),
            "<a ".repeat(21_845),
            "x".repeat(65_536),
        ] {
            let t = plain(&s);
            assert!(t.chars().count() <= MAX_CHARS + 1, "{}", t.len());
        }
    }
}
