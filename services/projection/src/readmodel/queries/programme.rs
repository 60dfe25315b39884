//! The programme as of a day: its zones added up.

use saman_domain::Day;
use saman_domain::progress::{self, ProgressDates, TrackStatus, ZoneFigures};

use super::budgets::budget;
use super::zones::{
    activity_totals, dates_of, open_referrals, projects as projects_of, registered, snapshot,
};
use super::{Result, count, days_i32};
use crate::readmodel::answers::ProgrammeSummary;
use crate::readmodel::facts::Status;
use crate::readmodel::facts::to_i64;
use crate::readmodel::sql::{Session, Store};

/// See [`ReadModels::programme_dates`](crate::readmodel::ReadModels::programme_dates).
pub(in crate::readmodel) async fn programme_dates(
    store: &impl Store,
    generation: u64,
) -> Result<Option<ProgressDates>> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.read().await?;
    let row = super::programme(&mut db, g).await?;
    db.commit().await?;
    Ok(dates_of(row.as_ref()))
}

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
    let budgets: Vec<_> = zones.iter().map(budget).collect();
    let (activities, participants) = activity_totals(&s, "");
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
        approved_budget_rials: budgets.iter().map(|b| b.approved_budget_rials).sum(),
        infrastructural_budget_rials: budgets.iter().map(|b| b.infrastructural_budget_rials).sum(),
        social_budget_rials: budgets.iter().map(|b| b.social_budget_rials).sum(),
        households_affected: budgets.iter().map(|b| b.households_affected).sum(),
        pending_proposals: count(
            zones
                .iter()
                .flat_map(|v| &v.proposals)
                .filter(|(_, status)| *status == Status::Pending)
                .count(),
        ),
        overdue_projects: count(
            zones
                .iter()
                .flat_map(|v| projects_of(v, as_of))
                .filter(|p| p.overdue)
                .count(),
        ),
        open_referrals: open_referrals(&s, "", as_of),
        late_needs: count(
            zones
                .iter()
                .flat_map(|v| &v.needs)
                .filter(|n| n.late)
                .count(),
        ),
        late_proposals: count(
            zones
                .iter()
                .flat_map(|v| &v.proposals)
                .filter(|(p, _)| p.late)
                .count(),
        ),
        activities,
        participants,
    })
}
