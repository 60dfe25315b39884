//! NGO members: each NGO's members on a day, approved or revoked, since when and why.

use std::collections::BTreeMap;

use saman_domain::Day;

use super::{Directory, Result, member_changes, ngos, parties_as_of};
use crate::readmodel::answers::{MemberStatus, NgoMembers};
use crate::readmodel::facts::to_i64;
use crate::readmodel::sql::{Session, Store};

/// See [`ReadModels::ngo_members`](crate::readmodel::ReadModels::ngo_members).
pub(in crate::readmodel) async fn ngo_members(
    store: &impl Store,
    generation: u64,
    as_of: Day,
) -> Result<Vec<NgoMembers>> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.read().await?;
    let ngo_rows = ngos(&mut db, g).await?;
    let changes = member_changes(&mut db, g, as_of).await?;
    db.commit().await?;

    // Each NGO's changes are in its stream's order: the last one decides.
    let mut members: BTreeMap<&str, BTreeMap<&str, MemberStatus>> = BTreeMap::new();
    for c in &changes {
        let of_ngo = members.entry(c.ngo.as_str()).or_default();
        match of_ngo.get_mut(c.member.as_str()) {
            Some(m) => {
                m.approved = c.approved;
                m.since = c.changed_day;
                if c.approved {
                    m.full_name.clone_from(&c.full_name);
                    m.revocation_reason.clear();
                } else {
                    m.revocation_reason.clone_from(&c.reason);
                }
            }
            // Intake approves a member before it can revoke one; a revocation first
            // (from elsewhere) still shows the member, revoked.
            None => {
                of_ngo.insert(
                    c.member.as_str(),
                    MemberStatus {
                        member: c.member.clone(),
                        full_name: c.full_name.clone(),
                        approved: c.approved,
                        since: c.changed_day,
                        first_approved_on: c.changed_day,
                        revocation_reason: c.reason.clone(),
                    },
                );
            }
        }
    }
    let directory = Directory::new(&ngo_rows);
    Ok(
        parties_as_of(&ngo_rows, changes.iter().map(|c| c.ngo.as_str()), as_of)
            .into_iter()
            .map(|code| NgoMembers {
                ngo: directory.named(code),
                members: members
                    .remove(code)
                    .map(|m| m.into_values().collect())
                    .unwrap_or_default(),
            })
            .collect(),
    )
}
