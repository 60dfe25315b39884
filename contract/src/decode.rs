//! `saman.events.v1.Envelope` bytes -> the domain event and its metadata.
//!
//! - [`decode`]: intake folding its own history back into its state. Every event is of
//!   a type it knows and names what it created by the UUIDs intake issued; anything else
//!   is corruption, not bad input.
//! - [`decode_published`]: a subscriber reading the stream, where anyone may have
//!   published: ids are taken as text, and an event of a type newer than this version is
//!   kept as its metadata alone (`event: None`), to skip or show.
//!
//! Both read the same way: strict for stream ids, versions, codes, enums, days (ISO,
//! [`Day::parse_iso`]) and instants; lenient for texts, counts, budgets and the actor,
//! which were checked when they were accepted, by the rules of that time, and read back
//! as they are ([`Text::stored`], [`Count::stored`], [`Rials::stored`]).

use jiff::Timestamp;
use prost::Message;
use saman_domain::actor::Principal;
use saman_domain::calendar::Day;
use saman_domain::event::{
    AgencyRegistered, AsText, EventId, EventOf, Goal, Ids, NeedDeclared, NeedReferred, NgoApproved,
    NgoMemberApproved, NgoMemberRevoked, ProgrammeDates, ProgressReported, ProjectCompleted,
    ProposalApproved, ProposalRejected, ProposalSubmitted, ReferralAnswered,
    SocialActivityReported, SupervisionReportFiled, ZoneRegistered,
};
use saman_domain::time::{Attestation, Vouch};
use saman_domain::values::{
    AgencyCode, Approach, Count, GoalCode, MemberCode, Names, NgoCode, Percent, Priority, Rating,
    Rials, Text, ValueError, Weight, ZoneCode,
};
use saman_domain::{Actor, Event, StreamId};
use saman_proto::events::v1 as pb;
use saman_proto::events::v1::envelope::Body;

use crate::nats::ENVELOPE_MESSAGE;

/// An event as a subscriber reads it: the ids it creates as text (see [`AsText`]).
pub type PublishedEvent = EventOf<AsText>;

/// An event read back from its bytes: the envelope's metadata, and the event.
///
/// Identifiers a reader only passes on (event and submission ids) are the text the
/// envelope holds; intake writes UUIDs there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded<E = Event> {
    pub event_id: String,
    /// The type name (`Saman-Event-Type`); for an unknown type, the only thing known.
    pub event_type: String,
    pub schema_version: u32,
    pub stream: StreamId,
    /// The event's version in its stream, from 1.
    pub version: u64,
    pub submission: String,
    /// Who acted, as recorded; `None` when the envelope names no one.
    pub actor: Option<Actor>,
    /// The authenticated caller behind the actor; `None` when authentication was off.
    pub principal: Option<Principal>,
    /// When the act happened, according to its submitter.
    pub occurred_at: Timestamp,
    /// When intake recorded it; `None` when the envelope has no readable one.
    pub recorded_at: Option<Timestamp>,
    /// When intake received the submission; `None` on events recorded before envelopes
    /// said.
    pub received_at: Option<Timestamp>,
    /// What vouched for `occurred_at`; `None` on events recorded before envelopes said
    /// (or of a kind this version does not know).
    pub vouch: Option<Vouch>,
    pub event: E,
}

impl<E> Recorded<E> {
    /// The time the rules judged the act by: `occurred_at` when vouched for (and on
    /// events that do not say), else when intake received it.
    pub fn judged_at(&self) -> Timestamp {
        match (&self.vouch, self.received_at) {
            (Some(vouch), Some(received)) => vouch.judged(self.occurred_at, received),
            _ => self.occurred_at,
        }
    }
}

/// Why bytes are not a Saman event (the reason is what an operator reads).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DecodeError {
    /// The envelope's event id; empty when the bytes are not an envelope.
    pub event_id: String,
    /// The event's stream and version, when they were readable (only later parts of the
    /// envelope were not): the event at that place in its stream was handled.
    pub stream: Option<(StreamId, u64)>,
    pub reason: String,
}

/// Decodes an event intake recorded (see the module's comment).
pub fn decode(payload: &[u8]) -> Result<Recorded, DecodeError> {
    let (recorded, body) = metadata(payload)?;
    let Some(body) = body else {
        let reason = format!(
            "event {} has no body of a type this version knows (type {:?})",
            recorded.event_id, recorded.event_type
        );
        return Err(recorded.error(reason));
    };
    match event_from_body(body) {
        Ok(event) => Ok(recorded.with(event)),
        Err(reason) => Err(recorded.error(reason)),
    }
}

/// Decodes an event as a subscriber meets it on the stream (see the module's comment).
pub fn decode_published(payload: &[u8]) -> Result<Recorded<Option<PublishedEvent>>, DecodeError> {
    let (recorded, body) = metadata(payload)?;
    match body.map(event_from_body).transpose() {
        Ok(event) => Ok(recorded.with(event)),
        Err(reason) => Err(recorded.error(reason)),
    }
}

impl Recorded<()> {
    fn with<E>(self, event: E) -> Recorded<E> {
        Recorded {
            event_id: self.event_id,
            event_type: self.event_type,
            schema_version: self.schema_version,
            stream: self.stream,
            version: self.version,
            submission: self.submission,
            actor: self.actor,
            principal: self.principal,
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            received_at: self.received_at,
            vouch: self.vouch,
            event,
        }
    }

    fn error(self, reason: String) -> DecodeError {
        DecodeError {
            event_id: self.event_id,
            stream: Some((self.stream, self.version)),
            reason,
        }
    }
}

/// The envelope's metadata, and its body if it has one this version knows.
fn metadata(payload: &[u8]) -> Result<(Recorded<()>, Option<Body>), DecodeError> {
    let envelope = pb::Envelope::decode(payload).map_err(|e| DecodeError {
        event_id: String::new(),
        stream: None,
        reason: format!("cannot decode a {ENVELOPE_MESSAGE}: {e}"),
    })?;
    let unreadable = |reason: String| DecodeError {
        event_id: envelope.event_id.clone(),
        stream: None,
        reason,
    };
    if envelope.stream_id.is_empty() || envelope.stream_version == 0 {
        return Err(unreadable(format!(
            "the envelope has no stream id or version (stream {:?}, version {})",
            envelope.stream_id, envelope.stream_version
        )));
    }
    let Some(stream) = stream_id(&envelope.stream_id) else {
        return Err(unreadable(format!(
            "the envelope's stream id {:?} is not a stream id \
             (<kind>.<key>, e.g. zone.zone-01)",
            envelope.stream_id
        )));
    };
    let recorded = Recorded {
        event_id: envelope.event_id,
        event_type: envelope.event_type,
        schema_version: envelope.schema_version,
        stream,
        version: envelope.stream_version,
        submission: envelope.submission_id,
        actor: envelope.actor.and_then(actor),
        principal: envelope.principal.map(principal),
        occurred_at: Timestamp::UNIX_EPOCH,
        recorded_at: instant(envelope.recorded_at.as_ref(), "recorded_at").ok(),
        received_at: None,
        vouch: None,
        event: (),
    };
    let received_at = match envelope.received_at.as_ref() {
        None => None,
        Some(ts) => match instant(Some(ts), "received_at") {
            Ok(at) => Some(at),
            Err(reason) => return Err(recorded.error(reason)),
        },
    };
    let vouch = match envelope.claimed_time.map(vouch).transpose() {
        Ok(vouch) => vouch.flatten(),
        Err(reason) => return Err(recorded.error(reason)),
    };
    match instant(envelope.occurred_at.as_ref(), "occurred_at") {
        Ok(occurred_at) => Ok((
            Recorded {
                occurred_at,
                received_at,
                vouch,
                ..recorded
            },
            envelope.body,
        )),
        Err(reason) => Err(recorded.error(reason)),
    }
}

/// What vouched for the claimed time; `None` for a kind this version does not know.
fn vouch(claimed: pb::ClaimedTime) -> Result<Option<Vouch>, String> {
    use pb::claimed_time::Vouch as V;
    Ok(match claimed.vouch {
        None => None,
        Some(V::Unvouched(_)) => Some(Vouch::Unvouched),
        Some(V::WithinTolerance(t)) => Some(Vouch::WithinTolerance {
            tolerance_secs: t.tolerance_seconds,
        }),
        Some(V::TrustedDeployment(_)) => Some(Vouch::TrustedDeployment),
        Some(V::Attested(a)) => {
            let attester = a
                .attester
                .and_then(actor)
                .ok_or("claimed_time.attested names no attester")?;
            Some(Vouch::Attested(Attestation {
                attester,
                principal: a.principal.map(principal),
                reason: Text::stored(&a.reason),
            }))
        }
    })
}

fn principal(p: pb::Principal) -> Principal {
    Principal {
        issuer: Text::stored(&p.issuer),
        subject: Text::stored(&p.subject),
    }
}

/// A stream id exactly as intake writes them (`zone.zone-01`, ...): not one that only
/// parses after folding (`zone.Zone-01`), since stream ids are compared as text.
pub fn stream_id(text: &str) -> Option<StreamId> {
    StreamId::parse(text).filter(|id| id.to_string() == text)
}

/// An instant from its protobuf form. Canonical timestamps have nanos in 0..1e9; intake
/// before 2026-12 wrote instants before 1970 with negative nanos (jiff's sign), and
/// those events are in streams: both read as the same instant.
pub fn instant(ts: Option<&prost_types::Timestamp>, field: &str) -> Result<Timestamp, String> {
    let ts = ts.ok_or_else(|| format!("{field} is missing"))?;
    if !(-999_999_999..1_000_000_000).contains(&ts.nanos) {
        return Err(format!("{field} has {} nanoseconds", ts.nanos));
    }
    Timestamp::new(ts.seconds, ts.nanos).map_err(|e| format!("{field} is out of range: {e}"))
}

/// The actor as recorded: its names read back as they were written (it is shown, never
/// used as a key).
fn actor(actor: pb::Actor) -> Option<Actor> {
    use pb::actor::Kind;
    Some(match actor.kind? {
        Kind::ProgrammeOffice(o) => Actor::ProgrammeOffice {
            user: Text::stored(&o.user),
        },
        Kind::CountySupervisor(o) => Actor::CountySupervisor {
            user: Text::stored(&o.user),
        },
        Kind::NgoMember(m) => Actor::NgoMember {
            ngo: NgoCode::stored(&m.ngo),
            member: MemberCode::stored(&m.member),
        },
        Kind::AgencyOfficer(o) => Actor::AgencyOfficer {
            agency: AgencyCode::stored(&o.agency),
            user: Text::stored(&o.user),
        },
    })
}

/// Why a field is not what the contract says.
type Refusal = String;

fn bad(field: &str, err: impl std::fmt::Display) -> Refusal {
    format!("{field}: {err}")
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

fn day(value: Option<pb::Day>, field: &str) -> Result<Day, Refusal> {
    let iso = value.map(|d| d.iso).unwrap_or_default();
    if iso.is_empty() {
        return Err(format!("{field} is missing"));
    }
    // Written with `Day::iso`: ISO whatever its year, never the input parser, which
    // reads a year below 1700 as Solar Hijri.
    Day::parse_iso(&iso).map_err(|e| bad(field, e))
}

fn code<T>(
    parse: impl Fn(&str) -> Result<T, ValueError>,
    value: &str,
    field: &str,
) -> Result<T, Refusal> {
    parse(value).map_err(|e| bad(field, e))
}

fn id<T: EventId>(value: &str, field: &str) -> Result<T, Refusal> {
    T::parse_id(value).map_err(|e| bad(field, e))
}

/// An approach from its wire form (`saman.events.v1.Approach`); `None` for
/// `APPROACH_UNSPECIFIED` and values this version does not know.
pub fn approach_from_pb(value: i32) -> Option<Approach> {
    match pb::Approach::try_from(value) {
        Ok(pb::Approach::Infrastructural) => Some(Approach::Infrastructural),
        Ok(pb::Approach::Social) => Some(Approach::Social),
        Ok(pb::Approach::Unspecified) | Err(_) => None,
    }
}

/// A priority from its wire form (`saman.events.v1.Priority`); `None` for
/// `PRIORITY_UNSPECIFIED` and values this version does not know.
pub fn priority_from_pb(value: i32) -> Option<Priority> {
    match pb::Priority::try_from(value) {
        Ok(pb::Priority::Low) => Some(Priority::Low),
        Ok(pb::Priority::Medium) => Some(Priority::Medium),
        Ok(pb::Priority::High) => Some(Priority::High),
        Ok(pb::Priority::Urgent) => Some(Priority::Urgent),
        Ok(pb::Priority::Unspecified) | Err(_) => None,
    }
}

fn approach(value: i32, field: &str) -> Result<Approach, Refusal> {
    approach_from_pb(value)
        .ok_or_else(|| format!("{field} {value} is neither infrastructural nor social"))
}

fn priority(value: i32, field: &str) -> Result<Priority, Refusal> {
    priority_from_pb(value).ok_or_else(|| format!("{field} {value} is not a priority"))
}

fn event_from_body<I: Ids>(body: Body) -> Result<EventOf<I>, Refusal> {
    Ok(match body {
        Body::ProgrammeDatesSet(e) => EventOf::ProgrammeDatesSet(ProgrammeDates {
            needs_deadline: day(e.needs_deadline, "needs_deadline")?,
            proposals_deadline: day(e.proposals_deadline, "proposals_deadline")?,
            operational_start: day(e.operational_start, "operational_start")?,
            goal_date: day(e.goal_date, "goal_date")?,
        }),
        Body::ZoneRegistered(e) => EventOf::ZoneRegistered(ZoneRegistered {
            code: code(ZoneCode::parse, &e.code, "code")?,
            name: names(&e.name_fa, &e.name_en),
            goals: e
                .goals
                .into_iter()
                .map(|g| {
                    Ok(Goal {
                        code: code(GoalCode::parse, &g.code, "goal code")?,
                        approach: approach(g.approach, "goal approach")?,
                        title: names(&g.title_fa, &g.title_en),
                        weight: Weight::parse(g.weight).map_err(|e| bad("goal weight", e))?,
                    })
                })
                .collect::<Result<_, Refusal>>()?,
        }),
        Body::AgencyRegistered(e) => EventOf::AgencyRegistered(AgencyRegistered {
            code: code(AgencyCode::parse, &e.code, "code")?,
            name: names(&e.name_fa, &e.name_en),
        }),
        Body::NgoApproved(e) => EventOf::NgoApproved(NgoApproved {
            code: code(NgoCode::parse, &e.code, "code")?,
            name: names(&e.name_fa, &e.name_en),
            ministry_approval_ref: text(&e.ministry_approval_ref),
        }),
        Body::NgoMemberApproved(e) => EventOf::NgoMemberApproved(NgoMemberApproved {
            ngo: code(NgoCode::parse, &e.ngo, "ngo")?,
            member: code(MemberCode::parse, &e.member, "member")?,
            full_name: text(&e.full_name),
        }),
        Body::NgoMemberRevoked(e) => EventOf::NgoMemberRevoked(NgoMemberRevoked {
            ngo: code(NgoCode::parse, &e.ngo, "ngo")?,
            member: code(MemberCode::parse, &e.member, "member")?,
            reason: text(&e.reason),
        }),
        Body::NeedDeclared(e) => EventOf::NeedDeclared(NeedDeclared {
            need: id(&e.need_id, "need_id")?,
            zone: code(ZoneCode::parse, &e.zone, "zone")?,
            ngo: code(NgoCode::parse, &e.ngo, "ngo")?,
            member: code(MemberCode::parse, &e.member, "member")?,
            approach: approach(e.approach, "need approach")?,
            title: text(&e.title),
            description: text(&e.description),
            households_affected: Count::stored(e.households_affected),
            priority: priority(e.priority, "need priority")?,
            late: e.late,
        }),
        Body::NeedReferred(e) => EventOf::NeedReferred(NeedReferred {
            referral: id(&e.referral_id, "referral_id")?,
            zone: code(ZoneCode::parse, &e.zone, "zone")?,
            need: id(&e.need_id, "need_id")?,
            agency: code(AgencyCode::parse, &e.agency, "agency")?,
            ngo: code(NgoCode::parse, &e.ngo, "ngo")?,
            member: code(MemberCode::parse, &e.member, "member")?,
            note: text(&e.note),
        }),
        Body::ReferralAnswered(e) => EventOf::ReferralAnswered(ReferralAnswered {
            referral: id(&e.referral_id, "referral_id")?,
            zone: code(ZoneCode::parse, &e.zone, "zone")?,
            agency: code(AgencyCode::parse, &e.agency, "agency")?,
            accepted: e.accepted,
            answer: text(&e.answer),
        }),
        Body::SocialActivityReported(e) => {
            EventOf::SocialActivityReported(SocialActivityReported {
                activity: id(&e.activity_id, "activity_id")?,
                zone: code(ZoneCode::parse, &e.zone, "zone")?,
                ngo: code(NgoCode::parse, &e.ngo, "ngo")?,
                member: code(MemberCode::parse, &e.member, "member")?,
                title: text(&e.title),
                description: text(&e.description),
                participants: Count::stored(e.participants),
                held_on: day(e.held_on, "held_on")?,
            })
        }
        Body::ProposalSubmitted(e) => EventOf::ProposalSubmitted(ProposalSubmitted {
            proposal: id(&e.proposal_id, "proposal_id")?,
            zone: code(ZoneCode::parse, &e.zone, "zone")?,
            agency: code(AgencyCode::parse, &e.agency, "agency")?,
            needs: e
                .need_ids
                .iter()
                .map(|need| id(need, "need_ids"))
                .collect::<Result<_, _>>()?,
            approach: approach(e.approach, "proposal approach")?,
            title: text(&e.title),
            budget: Rials::stored(e.budget_rials),
            planned_start: day(e.planned_start, "planned_start")?,
            planned_end: day(e.planned_end, "planned_end")?,
            late: e.late,
            goals: e
                .goal_codes
                .iter()
                .map(|goal| code(GoalCode::parse, goal, "goal_codes"))
                .collect::<Result<_, _>>()?,
        }),
        Body::ProposalApproved(e) => EventOf::ProposalApproved(ProposalApproved {
            proposal: id(&e.proposal_id, "proposal_id")?,
            zone: code(ZoneCode::parse, &e.zone, "zone")?,
            reason: text(&e.reason),
        }),
        Body::ProposalRejected(e) => EventOf::ProposalRejected(ProposalRejected {
            proposal: id(&e.proposal_id, "proposal_id")?,
            zone: code(ZoneCode::parse, &e.zone, "zone")?,
            reason: text(&e.reason),
        }),
        Body::SupervisionReportFiled(e) => {
            EventOf::SupervisionReportFiled(SupervisionReportFiled {
                report: id(&e.report_id, "report_id")?,
                ngo: code(NgoCode::parse, &e.ngo, "ngo")?,
                zone: if e.zone.is_empty() {
                    None
                } else {
                    Some(code(ZoneCode::parse, &e.zone, "zone")?)
                },
                findings: text(&e.findings),
                rating: Rating::parse(e.rating).map_err(|err| bad("rating", err))?,
            })
        }
        Body::ProgressReported(e) => EventOf::ProgressReported(ProgressReported {
            proposal: id(&e.proposal_id, "proposal_id")?,
            zone: code(ZoneCode::parse, &e.zone, "zone")?,
            percent: Percent::parse(e.percent).map_err(|err| bad("percent", err))?,
            note: text(&e.note),
            as_of: day(e.as_of, "as_of")?,
            correction: text(&e.correction),
        }),
        Body::ProjectCompleted(e) => EventOf::ProjectCompleted(ProjectCompleted {
            proposal: id(&e.proposal_id, "proposal_id")?,
            zone: code(ZoneCode::parse, &e.zone, "zone")?,
            completed_on: day(e.completed_on, "completed_on")?,
            note: text(&e.note),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{EventMeta, encode, timestamp};
    use saman_domain::values::NeedId;

    fn pb(seconds: i64, nanos: i32) -> prost_types::Timestamp {
        prost_types::Timestamp { seconds, nanos }
    }

    fn zone() -> StreamId {
        StreamId::Zone(ZoneCode::parse("zone-01").unwrap())
    }

    fn meta() -> EventMeta {
        EventMeta {
            event_id: uuid::Uuid::now_v7(),
            stream: zone(),
            stream_version: 3,
            submission: uuid::Uuid::new_v4(),
            actor: Actor::NgoMember {
                ngo: NgoCode::parse("ngo-01").unwrap(),
                member: MemberCode::parse("m-001").unwrap(),
            },
            principal: Some(Principal {
                issuer: Text::stored("https://id.example/realms/saman"),
                subject: Text::stored("4b1c-77"),
            }),
            occurred_at: "2018-04-20T07:30:00Z".parse().unwrap(),
            recorded_at: "2018-04-20T07:30:02.5Z".parse().unwrap(),
            received_at: "2018-04-25T07:30:02Z".parse().unwrap(),
            vouch: Vouch::Attested(Attestation {
                attester: Actor::ProgrammeOffice {
                    user: Text::stored("office"),
                },
                principal: Some(Principal {
                    issuer: Text::stored("https://id.example/realms/saman"),
                    subject: Text::stored("office-1"),
                }),
                reason: Text::stored("paper form dated 31 Farvardin"),
            }),
        }
    }

    fn need(id: NeedId) -> Event {
        Event::NeedDeclared(NeedDeclared {
            need: id,
            zone: ZoneCode::parse("zone-01").unwrap(),
            ngo: NgoCode::parse("ngo-01").unwrap(),
            member: MemberCode::parse("m-001").unwrap(),
            approach: Approach::Social,
            title: Text::stored("Clean\0water, as once accepted"),
            description: Text::stored(""),
            households_affected: Count::stored(0),
            priority: Priority::Urgent,
            late: true,
        })
    }

    #[test]
    fn events_read_back_as_themselves_with_their_metadata() {
        let meta = meta();
        let event = need(NeedId(uuid::Uuid::new_v4()));
        let back = decode(&encode(&meta, &event)).unwrap();
        // Attested: the claimed time is the one judged.
        assert_eq!(back.judged_at(), meta.occurred_at);
        assert_eq!(back.event, event);
        assert_eq!(back.event_id, meta.event_id.to_string());
        assert_eq!(back.event_type, "NeedDeclared");
        assert_eq!((back.stream, back.version), (zone(), 3));
        assert_eq!(back.submission, meta.submission.to_string());
        assert_eq!(back.actor, Some(meta.actor.clone()));
        assert_eq!(back.principal, meta.principal);
        assert_eq!(back.occurred_at, meta.occurred_at);
        assert_eq!(back.recorded_at, Some(meta.recorded_at));
        assert_eq!(back.received_at, Some(meta.received_at));
        assert_eq!(back.vouch, Some(meta.vouch.clone()));

        // A subscriber reads the same event, its ids as text.
        let published = decode_published(&encode(&meta, &event)).unwrap();
        let Some(PublishedEvent::NeedDeclared(NeedDeclared { need, title, .. })) = published.event
        else {
            panic!("{published:?}");
        };
        let Event::NeedDeclared(NeedDeclared { need: id, .. }) = &event else {
            unreachable!()
        };
        assert_eq!(
            (need, title.as_str()),
            (id.to_string(), "Clean\0water, as once accepted")
        );
    }

    #[test]
    fn an_unvouched_claim_is_judged_at_its_receipt_and_an_older_event_at_its_claim() {
        let meta = EventMeta {
            vouch: Vouch::Unvouched,
            ..meta()
        };
        let event = need(NeedId(uuid::Uuid::new_v4()));
        let back = decode(&encode(&meta, &event)).unwrap();
        assert_eq!(back.judged_at(), meta.received_at);
        let mut older = crate::encode::envelope(&meta, &event);
        older.received_at = None;
        older.claimed_time = None;
        let back = decode(&older.encode_to_vec()).unwrap();
        assert_eq!((back.received_at, back.vouch.as_ref()), (None, None));
        assert_eq!(back.judged_at(), meta.occurred_at);
    }

    #[test]
    fn ids_intake_did_not_issue_are_text_to_a_subscriber_and_corrupt_to_intake() {
        let mut envelope = crate::encode::envelope(&meta(), &need(NeedId(uuid::Uuid::new_v4())));
        if let Some(Body::NeedDeclared(n)) = &mut envelope.body {
            n.need_id = "n1".into();
        }
        envelope.event_id = "zone.zone-01-v3".into();
        let bytes = envelope.encode_to_vec();
        let published = decode_published(&bytes).unwrap();
        assert_eq!(published.event_id, "zone.zone-01-v3");
        assert!(matches!(
            published.event,
            Some(PublishedEvent::NeedDeclared(NeedDeclared { need, .. })) if need == "n1"
        ));
        let err = decode(&bytes).unwrap_err();
        assert_eq!(err.stream, Some((zone(), 3)));
        assert!(err.reason.starts_with("need_id: "), "{}", err.reason);
    }

    #[test]
    fn unknown_types_keep_their_metadata_for_a_subscriber() {
        let mut envelope = crate::encode::envelope(&meta(), &need(NeedId(uuid::Uuid::new_v4())));
        envelope.body = None;
        envelope.event_type = "FutureThing".into();
        let bytes = envelope.encode_to_vec();
        let published = decode_published(&bytes).unwrap();
        assert_eq!(
            (published.event_type.as_str(), published.event),
            ("FutureThing", None)
        );
        assert!(decode(&bytes).is_err());
    }

    #[test]
    fn what_is_not_an_event_says_why_and_how_far_it_read() {
        let err = decode_published(b"junk").unwrap_err();
        assert!(
            err.reason
                .starts_with("cannot decode a saman.events.v1.Envelope")
        );
        assert_eq!((err.event_id.as_str(), err.stream), ("", None));

        let mut envelope = crate::encode::envelope(&meta(), &need(NeedId(uuid::Uuid::new_v4())));
        envelope.stream_id = "zone.Zone-01".into();
        let err = decode_published(&envelope.encode_to_vec()).unwrap_err();
        assert!(err.reason.contains("is not a stream id"), "{}", err.reason);
        assert_eq!(err.event_id, envelope.event_id);
        assert_eq!(err.stream, None);

        envelope.stream_id = "zone.zone-01".into();
        envelope.stream_version = 0;
        let err = decode_published(&envelope.encode_to_vec()).unwrap_err();
        assert!(
            err.reason.contains("no stream id or version"),
            "{}",
            err.reason
        );

        envelope.stream_version = 7;
        envelope.occurred_at = None;
        let err = decode_published(&envelope.encode_to_vec()).unwrap_err();
        assert_eq!(err.reason, "occurred_at is missing");
        assert_eq!(err.stream, Some((zone(), 7)));
    }

    #[test]
    fn days_are_strict_iso_whatever_the_year() {
        let mut envelope = crate::encode::envelope(&meta(), &need(NeedId(uuid::Uuid::new_v4())));
        let activity = |held_on: &str| {
            Some(Body::SocialActivityReported(pb::SocialActivityReported {
                activity_id: "a1".into(),
                zone: "zone-01".into(),
                ngo: "ngo-01".into(),
                member: "m-001".into(),
                title: "Reading circle".into(),
                description: String::new(),
                participants: 18,
                held_on: Some(pb::Day {
                    iso: held_on.into(),
                }),
            }))
        };
        envelope.body = activity("1397-01-31");
        let read = decode_published(&envelope.encode_to_vec()).unwrap();
        let Some(PublishedEvent::SocialActivityReported(SocialActivityReported {
            held_on, ..
        })) = read.event
        else {
            panic!("{read:?}");
        };
        // ISO year 1397, not Solar Hijri.
        assert_eq!(held_on.iso(), "1397-01-31");
        for bad in ["1397/01/31", "", "2018-02-30"] {
            envelope.body = activity(bad);
            let err = decode_published(&envelope.encode_to_vec()).unwrap_err();
            assert!(err.reason.starts_with("held_on"), "{bad:?}: {}", err.reason);
        }
    }

    #[test]
    fn instants_before_1970_read_the_same_in_canonical_and_in_older_form() {
        // 1921-03-21T08:30:00.5Z: canonical (nanos >= 0) and as intake wrote it before
        // (the sign of jiff's sub-second part).
        let canonical = instant(Some(&pb(-1_539_444_600, 500_000_000)), "t").unwrap();
        let older = instant(Some(&pb(-1_539_444_599, -500_000_000)), "t").unwrap();
        assert_eq!(canonical, older);
        assert_eq!(canonical.as_microsecond(), -1_539_444_599_500_000);
        assert_eq!(timestamp(canonical), pb(-1_539_444_600, 500_000_000));
        assert!(instant(Some(&pb(0, 1_000_000_000)), "t").is_err());
        assert!(instant(Some(&pb(i64::MAX, 0)), "t").is_err());
        assert!(instant(None, "t").is_err());
    }
}
