//! The web door: public, read-only pages of the library being served, from the same snapshot
//! and the same answers as chat (`page` turns a reply into HTML). `/` lists the topics;
//! `/t/<topic>` is the brief, `/t/<topic>/actors/<actor>` a position with its whole history,
//! `/t/<topic>/timeline?since=&until=&actor=&page=`, `/t/<topic>/experts` and
//! `/t/<topic>/sources` (each source at `#src-<id>`). Mounted on `serve`'s one HTTP listener
//! when the config has `[web]`.
//!
//! Made to be safe to put on the open web: no script, a Content-Security-Policy that allows
//! none, every value escaped by maud; an `ETag` from the library's version and the day (a
//! reload or a new day changes it at once; an unchanged page answers `304`) and
//! `Last-Modified` from when the library was loaded; a request line with a query over
//! [`MAX_QUERY`] bytes is refused with `414` before anything is parsed; an unknown topic or
//! actor is a `404` page with "did you mean".

pub mod atom;
pub mod page;
pub mod site;

use crate::app::App;
use crate::commands::Command;
use crate::commands::command::{PositionQuery, TimelineQuery, TopicQuery};
use crate::commands::spec::{self, CommandKind};
use crate::library::Library;
use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::Markup;
use page::Place;
use std::sync::Arc;

/// The longest query string a page takes, in bytes: a timeline's four parameters fit many
/// times over.
pub const MAX_QUERY: usize = 2048;

/// The longest path, in bytes.
pub const MAX_PATH: usize = 512;

/// The stylesheet, served at `/style.css`.
pub const STYLE: &str = include_str!("style.css");

/// No script, no frames, styles and images from here only.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The web pages' routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/style.css", get(style))
        .route("/t/{topic}", get(brief))
        .route("/t/{topic}/timeline", get(timeline))
        .route("/t/{topic}/experts", get(experts))
        .route("/t/{topic}/sources", get(sources))
        .route("/t/{topic}/actors/{actor}", get(actor))
        .route("/t/{topic}/changes", get(changes))
        .route("/t/{topic}/changes/{seq}", get(change))
        .route("/t/{topic}/feed.atom", get(feed))
        .layer(middleware::from_fn(bounded))
        .with_state(app)
}

/// Refuse an over-long path or query before routing parses it.
async fn bounded(req: Request, next: Next) -> Response {
    let uri = req.uri();
    if uri.query().is_some_and(|q| q.len() > MAX_QUERY) || uri.path().len() > MAX_PATH {
        return (
            StatusCode::URI_TOO_LONG,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "The address is too long.\n",
        )
            .into_response();
    }
    next.run(req).await
}

/// The validator of every page of `lib` on `today`: a reload or a new day (staleness is part
/// of a page) changes it.
fn etag(lib: &Library, today: chrono::NaiveDate) -> String {
    format!(
        "W/\"{}-{}-{}\"",
        env!("CARGO_PKG_VERSION"),
        lib.version(),
        today.format("%Y%m%d")
    )
}

fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether the client already has this version of the page.
fn fresh(req: &HeaderMap, tag: &str, modified: chrono::DateTime<chrono::Utc>) -> bool {
    if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm.split(',').any(|t| t.trim() == tag || t.trim() == "*");
    }
    req.get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| chrono::DateTime::parse_from_rfc2822(s).ok())
        .is_some_and(|since| modified.timestamp() <= since.timestamp())
}

/// What a page is made from beyond the library: the change feed's newest entry of its topic.
#[derive(Clone, Copy)]
struct Newest {
    seq: i64,
    at: chrono::DateTime<chrono::Utc>,
}

/// A page with the headers every page carries.
fn respond(
    status: StatusCode,
    req: &HeaderMap,
    lib: &Library,
    today: chrono::NaiveDate,
    body: impl FnOnce() -> Markup,
) -> Response {
    respond_as(
        status,
        req,
        lib,
        today,
        None,
        "text/html; charset=utf-8",
        || body().into_string(),
    )
}

/// A response of any type with the page headers; `newest` joins the validators of a page
/// made from the change feed.
fn respond_as<B>(
    status: StatusCode,
    req: &HeaderMap,
    lib: &Library,
    today: chrono::NaiveDate,
    newest: Option<Newest>,
    mime: &str,
    body: impl FnOnce() -> B,
) -> Response
where
    B: Into<bytes::Bytes>,
{
    let mut tag = etag(lib, today);
    let mut modified = lib.loaded_at();
    if let Some(n) = newest {
        tag.insert_str(tag.len() - 1, &format!("-c{}", n.seq));
        modified = modified.max(n.at);
    }
    let mut headers = HeaderMap::new();
    let mut set = |k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            headers.insert(k, v);
        }
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::CACHE_CONTROL, "no-cache");
    set(header::ETAG, &tag);
    set(header::LAST_MODIFIED, &http_date(modified));
    if status == StatusCode::OK && fresh(req, &tag, modified) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    set(header::CONTENT_TYPE, mime);
    (status, headers, body().into()).into_response()
}

async fn style(req: HeaderMap) -> Response {
    let tag = format!("\"style-{}\"", env!("CARGO_PKG_VERSION"));
    let has = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let headers = [
        (header::CONTENT_TYPE, "text/css; charset=utf-8".to_owned()),
        (header::CACHE_CONTROL, "public, max-age=3600".to_owned()),
        (header::ETAG, tag),
    ];
    if has {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (headers, STYLE).into_response()
    }
}

async fn index(State(app): State<Arc<App>>, req: HeaderMap) -> Response {
    let lib = app.snapshot();
    let today = app.clock.today();
    respond(StatusCode::OK, &req, &lib, today, || {
        page::layout(
            "Briefings",
            &Place {
                topic: None,
                tab: "",
            },
            page::index(lib.topics(), today),
        )
    })
}

/// The topic a path names, or its 404 page (once per request: not worth a box).
#[allow(clippy::result_large_err)]
fn topic_or_404(app: &App, lib: &Library, req: &HeaderMap, name: &str) -> Result<usize, Response> {
    // Only the topic's id makes its address; a title or alias is redirected by nothing.
    match lib.topics().iter().position(|t| t.id == name) {
        Some(t) => Ok(t),
        None => {
            let close: Vec<(String, String)> = lib
                .suggest_topics(name)
                .into_iter()
                .filter_map(|id| {
                    let t = lib.topics().iter().find(|t| t.id == id)?;
                    Some((page::topic_path(&t.id), t.title.clone()))
                })
                .collect();
            Err(respond(
                StatusCode::NOT_FOUND,
                req,
                lib,
                app.clock.today(),
                || {
                    page::layout(
                        "Not found",
                        &Place {
                            topic: None,
                            tab: "",
                        },
                        page::not_found("topic", name, &close),
                    )
                },
            ))
        }
    }
}

/// The library being served and the topic a path names, or the topic's 404 page.
#[allow(clippy::result_large_err)]
fn topic_page(app: &App, req: &HeaderMap, name: &str) -> Result<(Arc<Library>, usize), Response> {
    let lib = app.snapshot();
    let t = topic_or_404(app, &lib, req, name)?;
    Ok((lib, t))
}

/// A chat answer as a topic's page.
fn answer_page(
    app: &App,
    lib: &Library,
    req: &HeaderMap,
    t: usize,
    tab: &str,
    cmd: &Command,
) -> Response {
    let today = app.clock.today();
    // A page is the same bytes for one library, day and question: kept in the reply cache
    // (beside the chat answers, under their budget) once made. A mistake is not kept.
    let key = crate::service::cache::Key::Page {
        topic: t,
        tab: tab.to_owned(),
        asked: crate::service::cache::Asked {
            today,
            default_topic: None,
            cmd: cmd.clone(),
        },
    };
    let (ok, html) = match app.replies.get(lib.version(), &key) {
        Some(hit) => (!hit.user_error, hit.body),
        None => {
            let (ok, html) = answer_html(lib, today, t, tab, cmd, app.charts);
            let body = bytes::Bytes::from(html);
            if ok {
                app.replies.insert(
                    lib.version(),
                    &key,
                    crate::service::cache::Entry::text(body.clone(), false),
                );
            }
            (ok, body)
        }
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    respond_as(
        status,
        req,
        lib,
        today,
        None,
        "text/html; charset=utf-8",
        || html,
    )
}

/// The page of topic `t` that answers `cmd`, and whether it is an answer (not a user's
/// mistake): the whole work of a page, without the HTTP around it (the benchmarks time it).
pub fn answer_html(
    lib: &Library,
    today: chrono::NaiveDate,
    t: usize,
    tab: &str,
    cmd: &Command,
    charts: bool,
) -> (bool, String) {
    let ctx = crate::commands::Ctx {
        library: lib,
        today,
        default_topic: None,
        service: None,
    };
    let reply = crate::commands::answer::answer(&ctx, cmd);
    let topic = lib.topic(t);
    // A timeline's pages, as links with the same query.
    let pager = match (cmd, &reply.pager) {
        (Command::Timeline(q), Some(p)) => Some((
            (p.page > 1).then(|| timeline_href(&topic.id, q, p.page - 1)),
            (p.page < p.pages).then(|| timeline_href(&topic.id, q, p.page + 1)),
        )),
        _ => None,
    };
    // The answer's chart, as inline SVG (presentation attributes only: the CSP allows no
    // inline style).
    let chart = (charts && !reply.is_user_error())
        .then(|| crate::charts::for_command(&ctx, cmd))
        .flatten();
    let html = page::layout(
        &reply.title,
        &Place {
            topic: Some(topic),
            tab,
        },
        maud::html! {
            (page::reply(&reply, Some(topic), pager))
            @if let Some(c) = &chart { (page::figure(c)) }
        },
    )
    .into_string();
    (!reply.is_user_error(), html)
}

/// A topic's page that is one chat answer: the brief, the experts.
fn topic_answer(
    app: &App,
    req: &HeaderMap,
    topic: String,
    tab: &str,
    cmd: fn(String) -> Command,
) -> Response {
    match topic_page(app, req, &topic) {
        Ok((lib, t)) => answer_page(app, &lib, req, t, tab, &cmd(topic)),
        Err(r) => r,
    }
}

async fn brief(State(app): State<Arc<App>>, Path(topic): Path<String>, req: HeaderMap) -> Response {
    topic_answer(&app, &req, topic, "brief", |t| {
        Command::Brief(TopicQuery { topic: Some(t) })
    })
}

async fn experts(
    State(app): State<Arc<App>>,
    Path(topic): Path<String>,
    req: HeaderMap,
) -> Response {
    topic_answer(&app, &req, topic, "experts", |t| {
        Command::Experts(crate::commands::command::ExpertsQuery {
            topic: Some(t),
            about: None,
        })
    })
}

async fn sources(
    State(app): State<Arc<App>>,
    Path(topic): Path<String>,
    req: HeaderMap,
) -> Response {
    let (lib, t) = match topic_page(&app, &req, &topic) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let topic = lib.topic(t);
    respond(StatusCode::OK, &req, &lib, app.clock.today(), || {
        page::layout(
            &format!("{}: sources", topic.title),
            &Place {
                topic: Some(topic),
                tab: "sources",
            },
            page::sources(&lib, t),
        )
    })
}

async fn actor(
    State(app): State<Arc<App>>,
    Path((topic, actor)): Path<(String, String)>,
    req: HeaderMap,
) -> Response {
    let (lib, t) = match topic_page(&app, &req, &topic) {
        Ok(found) => found,
        Err(r) => return r,
    };
    if !lib.topic(t).actors.iter().any(|a| a.id == actor) {
        let close: Vec<(String, String)> = lib
            .suggest_actors(t, &actor)
            .into_iter()
            .filter_map(|id| {
                let a = lib.topic(t).actors.iter().find(|a| a.id == id)?;
                Some((page::actor_path(&topic, &a.id), a.name.clone()))
            })
            .collect();
        return respond(StatusCode::NOT_FOUND, &req, &lib, app.clock.today(), || {
            page::layout(
                "Not found",
                &Place {
                    topic: Some(lib.topic(t)),
                    tab: "",
                },
                page::not_found("actor", &actor, &close),
            )
        });
    }
    let cmd = Command::Position(PositionQuery {
        actor,
        topic: Some(topic),
        on: None,
        picture: true,
    });
    answer_page(&app, &lib, &req, t, "", &cmd)
}

/// `since`, `until`, `actor` and `page` from a query string, as the timeline command takes them.
fn timeline_args(query: &str) -> crate::commands::parse::Args {
    let mut args = crate::commands::parse::Args::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let name = match k.as_ref() {
            "since" => "since",
            "until" => "until",
            "actor" => "actor",
            "page" => "page",
            _ => continue,
        };
        if !v.trim().is_empty() {
            args.insert(name, v.into_owned());
        }
    }
    args
}

fn timeline_href(topic: &str, q: &TimelineQuery, page: u32) -> String {
    crate::commands::address::timeline_path(topic, q, q.actor.as_deref(), page)
}

async fn timeline(
    State(app): State<Arc<App>>,
    Path(topic): Path<String>,
    RawQuery(query): RawQuery,
    req: HeaderMap,
) -> Response {
    let (lib, t) = match topic_page(&app, &req, &topic) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let mut args = timeline_args(query.as_deref().unwrap_or_default());
    args.insert("topic", topic.clone());
    let cmd = match crate::commands::parse::from_args(spec::of(CommandKind::Timeline), args) {
        Ok(c) => c,
        Err(e) => {
            let reply = crate::commands::answer::parse_error_reply(&e);
            let topic = lib.topic(t);
            return respond(
                StatusCode::BAD_REQUEST,
                &req,
                &lib,
                app.clock.today(),
                || {
                    page::layout(
                        &reply.title,
                        &Place {
                            topic: Some(topic),
                            tab: "timeline",
                        },
                        page::reply(&reply, Some(topic), None),
                    )
                },
            );
        }
    };
    answer_page(&app, &lib, &req, t, "timeline", &cmd)
}

/// The newest of a topic's recorded changes (`entries`, newest first), for the validators of
/// the pages made from them.
fn newest(entries: &[Arc<crate::feed::Entry>]) -> Option<Newest> {
    entries.first().map(|e| Newest {
        seq: e.seq,
        at: e.at,
    })
}

/// The public address without its trailing slash, or `""` (links relative to the server).
fn base(app: &App) -> String {
    app.public_url
        .as_ref()
        .map(|u| u.as_str().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

async fn feed(State(app): State<Arc<App>>, Path(topic): Path<String>, req: HeaderMap) -> Response {
    let (lib, t) = match topic_page(&app, &req, &topic) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let entries = app.feed.entries(&topic);
    let newest = newest(&entries);
    let base = base(&app);
    respond_as(
        StatusCode::OK,
        &req,
        &lib,
        app.clock.today(),
        newest.or(Some(Newest {
            seq: 0,
            at: lib.loaded_at(),
        })),
        "application/atom+xml; charset=utf-8",
        || atom::feed(lib.topic(t), &entries, &base),
    )
}

async fn changes(
    State(app): State<Arc<App>>,
    Path(topic): Path<String>,
    req: HeaderMap,
) -> Response {
    let (lib, t) = match topic_page(&app, &req, &topic) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let entries = app.feed.entries(&topic);
    let topic = lib.topic(t);
    respond_as(
        StatusCode::OK,
        &req,
        &lib,
        app.clock.today(),
        newest(&entries),
        "text/html; charset=utf-8",
        || {
            page::layout(
                &format!("{}: what changed", topic.title),
                &Place {
                    topic: Some(topic),
                    tab: "changes",
                },
                page::changes(topic, &entries),
            )
            .into_string()
        },
    )
}

async fn change(
    State(app): State<Arc<App>>,
    Path((topic, seq)): Path<(String, String)>,
    req: HeaderMap,
) -> Response {
    let (lib, t) = match topic_page(&app, &req, &topic) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let topic = lib.topic(t);
    let entry = match seq.parse::<i64>().ok().filter(|n| *n > 0) {
        Some(n) => app.feed.entry(&topic.id, n).await,
        None => None,
    };
    let Some(entry) = entry else {
        return respond(StatusCode::NOT_FOUND, &req, &lib, app.clock.today(), || {
            page::layout(
                "Not found",
                &Place {
                    topic: Some(topic),
                    tab: "changes",
                },
                page::not_found_change(topic, &seq),
            )
        });
    };
    respond_as(
        StatusCode::OK,
        &req,
        &lib,
        app.clock.today(),
        newest(&app.feed.entries(&topic.id)),
        "text/html; charset=utf-8",
        || {
            page::layout(
                &entry.title,
                &Place {
                    topic: Some(topic),
                    tab: "changes",
                },
                page::change(topic, &entry),
            )
            .into_string()
        },
    )
}
