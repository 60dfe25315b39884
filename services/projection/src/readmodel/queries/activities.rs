//! Social activities: those reported by a day, per zone and per NGO (how many, how many
//! participants), and each one.

use std::collections::BTreeMap;

use saman_domain::Day;

use super::{Directory, Members, Result, member_changes, ngos, parties_as_of, zones};
use crate::readmodel::answers::{Activities, Activity, ActivityCount};
use crate::readmodel::facts::{ActivityRow, PartyRow, to_i64};
use crate::readmodel::sql::{Session, Store};
use crate::readmodel::table::select;

/// See [`ReadModels::activities`](crate::readmodel::ReadModels::activities).
pub(in crate::readmodel) async fn activities(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<Activities> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.read().await?;
    let zone_rows = zones(&mut db, g).await?;
    let ngo_rows = ngos(&mut db, g).await?;
    let changes = member_changes(&mut db, g, as_of).await?;
    let rows: Vec<ActivityRow> = select(
        &mut db,
        "WHERE generation = $1 AND reported_day <= $2 ORDER BY held_on, zone, activity_id",
        &[g.into(), as_of.iso().into()],
    )
    .await?;
    db.commit().await?;

    let members = Members::new(&changes);
    let (zone_names, ngo_names) = (Directory::new(&zone_rows), Directory::new(&ngo_rows));
    let per = |parties: &[PartyRow], key: fn(&ActivityRow) -> &str| {
        let mut sums: BTreeMap<&str, (u32, u64)> = BTreeMap::new();
        for a in &rows {
            let sum = sums.entry(key(a)).or_default();
            sum.0 = sum.0.saturating_add(1);
            sum.1 += u64::from(a.participants);
        }
        let directory = Directory::new(parties);
        parties_as_of(parties, rows.iter().map(key), as_of)
            .into_iter()
            .map(|code| {
                let (activities, participants) = sums.get(code).copied().unwrap_or_default();
                ActivityCount {
                    of: directory.named(code),
                    activities,
                    participants,
                }
            })
            .collect::<Vec<_>>()
    };
    Ok(Activities {
        by_zone: per(&zone_rows, |a| &a.zone),
        by_ngo: per(&ngo_rows, |a| &a.ngo),
        activities: rows
            .iter()
            .map(|a| Activity {
                activity_id: a.activity_id.clone(),
                zone: zone_names.named(&a.zone),
                ngo: ngo_names.named(&a.ngo),
                member: members.named(&a.ngo, &a.member),
                title: a.title.clone(),
                participants: a.participants,
                held_on: a.held_on,
                reported_on: a.reported_day,
            })
            .collect(),
    })
}
