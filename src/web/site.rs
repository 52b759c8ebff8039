//! `dossier site`: the web door's pages written as a static site, for a host with no server.
//! Every page is asked of the same router `serve` mounts, in process, so a file says exactly
//! what the page says. A page at `/t/<topic>` becomes `t/<topic>/index.html`, the feed
//! `t/<topic>/feed.atom`, the stylesheet `style.css`. A static host has no query strings, so
//! each page of the timeline is written to `t/<topic>/timeline/page/<n>/index.html` and the
//! pager's links are pointed there (the filtered timelines need `serve`). Links are
//! root-relative: host the folder at the root of a (sub)domain.

use crate::app::App;
use crate::commands::Command;
use crate::commands::command::TimelineQuery;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

/// The largest page read back from the router: far above any real page.
const MAX_PAGE: usize = 64 << 20;

/// What was written.
#[derive(Debug, Default)]
pub struct Written {
    pub files: usize,
    pub bytes: u64,
}

/// Where the page at `path` goes under `out`.
fn file_for(out: &Path, path: &str) -> PathBuf {
    let rel = path.trim_start_matches('/');
    if rel.is_empty() {
        out.join("index.html")
    } else if rel.ends_with(".atom") || rel.ends_with(".css") {
        out.join(rel)
    } else {
        out.join(rel).join("index.html")
    }
}

/// The static address of a timeline page.
fn timeline_page(topic: &str, page: u32) -> String {
    if page <= 1 {
        format!("/t/{topic}/timeline")
    } else {
        format!("/t/{topic}/timeline/page/{page}")
    }
}

/// The pager's query links (`/t/<topic>/timeline?page=N`, the only ones the unfiltered
/// timeline makes) pointed at the static pages.
fn static_pager(html: &str, topic: &str) -> String {
    let prefix = format!("href=\"/t/{topic}/timeline?page=");
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(&prefix) {
        out.push_str(&rest[..i]);
        let after = &rest[i + prefix.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<u32>() {
            Ok(n) if after[digits..].starts_with('"') => {
                out.push_str(&format!("href=\"{}\"", timeline_page(topic, n)));
                rest = &after[digits + 1..];
            }
            _ => {
                out.push_str(&prefix);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Ask the router for `path`; its body when it answers 200.
async fn get(router: &axum::Router, path: &str) -> Result<Vec<u8>, String> {
    let req = Request::get(path)
        .body(Body::empty())
        .map_err(|e| format!("{path}: {e}"))?;
    let res = router
        .clone()
        .oneshot(req)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), MAX_PAGE)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("{path} answered {status}"));
    }
    Ok(body.to_vec())
}

/// Every page's address, and for the timeline's pages the static address they are written to.
fn addresses(app: &App) -> Vec<(String, String)> {
    let lib = app.snapshot();
    let mut paths = vec![("/".to_owned(), None), ("/style.css".to_owned(), None)];
    for t in lib.topics() {
        let id = &t.id;
        paths.push((format!("/t/{id}"), None));
        for a in &t.actors {
            paths.push((format!("/t/{id}/actors/{}", a.id), None));
        }
        for tab in ["experts", "sources", "changes", "feed.atom"] {
            paths.push((format!("/t/{id}/{tab}"), None));
        }
        for e in app.feed.entries(id) {
            paths.push((format!("/t/{id}/changes/{}", e.seq), None));
        }
        // As many timeline pages as the answer says there are.
        let q = TimelineQuery {
            topic: Some(id.clone()),
            since: None,
            until: None,
            actor: None,
            page: NonZeroU32::MIN,
            picture: true,
        };
        let ctx = crate::commands::Ctx {
            library: &lib,
            today: app.clock.today(),
            default_topic: None,
            service: None,
        };
        let first = crate::commands::answer::answer(&ctx, &Command::Timeline(q));
        let pages = first.pager.as_ref().map_or(1, |p| p.pages.max(1));
        for n in 1..=pages {
            let asked = if n == 1 {
                format!("/t/{id}/timeline")
            } else {
                format!("/t/{id}/timeline?page={n}")
            };
            paths.push((asked, Some(timeline_page(id, n))));
        }
    }
    paths
        .into_iter()
        .map(|(asked, at)| {
            let at = at.unwrap_or_else(|| asked.clone());
            (asked, at)
        })
        .collect()
}

/// Write every page of the library `app` serves under `out` (created if missing; files of
/// the same names are replaced, nothing else is touched).
pub async fn write(app: Arc<App>, out: &Path) -> Result<Written, String> {
    let router = super::router(app.clone());
    let mut written = Written::default();
    let lib = app.snapshot();
    for (asked, at) in addresses(&app) {
        let mut body = get(&router, &asked).await?;
        if asked.ends_with("/timeline") || asked.contains("/timeline?") {
            // Only the pager links change; the topic is the path's second part.
            let topic = asked.split('/').nth(2).unwrap_or_default();
            if lib.topic_index(topic).is_some() {
                let html = String::from_utf8_lossy(&body).into_owned();
                body = static_pager(&html, topic).into_bytes();
            }
        }
        let file = file_for(out, &at);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&file, &body)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        written.files += 1;
        written.bytes += body.len() as u64;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_links_point_at_static_pages() {
        let html = r#"<a href="/t/x/timeline?page=2" rel="next">Older</a> <a href="/t/x/timeline?page=1">"#;
        assert_eq!(
            static_pager(html, "x"),
            r#"<a href="/t/x/timeline/page/2" rel="next">Older</a> <a href="/t/x/timeline">"#
        );
        // Anything else is left alone.
        let other = r#"<a href="/t/x/timeline?page=2&amp;actor=iran">"#;
        assert_eq!(static_pager(other, "x"), other);
    }

    #[test]
    fn files_for_paths() {
        let out = Path::new("/o");
        assert_eq!(file_for(out, "/"), Path::new("/o/index.html"));
        assert_eq!(file_for(out, "/t/x"), Path::new("/o/t/x/index.html"));
        assert_eq!(
            file_for(out, "/t/x/feed.atom"),
            Path::new("/o/t/x/feed.atom")
        );
        assert_eq!(file_for(out, "/style.css"), Path::new("/o/style.css"));
    }
}
