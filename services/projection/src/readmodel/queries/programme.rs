//! The programme as of a day: its zones added up.

use saman_domain::Day;
use saman_domain::progress::{self, TrackStatus, ZoneFigures};

use super::zones::{dates_of, registered, snapshot};
use super::{Result, count, days_i32};
use crate::readmodel::answers::ProgrammeSummary;
use crate::readmodel::sql::Store;

/// See [`ReadModels::programme_summary`](crate::readmodel::ReadModels::programme_summary).
pub(in crate::readmodel) async fn programme_summary(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<ProgrammeSummary> {
    let s = snapshot(store, generation, "", as_of).await?;
    let zones = registered(&s, as_of);
    let mean = |f: fn(&ZoneFigures) -> f64| -> f64 {
        let values: Vec<f64> = zones.iter().map(|v| f(&v.figures)).collect();
        progress::round1(progress::approach_progress(&values))
    };
    let with =
        |status: TrackStatus| count(zones.iter().filter(|v| v.figures.status == status).count());
    let projects = zones.iter().flat_map(|v| v.projects.iter());
    let dates = dates_of(s.programme.as_ref());
    Ok(ProgrammeSummary {
        zones: count(zones.len()),
        needs: count(zones.iter().map(|v| v.needs.len()).sum()),
        proposals: count(zones.iter().map(|v| v.proposals.len()).sum()),
        projects: count(projects.clone().count()),
        completed_projects: count(projects.clone().filter(|(_, pr)| pr.completed).count()),
        infrastructural: mean(|f| f.infrastructural),
        social: mean(|f| f.social),
        overall: mean(|f| f.overall),
        expected: progress::round1(dates.map_or(0.0, |d| {
            progress::expected_percent(d.operational_start, d.goal_date, as_of)
        })),
        zones_on_track: with(TrackStatus::OnTrack),
        zones_at_risk: with(TrackStatus::AtRisk),
        zones_behind: with(TrackStatus::Behind),
        days_left: days_i32(dates.map_or(0, |d| progress::days_left(as_of, d.goal_date))),
        goal_date: s.programme.as_ref().map(|p| p.goal_date),
        approved_budget_rials: projects.map(|(p, _)| p.budget_rials).sum(),
    })
}
