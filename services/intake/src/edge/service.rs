//! The gRPC service: every write RPC comes to [`IntakeService::write`] (the list of
//! writes and the generated methods are `saman_proto::writes`), which parses the
//! request into a command (the edge), hashes it for idempotency, waits for the writer
//! and answers with what was recorded.
//!
//! The call's span (`submission`, a child of the caller's `traceparent`) and its
//! metrics are opened and recorded around the whole server by
//! `saman_runtime::rpc::RpcLayer` (see [`layer`]); the handler fills in the span's
//! `submission` and `stream`.

use jiff::Timestamp;
use saman_auth::Caller;
use saman_domain::time::TimeTrust;
use saman_proto::intake::v1 as pb;
use saman_proto::writes::{HandleWrites, Write};
use saman_runtime::rpc::RpcLayer;
use saman_runtime::telemetry;
use tonic::{Request, Response, Status};

use crate::edge::parse;
use crate::error::IntakeError;
use crate::writer::{Writer, request_hash};

pub struct IntakeService {
    writer: Writer,
    /// How claimed times are judged (the deployment's flags).
    trust: TimeTrust,
}

impl IntakeService {
    pub fn new(writer: Writer, trust: TimeTrust) -> Self {
        Self { writer, trust }
    }
}

/// The layer around intake's gRPC server: a `submission` span per write (with its
/// `rpc`; `submission` and `stream` recorded by the handler), and the metrics
/// `saman_intake_submissions_total{rpc,code}` and
/// `saman_intake_submission_duration_seconds{rpc}`.
pub fn layer() -> anyhow::Result<RpcLayer> {
    Ok(RpcLayer::new(
        saman_proto::FILE_DESCRIPTOR_SET,
        &["saman.intake.v1.Intake"],
        "saman_intake_submissions_total",
        "saman_intake_submission_duration_seconds",
    )?
    .with_span(|rpc| {
        tracing::info_span!(
            "submission",
            rpc,
            submission = tracing::field::Empty,
            stream = tracing::field::Empty
        )
    }))
}

impl HandleWrites for IntakeService {
    async fn write(
        &self,
        request: Request<Write>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        // The caller the RPC layer admitted (none when authentication is off).
        let caller = request.extensions().get::<Caller>().cloned();
        let request = request.into_inner();
        let span = tracing::Span::current();
        if let Some(s) = request.submission() {
            // A valid id as it is; anything else only by a short prefix (it may be huge).
            let id = s.submission_id.trim();
            match saman_domain::values::SubmissionId::parse(id) {
                Ok(_) => span.record("submission", id),
                Err(_) => span.record("submission", saman_domain::values::quote(id).as_str()),
            };
        }
        let command = parse::command(
            &request,
            saman_domain::calendar::to_micros(Timestamp::now()),
            caller.as_ref(),
            &self.trust,
        )?;
        let (rpc, encoded) = request.fingerprint();
        // The submission's trace context travels with its events to NATS.
        let trace = telemetry::trace_context();
        let recorded = self
            .writer
            .submit(command, request_hash(rpc, &encoded), trace)
            .await
            .map_err(|err| match err {
                IntakeError::EventTooLarge { bytes, limit } => IntakeError::Invalid(vec![(
                    parse::bulkiest_field(&request).to_owned(),
                    format!(
                        "makes an event of {bytes} bytes; at most {limit} can be published \
                         (half the NATS server's max_payload): shorten this field"
                    ),
                )]),
                other => other,
            })?;
        span.record("stream", recorded.stream.to_string());
        Ok(Response::new(pb::SubmissionReply::from(&recorded)))
    }
}
