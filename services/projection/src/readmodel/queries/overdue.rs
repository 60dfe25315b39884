//! Overdue projects: across the programme, the approved projects past their planned end
//! and not completed by the day, the longest overdue first.

use saman_domain::Day;

use super::zones::{projects, registered, snapshot};
use super::{Directory, Result, days_u32};
use crate::readmodel::answers::{Names, OverdueProject};
use crate::readmodel::sql::Store;

/// See [`ReadModels::overdue_projects`](crate::readmodel::ReadModels::overdue_projects).
pub(in crate::readmodel) async fn overdue_projects(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<Vec<OverdueProject>> {
    let s = snapshot(store, generation, "", as_of).await?;
    let agencies = &Directory::new(&s.agencies);
    let mut overdue: Vec<OverdueProject> = registered(&s, as_of)
        .iter()
        .flat_map(|view| {
            let zone_name = Names::new(&view.zone.name_fa, &view.zone.name_en);
            projects(view, as_of)
                .into_iter()
                .filter(|p| p.overdue)
                .map(move |project| OverdueProject {
                    zone: view.zone.code.clone(),
                    zone_name: zone_name.clone(),
                    agency_name: agencies.names(&project.agency),
                    days_overdue: days_u32(project.planned_end.days_until(as_of)),
                    project,
                })
        })
        .collect();
    overdue.sort_by(|a, b| {
        (b.days_overdue, &a.zone, &a.project.proposal_id).cmp(&(
            a.days_overdue,
            &b.zone,
            &b.project.proposal_id,
        ))
    });
    Ok(overdue)
}
