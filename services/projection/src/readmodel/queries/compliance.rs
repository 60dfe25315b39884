//! Compliance: needs per NGO and proposals per agency, on time and late, as of a day.

use saman_domain::Day;

use super::{Directory, Result, agencies, ngos, parties_as_of, programme};
use crate::readmodel::answers::{Compliance, Submitter};
use crate::readmodel::facts::{PartyRow, to_i64, to_u32};
use crate::readmodel::sql::{Session, Sql, Store};

/// Submissions of one party, on time or late.
#[derive(sqlx::FromRow)]
struct Submissions {
    code: String,
    late: bool,
    count: i64,
}

pub(in crate::readmodel) async fn compliance(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<Compliance> {
    let g = to_i64(generation, "generation")?;
    let day = as_of.iso();
    let mut db = store.read().await?;
    let programme = programme(&mut db, g).await?;
    let ngos = ngos(&mut db, g).await?;
    let agencies = agencies(&mut db, g).await?;
    let needs = submissions(&mut db, "needs", "ngo", "declared_day", g, &day).await?;
    let proposals = submissions(&mut db, "proposals", "agency", "submitted_day", g, &day).await?;
    db.commit().await?;
    Ok(Compliance {
        needs_deadline: programme.as_ref().map(|p| p.needs_deadline),
        proposals_deadline: programme.as_ref().map(|p| p.proposals_deadline),
        ngos: submitters(&ngos, &needs, as_of),
        agencies: submitters(&agencies, &proposals, as_of),
    })
}

/// (code, late, count) per party (its `party` column) of what `table` holds, submitted (its
/// `day` column) by the day.
async fn submissions(
    db: &mut impl Session,
    table: &'static str,
    party: &'static str,
    day_column: &'static str,
    g: i64,
    day: &str,
) -> Result<Vec<(String, bool, u32)>> {
    let sql = format!(
        "SELECT {party} AS code, late, COUNT(*) AS count FROM {table} \
         WHERE generation = $1 AND {day_column} <= $2 GROUP BY {party}, late"
    );
    let rows: Vec<Submissions> = db
        .fetch_all(Sql::Assembled(sql), &[g.into(), day.into()])
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.code, r.late, to_u32(r.count, "count")?)))
        .collect()
}

fn submitters(parties: &[PartyRow], rows: &[(String, bool, u32)], as_of: Day) -> Vec<Submitter> {
    let directory = Directory::new(parties);
    parties_as_of(
        parties,
        rows.iter().map(|(code, _, _)| code.as_str()),
        as_of,
    )
    .into_iter()
    .map(|code| {
        let sum = |late: bool| -> u32 {
            rows.iter()
                .filter(|(c, l, _)| c == code && *l == late)
                .map(|(_, _, n)| *n)
                .sum()
        };
        Submitter {
            code: code.to_owned(),
            name: directory.names(code),
            on_time: sum(false),
            late: sum(true),
        }
    })
    .collect()
}
