//! The one place a gRPC call is seen before the service that answers it, and after:
//! [`RpcLayer`], around a whole server (`Server::builder().layer(...)`), the same in
//! both services.
//!
//! For each call of the services it is given (health and reflection pass through
//! untouched), it
//! - opens the call's span, a child of the caller's trace when the call carries a W3C
//!   `traceparent`: the service's handler runs in it (and records its own fields on
//!   `Span::current()`), and so does the streaming of its response;
//! - when the response ends, records a counter of calls by `rpc` and `code` (the gRPC
//!   status, as [`crate::grpc::code_name`] spells it) and a histogram of their
//!   durations by `rpc` (from the call's arrival to its last frame: for a streaming
//!   RPC, how long the stream lasted), and logs a refusal (INFO) or a failure (ERROR)
//!   with its status.
//!
//! `rpc` is the method's name as the `.proto` spells it (`DeclareNeed`), taken from
//! the services' descriptors: a path that names no method of them is passed through
//! unmeasured, so callers cannot make up label values.
//!
//! What every call must pass before it reaches a service (authentication) is an
//! [`Admit`] given to the layer ([`RpcLayer::with_admit`]): it runs inside the call's
//! span, before the service; a refusal is answered at once (and measured like any
//! other answer), an admission's extensions (the caller) go on the request, where the
//! service reads them.
//!
//! With [`RpcLayer::with_limits`] the layer also bounds what one client holds
//! ([`crate::limits`]): a call beyond its connection's limit is refused before it is
//! admitted (so a flood costs no token checks), one beyond its caller's (or, for a
//! response stream, its caller's or the service's stream limit) once the caller is
//! known; RESOURCE_EXHAUSTED, measured like any answer, never seen by the service. A
//! call's places are given back when its response ends or is dropped (the call ended,
//! the caller cancelled it or went away). A unary call not answered within the
//! timeout is abandoned (its handler dropped) and answered DEADLINE_EXCEEDED.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use anyhow::Context as _;
use http_body::{Body, Frame, SizeHint};
use prost::Message;
use tracing::Instrument;

use crate::grpc::code_name;
use crate::limits::{self, CallerKey, Holder, Limits, Slot, Tally};
use crate::telemetry;

/// The span of one call, given its RPC's name; [`RpcLayer`] sets its parent.
pub type MakeSpan = fn(rpc: &str) -> tracing::Span;

/// The future of an admission: extensions for the request, or the refusal.
pub type Admission = Pin<Box<dyn Future<Output = Result<http::Extensions, tonic::Status>> + Send>>;

/// What admits a call before its service sees it.
pub trait Admit: Send + Sync + 'static {
    /// Admits the call to `path` (`/package.Service/Method`) with these headers.
    fn admit(&self, path: &str, headers: &http::HeaderMap) -> Admission;
}

/// The layer; cheap to clone.
#[derive(Clone)]
pub struct RpcLayer {
    calls: Arc<Calls>,
}

/// What the layer knows of the services it measures.
#[derive(Clone)]
struct Calls {
    /// `/package.Service/Method` -> `Method`.
    methods: HashMap<String, Method>,
    /// The services measured, by full name: what the port serves beside health and
    /// reflection.
    services: Arc<[String]>,
    span: MakeSpan,
    admit: Option<Arc<dyn Admit>>,
    limits: Option<Limited>,
    /// The counter `{rpc, code}` and the histogram `{rpc}`.
    total: &'static str,
    duration: &'static str,
}

/// A method of the services measured.
#[derive(Clone)]
struct Method {
    /// Its service's full name (`saman.intake.v1.Intake`).
    service: Arc<str>,
    /// As the `.proto` spells it.
    rpc: Arc<str>,
    /// Its response is a stream (a watch): bounded as one, and not timed.
    streaming: bool,
}

/// The limits of [`RpcLayer::with_limits`] and what is open.
#[derive(Clone)]
struct Limited {
    limits: Limits,
    /// The ErrorInfo domain of the refusals.
    domain: &'static str,
    tally: Arc<Tally>,
}

/// The default span of a call: `request`, with its `rpc`.
fn request_span(rpc: &str) -> tracing::Span {
    tracing::info_span!("request", rpc)
}

impl RpcLayer {
    /// Measures the calls of `services` (full names, e.g. `saman.intake.v1.Intake`),
    /// whose methods are read from `descriptors` (an encoded `FileDescriptorSet`), as
    /// the counter `total{rpc,code}` and the histogram `duration{rpc}` (seconds).
    pub fn new(
        descriptors: &[u8],
        services: &[&str],
        total: &'static str,
        duration: &'static str,
    ) -> anyhow::Result<Self> {
        let set = prost_types::FileDescriptorSet::decode(descriptors)
            .context("Failed to read the gRPC descriptors")?;
        let mut methods = HashMap::new();
        for service in services {
            let found = set.file.iter().find_map(|file| {
                file.service.iter().find(|s| {
                    let full = format!("{}.{}", file.package(), s.name());
                    full == *service
                })
            });
            let found =
                found.with_context(|| format!("no service {service} in the descriptors"))?;
            for method in &found.method {
                let m = Method {
                    service: Arc::from(*service),
                    rpc: Arc::from(method.name()),
                    streaming: method.server_streaming(),
                };
                // Present at 0 from the start, so that a rate or an alert has a series
                // before the first call.
                metrics::counter!(total, "rpc" => m.rpc.clone(), "code" => "OK").increment(0);
                grpc_started(&m).increment(0);
                grpc_handled(&m, tonic::Code::Ok).increment(0);
                methods.insert(format!("/{service}/{}", method.name()), m);
            }
        }
        Ok(Self {
            calls: Arc::new(Calls {
                methods,
                services: services.iter().map(|s| (*s).to_owned()).collect(),
                span: request_span,
                admit: None,
                limits: None,
                total,
                duration,
            }),
        })
    }

    /// Opens each call's span with `span` (its name and the fields the service
    /// records) instead of a `request` span.
    pub fn with_span(mut self, span: MakeSpan) -> Self {
        Arc::make_mut(&mut self.calls).span = span;
        self
    }

    /// Admits every call through `admit` first (every call: also those of services
    /// the layer does not measure, such as health and reflection, which `admit`
    /// decides on by their path).
    pub fn with_admit(mut self, admit: Arc<dyn Admit>) -> Self {
        Arc::make_mut(&mut self.calls).admit = Some(admit);
        self
    }

    /// Bounds the calls of the services measured by `limits`; refusals carry
    /// `domain` in their ErrorInfo.
    pub fn with_limits(mut self, limits: Limits, domain: &'static str) -> Self {
        Arc::make_mut(&mut self.calls).limits = Some(Limited {
            limits,
            domain,
            tally: Arc::default(),
        });
        self
    }
}

impl<S> tower::Layer<S> for RpcLayer {
    type Service = Rpc<S>;

    fn layer(&self, inner: S) -> Rpc<S> {
        Rpc {
            inner,
            calls: self.calls.clone(),
        }
    }
}

/// The service [`RpcLayer`] makes.
#[derive(Clone)]
pub struct Rpc<S> {
    inner: S,
    calls: Arc<Calls>,
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for Rpc<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Body + Unpin,
{
    type Response = http::Response<Measured<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        // The service that was polled ready serves this call; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let admit = self.calls.admit.clone();
        let Some(method) = self.calls.methods.get(request.uri().path()).cloned() else {
            let unserved = unserved(request.uri().path(), &self.calls.services);
            return Box::pin(async move {
                if let Some(admit) = admit {
                    let path = request.uri().path().to_owned();
                    match admit.admit(&path, request.headers()).await {
                        Ok(extensions) => request.extensions_mut().extend(extensions),
                        Err(status) => return Ok(refusal(status, None)),
                    }
                }
                if let Some(status) = unserved {
                    return Ok(refusal(status, None));
                }
                Ok(inner.call(request).await?.map(|body| Measured {
                    body: Some(body),
                    call: None,
                }))
            });
        };
        grpc_started(&method).increment(1);
        let span = (self.calls.span)(&method.rpc);
        let traceparent = request
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok());
        telemetry::set_parent(&span, traceparent);
        let started = Instant::now();
        let calls = self.calls.clone();
        Box::pin(
            async move {
                let limited = calls.limits.clone();
                let answering = answer(inner, request, admit, limited.as_ref(), method.streaming);
                // A unary call is timed from its arrival to its answer (admission
                // included); a stream lasts as long as its caller keeps it.
                let answered = match &limited {
                    Some(limited) if !method.streaming => {
                        let timeout = limited.limits.unary_timeout;
                        match tokio::time::timeout(timeout, answering).await {
                            Ok(answered) => answered?,
                            Err(_) => Err(limits::timed_out(&limited.limits, limited.domain)),
                        }
                    }
                    _ => answering.await?,
                };
                let call = |status, slots| Call {
                    calls,
                    method,
                    span: tracing::Span::current(),
                    started,
                    status,
                    slots,
                };
                Ok(match answered {
                    Ok((response, slots)) => {
                        // A refusal comes as headers only; an answer's status is in its
                        // trailers.
                        let status = tonic::Status::from_header_map(response.headers());
                        let call = call(status, slots);
                        response.map(|body| Measured {
                            body: Some(body),
                            call: Some(call),
                        })
                    }
                    Err(status) => {
                        let headers_only = Some(status.clone());
                        refusal(status, Some(call(headers_only, Vec::new())))
                    }
                })
            }
            .instrument(span),
        )
    }
}

/// Takes the call's place on its connection, admits it, takes its caller's places, and
/// has the service answer it: the response and the places it holds until it ends, or
/// the refusal (the places taken so far given back).
async fn answer<S, ReqBody, ResBody>(
    mut inner: S,
    mut request: http::Request<ReqBody>,
    admit: Option<Arc<dyn Admit>>,
    limited: Option<&Limited>,
    streaming: bool,
) -> Result<Result<(http::Response<ResBody>, Vec<Slot>), tonic::Status>, S::Error>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
{
    let mut slots = Vec::new();
    let connection = limits::connection_of(request.extensions());
    if let Some(limited) = limited {
        match connection {
            Some(connection) => match limited.tally.call_on(connection, &limited.limits) {
                Some(slot) => slots.push(slot),
                None => {
                    let exceeded = limits::Exceeded::CallsPerConnection;
                    return Ok(Err(limited.refusal(exceeded, None)));
                }
            },
            None => unknown_connections(),
        }
    }
    if let Some(admit) = admit {
        let path = request.uri().path().to_owned();
        match admit.admit(&path, request.headers()).await {
            Ok(extensions) => request.extensions_mut().extend(extensions),
            Err(status) => return Ok(Err(status)),
        }
    }
    if let Some(limited) = limited {
        let holder = match (request.extensions().get::<CallerKey>(), connection) {
            (Some(caller), _) => Some(Holder::Caller(caller.clone())),
            (None, Some(connection)) => Some(Holder::Connection(connection)),
            (None, None) => None,
        };
        match limited
            .tally
            .call_of(holder.as_ref(), streaming, &limited.limits)
        {
            Ok(more) => slots.extend(more),
            Err(exceeded) => return Ok(Err(limited.refusal(exceeded, holder.as_ref()))),
        }
    }
    let response = inner.call(request).await?;
    Ok(Ok((response, slots)))
}

impl Limited {
    fn refusal(&self, exceeded: limits::Exceeded, holder: Option<&Holder>) -> tonic::Status {
        limits::refusal(exceeded, holder, &self.limits, self.domain)
    }
}

/// A server whose connections say nothing of their peer cannot count calls per
/// connection: said once, as a warning.
fn unknown_connections() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!(
            "calls are not counted per connection: the connections give no peer address \
             (their stream's connect info is neither a Peer nor a TCP or TLS connection's)"
        );
    });
}

/// A refusal before the service: a headers-only answer with the status.
/// The standard gRPC server metrics, as go-grpc-prometheus names them (what dashboards
/// and alerts written for any gRPC server expect), beside the services' own.
pub const GRPC_STARTED_TOTAL: &str = "grpc_server_started_total";
pub const GRPC_HANDLED_TOTAL: &str = "grpc_server_handled_total";
pub const GRPC_HANDLING_SECONDS: &str = "grpc_server_handling_seconds";

/// `grpc_type`, `grpc_service`, `grpc_method` of a method.
fn grpc_labels(m: &Method) -> [metrics::Label; 3] {
    let kind = if m.streaming {
        "server_stream"
    } else {
        "unary"
    };
    [
        metrics::Label::new("grpc_type", kind),
        metrics::Label::new("grpc_service", m.service.to_string()),
        metrics::Label::new("grpc_method", m.rpc.to_string()),
    ]
}

fn grpc_started(m: &Method) -> metrics::Counter {
    metrics::counter!(GRPC_STARTED_TOTAL, grpc_labels(m).to_vec())
}

fn grpc_handled(m: &Method, code: tonic::Code) -> metrics::Counter {
    let mut labels = grpc_labels(m).to_vec();
    labels.push(metrics::Label::new("grpc_code", go_code_name(code)));
    metrics::counter!(GRPC_HANDLED_TOTAL, labels)
}

/// A status code as Go's `codes.Code.String()` spells it, which `grpc_code` uses.
fn go_code_name(code: tonic::Code) -> &'static str {
    use tonic::Code as C;
    match code {
        C::Ok => "OK",
        C::Cancelled => "Canceled",
        C::Unknown => "Unknown",
        C::InvalidArgument => "InvalidArgument",
        C::DeadlineExceeded => "DeadlineExceeded",
        C::NotFound => "NotFound",
        C::AlreadyExists => "AlreadyExists",
        C::PermissionDenied => "PermissionDenied",
        C::ResourceExhausted => "ResourceExhausted",
        C::FailedPrecondition => "FailedPrecondition",
        C::Aborted => "Aborted",
        C::OutOfRange => "OutOfRange",
        C::Unimplemented => "Unimplemented",
        C::Internal => "Internal",
        C::Unavailable => "Unavailable",
        C::DataLoss => "DataLoss",
        C::Unauthenticated => "Unauthenticated",
    }
}

/// UNIMPLEMENTED, saying what the port serves, for a call of a method this port does
/// not serve (another service's, or a name no service has); `None` for the port's own
/// and for health and reflection, which their services answer.
fn unserved(path: &str, services: &[String]) -> Option<tonic::Status> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    if service.starts_with("grpc.health.") || service.starts_with("grpc.reflection.") {
        return None;
    }
    let serves = services.join(", ");
    // A path is a URI's (no control characters), but may be long: the message quotes
    // at most 64 characters of each part, so that it fits in gRPC metadata.
    let cut = |part: &str| match part.char_indices().nth(64) {
        Some((at, _)) => format!("'{}…'", &part[..at]),
        None => format!("'{part}'"),
    };
    Some(tonic::Status::unimplemented(
        if services.iter().any(|s| s == service) {
            format!(
                "{} has no method {}; this port serves {serves}",
                cut(service),
                cut(method)
            )
        } else {
            format!(
                "{} is not served on this port; it serves {serves} (and health, reflection)",
                cut(service)
            )
        },
    ))
}

fn refusal<B>(status: tonic::Status, call: Option<Call>) -> http::Response<Measured<B>> {
    status
        .into_http::<()>()
        .map(|()| Measured { body: None, call })
}

/// One measured call, until its response ends.
struct Call {
    calls: Arc<Calls>,
    method: Method,
    span: tracing::Span,
    started: Instant,
    /// The status of a headers-only response.
    status: Option<tonic::Status>,
    /// The places the call holds ([`crate::limits`]), given back when it ends.
    slots: Vec<Slot>,
}

impl Call {
    /// Records the call with the status it ended with (`None`: ended without one).
    fn end(self, status: Option<tonic::Status>) {
        drop(self.slots);
        let status = self.status.or(status);
        let code = status
            .as_ref()
            .map_or(tonic::Code::Unknown, tonic::Status::code);
        let calls = &self.calls;
        let rpc = self.method.rpc.clone();
        let seconds = self.started.elapsed().as_secs_f64();
        metrics::counter!(calls.total, "rpc" => rpc.clone(), "code" => code_name(code))
            .increment(1);
        metrics::histogram!(calls.duration, "rpc" => rpc).record(seconds);
        grpc_handled(&self.method, code).increment(1);
        metrics::histogram!(GRPC_HANDLING_SECONDS, grpc_labels(&self.method).to_vec())
            .record(seconds);
        let name = self.span.metadata().map_or("call", |m| m.name());
        let error = status.as_ref().map_or("", tonic::Status::message);
        let _entered = self.span.enter();
        match code {
            tonic::Code::Ok => {}
            tonic::Code::Unavailable | tonic::Code::Internal | tonic::Code::Unknown => {
                tracing::error!(code = code_name(code), error, "{name} failed")
            }
            _ => tracing::info!(code = code_name(code), error, "{name} refused"),
        }
    }
}

/// A response body that records its call when it ends (its trailers, its end, or
/// its drop: a call the caller left is CANCELLED). No body: a refusal made before the
/// service, all in its headers.
pub struct Measured<B> {
    body: Option<B>,
    call: Option<Call>,
}

impl<B: Body + Unpin> Body for Measured<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let Some(body) = this.body.as_mut() else {
            if let Some(call) = this.call.take() {
                call.end(None);
            }
            return Poll::Ready(None);
        };
        let entered = this.call.as_ref().map(|call| call.span.enter());
        let polled = Pin::new(body).poll_frame(cx);
        drop(entered);
        // The call ends with its trailers (an answer's status), an error, or the end.
        let status = match &polled {
            Poll::Pending => return polled,
            Poll::Ready(Some(Ok(frame))) => {
                let Some(trailers) = frame.trailers_ref() else {
                    return polled;
                };
                tonic::Status::from_header_map(trailers)
            }
            Poll::Ready(Some(Err(_))) => Some(tonic::Status::unknown(
                "the response failed while it was sent",
            )),
            Poll::Ready(None) => None,
        };
        if let Some(call) = this.call.take() {
            call.end(status);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.body
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

impl<B> Drop for Measured<B> {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            let left = call.status.is_none();
            call.end(left.then(|| tonic::Status::cancelled("the caller went away")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_of_what_the_port_does_not_serve_says_what_it_serves() {
        let services = ["saman.intake.v1.Intake".to_owned()];
        let wrong = unserved("/saman.projection.v1.Projection/ListZones", &services).unwrap();
        assert_eq!(wrong.code(), tonic::Code::Unimplemented);
        assert_eq!(
            wrong.message(),
            "'saman.projection.v1.Projection' is not served on this port; it serves \
             saman.intake.v1.Intake (and health, reflection)"
        );
        let typo = unserved("/saman.intake.v1.Intake/DeclareNeeds", &services).unwrap();
        assert!(
            typo.message()
                .starts_with("'saman.intake.v1.Intake' has no method 'DeclareNeeds'")
        );
        let long = unserved(&format!("/{}/x", "a".repeat(5000)), &services).unwrap();
        assert!(long.message().len() < 300, "{}", long.message());
        assert!(unserved("/grpc.health.v1.Health/Check", &services).is_none());
        assert!(
            unserved(
                "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                &services
            )
            .is_none()
        );
    }

    #[test]
    fn the_methods_measured_are_the_services_own() {
        let layer = RpcLayer::new(
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            &["grpc.health.v1.Health"],
            "calls_total",
            "call_duration_seconds",
        )
        .unwrap();
        let check = layer.calls.methods.get("/grpc.health.v1.Health/Check");
        assert_eq!(check.map(|method| &*method.rpc), Some("Check"));
        assert_eq!(check.map(|method| method.streaming), Some(false));
        let watch = layer.calls.methods.get("/grpc.health.v1.Health/Watch");
        assert_eq!(watch.map(|method| method.streaming), Some(true));
        assert!(
            layer
                .calls
                .methods
                .contains_key("/grpc.health.v1.Health/Watch")
        );
        assert!(
            !layer
                .calls
                .methods
                .contains_key("/grpc.health.v1.Health/Made_up")
        );
        let unknown = RpcLayer::new(
            tonic_health::pb::FILE_DESCRIPTOR_SET,
            &["grpc.health.v1.Wealth"],
            "calls_total",
            "call_duration_seconds",
        );
        assert!(
            unknown.is_err(),
            "a service the descriptors lack is a mistake"
        );
    }
}
