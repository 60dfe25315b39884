//! Cooperation: the referrals of needs to each agency and how fast it answers them, as of
//! a day.

use saman_domain::Day;
use saman_domain::progress;

use super::{Directory, Result, agencies, count, parties_as_of};
use crate::readmodel::answers::AgencyCooperation;
use crate::readmodel::facts::{ReferralRow, to_i64};
use crate::readmodel::sql::{Session, Store};
use crate::readmodel::table::select;

pub(in crate::readmodel) async fn cooperation(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<Vec<AgencyCooperation>> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.read().await?;
    let agencies = agencies(&mut db, g).await?;
    let referrals: Vec<ReferralRow> = select(
        &mut db,
        "WHERE generation = $1 AND referred_day <= $2 \
         ORDER BY agency, referred_at_us, referral_id",
        &[g.into(), as_of.iso().into()],
    )
    .await?;
    db.commit().await?;

    let directory = Directory::new(&agencies);
    let codes = parties_as_of(
        &agencies,
        referrals.iter().map(|r| r.agency.as_str()),
        as_of,
    );
    Ok(codes
        .into_iter()
        .map(|code| {
            let referrals: Vec<_> = referrals.iter().filter(|r| r.agency == code).collect();
            let answered: Vec<_> = referrals
                .iter()
                .filter_map(|r| r.answer().filter(|a| a.day <= as_of).map(|a| (r, a)))
                .collect();
            let waits: Vec<i64> = answered
                .iter()
                .map(|(r, a)| r.referred_day.days_until(a.day))
                .collect();
            let open: Vec<i64> = referrals
                .iter()
                .filter(|r| r.answer().is_none_or(|a| a.day > as_of))
                .map(|r| r.referred_day.days_until(as_of))
                .collect();
            AgencyCooperation {
                code: code.to_owned(),
                name: directory.names(code),
                referrals: count(referrals.len()),
                open: count(open.len()),
                answered: count(answered.len()),
                accepted: count(answered.iter().filter(|(_, a)| a.accepted).count()),
                median_days_to_answer: progress::median(&waits).map(progress::round1),
                worst_days_to_answer: progress::worst(&waits).map(|d| d as f64),
                oldest_open_days: progress::worst(&open).map(|d| d as f64),
            }
        })
        .collect())
}
