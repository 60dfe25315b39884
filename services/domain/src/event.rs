//! Events: what happened, in the past tense. Each has a type name and a schema
//! version, so a later version can be upcast when it is read. The wire form is
//! `saman.events.v1` (proto/); the intake service converts between the two.

use crate::calendar::Day;
use crate::values::{
    ActivityId, AgencyCode, Approach, Count, GoalCode, MemberCode, Names, NeedId, NgoCode, Percent,
    Priority, ProposalId, Rating, ReferralId, ReportId, Rials, Text, Weight, ZoneCode,
};

/// The programme's dates: data, not constants, so another programme (or a corrected
/// deadline) needs no new code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeDates {
    /// Last day (Asia/Tehran) on which a need counts as on time.
    pub needs_deadline: Day,
    /// Last day (Asia/Tehran) on which a proposal counts as on time.
    pub proposals_deadline: Day,
    /// First day of the executive and operational phase.
    pub operational_start: Day,
    /// The year-end '97 goal date.
    pub goal_date: Day,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub code: GoalCode,
    pub approach: Approach,
    pub title: Names,
    pub weight: Weight,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    ProgrammeDatesSet(ProgrammeDates),
    ZoneRegistered {
        code: ZoneCode,
        name: Names,
        goals: Vec<Goal>,
    },
    AgencyRegistered {
        code: AgencyCode,
        name: Names,
    },
    NgoApproved {
        code: NgoCode,
        name: Names,
        ministry_approval_ref: Text,
    },
    NgoMemberApproved {
        ngo: NgoCode,
        member: MemberCode,
        full_name: Text,
    },
    NgoMemberRevoked {
        ngo: NgoCode,
        member: MemberCode,
        reason: Text,
    },
    NeedDeclared {
        need: NeedId,
        zone: ZoneCode,
        ngo: NgoCode,
        member: MemberCode,
        approach: Approach,
        title: Text,
        description: Text,
        households_affected: Count,
        priority: Priority,
        late: bool,
    },
    NeedReferred {
        referral: ReferralId,
        zone: ZoneCode,
        need: NeedId,
        agency: AgencyCode,
        ngo: NgoCode,
        member: MemberCode,
        note: Text,
    },
    ReferralAnswered {
        referral: ReferralId,
        zone: ZoneCode,
        agency: AgencyCode,
        accepted: bool,
        answer: Text,
    },
    SocialActivityReported {
        activity: ActivityId,
        zone: ZoneCode,
        ngo: NgoCode,
        member: MemberCode,
        title: Text,
        description: Text,
        participants: Count,
        held_on: Day,
    },
    ProposalSubmitted {
        proposal: ProposalId,
        zone: ZoneCode,
        agency: AgencyCode,
        needs: Vec<NeedId>,
        approach: Approach,
        title: Text,
        budget: Rials,
        planned_start: Day,
        planned_end: Day,
        late: bool,
    },
    ProposalApproved {
        proposal: ProposalId,
        zone: ZoneCode,
        reason: Text,
    },
    ProposalRejected {
        proposal: ProposalId,
        zone: ZoneCode,
        reason: Text,
    },
    SupervisionReportFiled {
        report: ReportId,
        ngo: NgoCode,
        zone: Option<ZoneCode>,
        findings: Text,
        rating: Rating,
    },
    ProgressReported {
        proposal: ProposalId,
        zone: ZoneCode,
        percent: Percent,
        note: Text,
        as_of: Day,
        /// Non-empty when the percent is lower than the previous report.
        correction: Text,
    },
    ProjectCompleted {
        proposal: ProposalId,
        zone: ZoneCode,
        completed_on: Day,
        note: Text,
    },
}

impl Event {
    /// The event's type name: the `Saman-Event-Type` header and the last subject token.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::ProgrammeDatesSet(_) => "ProgrammeDatesSet",
            Self::ZoneRegistered { .. } => "ZoneRegistered",
            Self::AgencyRegistered { .. } => "AgencyRegistered",
            Self::NgoApproved { .. } => "NgoApproved",
            Self::NgoMemberApproved { .. } => "NgoMemberApproved",
            Self::NgoMemberRevoked { .. } => "NgoMemberRevoked",
            Self::NeedDeclared { .. } => "NeedDeclared",
            Self::NeedReferred { .. } => "NeedReferred",
            Self::ReferralAnswered { .. } => "ReferralAnswered",
            Self::SocialActivityReported { .. } => "SocialActivityReported",
            Self::ProposalSubmitted { .. } => "ProposalSubmitted",
            Self::ProposalApproved { .. } => "ProposalApproved",
            Self::ProposalRejected { .. } => "ProposalRejected",
            Self::SupervisionReportFiled { .. } => "SupervisionReportFiled",
            Self::ProgressReported { .. } => "ProgressReported",
            Self::ProjectCompleted { .. } => "ProjectCompleted",
        }
    }

    /// The schema version of this event type. Every type is at version 1; a change
    /// that is not a plain field addition bumps it and adds an upcaster.
    pub fn schema_version(&self) -> u32 {
        1
    }
}
