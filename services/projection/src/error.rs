//! The one error type of the projection's edges, and the two places that decide what
//! each error becomes: a gRPC status (with `google.rpc` details, like intake's) for
//! the queries and the operators' controls, and an HTTP response (a status code and a
//! small HTML page) for the web page.
//!
//! Every refusal of a request value names its field: in the message, in a
//! `google.rpc.ErrorInfo` (domain `saman.projection.v1`, metadata `field`) and, by
//! kind, in a `google.rpc.BadRequest` (INVALID_ARGUMENT) or a `google.rpc.ResourceInfo`
//! (NOT_FOUND). Messages quote inputs with [`quote`], so a refusal always fits in gRPC
//! metadata. The table is in `docs/errors.md`.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use saman_domain::values::quote;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::readmodel::ReadModelError;
use crate::state::{NotYet, WaitError};
use crate::web;

/// The `domain` of every `google.rpc.ErrorInfo` the projection returns.
pub const ERROR_DOMAIN: &str = "saman.projection.v1";

/// The longest status message, in characters (the rest is cut).
const MAX_MESSAGE_CHARS: usize = 4_000;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// A request value that does not parse; `why` quotes the value (bounded).
    #[error("{field}: {why}")]
    Invalid { field: &'static str, why: String },
    /// The request names something the read models do not have: a zone not registered
    /// by the as-of day (or, on the web page, a page that does not exist). `what` is
    /// the resource type and the request's field.
    #[error("{what}: {what} '{}' not found", quote(.id))]
    NotFound { what: &'static str, id: String },
    /// A read's wait (`Read.min_position`, `Read.after`) ran out before the projection
    /// applied what was asked; `position` is where the projection is.
    #[error("read.min_position/read.after: {not_yet}; the projection is at position {position}")]
    NotYet { not_yet: NotYet, position: u64 },
    /// A rebuild was asked while one is running.
    #[error("{0}")]
    RebuildRunning(String),
    /// NATS could not be asked (the stream head).
    #[error("cannot read the stream head from NATS: {0}")]
    Nats(String),
    /// The read models failed (the database, or a broken invariant).
    #[error("the read models failed: {0}")]
    ReadModel(ReadModelError),
    /// A download (CSV, workbook) could not be written.
    #[error("cannot write the download: {0}")]
    Export(String),
}

impl From<ReadModelError> for ProjectionError {
    fn from(err: ReadModelError) -> Self {
        match err {
            ReadModelError::NotFound { what, id } => Self::NotFound { what, id },
            other => Self::ReadModel(other),
        }
    }
}

impl ProjectionError {
    /// A failed read-your-writes wait: [`ProjectionError::NotYet`] at `position`, or
    /// the read models' failure.
    pub fn from_wait(err: WaitError, position: u64) -> Self {
        match err {
            WaitError::NotYet(not_yet) => Self::NotYet { not_yet, position },
            WaitError::ReadModel(err) => err.into(),
        }
    }

    /// The message, cut to [`MAX_MESSAGE_CHARS`]; failures of the projection itself are
    /// logged here, once for both edges.
    fn message(&self) -> String {
        if let Self::ReadModel(_) | Self::Nats(_) | Self::Export(_) = self {
            tracing::error!(error = %self, "projection query failed");
        }
        cut(&self.to_string(), MAX_MESSAGE_CHARS)
    }
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

fn error_info(reason: &str, metadata: &[(&str, String)]) -> ErrorDetails {
    let metadata = metadata
        .iter()
        .map(|(key, value)| ((*key).to_owned(), value.clone()))
        .collect::<HashMap<_, _>>();
    ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata)
}

/// The gRPC status of each error: the one mapping for both gRPC services.
impl From<ProjectionError> for Status {
    fn from(err: ProjectionError) -> Self {
        let message = err.message();
        match err {
            ProjectionError::Invalid { field, why } => {
                let mut details = error_info("INVALID_ARGUMENT", &[("field", field.to_owned())]);
                details.add_bad_request_violation(field, cut(&why, MAX_MESSAGE_CHARS));
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            ProjectionError::NotFound { what, id } => {
                let mut details = error_info("NOT_FOUND", &[("field", what.to_owned())]);
                details.set_resource_info(what, quote(&id), "", "not registered by the as-of day");
                Status::with_error_details(Code::NotFound, message, details)
            }
            ProjectionError::NotYet { position, .. } => {
                let details = error_info(
                    "NOT_YET_APPLIED",
                    &[
                        ("field", "read".to_owned()),
                        ("position", position.to_string()),
                    ],
                );
                Status::with_error_details(Code::DeadlineExceeded, message, details)
            }
            ProjectionError::RebuildRunning(_) => Status::with_error_details(
                Code::AlreadyExists,
                message,
                error_info("REBUILD_RUNNING", &[]),
            ),
            ProjectionError::Nats(_) | ProjectionError::ReadModel(_) => {
                Status::unavailable(message)
            }
            ProjectionError::Export(_) => Status::internal(message),
        }
    }
}

/// The HTTP response of each error: the one mapping for the web page, a status code
/// and a small HTML page that says why.
impl IntoResponse for ProjectionError {
    fn into_response(self) -> Response {
        let message = self.message();
        let (status, title) = match self {
            ProjectionError::Invalid { .. } => (StatusCode::BAD_REQUEST, "Bad request"),
            ProjectionError::NotFound { .. } => (StatusCode::NOT_FOUND, "Not found"),
            ProjectionError::RebuildRunning(_) => (StatusCode::CONFLICT, "Conflict"),
            ProjectionError::NotYet { .. }
            | ProjectionError::Nats(_)
            | ProjectionError::ReadModel(_) => (StatusCode::SERVICE_UNAVAILABLE, "Unavailable"),
            ProjectionError::Export(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
        };
        (status, Html(web::error_page(status, title, &message))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_not_found_zone_carries_error_info_and_resource_info() {
        let status = Status::from(ProjectionError::from(ReadModelError::NotFound {
            what: "zone",
            id: "zone-99".into(),
        }));
        assert_eq!(status.code(), Code::NotFound);
        assert!(status.message().contains("'zone-99'"), "{status:?}");
        let info = status.get_details_error_info().expect("an ErrorInfo");
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("NOT_FOUND", ERROR_DOMAIN)
        );
        assert_eq!(info.metadata.get("field").map(String::as_str), Some("zone"));
        let resource = status.get_details_resource_info().expect("a ResourceInfo");
        assert_eq!(
            (
                resource.resource_type.as_str(),
                resource.resource_name.as_str()
            ),
            ("zone", "zone-99")
        );
    }

    #[test]
    fn a_refused_value_carries_a_bad_request_of_its_field() {
        let status = Status::from(ProjectionError::Invalid {
            field: "page_token",
            why: "'x' is not a token from a previous reply".into(),
        });
        assert_eq!(status.code(), Code::InvalidArgument);
        let info = status.get_details_error_info().expect("an ErrorInfo");
        assert_eq!(info.reason, "INVALID_ARGUMENT");
        assert_eq!(
            info.metadata.get("field").map(String::as_str),
            Some("page_token")
        );
        let violations = status
            .get_details_bad_request()
            .expect("a BadRequest")
            .field_violations;
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, "page_token");
    }

    #[test]
    fn a_wait_that_ran_out_stays_deadline_exceeded() {
        let status = Status::from(ProjectionError::from_wait(
            WaitError::NotYet(NotYet(std::time::Duration::from_millis(10))),
            7,
        ));
        assert_eq!(status.code(), Code::DeadlineExceeded);
        assert!(status.message().contains("position 7"), "{status:?}");
    }

    #[test]
    fn the_web_page_gets_one_status_code_per_kind() {
        let code = |err: ProjectionError| err.into_response().status();
        assert_eq!(
            code(ProjectionError::Invalid {
                field: "as_of",
                why: "no".into()
            }),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            code(ProjectionError::NotFound {
                what: "zone",
                id: "nope".into()
            }),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            code(ProjectionError::ReadModel(ReadModelError::Corrupt(
                "x".into()
            ))),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
