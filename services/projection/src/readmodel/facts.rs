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

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub(super) struct ActorCols {
    #[sqlx(rename = "actor_kind")]
    pub kind: String,
    #[sqlx(rename = "actor_org")]
    pub org: String,
    #[sqlx(rename = "actor_user")]
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
    /// The event id applied at (stream, version), as stored ([`safe_event_id`]).
    pub event_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ParkedRow {
    pub position: u64,
    pub kind: ParkKind,
    /// Subject, event id and reason as stored: see [`safe_text`].
    pub subject: String,
    pub event_id: String,
    pub reason: String,
    pub payload: Vec<u8>,
    pub parked_at_us: i64,
}

/// Why a message was parked (`parked.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParkKind {
    /// What the event contract cannot decode: not an envelope, one without a valid
    /// stream id or version, or a field that is not what the contract says.
    Unreadable,
    /// An event the read models refuse (an unknown zone, ...).
    Refused,
    /// Another event id at a (stream, version) already applied.
    Conflict,
    /// The database refused to store it, for good (see `FailureKind::Deterministic`).
    DbRefused,
}

impl ParkKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            ParkKind::Unreadable => "unreadable",
            ParkKind::Refused => "refused",
            ParkKind::Conflict => "conflict",
            ParkKind::DbRefused => "db_refused",
        }
    }

    pub(super) fn parse(s: &str) -> Result<ParkKind, ReadModelError> {
        match s {
            "unreadable" => Ok(ParkKind::Unreadable),
            "refused" => Ok(ParkKind::Refused),
            "conflict" => Ok(ParkKind::Conflict),
            "db_refused" => Ok(ParkKind::DbRefused),
            other => Err(ReadModelError::Corrupt(format!("parked kind {other:?}"))),
        }
    }
}

/// The longest subject, event id and reason a parked row keeps, in characters.
pub(super) const MAX_SUBJECT_CHARS: usize = 512;
pub(super) const MAX_EVENT_ID_CHARS: usize = 64;
pub(super) const MAX_REASON_CHARS: usize = 2_000;

/// Text from a message made safe to store whatever the backend: a NUL character (which
/// PostgreSQL refuses in `text`) becomes U+FFFD, and text longer than `max_chars`
/// characters is cut to `max_chars - 1` and ends in "…".
pub(super) fn safe_text(text: &str, max_chars: usize) -> String {
    let keep = if text.chars().nth(max_chars).is_some() {
        max_chars.saturating_sub(1)
    } else {
        max_chars
    };
    let mut out: String = text
        .chars()
        .take(keep)
        .map(|c| if c == '\0' { '\u{FFFD}' } else { c })
        .collect();
    if keep < max_chars {
        out.push('…');
    }
    out
}

/// An event id as the projection stores and compares it (see [`safe_text`]).
pub(super) fn safe_event_id(event_id: &str) -> String {
    safe_text(event_id, MAX_EVENT_ID_CHARS)
}

/// Whether `stream_id` is a stream id as intake writes them (`zone.zone-01`, ...), as the
/// event contract reads them: only those are keys of `applied`.
pub(super) fn valid_stream_id(stream_id: &str) -> bool {
    saman_contract::decode::stream_id(stream_id).is_some()
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

/// A stored day: always ISO `YYYY-MM-DD` (as [`Day::iso`] wrote it), whatever the year.
pub(super) fn parse_day(s: &str) -> Result<Day, ReadModelError> {
    Day::parse_iso(s).map_err(|e| ReadModelError::Corrupt(format!("stored day {s:?}: {e}")))
}

/// Stored integers are i64; the facts' are unsigned.
pub(super) fn to_u64(value: i64, what: &str) -> Result<u64, ReadModelError> {
    Ok(saman_sql::to_u64(value, what)?)
}

pub(super) fn to_u32(value: i64, what: &str) -> Result<u32, ReadModelError> {
    u32::try_from(value)
        .map_err(|_| ReadModelError::Corrupt(format!("{what} out of range: {value}")))
}

/// u64 -> i64 for storage. JetStream sequences, versions and budgets stay far below
/// 2^63, but a message from elsewhere may carry anything: a value above is
/// [`ReadModelError::OutOfRange`] (deterministic: the event that carries it is parked).
pub(super) fn to_i64(value: u64, what: &str) -> Result<i64, ReadModelError> {
    Ok(saman_sql::to_i64(value, what)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_text_has_no_nul_and_is_bounded() {
        assert_eq!(safe_text("plain", 10), "plain");
        assert_eq!(safe_text("a\0b", 10), "a\u{FFFD}b");
        assert_eq!(safe_text("0123456789", 10), "0123456789");
        assert_eq!(safe_text("0123456789a", 10), "012345678…");
        assert_eq!(safe_text("", 10), "");
        let long = "\0".repeat(5_000);
        let safe = safe_text(&long, MAX_REASON_CHARS);
        assert_eq!(safe.chars().count(), MAX_REASON_CHARS);
        assert!(!safe.contains('\0'));
        assert_eq!(safe_event_id(&"é".repeat(100)).chars().count(), 64);
    }

    #[test]
    fn only_stream_ids_as_intake_writes_them_are_valid() {
        for valid in [
            "zone.zone-01",
            "ngo.ngo-01",
            "agency.water",
            "programme.khorramabad",
        ] {
            assert!(valid_stream_id(valid), "{valid}");
        }
        for invalid in [
            "",
            "zone",
            "zone.",
            "zone.Zone-01",
            "zone. zone-01",
            "zone.zone\0-01",
            "district.d-01",
            "programme.elsewhere",
        ] {
            assert!(!valid_stream_id(invalid), "{invalid:?}");
        }
        assert!(!valid_stream_id(&format!("zone.{}", "z".repeat(100))));
    }

    #[test]
    fn stored_days_read_back_as_iso_whatever_the_year() {
        for iso in [
            "0001-01-01",
            "1018-03-21",
            "1699-12-31",
            "1700-01-01",
            "9998-12-31",
        ] {
            assert_eq!(parse_day(iso).unwrap().iso(), iso);
        }
        // ISO year 1397, not Solar Hijri.
        assert_eq!(parse_day("1397-01-31").unwrap().iso(), "1397-01-31");
        assert!(matches!(
            parse_day("1397/01/31"),
            Err(ReadModelError::Corrupt(_))
        ));
    }

    #[test]
    fn to_i64_refuses_what_does_not_fit() {
        assert_eq!(to_i64(7, "x").unwrap(), 7);
        assert_eq!(to_i64(i64::MAX as u64, "x").unwrap(), i64::MAX);
        assert!(matches!(
            to_i64(u64::MAX, "stream version"),
            Err(ReadModelError::OutOfRange(_))
        ));
    }
}
