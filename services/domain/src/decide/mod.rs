//! The programme's rules: a command, checked against the current state, becomes
//! events or a [`DomainError`]. All business logic lives here; `World::apply` only
//! records what these functions decided.
//!
//! Layout: [`World::decide`] checks what every command must pass (the guards in
//! `guards.rs`: `occurred_at` not in the future, the expected version; roles and
//! lookups for the aggregates) and hands the command to its aggregate's rules:
//! `programme.rs`, `zone.rs` (the zone, its needs, referrals and activities),
//! `proposal.rs` (proposals and the projects they become), `ngo.rs` (NGOs, members,
//! supervision), `agency.rs`.

use jiff::Timestamp;

use crate::actor::Actor;
use crate::command::{Command, CommandBody, Meta};
use crate::error::DomainError;
use crate::event::Event;
use crate::stream::StreamId;
use crate::world::World;

mod agency;
mod guards;
mod ngo;
mod programme;
mod proposal;
mod zone;

pub use programme::check_dates;
pub use proposal::check_plan;

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

/// What an aggregate's rule decided, before [`World::decide`] adds the stream.
struct Outcome {
    events: Vec<Event>,
    entity_id: String,
    late: bool,
}

impl Outcome {
    /// One event, on time.
    fn one(event: Event, entity_id: impl ToString) -> Self {
        Self {
            events: vec![event],
            entity_id: entity_id.to_string(),
            late: false,
        }
    }
}

/// What every rule reads: the state it is decided against and the command's header.
struct Rules<'a> {
    world: &'a World,
    meta: &'a Meta,
}

impl Rules<'_> {
    /// The id of what the command creates: the submission's id.
    fn created(&self) -> String {
        self.meta.submission.0.to_string()
    }
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
        guards::not_in_the_future(meta, now)?;
        let stream = command.body.target_stream();
        let current = self.version(&stream);
        guards::expected_version(meta, &stream, current)?;
        let rules = Rules { world: self, meta };
        use CommandBody as C;
        let outcome = match &command.body {
            C::SetProgrammeDates(dates) => rules.set_programme_dates(dates),
            C::RegisterZone { code, name, goals } => rules.register_zone(code, name, goals),
            C::DeclareNeed {
                zone,
                approach,
                title,
                description,
                households_affected,
                priority,
            } => rules.declare_need(
                zone,
                *approach,
                title,
                description,
                *households_affected,
                *priority,
            ),
            C::ReferNeed {
                zone,
                need,
                agency,
                note,
            } => rules.refer_need(zone, need, agency, note),
            C::ReportSocialActivity {
                zone,
                title,
                description,
                participants,
                held_on,
            } => rules.report_social_activity(zone, title, description, *participants, *held_on),
            C::AnswerReferral {
                zone,
                referral,
                accepted,
                answer,
            } => rules.answer_referral(zone, referral, *accepted, answer),
            C::SubmitProposal {
                zone,
                needs,
                approach,
                title,
                budget,
                planned_start,
                planned_end,
            } => rules.submit_proposal(
                zone,
                needs,
                *approach,
                title,
                *budget,
                (*planned_start, *planned_end),
            ),
            C::DecideProposal {
                zone,
                proposal,
                decision,
            } => rules.decide_proposal(zone, proposal, decision),
            C::ReportProgress {
                zone,
                proposal,
                percent,
                note,
                as_of,
                correction,
            } => rules.report_progress(zone, proposal, *percent, note, *as_of, correction),
            C::CompleteProject {
                zone,
                proposal,
                completed_on,
                note,
            } => rules.complete_project(zone, proposal, *completed_on, note),
            C::RecordApprovedNgo {
                code,
                name,
                ministry_approval_ref,
            } => rules.record_approved_ngo(code, name, ministry_approval_ref),
            C::ApproveNgoMember {
                ngo,
                member,
                full_name,
            } => rules.approve_ngo_member(ngo, member, full_name),
            C::RevokeNgoMember {
                ngo,
                member,
                reason,
            } => rules.revoke_ngo_member(ngo, member, reason),
            C::FileSupervisionReport {
                ngo,
                zone,
                findings,
                rating,
            } => rules.file_supervision_report(ngo, zone.as_ref(), findings, *rating),
            C::RegisterAgency { code, name } => rules.register_agency(code, name),
        }?;
        Ok(Decided {
            stream,
            expected_version: current,
            events: outcome.events,
            entity_id: outcome.entity_id,
            late: outcome.late,
        })
    }
}
