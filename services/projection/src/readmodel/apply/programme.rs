//! The programme's stream: its dates.

use saman_domain::event::ProgrammeDates;

use super::applier::{Applied, Applier, Meta};
use crate::readmodel::facts::ProgrammeRow;

impl Applier {
    pub(super) fn programme_dates_set(
        &mut self,
        meta: &Meta<'_>,
        dates: &ProgrammeDates,
    ) -> Applied {
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
}
