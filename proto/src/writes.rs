//! The writes of the intake API, listed once (the `writes!` invocation below), and
//! what both ends make of the list: the [`Write`] enum (one request of any kind, with
//! its RPC name, submission header and fingerprint), the call of each RPC on the
//! generated client ([`Write::send`]) and the generated server's methods, each of
//! which hands its request as a [`Write`] to one [`HandleWrites::write`]
//! ([`IntakeWrites`]).
//!
//! Adding a write: its RPC in `intake.proto`, one line in the list; then the
//! compiler points at what the new kind of request needs (intake parses it into a
//! command, the command line builds it from flags).

use std::future::Future;

use prost::Message;
use tonic::transport::Channel;

use crate::intake::v1::intake_client::IntakeClient;
use crate::intake::v1::intake_server::{Intake, IntakeServer};
use crate::intake::v1::*;

/// Generates [`Write`], its methods and [`IntakeWrites`] from the list of writes:
/// `Variant(RequestMessage) client_and_server_method`, the variant named as the RPC.
macro_rules! writes {
    ($($rpc:ident($request:ident) $method:ident,)*) => {
        /// One write request of the intake API, of any kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Write {
            $($rpc($request),)*
        }

        impl Write {
            /// The name of every write RPC, as gRPC spells it (`DeclareNeed`).
            pub const RPCS: &'static [&'static str] = &[$(stringify!($rpc),)*];

            /// The RPC's name (`DeclareNeed`): for metrics, traces, messages, and what a
            /// retry must repeat besides the request's bytes.
            pub fn rpc(&self) -> &'static str {
                match self {
                    $(Self::$rpc(_) => stringify!($rpc),)*
                }
            }

            /// The submission header (id, actor, expected version, time).
            pub fn submission(&self) -> Option<&Submission> {
                match self {
                    $(Self::$rpc(r) => r.submission.as_ref(),)*
                }
            }

            /// The request with its submission header set.
            pub fn with_submission(mut self, submission: Submission) -> Self {
                match &mut self {
                    $(Self::$rpc(r) => r.submission = Some(submission),)*
                }
                self
            }

            /// The RPC's name and the request message's bytes: what a retry must repeat
            /// exactly.
            pub fn fingerprint(&self) -> (&'static str, Vec<u8>) {
                match self {
                    $(Self::$rpc(r) => (stringify!($rpc), r.encode_to_vec()),)*
                }
            }

            /// Calls the request's RPC, with `authorization` (`Bearer <token>`) when
            /// given: the reply, or the status intake answered with.
            pub async fn send(
                self,
                client: &mut IntakeClient<Channel>,
                authorization: Option<tonic::metadata::AsciiMetadataValue>,
            ) -> Result<SubmissionReply, tonic::Status> {
                fn request<T>(
                    message: T,
                    authorization: Option<tonic::metadata::AsciiMetadataValue>,
                ) -> tonic::Request<T> {
                    let mut request = tonic::Request::new(message);
                    if let Some(value) = authorization {
                        request.metadata_mut().insert("authorization", value);
                    }
                    request
                }
                let reply = match self {
                    $(Self::$rpc(r) => client.$method(request(r, authorization)).await,)*
                }?;
                Ok(reply.into_inner())
            }
        }

        $(
            impl From<$request> for Write {
                fn from(request: $request) -> Self {
                    Self::$rpc(request)
                }
            }
        )*

        #[tonic::async_trait]
        impl<S: HandleWrites> Intake for IntakeWrites<S> {
            $(
                async fn $method(
                    &self,
                    request: tonic::Request<$request>,
                ) -> Result<tonic::Response<SubmissionReply>, tonic::Status> {
                    self.0.write(request.map(Write::$rpc)).await
                }
            )*
        }
    };
}

writes! {
    SetProgrammeDates(SetProgrammeDatesRequest) set_programme_dates,
    RegisterZone(RegisterZoneRequest) register_zone,
    RegisterAgency(RegisterAgencyRequest) register_agency,
    RecordApprovedNgo(RecordApprovedNgoRequest) record_approved_ngo,
    ApproveNgoMember(ApproveNgoMemberRequest) approve_ngo_member,
    RevokeNgoMember(RevokeNgoMemberRequest) revoke_ngo_member,
    DeclareNeed(DeclareNeedRequest) declare_need,
    ReferNeed(ReferNeedRequest) refer_need,
    ReportSocialActivity(ReportSocialActivityRequest) report_social_activity,
    AnswerReferral(AnswerReferralRequest) answer_referral,
    SubmitProposal(SubmitProposalRequest) submit_proposal,
    ReportProgress(ReportProgressRequest) report_progress,
    CompleteProject(CompleteProjectRequest) complete_project,
    DecideProposal(DecideProposalRequest) decide_proposal,
    FileSupervisionReport(FileSupervisionReportRequest) file_supervision_report,
}

/// What serves the writes: every RPC of the `Intake` service comes here, its request
/// (metadata included) wrapped in a [`Write`].
pub trait HandleWrites: Send + Sync + 'static {
    fn write(
        &self,
        request: tonic::Request<Write>,
    ) -> impl Future<Output = Result<tonic::Response<SubmissionReply>, tonic::Status>> + Send;
}

/// The generated `Intake` service over a [`HandleWrites`].
pub struct IntakeWrites<S>(pub S);

/// The gRPC server of the writes `handler` serves.
pub fn intake_server<S: HandleWrites>(handler: S) -> IntakeServer<IntakeWrites<S>> {
    IntakeServer::new(IntakeWrites(handler))
}
