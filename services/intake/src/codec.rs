//! Domain events <-> `saman.events.v1.Envelope`, the bytes stored in the event
//! store and published on NATS. Decoding is for folding stored history back into
//! the in-memory state: a stored event that no longer parses is corruption, not
//! bad input.

use jiff::Timestamp;
use prost::Message;
use saman_domain::calendar::Day;
use saman_domain::event::{Goal, ProgrammeDates};
use saman_domain::values::*;
use saman_domain::{Actor, Event, StreamId};
use saman_proto::events::v1 as pb;
use saman_proto::events::v1::envelope::Body;
use uuid::Uuid;

/// The metadata of one event besides its body.
#[derive(Debug, Clone)]
pub struct EventMeta {
    pub event_id: Uuid,
    pub stream: StreamId,
    pub stream_version: u64,
    pub submission: Uuid,
    pub actor: Actor,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
}

/// A stored event that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("stored event cannot be decoded: {0}")]
pub struct Corrupt(pub String);

pub fn encode(meta: &EventMeta, event: &Event) -> Vec<u8> {
    envelope(meta, event).encode_to_vec()
}

pub fn envelope(meta: &EventMeta, event: &Event) -> pb::Envelope {
    pb::Envelope {
        event_id: meta.event_id.to_string(),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        stream_id: meta.stream.to_string(),
        stream_version: meta.stream_version,
        submission_id: meta.submission.to_string(),
        actor: Some(actor_to_pb(&meta.actor)),
        occurred_at: Some(timestamp(meta.occurred_at)),
        recorded_at: Some(timestamp(meta.recorded_at)),
        body: Some(body(event)),
    }
}

/// An instant as a `google.protobuf.Timestamp` in its canonical form: `nanos` in
/// 0..1e9 and `seconds` floored, also before 1970 (where jiff's sub-second part is
/// negative, and a subscriber would refuse the timestamp).
pub fn timestamp(ts: Timestamp) -> prost_types::Timestamp {
    let (seconds, nanos) = (ts.as_second(), ts.subsec_nanosecond());
    if nanos < 0 {
        prost_types::Timestamp {
            seconds: seconds - 1,
            nanos: nanos + 1_000_000_000,
        }
    } else {
        prost_types::Timestamp { seconds, nanos }
    }
}

pub fn actor_to_pb(actor: &Actor) -> pb::Actor {
    use pb::actor::Kind;
    let kind = match actor {
        Actor::ProgrammeOffice { user } => Kind::ProgrammeOffice(pb::Official {
            user: user.to_string(),
        }),
        Actor::CountySupervisor { user } => Kind::CountySupervisor(pb::Official {
            user: user.to_string(),
        }),
        Actor::NgoMember { ngo, member } => Kind::NgoMember(pb::NgoMember {
            ngo: ngo.to_string(),
            member: member.to_string(),
        }),
        Actor::AgencyOfficer { agency, user } => Kind::AgencyOfficer(pb::AgencyOfficer {
            agency: agency.to_string(),
            user: user.to_string(),
        }),
    };
    pb::Actor { kind: Some(kind) }
}

pub fn approach_to_pb(approach: Approach) -> i32 {
    match approach {
        Approach::Infrastructural => pb::Approach::Infrastructural as i32,
        Approach::Social => pb::Approach::Social as i32,
    }
}

pub fn priority_to_pb(priority: Priority) -> i32 {
    match priority {
        Priority::Low => pb::Priority::Low as i32,
        Priority::Medium => pb::Priority::Medium as i32,
        Priority::High => pb::Priority::High as i32,
        Priority::Urgent => pb::Priority::Urgent as i32,
    }
}

fn day(d: &Day) -> Option<pb::Day> {
    Some(pb::Day { iso: d.iso() })
}

fn s(value: &impl ToString) -> String {
    value.to_string()
}

fn body(event: &Event) -> Body {
    match event {
        Event::ProgrammeDatesSet(d) => Body::ProgrammeDatesSet(pb::ProgrammeDatesSet {
            needs_deadline: day(&d.needs_deadline),
            proposals_deadline: day(&d.proposals_deadline),
            operational_start: day(&d.operational_start),
            goal_date: day(&d.goal_date),
        }),
        Event::ZoneRegistered { code, name, goals } => Body::ZoneRegistered(pb::ZoneRegistered {
            code: s(code),
            name_fa: s(&name.fa),
            name_en: s(&name.en),
            goals: goals
                .iter()
                .map(|g| pb::Goal {
                    code: s(&g.code),
                    approach: approach_to_pb(g.approach),
                    title_fa: s(&g.title.fa),
                    title_en: s(&g.title.en),
                    weight: u32::from(g.weight.get()),
                })
                .collect(),
        }),
        Event::AgencyRegistered { code, name } => Body::AgencyRegistered(pb::AgencyRegistered {
            code: s(code),
            name_fa: s(&name.fa),
            name_en: s(&name.en),
        }),
        Event::NgoApproved {
            code,
            name,
            ministry_approval_ref,
        } => Body::NgoApproved(pb::NgoApproved {
            code: s(code),
            name_fa: s(&name.fa),
            name_en: s(&name.en),
            ministry_approval_ref: s(ministry_approval_ref),
        }),
        Event::NgoMemberApproved {
            ngo,
            member,
            full_name,
        } => Body::NgoMemberApproved(pb::NgoMemberApproved {
            ngo: s(ngo),
            member: s(member),
            full_name: s(full_name),
        }),
        Event::NgoMemberRevoked {
            ngo,
            member,
            reason,
        } => Body::NgoMemberRevoked(pb::NgoMemberRevoked {
            ngo: s(ngo),
            member: s(member),
            reason: s(reason),
        }),
        Event::NeedDeclared {
            need,
            zone,
            ngo,
            member,
            approach,
            title,
            description,
            households_affected,
            priority,
            late,
        } => Body::NeedDeclared(pb::NeedDeclared {
            need_id: s(need),
            zone: s(zone),
            ngo: s(ngo),
            member: s(member),
            approach: approach_to_pb(*approach),
            title: s(title),
            description: s(description),
            households_affected: households_affected.get(),
            priority: priority_to_pb(*priority),
            late: *late,
        }),
        Event::NeedReferred {
            referral,
            zone,
            need,
            agency,
            ngo,
            member,
            note,
        } => Body::NeedReferred(pb::NeedReferred {
            referral_id: s(referral),
            zone: s(zone),
            need_id: s(need),
            agency: s(agency),
            ngo: s(ngo),
            member: s(member),
            note: s(note),
        }),
        Event::ReferralAnswered {
            referral,
            zone,
            agency,
            accepted,
            answer,
        } => Body::ReferralAnswered(pb::ReferralAnswered {
            referral_id: s(referral),
            zone: s(zone),
            agency: s(agency),
            accepted: *accepted,
            answer: s(answer),
        }),
        Event::SocialActivityReported {
            activity,
            zone,
            ngo,
            member,
            title,
            description,
            participants,
            held_on,
        } => Body::SocialActivityReported(pb::SocialActivityReported {
            activity_id: s(activity),
            zone: s(zone),
            ngo: s(ngo),
            member: s(member),
            title: s(title),
            description: s(description),
            participants: participants.get(),
            held_on: day(held_on),
        }),
        Event::ProposalSubmitted {
            proposal,
            zone,
            agency,
            needs,
            approach,
            title,
            budget,
            planned_start,
            planned_end,
            late,
        } => Body::ProposalSubmitted(pb::ProposalSubmitted {
            proposal_id: s(proposal),
            zone: s(zone),
            agency: s(agency),
            need_ids: needs.iter().map(s).collect(),
            approach: approach_to_pb(*approach),
            title: s(title),
            budget_rials: budget.get(),
            planned_start: day(planned_start),
            planned_end: day(planned_end),
            late: *late,
        }),
        Event::ProposalApproved {
            proposal,
            zone,
            reason,
        } => Body::ProposalApproved(pb::ProposalApproved {
            proposal_id: s(proposal),
            zone: s(zone),
            reason: s(reason),
        }),
        Event::ProposalRejected {
            proposal,
            zone,
            reason,
        } => Body::ProposalRejected(pb::ProposalRejected {
            proposal_id: s(proposal),
            zone: s(zone),
            reason: s(reason),
        }),
        Event::SupervisionReportFiled {
            report,
            ngo,
            zone,
            findings,
            rating,
        } => Body::SupervisionReportFiled(pb::SupervisionReportFiled {
            report_id: s(report),
            ngo: s(ngo),
            zone: zone.as_ref().map(s).unwrap_or_default(),
            findings: s(findings),
            rating: u32::from(rating.get()),
        }),
        Event::ProgressReported {
            proposal,
            zone,
            percent,
            note,
            as_of,
            correction,
        } => Body::ProgressReported(pb::ProgressReported {
            proposal_id: s(proposal),
            zone: s(zone),
            percent: u32::from(percent.get()),
            note: s(note),
            as_of: day(as_of),
            correction: s(correction),
        }),
        Event::ProjectCompleted {
            proposal,
            zone,
            completed_on,
            note,
        } => Body::ProjectCompleted(pb::ProjectCompleted {
            proposal_id: s(proposal),
            zone: s(zone),
            completed_on: day(completed_on),
            note: s(note),
        }),
    }
}

// ---- decoding -----------------------------------------------------------------------

/// A stored event read back: its stream, version, when it happened, and the event.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub stream: StreamId,
    pub version: u64,
    pub occurred_at: Timestamp,
    pub event: Event,
}

/// Decodes stored bytes into the stream, version, instant and domain event they hold.
pub fn decode(payload: &[u8]) -> Result<Decoded, Corrupt> {
    let envelope = pb::Envelope::decode(payload).map_err(|e| Corrupt(e.to_string()))?;
    let stream = StreamId::parse(&envelope.stream_id)
        .ok_or_else(|| Corrupt(format!("stream id '{}'", envelope.stream_id)))?;
    let occurred_at = envelope
        .occurred_at
        .as_ref()
        .and_then(|t| Timestamp::new(t.seconds, t.nanos).ok())
        .ok_or_else(|| Corrupt(format!("event {} has no occurred_at", envelope.event_id)))?;
    let body = envelope
        .body
        .ok_or_else(|| Corrupt(format!("event {} has no body", envelope.event_id)))?;
    Ok(Decoded {
        stream,
        version: envelope.stream_version,
        occurred_at,
        event: event_from_body(body)?,
    })
}

fn bad(what: &str, err: impl std::fmt::Display) -> Corrupt {
    Corrupt(format!("{what}: {err}"))
}

fn text(value: &str) -> Text {
    // Stored text was checked when it was accepted (by the rules of that time): read
    // it back as it is, so a rule made stricter later never stops intake starting.
    Text::stored(value)
}

fn names(fa: &str, en: &str) -> Names {
    Names {
        fa: text(fa),
        en: text(en),
    }
}

fn d(value: Option<pb::Day>, what: &str) -> Result<Day, Corrupt> {
    let iso = value.map(|d| d.iso).unwrap_or_default();
    // `iso` is ISO whatever its year: never the input parser, which reads a year below
    // 1700 as Solar Hijri.
    Day::parse_iso(&iso).map_err(|e| bad(what, e))
}

fn approach(value: i32) -> Result<Approach, Corrupt> {
    match pb::Approach::try_from(value) {
        Ok(pb::Approach::Infrastructural) => Ok(Approach::Infrastructural),
        Ok(pb::Approach::Social) => Ok(Approach::Social),
        _ => Err(Corrupt(format!("approach {value}"))),
    }
}

fn priority(value: i32) -> Result<Priority, Corrupt> {
    match pb::Priority::try_from(value) {
        Ok(pb::Priority::Low) => Ok(Priority::Low),
        Ok(pb::Priority::Medium) => Ok(Priority::Medium),
        Ok(pb::Priority::High) => Ok(Priority::High),
        Ok(pb::Priority::Urgent) => Ok(Priority::Urgent),
        _ => Err(Corrupt(format!("priority {value}"))),
    }
}

macro_rules! parse {
    ($ty:ty, $value:expr) => {
        <$ty>::parse(&$value).map_err(|e| bad(stringify!($ty), e))?
    };
}

fn event_from_body(body: Body) -> Result<Event, Corrupt> {
    Ok(match body {
        Body::ProgrammeDatesSet(e) => Event::ProgrammeDatesSet(ProgrammeDates {
            needs_deadline: d(e.needs_deadline, "needs_deadline")?,
            proposals_deadline: d(e.proposals_deadline, "proposals_deadline")?,
            operational_start: d(e.operational_start, "operational_start")?,
            goal_date: d(e.goal_date, "goal_date")?,
        }),
        Body::ZoneRegistered(e) => Event::ZoneRegistered {
            code: parse!(ZoneCode, e.code),
            name: names(&e.name_fa, &e.name_en),
            goals: e
                .goals
                .into_iter()
                .map(|g| {
                    Ok(Goal {
                        code: parse!(GoalCode, g.code),
                        approach: approach(g.approach)?,
                        title: names(&g.title_fa, &g.title_en),
                        weight: Weight::parse(g.weight).map_err(|e| bad("weight", e))?,
                    })
                })
                .collect::<Result<_, Corrupt>>()?,
        },
        Body::AgencyRegistered(e) => Event::AgencyRegistered {
            code: parse!(AgencyCode, e.code),
            name: names(&e.name_fa, &e.name_en),
        },
        Body::NgoApproved(e) => Event::NgoApproved {
            code: parse!(NgoCode, e.code),
            name: names(&e.name_fa, &e.name_en),
            ministry_approval_ref: text(&e.ministry_approval_ref),
        },
        Body::NgoMemberApproved(e) => Event::NgoMemberApproved {
            ngo: parse!(NgoCode, e.ngo),
            member: parse!(MemberCode, e.member),
            full_name: text(&e.full_name),
        },
        Body::NgoMemberRevoked(e) => Event::NgoMemberRevoked {
            ngo: parse!(NgoCode, e.ngo),
            member: parse!(MemberCode, e.member),
            reason: text(&e.reason),
        },
        Body::NeedDeclared(e) => Event::NeedDeclared {
            need: parse!(NeedId, e.need_id),
            zone: parse!(ZoneCode, e.zone),
            ngo: parse!(NgoCode, e.ngo),
            member: parse!(MemberCode, e.member),
            approach: approach(e.approach)?,
            title: text(&e.title),
            description: text(&e.description),
            households_affected: Count::stored(e.households_affected),
            priority: priority(e.priority)?,
            late: e.late,
        },
        Body::NeedReferred(e) => Event::NeedReferred {
            referral: parse!(ReferralId, e.referral_id),
            zone: parse!(ZoneCode, e.zone),
            need: parse!(NeedId, e.need_id),
            agency: parse!(AgencyCode, e.agency),
            ngo: parse!(NgoCode, e.ngo),
            member: parse!(MemberCode, e.member),
            note: text(&e.note),
        },
        Body::ReferralAnswered(e) => Event::ReferralAnswered {
            referral: parse!(ReferralId, e.referral_id),
            zone: parse!(ZoneCode, e.zone),
            agency: parse!(AgencyCode, e.agency),
            accepted: e.accepted,
            answer: text(&e.answer),
        },
        Body::SocialActivityReported(e) => Event::SocialActivityReported {
            activity: parse!(ActivityId, e.activity_id),
            zone: parse!(ZoneCode, e.zone),
            ngo: parse!(NgoCode, e.ngo),
            member: parse!(MemberCode, e.member),
            title: text(&e.title),
            description: text(&e.description),
            participants: Count::stored(e.participants),
            held_on: d(e.held_on, "held_on")?,
        },
        Body::ProposalSubmitted(e) => Event::ProposalSubmitted {
            proposal: parse!(ProposalId, e.proposal_id),
            zone: parse!(ZoneCode, e.zone),
            agency: parse!(AgencyCode, e.agency),
            needs: e
                .need_ids
                .iter()
                .map(|id| NeedId::parse(id).map_err(|err| bad("need_ids", err)))
                .collect::<Result<_, _>>()?,
            approach: approach(e.approach)?,
            title: text(&e.title),
            budget: Rials::stored(e.budget_rials),
            planned_start: d(e.planned_start, "planned_start")?,
            planned_end: d(e.planned_end, "planned_end")?,
            late: e.late,
        },
        Body::ProposalApproved(e) => Event::ProposalApproved {
            proposal: parse!(ProposalId, e.proposal_id),
            zone: parse!(ZoneCode, e.zone),
            reason: text(&e.reason),
        },
        Body::ProposalRejected(e) => Event::ProposalRejected {
            proposal: parse!(ProposalId, e.proposal_id),
            zone: parse!(ZoneCode, e.zone),
            reason: text(&e.reason),
        },
        Body::SupervisionReportFiled(e) => Event::SupervisionReportFiled {
            report: parse!(ReportId, e.report_id),
            ngo: parse!(NgoCode, e.ngo),
            zone: if e.zone.is_empty() {
                None
            } else {
                Some(parse!(ZoneCode, e.zone))
            },
            findings: text(&e.findings),
            rating: Rating::parse(e.rating).map_err(|err| bad("rating", err))?,
        },
        Body::ProgressReported(e) => Event::ProgressReported {
            proposal: parse!(ProposalId, e.proposal_id),
            zone: parse!(ZoneCode, e.zone),
            percent: Percent::parse(e.percent).map_err(|err| bad("percent", err))?,
            note: text(&e.note),
            as_of: d(e.as_of, "as_of")?,
            correction: text(&e.correction),
        },
        Body::ProjectCompleted(e) => Event::ProjectCompleted {
            proposal: parse!(ProposalId, e.proposal_id),
            zone: parse!(ZoneCode, e.zone),
            completed_on: d(e.completed_on, "completed_on")?,
            note: text(&e.note),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_canonical_protobuf_timestamps_also_before_1970() {
        for (instant, seconds, nanos) in [
            ("1921-03-21T08:30:00.5Z", -1_539_444_600, 500_000_000),
            ("1969-12-31T23:59:59.999999Z", -1, 999_999_000),
            ("1970-01-01T00:00:00Z", 0, 0),
            ("2018-04-20T07:30:00.123456Z", 1_524_209_400, 123_456_000),
        ] {
            let ts: Timestamp = instant.parse().unwrap();
            let pb = timestamp(ts);
            assert_eq!((pb.seconds, pb.nanos), (seconds, nanos), "{instant}");
            assert!((0..1_000_000_000).contains(&pb.nanos));
            assert_eq!(Timestamp::new(pb.seconds, pb.nanos).unwrap(), ts);
        }
    }
}
