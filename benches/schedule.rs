//! Daily briefings at scale: deciding which of 10,000 subscriptions (over 50 topics, in many
//! time zones) are due and rendering the briefing each due one would post; and one topic's
//! "what changed" diff. Run: `cargo bench --bench schedule`.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/gen.rs"]
mod r#gen;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use dossier::digest::{Previous, TopicSnapshot, WhenUnchanged, diff, digest};
use dossier::library::Library;
use dossier::schedule::due::{Due, Slot, due};
use std::hint::black_box;

const ZONES: [&str; 8] = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Muscat",
    "Asia/Karachi",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
];

fn library() -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().expect("tempdir");
    r#gen::write_tree(
        dir.path(),
        &r#gen::Shape {
            topics: 50,
            actors: 20,
            events: 60,
            sources: 12,
            experts: 4,
        },
    );
    let today = NaiveDate::from_ymd_opt(2026, 3, 25).expect("date");
    let loaded = dossier::cards::load(dir.path(), today).expect("load");
    assert!(!loaded.report.has_errors(), "{}", loaded.report.human());
    (dir, Library::new(loaded.topics))
}

fn schedules(c: &mut Criterion) {
    let (_dir, lib) = library();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-03-25T06:00:00Z")
        .expect("now")
        .with_timezone(&Utc);
    // 10,000 subscriptions: every zone, times across the day, 50 topics.
    let subs: Vec<(Slot, usize, Option<NaiveDate>)> = (0..10_000)
        .map(|i| {
            let slot = Slot {
                at: NaiveTime::from_hms_opt((i % 24) as u32, ((i * 7) % 60) as u32, 0)
                    .expect("time"),
                tz: ZONES[i % ZONES.len()].parse().expect("zone"),
                catch_up: Duration::hours(6),
                since: now - Duration::days(30),
            };
            (
                slot,
                i % 50,
                Some(NaiveDate::from_ymd_opt(2026, 3, 24).expect("day")),
            )
        })
        .collect();
    // What each place was last sent: the topic a few events ago, with one position moved.
    let snapshots: Vec<TopicSnapshot> = (0..50)
        .map(|t| {
            let mut s = TopicSnapshot::of(lib.topic(t));
            s.events.truncate(s.events.len() - 3);
            if let Some(p) = s.positions.first_mut() {
                p.stance = "An older stance.".into();
            }
            s
        })
        .collect();
    let day = NaiveDate::from_ymd_opt(2026, 3, 25).expect("day");
    let mut g = c.benchmark_group("schedules");
    g.sample_size(10);
    // The worst case: every subscription is due at once and gets its own briefing, rendered for
    // its platform.
    g.bench_function(
        "10k subscriptions over 50 topics: due + digest + render each",
        |b| {
            b.iter(|| {
                let mut bytes = 0usize;
                for (slot, topic, last) in &subs {
                    black_box(due(slot, *last, now));
                    let r = digest(
                        &lib,
                        *topic,
                        Some(Previous {
                            snapshot: &snapshots[*topic],
                            day: day.pred_opt().expect("day"),
                        }),
                        day,
                        day,
                        WhenUnchanged::Post,
                    );
                    // Rendered for the place it goes to: Discord embeds or Matrix HTML.
                    if let Some(r) = r {
                        bytes += if topic % 2 == 0 {
                            black_box(dossier::render::discord::render(&r)).embeds.len()
                        } else {
                            black_box(dossier::render::matrix::render(&r, "!"))
                                .html
                                .len()
                        };
                    }
                }
                black_box(bytes)
            })
        },
    );
    g.bench_function("10k subscriptions: due only", |b| {
        b.iter(|| {
            subs.iter()
                .filter(|(slot, _, last)| matches!(due(slot, *last, now), Due::Post { .. }))
                .count()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("digest");
    let t = lib.topic(0);
    g.bench_function("one topic's diff", |b| {
        b.iter(|| black_box(diff(&snapshots[0], t)))
    });
    g.bench_function("one topic's briefing (diff + reply)", |b| {
        b.iter(|| {
            black_box(digest(
                &lib,
                0,
                Some(Previous {
                    snapshot: &snapshots[0],
                    day,
                }),
                day,
                day,
                WhenUnchanged::Post,
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, schedules);
criterion_main!(benches);
