//! Property tests: whatever bytes a card holds and whatever a user types, dossier answers with
//! diagnostics that point inside the file, or a reply, never a panic. Chat input is hostile:
//! lines up to 64 KiB, tens of thousands of tokens, deep runs of prefixes, control and bidi
//! characters, each answered (and rendered for every surface) within a time bound.

use crate::common::*;
use dossier::commands::parse::{MAX_LINE_CHARS, ParseError, parse_any_length};
use dossier::commands::{Ctx, respond};
use dossier::diag::Diagnostic;
use dossier::library::Library;
use dossier::reply::Reply;
use proptest::prelude::*;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const CARDS: [&str; 6] = [
    "topic.toml",
    "sources.toml",
    "timeline.toml",
    "experts.toml",
    "actors/northland.toml",
    "actors/southland.toml",
];

fn base_text(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join("valid/small/river-treaty").join(rel)).expect("fixture")
}

fn check_with(rel: &str, bytes: &[u8]) {
    let dir = small_tree();
    std::fs::write(dir.path().join("river-treaty").join(rel), bytes).expect("write");
    let loaded = dossier::cards::load(dir.path(), fixture_today()).expect("root readable");
    // Rendering every diagnostic must not panic either, and must point inside the file.
    for d in &loaded.report.diagnostics {
        let _ = d.to_string();
        assert_points_inside_its_file(d);
    }
    let _ = loaded.report.json();
}

/// A positioned diagnostic names a line the file has, a column within that line (or just past
/// its end), and shows that very line.
fn assert_points_inside_its_file(d: &Diagnostic) {
    if d.line == 0 {
        assert!(d.snippet.is_none(), "{d}");
        return;
    }
    let bytes = std::fs::read(&d.path).unwrap_or_else(|e| panic!("{d}: {e}"));
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(
        d.line <= lines.len(),
        "line {} of {}: {d}",
        d.line,
        lines.len()
    );
    let line = lines[d.line - 1].trim_end_matches('\r');
    let width = line.chars().count();
    assert!(
        d.column >= 1 && d.column <= width + 1,
        "column {} of {width}: {d}",
        d.column
    );
    let snippet = d
        .snippet
        .as_deref()
        .expect("a positioned diagnostic shows its line");
    // Invalid UTF-8 is shown up to the bad byte, marked with U+FFFD.
    let shown = snippet.trim_end_matches('\u{FFFD}');
    assert!(
        line.starts_with(shown),
        "{snippet:?} is not line {} ({line:?})",
        d.line
    );
}

fn bundled() -> &'static Library {
    static LIB: OnceLock<Library> = OnceLock::new();
    LIB.get_or_init(bundled_library)
}

/// How long any one answer, with its rendering for every surface, may take in a debug build.
/// A quadratic pass over a 64 KiB line would take seconds; recursion on it would overflow.
const ANSWER_BOUND: Duration = Duration::from_millis(300);

fn answer_in_time(line: &str) -> Reply {
    let ctx = Ctx {
        library: bundled(),
        today: bundled_today(),
        default_topic: None,
        service: None,
    };
    let started = Instant::now();
    let reply = respond(&ctx, line);
    let _ = dossier::render::text::render(&reply, dossier::render::text::TextStyle::TERMINAL);
    let _ = dossier::render::discord::render(&reply);
    let _ = dossier::render::matrix::render(&reply, "!");
    let took = started.elapsed();
    assert!(
        took < ANSWER_BOUND,
        "{took:?} for a line of {} bytes: {:.60}",
        line.len(),
        line
    );
    assert!(!reply.title.is_empty());
    reply
}

/// Words a hostile line is made of: commands, keywords, names, separators, quotes, prefixes,
/// control and bidi characters.
const HOSTILE: [&str; 30] = [
    "position",
    "compare",
    "search",
    "timeline",
    "experts",
    "help",
    "since",
    "page",
    "actor",
    "topic",
    "vs",
    "iran",
    "united",
    "states",
    "us",
    "2026-02",
    "9999999999",
    "\"",
    "'",
    "/",
    "!",
    "!/",
    "\u{202e}",
    "\u{2066}",
    "\u{200b}",
    "\u{0000}",
    "\u{0007}",
    "\u{feff}",
    "é́́",
    "@room",
];

fn hostile_line(picks: &[usize], sep: &str) -> String {
    picks
        .iter()
        .map(|&i| HOSTILE[i % HOSTILE.len()])
        .collect::<Vec<_>>()
        .join(sep)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_in_any_card(which in 0..CARDS.len(), bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_with(CARDS[which], &bytes);
    }

    #[test]
    fn mutated_valid_cards(which in 0..CARDS.len(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8)) {
        let mut bytes = base_text(CARDS[which]).into_bytes();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if !bytes.is_empty() => { bytes.remove(i.min(bytes.len() - 1)); }
                1 => bytes.insert(i.min(bytes.len()), byte),
                _ if !bytes.is_empty() => { let j = i.min(bytes.len() - 1); bytes[j] = byte; }
                _ => bytes.push(byte),
            }
        }
        check_with(CARDS[which], &bytes);
    }

    #[test]
    fn arbitrary_toml_like_text(text in "[a-z_\\[\\]\\{\\}=\",. 0-9\n'#-]{0,400}") {
        check_with("actors/northland.toml", text.as_bytes());
    }

    #[test]
    fn any_line_gets_a_reply(line in "\\PC{0,120}") {
        let ctx = Ctx { library: bundled(), today: bundled_today(), default_topic: None, service: None };
        let reply = respond(&ctx, &line);
        prop_assert!(!reply.title.is_empty());
        let _ = dossier::render::text::render(&reply, dossier::render::text::TextStyle::TERMINAL);
    }

    /// Up to 64 KiB and tens of thousands of tokens: refused for length, at once.
    #[test]
    fn huge_lines_are_refused_quickly(picks in proptest::collection::vec(any::<usize>(), 1..64), repeat in 1usize..4096, sep in prop::sample::select(vec![" ", "", "  ", "\t", " \u{202e}"])) {
        let unit = hostile_line(&picks, sep);
        let mut line = format!("!{}", unit.repeat(repeat));
        line.truncate(line.floor_char_boundary(64 * 1024));
        let reply = answer_in_time(&line);
        if line.chars().count() > MAX_LINE_CHARS {
            prop_assert_eq!(reply.title.as_str(), "That is too long to answer");
        }
    }

    /// Lines just within the limit are really answered, and as fast.
    #[test]
    fn long_lines_within_the_limit_are_answered_in_time(lead in prop::sample::select(vec!["search", "compare", "position", "timeline", "experts", "help", ""]), picks in proptest::collection::vec(any::<usize>(), 0..1500)) {
        let mut line = format!("{lead} {}", hostile_line(&picks, " "));
        let cut = line.char_indices().nth(MAX_LINE_CHARS).map_or(line.len(), |(i, _)| i);
        line.truncate(cut);
        answer_in_time(&line);
    }

    /// The parser itself is one linear pass, whatever the length.
    #[test]
    fn the_parser_is_linear_on_64_kib(picks in proptest::collection::vec(any::<usize>(), 1..16), depth in 0usize..32768) {
        let line = format!("{}{}", "/ ".repeat(depth), hostile_line(&picks, " ").repeat(64));
        let started = Instant::now();
        let parsed = parse_any_length(&line);
        prop_assert!(started.elapsed() < ANSWER_BOUND, "{:?}", started.elapsed());
        // Only a line of bare prefixes (or empty quotes) is empty; words after them are read.
        let empty = parsed == Err(ParseError::Empty);
        let bare = dossier::commands::parse::tokenize(&line)
            .iter()
            .all(|w| w.trim_start_matches(['/', '!']).is_empty());
        prop_assert_eq!(empty, bare);
    }

    #[test]
    fn command_words_get_a_reply(words in proptest::collection::vec(prop::sample::select(vec![
        "position", "timeline", "since", "until", "page", "actor", "about", "topic", "compare", "vs",
        "iran", "us", "2026", "2026-02", "2026-02-30", "0", "3", "99999999999", "\"", "search", "experts", "help", "/", "!",
    ]), 0..8)) {
        let ctx = Ctx { library: bundled(), today: bundled_today(), default_topic: None, service: None };
        let reply = respond(&ctx, &words.join(" "));
        prop_assert!(!reply.title.is_empty());
    }
}
