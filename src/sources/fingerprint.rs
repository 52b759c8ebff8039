//! A page's visible text as a fingerprint that survives small edits: its words (folded:
//! case, accents and punctuation off) cut into overlapping runs of three, each run hashed,
//! and the smallest hash under each of 64 mixings kept (a MinHash). Two fingerprints agree in
//! about the share of places that the pages share runs of words, so a page whose text changed
//! by more than a small share is told apart from one that only moved an advert. One pass over
//! the text; stable across versions (FNV-1a and fixed mixings, no randomly seeded hasher).

/// How many minimum hashes a fingerprint keeps.
pub const SIZE: usize = 64;
/// Below this share of agreeing places, a page has changed since it was cited.
pub const CHANGED_BELOW: f64 = 0.8;
/// The most characters of a page's text fingerprinted.
pub const MAX_TEXT: usize = 200_000;

/// A fingerprint: the minimum hashes, and how many words the text had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    pub mins: Vec<u64>,
    pub words: usize,
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The `i`-th mixing of a hash (a fixed odd multiplier and a shift).
fn mix(h: u64, i: usize) -> u64 {
    let k = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(2 * i as u64 + 1);
    let x = (h ^ k).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^ (x >> 31)
}

/// The fingerprint of a page's HTML (its visible text).
pub fn of_html(html: &str) -> Fingerprint {
    of_text(&crate::newsdesk::text::plain_up_to(html, MAX_TEXT))
}

/// The fingerprint of plain text.
pub fn of_text(text: &str) -> Fingerprint {
    let folded = crate::text::fold(text);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut mins = vec![u64::MAX; SIZE];
    let mut add = |run: &[&str]| {
        let h = fnv(run.join(" ").as_bytes(), 0);
        for (i, m) in mins.iter_mut().enumerate() {
            *m = (*m).min(mix(h, i));
        }
    };
    if words.len() < 3 {
        add(&words);
    } else {
        for run in words.windows(3) {
            add(run);
        }
    }
    Fingerprint {
        mins,
        words: words.len(),
    }
}

impl Fingerprint {
    /// The share of places two fingerprints agree in (about the share of word runs the two
    /// texts have in common).
    pub fn likeness(&self, other: &Fingerprint) -> f64 {
        if self.mins.len() != other.mins.len() || self.mins.is_empty() {
            return 0.0;
        }
        let same = self
            .mins
            .iter()
            .zip(&other.mins)
            .filter(|(a, b)| a == b)
            .count();
        same as f64 / self.mins.len() as f64
    }

    /// As kept: the hashes in hex.
    pub fn to_text(&self) -> String {
        self.mins.iter().map(|m| format!("{m:016x}")).collect()
    }

    /// From [`to_text`](Self::to_text) and its word count; `None` when it does not read.
    pub fn from_text(s: &str, words: usize) -> Option<Fingerprint> {
        if s.len() != SIZE * 16 || !s.is_ascii() {
            return None;
        }
        let mins = (0..SIZE)
            .map(|i| u64::from_str_radix(&s[i * 16..i * 16 + 16], 16).ok())
            .collect::<Option<Vec<u64>>>()?;
        Some(Fingerprint { mins, words })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(changed: usize) -> String {
        let mut words: Vec<String> = (0..400).map(|i| format!("word{i}")).collect();
        for w in words.iter_mut().take(changed) {
            *w = format!("other{w}");
        }
        format!(
            "<html><head><script>var ad = {};</script></head><body><p>{}</p></body></html>",
            changed,
            words.join(" ")
        )
    }

    #[test]
    fn a_small_edit_keeps_a_page_alike_and_a_rewrite_does_not() {
        let cited = of_html(&article(0));
        assert_eq!(cited.words, 400);
        // The script (an advert's number) changed, and a handful of words.
        assert!(cited.likeness(&of_html(&article(4))) >= CHANGED_BELOW);
        // A third of the text rewritten.
        assert!(cited.likeness(&of_html(&article(140))) < CHANGED_BELOW);
        let kept = Fingerprint::from_text(&cited.to_text(), cited.words).expect("reads");
        assert_eq!(kept, cited);
        assert!(Fingerprint::from_text("zz", 1).is_none());
    }
}
