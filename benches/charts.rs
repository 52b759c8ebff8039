//! Chart render time: the bundled topic's whole timeline and a two-actor position history
//! (`compare iran united-states`), as SVG and as PNG (resvg with the bundled font). Run:
//! `cargo bench --bench charts`.

// The same allocator as the `dossier` binary, so figures are what users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use dossier::commands::{Ctx, parse};
use dossier::library::Library;
use std::hint::black_box;
use std::path::Path;

fn charts(c: &mut Criterion) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings");
    let loaded = dossier::cards::load(&dir, today).expect("load");
    let lib = Library::new(loaded.topics);
    let ctx = Ctx {
        library: &lib,
        today,
        default_topic: None,
        service: None,
    };
    let mut g = c.benchmark_group("chart");
    for (name, line) in [
        ("timeline", "timeline"),
        ("two histories", "compare iran united-states"),
    ] {
        let cmd = parse(line).expect("parses");
        let svg = dossier::charts::for_command(&ctx, &cmd)
            .expect("a chart")
            .svg;
        let png = dossier::charts::raster::png(&svg).expect("png");
        eprintln!("{name}: SVG {} bytes, PNG {} bytes", svg.len(), png.len());
        g.bench_function(format!("{name} svg"), |b| {
            b.iter(|| dossier::charts::for_command(black_box(&ctx), black_box(&cmd)))
        });
        g.bench_function(format!("{name} png"), |b| {
            b.iter(|| dossier::charts::raster::png(black_box(&svg)))
        });
    }
    g.finish();
}

criterion_group!(benches, charts);
criterion_main!(benches);
