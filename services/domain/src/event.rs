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

/// What happened; `I` says how the entities it creates are named (see [`Ids`]). Each
/// variant holds a struct of its own, so that code that handles one kind of event names
/// its fields (`e.zone`) instead of listing them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOf<I: Ids> {
    ProgrammeDatesSet(ProgrammeDates),
    ZoneRegistered(ZoneRegistered),
    AgencyRegistered(AgencyRegistered),
    NgoApproved(NgoApproved),
    NgoMemberApproved(NgoMemberApproved),
    NgoMemberRevoked(NgoMemberRevoked),
    NeedDeclared(NeedDeclared<I>),
    NeedReferred(NeedReferred<I>),
    ReferralAnswered(ReferralAnswered<I>),
    SocialActivityReported(SocialActivityReported<I>),
    ProposalSubmitted(ProposalSubmitted<I>),
    ProposalApproved(ProposalApproved<I>),
    ProposalRejected(ProposalRejected<I>),
    SupervisionReportFiled(SupervisionReportFiled<I>),
    ProgressReported(ProgressReported<I>),
    ProjectCompleted(ProjectCompleted<I>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRegistered {
    pub code: ZoneCode,
    pub name: Names,
    pub goals: Vec<Goal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyRegistered {
    pub code: AgencyCode,
    pub name: Names,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgoApproved {
    pub code: NgoCode,
    pub name: Names,
    pub ministry_approval_ref: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgoMemberApproved {
    pub ngo: NgoCode,
    pub member: MemberCode,
    pub full_name: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgoMemberRevoked {
    pub ngo: NgoCode,
    pub member: MemberCode,
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedDeclared<I: Ids> {
    pub need: I::Need,
    pub zone: ZoneCode,
    pub ngo: NgoCode,
    pub member: MemberCode,
    pub approach: Approach,
    pub title: Text,
    pub description: Text,
    pub households_affected: Count,
    pub priority: Priority,
    pub late: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedReferred<I: Ids> {
    pub referral: I::Referral,
    pub zone: ZoneCode,
    pub need: I::Need,
    pub agency: AgencyCode,
    pub ngo: NgoCode,
    pub member: MemberCode,
    pub note: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralAnswered<I: Ids> {
    pub referral: I::Referral,
    pub zone: ZoneCode,
    pub agency: AgencyCode,
    pub accepted: bool,
    pub answer: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialActivityReported<I: Ids> {
    pub activity: I::Activity,
    pub zone: ZoneCode,
    pub ngo: NgoCode,
    pub member: MemberCode,
    pub title: Text,
    pub description: Text,
    pub participants: Count,
    pub held_on: Day,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalSubmitted<I: Ids> {
    pub proposal: I::Proposal,
    pub zone: ZoneCode,
    pub agency: AgencyCode,
    pub needs: Vec<I::Need>,
    pub approach: Approach,
    pub title: Text,
    pub budget: Rials,
    pub planned_start: Day,
    pub planned_end: Day,
    pub late: bool,
    /// The zone's goals it serves; empty (as on events recorded before the field
    /// existed): every goal of its approach.
    pub goals: Vec<GoalCode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalApproved<I: Ids> {
    pub proposal: I::Proposal,
    pub zone: ZoneCode,
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalRejected<I: Ids> {
    pub proposal: I::Proposal,
    pub zone: ZoneCode,
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionReportFiled<I: Ids> {
    pub report: I::Report,
    pub ngo: NgoCode,
    pub zone: Option<ZoneCode>,
    pub findings: Text,
    pub rating: Rating,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressReported<I: Ids> {
    pub proposal: I::Proposal,
    pub zone: ZoneCode,
    pub percent: Percent,
    pub note: Text,
    pub as_of: Day,
    /// Non-empty when the percent is lower than the previous report.
    pub correction: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectCompleted<I: Ids> {
    pub proposal: I::Proposal,
    pub zone: ZoneCode,
    pub completed_on: Day,
    pub note: Text,
}

impl<I: Ids> EventOf<I> {
    /// The event's type name: the `Saman-Event-Type` header and the last subject token.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::ProgrammeDatesSet(_) => "ProgrammeDatesSet",
            Self::ZoneRegistered(_) => "ZoneRegistered",
            Self::AgencyRegistered(_) => "AgencyRegistered",
            Self::NgoApproved(_) => "NgoApproved",
            Self::NgoMemberApproved(_) => "NgoMemberApproved",
            Self::NgoMemberRevoked(_) => "NgoMemberRevoked",
            Self::NeedDeclared(_) => "NeedDeclared",
            Self::NeedReferred(_) => "NeedReferred",
            Self::ReferralAnswered(_) => "ReferralAnswered",
            Self::SocialActivityReported(_) => "SocialActivityReported",
            Self::ProposalSubmitted(_) => "ProposalSubmitted",
            Self::ProposalApproved(_) => "ProposalApproved",
            Self::ProposalRejected(_) => "ProposalRejected",
            Self::SupervisionReportFiled(_) => "SupervisionReportFiled",
            Self::ProgressReported(_) => "ProgressReported",
            Self::ProjectCompleted(_) => "ProjectCompleted",
        }
    }

    /// The schema version of this event type. Every type is at version 1; a change
    /// that is not a plain field addition bumps it and adds an upcaster.
    pub fn schema_version(&self) -> u32 {
        1
    }
}
