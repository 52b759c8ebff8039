//! Answer time: parse + answer + render to text, for each command, on the bundled topic and on a
//! generated library of 200 topics × 40 actors × 500 events. Run: `cargo bench --bench answer`.

// The same allocator as the `dossier` binary, so figures are what users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/gen.rs"]
mod r#gen;

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dossier::commands::{Ctx, respond};
use dossier::library::Library;
use dossier::render::text::{TextStyle, render};
use std::hint::black_box;
use std::path::Path;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
}

fn library(dir: &Path) -> Library {
    let loaded = dossier::cards::load(dir, today()).expect("load");
    assert!(!loaded.report.has_errors(), "{}", loaded.report.human());
    Library::new(loaded.topics)
}

fn bench_lines(c: &mut Criterion, group: &str, lib: &Library, lines: &[(&str, &str)]) {
    let ctx = Ctx {
        library: lib,
        today: today(),
        default_topic: None,
        service: None,
    };
    let mut g = c.benchmark_group(group);
    for (name, line) in lines {
        let check = respond(&ctx, line);
        assert!(
            !check.is_user_error(),
            "{line}: {}",
            render(&check, TextStyle::PLAIN)
        );
        g.bench_with_input(BenchmarkId::from_parameter(name), line, |b, line| {
            b.iter(|| render(&respond(&ctx, black_box(line)), TextStyle::PLAIN))
        });
    }
    g.finish();
}

fn answer(c: &mut Criterion) {
    let bundled = library(&Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings"));
    bench_lines(
        c,
        "bundled",
        &bundled,
        &[
            ("brief", "brief"),
            ("position", "position iran"),
            ("position-alias", "position washington"),
            ("actors", "actors"),
            ("timeline", "timeline"),
            ("timeline-filtered", "timeline since 2026-02 actor oman"),
            ("experts", "experts"),
            ("compare", "compare iran united-states"),
            ("sources", "sources"),
            ("search", "search hormuz"),
            ("topics", "topics"),
            ("help", "help"),
        ],
    );

    let dir = tempfile::tempdir().expect("tempdir");
    r#gen::write_tree(
        dir.path(),
        &r#gen::Shape {
            topics: 200,
            actors: 40,
            events: 500,
            sources: 20,
            experts: 10,
        },
    );
    let large = library(dir.path());
    bench_lines(
        c,
        "large",
        &large,
        &[
            ("brief", "brief topic-137"),
            ("position", "position actor-7 topic topic-137"),
            ("position-alias", "position a7 topic topic-137"),
            ("actors", "actors topic-137"),
            ("timeline", "timeline topic-137"),
            (
                "timeline-filtered",
                "timeline topic-137 since 2015 actor actor-3",
            ),
            ("experts", "experts topic-137"),
            ("compare", "compare actor-1 actor-2 topic topic-137"),
            ("sources", "sources topic-137"),
            ("search", "search round 137 planned"),
            ("topics", "topics"),
            ("help", "help"),
        ],
    );
}

criterion_group!(benches, answer);
criterion_main!(benches);
