//! Turning events into facts, without SQL: the engine loads what a batch refers to
//! ([`Wanted`] -> [`Known`]), feeds the batch's events through an [`Applier`] in order,
//! and writes the [`Changes`] in one transaction.
//!
//! An event is applied whole or not at all: each handler checks everything first, then
//! records. What it refuses (an unknown zone, proposal, need or referral; a body that
//! disagrees with its stream; a missing day) comes back as the reason to park it.
//!
//! Only facts of the event's own stream are required to be known: JetStream keeps a
//! stream's events in order, but not the order between streams. So a need about an NGO
//! whose approval has not arrived yet is still applied, while a need in a zone that is
//! not registered is parked (the zone's own stream registers it first).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use saman_domain::Day;
use saman_domain::values::Approach;
use saman_proto::events::v1::{self as ev, Envelope, envelope::Body};

use super::Incoming;
use super::facts::{
    ActivityRow, Answer, AppliedRow, Decision, GoalRow, MAX_REASON_CHARS, MAX_SUBJECT_CHARS,
    NeedRow, NgoRow, ParkKind, ParkedRow, PartyRow, ProgrammeRow, ProgressRow, ProposalNeedRow,
    ProposalRow, ReferralRow, Status, SupervisionRow, TimelineRow, ZoneRow, safe_event_id,
    safe_text,
};
use super::sentences::{self, What, Who};

/// What a batch refers to, to load before applying it.
#[derive(Debug, Default)]
pub(super) struct Wanted {
    pub zones: BTreeSet<String>,
    pub needs: BTreeSet<String>,
    pub proposals: BTreeSet<String>,
    pub referrals: BTreeSet<String>,
}

impl Wanted {
    pub fn add(&mut self, envelope: &Envelope) {
        let Some(body) = &envelope.body else { return };
        let zone = |w: &mut Wanted, z: &str| {
            w.zones.insert(z.to_owned());
        };
        match body {
            Body::ZoneRegistered(e) => zone(self, &e.code),
            Body::NeedDeclared(e) => {
                zone(self, &e.zone);
                self.needs.insert(e.need_id.clone());
            }
            Body::NeedReferred(e) => {
                zone(self, &e.zone);
                self.needs.insert(e.need_id.clone());
                self.referrals.insert(e.referral_id.clone());
            }
            Body::ReferralAnswered(e) => {
                zone(self, &e.zone);
                self.referrals.insert(e.referral_id.clone());
            }
            Body::SocialActivityReported(e) => zone(self, &e.zone),
            Body::ProposalSubmitted(e) => {
                zone(self, &e.zone);
                self.proposals.insert(e.proposal_id.clone());
                self.needs.extend(e.need_ids.iter().cloned());
            }
            Body::ProposalApproved(e) => {
                zone(self, &e.zone);
                self.proposals.insert(e.proposal_id.clone());
            }
            Body::ProposalRejected(e) => {
                zone(self, &e.zone);
                self.proposals.insert(e.proposal_id.clone());
            }
            Body::ProgressReported(e) => {
                zone(self, &e.zone);
                self.proposals.insert(e.proposal_id.clone());
            }
            Body::ProjectCompleted(e) => {
                zone(self, &e.zone);
                self.proposals.insert(e.proposal_id.clone());
            }
            Body::ProgrammeDatesSet(_)
            | Body::AgencyRegistered(_)
            | Body::NgoApproved(_)
            | Body::NgoMemberApproved(_)
            | Body::NgoMemberRevoked(_)
            | Body::SupervisionReportFiled(_) => {}
        }
        // An event of a type this version does not know still goes on its zone's
        // timeline if its stream is a zone's.
        if let Some(z) = envelope.stream_id.strip_prefix("zone.") {
            self.zones.insert(z.to_owned());
        }
    }
}

/// A need as far as applying needs it.
#[derive(Debug, Clone)]
pub(super) struct NeedRef {
    pub zone: String,
    pub title: String,
}

/// The facts already stored that a batch refers to; grows as the batch applies.
#[derive(Debug, Default)]
pub(super) struct Known {
    pub zones: HashSet<String>,
    pub needs: HashMap<String, NeedRef>,
    pub proposals: HashMap<String, ProposalRow>,
    pub referrals: HashMap<String, ReferralRow>,
}

/// What a batch writes.
#[derive(Debug, Default)]
pub(super) struct Changes {
    pub programme: Option<ProgrammeRow>,
    pub zones: Vec<ZoneRow>,
    pub goals: Vec<GoalRow>,
    pub ngos: BTreeMap<String, NgoRow>,
    pub agencies: BTreeMap<String, PartyRow>,
    pub needs: Vec<NeedRow>,
    /// New or answered referrals (keys of [`Known::referrals`]).
    pub referrals: BTreeSet<String>,
    pub activities: BTreeMap<String, ActivityRow>,
    /// New, decided or completed proposals (keys of [`Known::proposals`]).
    pub proposals: BTreeSet<String>,
    pub proposal_needs: Vec<ProposalNeedRow>,
    pub progress: Vec<ProgressRow>,
    pub supervision: BTreeMap<String, SupervisionRow>,
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
struct Meta<'a> {
    position: u64,
    envelope: &'a Envelope,
    occurred_at_us: i64,
    recorded_at_us: i64,
    day: Day,
    who: Who,
}

type Refused = String;

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
    pub fn record(&mut self, envelope: &Envelope, position: u64) {
        self.changes.applied.push(AppliedRow {
            stream_id: envelope.stream_id.clone(),
            stream_version: envelope.stream_version,
            position,
            event_id: safe_event_id(&envelope.event_id),
        });
    }

    /// Applies one event, or says why it cannot be applied (nothing is recorded then).
    pub fn apply(&mut self, position: u64, envelope: &Envelope) -> Result<(), Refused> {
        let occurred_at_us = instant_us(envelope.occurred_at.as_ref(), "occurred_at")?;
        let recorded_at_us =
            instant_us(envelope.recorded_at.as_ref(), "recorded_at").unwrap_or(occurred_at_us);
        let day = day_of_us(occurred_at_us)?;
        let meta = Meta {
            position,
            envelope,
            occurred_at_us,
            recorded_at_us,
            day,
            who: sentences::who(envelope.actor.as_ref()),
        };
        let Some(body) = &envelope.body else {
            // A type newer than this version: skip it, but show it on its zone's timeline.
            if let Some(zone) = envelope.stream_id.strip_prefix("zone.")
                && self.known.zones.contains(zone)
            {
                let what = sentences::unknown_type(&meta.who, &envelope.event_type);
                self.timeline(&meta, zone, what);
            }
            return Ok(());
        };
        match body {
            Body::ProgrammeDatesSet(e) => self.programme_dates_set(&meta, e),
            Body::ZoneRegistered(e) => self.zone_registered(&meta, e),
            Body::AgencyRegistered(e) => self.agency_registered(&meta, e),
            Body::NgoApproved(e) => self.ngo_approved(&meta, e),
            Body::NgoMemberApproved(e) => own_stream(&meta, "ngo", &e.ngo),
            Body::NgoMemberRevoked(e) => own_stream(&meta, "ngo", &e.ngo),
            Body::NeedDeclared(e) => self.need_declared(&meta, e),
            Body::NeedReferred(e) => self.need_referred(&meta, e),
            Body::ReferralAnswered(e) => self.referral_answered(&meta, e),
            Body::SocialActivityReported(e) => self.activity_reported(&meta, e),
            Body::ProposalSubmitted(e) => self.proposal_submitted(&meta, e),
            Body::ProposalApproved(e) => {
                self.proposal_decided(&meta, &e.zone, &e.proposal_id, Status::Approved, &e.reason)
            }
            Body::ProposalRejected(e) => {
                self.proposal_decided(&meta, &e.zone, &e.proposal_id, Status::Rejected, &e.reason)
            }
            Body::SupervisionReportFiled(e) => self.supervision_filed(&meta, e),
            Body::ProgressReported(e) => self.progress_reported(&meta, e),
            Body::ProjectCompleted(e) => self.project_completed(&meta, e),
        }
    }

    fn timeline(&mut self, meta: &Meta<'_>, zone: &str, what: What) {
        self.changes.timeline.push(TimelineRow {
            zone: zone.to_owned(),
            position: meta.position,
            event_id: meta.envelope.event_id.clone(),
            event_type: meta.envelope.event_type.clone(),
            stream_version: meta.envelope.stream_version,
            actor: meta.who.cols.clone(),
            who: meta.who.en.clone(),
            occurred_at_us: meta.occurred_at_us,
            recorded_at_us: meta.recorded_at_us,
            occurred_day: meta.day,
            what_en: what.en,
            what_fa: what.fa,
        });
        self.changes.zones_changed.insert(zone.to_owned());
    }

    /// A zone event: its stream is the zone's, and the zone is registered.
    fn zone_event(&self, meta: &Meta<'_>, zone: &str) -> Result<(), Refused> {
        own_stream(meta, "zone", zone)?;
        if !self.known.zones.contains(zone) {
            return Err(format!("zone {zone} is not registered"));
        }
        Ok(())
    }

    fn programme_dates_set(
        &mut self,
        meta: &Meta<'_>,
        e: &ev::ProgrammeDatesSet,
    ) -> Result<(), Refused> {
        let row = ProgrammeRow {
            needs_deadline: day_field(e.needs_deadline.as_ref(), "needs_deadline")?,
            proposals_deadline: day_field(e.proposals_deadline.as_ref(), "proposals_deadline")?,
            operational_start: day_field(e.operational_start.as_ref(), "operational_start")?,
            goal_date: day_field(e.goal_date.as_ref(), "goal_date")?,
            stream_version: meta.envelope.stream_version,
        };
        let newer = self
            .changes
            .programme
            .as_ref()
            .is_none_or(|p| p.stream_version < row.stream_version);
        if newer {
            self.changes.programme = Some(row);
        }
        self.changes.all_zones = true;
        Ok(())
    }

    fn zone_registered(&mut self, meta: &Meta<'_>, e: &ev::ZoneRegistered) -> Result<(), Refused> {
        own_stream(meta, "zone", &e.code)?;
        if self.known.zones.contains(&e.code) {
            return Err(format!("zone {} is already registered", e.code));
        }
        let mut goals = Vec::with_capacity(e.goals.len());
        let mut codes = HashSet::new();
        for (ordinal, goal) in e.goals.iter().enumerate() {
            if !codes.insert(goal.code.as_str()) {
                return Err(format!("goal {} appears twice", goal.code));
            }
            goals.push(GoalRow {
                zone: e.code.clone(),
                code: goal.code.clone(),
                ordinal: u32::try_from(ordinal).unwrap_or(u32::MAX),
                approach: approach(goal.approach, "goal approach")?,
                title_fa: goal.title_fa.clone(),
                title_en: goal.title_en.clone(),
                weight: goal.weight,
            });
        }
        self.known.zones.insert(e.code.clone());
        self.changes.zones.push(ZoneRow {
            code: e.code.clone(),
            name_fa: e.name_fa.clone(),
            name_en: e.name_en.clone(),
            registered_at_us: meta.occurred_at_us,
            registered_day: meta.day,
        });
        self.changes.goals.extend(goals);
        let what = sentences::zone_registered(&meta.who, e);
        self.timeline(meta, &e.code, what);
        Ok(())
    }

    fn agency_registered(
        &mut self,
        meta: &Meta<'_>,
        e: &ev::AgencyRegistered,
    ) -> Result<(), Refused> {
        own_stream(meta, "agency", &e.code)?;
        self.changes.agencies.insert(
            e.code.clone(),
            PartyRow {
                code: e.code.clone(),
                name_fa: e.name_fa.clone(),
                name_en: e.name_en.clone(),
                since: meta.day,
            },
        );
        self.changes.all_zones = true;
        Ok(())
    }

    fn ngo_approved(&mut self, meta: &Meta<'_>, e: &ev::NgoApproved) -> Result<(), Refused> {
        own_stream(meta, "ngo", &e.code)?;
        self.changes.ngos.insert(
            e.code.clone(),
            NgoRow {
                party: PartyRow {
                    code: e.code.clone(),
                    name_fa: e.name_fa.clone(),
                    name_en: e.name_en.clone(),
                    since: meta.day,
                },
                ministry_approval_ref: e.ministry_approval_ref.clone(),
            },
        );
        self.changes.all_zones = true;
        Ok(())
    }

    fn need_declared(&mut self, meta: &Meta<'_>, e: &ev::NeedDeclared) -> Result<(), Refused> {
        self.zone_event(meta, &e.zone)?;
        if self.known.needs.contains_key(&e.need_id) {
            return Err(format!("need {} is already declared", e.need_id));
        }
        let approach = approach(e.approach, "need approach")?;
        self.known.needs.insert(
            e.need_id.clone(),
            NeedRef {
                zone: e.zone.clone(),
                title: e.title.clone(),
            },
        );
        self.changes.needs.push(NeedRow {
            need_id: e.need_id.clone(),
            zone: e.zone.clone(),
            ngo: e.ngo.clone(),
            member: e.member.clone(),
            approach,
            title: e.title.clone(),
            households: e.households_affected,
            late: e.late,
            declared_at_us: meta.occurred_at_us,
            declared_day: meta.day,
            stream_version: meta.envelope.stream_version,
        });
        let what = sentences::need_declared(&meta.who, e, approach);
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn need_in_zone(&self, need_id: &str, zone: &str) -> Result<&NeedRef, Refused> {
        match self.known.needs.get(need_id) {
            Some(need) if need.zone == zone => Ok(need),
            Some(need) => Err(format!(
                "need {need_id} belongs to zone {}, not {zone}",
                need.zone
            )),
            None => Err(format!("need {need_id} is not declared")),
        }
    }

    fn need_referred(&mut self, meta: &Meta<'_>, e: &ev::NeedReferred) -> Result<(), Refused> {
        self.zone_event(meta, &e.zone)?;
        let title = self.need_in_zone(&e.need_id, &e.zone)?.title.clone();
        if self.known.referrals.contains_key(&e.referral_id) {
            return Err(format!("referral {} already exists", e.referral_id));
        }
        self.known.referrals.insert(
            e.referral_id.clone(),
            ReferralRow {
                referral_id: e.referral_id.clone(),
                zone: e.zone.clone(),
                need_id: e.need_id.clone(),
                agency: e.agency.clone(),
                ngo: e.ngo.clone(),
                member: e.member.clone(),
                referred_at_us: meta.occurred_at_us,
                referred_day: meta.day,
                answer: None,
            },
        );
        self.changes.referrals.insert(e.referral_id.clone());
        let what = sentences::need_referred(&meta.who, e, &title);
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn referral_answered(
        &mut self,
        meta: &Meta<'_>,
        e: &ev::ReferralAnswered,
    ) -> Result<(), Refused> {
        self.zone_event(meta, &e.zone)?;
        let referral = match self.known.referrals.get(&e.referral_id) {
            Some(r) if r.zone != e.zone => {
                return Err(format!(
                    "referral {} belongs to zone {}, not {}",
                    e.referral_id, r.zone, e.zone
                ));
            }
            Some(r) if r.agency != e.agency => {
                return Err(format!(
                    "referral {} was made to agency {}, not {}",
                    e.referral_id, r.agency, e.agency
                ));
            }
            Some(r) if r.answer.is_some() => {
                return Err(format!("referral {} is already answered", e.referral_id));
            }
            Some(r) => r,
            None => return Err(format!("referral {} does not exist", e.referral_id)),
        };
        let title = self
            .known
            .needs
            .get(&referral.need_id)
            .map_or_else(|| referral.need_id.clone(), |n| n.title.clone());
        if let Some(r) = self.known.referrals.get_mut(&e.referral_id) {
            r.answer = Some(Answer {
                at_us: meta.occurred_at_us,
                day: meta.day,
                accepted: e.accepted,
            });
        }
        self.changes.referrals.insert(e.referral_id.clone());
        let what = sentences::referral_answered(&meta.who, e, &title);
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn activity_reported(
        &mut self,
        meta: &Meta<'_>,
        e: &ev::SocialActivityReported,
    ) -> Result<(), Refused> {
        self.zone_event(meta, &e.zone)?;
        let held_on = day_field(e.held_on.as_ref(), "held_on")?;
        self.changes
            .activities
            .entry(e.activity_id.clone())
            .or_insert_with(|| ActivityRow {
                activity_id: e.activity_id.clone(),
                zone: e.zone.clone(),
                ngo: e.ngo.clone(),
                member: e.member.clone(),
                title: e.title.clone(),
                participants: e.participants,
                held_on,
                reported_day: meta.day,
            });
        let what = sentences::activity_reported(&meta.who, e, held_on);
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn proposal_submitted(
        &mut self,
        meta: &Meta<'_>,
        e: &ev::ProposalSubmitted,
    ) -> Result<(), Refused> {
        self.zone_event(meta, &e.zone)?;
        if self.known.proposals.contains_key(&e.proposal_id) {
            return Err(format!("proposal {} is already submitted", e.proposal_id));
        }
        let approach = approach(e.approach, "proposal approach")?;
        let mut need_ids: Vec<&String> = e.need_ids.iter().collect();
        need_ids.sort_unstable();
        need_ids.dedup();
        for need in &need_ids {
            self.need_in_zone(need, &e.zone)?;
        }
        if i64::try_from(e.budget_rials).is_err() {
            return Err(format!("budget {} rials is out of range", e.budget_rials));
        }
        let planned_start = day_field(e.planned_start.as_ref(), "planned_start")?;
        let planned_end = day_field(e.planned_end.as_ref(), "planned_end")?;
        self.known.proposals.insert(
            e.proposal_id.clone(),
            ProposalRow {
                proposal_id: e.proposal_id.clone(),
                zone: e.zone.clone(),
                agency: e.agency.clone(),
                approach,
                title: e.title.clone(),
                budget_rials: e.budget_rials,
                planned_start,
                planned_end,
                late: e.late,
                submitted_at_us: meta.occurred_at_us,
                submitted_day: meta.day,
                stream_version: meta.envelope.stream_version,
                decision: None,
                completed_on: None,
            },
        );
        self.changes.proposals.insert(e.proposal_id.clone());
        self.changes
            .proposal_needs
            .extend(need_ids.into_iter().map(|need| ProposalNeedRow {
                proposal_id: e.proposal_id.clone(),
                need_id: need.clone(),
                zone: e.zone.clone(),
            }));
        let what = sentences::proposal_submitted(&meta.who, e, approach);
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn proposal_in_zone(&self, proposal_id: &str, zone: &str) -> Result<&ProposalRow, Refused> {
        match self.known.proposals.get(proposal_id) {
            Some(p) if p.zone == zone => Ok(p),
            Some(p) => Err(format!(
                "proposal {proposal_id} belongs to zone {}, not {zone}",
                p.zone
            )),
            None => Err(format!("proposal {proposal_id} is not submitted")),
        }
    }

    /// A project: an approved proposal of the zone.
    fn project_in_zone(&self, proposal_id: &str, zone: &str) -> Result<&ProposalRow, Refused> {
        let proposal = self.proposal_in_zone(proposal_id, zone)?;
        if proposal.approved_on().is_none() {
            return Err(format!("proposal {proposal_id} is not approved"));
        }
        Ok(proposal)
    }

    fn proposal_decided(
        &mut self,
        meta: &Meta<'_>,
        zone: &str,
        proposal_id: &str,
        status: Status,
        reason: &str,
    ) -> Result<(), Refused> {
        self.zone_event(meta, zone)?;
        let proposal = self.proposal_in_zone(proposal_id, zone)?;
        if let Some(decision) = proposal.decision {
            return Err(format!(
                "proposal {proposal_id} is already {}",
                decision.status.as_str()
            ));
        }
        let title = proposal.title.clone();
        if let Some(p) = self.known.proposals.get_mut(proposal_id) {
            p.decision = Some(Decision {
                status,
                day: meta.day,
                stream_version: meta.envelope.stream_version,
            });
        }
        self.changes.proposals.insert(proposal_id.to_owned());
        let what =
            sentences::proposal_decided(&meta.who, status == Status::Approved, &title, reason);
        self.timeline(meta, zone, what);
        Ok(())
    }

    fn progress_reported(
        &mut self,
        meta: &Meta<'_>,
        e: &ev::ProgressReported,
    ) -> Result<(), Refused> {
        self.zone_event(meta, &e.zone)?;
        let title = self.project_in_zone(&e.proposal_id, &e.zone)?.title.clone();
        if e.percent > 100 {
            return Err(format!("percent {} is above 100", e.percent));
        }
        let as_of = day_field(e.as_of.as_ref(), "as_of")?;
        self.changes.progress.push(ProgressRow {
            proposal_id: e.proposal_id.clone(),
            stream_version: meta.envelope.stream_version,
            zone: e.zone.clone(),
            percent: e.percent,
            as_of,
            reported_day: meta.day,
        });
        let what = sentences::progress_reported(&meta.who, e, &title, as_of);
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn project_completed(
        &mut self,
        meta: &Meta<'_>,
        e: &ev::ProjectCompleted,
    ) -> Result<(), Refused> {
        self.zone_event(meta, &e.zone)?;
        let project = self.project_in_zone(&e.proposal_id, &e.zone)?;
        if project.completed_on.is_some() {
            return Err(format!("project {} is already completed", e.proposal_id));
        }
        let title = project.title.clone();
        let completed_on = day_field(e.completed_on.as_ref(), "completed_on")?;
        if let Some(p) = self.known.proposals.get_mut(&e.proposal_id) {
            p.completed_on = Some(completed_on);
        }
        self.changes.proposals.insert(e.proposal_id.clone());
        let what = sentences::project_completed(&meta.who, &title, completed_on);
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn supervision_filed(
        &mut self,
        meta: &Meta<'_>,
        e: &ev::SupervisionReportFiled,
    ) -> Result<(), Refused> {
        own_stream(meta, "ngo", &e.ngo)?;
        self.changes
            .supervision
            .entry(e.report_id.clone())
            .or_insert_with(|| SupervisionRow {
                report_id: e.report_id.clone(),
                ngo: e.ngo.clone(),
                zone: e.zone.clone(),
                rating: e.rating,
                filed_day: meta.day,
            });
        // The zone is another stream: it may not have arrived yet, so it is not checked.
        if !e.zone.is_empty() {
            let what = sentences::supervision_filed(&meta.who, e);
            self.timeline(meta, &e.zone, what);
        }
        Ok(())
    }
}

/// A parked row whose text is safe to store on any backend (see [`safe_text`]): parking
/// never fails the way the message may have.
pub(super) fn parked_row(
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

/// The event's stream is `<kind>.<code>`.
fn own_stream(meta: &Meta<'_>, kind: &str, code: &str) -> Result<(), Refused> {
    let stream = &meta.envelope.stream_id;
    match stream.split_once('.') {
        Some((k, c)) if k == kind && c == code => Ok(()),
        _ => Err(format!(
            "an event of stream {stream} names {kind} {code:?}: expected stream {kind}.{code}"
        )),
    }
}

fn approach(value: i32, field: &str) -> Result<Approach, Refused> {
    match ev::Approach::try_from(value) {
        Ok(ev::Approach::Infrastructural) => Ok(Approach::Infrastructural),
        Ok(ev::Approach::Social) => Ok(Approach::Social),
        _ => Err(format!(
            "{field} {value} is neither infrastructural nor social"
        )),
    }
}

fn day_field(day: Option<&ev::Day>, field: &str) -> Result<Day, Refused> {
    let iso = day.map(|d| d.iso.as_str()).unwrap_or_default();
    if iso.is_empty() {
        return Err(format!("{field} is missing"));
    }
    // Written by intake with `Day::iso`: ISO whatever the year (`Day::parse` would take
    // a year below 1700 for a Solar Hijri one).
    Day::parse_iso(iso).map_err(|e| format!("{field}: {e}"))
}

/// Microseconds since the Unix epoch.
fn instant_us(ts: Option<&prost_types::Timestamp>, field: &str) -> Result<i64, Refused> {
    let ts = ts.ok_or_else(|| format!("{field} is missing"))?;
    let nanos = i64::from(ts.nanos);
    // Canonical timestamps have nanos in 0..1e9; intake before 2026-12 wrote instants
    // before 1970 with negative nanos (jiff's sign), and those events are in streams:
    // read both, floored to the microsecond.
    if !(-999_999_999..1_000_000_000).contains(&nanos) {
        return Err(format!("{field} has {nanos} nanoseconds"));
    }
    ts.seconds
        .checked_mul(1_000_000)
        .and_then(|us| us.checked_add(nanos.div_euclid(1_000)))
        .ok_or_else(|| format!("{field} is out of range"))
}

/// The Asia/Tehran day of an instant.
pub(super) fn day_of_us(us: i64) -> Result<Day, Refused> {
    Timestamp::from_microsecond(us)
        .map(Day::in_tehran)
        .map_err(|e| format!("instant out of range: {e}"))
}

/// An instant back in protobuf form.
pub(super) fn timestamp(us: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: us.div_euclid(1_000_000),
        nanos: i32::try_from(us.rem_euclid(1_000_000) * 1_000).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pb(seconds: i64, nanos: i32) -> prost_types::Timestamp {
        prost_types::Timestamp { seconds, nanos }
    }

    #[test]
    fn instants_before_1970_read_the_same_in_canonical_and_in_older_form() {
        // 1921-03-21T08:30:00.5Z: canonical (nanos >= 0) and as intake wrote it before
        // (the sign of jiff's sub-second part).
        let canonical = instant_us(Some(&pb(-1_539_444_600, 500_000_000)), "t").unwrap();
        let older = instant_us(Some(&pb(-1_539_444_599, -500_000_000)), "t").unwrap();
        assert_eq!(canonical, older);
        assert_eq!(canonical, -1_539_444_599_500_000);
        assert_eq!(timestamp(canonical), pb(-1_539_444_600, 500_000_000));
        assert!(instant_us(Some(&pb(0, 1_000_000_000)), "t").is_err());
        assert!(instant_us(Some(&pb(i64::MAX, 0)), "t").is_err());
    }
}
