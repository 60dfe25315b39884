//! The command line's one error type, and the exit code of each kind of failure.
//!
//! Scripts branch on the exit code, people read the one line printed on stderr. The
//! codes are part of the command line's contract (`saman --help` lists them; see
//! docs/cli.md).

use std::fmt;
use std::process::ExitCode;

use tonic::Code;
use tonic_types::StatusExt;

/// What went wrong, grouped by what the user can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A bug, or a failure the CLI cannot classify.
    Unexpected,
    /// The command line itself is incomplete (as clap's own usage errors).
    Usage,
    /// A bad value in the request (gRPC INVALID_ARGUMENT or OUT_OF_RANGE).
    InvalidArgument,
    /// A zone, NGO, member, agency, need, referral or proposal that is not registered.
    NotFound,
    /// A programme rule or the actor's role refuses the act (FAILED_PRECONDITION,
    /// PERMISSION_DENIED).
    Refused,
    /// Someone else wrote first (ABORTED), or the thing already exists / the
    /// submission id was used for something else (ALREADY_EXISTS).
    Conflict,
    /// The service cannot be reached (or not over trusted TLS), or is shutting down
    /// (UNAVAILABLE).
    Unreachable,
    /// A read waited for writes the projection has not applied yet (DEADLINE_EXCEEDED),
    /// or a login's code expired before the sign-in.
    TimedOut,
    /// No token, or the service refused the token (UNAUTHENTICATED), or the identity
    /// provider refused a login.
    Unauthenticated,
}

impl Kind {
    /// The process exit code. 2 is left to clap's usage errors.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Unexpected => 1,
            Kind::Usage => 2,
            Kind::InvalidArgument => 3,
            Kind::NotFound => 4,
            Kind::Refused => 5,
            Kind::Conflict => 6,
            Kind::Unreachable => 7,
            Kind::TimedOut => 8,
            Kind::Unauthenticated => 9,
        }
    }

    fn of(code: Code) -> Kind {
        match code {
            Code::InvalidArgument | Code::OutOfRange => Kind::InvalidArgument,
            Code::NotFound => Kind::NotFound,
            Code::FailedPrecondition | Code::PermissionDenied => Kind::Refused,
            Code::Aborted | Code::AlreadyExists => Kind::Conflict,
            Code::Unavailable => Kind::Unreachable,
            Code::DeadlineExceeded => Kind::TimedOut,
            Code::Unauthenticated => Kind::Unauthenticated,
            _ => Kind::Unexpected,
        }
    }
}

/// The exit codes, as `saman --help` shows them (a macro, so the help text can be
/// put together with `concat!`).
#[macro_export]
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0  done
  1  unexpected failure
  2  bad command line (unknown flag, missing argument, no --as where one is needed)
  3  invalid argument: the service refused a value (the field is named)
  4  not found: an unknown zone, NGO, member, agency, need, referral or proposal
  5  refused: a programme rule or the actor's role forbids the act, or the sign-in
     was denied at the identity provider (saman login)
  6  conflict: the stream moved on (--expected-version), already registered, or a
     submission id reused with other content
  7  unreachable: the service is not running or not reachable, its certificate is
     not trusted (--ca-file), or it refused the client certificate
  8  timed out: a read waited for writes the projection has not applied yet, or
     the code of saman login expired before the sign-in was approved
  9  not authenticated: no token (--token, saman login, or --dev-key in
     development), the service refused it (the reason is named), or the
     identity provider refused the login or its renewal"
    };
}

pub const EXIT_CODES: &str = exit_codes!();

/// A failure of one command: the kind, the request fields it is about (from the
/// status's ErrorInfo and BadRequest details) and the message for people.
#[derive(Debug, Clone)]
pub struct CliError {
    pub kind: Kind,
    /// The gRPC status code's name (`NOT_FOUND`), when the failure came from a service.
    pub code: Option<&'static str>,
    pub fields: Vec<String>,
    pub message: String,
}

impl CliError {
    pub fn new(kind: Kind, message: impl Into<String>) -> CliError {
        CliError {
            kind,
            code: None,
            fields: Vec::new(),
            message: message.into(),
        }
    }

    /// A value the command line itself cannot use (a malformed `--goal`, say), named
    /// like a request field so it reads as the service's own refusals do.
    pub fn invalid(field: &str, message: impl fmt::Display) -> CliError {
        CliError {
            kind: Kind::InvalidArgument,
            code: None,
            fields: vec![field.to_string()],
            message: format!("{field}: {message}"),
        }
    }

    /// The service at `address` could not be reached at all.
    pub fn unreachable(service: &str, address: &str, cause: impl fmt::Display) -> CliError {
        CliError::new(
            Kind::Unreachable,
            format!(
                "cannot reach the {service} service at {address}: {cause} (is it running? \
                 `scripts/dev` starts it; --{service} or SAMAN_{} sets the address)",
                service.to_uppercase()
            ),
        )
    }

    /// The TLS handshake with the service at `address` failed on a certificate: the
    /// server's is not trusted, or the server refused the client's.
    pub fn certificate(
        service: &str,
        address: Option<&str>,
        failure: &saman_runtime::tls::CertificateFailure,
    ) -> CliError {
        use saman_runtime::tls::CertificateFailure as Failure;
        let at = address.map(|a| format!(" at {a}")).unwrap_or_default();
        let message = match failure {
            Failure::ServerNotTrusted(why) => format!(
                "the {service} service{at}: the server's certificate is not trusted ({why}); \
                 give the authority that signed it with --ca-file (SAMAN_CA_FILE)"
            ),
            Failure::ClientRefused(why) => format!(
                "the {service} service{at} refused the client certificate ({why}): it \
                 requires one its authority signed (--client-cert and --client-key)"
            ),
        };
        CliError::new(Kind::Unreachable, message)
    }

    /// The status a service answered with, keeping the fields its details name.
    pub fn from_status(service: &str, status: &tonic::Status) -> CliError {
        let details = status.get_error_details();
        let mut fields = Vec::new();
        if let Some(bad) = details.bad_request() {
            fields.extend(bad.field_violations.iter().map(|v| v.field.clone()));
        }
        if let Some(info) = details.error_info()
            && let Some(field) = info.metadata.get("field")
            && !fields.contains(field)
        {
            fields.insert(0, field.clone());
        }
        if let Some(failure) =
            std::error::Error::source(status).and_then(saman_runtime::tls::CertificateFailure::of)
        {
            return CliError::certificate(service, None, &failure);
        }
        let transport = status.source().is_some() && status.code() != Code::Unavailable;
        // The connection failed under the call (closed, reset): the service is not
        // reachable, whatever code the client library made of it.
        let kind = if transport {
            Kind::Unreachable
        } else {
            Kind::of(status.code())
        };
        let mut message = status.message().to_string();
        if message.is_empty() {
            message = format!("the {service} service answered {:?}", status.code());
        }
        // A transport failure: what failed, not only "transport error".
        if let Some(source) = status.source()
            && fields.is_empty()
        {
            message = format!("{message}: {}", source_chain(source));
        }
        if transport {
            // A service that requires client certificates closes the connection of a
            // client without one; the client does not always learn why.
            message.push_str(
                " (if the service requires client certificates: --client-cert and --client-key)",
            );
        }
        // A transport failure (connection refused, reset) also arrives as UNAVAILABLE.
        if kind == Kind::Unreachable && status.source().is_some() && fields.is_empty() {
            message = format!("the {service} service is unreachable: {message}");
        }
        CliError {
            kind,
            code: Some(saman_runtime::grpc::code_name(status.code())),
            fields,
            message,
        }
    }

    /// The error as a JSON object, for `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "kind": format!("{:?}", self.kind),
                "exit_code": self.kind.exit_code(),
                "code": self.code,
                "fields": self.fields,
                "message": self.message,
            }
        })
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind.exit_code())
    }
}

use std::error::Error as _;

/// "transport error: tcp connect error: Connection refused (os error 111)": the
/// causes in one line, since tonic's own Display stops at the outermost.
pub(crate) fn source_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

impl fmt::Display for CliError {
    /// One line: what kind, which fields, the service's words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Unexpected => "failed",
            Kind::Usage => "usage",
            Kind::InvalidArgument => "invalid argument",
            Kind::NotFound => "not found",
            Kind::Refused => "refused",
            Kind::Conflict => "conflict",
            Kind::Unreachable => "unreachable",
            Kind::TimedOut => "timed out",
            Kind::Unauthenticated => "not authenticated",
        };
        write!(f, "{kind}")?;
        if !self.fields.is_empty() {
            write!(f, " [{}]", self.fields.join(", "))?;
        }
        // Keep it to one line whatever the service wrote.
        let message = self
            .message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        write!(f, ": {message}")
    }
}

impl std::error::Error for CliError {}

impl From<anyhow::Error> for CliError {
    fn from(err: anyhow::Error) -> Self {
        CliError::new(Kind::Unexpected, format!("{err:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, FieldViolation};

    #[test]
    fn a_bad_request_names_every_field_on_one_line() {
        let details = ErrorDetails::with_bad_request(vec![
            FieldViolation::new("title", "must not be empty"),
            FieldViolation::new("households_affected", "too many"),
        ]);
        let status = tonic::Status::with_error_details(
            Code::InvalidArgument,
            "title: must not be empty\nand more",
            details,
        );
        let err = CliError::from_status("intake", &status);
        assert_eq!(err.kind.exit_code(), 3);
        assert_eq!(
            err.to_string(),
            "invalid argument [title, households_affected]: title: must not be empty and more"
        );
    }

    #[test]
    fn each_kind_has_its_own_exit_code() {
        let kinds = [
            Kind::Unexpected,
            Kind::Usage,
            Kind::InvalidArgument,
            Kind::NotFound,
            Kind::Refused,
            Kind::Conflict,
            Kind::Unreachable,
            Kind::TimedOut,
        ];
        let mut codes: Vec<u8> = kinds.iter().map(|k| k.exit_code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), kinds.len());
        assert!(!codes.contains(&0));
    }
}
