//! Open referrals: the needs that wait on an agency's answer on a day, since when, and
//! how many wait per zone, agency and NGO.

use std::collections::{BTreeMap, HashMap};

use saman_domain::Day;

use super::{
    Directory, Members, Result, agencies, count, days_u32, member_changes, ngos, parties_as_of,
    zones,
};
use crate::readmodel::answers::{OpenCount, OpenReferral, OpenReferrals};
use crate::readmodel::facts::{NeedRow, PartyRow, ReferralRow, to_i64};
use crate::readmodel::sql::{Session, Store};
use crate::readmodel::table::select;

/// See [`ReadModels::open_referrals`](crate::readmodel::ReadModels::open_referrals).
pub(in crate::readmodel) async fn open_referrals(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<OpenReferrals> {
    let g = to_i64(generation, "generation")?;
    let by_day = [g.into(), as_of.iso().into()];
    let mut db = store.read().await?;
    let zone_rows = zones(&mut db, g).await?;
    let agency_rows = agencies(&mut db, g).await?;
    let ngo_rows = ngos(&mut db, g).await?;
    let changes = member_changes(&mut db, g, as_of).await?;
    let referrals: Vec<ReferralRow> = select(
        &mut db,
        "WHERE generation = $1 AND referred_day <= $2 ORDER BY referred_at_us, referral_id",
        &by_day,
    )
    .await?;
    let needs: Vec<NeedRow> = select(
        &mut db,
        "WHERE generation = $1 AND declared_day <= $2",
        &by_day,
    )
    .await?;
    db.commit().await?;

    let titles: HashMap<&str, &str> = needs
        .iter()
        .map(|n| (n.need_id.as_str(), n.title.as_str()))
        .collect();
    let (zone_names, agency_names, ngo_names) = (
        Directory::new(&zone_rows),
        Directory::new(&agency_rows),
        Directory::new(&ngo_rows),
    );
    let members = Members::new(&changes);
    let open: Vec<OpenReferral> = referrals
        .iter()
        .filter(|r| r.answer().is_none_or(|a| a.day > as_of))
        .map(|r| OpenReferral {
            referral_id: r.referral_id.clone(),
            zone: zone_names.named(&r.zone),
            need_id: r.need_id.clone(),
            need_title: titles
                .get(r.need_id.as_str())
                .map_or_else(|| r.need_id.clone(), |t| (*t).to_owned()),
            agency: agency_names.named(&r.agency),
            ngo: ngo_names.named(&r.ngo),
            member: members.named(&r.ngo, &r.member),
            referred_on: r.referred_day,
            days_open: days_u32(r.referred_day.days_until(as_of)),
        })
        .collect();
    let per =
        |rows: &[PartyRow], key: fn(&OpenReferral) -> &str| open_counts(rows, &open, key, as_of);
    Ok(OpenReferrals {
        by_zone: per(&zone_rows, |r| &r.zone.code),
        by_agency: per(&agency_rows, |r| &r.agency.code),
        by_ngo: per(&ngo_rows, |r| &r.ngo.code),
        referrals: open,
    })
}

/// Every party registered by the day (and any other with open referrals), by code.
fn open_counts(
    parties: &[PartyRow],
    open: &[OpenReferral],
    key: fn(&OpenReferral) -> &str,
    as_of: Day,
) -> Vec<OpenCount> {
    let mut waits: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for r in open {
        waits.entry(key(r)).or_default().push(r.days_open);
    }
    let directory = Directory::new(parties);
    parties_as_of(parties, open.iter().map(key), as_of)
        .into_iter()
        .map(|code| {
            let days = waits.get(code).map_or(&[][..], Vec::as_slice);
            OpenCount {
                of: directory.named(code),
                open: count(days.len()),
                oldest_days: days.iter().copied().max().unwrap_or(0),
            }
        })
        .collect()
}
