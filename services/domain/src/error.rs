//! The one error type of the domain. Each variant maps to one gRPC status at the
//! edge; every variant names the request field it is about, so a client can show
//! the user what to fix.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A value is malformed or out of range (INVALID_ARGUMENT).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The command names something that is not registered (NOT_FOUND).
    #[error("{field}: {what} '{id}' is not registered")]
    NotFound {
        field: String,
        what: &'static str,
        id: String,
    },
    /// The command would register something a second time (ALREADY_EXISTS).
    #[error("{field}: {what} '{id}' is already registered")]
    AlreadyExists {
        field: String,
        what: &'static str,
        id: String,
    },
    /// A programme rule forbids the command in the current state (FAILED_PRECONDITION).
    #[error("{field}: {reason}")]
    Rule { field: String, reason: String },
    /// The actor may not do this act (PERMISSION_DENIED).
    #[error("{field}: {reason}")]
    PermissionDenied { field: String, reason: String },
    /// The client saw another version of the stream than the current one (ABORTED).
    #[error(
        "submission.expected_version: stream {stream} is at version {actual}, not {expected}; reload and retry"
    )]
    VersionConflict {
        stream: String,
        expected: u64,
        actual: u64,
    },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn rule(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Rule {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn not_found(field: impl Into<String>, what: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            field: field.into(),
            what,
            id: id.to_string(),
        }
    }

    pub fn already_exists(field: impl Into<String>, what: &'static str, id: impl ToString) -> Self {
        Self::AlreadyExists {
            field: field.into(),
            what,
            id: id.to_string(),
        }
    }

    pub fn denied(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::PermissionDenied {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The request field the error is about.
    pub fn field(&self) -> &str {
        match self {
            Self::Invalid { field, .. }
            | Self::NotFound { field, .. }
            | Self::AlreadyExists { field, .. }
            | Self::Rule { field, .. }
            | Self::PermissionDenied { field, .. } => field,
            Self::VersionConflict { .. } => "submission.expected_version",
        }
    }
}
