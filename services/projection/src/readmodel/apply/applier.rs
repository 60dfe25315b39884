//! Turning events into facts, without SQL: the batch's events go through an [`Applier`]
//! in order, which checks each against what is [`Known`] and collects the [`Changes`]
//! to write (each fact is the row of its table, see `facts`); the events of each
//! aggregate are handled in its own module.
//!
//! An event is applied whole or not at all: each handler checks everything first, then
//! records. What it refuses (an unknown zone, proposal, need or referral; a body that
//! disagrees with its stream) comes back as the reason to park it. What the contract
//! cannot decode (not an envelope, a missing day, an unknown approach, ...) never
//! reaches it: the batch parks it as unreadable.
//!
//! Only facts of the event's own stream are required to be known: JetStream keeps a
//! stream's events in order, but not the order between streams. So a need about an NGO
//! whose approval has not arrived yet is still applied, while a need in a zone that is
//! not registered is parked (the zone's own stream registers it first).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use saman_contract::{PublishedEvent, Recorded};
use saman_domain::event::AgencyRegistered;
use saman_domain::time::Vouch;
use saman_domain::values::{Text, ZoneCode};
use saman_domain::{Day, StreamId};

use super::lookup::Known;
use crate::readmodel::facts::{
    ActivityRow, AgencyRow, AppliedRow, GoalRow, MAX_ATTESTATION_CHARS, MAX_PRINCIPAL_CHARS,
    MAX_REASON_CHARS, MAX_SUBJECT_CHARS, MemberChangeRow, NeedRow, NgoRow, ParkKind, ParkedRow,
    ProgrammeRow, ProgressRow, ProposalGoalRow, ProposalNeedRow, SupervisionRow, TimelineRow,
    ZoneRow, safe_event_id, safe_text,
};
use crate::readmodel::sentences::{self, What, Who};
use crate::readmodel::sql::Session;
use crate::readmodel::{Incoming, ReadModelError};

/// A message decoded by the event contract: the envelope's metadata and the domain event
/// (ids as text), or `None` for a type this version does not know.
pub(crate) type Published = Recorded<Option<PublishedEvent>>;

/// What a batch writes.
#[derive(Debug, Default)]
pub(super) struct Changes {
    pub programme: Option<ProgrammeRow>,
    pub zones: Vec<ZoneRow>,
    pub goals: Vec<GoalRow>,
    pub ngos: BTreeMap<String, NgoRow>,
    pub agencies: BTreeMap<String, AgencyRow>,
    pub needs: Vec<NeedRow>,
    /// New or answered referrals (keys of [`Known::referrals`]).
    pub referrals: BTreeSet<String>,
    pub activities: BTreeMap<String, ActivityRow>,
    /// New, decided or completed proposals (keys of [`Known::proposals`]).
    pub proposals: BTreeSet<String>,
    pub proposal_needs: Vec<ProposalNeedRow>,
    pub proposal_goals: Vec<ProposalGoalRow>,
    pub progress: Vec<ProgressRow>,
    pub supervision: BTreeMap<String, SupervisionRow>,
    pub members: Vec<MemberChangeRow>,
    pub timeline: Vec<TimelineRow>,
    pub applied: Vec<AppliedRow>,
    pub parked: Vec<ParkedRow>,
    /// Zones whose progress or timeline may have changed.
    pub zones_changed: BTreeSet<String>,
    /// Something every zone shows changed (the programme's dates, an NGO's or agency's
    /// names).
    pub all_zones: bool,
}

pub(super) struct Applier {
    pub known: Known,
    pub changes: Changes,
    parked_at_us: i64,
}

/// The metadata of the event being applied.
pub(super) struct Meta<'a> {
    pub position: u64,
    pub published: &'a Published,
    pub occurred_at_us: i64,
    pub recorded_at_us: i64,
    pub day: Day,
    pub who: Who,
}

/// Why an event cannot be applied: the reason it is parked with.
pub(super) type Refused = String;

/// What applying one event comes to: done, or refused with the reason it is parked with.
pub(super) type Applied = Result<(), Refused>;

impl Applier {
    pub fn new(known: Known, parked_at_us: i64) -> Self {
        Applier {
            known,
            changes: Changes::default(),
            parked_at_us,
        }
    }

    /// Parks a message; `event_id` is empty when it could not be decoded.
    pub fn park(&mut self, message: &Incoming, kind: ParkKind, event_id: &str, reason: &str) {
        self.changes.parked.push(parked_row(
            message,
            kind,
            event_id,
            reason,
            self.parked_at_us,
        ));
    }

    /// Records that (stream, version) was handled, applied or parked, so a copy of it is
    /// a duplicate (or, with another event id, a conflict).
    pub fn record(&mut self, stream: &StreamId, version: u64, event_id: &str, position: u64) {
        self.changes.applied.push(AppliedRow {
            stream_id: stream.to_string(),
            stream_version: version,
            position,
            event_id: safe_event_id(event_id),
        });
    }

    /// Applies one event, or says why it cannot be applied (nothing is recorded then).
    pub fn apply(&mut self, position: u64, published: &Published) -> Applied {
        use PublishedEvent as E;
        // The time the rules judged (the claimed one only when vouched for): what the
        // programme counts the act on, as intake did.
        let occurred_at_us = micros(published.judged_at());
        let recorded_at_us = published.recorded_at.map_or(occurred_at_us, micros);
        let day = day_of_us(occurred_at_us)?;
        let meta = Meta {
            position,
            published,
            occurred_at_us,
            recorded_at_us,
            day,
            who: sentences::who(published.actor.as_ref(), &self.known.names),
        };
        let Some(event) = &published.event else {
            // A type newer than this version: skip it, but show it on its zone's timeline.
            if let StreamId::Zone(zone) = &published.stream
                && self.known.zones.contains(zone.as_str())
            {
                let what = sentences::unknown_type(&meta.who, &published.event_type);
                self.timeline(&meta, zone, what);
            }
            return Ok(());
        };
        match event {
            E::ProgrammeDatesSet(dates) => self.programme_dates_set(&meta, dates),
            E::AgencyRegistered(AgencyRegistered { code, name }) => {
                self.agency_registered(&meta, code, name)
            }
            E::NgoApproved(_)
            | E::NgoMemberApproved(_)
            | E::NgoMemberRevoked(_)
            | E::SupervisionReportFiled(_) => self.ngo_stream(&meta, event),
            E::ZoneRegistered(_)
            | E::NeedDeclared(_)
            | E::NeedReferred(_)
            | E::ReferralAnswered(_)
            | E::SocialActivityReported(_) => self.zone_stream(&meta, event),
            E::ProposalSubmitted(_)
            | E::ProposalApproved(_)
            | E::ProposalRejected(_)
            | E::ProgressReported(_)
            | E::ProjectCompleted(_) => self.proposal_stream(&meta, event),
        }
    }

    pub(super) fn timeline(&mut self, meta: &Meta<'_>, zone: &ZoneCode, what: What) {
        let published = meta.published;
        let id = |text: Option<&Text>| {
            text.map_or_else(String::new, |t| safe_text(t.as_str(), MAX_PRINCIPAL_CHARS))
        };
        let attestation = match &published.vouch {
            Some(Vouch::Attested(a)) => Some(a),
            _ => None,
        };
        let attester = sentences::who(attestation.map(|a| &a.attester), &self.known.names).cols;
        let attester_principal = attestation.and_then(|a| a.principal.as_ref());
        self.changes.timeline.push(TimelineRow {
            zone: zone.to_string(),
            position: meta.position,
            event_id: meta.published.event_id.clone(),
            event_type: meta.published.event_type.clone(),
            stream_version: meta.published.version,
            actor_kind: meta.who.cols.kind.clone(),
            actor_org: meta.who.cols.org.clone(),
            actor_user: meta.who.cols.user.clone(),
            who: meta.who.en.clone(),
            occurred_at_us: meta.occurred_at_us,
            recorded_at_us: meta.recorded_at_us,
            occurred_day: meta.day,
            what_en: what.en,
            what_fa: what.fa,
            principal_issuer: id(published.principal.as_ref().map(|p| &p.issuer)),
            principal_subject: id(published.principal.as_ref().map(|p| &p.subject)),
            vouch: published.vouch.as_ref().map_or("", Vouch::name).to_owned(),
            attester_kind: attester.kind,
            attester_org: attester.org,
            attester_user: attester.user,
            attester_issuer: id(attester_principal.map(|p| &p.issuer)),
            attester_subject: id(attester_principal.map(|p| &p.subject)),
            attestation_reason: attestation.map_or_else(String::new, |a| {
                safe_text(a.reason.as_str(), MAX_ATTESTATION_CHARS)
            }),
        });
        self.changes.zones_changed.insert(zone.to_string());
    }

    /// A zone event: its stream is the zone's, and the zone is registered.
    pub(super) fn zone_event(&self, meta: &Meta<'_>, zone: &ZoneCode) -> Applied {
        own_stream(meta, StreamId::Zone(zone.clone()))?;
        if !self.known.zones.contains(zone.as_str()) {
            return Err(format!("zone {zone} is not registered"));
        }
        Ok(())
    }
}

/// A parked row whose text is safe to store on any backend (see [`safe_text`]): parking
/// never fails the way the message may have.
pub(crate) fn parked_row(
    message: &Incoming,
    kind: ParkKind,
    event_id: &str,
    reason: &str,
    parked_at_us: i64,
) -> ParkedRow {
    ParkedRow {
        position: message.position,
        kind,
        subject: safe_text(&message.subject, MAX_SUBJECT_CHARS),
        event_id: safe_event_id(event_id),
        reason: safe_text(reason, MAX_REASON_CHARS),
        payload: message.payload.to_vec(),
        parked_at_us,
    }
}

/// The event's stream is `expected` (the stream its body names).
pub(super) fn own_stream(meta: &Meta<'_>, expected: StreamId) -> Applied {
    let stream = &meta.published.stream;
    if *stream == expected {
        return Ok(());
    }
    Err(format!(
        "an event of stream {stream} names {} {:?}: expected stream {expected}",
        expected.kind(),
        expected.key()
    ))
}

/// Microseconds since the Unix epoch, floored (before 1970 too).
fn micros(ts: Timestamp) -> i64 {
    ts.as_second() * 1_000_000 + i64::from(ts.subsec_nanosecond()).div_euclid(1_000)
}

/// The Asia/Tehran day of an instant.
pub(super) fn day_of_us(us: i64) -> Result<Day, Refused> {
    Timestamp::from_microsecond(us)
        .map(Day::in_tehran)
        .map_err(|e| format!("instant out of range: {e}"))
}

/// A stored instant (microseconds since the Unix epoch) back as an instant.
pub(crate) fn micros_to_timestamp(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or_default()
}

/// Writes parked rows (a position parked before stays as it was); returns how many were
/// new.
pub(super) async fn insert_parked(
    db: &mut impl Session,
    g: i64,
    rows: &[&ParkedRow],
) -> Result<u64, ReadModelError> {
    db.insert(g, rows, " RETURNING position").await
}

/// What an event names in its zone (`kind` `id`, found or not), checked to be of that
/// zone; `missing` says what it has not been (`declared`, `submitted`).
pub(super) fn in_zone<'a, T>(
    found: Option<&'a T>,
    kind: &str,
    id: &str,
    zone: &ZoneCode,
    missing: &str,
    zone_of: impl Fn(&T) -> &String,
) -> Result<&'a T, Refused> {
    match found {
        Some(row) if zone_of(row) == zone.as_str() => Ok(row),
        Some(row) => Err(format!(
            "{kind} {id} belongs to zone {}, not {zone}",
            zone_of(row)
        )),
        None => Err(format!("{kind} {id} is not {missing}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pb(seconds: i64, nanos: i32) -> prost_types::Timestamp {
        prost_types::Timestamp { seconds, nanos }
    }

    fn instant_us(ts: Option<&prost_types::Timestamp>, field: &str) -> Result<i64, Refused> {
        saman_contract::decode::instant(ts, field).map(micros)
    }

    #[test]
    fn instants_before_1970_read_the_same_in_canonical_and_in_older_form() {
        // 1921-03-21T08:30:00.5Z: canonical (nanos >= 0) and as intake wrote it before
        // (the sign of jiff's sub-second part).
        let canonical = instant_us(Some(&pb(-1_539_444_600, 500_000_000)), "t").unwrap();
        let older = instant_us(Some(&pb(-1_539_444_599, -500_000_000)), "t").unwrap();
        assert_eq!(canonical, older);
        assert_eq!(canonical, -1_539_444_599_500_000);
        assert_eq!(
            crate::reply::timestamp(micros_to_timestamp(canonical)),
            pb(-1_539_444_600, 500_000_000)
        );
        assert!(instant_us(Some(&pb(0, 1_000_000_000)), "t").is_err());
        assert!(instant_us(Some(&pb(i64::MAX, 0)), "t").is_err());
    }

    #[test]
    fn microseconds_are_floored_before_1970() {
        assert_eq!(instant_us(Some(&pb(-1, 999_999_500)), "t").unwrap(), -1);
        assert_eq!(instant_us(Some(&pb(0, -500)), "t").unwrap(), -1);
        assert_eq!(instant_us(Some(&pb(0, 1_500)), "t").unwrap(), 1);
    }
}
