//! Commands: what a user asks for, in the imperative. Built at the edge from wire
//! requests, so every value in them is already valid; the rules that depend on the
//! current state are decided by [`crate::World::decide`].

use jiff::Timestamp;

use crate::actor::{Actor, Principal};
use crate::calendar::Day;
use crate::event::{Goal, ProgrammeDates};
use crate::time::Vouch;
use crate::values::{
    AgencyCode, Approach, Count, MemberCode, Names, NeedId, NgoCode, Percent, Priority, ProposalId,
    Rating, ReferralId, Rials, SubmissionId, Text, ZoneCode,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandBody {
    SetProgrammeDates(ProgrammeDates),
    RegisterZone {
        code: ZoneCode,
        name: Names,
        goals: Vec<Goal>,
    },
    RegisterAgency {
        code: AgencyCode,
        name: Names,
    },
    RecordApprovedNgo {
        code: NgoCode,
        name: Names,
        ministry_approval_ref: Text,
    },
    ApproveNgoMember {
        ngo: NgoCode,
        member: MemberCode,
        full_name: Text,
    },
    RevokeNgoMember {
        ngo: NgoCode,
        member: MemberCode,
        reason: Text,
    },
    DeclareNeed {
        zone: ZoneCode,
        approach: Approach,
        title: Text,
        description: Text,
        households_affected: Count,
        priority: Priority,
    },
    ReferNeed {
        zone: ZoneCode,
        need: NeedId,
        agency: AgencyCode,
        note: Text,
    },
    ReportSocialActivity {
        zone: ZoneCode,
        title: Text,
        description: Text,
        participants: Count,
        held_on: Day,
    },
    AnswerReferral {
        zone: ZoneCode,
        referral: ReferralId,
        accepted: bool,
        answer: Text,
    },
    SubmitProposal {
        zone: ZoneCode,
        needs: Vec<NeedId>,
        approach: Approach,
        title: Text,
        budget: Rials,
        planned_start: Day,
        planned_end: Day,
    },
    DecideProposal {
        zone: ZoneCode,
        proposal: ProposalId,
        decision: Decision,
    },
    FileSupervisionReport {
        ngo: NgoCode,
        zone: Option<ZoneCode>,
        findings: Text,
        rating: Rating,
    },
    ReportProgress {
        zone: ZoneCode,
        proposal: ProposalId,
        percent: Percent,
        note: Text,
        /// Defaults to the day the report occurred (Asia/Tehran).
        as_of: Option<Day>,
        correction: Text,
    },
    CompleteProject {
        zone: ZoneCode,
        proposal: ProposalId,
        /// Defaults to the day the report occurred (Asia/Tehran).
        completed_on: Option<Day>,
        note: Text,
    },
}

impl CommandBody {
    /// The command's name, for logs and traces.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SetProgrammeDates(_) => "SetProgrammeDates",
            Self::RegisterZone { .. } => "RegisterZone",
            Self::RegisterAgency { .. } => "RegisterAgency",
            Self::RecordApprovedNgo { .. } => "RecordApprovedNgo",
            Self::ApproveNgoMember { .. } => "ApproveNgoMember",
            Self::RevokeNgoMember { .. } => "RevokeNgoMember",
            Self::DeclareNeed { .. } => "DeclareNeed",
            Self::ReferNeed { .. } => "ReferNeed",
            Self::ReportSocialActivity { .. } => "ReportSocialActivity",
            Self::AnswerReferral { .. } => "AnswerReferral",
            Self::SubmitProposal { .. } => "SubmitProposal",
            Self::DecideProposal { .. } => "DecideProposal",
            Self::FileSupervisionReport { .. } => "FileSupervisionReport",
            Self::ReportProgress { .. } => "ReportProgress",
            Self::CompleteProject { .. } => "CompleteProject",
        }
    }
}
