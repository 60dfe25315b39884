//! What the read models answer: plain results, in domain types (days, approaches,
//! track statuses), one struct per part of a reply. The queries (`queries/`) compute
//! them; the edges (`crate::reply` for gRPC, `crate::web` for the page) turn them into
//! what they serve. Nothing here reads a database.

use jiff::Timestamp;
use saman_domain::actor::Principal;
use saman_domain::progress::TrackStatus;
use saman_domain::time::Attestation;
use saman_domain::values::Approach;
use saman_domain::{Actor, Day};

use super::facts::ParkKind;

/// A name in Persian and in English.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub fa: String,
    pub en: String,
}

// GetProgrammeSummary.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeSummary {
    /// Zones registered by the day.
    pub zones: u32,
    pub needs: u32,
    pub proposals: u32,
    pub projects: u32,
    pub completed_projects: u32,
    /// The zones' mean progress, rounded to one decimal as shown.
    pub infrastructural: f64,
    pub social: f64,
    pub overall: f64,
    /// The same for every zone: the programme's.
    pub expected: f64,
    pub zones_on_track: u32,
    pub zones_at_risk: u32,
    pub zones_behind: u32,
    pub days_left: i32,
    pub goal_date: Option<Day>,
    pub approved_budget_rials: u64,
}

// GetZoneProgress and ListZones.
/// One zone as of a day.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneProgress {
    pub code: String,
    pub name: Names,
    pub needs: NeedCounts,
    pub proposals: ProposalCounts,
    pub unanswered_needs: Vec<NeedSummary>,
    /// Approved by the day, in approval order.
    pub projects: Vec<Project>,
    pub progress: Progress,
    pub goals: Vec<GoalProgress>,
}

/// A zone's figures, rounded to one decimal as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub infrastructural: f64,
    pub social: f64,
    pub overall: f64,
    pub expected: f64,
    pub status: TrackStatus,
    pub days_left: i32,
    pub operational_start: Option<Day>,
    pub goal_date: Option<Day>,
}

/// Something counted per NGO or agency, with its names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub key: String,
    pub name: Names,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedCounts {
    pub total: u32,
    pub infrastructural: u32,
    pub social: u32,
    pub on_time: u32,
    pub late: u32,
    pub by_ngo: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalCounts {
    pub total: u32,
    pub pending: u32,
    pub approved: u32,
    pub rejected: u32,
    pub infrastructural: u32,
    pub social: u32,
    pub by_agency: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedSummary {
    pub need_id: String,
    pub title: String,
    pub approach: Approach,
    pub ngo: String,
    pub declared_on: Day,
    pub late: bool,
    pub households_affected: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub proposal_id: String,
    pub title: String,
    pub agency: String,
    pub approach: Approach,
    pub budget_rials: u64,
    /// The plan it was submitted with, and the day it was approved.
    pub planned_start: Day,
    pub planned_end: Day,
    pub approved_on: Option<Day>,
    /// Its standing on the day ([`saman_domain::progress::project_progress`]).
    pub percent: u32,
    pub reported_as_of: Option<Day>,
    pub completed: bool,
    /// Past its planned end on the day and not completed by then.
    pub overdue: bool,
    /// The goals its proposal named as served, as named; empty: every goal of its
    /// approach.
    pub goal_codes: Vec<String>,
}

/// A project past its planned end and not completed by the day (ListOverdueProjects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueProject {
    pub zone: String,
    pub zone_name: Names,
    pub project: Project,
    pub agency_name: Names,
    /// Days from the planned end to the day.
    pub days_overdue: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GoalProgress {
    pub code: String,
    pub title: Names,
    pub approach: Approach,
    pub weight: u32,
    /// The mean progress of the projects serving it, rounded to one decimal as shown.
    pub percent: f64,
    /// Those projects (proposal ids), in approval order.
    pub serving: Vec<String>,
}

/// A zone in the list of zones.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneSummary {
    pub code: String,
    pub name: Names,
    pub needs: u32,
    pub unanswered_needs: u32,
    pub proposals: u32,
    pub projects: u32,
    pub progress: Progress,
}

// GetCompliance.
/// Every NGO and agency registered by the day, or with submissions by then, by code.
#[derive(Debug, Clone, PartialEq)]
pub struct Compliance {
    pub needs_deadline: Option<Day>,
    pub proposals_deadline: Option<Day>,
    /// Needs declared per NGO.
    pub ngos: Vec<Submitter>,
    /// Proposals submitted per agency.
    pub agencies: Vec<Submitter>,
}

/// An NGO's needs or an agency's proposals, zeros included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter {
    pub code: String,
    pub name: Names,
    pub on_time: u32,
    pub late: u32,
}

// GetCooperation.
/// One agency's referrals (every agency registered by the day, or with referrals by
/// then, by code).
#[derive(Debug, Clone, PartialEq)]
pub struct AgencyCooperation {
    pub code: String,
    pub name: Names,
    pub referrals: u32,
    pub open: u32,
    pub answered: u32,
    pub accepted: u32,
    pub median_days_to_answer: Option<f64>,
    pub worst_days_to_answer: Option<f64>,
    pub oldest_open_days: Option<f64>,
}

// GetZoneTimeline.
/// A page of a timeline, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePage {
    pub entries: Vec<TimelineEntry>,
    /// The `after_position` of the next page, if more follow.
    pub next: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub position: u64,
    pub event_id: String,
    pub event_type: String,
    pub stream_version: u64,
    /// `None` when the event named nobody.
    pub actor: Option<Actor>,
    pub who: String,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    pub occurred_on: Day,
    pub what_en: String,
    pub what_fa: String,
    /// The authenticated caller; `None` when the event was recorded without one.
    pub principal: Option<Principal>,
    /// What vouched for the claimed time (`Vouch::name`); empty when the event does
    /// not say.
    pub vouch: String,
    /// Who attested the claimed time, and why.
    pub attestation: Option<Attestation>,
}

// ListParked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedEvent {
    /// The JetStream stream sequence of the message.
    pub position: u64,
    pub subject: String,
    /// Empty when the message could not be decoded that far.
    pub event_id: String,
    pub reason: String,
    pub parked_at: Timestamp,
    pub kind: ParkKind,
}
