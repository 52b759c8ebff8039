//! Every command answered on the bundled topic, as a user would read it: content, sources,
//! staleness, paging, lookups by alias and the helpful replies to mistakes.

use crate::common::*;
use dossier::commands::{Ctx, respond};
use dossier::library::Library;
use dossier::render::text::{TextStyle, render};
use dossier::reply::{Block, Reply, ReplyKind};

fn ask(lib: &Library, line: &str) -> Reply {
    respond(
        &Ctx {
            library: lib,
            today: bundled_today(),
            default_topic: None,
            service: None,
        },
        line,
    )
}

fn text(lib: &Library, line: &str) -> String {
    render(&ask(lib, line), TextStyle::PLAIN)
}

fn section<'a>(r: &'a Reply, heading: &str) -> &'a Block {
    &r.sections
        .iter()
        .find(|s| s.heading.starts_with(heading))
        .unwrap_or_else(|| panic!("no section {heading} in {r:#?}"))
        .body
}

#[test]
fn every_command_answers_the_bundled_topic() {
    let lib = bundled_library();
    for line in [
        "brief",
        "position iran",
        "position united states",
        "actors",
        "timeline",
        "timeline page 2",
        "timeline since 2026-03 until 2026-04",
        "timeline actor oman",
        "experts",
        "experts about israel",
        "compare iran united-states",
        "compare iran united-states on 2026-06-20",
        "position iran on 2026-04-12",
        "position qatar",
        "sources",
        "search hormuz",
        "topics",
        "help",
        "help timeline",
    ] {
        let r = ask(&lib, line);
        assert_ne!(r.kind, ReplyKind::UserError, "{line}: {r:#?}");
        let shown = render(&r, TextStyle::PLAIN);
        assert!(shown.lines().count() >= 3, "{line}: {shown}");
        insta::assert_snapshot!(format!("reply-{}", line.replace(' ', "-")), shown);
    }
}

#[test]
fn position_has_stance_red_lines_people_and_numbered_sources() {
    let lib = bundled_library();
    // On a date: the entry in force then, with its own demands, red lines and sources.
    let r = ask(&lib, "position iran on 2026-02-06");
    assert_eq!(r.title, "Iran: position on 6 Feb 2026");
    assert!(
        r.summary
            .as_ref()
            .is_some_and(|s| s.text.contains("nuclear programme only") && s.cites == [1])
    );
    let Block::Bullets(red) = section(&r, "Red lines") else {
        panic!()
    };
    assert!(red.iter().any(|l| l.text.contains("ballistic missiles")));
    assert_eq!(r.citations[0].url, "https://www.dawn.com/news/1971347");
    let footer = r.footer.as_ref().expect("footer");
    assert_eq!(footer.as_of, day("2026-02-05"));
    assert!(
        footer.stale.is_none(),
        "an earlier entry is history, not stale"
    );
    assert!(
        footer
            .note
            .as_deref()
            .is_some_and(|n| n.contains("The latest is as of 10 Oct 2026")),
        "{footer:?}"
    );
    // The latest, and how it changed since February.
    let r = ask(&lib, "position iran");
    assert_eq!(r.title, "Iran: position");
    assert!(
        r.summary.as_ref().is_some_and(
            |s| s.text.contains("revised its proposals") && s.cites.first() == Some(&1)
        )
    );
    let Block::Bullets(people) = section(&r, "Key people") else {
        panic!()
    };
    assert!(
        people
            .iter()
            .any(|l| l.label.as_deref() == Some("Abbas Araghchi"))
    );
    let Block::Bullets(changes) = section(&r, "How it changed") else {
        panic!()
    };
    assert_eq!(
        changes.first().and_then(|l| l.label.as_deref()),
        Some("8 Oct 2026")
    );
    // A long history shows its newest entries, each dated and cited.
    let dated: Vec<_> = changes.iter().filter(|l| l.label.is_some()).collect();
    assert!(dated.len() >= 9, "{}", dated.len());
    assert!(
        dated.iter().all(|l| !l.cites.is_empty()),
        "every change is cited"
    );
    assert!(
        r.citations
            .iter()
            .any(|c| c.url.starts_with("https://www.cbsnews.com/live-updates/"))
    );
    let numbers: Vec<u32> = r.citations.iter().map(|c| c.n).collect();
    assert_eq!(numbers, (1..=r.citations.len() as u32).collect::<Vec<_>>());
    let footer = r.footer.as_ref().expect("footer");
    assert_eq!(footer.as_of, day("2026-10-10"));
    assert!(
        footer
            .stale
            .as_deref()
            .is_some_and(|s| s.contains("46 days ago")),
        "{footer:?}"
    );
    // Before the first entry there is nothing to show, and the reply says where to start.
    let r = ask(&lib, "position iran on 2025-12-31");
    assert!(r.is_user_error());
    assert!(
        r.summary
            .as_ref()
            .is_some_and(|s| s.text.contains("`position iran on 2026-02-05`")),
        "{r:#?}"
    );
}

#[test]
fn names_ignore_case_accents_punctuation_and_use_aliases() {
    let lib = bundled_library();
    for (asked, id) in [
        ("Tehran", "Iran"),
        ("ISLAMIC REPUBLIC", "Iran"),
        ("us", "United States"),
        ("U.S.", "United States"),
        ("washington", "United States"),
        ("united-states", "United States"),
        ("Türkiye", "Türkiye"),
        ("turkiye", "Türkiye"),
        ("Turkey", "Türkiye"),
        ("hezbollah", "Iran's regional allies and Iran-backed groups"),
        ("Houthis", "Iran's regional allies and Iran-backed groups"),
        ("doha", "Qatar"),
        ("islamabad", "Pakistan"),
        ("gulf states", "Gulf states"),
    ] {
        let r = ask(&lib, &format!("position {asked}"));
        assert_eq!(r.title, format!("{id}: position"), "asked {asked}");
    }
}

#[test]
fn misses_suggest_instead_of_answering_nothing() {
    let lib = bundled_library();
    let r = ask(&lib, "position irna");
    assert!(r.is_user_error());
    assert!(
        r.summary
            .as_ref()
            .is_some_and(|s| s.text.contains("Did you mean `iran`?")),
        "{r:#?}"
    );
    let r = ask(&lib, "position atlantis");
    assert!(
        r.summary
            .as_ref()
            .is_some_and(|s| s.text.contains("The actors are")),
        "{r:#?}"
    );
    let r = ask(&lib, "postion iran");
    assert!(r.is_user_error());
    assert!(text(&lib, "postion iran").contains("Did you mean `position`?"));
    assert!(text(&lib, "brief topic muscat-talkz").contains("Did you mean `iran-us-talks`?"));
    assert!(text(&lib, "timeline since 2026-02-30").contains("February 2026 has 28 days"));
    assert!(text(&lib, "timeline page 9").contains("There is no page 9"));
    assert!(text(&lib, "compare iran iran").contains("Two different actors"));
    assert!(ask(&lib, "").is_user_error());
}

#[test]
fn the_timeline_pages_ten_events_at_a_time() {
    let lib = bundled_library();
    let r = ask(&lib, "timeline");
    let Block::Bullets(events) = section(&r, "Events") else {
        panic!()
    };
    assert_eq!(events.len(), 10);
    assert_eq!(events[0].label.as_deref(), Some("7 Oct 2023"));
    let total = lib.topic(0).events.len();
    let pages = total.div_ceil(10) as u32;
    let p = r.pager.as_ref().expect("pager");
    assert_eq!((p.page, p.pages, p.total), (1, pages, total));
    assert_eq!(p.next.as_deref(), Some("timeline page 2"));
    let last = ask(&lib, &format!("timeline page {pages}"));
    let Block::Bullets(events) = section(&last, "Events") else {
        panic!()
    };
    assert_eq!(events.len(), total - 10 * (pages as usize - 1));
    let newest = events.last().expect("an event");
    assert_eq!(newest.label.as_deref(), Some("10 Oct 2026"));
    assert!(newest.text.contains("(reported)"));
    // Filters: the mid-June memorandum is month-precise and still falls inside late June.
    let june = ask(&lib, "timeline since 2026-06-15 until 2026-06-30");
    let Block::Bullets(events) = section(&june, "Events") else {
        panic!()
    };
    assert_eq!(events.len(), 5, "{events:#?}");
    assert!(
        events
            .iter()
            .any(|e| e.text.contains("Islamabad Memorandum"))
    );
    let oman = ask(&lib, "timeline oman");
    assert!(
        oman.summary
            .as_ref()
            .is_some_and(|s| s.text.contains("involving Oman")),
        "{oman:#?}"
    );
}

#[test]
fn experts_carry_verbatim_quotes_with_sources() {
    let lib = bundled_library();
    let r = ask(&lib, "experts");
    let names: Vec<&str> = r.sections.iter().map(|s| s.heading.as_str()).collect();
    for who in [
        "Shashank Joshi",
        "Trita Parsi",
        "Foad Izadi",
        "Max Blumenthal",
        "A diplomatic observer in Islamabad",
    ] {
        assert!(
            names.iter().any(|n| n.starts_with(who)),
            "{who} missing from {names:?}"
        );
    }
    let dawn = std::fs::read_to_string(
        repo().join("../shared/sources/dawn-2026-02-06-muscat-dialogue.txt"),
    )
    .ok();
    for s in &r.sections {
        let Block::Bullets(lines) = &s.body else {
            panic!()
        };
        for l in lines.iter().filter(|l| l.label.as_deref() == Some("Quote")) {
            assert!(!l.cites.is_empty(), "a quote without a citation: {l:?}");
            let words = l.text.trim_matches(['“', '”']);
            assert!(
                words.split_whitespace().count() <= 25,
                "quotes stay short: {words}"
            );
            if let Some(article) = &dawn {
                assert!(
                    article.replace('’', "'").contains(&words.replace('’', "'")),
                    "not verbatim: {words}"
                );
            }
        }
    }
    let about = ask(&lib, "experts about israel");
    assert_eq!(about.sections.len(), 1, "{about:#?}");
}

#[test]
fn compare_shows_both_sides_and_the_clashes() {
    let lib = bundled_library();
    for line in [
        "compare iran united-states",
        "compare iran vs united states",
        "compare iran united states",
        "compare tehran \"u.s.\"",
    ] {
        let r = ask(&lib, line);
        assert_eq!(r.title, "Iran and United States compared", "{line}");
        // On the eve of Muscat, the US agenda ran into Iran's red lines.
        let r = ask(&lib, &format!("{line} on 2026-02-06"));
        assert_eq!(
            r.title, "Iran and United States compared, on 6 Feb 2026",
            "{line}"
        );
        let Block::Bullets(clash) = section(&r, "Where they clash") else {
            panic!()
        };
        assert!(
            clash
                .iter()
                .any(|l| l.text.contains("ballistic missiles on the agenda")
                    && l.text.contains("Iran's red line")),
            "{clash:#?}"
        );
    }
}

#[test]
fn search_says_where_each_match_is() {
    let lib = bundled_library();
    let r = ask(&lib, "search hormuz");
    let Block::Bullets(hits) = section(&r, "Matches") else {
        panic!()
    };
    assert!(hits.len() >= 3);
    assert!(hits.iter().all(|h| h.label.is_some()));
    assert!(
        hits.iter().any(|h| h
            .label
            .as_deref()
            .is_some_and(|l| l.starts_with("Timeline › "))),
        "{hits:#?}"
    );
    let r = ask(&lib, "search witkoff");
    let Block::Bullets(hits) = section(&r, "Matches") else {
        panic!()
    };
    assert!(
        hits.iter().take(3).any(|h| h
            .label
            .as_deref()
            .is_some_and(|l| l.contains("key people › Steve Witkoff"))),
        "{hits:#?}"
    );
    let r = ask(&lib, "search zanzibar");
    assert!(
        r.summary
            .as_ref()
            .is_some_and(|s| s.text.starts_with("Nothing in the cards matches"))
    );
}

#[test]
fn help_comes_from_the_command_definitions() {
    let lib = bundled_library();
    let shown = text(&lib, "help");
    for c in dossier::commands::spec::COMMANDS
        .iter()
        .filter(|c| !c.moderator)
    {
        assert!(shown.contains(&c.usage()), "help lacks {}", c.usage());
    }
    assert!(text(&lib, "help compare").contains("compare <first> <second> [on ON] [topic TOPIC]"));
}

#[test]
fn several_topics_use_the_default_or_explain_the_ambiguity() {
    let dir = small_tree();
    copy_tree(&bundled(), dir.path());
    std::fs::remove_file(dir.path().join("README.md")).ok();
    let loaded = load(dir.path(), bundled_today());
    assert_eq!(loaded.report.errors(), 0, "{}", loaded.report.human());
    let lib = Library::new(loaded.topics);
    let none = Ctx {
        library: &lib,
        today: bundled_today(),
        default_topic: None,
        service: None,
    };
    let r = respond(&none, "brief");
    assert!(r.is_user_error());
    assert!(render(&r, TextStyle::PLAIN).contains("Several topics are loaded"));
    // An actor found in one topic only needs no topic.
    assert_eq!(respond(&none, "position tehran").title, "Iran: position");
    assert_eq!(
        respond(&none, "position the north").title,
        "Northland: position"
    );
    assert_eq!(
        respond(&none, "brief water treaty").title,
        "The Long River water treaty"
    );
    let with_default = Ctx {
        default_topic: Some("iran-us-talks"),
        service: None,
        ..none
    };
    assert_eq!(
        respond(&with_default, "brief").title,
        "Iran–US talks in Muscat and what followed"
    );
    let r = respond(&none, "search quota");
    assert!(render(&r, TextStyle::PLAIN).contains("river-treaty › "));
}

#[test]
fn fresh_cards_are_not_called_stale() {
    let dir = small_tree();
    let lib = Library::new(load(dir.path(), fixture_today()).topics);
    let r = respond(
        &Ctx {
            library: &lib,
            today: fixture_today(),
            default_topic: None,
            service: None,
        },
        "position northland",
    );
    assert_eq!(r.footer.as_ref().and_then(|f| f.stale.clone()), None);
    let later = respond(
        &Ctx {
            library: &lib,
            today: day("2026-06-01"),
            default_topic: None,
            service: None,
        },
        "position northland",
    );
    assert!(
        later
            .footer
            .as_ref()
            .and_then(|f| f.stale.clone())
            .is_some()
    );
}

/// What a Discord user sees for each command: the embed, its fields and buttons, pinned so a
/// change to the Discord renderer (or a speed-up of it) cannot silently change a reply.
#[test]
fn discord_renders_of_every_command_are_pinned() {
    let lib = bundled_library();
    for line in [
        "brief",
        "position iran",
        "timeline",
        "experts about israel",
        "compare iran united-states",
        "search hormuz",
        "help",
        "position iram",
        "position iran on 2026-04-12",
        "compare iran united-states on 2026-06-20",
    ] {
        let m = dossier::render::discord::render(&ask(&lib, line));
        insta::assert_debug_snapshot!(format!("discord-{}", line.replace(' ', "-")), m);
    }
}

/// The Matrix door's HTML and plain bodies for the history answers, pinned like the others.
#[test]
fn matrix_renders_of_the_history_answers_are_pinned() {
    let lib = bundled_library();
    for line in [
        "position iran",
        "position iran on 2026-04-12",
        "compare iran united-states on 2026-06-20",
    ] {
        let m = dossier::render::matrix::render(&ask(&lib, line), "!");
        assert!(m.plain.len() + m.html.len() <= dossier::render::matrix::MAX_BODY_BYTES);
        insta::assert_snapshot!(
            format!("matrix-{}", line.replace(' ', "-")),
            format!("{}\n\n--- html ---\n{}", m.plain, m.html)
        );
    }
}

/// The small fixture with a headline-level source, Southland's position resting on it alone
/// and the watch item citing it: the hedge shows on each claim that rests on headlines only,
/// and on no other.
#[test]
fn claims_resting_on_headlines_only_show_reported_wherever_they_are_shown() {
    let dir = small_tree();
    let topic = dir.path().join("river-treaty");
    let edit = |rel: &str, from: &str, to: &str| {
        let p = topic.join(rel);
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains(from), "{rel}: {from}");
        std::fs::write(&p, text.replacen(from, to, 1)).expect("write");
    };
    let mut sources = std::fs::read_to_string(topic.join("sources.toml")).expect("sources");
    sources.push_str("\n[[source]]\nid = \"wire-headline\"\ntitle = \"[Wire headline on Southland's quota]\"\npublisher = \"Example Wire\"\nurl = \"https://wire.example.org/southland-quota\"\nkind = \"headline\"\nnote = \"Only the headline was seen.\"\n");
    std::fs::write(topic.join("sources.toml"), sources).expect("write");
    // Southland's stance says "reported" itself (the check asks for it); its lists do not.
    edit(
        "actors/southland.toml",
        "stance = \"Wants a quota that follows the seasons.\"",
        "stance = \"Reported to want a quota that follows the seasons.\"",
    );
    edit(
        "actors/southland.toml",
        "sources = [\"gazette-talks\"]",
        "sources = [\"wire-headline\"]",
    );
    edit(
        "topic.toml",
        "item = \"Second round of talks\"\nexpected = \"2026-04\"\nsources = [\"gazette-talks\"]",
        "item = \"Second round of talks\"\nexpected = \"2026-04\"\nsources = [\"wire-headline\"]",
    );
    edit(
        "actors/northland.toml",
        "demands = [\"A fixed yearly water quota\"]",
        "demands = [\"A fixed yearly water quota\", { text = \"Water-sharing talks every spring\", sources = [\"wire-headline\"] }]",
    );
    let loaded = load(dir.path(), fixture_today());
    assert!(!loaded.report.has_errors(), "{}", loaded.report.human());
    // The summary is shown as written, and does not say "reported": the check says so, at it.
    let hedges: Vec<&str> = loaded
        .report
        .diagnostics
        .iter()
        .filter(|d| d.code == "headline-only")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(hedges.len(), 1, "{hedges:?}");
    assert!(hedges[0].contains("summary"), "{hedges:?}");
    let lib = Library::new(loaded.topics);
    let ask = |line: &str| {
        respond(
            &Ctx {
                library: &lib,
                today: fixture_today(),
                default_topic: None,
                service: None,
            },
            line,
        )
    };
    let bullets = |r: &Reply, heading: &str| -> Vec<String> {
        match section(r, heading) {
            Block::Bullets(lines) => lines.iter().map(|l| l.text.clone()).collect(),
            Block::Fields(fields) => fields
                .iter()
                .flat_map(|f| {
                    f.lines
                        .iter()
                        .map(move |l| format!("{}: {}", f.name, l.text))
                })
                .collect(),
            other => panic!("{other:?}"),
        }
    };
    let south = ask("position southland");
    assert_eq!(
        bullets(&south, "Demands"),
        ["International monitoring of the dams (reported)"]
    );
    assert_eq!(
        bullets(&south, "Red lines"),
        ["No cut to the spring water share (reported)"]
    );
    // Said once: the stance already says it.
    assert_eq!(
        south.summary.as_ref().map(|s| s.text.as_str()),
        Some("Reported to want a quota that follows the seasons.")
    );
    // Northland rests on a news report and a primary source: no mark on its first demand,
    // while the demand next to it names a headline of its own, and is marked and cited.
    let north = ask("position northland");
    assert_eq!(
        bullets(&north, "Demands"),
        [
            "A fixed yearly water quota",
            "Water-sharing talks every spring (reported)"
        ]
    );
    let Block::Bullets(lines) = section(&north, "Demands") else {
        panic!()
    };
    assert!(lines[0].cites.is_empty());
    let cited = &north.citations[lines[1].cites[0] as usize - 1];
    assert_eq!(cited.url, "https://wire.example.org/southland-quota");
    let compared = ask("compare northland southland");
    let demands = bullets(&compared, "Demands");
    assert!(
        demands.contains(&"Northland: A fixed yearly water quota".to_owned())
            && demands
                .contains(&"Southland: International monitoring of the dams (reported)".to_owned()),
        "{demands:?}"
    );
    let brief = ask("brief");
    assert_eq!(
        bullets(&brief, "What to watch"),
        ["Second round of talks (reported)"]
    );
}

/// An item that names a source the topic does not have is an error at the item's place.
#[test]
fn an_item_citing_an_unknown_source_is_an_error_where_it_is() {
    let dir = small_tree();
    let card = dir.path().join("river-treaty/actors/northland.toml");
    let text = std::fs::read_to_string(&card).expect("read").replace(
        "demands = [\"A fixed yearly water quota\"]",
        "demands = [\"A fixed yearly water quota\", { text = \"Spring talks\", sources = [\"no-such-source\"] }]",
    );
    std::fs::write(&card, text).expect("write");
    let loaded = load(dir.path(), fixture_today());
    let human = loaded.report.human();
    assert!(loaded.report.has_errors(), "{human}");
    assert!(human.contains("no-such-source"), "{human}");
    assert!(human.contains("northland.toml:"), "{human}");
}
