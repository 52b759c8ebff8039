//! Load + validate a generated tree of 10,000 card files, against the floor of reading the same
//! files and parsing each with `toml::from_str::<toml::Table>` alone, single-threaded.
//! Run: `cargo bench --bench load`.

// The same allocator as the `dossier` binary, so figures are what users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/gen.rs"]
mod r#gen;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn all_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

fn load(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    // 250 topics × (4 files + 36 actors) = 10,000 card files.
    let n = r#gen::write_tree(
        dir.path(),
        &r#gen::Shape {
            topics: 250,
            actors: 36,
            events: 40,
            sources: 12,
            experts: 4,
        },
    );
    assert_eq!(n, 10_000);
    let files = all_files(dir.path());
    assert_eq!(files.len(), 10_000);
    let today = NaiveDate::from_ymd_opt(2026, 3, 25).expect("date");
    let check = dossier::cards::load(dir.path(), today).expect("load");
    assert!(!check.report.has_errors(), "{}", check.report.human());

    let mut g = c.benchmark_group("load-10k-files");
    g.sample_size(20);
    g.bench_function("dossier-load-validate-index", |b| {
        b.iter(|| {
            let loaded = dossier::cards::load(black_box(dir.path()), today).expect("load");
            dossier::library::Library::new(loaded.topics)
        })
    });
    g.bench_function("dossier-load-validate", |b| {
        b.iter(|| dossier::cards::load(black_box(dir.path()), today).expect("load"))
    });
    g.bench_function("baseline-read-and-toml-table", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|p| {
                    let text = std::fs::read_to_string(p).expect("read");
                    toml::from_str::<toml::Table>(&text).expect("parse").len()
                })
                .sum::<usize>()
        })
    });
    let texts: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect();
    g.bench_function("baseline-toml-table-only", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| toml::from_str::<toml::Table>(t).expect("parse").len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
