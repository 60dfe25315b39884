//! Serving gRPC the same way in both services: health (NOT_SERVING until ready) and
//! reflection beside the service, over TLS (or plaintext when asked for), and a
//! graceful stop bounded by a grace period.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Router;

/// The health service with `S` reported NOT_SERVING: both services serve gRPC at once
/// and turn SERVING when their NATS side is ready.
pub async fn health_not_serving<S: tonic::server::NamedService>() -> (
    tonic_health::server::HealthReporter,
    tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>,
) {
    let (health, service) = tonic_health::server::health_reporter();
    health.set_not_serving::<S>().await;
    (health, service)
}

/// The services reflection lists beside a port's own: health and reflection itself.
const INFRASTRUCTURE: [&str; 3] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Server reflection, v1 and v1alpha (what older tools such as some grpcurl builds ask),
/// listing what the port serves: `services` (full names, from the encoded
/// `descriptor_sets`), health and reflection; nothing else the descriptors hold.
#[allow(clippy::type_complexity)]
pub fn reflection(
    descriptor_sets: &[&[u8]],
    services: &[&str],
) -> anyhow::Result<(
    tonic_reflection::server::v1::ServerReflectionServer<
        impl tonic_reflection::server::v1::ServerReflection,
    >,
    tonic_reflection::server::v1alpha::ServerReflectionServer<
        impl tonic_reflection::server::v1alpha::ServerReflection,
    >,
)> {
    let builder = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
        for set in descriptor_sets {
            builder = builder.register_encoded_file_descriptor_set(set);
        }
        for name in services.iter().chain(&INFRASTRUCTURE) {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    Ok((
        builder()
            .build_v1()
            .context("Failed to build the reflection service")?,
        builder()
            .build_v1alpha()
            .context("Failed to build the reflection service (v1alpha)")?,
    ))
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops taking calls
/// and lets in-flight ones finish, waiting at most `grace`. With `tls` (from
/// [`crate::flags::TlsFlags::server_config`]) every connection is TLS
/// ([`crate::tls::TlsListener`]: a plaintext client's connection is dropped at the
/// handshake); without, plaintext.
pub async fn serve<L, ResBody>(
    router: Router<L>,
    listener: TcpListener,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> anyhow::Result<()>
where
    L: tower::Layer<tonic::service::Routes>,
    L::Service: tower::Service<http::Request<tonic::body::Body>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    <L::Service as tower::Service<http::Request<tonic::body::Body>>>::Future: Send,
    <L::Service as tower::Service<http::Request<tonic::body::Body>>>::Error:
        Into<Box<dyn std::error::Error + Send + Sync>> + Send,
    ResBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    ResBody::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stopping = CancellationToken::new();
    tokio::spawn({
        let stopping = stopping.clone();
        async move {
            shutdown.await;
            stopping.cancel();
        }
    });
    let stop = stopping.clone().cancelled_owned();
    let serve = match tls {
        Some(config) => futures::future::Either::Left(router.serve_with_incoming_shutdown(
            crate::tls::TlsListener::new(listener, config).incoming(),
            stop,
        )),
        None => futures::future::Either::Right(
            router.serve_with_incoming_shutdown(TcpListenerStream::new(listener), stop),
        ),
    };
    tokio::select! {
        served = serve => served.context("gRPC server failed")?,
        () = async { stopping.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "in-flight calls did not finish within the grace period");
        }
    }
    Ok(())
}

/// The default of `--max-request-bytes`: the largest request message a service
/// decodes. Far above any valid request (the largest, a zone with all its goals at their
/// longest, is about 110 KB), far below what would let one call take much memory.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// gRPC specifies RESOURCE_EXHAUSTED for a message larger than the server accepts, but
/// tonic answers OUT_OF_RANGE ("Error, decoded message length too large"). This layer,
/// around a whole server, rewrites exactly that answer: RESOURCE_EXHAUSTED, a message
/// naming the limit and the flag that sets it, and a `google.rpc.ErrorInfo` (reason
/// `MESSAGE_TOO_LARGE`, metadata `limit`) in `error_domain`.
pub fn message_size_layer<B>(
    error_domain: &'static str,
    flag: &'static str,
) -> tower::util::MapResponseLayer<impl Fn(http::Response<B>) -> http::Response<B> + Clone> {
    tower::util::MapResponseLayer::new(move |mut response: http::Response<B>| {
        let headers = response.headers_mut();
        let Some(status) = tonic::Status::from_header_map(headers) else {
            return response;
        };
        let tonic_says = "Error, decoded message length too large: ";
        let Some(sizes) = status.message().strip_prefix(tonic_says) else {
            return response;
        };
        if status.code() != tonic::Code::OutOfRange {
            return response;
        }
        let limit = sizes
            .rsplit("the limit is: ")
            .next()
            .and_then(|l| l.strip_suffix(" bytes"))
            .unwrap_or_default()
            .to_owned();
        let details = tonic_types::ErrorDetails::with_error_info(
            "MESSAGE_TOO_LARGE",
            error_domain,
            std::collections::HashMap::from([("limit".to_owned(), limit)]),
        );
        use tonic_types::StatusExt;
        let rewritten = tonic::Status::with_error_details(
            tonic::Code::ResourceExhausted,
            format!("the request message is too large ({sizes}); the limit is set by {flag}"),
            details,
        );
        headers.remove("grpc-status-details-bin");
        if rewritten.add_header(headers).is_err() {
            tracing::warn!("could not rewrite a message-size refusal");
        }
        response
    })
}

/// A status code's name as gRPC spells it (`NOT_FOUND`): for metric labels, logs and
/// the command line's JSON errors.
pub fn code_name(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::Ok => "OK",
        tonic::Code::Cancelled => "CANCELLED",
        tonic::Code::Unknown => "UNKNOWN",
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Aborted => "ABORTED",
        tonic::Code::OutOfRange => "OUT_OF_RANGE",
        tonic::Code::Unimplemented => "UNIMPLEMENTED",
        tonic::Code::Internal => "INTERNAL",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::DataLoss => "DATA_LOSS",
        tonic::Code::Unauthenticated => "UNAUTHENTICATED",
    }
}
