//! The facts the read models hold, one struct per table (without the `generation`
//! column), as written by `apply` and read back by the queries.

use saman_domain::Day;
use saman_domain::values::Approach;

use super::ReadModelError;

/// The latest `ProgrammeDatesSet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ProgrammeRow {
    pub needs_deadline: Day,
    pub proposals_deadline: Day,
    pub operational_start: Day,
    pub goal_date: Day,
    pub stream_version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ZoneRow {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub registered_at_us: i64,
    pub registered_day: Day,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GoalRow {
    pub zone: String,
    pub code: String,
    pub ordinal: u32,
    pub approach: Approach,
    pub title_fa: String,
    pub title_en: String,
    pub weight: u32,
}

/// An NGO or an agency: code, names and the day it was approved or registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PartyRow {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub since: Day,
}

/// An NGO as written (with the Ministry's approval reference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NgoRow {
    pub party: PartyRow,
    pub ministry_approval_ref: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NeedRow {
    pub need_id: String,
    pub zone: String,
    pub ngo: String,
    pub member: String,
    pub approach: Approach,
    pub title: String,
    pub households: u32,
    pub late: bool,
    pub declared_at_us: i64,
    pub declared_day: Day,
    pub stream_version: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Answer {
    pub at_us: i64,
    pub day: Day,
    pub accepted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ReferralRow {
    pub referral_id: String,
    pub zone: String,
    pub need_id: String,
    pub agency: String,
    pub ngo: String,
    pub member: String,
    pub referred_at_us: i64,
    pub referred_day: Day,
    pub answer: Option<Answer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ActivityRow {
    pub activity_id: String,
    pub zone: String,
    pub ngo: String,
    pub member: String,
    pub title: String,
    pub participants: u32,
    pub held_on: Day,
    pub reported_day: Day,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Pending,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Result<Status, ReadModelError> {
        match s {
            "pending" => Ok(Status::Pending),
            "approved" => Ok(Status::Approved),
            "rejected" => Ok(Status::Rejected),
            other => Err(ReadModelError::Corrupt(format!(
                "proposal status {other:?}"
            ))),
        }
    }
}

/// The decision on a proposal: approved or rejected, on `day` (Asia/Tehran day of the
/// decision's `occurred_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decision {
    pub status: Status,
    pub day: Day,
    pub stream_version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ProposalRow {
    pub proposal_id: String,
    pub zone: String,
    pub agency: String,
    pub approach: Approach,
    pub title: String,
    pub budget_rials: u64,
    pub planned_start: Day,
    pub planned_end: Day,
    pub late: bool,
    pub submitted_at_us: i64,
    pub submitted_day: Day,
    pub stream_version: u64,
    pub decision: Option<Decision>,
    /// A project's `ProjectCompleted.completed_on`.
    pub completed_on: Option<Day>,
}

impl ProposalRow {
    /// Approved, rejected or still pending as of `as_of`.
    pub fn status_as_of(&self, as_of: Day) -> Status {
        match self.decision {
            Some(d) if d.day <= as_of => d.status,
            _ => Status::Pending,
        }
    }

    /// The day it was approved, if it was.
    pub fn approved_on(&self) -> Option<Day> {
        self.decision
            .filter(|d| d.status == Status::Approved)
            .map(|d| d.day)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ProposalNeedRow {
    pub proposal_id: String,
    pub need_id: String,
    pub zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ProgressRow {
    pub proposal_id: String,
    pub stream_version: u64,
    pub zone: String,
    pub percent: u32,
    pub as_of: Day,
    pub reported_day: Day,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SupervisionRow {
    pub report_id: String,
    pub ngo: String,
    /// Empty when the report names no zone.
    pub zone: String,
    pub rating: u32,
    pub filed_day: Day,
}

/// Who acted, flattened: kind is `programme_office`, `county_supervisor`, `ngo_member`,
/// `agency_officer` or empty; `org` the NGO or agency; `user` the user or member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ActorCols {
    pub kind: String,
    pub org: String,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TimelineRow {
    pub zone: String,
    pub position: u64,
    pub event_id: String,
    pub event_type: String,
    pub stream_version: u64,
    pub actor: ActorCols,
    pub who: String,
    pub occurred_at_us: i64,
    pub recorded_at_us: i64,
    pub occurred_day: Day,
    pub what_en: String,
    pub what_fa: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AppliedRow {
    pub stream_id: String,
    pub stream_version: u64,
    pub position: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ParkedRow {
    pub position: u64,
    pub subject: String,
    pub event_id: String,
    pub reason: String,
    pub payload: Vec<u8>,
    pub parked_at_us: i64,
}

/// How an approach is stored.
pub(super) fn approach_str(approach: Approach) -> &'static str {
    match approach {
        Approach::Infrastructural => "infrastructural",
        Approach::Social => "social",
    }
}

pub(super) fn parse_approach(s: &str) -> Result<Approach, ReadModelError> {
    match s {
        "infrastructural" => Ok(Approach::Infrastructural),
        "social" => Ok(Approach::Social),
        other => Err(ReadModelError::Corrupt(format!("approach {other:?}"))),
    }
}

pub(super) fn parse_day(s: &str) -> Result<Day, ReadModelError> {
    Day::parse(s).map_err(|e| ReadModelError::Corrupt(format!("stored day {s:?}: {e}")))
}

/// Stored integers are i64; the facts' are unsigned.
pub(super) fn to_u64(value: i64, what: &str) -> Result<u64, ReadModelError> {
    u64::try_from(value).map_err(|_| ReadModelError::Corrupt(format!("negative {what}: {value}")))
}

pub(super) fn to_u32(value: i64, what: &str) -> Result<u32, ReadModelError> {
    u32::try_from(value)
        .map_err(|_| ReadModelError::Corrupt(format!("{what} out of range: {value}")))
}

/// u64 -> i64 for storage (JetStream sequences, versions and budgets stay far below 2^63).
pub(super) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
