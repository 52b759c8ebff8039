//! Tests of `parse`.

use super::*;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

fn ok(s: &str) -> Command {
    parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn page(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).expect("page")
}

#[test]
fn event_add_and_source_add_are_edits() {
    for (line, want) in [
        ("event add", "edit event"),
        (
            "!Source ADD topic iran-us-talks",
            "edit source topic iran-us-talks",
        ),
    ] {
        assert_eq!(ok(line), ok(want), "{line}");
    }
    assert!(matches!(ok("sources"), Command::Sources(_)));
    assert!(matches!(ok("events"), Command::Timeline(_)));
}

#[test]
fn surfaces_share_one_grammar() {
    let want = Command::Position(PositionQuery {
        actor: "iran".into(),
        topic: None,
        on: None,
        picture: true,
    });
    assert_eq!(ok("position iran"), want);
    assert_eq!(ok("/position iran"), want);
    assert_eq!(ok("!POSITION iran"), want);
    assert_eq!(ok("  pos   iran "), want);
    assert_eq!(ok("! position iran"), want);
    assert_eq!(ok("/ ! / position iran"), want);
    assert_eq!(
        ok("position united states"),
        Command::Position(PositionQuery {
            actor: "united states".into(),
            topic: None,
            on: None,
            picture: true,
        })
    );
}

#[test]
fn keywords_and_positionals() {
    let c = ok("timeline since 2026-02 until 2026-03-01 actor united states page 2");
    let Command::Timeline(q) = c else { panic!() };
    assert_eq!(q.since.map(|d| d.iso()).as_deref(), Some("2026-02"));
    assert_eq!(q.until.map(|d| d.iso()).as_deref(), Some("2026-03-01"));
    assert_eq!(q.actor.as_deref(), Some("united states"));
    assert_eq!(q.page, page(2));
    assert_eq!(q.topic, None);
    assert_eq!(
        ok("timeline page=3"),
        Command::Timeline(TimelineQuery {
            topic: None,
            since: None,
            until: None,
            actor: None,
            page: page(3),
            picture: true,
        })
    );
}

#[test]
fn a_date_picks_the_position_in_force() {
    let Command::Position(q) = ok("position united states on 2026-02-06") else {
        panic!()
    };
    assert_eq!(q.actor, "united states");
    assert_eq!(q.on.map(|d| d.iso()).as_deref(), Some("2026-02-06"));
    let Command::Compare(q) = ok("compare iran vs us on 2026-04") else {
        panic!()
    };
    assert_eq!(
        (q.first.as_str(), q.second.as_deref()),
        ("iran", Some("us"))
    );
    assert_eq!(q.on.map(|d| d.iso()).as_deref(), Some("2026-04"));
    assert!(matches!(
        parse("position iran on 2026-02-30"),
        Err(ParseError::BadDate { arg: "on", .. })
    ));
}

#[test]
fn subscriptions_are_checked_when_typed() {
    let Command::Subscribe(q) = ok("subscribe 8:00 asia/muscat unchanged SKIP") else {
        panic!()
    };
    assert_eq!(
        (q.at.to_string().as_str(), q.tz.name()),
        ("08:00:00", "Asia/Muscat")
    );
    assert_eq!(q.when_unchanged, Some(crate::digest::WhenUnchanged::Skip));
    for (line, arg) in [
        ("subscribe 25:00 Europe/Berlin", "time"),
        ("subscribe 08:00 Europe/Berln", "timezone"),
        ("subscribe 08:00 Europe/Berlin unchanged never", "unchanged"),
        ("unsubscribe x", "id"),
    ] {
        assert!(
            matches!(parse(line), Err(ParseError::Invalid { arg: a, .. }) if a == arg),
            "{line}: {:?}",
            parse(line)
        );
    }
    assert!(matches!(
        parse("subscribe 08:00"),
        Err(ParseError::Missing {
            arg: "timezone",
            ..
        })
    ));
}

#[test]
fn compare_splits_two_names() {
    let c = |a: &str, b: Option<&str>| {
        Command::Compare(CompareQuery {
            first: a.into(),
            second: b.map(Into::into),
            topic: None,
            on: None,
            picture: true,
        })
    };
    assert_eq!(
        ok("compare iran united-states"),
        c("iran", Some("united-states"))
    );
    assert_eq!(
        ok("compare iran vs united states"),
        c("iran", Some("united states"))
    );
    assert_eq!(
        ok("compare \"gulf states\" iran"),
        c("gulf states", Some("iran"))
    );
    assert_eq!(
        ok("compare iran united states"),
        c("iran united states", None)
    );
    assert!(matches!(
        parse("compare iran"),
        Err(ParseError::Missing { arg: "second", .. })
    ));
}

#[test]
fn mistakes_are_explained() {
    assert!(
        matches!(parse("postion iran"), Err(ParseError::UnknownCommand { ref suggestions, .. }) if suggestions[0] == "position")
    );
    assert!(matches!(
        parse("position"),
        Err(ParseError::Missing { arg: "actor", .. })
    ));
    assert!(matches!(
        parse("timeline since 2026-02-30"),
        Err(ParseError::BadDate { .. })
    ));
    for bad in ["0", "-1", "1001", "99999999999", "x"] {
        assert!(
            matches!(
                parse(&format!("timeline page {bad}")),
                Err(ParseError::BadPage { .. })
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        parse("timeline since 2026-03 until 2026-01"),
        Err(ParseError::DateOrder { .. })
    ));
    assert!(matches!(
        parse("topics iran"),
        Err(ParseError::Unexpected { .. })
    ));
    assert_eq!(parse("   "), Err(ParseError::Empty));
    assert_eq!(parse("/"), Err(ParseError::Empty));
    assert_eq!(parse("! / !! //"), Err(ParseError::Empty));
}

#[test]
fn canonical_lines_parse_back() {
    for line in [
        "brief",
        "position \"united states\" topic iran-us-talks",
        "timeline since 2026-02 actor oman page 2",
        "compare iran vs \"gulf states\"",
        "search missile range page 3",
        "experts about israel",
        "help timeline",
        "position iran on 2026-02-06",
        "compare iran vs \"united states\" on 2026-04",
        "subscribe 08:00 Asia/Muscat",
        "subscribe 07:30 Europe/Berlin topic iran-us-talks unchanged short",
        "unsubscribe 3",
        "preview topic iran-us-talks",
        "new topic water-talks The topic of Nile water",
        "new actor egypt \"Arab Republic of Egypt\" topic water-talks",
        "new actor sudan Sudan",
    ] {
        let c = ok(line);
        assert_eq!(ok(&c.to_line()), c, "{line} → {}", c.to_line());
    }
}

#[test]
fn new_takes_its_words_by_place() {
    // A title takes every word, `topic` too; an actor's last two words may name its topic.
    assert_eq!(
        ok("new topic water-talks The topic of Nile water"),
        Command::New(NewQuery {
            what: NewWhat::Topic,
            id: "water-talks".into(),
            name: "The topic of Nile water".into(),
            topic: None,
        })
    );
    assert_eq!(
        ok("!new ACTOR egypt Arab Republic of Egypt topic water-talks"),
        Command::New(NewQuery {
            what: NewWhat::Actor,
            id: "egypt".into(),
            name: "Arab Republic of Egypt".into(),
            topic: Some("water-talks".into()),
        })
    );
    assert!(ok("new actor egypt Egypt").is_moderator());
    for (line, arg) in [
        ("new", "what"),
        ("new topic", "id"),
        ("new topic water-talks", "name"),
        ("new actor egypt topic water-talks", "name"),
    ] {
        assert!(
            matches!(parse(line), Err(ParseError::Missing { arg: a, .. }) if a == arg),
            "{line}: {:?}",
            parse(line)
        );
    }
    assert!(matches!(
        parse("new event x y"),
        Err(ParseError::Invalid { arg: "what", .. })
    ));
    let mut args = Args::new();
    for (k, v) in [
        ("what", "topic"),
        ("id", "x"),
        ("name", "X"),
        ("topic", "y"),
    ] {
        args.insert(k, v.into());
    }
    assert!(matches!(
        from_args(spec::of(CommandKind::New), args),
        Err(ParseError::Invalid { arg: "topic", .. })
    ));
}

#[test]
fn quotes_group_words() {
    assert_eq!(tokenize("a \"b c\" 'd e' f"), ["a", "b c", "d e", "f"]);
    assert_eq!(tokenize("don't"), ["don't"]);
    assert_eq!(tokenize("\"\""), [""]);
}

#[test]
fn over_long_lines_are_refused_by_length_alone() {
    let at_limit = format!("search {}", "a".repeat(MAX_LINE_CHARS - 7));
    assert!(parse(&at_limit).is_ok());
    let over = format!("search {}", "a".repeat(MAX_LINE_CHARS));
    assert_eq!(
        parse(&over),
        Err(ParseError::TooLong {
            chars: MAX_LINE_CHARS + 7
        })
    );
    // Characters, not bytes: 2,000 two-byte letters are within the limit.
    assert!(check_length(&"é".repeat(MAX_LINE_CHARS)).is_ok());
    let mut args = Args::new();
    args.insert("query", "x".repeat(MAX_LINE_CHARS + 1));
    assert!(matches!(
        from_args(spec::of(CommandKind::Search), args),
        Err(ParseError::TooLong { .. })
    ));
}

/// The parser used to call itself once per leading bare `/` or `!`, re-tokenizing the line
/// each time: a 64 KiB line of them overflowed the stack and took quadratic time.
#[test]
fn deep_prefix_runs_parse_in_one_linear_pass() {
    for unit in ["/ ", "! ", "!/ ", "/", "\"\" "] {
        let line = unit.repeat(64 * 1024 / unit.len());
        let started = Instant::now();
        assert_eq!(parse_any_length(&line), Err(ParseError::Empty), "{unit:?}");
        let line = format!("{line} position iran");
        assert!(matches!(parse_any_length(&line), Ok(Command::Position(_))));
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{unit:?}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn picture_off_leaves_the_chart_out() {
    let Command::Timeline(q) = ok("timeline since 2026-02 picture off") else {
        panic!()
    };
    assert!(!q.picture);
    assert_eq!(q.since.map(|d| d.iso()).as_deref(), Some("2026-02"));
    let Command::Position(q) = ok("position united states picture:no") else {
        panic!()
    };
    assert_eq!((q.actor.as_str(), q.picture), ("united states", false));
    let Command::Compare(q) = ok("compare iran oman picture on") else {
        panic!()
    };
    assert!(q.picture);
    // Discord's boolean option arrives as `false`.
    let Command::Position(q) = ok("position iran picture false") else {
        panic!()
    };
    assert!(!q.picture);
    assert!(matches!(
        parse("timeline picture maybe"),
        Err(ParseError::Invalid { arg: "picture", .. })
    ));
}
