//! The programme's stream (its dates) and the table it writes.

use saman_domain::event::ProgrammeDates;

use super::applier::{Applier, Changes, Meta, Refused};
use crate::readmodel::ReadModelError;
use crate::readmodel::facts::{ProgrammeRow, to_i64};
use crate::readmodel::sql::{Param, Session, Table};

impl Applier {
    pub(super) fn programme_dates_set(
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
}

/// Writes the programme's dates, if a batch set them.
pub(super) async fn write(
    db: &mut impl Session,
    g: i64,
    c: &Changes,
) -> Result<(), ReadModelError> {
    if let Some(programme) = &c.programme {
        db.insert(g, &[programme], "").await?;
    }
    Ok(())
}

impl Table for ProgrammeRow {
    const INSERT: &'static str = "programme (generation, needs_deadline, proposals_deadline, \
         operational_start, goal_date, stream_version)";
    // A later version of the programme's stream wins, in whatever order they arrive.
    const ON_CONFLICT: &'static str = " ON CONFLICT (generation) DO UPDATE SET \
         needs_deadline = excluded.needs_deadline, \
         proposals_deadline = excluded.proposals_deadline, \
         operational_start = excluded.operational_start, \
         goal_date = excluded.goal_date, stream_version = excluded.stream_version \
         WHERE programme.stream_version < excluded.stream_version";

    fn values(&self) -> Result<Vec<Param<'_>>, ReadModelError> {
        Ok(vec![
            self.needs_deadline.iso().into(),
            self.proposals_deadline.iso().into(),
            self.operational_start.iso().into(),
            self.goal_date.iso().into(),
            to_i64(self.stream_version, "stream version")?.into(),
        ])
    }
}
