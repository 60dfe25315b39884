//! Late items: the needs and proposals submitted after their deadline by a day, and
//! whose they are.

use saman_domain::Day;

use super::{
    Directory, Members, Result, agencies, days_u32, member_changes, ngos, programme, zones,
};
use crate::readmodel::answers::{LateItem, LateItems};
use crate::readmodel::facts::{NeedRow, ProposalRow, to_i64};
use crate::readmodel::sql::{Session, Store};
use crate::readmodel::table::select;

/// See [`ReadModels::late_items`](crate::readmodel::ReadModels::late_items).
pub(in crate::readmodel) async fn late_items(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<LateItems> {
    let g = to_i64(generation, "generation")?;
    let by_day = [g.into(), as_of.iso().into()];
    let mut db = store.read().await?;
    let dates = programme(&mut db, g).await?;
    let zone_rows = zones(&mut db, g).await?;
    let ngo_rows = ngos(&mut db, g).await?;
    let agency_rows = agencies(&mut db, g).await?;
    let changes = member_changes(&mut db, g, as_of).await?;
    let needs: Vec<NeedRow> = select(
        &mut db,
        "WHERE generation = $1 AND declared_day <= $2 AND late \
         ORDER BY ngo, declared_at_us, need_id",
        &by_day,
    )
    .await?;
    let proposals: Vec<ProposalRow> = select(
        &mut db,
        "WHERE generation = $1 AND submitted_day <= $2 AND late \
         ORDER BY agency, submitted_at_us, proposal_id",
        &by_day,
    )
    .await?;
    db.commit().await?;

    let zone_names = Directory::new(&zone_rows);
    let (ngo_names, agency_names) = (Directory::new(&ngo_rows), Directory::new(&agency_rows));
    let members = Members::new(&changes);
    let (needs_deadline, proposals_deadline) = (
        dates.as_ref().map(|d| d.needs_deadline),
        dates.as_ref().map(|d| d.proposals_deadline),
    );
    let late_by = |deadline: Option<Day>, day: Day| {
        deadline.map_or(0, |deadline| days_u32(deadline.days_until(day)))
    };
    Ok(LateItems {
        needs_deadline,
        proposals_deadline,
        needs: needs
            .iter()
            .map(|n| LateItem {
                id: n.need_id.clone(),
                zone: zone_names.named(&n.zone),
                title: n.title.clone(),
                approach: n.approach,
                submitter: ngo_names.named(&n.ngo),
                member: Some(members.named(&n.ngo, &n.member)),
                submitted_on: n.declared_day,
                days_late: late_by(needs_deadline, n.declared_day),
            })
            .collect(),
        proposals: proposals
            .iter()
            .map(|p| LateItem {
                id: p.proposal_id.clone(),
                zone: zone_names.named(&p.zone),
                title: p.title.clone(),
                approach: p.approach,
                submitter: agency_names.named(&p.agency),
                member: None,
                submitted_on: p.submitted_day,
                days_late: late_by(proposals_deadline, p.submitted_day),
            })
            .collect(),
    })
}
