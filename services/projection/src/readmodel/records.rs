//! The facts read back: each table's columns as a `#[derive(sqlx::FromRow)]` record (text,
//! integers, booleans as SQL stores them), and the fact it holds (days, approaches,
//! unsigned numbers, as `facts` types them). A record that breaks an invariant (a day
//! that does not parse, a negative count) is [`ReadModelError::Corrupt`].

use super::ReadModelError;
use super::facts::{
    ActorCols, Answer, Decision, GoalRow, NeedRow, PartyRow, ProgrammeRow, ProgressRow,
    ProposalRow, ReferralRow, Status, TimelineRow, ZoneRow, parse_approach, parse_day, to_u32,
    to_u64,
};

type Result<T, E = ReadModelError> = std::result::Result<T, E>;

/// Records into facts.
pub(super) fn facts<R, F>(records: Vec<R>) -> Result<Vec<F>>
where
    F: TryFrom<R, Error = ReadModelError>,
{
    records.into_iter().map(F::try_from).collect()
}

pub(super) const PROGRAMME_COLS: &str =
    "needs_deadline, proposals_deadline, operational_start, goal_date, stream_version";

#[derive(sqlx::FromRow)]
pub(super) struct ProgrammeRecord {
    needs_deadline: String,
    proposals_deadline: String,
    operational_start: String,
    goal_date: String,
    stream_version: i64,
}

impl TryFrom<ProgrammeRecord> for ProgrammeRow {
    type Error = ReadModelError;

    fn try_from(r: ProgrammeRecord) -> Result<Self> {
        Ok(ProgrammeRow {
            needs_deadline: parse_day(&r.needs_deadline)?,
            proposals_deadline: parse_day(&r.proposals_deadline)?,
            operational_start: parse_day(&r.operational_start)?,
            goal_date: parse_day(&r.goal_date)?,
            stream_version: to_u64(r.stream_version, "stream version")?,
        })
    }
}

pub(super) const ZONE_COLS: &str = "code, name_fa, name_en, registered_at_us, registered_day";

#[derive(sqlx::FromRow)]
pub(super) struct ZoneRecord {
    code: String,
    name_fa: String,
    name_en: String,
    registered_at_us: i64,
    registered_day: String,
}

impl TryFrom<ZoneRecord> for ZoneRow {
    type Error = ReadModelError;

    fn try_from(r: ZoneRecord) -> Result<Self> {
        Ok(ZoneRow {
            registered_day: parse_day(&r.registered_day)?,
            code: r.code,
            name_fa: r.name_fa,
            name_en: r.name_en,
            registered_at_us: r.registered_at_us,
        })
    }
}

pub(super) const GOAL_COLS: &str = "zone, code, ordinal, approach, title_fa, title_en, weight";

#[derive(sqlx::FromRow)]
pub(super) struct GoalRecord {
    zone: String,
    code: String,
    ordinal: i64,
    approach: String,
    title_fa: String,
    title_en: String,
    weight: i64,
}

impl TryFrom<GoalRecord> for GoalRow {
    type Error = ReadModelError;

    fn try_from(r: GoalRecord) -> Result<Self> {
        Ok(GoalRow {
            ordinal: to_u32(r.ordinal, "ordinal")?,
            approach: parse_approach(&r.approach)?,
            weight: to_u32(r.weight, "weight")?,
            zone: r.zone,
            code: r.code,
            title_fa: r.title_fa,
            title_en: r.title_en,
        })
    }
}

pub(super) const NEED_COLS: &str = "need_id, zone, ngo, member, approach, title, households, \
     late, declared_at_us, declared_day, stream_version";

#[derive(sqlx::FromRow)]
pub(super) struct NeedRecord {
    need_id: String,
    zone: String,
    ngo: String,
    member: String,
    approach: String,
    title: String,
    households: i64,
    late: bool,
    declared_at_us: i64,
    declared_day: String,
    stream_version: i64,
}

impl TryFrom<NeedRecord> for NeedRow {
    type Error = ReadModelError;

    fn try_from(r: NeedRecord) -> Result<Self> {
        Ok(NeedRow {
            approach: parse_approach(&r.approach)?,
            households: to_u32(r.households, "households")?,
            declared_day: parse_day(&r.declared_day)?,
            stream_version: to_u64(r.stream_version, "stream version")?,
            need_id: r.need_id,
            zone: r.zone,
            ngo: r.ngo,
            member: r.member,
            title: r.title,
            late: r.late,
            declared_at_us: r.declared_at_us,
        })
    }
}

pub(super) const REFERRAL_COLS: &str = "referral_id, zone, need_id, agency, ngo, member, \
     referred_at_us, referred_day, answered_at_us, answered_day, accepted";

#[derive(sqlx::FromRow)]
pub(super) struct ReferralRecord {
    referral_id: String,
    zone: String,
    need_id: String,
    agency: String,
    ngo: String,
    member: String,
    referred_at_us: i64,
    referred_day: String,
    answered_at_us: Option<i64>,
    answered_day: Option<String>,
    accepted: Option<bool>,
}

impl TryFrom<ReferralRecord> for ReferralRow {
    type Error = ReadModelError;

    fn try_from(r: ReferralRecord) -> Result<Self> {
        let answer = match (r.answered_at_us, r.answered_day, r.accepted) {
            (Some(at_us), Some(day), Some(accepted)) => Some(Answer {
                at_us,
                day: parse_day(&day)?,
                accepted,
            }),
            _ => None,
        };
        Ok(ReferralRow {
            referred_day: parse_day(&r.referred_day)?,
            answer,
            referral_id: r.referral_id,
            zone: r.zone,
            need_id: r.need_id,
            agency: r.agency,
            ngo: r.ngo,
            member: r.member,
            referred_at_us: r.referred_at_us,
        })
    }
}

pub(super) const PROPOSAL_COLS: &str = "proposal_id, zone, agency, approach, title, \
     budget_rials, planned_start, planned_end, late, submitted_at_us, submitted_day, \
     stream_version, status, decided_day, decided_version, completed_on";

#[derive(sqlx::FromRow)]
pub(super) struct ProposalRecord {
    proposal_id: String,
    zone: String,
    agency: String,
    approach: String,
    title: String,
    budget_rials: i64,
    planned_start: String,
    planned_end: String,
    late: bool,
    submitted_at_us: i64,
    submitted_day: String,
    stream_version: i64,
    status: String,
    decided_day: Option<String>,
    decided_version: Option<i64>,
    completed_on: Option<String>,
}

impl TryFrom<ProposalRecord> for ProposalRow {
    type Error = ReadModelError;

    fn try_from(r: ProposalRecord) -> Result<Self> {
        let decision = match (Status::parse(&r.status)?, r.decided_day, r.decided_version) {
            (Status::Pending, _, _) => None,
            (status, Some(day), Some(version)) => Some(Decision {
                status,
                day: parse_day(&day)?,
                stream_version: to_u64(version, "decided version")?,
            }),
            (status, _, _) => {
                return Err(ReadModelError::Corrupt(format!(
                    "proposal {:?} is {} without a decision day",
                    r.proposal_id,
                    status.as_str()
                )));
            }
        };
        Ok(ProposalRow {
            approach: parse_approach(&r.approach)?,
            budget_rials: to_u64(r.budget_rials, "budget")?,
            planned_start: parse_day(&r.planned_start)?,
            planned_end: parse_day(&r.planned_end)?,
            submitted_day: parse_day(&r.submitted_day)?,
            stream_version: to_u64(r.stream_version, "stream version")?,
            decision,
            completed_on: r.completed_on.as_deref().map(parse_day).transpose()?,
            proposal_id: r.proposal_id,
            zone: r.zone,
            agency: r.agency,
            title: r.title,
            late: r.late,
            submitted_at_us: r.submitted_at_us,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ProgressRecord {
    proposal_id: String,
    stream_version: i64,
    zone: String,
    percent: i64,
    as_of: String,
    reported_day: String,
}

impl TryFrom<ProgressRecord> for ProgressRow {
    type Error = ReadModelError;

    fn try_from(r: ProgressRecord) -> Result<Self> {
        Ok(ProgressRow {
            stream_version: to_u64(r.stream_version, "stream version")?,
            percent: to_u32(r.percent, "percent")?,
            as_of: parse_day(&r.as_of)?,
            reported_day: parse_day(&r.reported_day)?,
            proposal_id: r.proposal_id,
            zone: r.zone,
        })
    }
}

/// An NGO (`since`: `approved_day`) or an agency (`registered_day`).
#[derive(sqlx::FromRow)]
pub(super) struct PartyRecord {
    code: String,
    name_fa: String,
    name_en: String,
    since: String,
}

impl TryFrom<PartyRecord> for PartyRow {
    type Error = ReadModelError;

    fn try_from(r: PartyRecord) -> Result<Self> {
        Ok(PartyRow {
            since: parse_day(&r.since)?,
            code: r.code,
            name_fa: r.name_fa,
            name_en: r.name_en,
        })
    }
}

pub(super) const TIMELINE_COLS: &str = "zone, position, event_id, event_type, stream_version, \
     actor_kind, actor_org, actor_user, who, occurred_at_us, recorded_at_us, occurred_day, \
     what_en, what_fa";

#[derive(sqlx::FromRow)]
pub(super) struct TimelineRecord {
    zone: String,
    position: i64,
    event_id: String,
    event_type: String,
    stream_version: i64,
    #[sqlx(flatten)]
    actor: ActorCols,
    who: String,
    occurred_at_us: i64,
    recorded_at_us: i64,
    occurred_day: String,
    what_en: String,
    what_fa: String,
}

impl TryFrom<TimelineRecord> for TimelineRow {
    type Error = ReadModelError;

    fn try_from(r: TimelineRecord) -> Result<Self> {
        Ok(TimelineRow {
            position: to_u64(r.position, "position")?,
            stream_version: to_u64(r.stream_version, "stream version")?,
            occurred_day: parse_day(&r.occurred_day)?,
            zone: r.zone,
            event_id: r.event_id,
            event_type: r.event_type,
            actor: r.actor,
            who: r.who,
            occurred_at_us: r.occurred_at_us,
            recorded_at_us: r.recorded_at_us,
            what_en: r.what_en,
            what_fa: r.what_fa,
        })
    }
}
