//! The charts: the PNG decoded (its size, not blank, the Muscat talks of 6 Feb 2026 drawn
//! where the axis puts that day, in Iran's lane and colour), the same cards giving the same
//! bytes, SVG snapshots of the bundled timeline and histories, a one-event topic, a topic of
//! 500 events (drawn as density) and a 64 KiB card text (cut to fit, no panic, quickly), on the
//! web pages as inline SVG, and `dossier ask --image`.

use crate::common::*;
use chrono::{Duration, NaiveDate};
use dossier::cards::{Event, Verification};
use dossier::charts::{self, timeline};
use dossier::commands::{Ctx, parse};
use dossier::date::Date;
use std::time::Instant;

fn ctx(lib: &dossier::library::Library) -> Ctx<'_> {
    Ctx {
        library: lib,
        today: bundled_today(),
        default_topic: None,
        service: None,
    }
}

fn picture(lib: &dossier::library::Library, line: &str) -> charts::Picture {
    charts::for_command(&ctx(lib), &parse(line).expect("parses")).expect("a chart")
}

/// Width, height and RGBA pixels of a PNG.
pub fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Width and height of a PNG that is not one flat colour.
pub fn decode_drawn(png_bytes: &[u8]) -> (u32, u32) {
    let (w, h, px) = decode(png_bytes);
    let first = &px[..4];
    assert!(
        px.chunks(4).any(|p| p != first),
        "the picture must not be blank"
    );
    (w, h)
}

fn pixel(px: &[u8], width: u32, x: f64, y: f64) -> [u8; 3] {
    let i = ((y.round() as usize) * width as usize + x.round() as usize) * 4;
    [px[i], px[i + 1], px[i + 2]]
}

#[test]
fn the_timeline_png_draws_muscat_where_the_axis_puts_6_february() {
    let lib = bundled_library();
    let t = &lib.topics()[0];
    let drawn = timeline::draw(&timeline::Range {
        topic: t,
        events: t.events.iter().collect(),
        filter: String::new(),
    });
    let started = Instant::now();
    let png = charts::raster::png(&drawn.svg).expect("rasterized");
    let took = started.elapsed();
    assert!(png.len() < 200 * 1024, "{} bytes", png.len());
    let (w, h, px) = decode(&png);
    assert_eq!(w, 1000);
    assert!(h > 200 && h < 800, "{h}");
    let mut colours = std::collections::HashSet::new();
    for p in px.chunks(4) {
        colours.insert([p[0], p[1], p[2]]);
    }
    assert!(colours.len() > 50, "blank: {} colours", colours.len());
    // The Muscat talks: confirmed, so a filled circle in Iran's lane, Iran's colour.
    let muscat = t
        .events
        .iter()
        .find(|e| e.date.as_day() == NaiveDate::from_ymd_opt(2026, 2, 6))
        .expect("the Muscat talks");
    assert_eq!(muscat.verification, Verification::Confirmed);
    assert!(muscat.actors.iter().any(|a| a == "iran"));
    let axis = drawn.axis.expect("an axis");
    let lane = drawn
        .lanes
        .iter()
        .position(|l| l == "Iran")
        .expect("Iran's lane");
    let x = axis.x(muscat.date.first_day());
    let y = timeline::lane_y(lane);
    let at = pixel(&px, w, x, y);
    assert_eq!(at, [0x00, 0x72, 0xB2], "Iran's blue at ({x:.1}, {y:.1})");
    // A day with no event in that lane is the background there.
    let empty = axis.x(NaiveDate::from_ymd_opt(2024, 6, 1).expect("day"));
    assert_eq!(pixel(&px, w, empty, y + 1.0), [0xff, 0xff, 0xff]);
    // The same cards, the same bytes.
    assert_eq!(charts::raster::png(&drawn.svg).expect("again"), png);
    eprintln!("rasterized in {took:?}");
}

#[test]
fn svg_snapshots_of_the_bundled_charts() {
    let lib = bundled_library();
    insta::assert_snapshot!("chart-timeline", picture(&lib, "timeline").svg);
    insta::assert_snapshot!(
        "chart-timeline-oman-since-june",
        picture(&lib, "timeline since 2026-06 actor oman").svg
    );
    insta::assert_snapshot!("chart-position-iran", picture(&lib, "position iran").svg);
    insta::assert_snapshot!(
        "chart-compare-on-day",
        picture(&lib, "compare iran united-states on 2026-04-12").svg
    );
    // Alt text says what the chart shows.
    let p = picture(&lib, "position iran");
    assert!(
        p.alt.contains("Iran (12 entries)") && p.alt.contains("5 Feb 2026"),
        "{}",
        p.alt
    );
    // Commands with no chart, and mistakes, have none.
    for line in [
        "brief",
        "experts",
        "position irann",
        "compare iran iran",
        "search hormuz",
    ] {
        assert!(
            charts::for_command(&ctx(&lib), &parse(line).expect("parses")).is_none(),
            "{line}"
        );
    }
}

fn event(day: NaiveDate, title: &str, actors: &[&str], confirmed: bool) -> Event {
    Event {
        phase: None,
        date: Date::from_naive(day),
        title: title.into(),
        detail: "A test event.".into(),
        actors: actors.iter().map(|a| (*a).to_owned()).collect(),
        verification: if confirmed {
            Verification::Confirmed
        } else {
            Verification::Reported
        },
        sources: vec![],
    }
}

#[test]
fn one_event_500_events_and_64_kib_of_text() {
    let lib = bundled_library();
    let mut t = lib.topics()[0].clone();
    let start = NaiveDate::from_ymd_opt(2026, 2, 6).expect("day");

    t.events = vec![event(
        start,
        "Indirect talks in Muscat",
        &["iran", "oman"],
        true,
    )];
    let one = timeline::draw(&timeline::Range {
        topic: &t,
        events: t.events.iter().collect(),
        filter: String::new(),
    });
    insta::assert_snapshot!("chart-one-event", one.svg);
    assert_eq!(one.lanes, vec!["Iran", "Oman"]);

    t.events = (0..500)
        .map(|i| {
            event(
                start + Duration::days(i / 2),
                &format!("Event {i}"),
                &[["iran", "united-states", "oman"][i as usize % 3]],
                i % 4 != 0,
            )
        })
        .collect();
    let many = timeline::draw(&timeline::Range {
        topic: &t,
        events: t.events.iter().collect(),
        filter: String::new(),
    });
    insta::assert_snapshot!("chart-500-events", many.svg);
    // Drawn as density: bars, not 500 marks.
    let marks = many.svg.matches("<circle").count() + many.svg.matches("<path").count();
    assert!(marks < 20, "{marks} marks");
    assert!(many.svg.matches("<rect").count() > 50);
    assert!(many.alt.contains("500 events"));

    // 64 KiB in a title, a stance and an actor's name: cut, never spilling, quickly.
    let huge = "Wm".repeat(32 * 1024);
    t.events = vec![event(start, &huge, &["iran"], true)];
    t.actors[0].name = huge.clone();
    let started = Instant::now();
    let d = timeline::draw(&timeline::Range {
        topic: &t,
        events: t.events.iter().collect(),
        filter: huge.clone(),
    });
    let p = charts::history::draw(&t, &[&t.actors[0]], None);
    let png = charts::raster::png(&d.svg).expect("png");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(d.svg.len() < 64 * 1024, "{} bytes", d.svg.len());
    assert!(p.0.len() < 64 * 1024, "{} bytes", p.0.len());
    assert!(d.svg.contains('…'));
    let (w, _, _) = decode(&png);
    assert_eq!(w, 1000);
    // Hostile text is text.
    t.events = vec![event(
        start,
        "<script>alert(1)</script> & \"quoted\"",
        &["iran"],
        false,
    )];
    let d = timeline::draw(&timeline::Range {
        topic: &t,
        events: t.events.iter().collect(),
        filter: String::new(),
    });
    assert!(!d.svg.contains("<script") && d.svg.contains("&lt;script&gt;"));
    charts::raster::png(&d.svg).expect("still an SVG");
}

#[test]
fn dossier_ask_image_writes_the_chart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
            .arg("ask")
            .args(["--briefings"])
            .arg(bundled())
            .args(["--today", "2026-11-25"])
            .args(args)
            .output()
            .expect("dossier ask")
    };
    let png_file = dir.path().join("timeline.png");
    let out = run(&["--image", png_file.to_str().expect("path"), "timeline"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Chart written to"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Timeline:"));
    let (w, _, _) = decode(&std::fs::read(&png_file).expect("written"));
    assert_eq!(w, 1000);
    let svg_file = dir.path().join("iran.svg");
    let out = run(&[
        "--image",
        svg_file.to_str().expect("path"),
        "position",
        "iran",
    ]);
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&svg_file)
            .expect("svg")
            .starts_with("<svg ")
    );
    let none = dir.path().join("none.png");
    let out = run(&["--image", none.to_str().expect("path"), "brief"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no chart"));
    assert!(!none.exists());
}

/// `[charts] enabled = false` leaves the pictures out of the pages; on, the timeline and an
/// actor's page carry theirs, and the brief none.
#[test]
fn the_switch_leaves_charts_out_of_the_pages() {
    let lib = bundled_library();
    for (line, tab, has) in [
        ("timeline", "timeline", true),
        ("position iran", "", true),
        ("brief", "brief", false),
    ] {
        let cmd = parse(line).expect("parses");
        let (ok, on) = dossier::web::answer_html(&lib, bundled_today(), 0, tab, &cmd, true);
        assert!(ok);
        assert_eq!(on.contains("<figure class=\"chart\">"), has, "{line}");
        let (_, off) = dossier::web::answer_html(&lib, bundled_today(), 0, tab, &cmd, false);
        assert!(!off.contains("<svg"), "{line}");
    }
}

#[test]
fn the_phases_the_events_open_are_shaded_and_named() {
    let lib = bundled_library();
    let t = &lib.topics()[0];
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day");
    let drawn = timeline::draw(&timeline::Range {
        topic: t,
        events: t.events.iter().collect(),
        filter: String::new(),
    });
    let names: Vec<(String, String, &str)> = drawn
        .phases
        .iter()
        .map(|p| (p.from.to_string(), p.until.to_string(), p.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("2026-02-06".into(), "2026-02-27".into(), "talks"),
            ("2026-02-28".into(), "2026-04-07".into(), "war"),
            ("2026-04-08".into(), "2026-07-07".into(), "ceasefire"),
            ("2026-07-08".into(), "2026-10-10".into(), "war"),
        ]
    );
    assert!(
        drawn
            .alt
            .contains("Phases: talks from 6 Feb 2026, war from 28 Feb 2026"),
        "{}",
        drawn.alt
    );
    // The ceasefire's band starts where the axis puts 8 April.
    let axis = drawn.axis.expect("axis");
    let x = axis.x(d("2026-04-08"));
    assert!(
        drawn.svg.contains(&format!(
            r#"<rect x="{}" y="{}""#,
            charts::svg::num(x),
            charts::svg::num(timeline::TOP - 6.0)
        )),
        "no band at x = {x}"
    );
    // A range that starts inside a phase shows it from the range's first day.
    let since: Vec<&Event> = t
        .events
        .iter()
        .filter(|e| e.date.first_day() >= d("2026-05-01"))
        .collect();
    let drawn = timeline::draw(&timeline::Range {
        topic: t,
        events: since,
        filter: "since May 2026".into(),
    });
    assert_eq!(drawn.phases[0].name, "ceasefire");
    assert_eq!(
        drawn.phases[0].from,
        d("2026-06-01"),
        "the first event's day"
    );
    assert_eq!(drawn.phases.len(), 2);
}

#[test]
fn a_phase_too_long_to_draw_is_an_error_with_its_place() {
    let dir = small_tree();
    let topic = std::fs::read_dir(dir.path())
        .expect("read")
        .filter_map(|e| e.ok())
        .find(|e| e.path().join("timeline.toml").exists())
        .expect("a topic with a timeline")
        .path();
    let file = topic.join("timeline.toml");
    let text = std::fs::read_to_string(&file).expect("read");
    let at = text.find("[[event]]").expect("an event") + "[[event]]\n".len();
    let long = format!("phase = \"{}\"\n", "a very long phase name indeed");
    std::fs::write(&file, format!("{}{long}{}", &text[..at], &text[at..])).expect("write");
    let loaded = load(dir.path(), fixture_today());
    let lines = diag_lines(&loaded, dir.path());
    let line = text[..at].lines().count() + 1;
    let want = format!(
        "error[phase-too-long] {}/timeline.toml:{line}:9",
        topic.file_name().expect("name").to_string_lossy()
    );
    assert!(lines.contains(&want), "{lines:#?}");
    assert!(loaded.report.human().contains("at most 24 characters"));
}
