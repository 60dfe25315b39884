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
    /// The submission id was used before for another request.
    #[error(
        "submission.submission_id: submission {0} was already recorded with other content; use a new id for a new submission"
    )]
    SubmissionReused(String),
    /// Intake is shutting down or its writer stopped.
    #[error("intake is not accepting submissions: {0}")]
    Unavailable(String),
    /// The event store failed; the submission may or may not be recorded, and a
    /// retry with the same submission id is safe.
    #[error("event store: {0}")]
    Store(String),
}

fn describe(violations: &[(String, String)]) -> String {
    violations
        .iter()
        .map(|(field, why)| format!("{field}: {why}"))
        .collect::<Vec<_>>()
        .join("; ")
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
        let message = err.to_string();
        match err {
            IntakeError::Invalid(violations) => {
                let first = violations
                    .first()
                    .map(|(f, _)| f.clone())
                    .unwrap_or_default();
                let mut details = error_info("INVALID_ARGUMENT", &first);
                details.set_bad_request(
                    violations
                        .into_iter()
                        .map(|(field, why)| FieldViolation::new(field, why))
                        .collect::<Vec<_>>(),
                );
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            IntakeError::Domain(domain) => domain_status(domain, message),
            IntakeError::SubmissionReused(id) => {
                let mut details = error_info("SUBMISSION_REUSED", "submission.submission_id");
                details.set_resource_info("submission", id, "", "recorded with other content");
                Status::with_error_details(Code::AlreadyExists, message, details)
            }
            IntakeError::Unavailable(_) => Status::unavailable(message),
            IntakeError::Store(err) => {
                tracing::error!(error = %err, "event store failed");
                Status::unavailable(format!(
                    "the event store failed ({err}); retry with the same submission id"
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
            details.set_bad_request(vec![FieldViolation::new(field, reason)]);
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
            details
                .set_precondition_failure(vec![PreconditionViolation::new("RULE", field, reason)]);
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
