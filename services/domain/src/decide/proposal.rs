//! Proposals the agencies submit in a zone, the county supervisor's decision, and the
//! projects approved proposals become: their progress and completion (streams
//! `zone.<code>`).

use jiff::Timestamp;

use super::guards::{county_supervisor, of_the_officers_agency, shown};
use super::{Outcome, Rules};
use crate::calendar::Day;
use crate::command::{CompleteProject, DecideProposal, Decision, ReportProgress, SubmitProposal};
use crate::error::DomainError;
use crate::event::{
    Event, ProgressReported, ProjectCompleted, ProposalApproved, ProposalRejected,
    ProposalSubmitted,
};
use crate::values::{AgencyCode, Approach, GoalCode, Percent, ProposalId, Text, ZoneCode};
use crate::world::{Proposal, ProposalStatus, Zone};

impl Rules<'_> {
    /// `plan` is the planned start and end.
    pub(super) fn submit_proposal(&self, c: &SubmitProposal) -> Result<Outcome, DomainError> {
        let meta = self.meta;
        let agency = self.world.officer_agency(&meta.actor)?;
        let found = self.world.zone_named(&c.zone, "zone")?;
        let dates = self.world.dates()?;
        if c.needs.is_empty() {
            return Err(DomainError::invalid(
                "need_ids",
                "a proposal answers at least one declared need",
            ));
        }
        for (i, need) in c.needs.iter().enumerate() {
            if !found.needs.contains(need) {
                return Err(self
                    .world
                    .missing_need(&c.zone, need, &format!("need_ids[{i}]")));
            }
            if c.needs[..i].contains(need) {
                return Err(DomainError::invalid(
                    format!("need_ids[{i}]"),
                    format!("need {need} is named twice"),
                ));
            }
        }
        check_plan(c.planned_start, c.planned_end)?;
        check_goals(found, c.approach, &c.goals)?;
        // Judged on the receipt time unless the claimed time is vouched for.
        let late = meta.judged_at() > dates.proposals_deadline.end_in_tehran();
        let event = Event::ProposalSubmitted(ProposalSubmitted {
            proposal: ProposalId(meta.submission.0),
            zone: c.zone.clone(),
            agency: agency.clone(),
            needs: c.needs.clone(),
            approach: c.approach,
            title: c.title.clone(),
            budget: c.budget,
            planned_start: c.planned_start,
            planned_end: c.planned_end,
            late,
            goals: c.goals.clone(),
        });
        Ok(Outcome {
            events: vec![event],
            entity_id: self.created(),
            late,
        })
    }

    pub(super) fn decide_proposal(&self, c: &DecideProposal) -> Result<Outcome, DomainError> {
        let proposal = &c.proposal;
        county_supervisor(&self.meta.actor, "decide a proposal")?;
        let found = self.world.zone_named(&c.zone, "zone")?;
        let state = proposal_in(found, proposal)?;
        if state.status != ProposalStatus::Pending {
            let was = if state.status == ProposalStatus::Approved {
                "approved"
            } else {
                "rejected"
            };
            return Err(DomainError::rule(
                "proposal_id",
                format!("proposal {proposal} was already {was}; a proposal is decided once"),
            ));
        }
        let event = match &c.decision {
            Decision::Approve { reason } => Event::ProposalApproved(ProposalApproved {
                proposal: c.proposal,
                zone: c.zone.clone(),
                reason: reason.clone(),
            }),
            Decision::Reject { reason } => {
                if reason.is_empty() {
                    return Err(DomainError::invalid("reason", "a rejection needs a reason"));
                }
                Event::ProposalRejected(ProposalRejected {
                    proposal: c.proposal,
                    zone: c.zone.clone(),
                    reason: reason.clone(),
                })
            }
        };
        Ok(Outcome::one(event, proposal))
    }

    /// The acting officer's running project `proposal` in `zone`, and the day of an act
    /// on it (`field`; by default the day it is reported, in Tehran), checked to fall
    /// within the project.
    fn dated_on_running_project(
        &self,
        zone: &ZoneCode,
        proposal: &ProposalId,
        day: Option<Day>,
        field: &str,
    ) -> Result<(&Proposal, Day), DomainError> {
        let meta = self.meta;
        let agency = self.world.officer_agency(&meta.actor)?;
        let found = self.world.zone_named(zone, "zone")?;
        let state = running_project(found, proposal, agency)?;
        let day = day.unwrap_or_else(|| Day::in_tehran(meta.judged_at()));
        check_dated_within_project(state, day, meta.judged_at(), field)?;
        Ok((state, day))
    }

    pub(super) fn report_progress(&self, c: &ReportProgress) -> Result<Outcome, DomainError> {
        let (state, as_of) =
            self.dated_on_running_project(&c.zone, &c.proposal, c.as_of, "as_of")?;
        if let Some((last, _)) = state.last_progress
            && c.percent < last
            && c.correction.is_empty()
        {
            return Err(DomainError::rule(
                "percent",
                format!(
                    "{}% is lower than the last report ({}%); progress only goes back \
                     as a correction: say why in `correction`",
                    c.percent.get(),
                    last.get()
                ),
            ));
        }
        let event = Event::ProgressReported(ProgressReported {
            proposal: c.proposal,
            zone: c.zone.clone(),
            percent: c.percent,
            note: c.note.clone(),
            as_of,
            correction: c.correction.clone(),
        });
        Ok(Outcome::one(event, c.proposal))
    }

    pub(super) fn complete_project(&self, c: &CompleteProject) -> Result<Outcome, DomainError> {
        let (state, completed_on) =
            self.dated_on_running_project(&c.zone, &c.proposal, c.completed_on, "completed_on")?;
        let mut events = Vec::with_capacity(2);
        // A completed project is at 100%: record it, so progress read models need no
        // special case for completion.
        if state.last_progress.map(|(p, _)| p) != Some(Percent::FULL) {
            events.push(Event::ProgressReported(ProgressReported {
                proposal: c.proposal,
                zone: c.zone.clone(),
                percent: Percent::FULL,
                note: c.note.clone(),
                as_of: completed_on,
                correction: Text::stored(""),
            }));
        }
        events.push(Event::ProjectCompleted(ProjectCompleted {
            proposal: c.proposal,
            zone: c.zone.clone(),
            completed_on,
            note: c.note.clone(),
        }));
        Ok(Outcome {
            events,
            entity_id: c.proposal.to_string(),
            late: false,
        })
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

/// The goals a proposal names as served (none: every goal of its approach) are goals of
/// its zone and of its approach, each named once.
fn check_goals(zone: &Zone, approach: Approach, goals: &[GoalCode]) -> Result<(), DomainError> {
    for (i, code) in goals.iter().enumerate() {
        let field = format!("goal_codes[{i}]");
        if goals[..i].contains(code) {
            return Err(DomainError::invalid(
                field,
                format!("goal {code} is named twice"),
            ));
        }
        match zone.goals.iter().find(|goal| goal.code == *code) {
            None => {
                return Err(DomainError::rule(
                    field,
                    format!("the zone has no goal {code}"),
                ));
            }
            Some(goal) if goal.approach != approach => {
                return Err(DomainError::rule(
                    field,
                    format!(
                        "goal {code} is {}; a {} proposal serves the goals of its approach",
                        goal.approach.name_en(),
                        approach.name_en()
                    ),
                ));
            }
            Some(_) => {}
        }
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
    of_the_officers_agency(
        &format!("proposal {proposal} belongs to"),
        &state.agency,
        agency,
    )?;
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
