//! Trace context from the caller to the subscribers: a submission's span is a child of
//! the gRPC call's `traceparent`, its events carry the span's `traceparent` header on
//! NATS, and the projection's batch span links to it.
//!
//! The chain is followed with the OpenTelemetry SDK's in-memory span exporter, installed
//! as this test process's tracing subscriber (so this file holds one test), around the
//! real services on a private nats-server; the real intake binary is checked too.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use opentelemetry::trace::{TraceId, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use saman_e2e::*;
use saman_proto::intake::v1 as pb;
use tracing_subscriber::layer::SubscriberExt;

/// The client's trace: W3C example ids.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN: &str = "00f067aa0ba902b7";

fn traced<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{CLIENT_SPAN}-01").parse().unwrap(),
    );
    request
}

/// (version, trace id, parent span id, flags) of a `traceparent` value.
fn parts(traceparent: &str) -> (String, String, String, String) {
    let p: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(p.len(), 4, "not a traceparent: {traceparent}");
    assert_eq!(p[1].len(), 32, "trace id of {traceparent}");
    assert_eq!(p[2].len(), 16, "span id of {traceparent}");
    (p[0].into(), p[1].into(), p[2].into(), p[3].into())
}

async fn finished_spans(
    exporter: &InMemorySpanExporter,
    done: impl Fn(&[SpanData]) -> bool,
) -> anyhow::Result<Vec<SpanData>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let spans = exporter.get_finished_spans()?;
        if done(&spans) {
            return Ok(spans);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "spans not finished within 20 s: {:?}",
            spans.iter().map(|s| s.name.to_string()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callers_trace_reaches_the_nats_header_and_the_projection() -> anyhow::Result<()> {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test"))),
    )?;

    // ---- in-process services, followed span by span ----
    let system = System::start(Backend::Sqlite).await?;
    let mut client = system.intake.client().await?;
    register_programme(&mut client, 1, 1).await?;
    let need = client
        .declare_need(traced(declare_need("zone-01", "m-001", "Water")))
        .await?
        .into_inner();
    let untraced = client
        .declare_need(declare_need("zone-01", "m-001", "Lights"))
        .await?
        .into_inner();

    let messages = published(&system.nats, 8, Duration::from_secs(20)).await?;
    let header = |event_id: &str| -> anyhow::Result<String> {
        let message = messages
            .iter()
            .find(|m| m.envelope.event_id == event_id)
            .ok_or_else(|| anyhow::anyhow!("event {event_id} not on the stream"))?;
        message
            .headers
            .get("traceparent")
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no traceparent on {}", message.subject))
    };
    let (version, trace, parent, flags) = parts(&header(&need.events[0].event_id)?);
    assert_eq!(version, "00");
    assert_eq!(trace, TRACE_ID, "the event joins the caller's trace");
    assert_ne!(
        parent, CLIENT_SPAN,
        "its parent is intake's span, not the caller's"
    );
    assert_eq!(flags, "01");
    let (_, other_trace, _, _) = parts(&header(&untraced.events[0].event_id)?);
    assert_ne!(
        other_trace, TRACE_ID,
        "a call without a trace starts its own"
    );

    // intake's span: the caller's child, with the RPC and the submission named.
    let trace_id = TraceId::from_hex(TRACE_ID)?;
    let spans = finished_spans(&exporter, |spans| {
        spans.iter().any(|s| {
            s.name == "apply_batch"
                && s.links
                    .iter()
                    .any(|l| l.span_context.trace_id() == trace_id)
        })
    })
    .await?;
    let submission_span = spans
        .iter()
        .find(|s| s.name == "submission" && s.span_context.trace_id() == trace_id)
        .expect("intake's span in the caller's trace");
    assert_eq!(submission_span.parent_span_id.to_string(), CLIENT_SPAN);
    assert_eq!(submission_span.span_context.span_id().to_string(), parent);
    let attributes: HashMap<String, String> = submission_span
        .attributes
        .iter()
        .map(|kv| (kv.key.to_string(), kv.value.to_string()))
        .collect();
    assert_eq!(
        attributes.get("rpc").map(String::as_str),
        Some("DeclareNeed")
    );
    assert_eq!(
        attributes.get("submission"),
        Some(&need.submission_id),
        "{attributes:?}"
    );
    // The projection's batch links to the span that recorded the event.
    let batch = spans
        .iter()
        .find(|s| {
            s.name == "apply_batch"
                && s.links
                    .iter()
                    .any(|l| l.span_context.trace_id() == trace_id)
        })
        .expect("a batch linked to the caller's trace");
    let link = batch
        .links
        .iter()
        .find(|l| l.span_context.trace_id() == trace_id)
        .unwrap();
    assert_eq!(link.span_context.span_id().to_string(), parent);
    system.stop().await?;

    // ---- the real intake binary: its own telemetry set-up propagates too ----
    let db = TestDb::new(Backend::Sqlite).await?;
    let nats = NatsServer::start().await?;
    let intake = IntakeProcess::start(db.url(), &nats, free_port()).await?;
    wait_serving(intake.addr).await?;
    let mut client = intake.client().await?;
    let reply = client
        .set_programme_dates(traced(pb::SetProgrammeDatesRequest {
            submission: submission(office(), "1396-12-20"),
            ..programme_dates()
        }))
        .await?
        .into_inner();
    let messages = published(&nats, 1, Duration::from_secs(20)).await?;
    assert_eq!(messages[0].envelope.event_id, reply.events[0].event_id);
    let (_, trace, parent, _) = parts(
        messages[0]
            .headers
            .get("traceparent")
            .expect("the binary sets traceparent"),
    );
    assert_eq!(trace, TRACE_ID);
    assert_ne!(parent, CLIENT_SPAN);
    drop(intake);
    let _ = provider.shutdown();
    Ok(())
}
