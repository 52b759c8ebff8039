//! Web page render time: the brief and an actor's page of the bundled topic, from the command to
//! the finished HTML (answer + maud), without HTTP. Run: `cargo bench --bench web`.

// The same allocator as the `dossier` binary, so figures are what users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use dossier::commands::Command;
use dossier::commands::command::{PositionQuery, TopicQuery};
use dossier::library::Library;
use std::hint::black_box;
use std::path::Path;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
}

fn pages(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("briefings");
    let loaded = dossier::cards::load(&dir, today()).expect("load");
    assert!(!loaded.report.has_errors(), "{}", loaded.report.human());
    let lib = Library::new(loaded.topics);
    let topic = Some("iran-us-talks".to_owned());
    let brief = Command::Brief(TopicQuery {
        topic: topic.clone(),
    });
    let iran = Command::Position(PositionQuery {
        actor: "iran".into(),
        topic,
        on: None,
        picture: true,
    });
    let mut g = c.benchmark_group("web page");
    for (name, tab, cmd) in [("brief", "brief", &brief), ("actor iran", "", &iran)] {
        let (ok, html) = dossier::web::answer_html(&lib, today(), 0, tab, cmd, true);
        assert!(ok && html.len() > 5_000, "{name}: {} bytes", html.len());
        g.bench_function(name, |b| {
            b.iter(|| {
                dossier::web::answer_html(black_box(&lib), today(), 0, tab, black_box(cmd), true)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, pages);
criterion_main!(benches);
