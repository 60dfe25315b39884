//! The facts the read models hold, one struct per table (without the `generation`
//! column), as written by `apply` and read back by the queries.

use saman_domain::Day;
use saman_domain::values::{Approach, Priority};

use super::ReadModelError;
use super::table::table;

table! {
    /// The latest `ProgrammeDatesSet`.
    pub(super) struct ProgrammeRow in programme {
        needs_deadline: Day,
        proposals_deadline: Day,
        operational_start: Day,
        goal_date: Day,
        stream_version: u64,
    }
    // A later version of the programme's stream wins, in whatever order they arrive.
    update () set [needs_deadline, proposals_deadline, operational_start, goal_date, stream_version]
        if "programme.stream_version < excluded.stream_version"
}

table! {
    pub(super) struct ZoneRow in zones {
        code: String,
        name_fa: String,
        name_en: String,
        registered_at_us: i64,
        registered_day: Day,
    }
}

table! {
    pub(super) struct GoalRow in goals {
        zone: String,
        code: String,
        ordinal: u32,
        approach: Approach,
        title_fa: String,
        title_en: String,
        weight: u32,
    }
}

table! {
    /// An NGO, with the Ministry's approval reference.
    pub(super) struct NgoRow in ngos {
        code: String,
        name_fa: String,
        name_en: String,
        ministry_approval_ref: String,
        approved_day: Day,
    }
    update (code) set [name_fa, name_en, ministry_approval_ref, approved_day]
}

table! {
    pub(super) struct AgencyRow in agencies {
        code: String,
        name_fa: String,
        name_en: String,
        registered_day: Day,
    }
    update (code) set [name_fa, name_en, registered_day]
}

/// An NGO or an agency as the queries see them: code, names and the day it was approved
/// or registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PartyRow {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub since: Day,
}

table! {
    pub(super) struct NeedRow in needs {
        need_id: String,
        zone: String,
        ngo: String,
        member: String,
        approach: Approach,
        title: String,
        households: u32,
        late: bool,
        declared_at_us: i64,
        declared_day: Day,
        stream_version: u64,
        /// `None` for needs applied before the read models kept it (until a rebuild).
        priority: Option<Priority>,
    }
}

/// A referral's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Answer {
    pub at_us: i64,
    pub day: Day,
    pub accepted: bool,
}

table! {
    /// A referral; its answer, once given, fills the last three columns ([`Self::answer`]).
    pub(super) struct ReferralRow in referrals {
        referral_id: String,
        zone: String,
        need_id: String,
        agency: String,
        ngo: String,
        member: String,
        referred_at_us: i64,
        referred_day: Day,
        answered_at_us: Option<i64>,
        answered_day: Option<Day>,
        accepted: Option<bool>,
    }
    update (referral_id) set [answered_at_us, answered_day, accepted]
}

impl ReferralRow {
    /// The answer, if all of it is stored.
    pub fn answer(&self) -> Option<Answer> {
        match (self.answered_at_us, self.answered_day, self.accepted) {
            (Some(at_us), Some(day), Some(accepted)) => Some(Answer {
                at_us,
                day,
                accepted,
            }),
            _ => None,
        }
    }

    pub fn set_answer(&mut self, answer: Answer) {
        self.answered_at_us = Some(answer.at_us);
        self.answered_day = Some(answer.day);
        self.accepted = Some(answer.accepted);
    }
}

table! {
    pub(super) struct ActivityRow in activities {
        activity_id: String,
        zone: String,
        ngo: String,
        member: String,
        title: String,
        participants: u32,
        held_on: Day,
        reported_day: Day,
    }
    keep first (activity_id)
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

table! {
    /// A proposal; its decision, once made, fills `status`, `decided_day` and
    /// `decided_version` ([`Self::decision`]).
    pub(super) struct ProposalRow in proposals {
        proposal_id: String,
        zone: String,
        agency: String,
        approach: Approach,
        title: String,
        budget_rials: u64,
        planned_start: Day,
        planned_end: Day,
        late: bool,
        submitted_at_us: i64,
        submitted_day: Day,
        stream_version: u64,
        status: Status,
        decided_day: Option<Day>,
        decided_version: Option<u64>,
        /// A project's `ProjectCompleted.completed_on`.
        completed_on: Option<Day>,
        /// The reason given with the decision (why it was rejected, the approval's note).
        decision_reason: String,
    }
    update (proposal_id) set [status, decided_day, decided_version, completed_on, decision_reason]
    checked by ProposalRow::check
}

impl ProposalRow {
    /// A decided proposal has its decision's day and version.
    fn check(&self) -> Result<(), ReadModelError> {
        if self.status != Status::Pending
            && (self.decided_day.is_none() || self.decided_version.is_none())
        {
            return Err(ReadModelError::Corrupt(format!(
                "proposal {:?} is {} without a decision day",
                self.proposal_id,
                self.status.as_str()
            )));
        }
        Ok(())
    }

    /// The decision, once made.
    pub fn decision(&self) -> Option<Decision> {
        match (self.status, self.decided_day, self.decided_version) {
            (Status::Pending, _, _) => None,
            (status, Some(day), Some(stream_version)) => Some(Decision {
                status,
                day,
                stream_version,
            }),
            _ => None,
        }
    }

    pub fn decide(&mut self, decision: Decision, reason: &str) {
        self.decision_reason = reason.to_owned();
        self.status = decision.status;
        self.decided_day = Some(decision.day);
        self.decided_version = Some(decision.stream_version);
    }

    /// Approved, rejected or still pending as of `as_of`.
    pub fn status_as_of(&self, as_of: Day) -> Status {
        match self.decision() {
            Some(d) if d.day <= as_of => d.status,
            _ => Status::Pending,
        }
    }

    /// The day it was approved, if it was.
    pub fn approved_on(&self) -> Option<Day> {
        self.decision()
            .filter(|d| d.status == Status::Approved)
            .map(|d| d.day)
    }
}

table! {
    pub(super) struct ProposalNeedRow in proposal_needs {
        proposal_id: String,
        need_id: String,
        zone: String,
    }
    keep first (proposal_id, need_id)
}

table! {
    /// A goal a proposal names as served; a proposal that names none has no row and
    /// serves every goal of its approach.
    pub(super) struct ProposalGoalRow in proposal_goals {
        proposal_id: String,
        goal_code: String,
        /// Its place in the proposal's list, from 0.
        ordinal: u32,
        zone: String,
    }
    keep first (proposal_id, goal_code)
}

table! {
    pub(super) struct ProgressRow in progress_reports {
        proposal_id: String,
        stream_version: u64,
        zone: String,
        percent: u32,
        as_of: Day,
        reported_day: Day,
        /// Why a report lower than the one before it is lower; empty otherwise.
        correction: String,
    }
}

table! {
    pub(super) struct SupervisionRow in supervision_reports {
        report_id: String,
        ngo: String,
        /// Empty when the report names no zone.
        zone: String,
        rating: u32,
        filed_day: Day,
        findings: String,
        /// Its place in the NGO's stream (0 when applied before the read models kept it).
        stream_version: u64,
    }
    keep first (report_id)
}

table! {
    /// An approval (`approved`) or revocation of an NGO's member, in its stream's order.
    pub(super) struct MemberChangeRow in member_changes {
        ngo: String,
        stream_version: u64,
        member: String,
        approved: bool,
        /// An approval's full name; empty on a revocation.
        full_name: String,
        /// A revocation's reason; empty on an approval.
        reason: String,
        changed_day: Day,
    }
    keep first (ngo, stream_version)
}

/// Who acted, flattened: kind is `programme_office`, `county_supervisor`, `ngo_member`,
/// `agency_officer` or empty; `org` the NGO or agency; `user` the user or member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ActorCols {
    pub kind: String,
    pub org: String,
    pub user: String,
}

table! {
    pub(super) struct TimelineRow in timeline {
        zone: String,
        position: u64,
        event_id: String,
        event_type: String,
        stream_version: u64,
        /// Who acted ([`ActorCols`], [`Self::actor`]).
        actor_kind: String,
        actor_org: String,
        actor_user: String,
        who: String,
        occurred_at_us: i64,
        recorded_at_us: i64,
        occurred_day: Day,
        what_en: String,
        what_fa: String,
        /// The authenticated caller (issuer, subject), empty without one; as stored
        /// ([`safe_text`]).
        principal_issuer: String,
        principal_subject: String,
        /// What vouched for the claimed time (`Vouch::name`), empty when the event
        /// does not say.
        vouch: String,
        /// Who attested the claimed time ([`ActorCols`]), its caller and reason; empty
        /// when nobody did.
        attester_kind: String,
        attester_org: String,
        attester_user: String,
        attester_issuer: String,
        attester_subject: String,
        attestation_reason: String,
    }
}

impl TimelineRow {
    pub fn actor(&self) -> ActorCols {
        ActorCols {
            kind: self.actor_kind.clone(),
            org: self.actor_org.clone(),
            user: self.actor_user.clone(),
        }
    }

    pub fn attester(&self) -> ActorCols {
        ActorCols {
            kind: self.attester_kind.clone(),
            org: self.attester_org.clone(),
            user: self.attester_user.clone(),
        }
    }
}

/// The longest issuer or subject a timeline row keeps (as intake accepts them).
pub(super) const MAX_PRINCIPAL_CHARS: usize = 1_000;
/// The longest attestation reason a timeline row keeps (a long text of intake's).
pub(super) const MAX_ATTESTATION_CHARS: usize = 4_000;

table! {
    pub(super) struct AppliedRow in applied {
        stream_id: String,
        stream_version: u64,
        position: u64,
        /// The event id applied at (stream, version), as stored ([`safe_event_id`]).
        event_id: String,
    }
}

table! {
    pub(super) struct ParkedRow in parked {
        position: u64,
        kind: ParkKind,
        /// Subject, event id and reason as stored: see [`safe_text`].
        subject: String,
        event_id: String,
        reason: String,
        payload: Vec<u8>,
        parked_at_us: i64,
    }
    keep first (position)
    // The wall clock of parking differs between two builds of the same events.
    not dumped [parked_at_us]
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
    /// No signature: not published by intake.
    Unsigned,
    /// Signed with a key the projection does not hold (`--event-keys`).
    UnknownKey,
    /// Signature headers that are not what the event contract says.
    MalformedSignature,
    /// A signature that does not verify: the payload is not what the key signed.
    BadSignature,
}

impl From<&saman_contract::Unverified> for ParkKind {
    fn from(why: &saman_contract::Unverified) -> Self {
        use saman_contract::Unverified;
        match why {
            Unverified::Unsigned => ParkKind::Unsigned,
            Unverified::UnknownKey(_) => ParkKind::UnknownKey,
            Unverified::Malformed(_) => ParkKind::MalformedSignature,
            Unverified::BadSignature(_) => ParkKind::BadSignature,
        }
    }
}

impl ParkKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            ParkKind::Unreadable => "unreadable",
            ParkKind::Refused => "refused",
            ParkKind::Conflict => "conflict",
            ParkKind::DbRefused => "db_refused",
            ParkKind::Unsigned => "unsigned",
            ParkKind::UnknownKey => "unknown_key",
            ParkKind::MalformedSignature => "malformed_signature",
            ParkKind::BadSignature => "bad_signature",
        }
    }

    pub(super) fn parse(s: &str) -> Result<ParkKind, ReadModelError> {
        match s {
            "unreadable" => Ok(ParkKind::Unreadable),
            "refused" => Ok(ParkKind::Refused),
            "conflict" => Ok(ParkKind::Conflict),
            "db_refused" => Ok(ParkKind::DbRefused),
            "unsigned" => Ok(ParkKind::Unsigned),
            "unknown_key" => Ok(ParkKind::UnknownKey),
            "malformed_signature" => Ok(ParkKind::MalformedSignature),
            "bad_signature" => Ok(ParkKind::BadSignature),
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

/// How a need's priority is stored.
pub(super) fn priority_str(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "low",
        Priority::Medium => "medium",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

pub(super) fn parse_priority(s: &str) -> Result<Priority, ReadModelError> {
    match s {
        "low" => Ok(Priority::Low),
        "medium" => Ok(Priority::Medium),
        "high" => Ok(Priority::High),
        "urgent" => Ok(Priority::Urgent),
        other => Err(ReadModelError::Corrupt(format!("priority {other:?}"))),
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

    /// The conflict rules `table!` writes are the SQL they stand for.
    #[test]
    fn conflict_rules_read_as_sql() {
        use super::super::table::Table;
        assert_eq!(
            ProgrammeRow::ON_CONFLICT,
            " ON CONFLICT (generation) DO UPDATE SET needs_deadline = excluded.needs_deadline, \
             proposals_deadline = excluded.proposals_deadline, \
             operational_start = excluded.operational_start, goal_date = excluded.goal_date, \
             stream_version = excluded.stream_version \
             WHERE programme.stream_version < excluded.stream_version"
        );
        assert_eq!(
            AgencyRow::ON_CONFLICT,
            " ON CONFLICT (generation, code) DO UPDATE SET name_fa = excluded.name_fa, \
             name_en = excluded.name_en, registered_day = excluded.registered_day"
        );
        assert_eq!(
            ProposalNeedRow::ON_CONFLICT,
            " ON CONFLICT (generation, proposal_id, need_id) DO NOTHING"
        );
        assert_eq!(ZoneRow::ON_CONFLICT, "");
    }
}
