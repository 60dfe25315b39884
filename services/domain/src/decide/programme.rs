//! The programme's dates (stream `programme.khorramabad`).

use super::guards::{programme_office, shown};
use super::{Outcome, Rules};
use crate::error::DomainError;
use crate::event::{Event, ProgrammeDates};

impl Rules<'_> {
    pub(super) fn set_programme_dates(
        &self,
        dates: &ProgrammeDates,
    ) -> Result<Outcome, DomainError> {
        programme_office(&self.meta.actor, "set the programme's dates")?;
        check_dates(dates)?;
        Ok(Outcome::one(
            Event::ProgrammeDatesSet(dates.clone()),
            "khorramabad",
        ))
    }
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
