//! Property tests: whatever bytes a card holds and whatever a user types, dossier answers with
//! diagnostics or a reply, never a panic.

use crate::common::*;
use dossier::commands::{Ctx, respond};
use dossier::library::Library;
use proptest::prelude::*;
use std::sync::OnceLock;

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
    }
    let _ = loaded.report.json();
}

fn bundled() -> &'static Library {
    static LIB: OnceLock<Library> = OnceLock::new();
    LIB.get_or_init(bundled_library)
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
        let ctx = Ctx { library: bundled(), today: bundled_today(), default_topic: None };
        let reply = respond(&ctx, &line);
        prop_assert!(!reply.title.is_empty());
        let _ = dossier::render::text::render(&reply, dossier::render::text::TextStyle::TERMINAL);
    }

    #[test]
    fn command_words_get_a_reply(words in proptest::collection::vec(prop::sample::select(vec![
        "position", "timeline", "since", "until", "page", "actor", "about", "topic", "compare", "vs",
        "iran", "us", "2026", "2026-02", "2026-02-30", "0", "3", "99999999999", "\"", "search", "experts", "help", "/", "!",
    ]), 0..8)) {
        let ctx = Ctx { library: bundled(), today: bundled_today(), default_topic: None };
        let reply = respond(&ctx, &words.join(" "));
        prop_assert!(!reply.title.is_empty());
    }
}
