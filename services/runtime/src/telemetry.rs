//! Logs and traces through `tracing`.
//!
//! - Logs: human-readable by default, JSON for log collectors; the filter comes from
//!   `RUST_LOG` (default `info`) and applies to the logs only.
//! - Traces: every `tracing` span at INFO or above is also an OpenTelemetry span, so the
//!   W3C trace context (`traceparent`) of a submission can travel with its events (see
//!   [`trace_context`], [`context_of`]). Spans are exported over OTLP/gRPC when the
//!   standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
//!   set; `OTEL_SERVICE_NAME` overrides the service name. Without an endpoint the
//!   contexts still propagate, nothing is sent anywhere.

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

use crate::LogFormat;

/// The installed tracing pipeline; [`Telemetry::shutdown`] flushes spans not yet
/// exported.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    pub fn shutdown(self) {
        if let Err(err) = self.provider.shutdown() {
            tracing::warn!(error = %err, "flushing the last trace spans failed");
        }
    }
}

/// Installs logs and traces for the process; `service` names it in the traces.
pub fn init(service: &'static str, format: LogFormat) -> Telemetry {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let name = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| service.to_string());
    let mut provider = SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(name).build());
    let endpoint = [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ]
    .into_iter()
    .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()));
    let mut export_error = None;
    if let Some(endpoint) = &endpoint {
        match opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()
        {
            Ok(exporter) => provider = provider.with_batch_exporter(exporter),
            Err(err) => export_error = Some(format!("OTLP exporter for {endpoint}: {err}")),
        }
    }
    let provider = provider.build();
    let traces = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service))
        .with_filter(LevelFilter::INFO);

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match format {
        LogFormat::Text => fmt::layer().with_target(false).boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_target(false)
            .boxed(),
    }
    .with_filter(filter);
    // A second init (tests starting several servers) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init();
    match (export_error, endpoint) {
        (Some(err), _) => tracing::error!(error = %err, "traces are not exported"),
        (None, Some(endpoint)) => tracing::info!(%endpoint, "exporting traces over OTLP"),
        (None, None) => {}
    }
    Telemetry { provider }
}

/// The W3C `traceparent` of the current span (None when no trace is recorded, e.g.
/// without [`init`]).
pub fn trace_context() -> Option<String> {
    let context = tracing::Span::current().context();
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove("traceparent")
}

/// The OpenTelemetry context a `traceparent` (from gRPC metadata, a NATS header)
/// names; an empty context when it is absent or malformed.
pub fn context_of(traceparent: Option<&str>) -> opentelemetry::Context {
    let mut carrier = HashMap::new();
    if let Some(value) = traceparent {
        carrier.insert("traceparent".to_string(), value.to_string());
    }
    TraceContextPropagator::new().extract(&carrier)
}

/// Makes `span` a child of the trace `traceparent` names (when it names one).
pub fn set_parent(span: &tracing::Span, traceparent: Option<&str>) {
    if traceparent.is_some() {
        let _ = span.set_parent(context_of(traceparent));
    }
}

/// Links `span` to the trace `traceparent` names: for a batch that applies events of
/// many traces at once (OpenTelemetry's way for batch consumers).
pub fn add_link(span: &tracing::Span, traceparent: &str) {
    use opentelemetry::trace::TraceContextExt;
    let context = context_of(Some(traceparent));
    let span_context = context.span().span_context().clone();
    if span_context.is_valid() {
        span.add_link(span_context);
    }
}
