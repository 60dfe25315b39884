//! Corrections: the progress reports that lowered a project's figure, with the reason
//! given, and the reasons given with rejections, as of a day.

use std::collections::HashMap;

use saman_domain::Day;

use super::{Directory, Result, agencies, zones};
use crate::readmodel::answers::{Correction, Corrections, Rejection};
use crate::readmodel::facts::{ProgressRow, ProposalRow, Status, to_i64};
use crate::readmodel::sql::{Session, Store};
use crate::readmodel::table::select;

/// See [`ReadModels::corrections`](crate::readmodel::ReadModels::corrections).
pub(in crate::readmodel) async fn corrections(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<Corrections> {
    let g = to_i64(generation, "generation")?;
    let by_day = [g.into(), as_of.iso().into()];
    let mut db = store.read().await?;
    let zone_rows = zones(&mut db, g).await?;
    let agency_rows = agencies(&mut db, g).await?;
    let proposals: Vec<ProposalRow> = select(
        &mut db,
        "WHERE generation = $1 AND submitted_day <= $2",
        &by_day,
    )
    .await?;
    // Every report up to the day, in each project's stream order: a correction lowers
    // the one before it.
    let reports: Vec<ProgressRow> = select(
        &mut db,
        "WHERE generation = $1 AND reported_day <= $2 ORDER BY proposal_id, stream_version",
        &by_day,
    )
    .await?;
    db.commit().await?;

    let (zone_names, agency_names) = (Directory::new(&zone_rows), Directory::new(&agency_rows));
    let by_id: HashMap<&str, &ProposalRow> = proposals
        .iter()
        .map(|p| (p.proposal_id.as_str(), p))
        .collect();
    let mut corrections: Vec<(u64, Correction)> = reports
        .windows(2)
        .filter(|w| w[0].proposal_id == w[1].proposal_id && !w[1].correction.is_empty())
        .filter_map(|w| {
            let (before, report) = (&w[0], &w[1]);
            let p = by_id.get(report.proposal_id.as_str())?;
            Some((
                report.stream_version,
                Correction {
                    proposal_id: p.proposal_id.clone(),
                    zone: zone_names.named(&p.zone),
                    title: p.title.clone(),
                    agency: agency_names.named(&p.agency),
                    from_percent: before.percent,
                    to_percent: report.percent,
                    reason: report.correction.clone(),
                    as_of: report.as_of,
                    reported_on: report.reported_day,
                },
            ))
        })
        .collect();
    corrections.sort_by(|(va, a), (vb, b)| {
        (a.reported_on, &a.zone.code, va).cmp(&(b.reported_on, &b.zone.code, vb))
    });
    let mut rejected: Vec<&ProposalRow> = proposals
        .iter()
        .filter(|p| p.status_as_of(as_of) == Status::Rejected)
        .collect();
    rejected.sort_by_key(|p| (p.decided_day, p.zone.clone(), p.decided_version));
    Ok(Corrections {
        corrections: corrections.into_iter().map(|(_, c)| c).collect(),
        rejections: rejected
            .into_iter()
            .filter_map(|p| {
                Some(Rejection {
                    proposal_id: p.proposal_id.clone(),
                    zone: zone_names.named(&p.zone),
                    title: p.title.clone(),
                    agency: agency_names.named(&p.agency),
                    reason: p.decision_reason.clone(),
                    submitted_on: p.submitted_day,
                    rejected_on: p.decided_day?,
                })
            })
            .collect(),
    })
}
