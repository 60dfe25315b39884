//! What a refused request must carry: the code, the field named in the message, in
//! the ErrorInfo and in the detail of its kind, in bounded metadata.

use tonic::{Code, Response, Status};
use tonic_types::{ErrorInfo, StatusExt};

/// The most metadata a refusal may take: well inside the 16 KiB gRPC clients accept
/// for all headers together.
pub const MAX_REFUSAL_BYTES: usize = 8 * 1024;

/// About how many bytes of metadata `status` takes on the wire: its `grpc-message`
/// percent-encoded (bytes outside printable ASCII take three) and its details in base64.
pub fn status_metadata_size(status: &Status) -> usize {
    let message: usize = status
        .message()
        .bytes()
        .map(|b| {
            if (0x20..0x7f).contains(&b) && b != b'%' {
                1
            } else {
                3
            }
        })
        .sum();
    message + status.details().len().div_ceil(3) * 4 + 64
}

/// Asserts that `status` has `code` and fits in bounded metadata; `what` names the case
/// in a failure.
#[track_caller]
pub fn assert_code_in_bounds(status: &Status, code: Code, what: &str) {
    assert_eq!(status.code(), code, "{what}: {status:?}");
    let size = status_metadata_size(status);
    assert!(
        size <= MAX_REFUSAL_BYTES,
        "{what}: the refusal takes {size} bytes of metadata: {status:?}"
    );
}

/// Asserts that `status` is `code` for `reason` of `domain`, as its google.rpc.ErrorInfo
/// says; that ErrorInfo, for whatever else a test checks of it.
#[track_caller]
pub fn assert_refused_for(status: &Status, code: Code, domain: &str, reason: &str) -> ErrorInfo {
    assert_eq!(status.code(), code, "{status:?}");
    let info = status
        .get_details_error_info()
        .expect("a google.rpc.ErrorInfo");
    assert_eq!(info.reason, reason, "{status:?}");
    assert_eq!(info.domain, domain, "{status:?}");
    info
}

/// The `domain` of every ErrorInfo intake returns.
pub const ERROR_DOMAIN: &str = "saman.intake.v1";

/// Asserts that `result` is a refusal with `code`, naming `field` in the message, in
/// the ErrorInfo metadata `field` and in the detail of its kind.
pub async fn refused<T>(result: Result<Response<T>, Status>, code: Code, field: &str) {
    let status = match result {
        Ok(_) => panic!("expected {code:?} naming {field}, but the request was accepted"),
        Err(status) => status,
    };
    assert_code_in_bounds(&status, code, field);
    let info = status
        .get_details_error_info()
        .unwrap_or_else(|| panic!("{field}: no google.rpc.ErrorInfo in {status:?}"));
    assert_eq!(info.domain, ERROR_DOMAIN, "{status:?}");
    assert_eq!(
        info.metadata.get("field").map(String::as_str),
        Some(field),
        "ErrorInfo metadata `field` of {status:?}"
    );
    assert!(
        status.message().contains(field),
        "the message does not name {field}: {}",
        status.message()
    );
    match code {
        Code::InvalidArgument => {
            let bad_request = status
                .get_details_bad_request()
                .unwrap_or_else(|| panic!("{field}: no google.rpc.BadRequest in {status:?}"));
            assert!(
                bad_request
                    .field_violations
                    .iter()
                    .any(|v| v.field == field && !v.description.is_empty()),
                "no BadRequest violation of {field}: {bad_request:?}"
            );
        }
        Code::FailedPrecondition | Code::Aborted => {
            let failure = status
                .get_details_precondition_failure()
                .unwrap_or_else(|| {
                    panic!("{field}: no google.rpc.PreconditionFailure in {status:?}")
                });
            // ABORTED is a stale stream version; FAILED_PRECONDITION names the field.
            let (violated, missing) = if code == Code::Aborted {
                let version = failure.violations.iter().any(|v| v.r#type == "VERSION");
                (version, "VERSION violation".to_owned())
            } else {
                let named = failure.violations.iter().any(|v| v.subject == field);
                (named, format!("PreconditionFailure violation of {field}"))
            };
            assert!(violated, "no {missing}: {failure:?}");
        }
        Code::NotFound | Code::AlreadyExists => {
            let resource = status
                .get_details_resource_info()
                .unwrap_or_else(|| panic!("{field}: no google.rpc.ResourceInfo in {status:?}"));
            assert!(!resource.resource_type.is_empty(), "{resource:?}");
        }
        _ => {}
    }
}
