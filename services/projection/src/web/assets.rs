//! The page's static files, compiled into the service: the style sheet, the script
//! that keeps a page live ([`super::live`]) and the Persian
//! font (Vazirmatn, SIL Open Font License 1.1: `assets/fonts/OFL.txt`). Their URLs carry
//! the service's version, so a browser may keep them for a year: a new version is a new
//! URL.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::ProjectionError;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// (name, content type, bytes)
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/style.css"),
    ),
    (
        "live.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/live.js"),
    ),
    (
        "vazirmatn-regular.woff2",
        "font/woff2",
        include_bytes!("../../assets/fonts/Vazirmatn-Regular.woff2"),
    ),
    (
        "vazirmatn-bold.woff2",
        "font/woff2",
        include_bytes!("../../assets/fonts/Vazirmatn-Bold.woff2"),
    ),
];

/// The URL of the static file `name`.
pub fn url(name: &str) -> String {
    format!("/assets/{VERSION}/{name}")
}

/// `GET /assets/{version}/{name}`: the file, cacheable for a year; another version's
/// URL or an unknown name is not found.
pub async fn serve(
    Path((version, name)): Path<(String, String)>,
) -> Result<Response, ProjectionError> {
    let found = FILES.iter().find(|(n, _, _)| *n == name);
    match found {
        Some((_, content_type, bytes)) if version == VERSION => Ok((
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response()),
        _ => Err(ProjectionError::NotFound {
            what: "file",
            id: format!("{version}/{name}"),
        }),
    }
}
