//! The web page for people: server-rendered HTML (UTF-8, no script needed), Persian
//! first, read from the same served generation as the gRPC queries, on its own address
//! (`--web-listen`).
//!
//! - `GET /?as_of=1397-06-31` (Persian) and `GET /en/?as_of=...` (English): the
//!   programme at a glance: its figures, each zone as a card with its progress against
//!   what the time elapsed expects, the overdue projects, each zone's budget;
//! - `GET /zones/{code}` and `GET /en/zones/{code}`: one zone: its bars, its curve over
//!   the year, goals, projects, unanswered needs and the first timeline entries;
//! - `GET /compliance`, `/cooperation`, `/supervision`, `/late`, `/activities` (and under
//!   `/en`): the office's other questions, as tables ([`pages`]);
//! - `GET /tables/{id}.csv|.xlsx` and `GET /zones/{code}/tables/{id}.csv|.xlsx` (and
//!   under `/en`): every table as a download, as of the same day ([`export`]);
//! - `GET /live`: server-sent events of the position applied, which keep an open page
//!   up to date ([`live`]; the page is whole without its script);
//! - `GET /assets/{version}/{file}`: the style sheet and the font, cacheable;
//! - `GET /healthz`: `ok`.
//!
//! `as_of` takes what `Read.as_of` takes (Solar Hijri, Persian digits, or ISO); it
//! defaults to today in Asia/Tehran, capped at the programme's goal date (and, before
//! the operational start, the start). An invalid `as_of` is a 400 page, an unknown
//! zone a 404 page (the status codes are decided in [`crate::error`], with gRPC's).
//!
//! Templates are `maud`: HTML in Rust, checked when compiled, every text escaped.

mod assets;
mod catalog;
mod charts;
mod export;
mod i18n;
mod layout;
mod live;
mod overview;
mod pages;
mod tables;
mod zone;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use jiff::Timestamp;
use maud::html;
use saman_domain::Day;
use saman_runtime::tls::{ServerConfig, TlsListener};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::error::ProjectionError;
use crate::readmodel::ReadModels;
use crate::request;
use crate::state::{Served, State};
pub use i18n::Lang;
use pages::Page;

/// The web page's routes; `stop` ends the live event streams.
pub fn router(state: State, stop: CancellationToken) -> Router {
    let mut router = Router::new();
    for lang in [Lang::Fa, Lang::En] {
        let p = lang.prefix();
        let overview =
            get(move |state: Shared<State>, query: Params| overview::page(lang, state, query));
        router = router
            .route(if p.is_empty() { "/" } else { "/en/" }, overview.clone())
            .route(
                &format!("{p}/zones/{{code}}"),
                get(
                    move |state: Shared<State>, code: Path<String>, query: Params| {
                        zone::page(lang, state, code, query)
                    },
                ),
            )
            .route(
                &format!("{p}/tables/{{file}}"),
                get(
                    move |state: Shared<State>, file: Path<String>, query: Params| {
                        download(lang, state, file, query)
                    },
                ),
            )
            .route(
                &format!("{p}/zones/{{code}}/tables/{{file}}"),
                get(
                    move |Shared(state): Shared<State>,
                          Path((code, file)): Path<(String, String)>,
                          query: Params| {
                        zone::download(lang, state, code, file, query)
                    },
                ),
            );
        if !p.is_empty() {
            router = router.route(p, overview);
        }
        for page in [
            Page::Compliance,
            Page::Cooperation,
            Page::Supervision,
            Page::Late,
            Page::Activities,
        ] {
            router = router.route(
                &format!("{p}{}", page.path()),
                get(move |state: Shared<State>, query: Params| {
                    pages::page(lang, page, state, query)
                }),
            );
        }
    }
    router
        .route(
            "/live",
            get(move |Shared(state): Shared<State>| async move { live::events(&state, stop) }),
        )
        .route("/assets/{version}/{name}", get(assets::serve))
        .route("/healthz", get(healthz))
        .fallback(fallback)
        .with_state(state)
}

/// Serves the web page on `listener` (over HTTPS with `tls`) until `stop` is
/// cancelled; in-flight requests finish first.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    state: State,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let app = router(state, stop.clone());
    let served = match tls {
        Some(config) => {
            axum::serve(TlsListener::new(listener, config), app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
        }
    };
    served.map_err(|err| anyhow::anyhow!("web page server failed: {err}"))
}

type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

/// `GET {lang}/tables/{id}.{csv|xlsx}`: one of the programme's tables.
async fn download(
    lang: Lang,
    Shared(state): Shared<State>,
    Path(file): Path<String>,
    query: Params,
) -> Result<Response, ProjectionError> {
    let (id, format) = export::parse_file(&file)?;
    let (_served, ctx) = reading(&state, lang, query).await?;
    let table = catalog::table(id, ctx)
        .await?
        .ok_or_else(|| ProjectionError::NotFound {
            what: "table",
            id: file.clone(),
        })?;
    export::respond(&table, lang, ctx.day, format)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn fallback(uri: Uri) -> ProjectionError {
    ProjectionError::NotFound {
        what: "page",
        id: uri.path().to_owned(),
    }
}

/// What a page or a download reads: the served generation (held while the reading
/// lasts, so a promotion cannot delete it underneath), as of the day its query asks.
async fn reading(
    state: &State,
    lang: Lang,
    query: Params,
) -> Result<(Served<'_>, catalog::Ctx<'_>), ProjectionError> {
    let served = state.served().await;
    let models = state.models();
    let day = as_of(query, models, served.generation).await?;
    let ctx = catalog::Ctx {
        lang,
        models,
        generation: served.generation,
        day,
    };
    Ok((served, ctx))
}

/// The day a page looks at: `as_of` when given, else today in Asia/Tehran, capped at
/// the goal date and, before the operational start, the start.
async fn as_of(
    query: Params,
    models: &ReadModels,
    generation: u64,
) -> Result<Day, ProjectionError> {
    let Query(query) = query.map_err(|err| ProjectionError::Invalid {
        field: "query",
        why: err.body_text(),
    })?;
    let given = query.get("as_of").map_or("", String::as_str);
    if !given.trim().is_empty() {
        return request::as_of(given, "as_of");
    }
    let today = Day::in_tehran(Timestamp::now());
    Ok(match models.programme_dates(generation).await? {
        Some(d) if today > d.goal_date => d.goal_date,
        Some(d) if today < d.operational_start => d.operational_start,
        _ => today,
    })
}

/// `?as_of=2018-04-20`: the query that keeps the page's day in its links.
fn day_query(day: Day) -> String {
    format!("?as_of={}", day.iso())
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for a URL's path
/// segment or query value).
fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, URL_COMPONENT).to_string()
}

/// What a URL component escapes: everything but RFC 3986's unreserved characters.
const URL_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The page of an error (see [`ProjectionError`]'s `IntoResponse`), in both languages
/// (the path does not always say which one was wanted): its status code and title,
/// why, and the way back.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> String {
    let body = html! {
        h1 { (status.as_u16()) " " (title) }
        p dir="auto" { (message) }
        p { a href="/" { (Lang::Fa.words().all_zones) } " · " a href="/en/" lang="en" { (Lang::En.words().all_zones) } }
    };
    let frame = layout::Frame {
        lang: Lang::Fa,
        title,
        path: "/",
        query: "",
        position: None,
    };
    layout::page(&frame, body).into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        // maud escapes &, <, > and " (its attributes are always in double quotes).
        assert_eq!(
            html! { (r#"<a href="x">Tom & 'Jerry'</a>"#) }.into_string(),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; 'Jerry'&lt;/a&gt;"
        );
        assert_eq!(
            html! { input value=("a\"><script>") ; }.into_string(),
            "<input value=\"a&quot;&gt;&lt;script&gt;\">"
        );
    }

    #[test]
    fn url_encodes_all_but_unreserved() {
        for (text, encoded) in [("zone-01", "zone-01"), ("a b/?&~", "a%20b%2F%3F%26~")] {
            assert_eq!(url_encode(text), encoded);
        }
    }

    #[test]
    fn an_error_page_says_its_status_and_why_escaped() {
        let page = error_page(StatusCode::NOT_FOUND, "Not found", "zone '<x>' not found");
        assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(page.contains("<h1>404 Not found</h1>"), "{page}");
        assert!(page.contains("zone '&lt;x&gt;' not found"), "{page}");
    }
}
