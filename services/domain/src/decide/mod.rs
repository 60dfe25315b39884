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
            Self::RegisterZone(c) => StreamId::Zone(c.code.clone()),
            Self::RegisterAgency(c) => StreamId::Agency(c.code.clone()),
            Self::RecordApprovedNgo(c) => StreamId::Ngo(c.code.clone()),
            Self::ApproveNgoMember(c) => StreamId::Ngo(c.ngo.clone()),
            Self::RevokeNgoMember(c) => StreamId::Ngo(c.ngo.clone()),
            Self::FileSupervisionReport(c) => StreamId::Ngo(c.ngo.clone()),
            Self::DeclareNeed(c) => StreamId::Zone(c.zone.clone()),
            Self::ReferNeed(c) => StreamId::Zone(c.zone.clone()),
            Self::ReportSocialActivity(c) => StreamId::Zone(c.zone.clone()),
            Self::AnswerReferral(c) => StreamId::Zone(c.zone.clone()),
            Self::SubmitProposal(c) => StreamId::Zone(c.zone.clone()),
            Self::DecideProposal(c) => StreamId::Zone(c.zone.clone()),
            Self::ReportProgress(c) => StreamId::Zone(c.zone.clone()),
            Self::CompleteProject(c) => StreamId::Zone(c.zone.clone()),
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
            Self::DeclareNeed(_) | Self::SubmitProposal(_) => streams.push(StreamId::Programme),
            Self::ReferNeed(c) => streams.push(StreamId::Agency(c.agency.clone())),
            Self::FileSupervisionReport(c) => {
                if let Some(zone) = &c.zone {
                    streams.push(StreamId::Zone(zone.clone()));
                }
            }
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
            C::RegisterZone(c) => rules.register_zone(c),
            C::DeclareNeed(c) => rules.declare_need(c),
            C::ReferNeed(c) => rules.refer_need(c),
            C::ReportSocialActivity(c) => rules.report_social_activity(c),
            C::AnswerReferral(c) => rules.answer_referral(c),
            C::SubmitProposal(c) => rules.submit_proposal(c),
            C::DecideProposal(c) => rules.decide_proposal(c),
            C::ReportProgress(c) => rules.report_progress(c),
            C::CompleteProject(c) => rules.complete_project(c),
            C::RecordApprovedNgo(c) => rules.record_approved_ngo(c),
            C::ApproveNgoMember(c) => rules.approve_ngo_member(c),
            C::RevokeNgoMember(c) => rules.revoke_ngo_member(c),
            C::FileSupervisionReport(c) => rules.file_supervision_report(c),
            C::RegisterAgency(c) => rules.register_agency(c),
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
