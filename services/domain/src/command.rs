//! Commands: what a user asks for, in the imperative. Built at the edge from wire
//! requests, so every value in them is already valid; the rules that depend on the
//! current state are decided by [`crate::World::decide`].

use jiff::Timestamp;

use crate::actor::{Actor, Principal};
use crate::calendar::Day;
use crate::event::{
    AgencyRegistered, NgoApproved, NgoMemberApproved, NgoMemberRevoked, ProgrammeDates,
    ZoneRegistered,
};
use crate::time::Vouch;
use crate::values::{
    AgencyCode, Approach, Count, GoalCode, NeedId, NgoCode, Percent, Priority, ProposalId, Rating,
    ReferralId, Rials, SubmissionId, Text, ZoneCode,
};

/// What every command carries besides its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub submission: SubmissionId,
    pub actor: Actor,
    /// The authenticated caller behind the actor (`None`: authentication was off).
    pub principal: Option<Principal>,
    /// The version of the target stream the client last saw (0: it must not exist).
    pub expected_version: Option<u64>,
    /// When the act happened, as the submitter says.
    pub occurred_at: Timestamp,
    /// When intake received the submission (its clock, at the edge).
    pub received_at: Timestamp,
    /// What vouches for `occurred_at` ([`crate::time`]).
    pub vouch: Vouch,
}

impl Meta {
    /// The time the rules judge the act by (lateness, the day it counts on): the
    /// claimed `occurred_at` when vouched for, else when intake received it.
    pub fn judged_at(&self) -> Timestamp {
        self.vouch.judged(self.occurred_at, self.received_at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub meta: Meta,
    pub body: CommandBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve { reason: Text },
    Reject { reason: Text },
}

/// What a command asks for. Each variant holds a struct, so that the rule that decides
/// it takes one value (`c.zone`). A command that asks for a fact to be recorded as it
/// is (the programme's dates, a registration, an approval) holds the event it becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandBody {
    SetProgrammeDates(ProgrammeDates),
    RegisterZone(ZoneRegistered),
    RegisterAgency(AgencyRegistered),
    RecordApprovedNgo(NgoApproved),
    ApproveNgoMember(NgoMemberApproved),
    RevokeNgoMember(NgoMemberRevoked),
    DeclareNeed(DeclareNeed),
    ReferNeed(ReferNeed),
    ReportSocialActivity(ReportSocialActivity),
    AnswerReferral(AnswerReferral),
    SubmitProposal(SubmitProposal),
    DecideProposal(DecideProposal),
    FileSupervisionReport(FileSupervisionReport),
    ReportProgress(ReportProgress),
    CompleteProject(CompleteProject),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclareNeed {
    pub zone: ZoneCode,
    pub approach: Approach,
    pub title: Text,
    pub description: Text,
    pub households_affected: Count,
    pub priority: Priority,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferNeed {
    pub zone: ZoneCode,
    pub need: NeedId,
    pub agency: AgencyCode,
    pub note: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSocialActivity {
    pub zone: ZoneCode,
    pub title: Text,
    pub description: Text,
    pub participants: Count,
    pub held_on: Day,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerReferral {
    pub zone: ZoneCode,
    pub referral: ReferralId,
    pub accepted: bool,
    pub answer: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitProposal {
    pub zone: ZoneCode,
    pub needs: Vec<NeedId>,
    pub approach: Approach,
    pub title: Text,
    pub budget: Rials,
    pub planned_start: Day,
    pub planned_end: Day,
    /// The zone's goals it serves; empty: every goal of its approach.
    pub goals: Vec<GoalCode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecideProposal {
    pub zone: ZoneCode,
    pub proposal: ProposalId,
    pub decision: Decision,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSupervisionReport {
    pub ngo: NgoCode,
    pub zone: Option<ZoneCode>,
    pub findings: Text,
    pub rating: Rating,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportProgress {
    pub zone: ZoneCode,
    pub proposal: ProposalId,
    pub percent: Percent,
    pub note: Text,
    /// Defaults to the day the report occurred (Asia/Tehran).
    pub as_of: Option<Day>,
    pub correction: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteProject {
    pub zone: ZoneCode,
    pub proposal: ProposalId,
    /// Defaults to the day the report occurred (Asia/Tehran).
    pub completed_on: Option<Day>,
    pub note: Text,
}

impl CommandBody {
    /// The command's name, for logs and traces.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SetProgrammeDates(_) => "SetProgrammeDates",
            Self::RegisterZone(_) => "RegisterZone",
            Self::RegisterAgency(_) => "RegisterAgency",
            Self::RecordApprovedNgo(_) => "RecordApprovedNgo",
            Self::ApproveNgoMember(_) => "ApproveNgoMember",
            Self::RevokeNgoMember(_) => "RevokeNgoMember",
            Self::DeclareNeed(_) => "DeclareNeed",
            Self::ReferNeed(_) => "ReferNeed",
            Self::ReportSocialActivity(_) => "ReportSocialActivity",
            Self::AnswerReferral(_) => "AnswerReferral",
            Self::SubmitProposal(_) => "SubmitProposal",
            Self::DecideProposal(_) => "DecideProposal",
            Self::FileSupervisionReport(_) => "FileSupervisionReport",
            Self::ReportProgress(_) => "ReportProgress",
            Self::CompleteProject(_) => "CompleteProject",
        }
    }
}
