//! The gRPC service: each RPC hands its request to one path that parses it into a
//! command (the edge), hashes it for idempotency and waits for the writer.

use jiff::Timestamp;
use saman_proto::intake::v1 as pb;
use saman_runtime::telemetry;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use crate::edge::parse::{self, Request as Write};
use crate::error::IntakeError;
use crate::writer::{Writer, request_hash};

pub struct IntakeService {
    writer: Writer,
}

impl IntakeService {
    pub fn new(writer: Writer) -> Self {
        Self { writer }
    }

    /// One submission: a span (a child of the caller's trace when the call carries a
    /// `traceparent`), the metrics, then [`Self::handle`].
    async fn write(
        &self,
        traceparent: Option<String>,
        request: Write,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        let started = std::time::Instant::now();
        let (rpc, encoded) = request.fingerprint();
        let span = tracing::info_span!(
            "submission",
            rpc,
            submission = tracing::field::Empty,
            stream = tracing::field::Empty
        );
        telemetry::set_parent(&span, traceparent.as_deref());
        let result = self
            .handle(request, rpc, encoded)
            .instrument(span.clone())
            .await;
        let code = match &result {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        };
        if let Err(status) = &result {
            let _entered = span.enter();
            match code {
                tonic::Code::Unavailable | tonic::Code::Internal | tonic::Code::Unknown => {
                    tracing::error!(code = saman_runtime::grpc::code_name(code), error = %status.message(), "submission failed")
                }
                _ => {
                    tracing::info!(code = saman_runtime::grpc::code_name(code), error = %status.message(), "submission refused")
                }
            }
        }
        metrics::counter!("saman_intake_submissions_total", "rpc" => rpc, "code" => saman_runtime::grpc::code_name(code))
            .increment(1);
        metrics::histogram!("saman_intake_submission_duration_seconds", "rpc" => rpc)
            .record(started.elapsed().as_secs_f64());
        result
    }

    async fn handle(
        &self,
        request: Write,
        rpc: &'static str,
        encoded: Vec<u8>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
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
        )?;
        // The submission's trace context travels with its events to NATS.
        let trace = telemetry::trace_context();
        let reply = self
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
        span.record("stream", reply.stream_id.as_str());
        Ok(Response::new(reply))
    }
}

/// The caller's W3C trace context, from the gRPC metadata.
fn traceparent<T>(request: &Request<T>) -> Option<String> {
    request
        .metadata()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tonic::async_trait]
impl pb::intake_server::Intake for IntakeService {
    async fn set_programme_dates(
        &self,
        request: Request<pb::SetProgrammeDatesRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::SetProgrammeDates(request.into_inner()),
        )
        .await
    }

    async fn register_zone(
        &self,
        request: Request<pb::RegisterZoneRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::RegisterZone(request.into_inner()),
        )
        .await
    }

    async fn register_agency(
        &self,
        request: Request<pb::RegisterAgencyRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::RegisterAgency(request.into_inner()),
        )
        .await
    }

    async fn record_approved_ngo(
        &self,
        request: Request<pb::RecordApprovedNgoRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::RecordApprovedNgo(request.into_inner()),
        )
        .await
    }

    async fn approve_ngo_member(
        &self,
        request: Request<pb::ApproveNgoMemberRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::ApproveNgoMember(request.into_inner()),
        )
        .await
    }

    async fn revoke_ngo_member(
        &self,
        request: Request<pb::RevokeNgoMemberRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::RevokeNgoMember(request.into_inner()),
        )
        .await
    }

    async fn declare_need(
        &self,
        request: Request<pb::DeclareNeedRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::DeclareNeed(request.into_inner()),
        )
        .await
    }

    async fn refer_need(
        &self,
        request: Request<pb::ReferNeedRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::ReferNeed(request.into_inner()),
        )
        .await
    }

    async fn report_social_activity(
        &self,
        request: Request<pb::ReportSocialActivityRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::ReportSocialActivity(request.into_inner()),
        )
        .await
    }

    async fn answer_referral(
        &self,
        request: Request<pb::AnswerReferralRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::AnswerReferral(request.into_inner()),
        )
        .await
    }

    async fn submit_proposal(
        &self,
        request: Request<pb::SubmitProposalRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::SubmitProposal(request.into_inner()),
        )
        .await
    }

    async fn report_progress(
        &self,
        request: Request<pb::ReportProgressRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::ReportProgress(request.into_inner()),
        )
        .await
    }

    async fn complete_project(
        &self,
        request: Request<pb::CompleteProjectRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::CompleteProject(request.into_inner()),
        )
        .await
    }

    async fn decide_proposal(
        &self,
        request: Request<pb::DecideProposalRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::DecideProposal(request.into_inner()),
        )
        .await
    }

    async fn file_supervision_report(
        &self,
        request: Request<pb::FileSupervisionReportRequest>,
    ) -> Result<Response<pb::SubmissionReply>, Status> {
        self.write(
            traceparent(&request),
            Write::FileSupervisionReport(request.into_inner()),
        )
        .await
    }
}
