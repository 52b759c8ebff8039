//! Two `dossier serve` replicas on one real PostgreSQL, both watching the cited pages: one
//! replica looks at them (one look's requests reach the origin, not two) and gives them
//! snapshots from the fake web archive, written into the cards they share; both show the
//! verdicts and the snapshots, on `/metrics` and on the web sources page, within seconds.

use crate::common::*;
use crate::postgres::Postgres;
use crate::serve::serve_with;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Wait until `base` answers `path` with a body for which `ok` holds; the last body.
async fn until(base: &str, path: &str, secs: u64, ok: impl Fn(&str) -> bool) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut last = None;
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{base}{path}")).await
            && let Ok(body) = r.text().await
        {
            if ok(&body) {
                return Some(body);
            }
            last = Some(body);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    panic!("{base}{path} never showed what was awaited; last:\n{last:?}");
}

#[test]
fn two_replicas_one_looks_and_archives_and_both_show_the_verdicts_and_snapshots() {
    runtime().block_on(async {
        let pg = tokio::task::spawn_blocking(Postgres::start)
            .await
            .expect("postgres");
        let database = pg.database("sources");
        let hits = Arc::new(AtomicUsize::new(0));
        let origin =
            crate::sources::origin(Arc::new(AtomicUsize::new(1)), hits.clone()).await;
        let (wayback, archive) = crate::archive::wayback().await;
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("briefings");
        copy_tree(&fixtures().join("valid/small"), &root);
        let file = root.join("river-treaty/sources.toml");
        let text = std::fs::read_to_string(&file)
            .expect("sources")
            .replace(
                "https://gazette.example.org/water-talks-resume",
                &format!("http://127.0.0.1:{origin}/ok"),
            )
            .replace(
                "https://mfa.northland.example/statements/long-river",
                &format!("http://127.0.0.1:{origin}/moved"),
            );
        std::fs::write(&file, text).expect("write");
        let replica = |name: &str| {
            let port = free_port();
            let cfg = dir.path().join(format!("{name}.toml"));
            std::fs::write(
                &cfg,
                format!(
                    "briefings = \"{}\"\nstate = \"{database}\"\nlocal_state = \"{}\"\n\n[http]\nlisten = \"127.0.0.1:{port}\"\n\n[web]\n\n[sources]\nwatch = true\nallow_private = true\narchive = \"http://127.0.0.1:{archive}\"\navailability = \"http://127.0.0.1:{archive}/wayback/available\"\narchive_gap = \"50ms\"\n",
                    root.display(),
                    dir.path().join(name).display(),
                ),
            )
            .expect("config");
            (cfg, format!("http://127.0.0.1:{port}"))
        };
        let ((a_cfg, a), (b_cfg, b)) = (replica("a"), replica("b"));
        let first = serve_with(&a_cfg, None, &[], &[]);
        let second = serve_with(&b_cfg, None, &[], &[]);
        let logs = || format!("{}\n---\n{}", first.logs(), second.logs());

        // Both show the verdicts of the one look.
        for base in [&a, &b] {
            until(base, "/metrics", 60, |m| {
                m.contains("dossier_sources{status=\"ok\"} 1")
                    && m.contains("dossier_sources{status=\"moved\"} 1")
            })
            .await;
        }
        // Both show the page moved and each snapshot, from the card both read.
        for base in [&a, &b] {
            let page = until(base, "/t/river-treaty/sources", 30, |p| {
                p.contains("Moved to") && p.matches("archived 7 Dec 2026").count() == 2
            })
            .await
            .unwrap_or_default();
            assert!(
                page.contains(&format!("http://127.0.0.1:{origin}/new")),
                "{page}"
            );
        }
        // Anything the other replica looked at would have arrived by now.
        tokio::time::sleep(Duration::from_secs(3)).await;
        // HEAD and GET of the page that answers; of the moved one, each through its 301.
        assert_eq!(hits.load(Ordering::SeqCst), 6, "one look, not two\n{}", logs());
        // Each page archived once (the first capture request was told to wait, and retried).
        let saved: std::collections::BTreeSet<String> = wayback
            .asked()
            .into_iter()
            .filter(|x| x.what.starts_with("save "))
            .map(|x| x.what)
            .collect();
        assert_eq!(saved.len(), 2, "{saved:?}\n{}", logs());
        let statuses = wayback
            .asked()
            .iter()
            .filter(|x| x.what.starts_with("status "))
            .count();
        assert_eq!(statuses, 4, "each capture's job asked for until it succeeded, by one replica");
        let card = std::fs::read_to_string(&file).expect("card");
        assert_eq!(card.matches("archived_on = \"2026-12-07\"").count(), 2, "{card}");
        drop((first, second));
    });
}
