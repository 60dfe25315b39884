//! Domain events -> `saman.events.v1.Envelope`: the bytes the event store keeps and
//! JetStream carries (the payload of every event message).

use jiff::Timestamp;
use prost::Message;
use saman_domain::actor::Principal;
use saman_domain::calendar::Day;
use saman_domain::event::{
    AgencyRegistered, EventOf, Ids, NeedDeclared, NeedReferred, NgoApproved, NgoMemberApproved,
    NgoMemberRevoked, ProgressReported, ProjectCompleted, ProposalApproved, ProposalRejected,
    ProposalSubmitted, ReferralAnswered, SocialActivityReported, SupervisionReportFiled,
    ZoneRegistered,
};
use saman_domain::time::{Attestation, Vouch};
use saman_domain::values::{Approach, Priority};
use saman_domain::{Actor, StreamId};
use saman_proto::events::v1 as pb;
use saman_proto::events::v1::envelope::Body;
use uuid::Uuid;

/// The metadata of one event besides its body, as intake records it.
#[derive(Debug, Clone)]
pub struct EventMeta {
    pub event_id: Uuid,
    pub stream: StreamId,
    pub stream_version: u64,
    pub submission: Uuid,
    pub actor: Actor,
    /// The authenticated caller behind the actor (`None`: authentication was off).
    pub principal: Option<Principal>,
    pub occurred_at: Timestamp,
    pub recorded_at: Timestamp,
    /// When intake received the submission.
    pub received_at: Timestamp,
    /// What vouched for `occurred_at`.
    pub vouch: Vouch,
}

/// The bytes of an event: its envelope, protobuf-encoded.
pub fn encode<I: Ids>(meta: &EventMeta, event: &EventOf<I>) -> Vec<u8> {
    envelope(meta, event).encode_to_vec()
}

/// The envelope of an event: its metadata and its body.
pub fn envelope<I: Ids>(meta: &EventMeta, event: &EventOf<I>) -> pb::Envelope {
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
        principal: meta.principal.as_ref().map(principal_to_pb),
        received_at: Some(timestamp(meta.received_at)),
        claimed_time: Some(claimed_time_to_pb(&meta.vouch)),
        body: Some(body(event)),
    }
}

/// A principal in its wire form.
pub fn principal_to_pb(principal: &Principal) -> pb::Principal {
    pb::Principal {
        issuer: principal.issuer.to_string(),
        subject: principal.subject.to_string(),
    }
}

/// An attestation in its wire form.
pub fn attestation_to_pb(a: &Attestation) -> pb::Attestation {
    pb::Attestation {
        attester: Some(actor_to_pb(&a.attester)),
        principal: a.principal.as_ref().map(principal_to_pb),
        reason: a.reason.to_string(),
    }
}

/// What vouched for a claimed time, in its wire form.
pub fn claimed_time_to_pb(vouch: &Vouch) -> pb::ClaimedTime {
    use pb::claimed_time::Vouch as V;
    let vouch = match vouch {
        Vouch::Unvouched => V::Unvouched(pb::Unvouched {}),
        Vouch::WithinTolerance { tolerance_secs } => V::WithinTolerance(pb::WithinTolerance {
            tolerance_seconds: *tolerance_secs,
        }),
        Vouch::Attested(a) => V::Attested(attestation_to_pb(a)),
        Vouch::TrustedDeployment => V::TrustedDeployment(pb::TrustedDeployment {}),
    };
    pb::ClaimedTime { vouch: Some(vouch) }
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

/// An actor in its wire form.
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

/// An approach in its wire form (`saman.events.v1.Approach`).
pub fn approach_to_pb(approach: Approach) -> i32 {
    match approach {
        Approach::Infrastructural => pb::Approach::Infrastructural as i32,
        Approach::Social => pb::Approach::Social as i32,
    }
}

/// A priority in its wire form (`saman.events.v1.Priority`).
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

fn body<I: Ids>(event: &EventOf<I>) -> Body {
    match event {
        EventOf::ProgrammeDatesSet(d) => Body::ProgrammeDatesSet(pb::ProgrammeDatesSet {
            needs_deadline: day(&d.needs_deadline),
            proposals_deadline: day(&d.proposals_deadline),
            operational_start: day(&d.operational_start),
            goal_date: day(&d.goal_date),
        }),
        EventOf::ZoneRegistered(ZoneRegistered { code, name, goals }) => {
            Body::ZoneRegistered(pb::ZoneRegistered {
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
            })
        }
        EventOf::AgencyRegistered(AgencyRegistered { code, name }) => {
            Body::AgencyRegistered(pb::AgencyRegistered {
                code: s(code),
                name_fa: s(&name.fa),
                name_en: s(&name.en),
            })
        }
        EventOf::NgoApproved(NgoApproved {
            code,
            name,
            ministry_approval_ref,
        }) => Body::NgoApproved(pb::NgoApproved {
            code: s(code),
            name_fa: s(&name.fa),
            name_en: s(&name.en),
            ministry_approval_ref: s(ministry_approval_ref),
        }),
        EventOf::NgoMemberApproved(NgoMemberApproved {
            ngo,
            member,
            full_name,
        }) => Body::NgoMemberApproved(pb::NgoMemberApproved {
            ngo: s(ngo),
            member: s(member),
            full_name: s(full_name),
        }),
        EventOf::NgoMemberRevoked(NgoMemberRevoked {
            ngo,
            member,
            reason,
        }) => Body::NgoMemberRevoked(pb::NgoMemberRevoked {
            ngo: s(ngo),
            member: s(member),
            reason: s(reason),
        }),
        EventOf::NeedDeclared(NeedDeclared {
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
        }) => Body::NeedDeclared(pb::NeedDeclared {
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
        EventOf::NeedReferred(NeedReferred {
            referral,
            zone,
            need,
            agency,
            ngo,
            member,
            note,
        }) => Body::NeedReferred(pb::NeedReferred {
            referral_id: s(referral),
            zone: s(zone),
            need_id: s(need),
            agency: s(agency),
            ngo: s(ngo),
            member: s(member),
            note: s(note),
        }),
        EventOf::ReferralAnswered(ReferralAnswered {
            referral,
            zone,
            agency,
            accepted,
            answer,
        }) => Body::ReferralAnswered(pb::ReferralAnswered {
            referral_id: s(referral),
            zone: s(zone),
            agency: s(agency),
            accepted: *accepted,
            answer: s(answer),
        }),
        EventOf::SocialActivityReported(SocialActivityReported {
            activity,
            zone,
            ngo,
            member,
            title,
            description,
            participants,
            held_on,
        }) => Body::SocialActivityReported(pb::SocialActivityReported {
            activity_id: s(activity),
            zone: s(zone),
            ngo: s(ngo),
            member: s(member),
            title: s(title),
            description: s(description),
            participants: participants.get(),
            held_on: day(held_on),
        }),
        EventOf::ProposalSubmitted(ProposalSubmitted {
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
            goals,
        }) => Body::ProposalSubmitted(pb::ProposalSubmitted {
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
            goal_codes: goals.iter().map(s).collect(),
        }),
        EventOf::ProposalApproved(ProposalApproved {
            proposal,
            zone,
            reason,
        }) => Body::ProposalApproved(pb::ProposalApproved {
            proposal_id: s(proposal),
            zone: s(zone),
            reason: s(reason),
        }),
        EventOf::ProposalRejected(ProposalRejected {
            proposal,
            zone,
            reason,
        }) => Body::ProposalRejected(pb::ProposalRejected {
            proposal_id: s(proposal),
            zone: s(zone),
            reason: s(reason),
        }),
        EventOf::SupervisionReportFiled(SupervisionReportFiled {
            report,
            ngo,
            zone,
            findings,
            rating,
        }) => Body::SupervisionReportFiled(pb::SupervisionReportFiled {
            report_id: s(report),
            ngo: s(ngo),
            zone: zone.as_ref().map(s).unwrap_or_default(),
            findings: s(findings),
            rating: u32::from(rating.get()),
        }),
        EventOf::ProgressReported(ProgressReported {
            proposal,
            zone,
            percent,
            note,
            as_of,
            correction,
        }) => Body::ProgressReported(pb::ProgressReported {
            proposal_id: s(proposal),
            zone: s(zone),
            percent: u32::from(percent.get()),
            note: s(note),
            as_of: day(as_of),
            correction: s(correction),
        }),
        EventOf::ProjectCompleted(ProjectCompleted {
            proposal,
            zone,
            completed_on,
            note,
        }) => Body::ProjectCompleted(pb::ProjectCompleted {
            proposal_id: s(proposal),
            zone: s(zone),
            completed_on: day(completed_on),
            note: s(note),
        }),
    }
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
