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
    let d = dates;
    // (field, its day, in order, what is wrong with it, the day it is judged against)
    let orders = [
        (
            "operational_start",
            d.operational_start,
            d.operational_start >= d.needs_deadline,
            "is before the needs deadline",
            d.needs_deadline,
            "",
        ),
        (
            "goal_date",
            d.goal_date,
            d.goal_date > d.operational_start,
            "is not after the operational start",
            d.operational_start,
            "",
        ),
        (
            "proposals_deadline",
            d.proposals_deadline,
            d.proposals_deadline >= d.needs_deadline,
            "is before the needs deadline",
            d.needs_deadline,
            ": proposals answer the declared needs",
        ),
        (
            "proposals_deadline",
            d.proposals_deadline,
            d.proposals_deadline < d.goal_date,
            "is not before the goal date",
            d.goal_date,
            "",
        ),
    ];
    for (field, day, in_order, wrong, other, why) in orders {
        if !in_order {
            return Err(DomainError::invalid(
                field,
                format!("{} {wrong} {}{why}", shown(day), shown(other)),
            ));
        }
    }
    Ok(())
}
