//! Decision times: how long proposals wait for the county supervisor's decision, and
//! which wait on the day, since when.

use saman_domain::Day;
use saman_domain::progress;

use super::{Directory, Result, agencies, days_u32, zones};
use crate::readmodel::answers::{Decided, DecisionTimes, ProposalWait};
use crate::readmodel::facts::{ProposalRow, Status, to_i64};
use crate::readmodel::sql::{Session, Store};
use crate::readmodel::table::select;

/// See [`ReadModels::decision_times`](crate::readmodel::ReadModels::decision_times).
pub(in crate::readmodel) async fn decision_times(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<DecisionTimes> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.read().await?;
    let zone_rows = zones(&mut db, g).await?;
    let agency_rows = agencies(&mut db, g).await?;
    let proposals: Vec<ProposalRow> = select(
        &mut db,
        "WHERE generation = $1 AND submitted_day <= $2 \
         ORDER BY submitted_at_us, zone, stream_version",
        &[g.into(), as_of.iso().into()],
    )
    .await?;
    db.commit().await?;

    let (zone_names, agency_names) = (Directory::new(&zone_rows), Directory::new(&agency_rows));
    let wait = |p: &ProposalRow| {
        let (decision, decided_on) = match p.status_as_of(as_of) {
            Status::Pending => (Decided::Pending, None),
            Status::Approved => (Decided::Approved, p.decided_day),
            Status::Rejected => (Decided::Rejected, p.decided_day),
        };
        ProposalWait {
            proposal_id: p.proposal_id.clone(),
            zone: zone_names.named(&p.zone),
            title: p.title.clone(),
            agency: agency_names.named(&p.agency),
            approach: p.approach,
            submitted_on: p.submitted_day,
            decision,
            decided_on,
            days: days_u32(p.submitted_day.days_until(decided_on.unwrap_or(as_of))),
        }
    };
    let mut decided: Vec<(&ProposalRow, ProposalWait)> = proposals
        .iter()
        .map(|p| (p, wait(p)))
        .filter(|(_, w)| w.decision != Decided::Pending)
        .collect();
    decided.sort_by_key(|(p, w)| (w.decided_on, p.zone.clone(), p.decided_version));
    let days: Vec<i64> = decided.iter().map(|(_, w)| i64::from(w.days)).collect();
    // Longest waiting first; the SQL's order (submission) breaks ties.
    let mut pending: Vec<ProposalWait> = proposals
        .iter()
        .map(wait)
        .filter(|w| w.decision == Decided::Pending)
        .collect();
    pending.sort_by_key(|w| std::cmp::Reverse(w.days));
    Ok(DecisionTimes {
        median_days: progress::median(&days).map(progress::round1),
        worst_days: progress::worst(&days).map(|d| d as f64),
        decided: decided.into_iter().map(|(_, w)| w).collect(),
        pending,
    })
}
