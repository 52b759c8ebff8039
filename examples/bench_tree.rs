//! Writes the benchmark's synthetic briefings tree (250 topics, 10,000 card files) into a
//! folder, for the reload harness in bench/reload/. Usage: `bench_tree DIR`.

#[path = "../benches/support/gen.rs"]
mod r#gen;

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: bench_tree DIR");
        return std::process::ExitCode::from(2);
    };
    let n = r#gen::write_tree(
        std::path::Path::new(&dir),
        &r#gen::Shape {
            topics: 250,
            actors: 36,
            events: 40,
            sources: 12,
            experts: 4,
        },
    );
    println!("{n} card files in {dir}");
    std::process::ExitCode::SUCCESS
}
