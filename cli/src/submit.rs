//! The fifteen writes of the intake API as one type, so the write subcommands and the
//! scenario send them the same way: put the submission header in, call the RPC.

use saman_proto::intake::v1::{self as pb, intake_client::IntakeClient};
use tonic::transport::Channel;

/// One write request of any kind, its submission header still to be filled in.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    SetProgrammeDates(pb::SetProgrammeDatesRequest),
    RegisterZone(pb::RegisterZoneRequest),
    RegisterAgency(pb::RegisterAgencyRequest),
    RecordApprovedNgo(pb::RecordApprovedNgoRequest),
    ApproveNgoMember(pb::ApproveNgoMemberRequest),
    RevokeNgoMember(pb::RevokeNgoMemberRequest),
    DeclareNeed(pb::DeclareNeedRequest),
    ReferNeed(pb::ReferNeedRequest),
    ReportSocialActivity(pb::ReportSocialActivityRequest),
    AnswerReferral(pb::AnswerReferralRequest),
    SubmitProposal(pb::SubmitProposalRequest),
    DecideProposal(pb::DecideProposalRequest),
    FileSupervisionReport(pb::FileSupervisionReportRequest),
    ReportProgress(pb::ReportProgressRequest),
    CompleteProject(pb::CompleteProjectRequest),
}

/// Calls `$call` on every case alike.
macro_rules! each {
    ($self:expr, $r:ident => $body:expr) => {
        match $self {
            Request::SetProgrammeDates($r) => $body,
            Request::RegisterZone($r) => $body,
            Request::RegisterAgency($r) => $body,
            Request::RecordApprovedNgo($r) => $body,
            Request::ApproveNgoMember($r) => $body,
            Request::RevokeNgoMember($r) => $body,
            Request::DeclareNeed($r) => $body,
            Request::ReferNeed($r) => $body,
            Request::ReportSocialActivity($r) => $body,
            Request::AnswerReferral($r) => $body,
            Request::SubmitProposal($r) => $body,
            Request::DecideProposal($r) => $body,
            Request::FileSupervisionReport($r) => $body,
            Request::ReportProgress($r) => $body,
            Request::CompleteProject($r) => $body,
        }
    };
}

impl Request {
    pub fn with_submission(mut self, submission: pb::Submission) -> Request {
        each!(&mut self, r => r.submission = Some(submission));
        self
    }

    pub fn submission(&self) -> Option<&pb::Submission> {
        each!(self, r => r.submission.as_ref())
    }

    /// The RPC's name, for progress messages and errors.
    pub fn rpc(&self) -> &'static str {
        match self {
            Request::SetProgrammeDates(_) => "SetProgrammeDates",
            Request::RegisterZone(_) => "RegisterZone",
            Request::RegisterAgency(_) => "RegisterAgency",
            Request::RecordApprovedNgo(_) => "RecordApprovedNgo",
            Request::ApproveNgoMember(_) => "ApproveNgoMember",
            Request::RevokeNgoMember(_) => "RevokeNgoMember",
            Request::DeclareNeed(_) => "DeclareNeed",
            Request::ReferNeed(_) => "ReferNeed",
            Request::ReportSocialActivity(_) => "ReportSocialActivity",
            Request::AnswerReferral(_) => "AnswerReferral",
            Request::SubmitProposal(_) => "SubmitProposal",
            Request::DecideProposal(_) => "DecideProposal",
            Request::FileSupervisionReport(_) => "FileSupervisionReport",
            Request::ReportProgress(_) => "ReportProgress",
            Request::CompleteProject(_) => "CompleteProject",
        }
    }

    /// Sends the request; the reply or the status intake answered with.
    pub async fn send(
        self,
        client: &mut IntakeClient<Channel>,
    ) -> Result<pb::SubmissionReply, tonic::Status> {
        let reply = match self {
            Request::SetProgrammeDates(r) => client.set_programme_dates(r).await,
            Request::RegisterZone(r) => client.register_zone(r).await,
            Request::RegisterAgency(r) => client.register_agency(r).await,
            Request::RecordApprovedNgo(r) => client.record_approved_ngo(r).await,
            Request::ApproveNgoMember(r) => client.approve_ngo_member(r).await,
            Request::RevokeNgoMember(r) => client.revoke_ngo_member(r).await,
            Request::DeclareNeed(r) => client.declare_need(r).await,
            Request::ReferNeed(r) => client.refer_need(r).await,
            Request::ReportSocialActivity(r) => client.report_social_activity(r).await,
            Request::AnswerReferral(r) => client.answer_referral(r).await,
            Request::SubmitProposal(r) => client.submit_proposal(r).await,
            Request::DecideProposal(r) => client.decide_proposal(r).await,
            Request::FileSupervisionReport(r) => client.file_supervision_report(r).await,
            Request::ReportProgress(r) => client.report_progress(r).await,
            Request::CompleteProject(r) => client.complete_project(r).await,
        }?;
        Ok(reply.into_inner())
    }
}
