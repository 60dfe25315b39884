//! The programme's rules: a command, checked against the current state, becomes
//! events or a [`DomainError`]. All business logic lives here; `World::apply` only
//! records what these functions decided.

use jiff::{SignedDuration, Timestamp};

use crate::actor::Actor;
use crate::calendar::Day;
use crate::command::{Command, CommandBody, Decision};
use crate::error::DomainError;
use crate::event::{Event, ProgrammeDates};
use crate::stream::StreamId;
use crate::values::{AgencyCode, MemberCode, NgoCode, Percent, ProposalId, Text, ZoneCode};
use crate::world::{MemberStatus, Proposal, ProposalStatus, World, Zone};

/// How far in the future an `occurred_at` may be, for clocks that disagree a little.
const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

const ACTOR: &str = "submission.actor";
const ACTOR_NGO: &str = "submission.actor.ngo_member.ngo";
const ACTOR_MEMBER: &str = "submission.actor.ngo_member.member";
const ACTOR_AGENCY: &str = "submission.actor.agency_officer.agency";

/// What a command decided: the events to append to one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub stream: StreamId,
    /// The stream's version the events follow.
    pub expected_version: u64,
    pub events: Vec<Event>,
    /// The id of what the command created or registered.
    pub entity_id: String,
    /// Recorded after the programme's deadline.
    pub late: bool,
}

impl CommandBody {
    /// The stream the command appends to.
    pub fn target_stream(&self) -> StreamId {
        match self {
            Self::SetProgrammeDates(_) => StreamId::Programme,
            Self::RegisterZone { code, .. } => StreamId::Zone(code.clone()),
            Self::RegisterAgency { code, .. } => StreamId::Agency(code.clone()),
            Self::RecordApprovedNgo { code, .. } => StreamId::Ngo(code.clone()),
            Self::ApproveNgoMember { ngo, .. }
            | Self::RevokeNgoMember { ngo, .. }
            | Self::FileSupervisionReport { ngo, .. } => StreamId::Ngo(ngo.clone()),
            Self::DeclareNeed { zone, .. }
            | Self::ReferNeed { zone, .. }
            | Self::ReportSocialActivity { zone, .. }
            | Self::AnswerReferral { zone, .. }
            | Self::SubmitProposal { zone, .. }
            | Self::DecideProposal { zone, .. }
            | Self::ReportProgress { zone, .. }
            | Self::CompleteProject { zone, .. } => StreamId::Zone(zone.clone()),
        }
    }

    /// Every stream whose state the command's rules read, the target first. A writer
    /// makes sure its view of these is current before deciding.
    pub fn streams_read(&self, actor: &Actor) -> Vec<StreamId> {
        let mut streams = vec![self.target_stream()];
        match actor {
            Actor::NgoMember { ngo, .. } => streams.push(StreamId::Ngo(ngo.clone())),
            Actor::AgencyOfficer { agency, .. } => streams.push(StreamId::Agency(agency.clone())),
            Actor::ProgrammeOffice { .. } | Actor::CountySupervisor { .. } => {}
        }
        match self {
            Self::DeclareNeed { .. } | Self::SubmitProposal { .. } => {
                streams.push(StreamId::Programme)
            }
            Self::ReferNeed { agency, .. } => streams.push(StreamId::Agency(agency.clone())),
            Self::FileSupervisionReport {
                zone: Some(zone), ..
            } => streams.push(StreamId::Zone(zone.clone())),
            _ => {}
        }
        streams.dedup();
        streams
    }
}

impl World {
    /// Decides a command at instant `now` (the server's clock).
    pub fn decide(&self, command: &Command, now: Timestamp) -> Result<Decided, DomainError> {
        let meta = &command.meta;
        if meta.occurred_at > now + CLOCK_SKEW {
            return Err(DomainError::invalid(
                "submission.occurred_at",
                format!(
                    "{} ({} in Tehran) is in the future",
                    meta.occurred_at,
                    shown(Day::in_tehran(meta.occurred_at))
                ),
            ));
        }
        let stream = command.body.target_stream();
        let current = self.version(&stream);
        if let Some(expected) = meta.expected_version
            && expected != current
        {
            return Err(DomainError::VersionConflict {
                stream: stream.to_string(),
                expected,
                actual: current,
            });
        }
        let created = meta.submission.0.to_string();
        let (events, entity_id, late) = match &command.body {
            CommandBody::SetProgrammeDates(dates) => {
                programme_office(&meta.actor, "set the programme's dates")?;
                check_dates(dates)?;
                (
                    vec![Event::ProgrammeDatesSet(dates.clone())],
                    "khorramabad".into(),
                    false,
                )
            }
            CommandBody::RegisterZone { code, name, goals } => {
                programme_office(&meta.actor, "register a zone")?;
                if self.zones.contains_key(code) {
                    return Err(DomainError::already_exists("code", "zone", code));
                }
                if goals.is_empty() {
                    return Err(DomainError::invalid(
                        "goals",
                        "a zone needs at least one year-end '97 goal",
                    ));
                }
                for (i, goal) in goals.iter().enumerate() {
                    if goals[..i].iter().any(|g| g.code == goal.code) {
                        return Err(DomainError::invalid(
                            format!("goals[{i}].code"),
                            format!("goal code '{}' is used twice", goal.code),
                        ));
                    }
                }
                let event = Event::ZoneRegistered {
                    code: code.clone(),
                    name: name.clone(),
                    goals: goals.clone(),
                };
                (vec![event], code.to_string(), false)
            }
            CommandBody::RegisterAgency { code, name } => {
                programme_office(&meta.actor, "register an executive agency")?;
                if self.agencies.contains_key(code) {
                    return Err(DomainError::already_exists("code", "agency", code));
                }
                let event = Event::AgencyRegistered {
                    code: code.clone(),
                    name: name.clone(),
                };
                (vec![event], code.to_string(), false)
            }
            CommandBody::RecordApprovedNgo {
                code,
                name,
                ministry_approval_ref,
            } => {
                programme_office(&meta.actor, "record a Ministry-approved NGO")?;
                if self.ngos.contains_key(code) {
                    return Err(DomainError::already_exists("code", "NGO", code));
                }
                let event = Event::NgoApproved {
                    code: code.clone(),
                    name: name.clone(),
                    ministry_approval_ref: ministry_approval_ref.clone(),
                };
                (vec![event], code.to_string(), false)
            }
            CommandBody::ApproveNgoMember {
                ngo,
                member,
                full_name,
            } => {
                programme_office(&meta.actor, "approve an NGO member")?;
                let found = self.ngo_named(ngo, "ngo")?;
                if found.members.get(member) == Some(&MemberStatus::Approved) {
                    return Err(DomainError::rule(
                        "member",
                        format!("member {member} of NGO {ngo} is already approved"),
                    ));
                }
                let event = Event::NgoMemberApproved {
                    ngo: ngo.clone(),
                    member: member.clone(),
                    full_name: full_name.clone(),
                };
                (vec![event], member.to_string(), false)
            }
            CommandBody::RevokeNgoMember {
                ngo,
                member,
                reason,
            } => {
                programme_office(&meta.actor, "revoke an NGO member")?;
                let found = self.ngo_named(ngo, "ngo")?;
                match found.members.get(member) {
                    None => return Err(DomainError::not_found("member", "member", member)),
                    Some(MemberStatus::Revoked) => {
                        return Err(DomainError::rule(
                            "member",
                            format!("member {member} of NGO {ngo} is already revoked"),
                        ));
                    }
                    Some(MemberStatus::Approved) => {}
                }
                let event = Event::NgoMemberRevoked {
                    ngo: ngo.clone(),
                    member: member.clone(),
                    reason: reason.clone(),
                };
                (vec![event], member.to_string(), false)
            }
            CommandBody::DeclareNeed {
                zone,
                approach,
                title,
                description,
                households_affected,
                priority,
            } => {
                let (ngo, member) = self.active_member(&meta.actor)?;
                self.zone_named(zone, "zone")?;
                let dates = self.dates()?;
                let late = meta.occurred_at > dates.needs_deadline.end_in_tehran();
                let event = Event::NeedDeclared {
                    need: crate::values::NeedId(meta.submission.0),
                    zone: zone.clone(),
                    ngo: ngo.clone(),
                    member: member.clone(),
                    approach: *approach,
                    title: title.clone(),
                    description: description.clone(),
                    households_affected: *households_affected,
                    priority: *priority,
                    late,
                };
                (vec![event], created, late)
            }
            CommandBody::ReferNeed {
                zone,
                need,
                agency,
                note,
            } => {
                let (ngo, member) = self.active_member(&meta.actor)?;
                let found = self.zone_named(zone, "zone")?;
                if !found.needs.contains(need) {
                    return Err(self.missing_need(zone, need, "need_id"));
                }
                self.agency_named(agency, "agency")?;
                let open = found
                    .referrals
                    .values()
                    .any(|r| r.need == *need && r.agency == *agency && !r.answered);
                if open {
                    return Err(DomainError::rule(
                        "agency",
                        format!("need {need} already has an open referral to agency {agency}"),
                    ));
                }
                let event = Event::NeedReferred {
                    referral: crate::values::ReferralId(meta.submission.0),
                    zone: zone.clone(),
                    need: *need,
                    agency: agency.clone(),
                    ngo: ngo.clone(),
                    member: member.clone(),
                    note: note.clone(),
                };
                (vec![event], created, false)
            }
            CommandBody::ReportSocialActivity {
                zone,
                title,
                description,
                participants,
                held_on,
            } => {
                let (ngo, member) = self.active_member(&meta.actor)?;
                self.zone_named(zone, "zone")?;
                if *held_on > Day::in_tehran(meta.occurred_at) {
                    return Err(DomainError::invalid(
                        "held_on",
                        format!("{} is after the report itself", shown(*held_on)),
                    ));
                }
                let event = Event::SocialActivityReported {
                    activity: crate::values::ActivityId(meta.submission.0),
                    zone: zone.clone(),
                    ngo: ngo.clone(),
                    member: member.clone(),
                    title: title.clone(),
                    description: description.clone(),
                    participants: *participants,
                    held_on: *held_on,
                };
                (vec![event], created, false)
            }
            CommandBody::AnswerReferral {
                zone,
                referral,
                accepted,
                answer,
            } => {
                let agency = self.officer_agency(&meta.actor)?;
                let found = self.zone_named(zone, "zone")?;
                let Some(referral_state) = found.referrals.get(referral) else {
                    return Err(DomainError::not_found("referral_id", "referral", referral));
                };
                if referral_state.agency != *agency {
                    return Err(DomainError::denied(
                        ACTOR_AGENCY,
                        format!(
                            "referral {referral} was made to agency {}, not {agency}",
                            referral_state.agency
                        ),
                    ));
                }
                if referral_state.answered {
                    return Err(DomainError::rule(
                        "referral_id",
                        format!("referral {referral} is already answered"),
                    ));
                }
                if answer.is_empty() {
                    return Err(DomainError::invalid("answer", "must not be empty"));
                }
                let event = Event::ReferralAnswered {
                    referral: *referral,
                    zone: zone.clone(),
                    agency: agency.clone(),
                    accepted: *accepted,
                    answer: answer.clone(),
                };
                (vec![event], referral.to_string(), false)
            }
            CommandBody::SubmitProposal {
                zone,
                needs,
                approach,
                title,
                budget,
                planned_start,
                planned_end,
            } => {
                let agency = self.officer_agency(&meta.actor)?;
                let found = self.zone_named(zone, "zone")?;
                let dates = self.dates()?;
                if needs.is_empty() {
                    return Err(DomainError::invalid(
                        "need_ids",
                        "a proposal answers at least one declared need",
                    ));
                }
                for (i, need) in needs.iter().enumerate() {
                    if !found.needs.contains(need) {
                        return Err(self.missing_need(zone, need, &format!("need_ids[{i}]")));
                    }
                    if needs[..i].contains(need) {
                        return Err(DomainError::invalid(
                            format!("need_ids[{i}]"),
                            format!("need {need} is named twice"),
                        ));
                    }
                }
                check_plan(*planned_start, *planned_end)?;
                let late = meta.occurred_at > dates.proposals_deadline.end_in_tehran();
                let event = Event::ProposalSubmitted {
                    proposal: ProposalId(meta.submission.0),
                    zone: zone.clone(),
                    agency: agency.clone(),
                    needs: needs.clone(),
                    approach: *approach,
                    title: title.clone(),
                    budget: *budget,
                    planned_start: *planned_start,
                    planned_end: *planned_end,
                    late,
                };
                (vec![event], created, late)
            }
            CommandBody::DecideProposal {
                zone,
                proposal,
                decision,
            } => {
                county_supervisor(&meta.actor, "decide a proposal")?;
                let found = self.zone_named(zone, "zone")?;
                let state = proposal_in(found, proposal)?;
                if state.status != ProposalStatus::Pending {
                    let was = if state.status == ProposalStatus::Approved {
                        "approved"
                    } else {
                        "rejected"
                    };
                    return Err(DomainError::rule(
                        "proposal_id",
                        format!(
                            "proposal {proposal} was already {was}; a proposal is decided once"
                        ),
                    ));
                }
                let event = match decision {
                    Decision::Approve { reason } => Event::ProposalApproved {
                        proposal: *proposal,
                        zone: zone.clone(),
                        reason: reason.clone(),
                    },
                    Decision::Reject { reason } => {
                        if reason.is_empty() {
                            return Err(DomainError::invalid(
                                "reason",
                                "a rejection needs a reason",
                            ));
                        }
                        Event::ProposalRejected {
                            proposal: *proposal,
                            zone: zone.clone(),
                            reason: reason.clone(),
                        }
                    }
                };
                (vec![event], proposal.to_string(), false)
            }
            CommandBody::FileSupervisionReport {
                ngo,
                zone,
                findings,
                rating,
            } => {
                county_supervisor(&meta.actor, "file a supervision report")?;
                self.ngo_named(ngo, "ngo")?;
                if let Some(zone) = zone {
                    self.zone_named(zone, "zone")?;
                }
                let event = Event::SupervisionReportFiled {
                    report: crate::values::ReportId(meta.submission.0),
                    ngo: ngo.clone(),
                    zone: zone.clone(),
                    findings: findings.clone(),
                    rating: *rating,
                };
                (vec![event], created, false)
            }
            CommandBody::ReportProgress {
                zone,
                proposal,
                percent,
                note,
                as_of,
                correction,
            } => {
                let agency = self.officer_agency(&meta.actor)?;
                let found = self.zone_named(zone, "zone")?;
                let state = running_project(found, proposal, agency)?;
                let as_of = as_of.unwrap_or_else(|| Day::in_tehran(meta.occurred_at));
                check_dated_within_project(state, as_of, meta.occurred_at, "as_of")?;
                if let Some((last, _)) = state.last_progress
                    && *percent < last
                    && correction.is_empty()
                {
                    return Err(DomainError::rule(
                        "percent",
                        format!(
                            "{}% is lower than the last report ({}%); progress only goes back \
                             as a correction: say why in `correction`",
                            percent.get(),
                            last.get()
                        ),
                    ));
                }
                let event = Event::ProgressReported {
                    proposal: *proposal,
                    zone: zone.clone(),
                    percent: *percent,
                    note: note.clone(),
                    as_of,
                    correction: correction.clone(),
                };
                (vec![event], proposal.to_string(), false)
            }
            CommandBody::CompleteProject {
                zone,
                proposal,
                completed_on,
                note,
            } => {
                let agency = self.officer_agency(&meta.actor)?;
                let found = self.zone_named(zone, "zone")?;
                let state = running_project(found, proposal, agency)?;
                let completed_on = completed_on.unwrap_or_else(|| Day::in_tehran(meta.occurred_at));
                check_dated_within_project(state, completed_on, meta.occurred_at, "completed_on")?;
                let mut events = Vec::with_capacity(2);
                // A completed project is at 100%: record it, so progress read models
                // need no special case for completion.
                if state.last_progress.map(|(p, _)| p) != Some(Percent::FULL) {
                    events.push(Event::ProgressReported {
                        proposal: *proposal,
                        zone: zone.clone(),
                        percent: Percent::FULL,
                        note: note.clone(),
                        as_of: completed_on,
                        correction: Text::stored(""),
                    });
                }
                events.push(Event::ProjectCompleted {
                    proposal: *proposal,
                    zone: zone.clone(),
                    completed_on,
                    note: note.clone(),
                });
                (events, proposal.to_string(), false)
            }
        };
        Ok(Decided {
            stream,
            expected_version: current,
            events,
            entity_id,
            late,
        })
    }

    fn dates(&self) -> Result<&ProgrammeDates, DomainError> {
        self.programme.as_ref().ok_or_else(|| {
            // Lateness is judged on the submission's time against the programme's
            // deadlines; the field is the one the missing dates would judge.
            DomainError::rule(
                "submission.occurred_at",
                "the programme's dates are not set yet, so this cannot be judged on time or \
                 late: the programme office sets them first (SetProgrammeDates)",
            )
        })
    }

    fn zone_named(&self, code: &ZoneCode, field: &str) -> Result<&Zone, DomainError> {
        self.zones
            .get(code)
            .ok_or_else(|| DomainError::not_found(field, "zone", code))
    }

    fn ngo_named(&self, code: &NgoCode, field: &str) -> Result<&crate::world::Ngo, DomainError> {
        self.ngos
            .get(code)
            .ok_or_else(|| DomainError::not_found(field, "Ministry-approved NGO", code))
    }

    fn agency_named(&self, code: &AgencyCode, field: &str) -> Result<(), DomainError> {
        if self.agencies.contains_key(code) {
            Ok(())
        } else {
            Err(DomainError::not_found(field, "agency", code))
        }
    }

    /// A need that is not in `zone`: in another zone it breaks "a proposal answers
    /// needs of its own zone"; nowhere, it is unknown.
    fn missing_need(
        &self,
        zone: &ZoneCode,
        need: &crate::values::NeedId,
        field: &str,
    ) -> DomainError {
        match self.need_zones.get(need) {
            Some(other) if other != zone => DomainError::rule(
                field,
                format!("need {need} belongs to zone {other}, not {zone}"),
            ),
            _ => DomainError::not_found(field, "need", need),
        }
    }

    /// Only approved (not revoked) members of Ministry-approved NGOs act for an NGO.
    fn active_member<'a>(
        &self,
        actor: &'a Actor,
    ) -> Result<(&'a NgoCode, &'a MemberCode), DomainError> {
        let Actor::NgoMember { ngo, member } = actor else {
            return Err(DomainError::denied(
                ACTOR,
                format!("only an NGO member may do this, not the {}", actor.role()),
            ));
        };
        let found = self.ngo_named(ngo, ACTOR_NGO)?;
        match found.members.get(member) {
            None => Err(DomainError::not_found(
                ACTOR_MEMBER,
                "member",
                format!("{ngo}/{member}"),
            )),
            Some(MemberStatus::Revoked) => Err(DomainError::denied(
                ACTOR_MEMBER,
                format!("member {member} of NGO {ngo} has been revoked"),
            )),
            Some(MemberStatus::Approved) => Ok((ngo, member)),
        }
    }

    fn officer_agency<'a>(&self, actor: &'a Actor) -> Result<&'a AgencyCode, DomainError> {
        let Actor::AgencyOfficer { agency, .. } = actor else {
            return Err(DomainError::denied(
                ACTOR,
                format!(
                    "only an executive agency may do this, not the {}",
                    actor.role()
                ),
            ));
        };
        self.agency_named(agency, ACTOR_AGENCY)?;
        Ok(agency)
    }
}

/// A day as people here read it: Solar Hijri first, ISO in brackets.
fn shown(day: Day) -> String {
    format!("{} ({})", day.solar_hijri_string(), day.iso())
}

fn programme_office(actor: &Actor, act: &str) -> Result<(), DomainError> {
    match actor {
        Actor::ProgrammeOffice { .. } => Ok(()),
        other => Err(DomainError::denied(
            ACTOR,
            format!(
                "only the programme office may {act}, not the {}",
                other.role()
            ),
        )),
    }
}

fn county_supervisor(actor: &Actor, act: &str) -> Result<(), DomainError> {
    match actor {
        Actor::CountySupervisor { .. } => Ok(()),
        other => Err(DomainError::denied(
            ACTOR,
            format!(
                "only the county supervisor may {act}, not the {}",
                other.role()
            ),
        )),
    }
}

/// A proposal's plan ends on or after its start. Needs no state, so the edge checks
/// it too, together with the other fields.
pub fn check_plan(planned_start: Day, planned_end: Day) -> Result<(), DomainError> {
    if planned_end < planned_start {
        return Err(DomainError::invalid(
            "planned_end",
            format!(
                "{} is before the planned start {}",
                shown(planned_end),
                shown(planned_start)
            ),
        ));
    }
    Ok(())
}

/// The programme's dates are in order. Needs no state, so the edge checks it too.
pub fn check_dates(dates: &ProgrammeDates) -> Result<(), DomainError> {
    if dates.operational_start < dates.needs_deadline {
        return Err(DomainError::invalid(
            "operational_start",
            format!(
                "{} is before the needs deadline {}",
                shown(dates.operational_start),
                shown(dates.needs_deadline)
            ),
        ));
    }
    if dates.goal_date <= dates.operational_start {
        return Err(DomainError::invalid(
            "goal_date",
            format!(
                "{} is not after the operational start {}",
                shown(dates.goal_date),
                shown(dates.operational_start)
            ),
        ));
    }
    if dates.proposals_deadline < dates.needs_deadline {
        return Err(DomainError::invalid(
            "proposals_deadline",
            format!(
                "{} is before the needs deadline {}: proposals answer the declared needs",
                shown(dates.proposals_deadline),
                shown(dates.needs_deadline)
            ),
        ));
    }
    if dates.proposals_deadline >= dates.goal_date {
        return Err(DomainError::invalid(
            "proposals_deadline",
            format!(
                "{} is not before the goal date {}",
                shown(dates.proposals_deadline),
                shown(dates.goal_date)
            ),
        ));
    }
    Ok(())
}

/// A day of a project's progress or completion is neither after the report that gives
/// it nor before the county supervisor approved the project.
fn check_dated_within_project(
    project: &Proposal,
    day: Day,
    reported_at: Timestamp,
    field: &str,
) -> Result<(), DomainError> {
    let reported_on = Day::in_tehran(reported_at);
    if day > reported_on {
        return Err(DomainError::invalid(
            field,
            format!(
                "{} is after the report itself ({}): progress is reported on what happened",
                shown(day),
                shown(reported_on)
            ),
        ));
    }
    if let Some(approved_on) = project.approved_on
        && day < approved_on
    {
        return Err(DomainError::invalid(
            field,
            format!(
                "{} is before the project was approved ({})",
                shown(day),
                shown(approved_on)
            ),
        ));
    }
    Ok(())
}

fn proposal_in<'z>(zone: &'z Zone, proposal: &ProposalId) -> Result<&'z Proposal, DomainError> {
    zone.proposals
        .get(proposal)
        .ok_or_else(|| DomainError::not_found("proposal_id", "proposal", proposal))
}

/// An approved, not yet completed proposal of the acting agency.
fn running_project<'z>(
    zone: &'z Zone,
    proposal: &ProposalId,
    agency: &AgencyCode,
) -> Result<&'z Proposal, DomainError> {
    let state = proposal_in(zone, proposal)?;
    if state.agency != *agency {
        return Err(DomainError::denied(
            ACTOR_AGENCY,
            format!(
                "proposal {proposal} belongs to agency {}, not {agency}",
                state.agency
            ),
        ));
    }
    match state.status {
        ProposalStatus::Pending => Err(DomainError::rule(
            "proposal_id",
            format!(
                "proposal {proposal} is not approved yet; progress is reported on approved projects"
            ),
        )),
        ProposalStatus::Rejected => Err(DomainError::rule(
            "proposal_id",
            format!("proposal {proposal} was rejected; progress is reported on approved projects"),
        )),
        ProposalStatus::Approved if state.completed => Err(DomainError::rule(
            "proposal_id",
            format!("project {proposal} is already complete"),
        )),
        ProposalStatus::Approved => Ok(state),
    }
}
