//! The follows against the bundled topic's October news: an actor, a topic and some words each hear
//! only their part, and hostile words are capped, folded and matched as plain words.

use super::*;
use crate::digest::{TopicSnapshot, diff};

fn bundled() -> Topic {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let loaded = crate::cards::load(&root, today).expect("the bundled cards");
    loaded.topics.into_iter().next().expect("the bundled topic")
}

/// What changed in the bundled topic since 7 October 2026: the news of 8–10 October.
fn october() -> (Topic, Changes) {
    let t = bundled();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 7).expect("date");
    let c = diff(&TopicSnapshot::as_on(&t, day), &t);
    assert!(!c.is_empty());
    (t, c)
}

#[test]
fn an_actor_follow_hears_only_of_that_actor() {
    let (t, c) = october();
    let iran = Followed::Actor {
        topic: t.id.clone(),
        actor: "iran".into(),
    };
    let part = narrow(&iran, &t, &c).expect("Iran moved in October");
    assert!(part.positions.iter().all(|p| p.actor == "iran"));
    assert_eq!(part.positions.len(), 1, "{:?}", part.positions);
    assert!(!part.events_added.is_empty());
    for i in &part.events_added {
        assert!(
            t.events[*i].actors.iter().any(|a| a == "iran"),
            "{}",
            t.events[*i].title
        );
    }
    assert!(part.count() < c.count(), "not everything that changed");
    // Another topic's follow hears nothing of this one.
    let elsewhere = Followed::Actor {
        topic: "another-topic".into(),
        actor: "iran".into(),
    };
    assert_eq!(narrow(&elsewhere, &t, &c), None);
    // An actor nothing happened to hears nothing.
    let nobody = Followed::Actor {
        topic: t.id.clone(),
        actor: "no-such-actor".into(),
    };
    assert_eq!(narrow(&nobody, &t, &c), None);
}

#[test]
fn a_topic_follow_hears_everything_and_a_word_follow_only_what_holds_its_words() {
    let (t, c) = october();
    let topic = Followed::Topic {
        topic: t.id.clone(),
    };
    assert_eq!(narrow(&topic, &t, &c), Some(c.clone()));
    let hormuz = Followed::Words {
        words: words("Hormuz").expect("a word"),
    };
    let part = narrow(&hormuz, &t, &c).expect("Hormuz is in October's news");
    for i in &part.events_added {
        let e = &t.events[*i];
        assert!(
            crate::text::words(&format!("{} {}", e.title, e.detail)).any(|w| w == "hormuz"),
            "{}",
            e.title
        );
    }
    assert!(part.events_added.len() < c.events_added.len());
    let absent = Followed::Words {
        words: words("zanzibar").expect("a word"),
    };
    assert_eq!(narrow(&absent, &t, &c), None);
    // Nothing changed: nothing to hear.
    assert_eq!(narrow(&topic, &t, &Changes::default()), None);
}

#[test]
fn follows_round_trip_through_their_keys() {
    for f in [
        Followed::Actor {
            topic: "iran-us-talks".into(),
            actor: "oman".into(),
        },
        Followed::Topic {
            topic: "iran-us-talks".into(),
        },
        Followed::Words {
            words: vec!["oman".into(), "muscat".into()],
        },
    ] {
        assert_eq!(Followed::from_key(&f.key()), Some(f));
    }
    assert_eq!(Followed::from_key("nonsense"), None);
    assert_eq!(Followed::from_key("actor no-slash"), None);
}

#[test]
fn hostile_words_are_capped_folded_and_never_patterns() {
    // 64 KiB of one word: read only to the cap, answered at once.
    let long = "oman ".repeat(64 * 1024 / 5);
    assert_eq!(words(&long), Ok(vec!["oman".to_owned()]));
    // 64 KiB of different words: too many.
    let many: String = (0..13_000).map(|i| format!("w{i} ")).collect();
    assert!(many.len() >= 64 * 1024);
    assert_eq!(words(&many), Err(WordsError::TooMany));
    // One 64 KiB word: too long, whatever the cap cut it to.
    assert_eq!(words(&"x".repeat(64 * 1024)), Err(WordsError::TooLong));
    // Regex metacharacters are punctuation: what is left are plain words.
    assert_eq!(
        words("a.*b (x|y) [z]"),
        Ok(vec!["a", "b", "x", "y", "z"]
            .into_iter()
            .map(String::from)
            .collect())
    );
    assert_eq!(words(".*+?()[]{}|^$\\"), Err(WordsError::Empty));
    // Unicode tricks fold to the letters a reader sees.
    assert_eq!(words("Ｏｍａｎ"), Ok(vec!["oman".to_owned()]));
    assert_eq!(words("\u{202e}Oman\u{200b}"), Ok(vec!["oman".to_owned()]));
    assert_eq!(words("Muscat MUSCAT muscat"), Ok(vec!["muscat".to_owned()]));
    // A multibyte character at the cap is not split.
    let edge = format!("{}xé tail", "a ".repeat(MAX_INPUT / 2 - 1));
    assert!(!edge.is_char_boundary(MAX_INPUT));
    assert!(words(&edge).is_ok());
}

#[test]
fn an_alert_tells_its_part_in_the_briefings_words_with_sources_and_how_to_stop() {
    let t = bundled();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 7).expect("date");
    let snapshot = TopicSnapshot::as_on(&t, day);
    let lib = crate::library::Library::new(vec![t]);
    let c = diff(&snapshot, lib.topic(0));
    let previous = crate::digest::Previous {
        snapshot: &snapshot,
        day,
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let iran = Followed::Actor {
        topic: lib.topic(0).id.clone(),
        actor: "iran".into(),
    };
    let r = alert(&lib, 0, &iran, &c, &previous, today).expect("an alert");
    assert!(
        r.title.starts_with("Iran (iran-us-talks): what changed in"),
        "{}",
        r.title
    );
    assert!(!r.citations.is_empty(), "every alert carries its sources");
    let text = crate::render::text::render(&r, crate::render::text::TextStyle::PLAIN);
    assert!(text.contains("unfollow iran topic iran-us-talks"), "{text}");
    // Only Iran's part: fewer changes than the whole briefing tells.
    let (whole, _) = crate::digest::changes_only(&lib, 0, previous, today).expect("changes");
    let part = narrow(&iran, lib.topic(0), &whole).expect("part");
    assert!(
        r.summary
            .as_ref()
            .is_some_and(|s| s.text.starts_with(&format!("{} change", part.count())))
    );
    assert!(part.count() < whole.count());
    // Nothing of it concerns words nobody wrote.
    let none = Followed::Words {
        words: vec!["zanzibar".into()],
    };
    let previous = crate::digest::Previous {
        snapshot: &snapshot,
        day,
    };
    assert!(alert(&lib, 0, &none, &c, &previous, today).is_none());
}
