//! Turning events into facts, without SQL: the engine decodes each message with the
//! event contract (`saman_contract::decode_published`: domain events, their ids as text),
//! loads what a batch refers to ([`Wanted`] -> [`Known`]), feeds the batch's events
//! through an [`Applier`] in order, and writes the [`Changes`] in one transaction.
//!
//! An event is applied whole or not at all: each handler checks everything first, then
//! records. What it refuses (an unknown zone, proposal, need or referral; a body that
//! disagrees with its stream) comes back as the reason to park it. What the contract
//! cannot decode (not an envelope, a missing day, an unknown approach, ...) never
//! reaches it: the engine parks it as unreadable.
//!
//! Only facts of the event's own stream are required to be known: JetStream keeps a
//! stream's events in order, but not the order between streams. So a need about an NGO
//! whose approval has not arrived yet is still applied, while a need in a zone that is
//! not registered is parked (the zone's own stream registers it first).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use saman_contract::{PublishedEvent, Recorded};
use saman_domain::event::{Goal, ProgrammeDates};
use saman_domain::values::{AgencyCode, Names, NgoCode, Text, ZoneCode};
use saman_domain::{Day, StreamId};

use super::Incoming;
use super::facts::{
    ActivityRow, Answer, AppliedRow, Decision, GoalRow, MAX_REASON_CHARS, MAX_SUBJECT_CHARS,
    NeedRow, NgoRow, ParkKind, ParkedRow, PartyRow, ProgrammeRow, ProgressRow, ProposalNeedRow,
    ProposalRow, ReferralRow, Status, SupervisionRow, TimelineRow, ZoneRow, safe_event_id,
    safe_text,
};
use super::sentences::{self, What, Who};

/// A message decoded by the event contract: the envelope's metadata and the domain event
/// (ids as text), or `None` for a type this version does not know.
pub(super) type Published = Recorded<Option<PublishedEvent>>;

/// What a batch refers to, to load before applying it.
#[derive(Debug, Default)]
pub(super) struct Wanted {
    pub zones: BTreeSet<String>,
    pub needs: BTreeSet<String>,
    pub proposals: BTreeSet<String>,
    pub referrals: BTreeSet<String>,
}

impl Wanted {
    pub fn add(&mut self, published: &Published) {
        use PublishedEvent as E;
        let zone = |w: &mut Wanted, z: &ZoneCode| {
            w.zones.insert(z.to_string());
        };
        match &published.event {
            Some(E::ZoneRegistered { code, .. }) => zone(self, code),
            Some(E::NeedDeclared { need, zone: z, .. }) => {
                zone(self, z);
                self.needs.insert(need.clone());
            }
            Some(E::NeedReferred {
                referral,
                zone: z,
                need,
                ..
            }) => {
                zone(self, z);
                self.needs.insert(need.clone());
                self.referrals.insert(referral.clone());
            }
            Some(E::ReferralAnswered {
                referral, zone: z, ..
            }) => {
                zone(self, z);
                self.referrals.insert(referral.clone());
            }
            Some(E::SocialActivityReported { zone: z, .. }) => zone(self, z),
            Some(E::ProposalSubmitted {
                proposal,
                zone: z,
                needs,
                ..
            }) => {
                zone(self, z);
                self.proposals.insert(proposal.clone());
                self.needs.extend(needs.iter().cloned());
            }
            Some(
                E::ProposalApproved {
                    proposal, zone: z, ..
                }
                | E::ProposalRejected {
                    proposal, zone: z, ..
                }
                | E::ProgressReported {
                    proposal, zone: z, ..
                }
                | E::ProjectCompleted {
                    proposal, zone: z, ..
                },
            ) => {
                zone(self, z);
                self.proposals.insert(proposal.clone());
            }
            Some(
                E::ProgrammeDatesSet(_)
                | E::AgencyRegistered { .. }
                | E::NgoApproved { .. }
                | E::NgoMemberApproved { .. }
                | E::NgoMemberRevoked { .. }
                | E::SupervisionReportFiled { .. },
            )
            | None => {}
        }
        // An event of a type this version does not know still goes on its zone's
        // timeline if its stream is a zone's.
        if let StreamId::Zone(z) = &published.stream {
            zone(self, z);
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
    published: &'a Published,
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
    pub fn record(&mut self, stream: &StreamId, version: u64, event_id: &str, position: u64) {
        self.changes.applied.push(AppliedRow {
            stream_id: stream.to_string(),
            stream_version: version,
            position,
            event_id: safe_event_id(event_id),
        });
    }

    /// Applies one event, or says why it cannot be applied (nothing is recorded then).
    pub fn apply(&mut self, position: u64, published: &Published) -> Result<(), Refused> {
        use PublishedEvent as E;
        let occurred_at_us = micros(published.occurred_at);
        let recorded_at_us = published.recorded_at.map_or(occurred_at_us, micros);
        let day = day_of_us(occurred_at_us)?;
        let meta = Meta {
            position,
            published,
            occurred_at_us,
            recorded_at_us,
            day,
            who: sentences::who(published.actor.as_ref()),
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
            E::ZoneRegistered { code, name, goals } => {
                self.zone_registered(&meta, code, name, goals)
            }
            E::AgencyRegistered { code, name } => self.agency_registered(&meta, code, name),
            E::NgoApproved {
                code,
                name,
                ministry_approval_ref,
            } => self.ngo_approved(&meta, code, name, ministry_approval_ref),
            E::NgoMemberApproved { ngo, .. } | E::NgoMemberRevoked { ngo, .. } => {
                own_stream(&meta, StreamId::Ngo(ngo.clone()))
            }
            E::NeedDeclared { .. } => self.need_declared(&meta, event),
            E::NeedReferred { .. } => self.need_referred(&meta, event),
            E::ReferralAnswered { .. } => self.referral_answered(&meta, event),
            E::SocialActivityReported { .. } => self.activity_reported(&meta, event),
            E::ProposalSubmitted { .. } => self.proposal_submitted(&meta, event),
            E::ProposalApproved {
                proposal,
                zone,
                reason,
            } => self.proposal_decided(&meta, zone, proposal, Status::Approved, reason),
            E::ProposalRejected {
                proposal,
                zone,
                reason,
            } => self.proposal_decided(&meta, zone, proposal, Status::Rejected, reason),
            E::SupervisionReportFiled { .. } => self.supervision_filed(&meta, event),
            E::ProgressReported { .. } => self.progress_reported(&meta, event),
            E::ProjectCompleted {
                proposal,
                zone,
                completed_on,
                ..
            } => self.project_completed(&meta, zone, proposal, *completed_on),
        }
    }

    fn timeline(&mut self, meta: &Meta<'_>, zone: &ZoneCode, what: What) {
        self.changes.timeline.push(TimelineRow {
            zone: zone.to_string(),
            position: meta.position,
            event_id: meta.published.event_id.clone(),
            event_type: meta.published.event_type.clone(),
            stream_version: meta.published.version,
            actor: meta.who.cols.clone(),
            who: meta.who.en.clone(),
            occurred_at_us: meta.occurred_at_us,
            recorded_at_us: meta.recorded_at_us,
            occurred_day: meta.day,
            what_en: what.en,
            what_fa: what.fa,
        });
        self.changes.zones_changed.insert(zone.to_string());
    }

    /// A zone event: its stream is the zone's, and the zone is registered.
    fn zone_event(&self, meta: &Meta<'_>, zone: &ZoneCode) -> Result<(), Refused> {
        own_stream(meta, StreamId::Zone(zone.clone()))?;
        if !self.known.zones.contains(zone.as_str()) {
            return Err(format!("zone {zone} is not registered"));
        }
        Ok(())
    }

    fn programme_dates_set(
        &mut self,
        meta: &Meta<'_>,
        dates: &ProgrammeDates,
    ) -> Result<(), Refused> {
        let row = ProgrammeRow {
            needs_deadline: dates.needs_deadline,
            proposals_deadline: dates.proposals_deadline,
            operational_start: dates.operational_start,
            goal_date: dates.goal_date,
            stream_version: meta.published.version,
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

    fn zone_registered(
        &mut self,
        meta: &Meta<'_>,
        code: &ZoneCode,
        name: &Names,
        goals: &[Goal],
    ) -> Result<(), Refused> {
        own_stream(meta, StreamId::Zone(code.clone()))?;
        if self.known.zones.contains(code.as_str()) {
            return Err(format!("zone {code} is already registered"));
        }
        let mut rows = Vec::with_capacity(goals.len());
        let mut codes = HashSet::new();
        for (ordinal, goal) in goals.iter().enumerate() {
            if !codes.insert(goal.code.as_str()) {
                return Err(format!("goal {} appears twice", goal.code));
            }
            rows.push(GoalRow {
                zone: code.to_string(),
                code: goal.code.to_string(),
                ordinal: u32::try_from(ordinal).unwrap_or(u32::MAX),
                approach: goal.approach,
                title_fa: goal.title.fa.to_string(),
                title_en: goal.title.en.to_string(),
                weight: u32::from(goal.weight.get()),
            });
        }
        self.known.zones.insert(code.to_string());
        self.changes.zones.push(ZoneRow {
            code: code.to_string(),
            name_fa: name.fa.to_string(),
            name_en: name.en.to_string(),
            registered_at_us: meta.occurred_at_us,
            registered_day: meta.day,
        });
        self.changes.goals.extend(rows);
        let what = sentences::zone_registered(&meta.who, code, name, goals.len());
        self.timeline(meta, code, what);
        Ok(())
    }

    fn agency_registered(
        &mut self,
        meta: &Meta<'_>,
        code: &AgencyCode,
        name: &Names,
    ) -> Result<(), Refused> {
        own_stream(meta, StreamId::Agency(code.clone()))?;
        self.changes.agencies.insert(
            code.to_string(),
            PartyRow {
                code: code.to_string(),
                name_fa: name.fa.to_string(),
                name_en: name.en.to_string(),
                since: meta.day,
            },
        );
        self.changes.all_zones = true;
        Ok(())
    }

    fn ngo_approved(
        &mut self,
        meta: &Meta<'_>,
        code: &NgoCode,
        name: &Names,
        ministry_approval_ref: &Text,
    ) -> Result<(), Refused> {
        own_stream(meta, StreamId::Ngo(code.clone()))?;
        self.changes.ngos.insert(
            code.to_string(),
            NgoRow {
                party: PartyRow {
                    code: code.to_string(),
                    name_fa: name.fa.to_string(),
                    name_en: name.en.to_string(),
                    since: meta.day,
                },
                ministry_approval_ref: ministry_approval_ref.to_string(),
            },
        );
        self.changes.all_zones = true;
        Ok(())
    }

    fn need_declared(&mut self, meta: &Meta<'_>, event: &PublishedEvent) -> Result<(), Refused> {
        let PublishedEvent::NeedDeclared {
            need,
            zone,
            ngo,
            member,
            approach,
            title,
            households_affected,
            late,
            ..
        } = event
        else {
            unreachable!("need_declared of another event")
        };
        self.zone_event(meta, zone)?;
        if self.known.needs.contains_key(need) {
            return Err(format!("need {need} is already declared"));
        }
        self.known.needs.insert(
            need.clone(),
            NeedRef {
                zone: zone.to_string(),
                title: title.to_string(),
            },
        );
        self.changes.needs.push(NeedRow {
            need_id: need.clone(),
            zone: zone.to_string(),
            ngo: ngo.to_string(),
            member: member.to_string(),
            approach: *approach,
            title: title.to_string(),
            households: households_affected.get(),
            late: *late,
            declared_at_us: meta.occurred_at_us,
            declared_day: meta.day,
            stream_version: meta.published.version,
        });
        let what = sentences::need_declared(
            &meta.who,
            title,
            *approach,
            households_affected.get(),
            *late,
        );
        self.timeline(meta, zone, what);
        Ok(())
    }

    fn need_in_zone(&self, need_id: &str, zone: &ZoneCode) -> Result<&NeedRef, Refused> {
        match self.known.needs.get(need_id) {
            Some(need) if need.zone == zone.as_str() => Ok(need),
            Some(need) => Err(format!(
                "need {need_id} belongs to zone {}, not {zone}",
                need.zone
            )),
            None => Err(format!("need {need_id} is not declared")),
        }
    }

    fn need_referred(&mut self, meta: &Meta<'_>, event: &PublishedEvent) -> Result<(), Refused> {
        let PublishedEvent::NeedReferred {
            referral,
            zone,
            need,
            agency,
            ngo,
            member,
            ..
        } = event
        else {
            unreachable!("need_referred of another event")
        };
        self.zone_event(meta, zone)?;
        let title = self.need_in_zone(need, zone)?.title.clone();
        if self.known.referrals.contains_key(referral) {
            return Err(format!("referral {referral} already exists"));
        }
        self.known.referrals.insert(
            referral.clone(),
            ReferralRow {
                referral_id: referral.clone(),
                zone: zone.to_string(),
                need_id: need.clone(),
                agency: agency.to_string(),
                ngo: ngo.to_string(),
                member: member.to_string(),
                referred_at_us: meta.occurred_at_us,
                referred_day: meta.day,
                answer: None,
            },
        );
        self.changes.referrals.insert(referral.clone());
        let what = sentences::need_referred(&meta.who, agency, &title);
        self.timeline(meta, zone, what);
        Ok(())
    }

    fn referral_answered(
        &mut self,
        meta: &Meta<'_>,
        event: &PublishedEvent,
    ) -> Result<(), Refused> {
        let PublishedEvent::ReferralAnswered {
            referral: referral_id,
            zone,
            agency,
            accepted,
            answer,
        } = event
        else {
            unreachable!("referral_answered of another event")
        };
        self.zone_event(meta, zone)?;
        let referral = match self.known.referrals.get(referral_id) {
            Some(r) if r.zone != zone.as_str() => {
                return Err(format!(
                    "referral {referral_id} belongs to zone {}, not {zone}",
                    r.zone
                ));
            }
            Some(r) if r.agency != agency.as_str() => {
                return Err(format!(
                    "referral {referral_id} was made to agency {}, not {agency}",
                    r.agency
                ));
            }
            Some(r) if r.answer.is_some() => {
                return Err(format!("referral {referral_id} is already answered"));
            }
            Some(r) => r,
            None => return Err(format!("referral {referral_id} does not exist")),
        };
        let title = self
            .known
            .needs
            .get(&referral.need_id)
            .map_or_else(|| referral.need_id.clone(), |n| n.title.clone());
        if let Some(r) = self.known.referrals.get_mut(referral_id) {
            r.answer = Some(Answer {
                at_us: meta.occurred_at_us,
                day: meta.day,
                accepted: *accepted,
            });
        }
        self.changes.referrals.insert(referral_id.clone());
        let what = sentences::referral_answered(&meta.who, *accepted, answer, &title);
        self.timeline(meta, zone, what);
        Ok(())
    }

    fn activity_reported(
        &mut self,
        meta: &Meta<'_>,
        event: &PublishedEvent,
    ) -> Result<(), Refused> {
        let PublishedEvent::SocialActivityReported {
            activity,
            zone,
            ngo,
            member,
            title,
            participants,
            held_on,
            ..
        } = event
        else {
            unreachable!("activity_reported of another event")
        };
        self.zone_event(meta, zone)?;
        self.changes
            .activities
            .entry(activity.clone())
            .or_insert_with(|| ActivityRow {
                activity_id: activity.clone(),
                zone: zone.to_string(),
                ngo: ngo.to_string(),
                member: member.to_string(),
                title: title.to_string(),
                participants: participants.get(),
                held_on: *held_on,
                reported_day: meta.day,
            });
        let what = sentences::activity_reported(&meta.who, title, participants.get(), *held_on);
        self.timeline(meta, zone, what);
        Ok(())
    }

    fn proposal_submitted(
        &mut self,
        meta: &Meta<'_>,
        event: &PublishedEvent,
    ) -> Result<(), Refused> {
        let PublishedEvent::ProposalSubmitted {
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
        } = event
        else {
            unreachable!("proposal_submitted of another event")
        };
        self.zone_event(meta, zone)?;
        if self.known.proposals.contains_key(proposal) {
            return Err(format!("proposal {proposal} is already submitted"));
        }
        let mut need_ids: Vec<&String> = needs.iter().collect();
        need_ids.sort_unstable();
        need_ids.dedup();
        for need in &need_ids {
            self.need_in_zone(need, zone)?;
        }
        let budget_rials = budget.get();
        if i64::try_from(budget_rials).is_err() {
            return Err(format!("budget {budget_rials} rials is out of range"));
        }
        self.known.proposals.insert(
            proposal.clone(),
            ProposalRow {
                proposal_id: proposal.clone(),
                zone: zone.to_string(),
                agency: agency.to_string(),
                approach: *approach,
                title: title.to_string(),
                budget_rials,
                planned_start: *planned_start,
                planned_end: *planned_end,
                late: *late,
                submitted_at_us: meta.occurred_at_us,
                submitted_day: meta.day,
                stream_version: meta.published.version,
                decision: None,
                completed_on: None,
            },
        );
        self.changes.proposals.insert(proposal.clone());
        self.changes
            .proposal_needs
            .extend(need_ids.into_iter().map(|need| ProposalNeedRow {
                proposal_id: proposal.clone(),
                need_id: need.clone(),
                zone: zone.to_string(),
            }));
        let what = sentences::proposal_submitted(
            &meta.who,
            title,
            *approach,
            budget_rials,
            needs.len(),
            *late,
        );
        self.timeline(meta, zone, what);
        Ok(())
    }

    fn proposal_in_zone(
        &self,
        proposal_id: &str,
        zone: &ZoneCode,
    ) -> Result<&ProposalRow, Refused> {
        match self.known.proposals.get(proposal_id) {
            Some(p) if p.zone == zone.as_str() => Ok(p),
            Some(p) => Err(format!(
                "proposal {proposal_id} belongs to zone {}, not {zone}",
                p.zone
            )),
            None => Err(format!("proposal {proposal_id} is not submitted")),
        }
    }

    /// A project: an approved proposal of the zone.
    fn project_in_zone(&self, proposal_id: &str, zone: &ZoneCode) -> Result<&ProposalRow, Refused> {
        let proposal = self.proposal_in_zone(proposal_id, zone)?;
        if proposal.approved_on().is_none() {
            return Err(format!("proposal {proposal_id} is not approved"));
        }
        Ok(proposal)
    }

    fn proposal_decided(
        &mut self,
        meta: &Meta<'_>,
        zone: &ZoneCode,
        proposal_id: &str,
        status: Status,
        reason: &Text,
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
                stream_version: meta.published.version,
            });
        }
        self.changes.proposals.insert(proposal_id.to_owned());
        let what = sentences::proposal_decided(
            &meta.who,
            status == Status::Approved,
            &title,
            reason.as_str(),
        );
        self.timeline(meta, zone, what);
        Ok(())
    }

    fn progress_reported(
        &mut self,
        meta: &Meta<'_>,
        event: &PublishedEvent,
    ) -> Result<(), Refused> {
        let PublishedEvent::ProgressReported {
            proposal,
            zone,
            percent,
            as_of,
            correction,
            ..
        } = event
        else {
            unreachable!("progress_reported of another event")
        };
        self.zone_event(meta, zone)?;
        let title = self.project_in_zone(proposal, zone)?.title.clone();
        let percent = u32::from(percent.get());
        self.changes.progress.push(ProgressRow {
            proposal_id: proposal.clone(),
            stream_version: meta.published.version,
            zone: zone.to_string(),
            percent,
            as_of: *as_of,
            reported_day: meta.day,
        });
        let what = sentences::progress_reported(&meta.who, percent, correction, &title, *as_of);
        self.timeline(meta, zone, what);
        Ok(())
    }

    fn project_completed(
        &mut self,
        meta: &Meta<'_>,
        zone: &ZoneCode,
        proposal_id: &str,
        completed_on: Day,
    ) -> Result<(), Refused> {
        self.zone_event(meta, zone)?;
        let project = self.project_in_zone(proposal_id, zone)?;
        if project.completed_on.is_some() {
            return Err(format!("project {proposal_id} is already completed"));
        }
        let title = project.title.clone();
        if let Some(p) = self.known.proposals.get_mut(proposal_id) {
            p.completed_on = Some(completed_on);
        }
        self.changes.proposals.insert(proposal_id.to_owned());
        let what = sentences::project_completed(&meta.who, &title, completed_on);
        self.timeline(meta, zone, what);
        Ok(())
    }

    fn supervision_filed(
        &mut self,
        meta: &Meta<'_>,
        event: &PublishedEvent,
    ) -> Result<(), Refused> {
        let PublishedEvent::SupervisionReportFiled {
            report,
            ngo,
            zone,
            rating,
            ..
        } = event
        else {
            unreachable!("supervision_filed of another event")
        };
        own_stream(meta, StreamId::Ngo(ngo.clone()))?;
        self.changes
            .supervision
            .entry(report.clone())
            .or_insert_with(|| SupervisionRow {
                report_id: report.clone(),
                ngo: ngo.to_string(),
                zone: zone.as_ref().map(ToString::to_string).unwrap_or_default(),
                rating: u32::from(rating.get()),
                filed_day: meta.day,
            });
        // The zone is another stream: it may not have arrived yet, so it is not checked.
        if let Some(zone) = zone {
            let what = sentences::supervision_filed(&meta.who, ngo, rating.get());
            self.timeline(meta, zone, what);
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

/// The event's stream is `expected` (the stream its body names).
fn own_stream(meta: &Meta<'_>, expected: StreamId) -> Result<(), Refused> {
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
        assert_eq!(timestamp(canonical), pb(-1_539_444_600, 500_000_000));
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
