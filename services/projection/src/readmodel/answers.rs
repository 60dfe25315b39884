//! What the read models answer: plain results, in domain types (days, approaches,
//! track statuses), one struct per part of a reply. The queries (`queries/`) compute
//! them; the edges (`crate::reply` for gRPC, `crate::web` for the page) turn them into
//! what they serve. Nothing here reads a database.

use jiff::Timestamp;
use saman_domain::actor::Principal;
use saman_domain::progress::TrackStatus;
use saman_domain::time::Attestation;
use saman_domain::values::{Approach, Priority};
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
    pub infrastructural_budget_rials: u64,
    pub social_budget_rials: u64,
    /// Summed over the needs declared by the day.
    pub households_affected: u64,
    pub pending_proposals: u32,
    pub overdue_projects: u32,
    pub open_referrals: u32,
    pub late_needs: u32,
    pub late_proposals: u32,
    pub activities: u32,
    pub participants: u64,
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
    /// Its approved budget, households and needs by priority.
    pub budget: ZoneBudget,
    /// Referrals of its needs not answered by the day.
    pub open_referrals: u32,
    /// Social activities reported by the day, and their participants.
    pub activities: u32,
    pub participants: u64,
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

/// A zone, NGO, agency or member: its code and its names (a code never registered
/// shows as itself in both languages).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    pub code: String,
    pub name: Names,
}

// ListOpenReferrals.
/// The referrals not answered by the day, the longest waiting first, and how many wait
/// per zone, agency and NGO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReferrals {
    pub referrals: Vec<OpenReferral>,
    pub by_zone: Vec<OpenCount>,
    pub by_agency: Vec<OpenCount>,
    pub by_ngo: Vec<OpenCount>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReferral {
    pub referral_id: String,
    pub zone: Named,
    pub need_id: String,
    pub need_title: String,
    pub agency: Named,
    pub ngo: Named,
    /// The member who referred it.
    pub member: Named,
    pub referred_on: Day,
    /// Days from the referral to the day.
    pub days_open: u32,
}

/// Open referrals of one zone, agency or NGO: how many, and the longest wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCount {
    pub of: Named,
    pub open: u32,
    pub oldest_days: u32,
}

// GetDecisionTimes.
/// How long proposals wait for the county supervisor's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTimes {
    /// Over the proposals decided by the day: days from submission to decision.
    pub median_days: Option<f64>,
    pub worst_days: Option<f64>,
    /// Decided by the day, in decision order.
    pub decided: Vec<ProposalWait>,
    /// Pending on the day, the longest waiting first.
    pub pending: Vec<ProposalWait>,
}

/// A proposal's decision as of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    Pending,
    Approved,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalWait {
    pub proposal_id: String,
    pub zone: Named,
    pub title: String,
    pub agency: Named,
    pub approach: Approach,
    pub submitted_on: Day,
    pub decision: Decided,
    /// `None` while pending.
    pub decided_on: Option<Day>,
    /// Days from submission to the decision, or to the day while pending.
    pub days: u32,
}

// GetSupervision.
/// The county supervisor's reports: per NGO (every NGO approved by the day, or with
/// reports by then, by code) and each report, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Supervision {
    pub ngos: Vec<NgoSupervision>,
    pub reports: Vec<SupervisionReport>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NgoSupervision {
    pub ngo: Named,
    pub reports: u32,
    /// The mean rating, rounded to one decimal as shown; `None` without reports.
    pub average_rating: Option<f64>,
    pub latest_rating: Option<u32>,
    pub latest_on: Option<Day>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionReport {
    pub report_id: String,
    pub ngo: Named,
    /// `None` when the report names no zone.
    pub zone: Option<Named>,
    pub rating: u32,
    pub findings: String,
    pub filed_on: Day,
}

// GetActivities.
/// Social activities reported by the day: per zone (every zone registered by then),
/// per NGO (every NGO approved by then), and each one in the order held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activities {
    pub by_zone: Vec<ActivityCount>,
    pub by_ngo: Vec<ActivityCount>,
    pub activities: Vec<Activity>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCount {
    pub of: Named,
    pub activities: u32,
    pub participants: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub activity_id: String,
    pub zone: Named,
    pub ngo: Named,
    pub member: Named,
    pub title: String,
    pub participants: u32,
    pub held_on: Day,
    pub reported_on: Day,
}

// GetLateItems.
/// The needs and proposals submitted after their deadline, by submitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateItems {
    pub needs_deadline: Option<Day>,
    pub proposals_deadline: Option<Day>,
    /// By NGO, then day declared.
    pub needs: Vec<LateItem>,
    /// By agency, then day submitted.
    pub proposals: Vec<LateItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateItem {
    /// The need's or proposal's id.
    pub id: String,
    pub zone: Named,
    pub title: String,
    pub approach: Approach,
    /// The NGO (a need's) or agency (a proposal's).
    pub submitter: Named,
    /// The member who declared a need; `None` for a proposal.
    pub member: Option<Named>,
    pub submitted_on: Day,
    /// Days from the deadline to the day submitted (0 when judged late on the
    /// deadline's own day: received after it ended).
    pub days_late: u32,
}

// ListZoneBudgets.
/// A zone's approved budget, the households its needs affect and its needs by priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneBudget {
    pub zone: Named,
    /// Of the proposals approved by the day.
    pub approved_budget_rials: u64,
    pub infrastructural_budget_rials: u64,
    pub social_budget_rials: u64,
    /// Summed over the needs declared by the day, as each declared them.
    pub households_affected: u64,
    /// Needs per priority, most urgent first, zeros included; `None`: not recorded
    /// (needs applied before the read models kept it, until a rebuild).
    pub needs_by_priority: Vec<(Option<Priority>, u32)>,
}

// GetNgoMembers.
/// An NGO (every NGO approved by the day, by code) and its members by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgoMembers {
    pub ngo: Named,
    pub members: Vec<MemberStatus>,
}

/// A member as of the day: approved or revoked, since when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberStatus {
    pub member: String,
    /// As its latest approval gives it.
    pub full_name: String,
    pub approved: bool,
    /// The day of its latest approval or revocation.
    pub since: Day,
    /// Its first approval.
    pub first_approved_on: Day,
    /// Why it was revoked; empty while approved.
    pub revocation_reason: String,
}

// GetCorrections.
/// Progress reports that corrected a figure down, and the reasons given with
/// rejections, as of the day (when they were reported or decided).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrections {
    /// In the order reported.
    pub corrections: Vec<Correction>,
    /// In the order decided.
    pub rejections: Vec<Rejection>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub proposal_id: String,
    pub zone: Named,
    pub title: String,
    pub agency: Named,
    /// The percent of the report before it, and its own.
    pub from_percent: u32,
    pub to_percent: u32,
    pub reason: String,
    /// The day the figure is true of, and the day it was reported.
    pub as_of: Day,
    pub reported_on: Day,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub proposal_id: String,
    pub zone: Named,
    pub title: String,
    pub agency: Named,
    pub reason: String,
    pub submitted_on: Day,
    pub rejected_on: Day,
}

// GetZoneSeries.
/// A zone's progress at each Solar Hijri month's end from the month it was registered
/// in, and on the day itself when it is not a month's end.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneSeries {
    pub zone: Named,
    pub points: Vec<(Day, Progress)>,
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
