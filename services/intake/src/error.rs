//! The one error type of the intake service, and the single place that decides
//! which gRPC status each error becomes.
//!
//! Every refusal names the request field it is about: in the message, in a
//! `google.rpc.ErrorInfo` (metadata `field`) and, by kind, in a `google.rpc.BadRequest`
//! (INVALID_ARGUMENT), `google.rpc.PreconditionFailure` (FAILED_PRECONDITION, ABORTED)
//! or `google.rpc.ResourceInfo` (NOT_FOUND, ALREADY_EXISTS).

use std::collections::HashMap;

use saman_domain::DomainError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, PreconditionViolation, StatusExt};

use crate::store::StoreError;

/// The `domain` of every `google.rpc.ErrorInfo` intake returns.
pub const ERROR_DOMAIN: &str = "saman.intake.v1";

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Fields that do not parse: (field, why) for each.
    #[error("invalid request: {}", describe(.0))]
    Invalid(Vec<(String, String)>),
    /// A rule of the programme refused the command.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The caller's roles may not make this write (as the gate refuses them).
    #[error(transparent)]
    Auth(#[from] saman_auth::AuthError),
    /// The submission id was used before for another request.
    #[error(
        "submission.submission_id: submission {0} was already recorded with other content; use a new id for a new submission"
    )]
    SubmissionReused(String),
    /// The command's event would be larger than what can be published (see
    /// `publish_limit::PublishLimit`); the edge names the request's bulkiest field.
    #[error("the event would be {bytes} bytes; at most {limit} can be published")]
    EventTooLarge { bytes: usize, limit: usize },
    /// The command's event would not read back from the store as itself (a defect of
    /// intake, never of the request): refused rather than recorded.
    #[error(
        "the {0} event this submission makes would not read back as itself; it was not recorded"
    )]
    Unreadable(&'static str),
    /// Intake is shutting down or its writer stopped.
    #[error("intake is not accepting submissions: {0}")]
    Unavailable(String),
    /// The event store failed; the submission may or may not be recorded, and a
    /// retry with the same submission id is safe.
    #[error("event store: {0}")]
    Store(String),
}

/// At most this many field violations are reported in one refusal (the message says
/// how many more were left out). With every reason bounded too, a refusal always fits
/// in gRPC's metadata (16 KiB for all headers at most clients), however many fields
/// were wrong.
pub const MAX_VIOLATIONS: usize = 10;
/// The longest reason or field name a refusal carries, in characters.
const MAX_REASON_CHARS: usize = 400;
/// The longest status message, in characters.
const MAX_MESSAGE_CHARS: usize = 4_000;

fn describe(violations: &[(String, String)]) -> String {
    let mut text = violations
        .iter()
        .take(MAX_VIOLATIONS)
        .map(|(field, why)| format!("{}: {}", bounded(field), bounded(why)))
        .collect::<Vec<_>>()
        .join("; ");
    if violations.len() > MAX_VIOLATIONS {
        text.push_str(&format!(
            "; and {} more problems not shown (at most {MAX_VIOLATIONS} are reported)",
            violations.len() - MAX_VIOLATIONS
        ));
    }
    text
}

/// `text`, cut to [`MAX_REASON_CHARS`] characters. Reasons are written to be short
/// and quote inputs only by prefix; this is the last guard.
fn bounded(text: &str) -> String {
    cut(text, MAX_REASON_CHARS)
}

fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

fn error_info(reason: &str, field: &str) -> ErrorDetails {
    let metadata = HashMap::from([("field".to_owned(), field.to_owned())]);
    ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata)
}

impl From<StoreError> for IntakeError {
    fn from(err: StoreError) -> Self {
        Self::Store(err.to_string())
    }
}

impl From<IntakeError> for Status {
    fn from(err: IntakeError) -> Self {
        let message = cut(&err.to_string(), MAX_MESSAGE_CHARS);
        match err {
            IntakeError::Invalid(violations) => {
                let first = violations
                    .first()
                    .map(|(f, _)| bounded(f))
                    .unwrap_or_default();
                let mut details = error_info("INVALID_ARGUMENT", &first);
                details.set_bad_request(
                    violations
                        .iter()
                        .take(MAX_VIOLATIONS)
                        .map(|(field, why)| FieldViolation::new(bounded(field), bounded(why)))
                        .collect::<Vec<_>>(),
                );
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            IntakeError::Domain(domain) => domain_status(domain, message),
            IntakeError::Auth(auth) => auth.to_status(ERROR_DOMAIN),
            IntakeError::SubmissionReused(id) => {
                let mut details = error_info("SUBMISSION_REUSED", "submission.submission_id");
                details.set_resource_info("submission", id, "", "recorded with other content");
                Status::with_error_details(Code::AlreadyExists, message, details)
            }
            IntakeError::EventTooLarge { bytes, limit } => {
                Status::from(IntakeError::Invalid(vec![(
                    "submission".into(),
                    format!("the event would be {bytes} bytes; at most {limit} can be published"),
                )]))
            }
            IntakeError::Unreadable(_) => Status::internal(message),
            IntakeError::Unavailable(_) => Status::unavailable(message),
            IntakeError::Store(err) => {
                tracing::error!(error = %err, "event store failed");
                Status::unavailable(format!(
                    "the event store failed ({}); retry with the same submission id",
                    bounded(&err)
                ))
            }
        }
    }
}

fn domain_status(err: DomainError, message: String) -> Status {
    let field = err.field().to_owned();
    match err {
        DomainError::Invalid { reason, .. } => {
            let mut details = error_info("INVALID_ARGUMENT", &field);
            details.set_bad_request(vec![FieldViolation::new(field, bounded(&reason))]);
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        DomainError::NotFound { what, id, .. } => {
            let mut details = error_info("NOT_FOUND", &field);
            details.set_resource_info(what, id, "", "not registered");
            Status::with_error_details(Code::NotFound, message, details)
        }
        DomainError::AlreadyExists { what, id, .. } => {
            let mut details = error_info("ALREADY_REGISTERED", &field);
            details.set_resource_info(what, id, "", "already registered");
            Status::with_error_details(Code::AlreadyExists, message, details)
        }
        DomainError::Rule { reason, .. } => {
            let mut details = error_info("RULE", &field);
            details.set_precondition_failure(vec![PreconditionViolation::new(
                "RULE",
                field,
                bounded(&reason),
            )]);
            Status::with_error_details(Code::FailedPrecondition, message, details)
        }
        DomainError::PermissionDenied { .. } => {
            Status::with_error_details(Code::PermissionDenied, message, error_info("ROLE", &field))
        }
        DomainError::VersionConflict {
            stream,
            expected,
            actual,
        } => {
            let mut details = error_info("VERSION_CONFLICT", &field);
            details.set_precondition_failure(vec![PreconditionViolation::new(
                "VERSION",
                stream,
                format!("expected version {expected}, the stream is at {actual}"),
            )]);
            Status::with_error_details(Code::Aborted, message, details)
        }
    }
}
