//! The read models' queries, one module per read model, each reading its facts from one
//! snapshot and returning plain results (domain types: days, approaches, track
//! statuses; no protobuf: the edges build their replies from these, see `crate::reply`).
//! No `reflects` either: what a reply reflects is the edge's to say.
//!
//! As of a day D (the rules of `saman_domain::progress`):
//! - a zone, NGO or agency is listed once registered (or approved) on or before D;
//! - a need counts once declared (its `occurred_at`, in Tehran) on or before D;
//! - a proposal counts once submitted on or before D, and is pending until the day it is
//!   approved or rejected;
//! - a need is unanswered while no proposal submitted by D and not rejected by D lists
//!   it (a rejected proposal answers nothing);
//! - a project is an approved proposal; its percent follows `progress::project_progress`;
//! - a referral is open until the day it is answered.

pub(super) mod activities;
pub(super) mod budgets;
pub(super) mod compliance;
pub(super) mod cooperation;
pub(super) mod corrections;
pub(super) mod decisions;
pub(super) mod late;
pub(super) mod members;
pub(super) mod overdue;
pub(super) mod parked;
pub(super) mod programme;
pub(super) mod referrals;
pub(super) mod series;
pub(super) mod supervision;
pub(super) mod timeline;
pub(super) mod zones;

use crate::readmodel::answers::{Named, Names};
use std::collections::{BTreeSet, HashMap};

use saman_domain::Day;

use super::ReadModelError;
use super::facts::{MemberChangeRow, PartyRow, ProgrammeRow, parse_day};
use super::sql::{Session, Sql};
use super::table::select;

type Result<T, E = ReadModelError> = std::result::Result<T, E>;

impl Names {
    fn new(fa: &str, en: &str) -> Self {
        Names {
            fa: fa.to_owned(),
            en: en.to_owned(),
        }
    }
}

/// A count up to `u32::MAX`.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Days counted up from the day they start (none before it).
fn days_u32(days: i64) -> u32 {
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

fn days_i32(days: i64) -> i32 {
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

/// The programme's dates, if set.
async fn programme(db: &mut impl Session, g: i64) -> Result<Option<ProgrammeRow>> {
    let rows = select(db, "WHERE generation = $1", &[g.into()]).await?;
    Ok(rows.into_iter().next())
}

/// The NGOs (`since` their approval), by code.
async fn ngos(db: &mut impl Session, g: i64) -> Result<Vec<PartyRow>> {
    parties(db, g, "ngos", "approved_day").await
}

/// The zones (`since` their registration), by code.
async fn zones(db: &mut impl Session, g: i64) -> Result<Vec<PartyRow>> {
    parties(db, g, "zones", "registered_day").await
}

/// The agencies (`since` their registration), by code.
async fn agencies(db: &mut impl Session, g: i64) -> Result<Vec<PartyRow>> {
    parties(db, g, "agencies", "registered_day").await
}

/// The NGOs or agencies of `table`, by code, `since` the day its `since` column holds.
async fn parties(
    db: &mut impl Session,
    g: i64,
    table: &'static str,
    since: &'static str,
) -> Result<Vec<PartyRow>> {
    let rows: Vec<(String, String, String, String)> = db
        .fetch_all(
            Sql::Assembled(format!(
                "SELECT code, name_fa, name_en, {since} FROM {table} \
                 WHERE generation = $1 ORDER BY code"
            )),
            &[g.into()],
        )
        .await?;
    rows.into_iter()
        .map(|(code, name_fa, name_en, since)| {
            Ok(PartyRow {
                since: parse_day(&since)?,
                code,
                name_fa,
                name_en,
            })
        })
        .collect()
}

/// Names of NGOs or agencies by code; a code without a registration shows as itself.
struct Directory<'a>(HashMap<&'a str, &'a PartyRow>);

impl<'a> Directory<'a> {
    fn new(parties: &'a [PartyRow]) -> Self {
        Directory(parties.iter().map(|p| (p.code.as_str(), p)).collect())
    }

    fn names(&self, code: &str) -> Names {
        match self.0.get(code) {
            Some(p) => Names::new(&p.name_fa, &p.name_en),
            None => Names::new(code, code),
        }
    }

    fn named(&self, code: &str) -> Named {
        Named {
            code: code.to_owned(),
            name: self.names(code),
        }
    }
}

/// The members' approvals and revocations made by the day, by NGO in its stream's order.
async fn member_changes(db: &mut impl Session, g: i64, as_of: Day) -> Result<Vec<MemberChangeRow>> {
    select(
        db,
        "WHERE generation = $1 AND changed_day <= $2 ORDER BY ngo, stream_version",
        &[g.into(), as_of.iso().into()],
    )
    .await
}

/// Members' names by (NGO, member): the full name of each one's latest approval (a
/// member never approved shows as its code, in both languages: a member's name is
/// one, as the NGO wrote it).
struct Members<'a>(HashMap<(&'a str, &'a str), &'a str>);

impl<'a> Members<'a> {
    fn new(changes: &'a [MemberChangeRow]) -> Self {
        Members(
            changes
                .iter()
                .filter(|c| c.approved)
                .map(|c| ((c.ngo.as_str(), c.member.as_str()), c.full_name.as_str()))
                .collect(),
        )
    }

    fn named(&self, ngo: &str, member: &str) -> Named {
        let name = self.0.get(&(ngo, member)).copied().unwrap_or(member);
        Named {
            code: member.to_owned(),
            name: Names::new(name, name),
        }
    }
}

/// Every party registered by the day, and any other code that has counts.
fn parties_as_of<'a>(
    parties: &'a [PartyRow],
    with_facts: impl Iterator<Item = &'a str>,
    as_of: Day,
) -> BTreeSet<&'a str> {
    parties
        .iter()
        .filter(|p| p.since <= as_of)
        .map(|p| p.code.as_str())
        .chain(with_facts)
        .collect()
}
