//! Why a call was not admitted, and the one place that turns it into a gRPC status:
//! UNAUTHENTICATED for a credential that proves nothing (with a message saying what is
//! wrong with it), PERMISSION_DENIED for a caller whose role the RPC does not admit,
//! UNAVAILABLE when the issuer's keys cannot be had (the caller may retry).
//!
//! Each status carries a `google.rpc.ErrorInfo` with the reason (`TOKEN_EXPIRED`, ...),
//! the domain of the service that refused (`saman.intake.v1`, ...) and the metadata
//! `field`: `authorization` (the header the credential travels in), or
//! `submission.actor` when an intake write's actor (the token's) may not make it.
//! Messages quote at most a few characters of what the caller sent, so a refusal
//! always fits in gRPC metadata.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The request "field" a refusal names unless told otherwise: the header of the
/// credential.
pub const FIELD: &str = "authorization";

/// What is wrong, as the `reason` of the `google.rpc.ErrorInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    MissingCredentials,
    NotBearer,
    EmptyToken,
    TokenTooLong,
    MalformedToken,
    MalformedHeader,
    UnsignedToken,
    SymmetricAlgorithm,
    AlgorithmNotAccepted,
    NoKeyId,
    UnknownKey,
    KeyAlgorithmMismatch,
    BadSignature,
    MalformedClaims,
    MissingClaim,
    InvalidClaim,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    NoRole,
    /// The caller is known but the RPC does not admit its roles.
    RoleNotAdmitted,
    /// The issuer's keys could not be fetched.
    KeysUnavailable,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MissingCredentials => "MISSING_CREDENTIALS",
            Reason::NotBearer => "NOT_BEARER",
            Reason::EmptyToken => "EMPTY_TOKEN",
            Reason::TokenTooLong => "TOKEN_TOO_LONG",
            Reason::MalformedToken => "MALFORMED_TOKEN",
            Reason::MalformedHeader => "MALFORMED_TOKEN_HEADER",
            Reason::UnsignedToken => "UNSIGNED_TOKEN",
            Reason::SymmetricAlgorithm => "SYMMETRIC_ALGORITHM",
            Reason::AlgorithmNotAccepted => "ALGORITHM_NOT_ACCEPTED",
            Reason::NoKeyId => "NO_KEY_ID",
            Reason::UnknownKey => "UNKNOWN_KEY",
            Reason::KeyAlgorithmMismatch => "KEY_ALGORITHM_MISMATCH",
            Reason::BadSignature => "BAD_SIGNATURE",
            Reason::MalformedClaims => "MALFORMED_CLAIMS",
            Reason::MissingClaim => "MISSING_CLAIM",
            Reason::InvalidClaim => "INVALID_CLAIM",
            Reason::Expired => "TOKEN_EXPIRED",
            Reason::NotYetValid => "TOKEN_NOT_YET_VALID",
            Reason::WrongIssuer => "WRONG_ISSUER",
            Reason::WrongAudience => "WRONG_AUDIENCE",
            Reason::NoRole => "NO_ROLE",
            Reason::RoleNotAdmitted => "ROLE_NOT_ADMITTED",
            Reason::KeysUnavailable => "KEYS_UNAVAILABLE",
        }
    }

    fn code(self) -> Code {
        match self {
            Reason::RoleNotAdmitted => Code::PermissionDenied,
            Reason::KeysUnavailable => Code::Unavailable,
            _ => Code::Unauthenticated,
        }
    }
}

/// A call that was not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    pub reason: Reason,
    pub message: String,
    /// The request field the refusal is about ([`FIELD`] unless said otherwise).
    pub field: &'static str,
}

impl AuthError {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            field: FIELD,
        }
    }

    /// The same refusal, about another request field.
    pub fn about(mut self, field: &'static str) -> Self {
        self.field = field;
        self
    }

    pub fn code(&self) -> Code {
        self.reason.code()
    }
}

impl AuthError {
    /// The status of this refusal, from a service whose ErrorInfo domain is `domain`.
    pub fn to_status(&self, domain: &str) -> Status {
        let metadata = HashMap::from([("field".to_owned(), self.field.to_owned())]);
        let details = ErrorDetails::with_error_info(self.reason.as_str(), domain, metadata);
        let message = match self.reason {
            Reason::KeysUnavailable => self.message.clone(),
            _ => format!("{}: {}", self.field, self.message),
        };
        Status::with_error_details(self.code(), message, details)
    }
}
