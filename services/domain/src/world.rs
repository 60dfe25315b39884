//! The state of every aggregate, folded from events. `apply` holds no business
//! logic: it only records what happened (the rules are in `decide.rs`), so replaying
//! a history always gives the same state.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use crate::calendar::Day;
use crate::event::{
    AgencyRegistered, Event, Goal, NeedDeclared, NeedReferred, NgoApproved, NgoMemberApproved,
    NgoMemberRevoked, ProgrammeDates, ProgressReported, ProjectCompleted, ProposalApproved,
    ProposalRejected, ProposalSubmitted, ReferralAnswered, ZoneRegistered,
};
use crate::stream::StreamId;
use crate::values::{
    AgencyCode, MemberCode, Names, NeedId, NgoCode, Percent, ProposalId, ReferralId, ZoneCode,
};

/// Every aggregate's state and every stream's version. It is small (10 zones, their
/// needs and proposals, 10 NGOs, 100 members, the agencies), so intake keeps one in
/// memory and folds new events into it instead of re-reading streams.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct World {
    versions: HashMap<StreamId, u64>,
    pub(crate) programme: Option<ProgrammeDates>,
    pub(crate) zones: HashMap<ZoneCode, Zone>,
    pub(crate) ngos: HashMap<NgoCode, Ngo>,
    pub(crate) agencies: HashMap<AgencyCode, Agency>,
    /// Which zone each need belongs to, so a proposal naming another zone's need is
    /// told so rather than "not found".
    pub(crate) need_zones: HashMap<NeedId, ZoneCode>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub name: Names,
    pub goals: Vec<Goal>,
    pub(crate) needs: HashSet<NeedId>,
    pub(crate) referrals: HashMap<ReferralId, Referral>,
    pub(crate) proposals: HashMap<ProposalId, Proposal>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Referral {
    pub(crate) need: NeedId,
    pub(crate) agency: AgencyCode,
    pub(crate) answered: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProposalStatus {
    Pending,
    Approved,
    Rejected,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Proposal {
    pub(crate) agency: AgencyCode,
    pub(crate) status: ProposalStatus,
    pub(crate) last_progress: Option<(Percent, Day)>,
    pub(crate) completed: bool,
    /// The Tehran day the county supervisor approved it: progress and completion are
    /// not dated before it.
    pub(crate) approved_on: Option<Day>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ngo {
    pub name: Names,
    pub(crate) members: HashMap<MemberCode, MemberStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Approved,
    Revoked,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agency {
    pub name: Names,
}

/// An event that does not continue its stream: the cache and the store disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream {stream}: event version {got} does not follow version {current}")]
pub struct StreamGap {
    pub stream: String,
    pub current: u64,
    pub got: u64,
}

impl World {
    pub fn new() -> Self {
        Self::default()
    }

    /// The version of a stream: 0 when it has no events.
    pub fn version(&self, stream: &StreamId) -> u64 {
        self.versions.get(stream).copied().unwrap_or(0)
    }

    pub fn programme(&self) -> Option<&ProgrammeDates> {
        self.programme.as_ref()
    }

    pub fn zone(&self, code: &ZoneCode) -> Option<&Zone> {
        self.zones.get(code)
    }

    pub fn ngo(&self, code: &NgoCode) -> Option<&Ngo> {
        self.ngos.get(code)
    }

    pub fn agency(&self, code: &AgencyCode) -> Option<&Agency> {
        self.agencies.get(code)
    }

    /// Folds one event of `stream` at `version`, judged to have happened at `occurred_at`
    /// (its claimed time when vouched for, else its receipt: [`crate::time`]), into the
    /// state. An event whose version is not the next one is refused (and nothing
    /// changes).
    pub fn apply(
        &mut self,
        stream: &StreamId,
        version: u64,
        occurred_at: Timestamp,
        event: &Event,
    ) -> Result<(), StreamGap> {
        let current = self.version(stream);
        if version != current + 1 {
            return Err(StreamGap {
                stream: stream.to_string(),
                current,
                got: version,
            });
        }
        self.versions.insert(stream.clone(), version);
        self.fold(event, occurred_at);
        Ok(())
    }

    fn fold(&mut self, event: &Event, occurred_at: Timestamp) {
        match event {
            Event::ProgrammeDatesSet(dates) => self.programme = Some(dates.clone()),
            Event::ZoneRegistered(ZoneRegistered { code, name, goals }) => {
                self.zones.insert(
                    code.clone(),
                    Zone {
                        name: name.clone(),
                        goals: goals.clone(),
                        needs: HashSet::new(),
                        referrals: HashMap::new(),
                        proposals: HashMap::new(),
                    },
                );
            }
            Event::AgencyRegistered(AgencyRegistered { code, name }) => {
                self.agencies
                    .insert(code.clone(), Agency { name: name.clone() });
            }
            Event::NgoApproved(NgoApproved { code, name, .. }) => {
                self.ngos.insert(
                    code.clone(),
                    Ngo {
                        name: name.clone(),
                        members: HashMap::new(),
                    },
                );
            }
            Event::NgoMemberApproved(NgoMemberApproved { ngo, member, .. }) => {
                if let Some(ngo) = self.ngos.get_mut(ngo) {
                    ngo.members.insert(member.clone(), MemberStatus::Approved);
                }
            }
            Event::NgoMemberRevoked(NgoMemberRevoked { ngo, member, .. }) => {
                if let Some(ngo) = self.ngos.get_mut(ngo) {
                    ngo.members.insert(member.clone(), MemberStatus::Revoked);
                }
            }
            Event::NeedDeclared(NeedDeclared { need, zone, .. }) => {
                self.need_zones.insert(*need, zone.clone());
                if let Some(zone) = self.zones.get_mut(zone) {
                    zone.needs.insert(*need);
                }
            }
            Event::NeedReferred(NeedReferred {
                referral,
                zone,
                need,
                agency,
                ..
            }) => {
                if let Some(zone) = self.zones.get_mut(zone) {
                    zone.referrals.insert(
                        *referral,
                        Referral {
                            need: *need,
                            agency: agency.clone(),
                            answered: false,
                        },
                    );
                }
            }
            Event::ReferralAnswered(ReferralAnswered { referral, zone, .. }) => {
                if let Some(referral) = self
                    .zones
                    .get_mut(zone)
                    .and_then(|zone| zone.referrals.get_mut(referral))
                {
                    referral.answered = true;
                }
            }
            Event::ProposalSubmitted(ProposalSubmitted {
                proposal,
                zone,
                agency,
                ..
            }) => {
                if let Some(zone) = self.zones.get_mut(zone) {
                    zone.proposals.insert(
                        *proposal,
                        Proposal {
                            agency: agency.clone(),
                            status: ProposalStatus::Pending,
                            last_progress: None,
                            completed: false,
                            approved_on: None,
                        },
                    );
                }
            }
            Event::ProposalApproved(ProposalApproved { proposal, zone, .. }) => {
                if let Some(p) = self.proposal_mut(zone, proposal) {
                    p.status = ProposalStatus::Approved;
                    p.approved_on = Some(Day::in_tehran(occurred_at));
                }
            }
            Event::ProposalRejected(ProposalRejected { proposal, zone, .. }) => {
                if let Some(p) = self.proposal_mut(zone, proposal) {
                    p.status = ProposalStatus::Rejected;
                }
            }
            Event::ProgressReported(ProgressReported {
                proposal,
                zone,
                percent,
                as_of,
                ..
            }) => {
                if let Some(p) = self.proposal_mut(zone, proposal) {
                    p.last_progress = Some((*percent, *as_of));
                }
            }
            Event::ProjectCompleted(ProjectCompleted { proposal, zone, .. }) => {
                if let Some(p) = self.proposal_mut(zone, proposal) {
                    p.completed = true;
                }
            }
            Event::SocialActivityReported(_) | Event::SupervisionReportFiled(_) => {}
        }
    }

    fn proposal_mut(&mut self, zone: &ZoneCode, proposal: &ProposalId) -> Option<&mut Proposal> {
        self.zones
            .get_mut(zone)
            .and_then(|zone| zone.proposals.get_mut(proposal))
    }
}
