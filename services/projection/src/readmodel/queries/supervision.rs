//! Supervision: the county supervisor's reports on the NGOs, as of a day: per NGO how
//! many, the mean and the latest rating, and each report with its findings.

use saman_domain::Day;
use saman_domain::progress;

use super::{Directory, Result, count, ngos, parties_as_of, zones};
use crate::readmodel::answers::{NgoSupervision, Supervision, SupervisionReport};
use crate::readmodel::facts::{SupervisionRow, to_i64};
use crate::readmodel::sql::{Session, Store};
use crate::readmodel::table::select;

/// See [`ReadModels::supervision`](crate::readmodel::ReadModels::supervision).
pub(in crate::readmodel) async fn supervision(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<Supervision> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.read().await?;
    let zone_rows = zones(&mut db, g).await?;
    let ngo_rows = ngos(&mut db, g).await?;
    // Filed order: by day, and within a day in each NGO's stream order.
    let rows: Vec<SupervisionRow> = select(
        &mut db,
        "WHERE generation = $1 AND filed_day <= $2 \
         ORDER BY filed_day, ngo, stream_version, report_id",
        &[g.into(), as_of.iso().into()],
    )
    .await?;
    db.commit().await?;

    let (zone_names, ngo_names) = (Directory::new(&zone_rows), Directory::new(&ngo_rows));
    let ngos = parties_as_of(&ngo_rows, rows.iter().map(|r| r.ngo.as_str()), as_of)
        .into_iter()
        .map(|code| {
            let of: Vec<&SupervisionRow> = rows.iter().filter(|r| r.ngo == code).collect();
            let ratings: Vec<f64> = of.iter().map(|r| f64::from(r.rating)).collect();
            let latest = of.last();
            NgoSupervision {
                ngo: ngo_names.named(code),
                reports: count(of.len()),
                average_rating: (!ratings.is_empty())
                    .then(|| progress::round1(progress::approach_progress(&ratings))),
                latest_rating: latest.map(|r| r.rating),
                latest_on: latest.map(|r| r.filed_day),
            }
        })
        .collect();
    let reports = rows
        .iter()
        .map(|r| SupervisionReport {
            report_id: r.report_id.clone(),
            ngo: ngo_names.named(&r.ngo),
            zone: (!r.zone.is_empty()).then(|| zone_names.named(&r.zone)),
            rating: r.rating,
            findings: r.findings.clone(),
            filed_on: r.filed_day,
        })
        .collect();
    Ok(Supervision { ngos, reports })
}
