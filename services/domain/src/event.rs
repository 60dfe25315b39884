//! Events: what happened, in the past tense. Each has a type name and a schema
//! version, so a later version can be upcast when it is read. The wire form is
//! `saman.events.v1` (proto/); the `saman-contract` crate converts between the two.
//!
//! [`Event`] is what intake decides and records: the entities it creates (needs,
//! referrals, proposals, activities, reports) are named by the UUID of the submission
//! that created them. A subscriber reading the stream meets whatever was published
//! there, so it reads the same events with those ids as text: [`EventOf<AsText>`].

use std::fmt;

use crate::calendar::Day;
use crate::values::{
    ActivityId, AgencyCode, Approach, Count, GoalCode, MemberCode, Names, NeedId, NgoCode, Percent,
    Priority, ProposalId, Rating, ReferralId, ReportId, Rials, Text, ValueError, Weight, ZoneCode,
};

/// An id an event gives the entity it creates, read from the event's text.
pub trait EventId: Clone + fmt::Debug + PartialEq + Eq + fmt::Display {
    fn parse_id(text: &str) -> Result<Self, ValueError>;
}

macro_rules! event_ids {
    ($($name:ident),*) => {
        $(impl EventId for $name {
            fn parse_id(text: &str) -> Result<Self, ValueError> {
                Self::parse(text)
            }
        })*
    };
}
event_ids!(NeedId, ReferralId, ProposalId, ActivityId, ReportId);

/// Any text: the id as it was published.
impl EventId for String {
    fn parse_id(text: &str) -> Result<Self, ValueError> {
        Ok(text.to_owned())
    }
}

/// How events name the entities they create.
pub trait Ids: Clone + fmt::Debug + PartialEq + Eq {
    type Need: EventId;
    type Referral: EventId;
    type Proposal: EventId;
    type Activity: EventId;
    type Report: EventId;
}

/// An [`Ids`]: the id types of needs, referrals, proposals, activities and reports, in
/// that order.
macro_rules! ids {
    ($ids:ident: $need:ty, $referral:ty, $proposal:ty, $activity:ty, $report:ty) => {
        impl Ids for $ids {
            type Need = $need;
            type Referral = $referral;
            type Proposal = $proposal;
            type Activity = $activity;
            type Report = $report;
        }
    };
}

/// The ids intake issues: UUIDs ([`NeedId`], [`ProposalId`], ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issued {}

ids!(Issued: NeedId, ReferralId, ProposalId, ActivityId, ReportId);

/// Ids as text, whatever it holds: how a subscriber reads events it did not record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsText {}

ids!(AsText: String, String, String, String, String);

/// An event as intake decides and records it.
pub type Event = EventOf<Issued>;

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

/// What happened; `I` says how the entities it creates are named (see [`Ids`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOf<I: Ids> {
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
        need: I::Need,
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
        referral: I::Referral,
        zone: ZoneCode,
        need: I::Need,
        agency: AgencyCode,
        ngo: NgoCode,
        member: MemberCode,
        note: Text,
    },
    ReferralAnswered {
        referral: I::Referral,
        zone: ZoneCode,
        agency: AgencyCode,
        accepted: bool,
        answer: Text,
    },
    SocialActivityReported {
        activity: I::Activity,
        zone: ZoneCode,
        ngo: NgoCode,
        member: MemberCode,
        title: Text,
        description: Text,
        participants: Count,
        held_on: Day,
    },
    ProposalSubmitted {
        proposal: I::Proposal,
        zone: ZoneCode,
        agency: AgencyCode,
        needs: Vec<I::Need>,
        approach: Approach,
        title: Text,
        budget: Rials,
        planned_start: Day,
        planned_end: Day,
        late: bool,
    },
    ProposalApproved {
        proposal: I::Proposal,
        zone: ZoneCode,
        reason: Text,
    },
    ProposalRejected {
        proposal: I::Proposal,
        zone: ZoneCode,
        reason: Text,
    },
    SupervisionReportFiled {
        report: I::Report,
        ngo: NgoCode,
        zone: Option<ZoneCode>,
        findings: Text,
        rating: Rating,
    },
    ProgressReported {
        proposal: I::Proposal,
        zone: ZoneCode,
        percent: Percent,
        note: Text,
        as_of: Day,
        /// Non-empty when the percent is lower than the previous report.
        correction: Text,
    },
    ProjectCompleted {
        proposal: I::Proposal,
        zone: ZoneCode,
        completed_on: Day,
        note: Text,
    },
}

impl<I: Ids> EventOf<I> {
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
