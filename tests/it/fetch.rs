//! The fetcher against servers on 127.0.0.1 and 127.0.0.2: without the operator's leave, no
//! request reaches a loopback or private address, whether named directly, through a name that
//! resolves to one, or through a redirect (each server counts what reached it, so a refusal is
//! shown to come before any connection); and with it, conditional requests, the body cap, a
//! server that never answers, `Retry-After`, redirect chains and the `User-Agent`.

use crate::common::*;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use dossier::fetch::address::Policy;
use dossier::fetch::client::{FetchError, Fetched, Fetcher, Lookup, Options, Validators};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A test server: how many requests reached it, and the last `User-Agent` it saw.
#[derive(Clone, Default)]
struct Seen {
    requests: Arc<AtomicUsize>,
    agent: Arc<std::sync::Mutex<Option<String>>>,
}

async fn server(ip: [u8; 4], seen: Seen, other: Option<SocketAddr>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind((IpAddr::from(ip), 0))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let other = other.map(|o| o.port()).unwrap_or_default();
    let app = Router::new().fallback(move |uri: Uri, h: HeaderMap| {
        let seen = seen.clone();
        async move { answer(&seen, other, uri.path(), &h).await }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// What the test server answers at `path`; `other` is the other server's port.
async fn answer(seen: &Seen, other: u16, path: &str, h: &HeaderMap) -> Response {
    seen.requests.fetch_add(1, Ordering::SeqCst);
    *seen.agent.lock().expect("lock") = h
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let redirect = |to: String| (StatusCode::FOUND, [(header::LOCATION, to)]).into_response();
    match path {
        "/feed.xml" if h.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") => {
            StatusCode::NOT_MODIFIED.into_response()
        }
        "/feed.xml" => (
            [
                (header::ETAG, "\"v1\""),
                (header::CONTENT_TYPE, "application/rss+xml"),
            ],
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>",
        )
            .into_response(),
        // Streamed without a length, so only reading shows the size.
        "/big" => {
            let chunk = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
            let chunks = futures_util::stream::iter(
                (0..100).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
            );
            Response::new(axum::body::Body::from_stream(chunks))
        }
        "/silent" => std::future::pending().await,
        "/busy" => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "7")]).into_response(),
        "/to-inside-by-name" => redirect(format!("http://inside.test:{other}/feed.xml")),
        "/to-inside-by-address" => redirect(format!("http://127.0.0.1:{other}/feed.xml")),
        "/to-file" => redirect("file:///etc/passwd".into()),
        "/hop/0" => redirect("/feed.xml".into()),
        _ => match path
            .strip_prefix("/hop/")
            .and_then(|n| n.parse::<u32>().ok())
        {
            Some(n) => redirect(format!("/hop/{}", n - 1)),
            None => StatusCode::NOT_FOUND.into_response(),
        },
    }
}

/// A fetcher whose names resolve only through `names`, with `policy`.
fn fetcher(policy: Policy, names: &[(&str, [u8; 4])]) -> Fetcher {
    let mut o = Options::new(policy, Some("https://briefings.example.org/about"));
    o.lookup = Lookup::Fixed(
        names
            .iter()
            .map(|(n, ip)| ((*n).to_owned(), vec![IpAddr::from(*ip)]))
            .collect(),
    );
    o.total = Duration::from_secs(1);
    o.cap = 1 << 20;
    Fetcher::new(o).expect("fetcher")
}

#[test]
fn nothing_reaches_a_private_address_without_leave_directly_by_name_or_by_redirect() {
    runtime().block_on(async {
        let inside = Seen::default();
        let inner = server([127, 0, 0, 1], inside.clone(), None).await;
        let outside = Seen::default();
        let outer = server([127, 0, 0, 2], outside.clone(), Some(inner)).await;
        // 127.0.0.2 stands for a public server: the one address allowed.
        let policy = Policy {
            allowed: vec![IpAddr::from([127, 0, 0, 2])],
            ..Policy::default()
        };
        let f = fetcher(
            policy,
            &[
                ("inside.test", [127, 0, 0, 1]),
                ("public.test", [127, 0, 0, 2]),
            ],
        );
        let none = Validators::default();
        let refused = |r: Result<Fetched, FetchError>| match r {
            Err(FetchError::Refused { why, .. }) => why,
            other => panic!("not refused: {other:?}"),
        };
        let p = inner.port();
        assert_eq!(
            refused(
                f.get(&format!("http://127.0.0.1:{p}/feed.xml"), &none)
                    .await
            ),
            "a loopback address"
        );
        assert_eq!(
            refused(
                f.get(&format!("http://inside.test:{p}/feed.xml"), &none)
                    .await
            ),
            "a loopback address"
        );
        assert_eq!(
            refused(
                f.get(&format!("http://[::ffff:127.0.0.1]:{p}/feed.xml"), &none)
                    .await
            ),
            "a loopback address"
        );
        assert!(matches!(
            f.get("http://nowhere.test/feed.xml", &none).await,
            Err(FetchError::NoSuchHost(_))
        ));
        let q = outer.port();
        assert!(matches!(
            f.get(&format!("http://public.test:{q}/feed.xml"), &none)
                .await,
            Ok(Fetched::Page(_))
        ));
        for path in ["to-inside-by-name", "to-inside-by-address"] {
            let got = f
                .get(&format!("http://public.test:{q}/{path}"), &none)
                .await;
            assert_eq!(refused(got), "a loopback address", "{path}");
        }
        let to_file = f
            .get(&format!("http://public.test:{q}/to-file"), &none)
            .await;
        assert!(matches!(to_file, Err(FetchError::NotWeb(_))), "{to_file:?}");
        assert_eq!(
            inside.requests.load(Ordering::SeqCst),
            0,
            "a request reached the inside server"
        );
        assert_eq!(outside.requests.load(Ordering::SeqCst), 4);
    });
}

#[test]
fn conditional_requests_caps_deadlines_retry_after_and_redirects() {
    runtime().block_on(async {
        let seen = Seen::default();
        let addr = server([127, 0, 0, 1], seen.clone(), None).await;
        let intranet = Policy {
            allow_private: true,
            ..Policy::default()
        };
        let f = fetcher(intranet, &[("feeds.test", [127, 0, 0, 1])]);
        let base = format!("http://feeds.test:{}", addr.port());
        let none = Validators::default();
        let Ok(Fetched::Page(page)) = f.get(&format!("{base}/feed.xml"), &none).await else {
            panic!("no page");
        };
        assert!(page.body.starts_with(b"<rss"));
        assert_eq!(page.validators.etag.as_deref(), Some("\"v1\""));
        assert_eq!(page.content_type.as_deref(), Some("application/rss+xml"));
        assert_eq!(
            seen.agent.lock().expect("lock").as_deref(),
            Some(concat!(
                "dossier/",
                env!("CARGO_PKG_VERSION"),
                " (+https://briefings.example.org/about)"
            ))
        );
        assert!(matches!(
            f.get(&format!("{base}/feed.xml"), &page.validators).await,
            Ok(Fetched::NotModified)
        ));
        // 6.25 MiB streamed against a 1 MiB cap: refused once past the cap.
        assert_eq!(
            f.get(&format!("{base}/big"), &none).await.err(),
            Some(FetchError::TooLarge { cap: 1 << 20 })
        );
        let asked = Instant::now();
        assert!(matches!(
            f.get(&format!("{base}/silent"), &none).await,
            Err(FetchError::Timeout(_))
        ));
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "{:?}",
            asked.elapsed()
        );
        assert_eq!(
            f.get(&format!("{base}/busy"), &none).await.err(),
            Some(FetchError::Status {
                status: 429,
                retry_after: Some(Duration::from_secs(7))
            })
        );
        let Ok(Fetched::Page(page)) = f.get(&format!("{base}/hop/4"), &none).await else {
            panic!("five hops are followed");
        };
        assert_eq!(page.url.path(), "/feed.xml");
        assert_eq!(
            f.get(&format!("{base}/hop/5"), &none).await.err(),
            Some(FetchError::Redirects)
        );
    });
}
