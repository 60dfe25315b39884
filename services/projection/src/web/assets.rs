//! The page's static files, compiled into the service: the style sheet, the script
//! that keeps a page live ([`super::live`]) and the Persian
//! font (Vazirmatn, SIL Open Font License 1.1: `assets/fonts/OFL.txt`). Their URLs carry
//! a hash of their contents, so a browser may keep them for a year: a changed file is a
//! new URL, even within one version of the service.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::ProjectionError;

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

/// What names this build's files in their URLs: a 64-bit FNV-1a hash of all of them,
/// computed when the service is compiled.
const HASH: u64 = {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut f = 0;
    while f < FILES.len() {
        let bytes = FILES[f].2;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            i += 1;
        }
        f += 1;
    }
    hash
};

fn version() -> String {
    format!("{HASH:016x}")
}

/// The URL of the static file `name`.
pub fn url(name: &str) -> String {
    format!("/assets/{}/{name}", version())
}

/// `GET /assets/{version}/{name}`: the file, cacheable for a year; another build's URL
/// or an unknown name is not found.
pub async fn serve(
    Path((version, name)): Path<(String, String)>,
) -> Result<Response, ProjectionError> {
    let found = FILES.iter().find(|(n, _, _)| *n == name);
    match found {
        Some((_, content_type, bytes)) if version == self::version() => Ok((
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
