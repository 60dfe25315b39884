//! The proposals of a zone and, once approved, their projects.

use saman_contract::PublishedEvent;
use saman_domain::Day;
use saman_domain::event::{AsText, ProgressReported, ProposalSubmitted};
use saman_domain::values::{Text, ZoneCode};

use super::applier::{Applied, Applier, Meta, Refused, in_zone};
use super::lookup::insert_new;
use crate::readmodel::facts::{
    Decision, ProgressRow, ProposalGoalRow, ProposalNeedRow, ProposalRow, Status,
};
use crate::readmodel::sentences;

impl Applier {
    /// A proposal's or project's event (of its zone's stream).
    pub(super) fn proposal_stream(&mut self, meta: &Meta<'_>, event: &PublishedEvent) -> Applied {
        use PublishedEvent as E;
        match event {
            E::ProposalSubmitted(e) => self.proposal_submitted(meta, e),
            E::ProposalApproved(e) => {
                self.proposal_decided(meta, &e.zone, &e.proposal, Status::Approved, &e.reason)
            }
            E::ProposalRejected(e) => {
                self.proposal_decided(meta, &e.zone, &e.proposal, Status::Rejected, &e.reason)
            }
            E::ProgressReported(ProgressReported {
                proposal,
                zone,
                percent,
                as_of,
                correction,
                ..
            }) => {
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
                    correction: correction.to_string(),
                });
                let what =
                    sentences::progress_reported(&meta.who, percent, correction, &title, *as_of);
                self.timeline(meta, zone, what);
                Ok(())
            }
            E::ProjectCompleted(e) => {
                self.project_completed(meta, &e.zone, &e.proposal, e.completed_on)
            }
            _ => unreachable!("proposal_stream of another event"),
        }
    }

    fn proposal_submitted(&mut self, meta: &Meta<'_>, e: &ProposalSubmitted<AsText>) -> Applied {
        self.zone_event(meta, &e.zone)?;
        let mut need_ids: Vec<&String> = e.needs.iter().collect();
        need_ids.sort_unstable();
        need_ids.dedup();
        for need in &need_ids {
            self.need_in_zone(need, &e.zone)?;
        }
        let budget_rials = e.budget.get();
        if i64::try_from(budget_rials).is_err() {
            return Err(format!("budget {budget_rials} rials is out of range"));
        }
        let proposal = ProposalRow {
            proposal_id: e.proposal.clone(),
            zone: e.zone.to_string(),
            agency: e.agency.to_string(),
            approach: e.approach,
            title: e.title.to_string(),
            budget_rials,
            planned_start: e.planned_start,
            planned_end: e.planned_end,
            late: e.late,
            submitted_at_us: meta.occurred_at_us,
            submitted_day: meta.day,
            stream_version: meta.published.version,
            status: Status::Pending,
            decided_day: None,
            decided_version: None,
            completed_on: None,
            decision_reason: String::new(),
        };
        insert_new(&mut self.known.proposals, &e.proposal, proposal, || {
            format!("proposal {} is already submitted", e.proposal)
        })?;
        self.changes.proposals.insert(e.proposal.clone());
        self.changes
            .proposal_needs
            .extend(need_ids.into_iter().map(|need| ProposalNeedRow {
                proposal_id: e.proposal.clone(),
                need_id: need.clone(),
                zone: e.zone.to_string(),
            }));
        self.changes
            .proposal_goals
            .extend(
                e.goals
                    .iter()
                    .zip(0..)
                    .map(|(goal, ordinal)| ProposalGoalRow {
                        proposal_id: e.proposal.clone(),
                        goal_code: goal.to_string(),
                        ordinal,
                        zone: e.zone.to_string(),
                    }),
            );
        let what = sentences::proposal_submitted(
            &meta.who,
            &e.title,
            e.approach,
            budget_rials,
            e.needs.len(),
            e.late,
        );
        self.timeline(meta, &e.zone, what);
        Ok(())
    }

    fn proposal_in_zone(
        &self,
        proposal_id: &str,
        zone: &ZoneCode,
    ) -> Result<&ProposalRow, Refused> {
        let found = self.known.proposals.get(proposal_id);
        in_zone(found, "proposal", proposal_id, zone, "submitted", |p| {
            &p.zone
        })
    }

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
    ) -> Applied {
        self.zone_event(meta, zone)?;
        let proposal = self.proposal_in_zone(proposal_id, zone)?;
        if let Some(decision) = proposal.decision() {
            return Err(format!(
                "proposal {proposal_id} is already {}",
                decision.status.as_str()
            ));
        }
        let title = proposal.title.clone();
        if let Some(p) = self.known.proposals.get_mut(proposal_id) {
            p.decide(
                Decision {
                    status,
                    day: meta.day,
                    stream_version: meta.published.version,
                },
                reason.as_str(),
            );
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

    fn project_completed(
        &mut self,
        meta: &Meta<'_>,
        zone: &ZoneCode,
        proposal_id: &str,
        completed_on: Day,
    ) -> Applied {
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
}
