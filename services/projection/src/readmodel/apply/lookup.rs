//! What a batch refers to, loaded before it applies: the facts its events name
//! ([`Wanted`] -> [`Known`]), and what was applied or parked before (redeliveries,
//! duplicates, conflicts).

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};

use saman_contract::PublishedEvent;
use saman_domain::Actor;
use saman_domain::StreamId;
use saman_domain::event::{
    NeedDeclared, NeedReferred, ProgressReported, ProjectCompleted, ProposalApproved,
    ProposalRejected, ProposalSubmitted, ReferralAnswered, SocialActivityReported,
    SupervisionReportFiled, ZoneRegistered,
};
use saman_domain::values::ZoneCode;

use super::Published;
use super::applier::Refused;
use crate::readmodel::ReadModelError;
use crate::readmodel::facts::{ProposalRow, ReferralRow, to_u64};
use crate::readmodel::sentences::NameBook;
use crate::readmodel::sql::{Param, Session};
use crate::readmodel::table::select_in;

type Result<T, E = ReadModelError> = std::result::Result<T, E>;

/// What a batch refers to, to load before applying it.
#[derive(Debug, Default)]
pub(super) struct Wanted {
    pub zones: BTreeSet<String>,
    pub needs: BTreeSet<String>,
    pub proposals: BTreeSet<String>,
    pub referrals: BTreeSet<String>,
    /// NGOs and agencies whose names the batch's sentences show (with an NGO, its
    /// members' names).
    pub ngos: BTreeSet<String>,
    pub agencies: BTreeSet<String>,
}

impl Wanted {
    pub fn add(&mut self, published: &Published) {
        use PublishedEvent as E;
        let zone = |w: &mut Wanted, z: &ZoneCode| {
            w.zones.insert(z.to_string());
        };
        match &published.event {
            Some(E::ZoneRegistered(ZoneRegistered { code, .. })) => zone(self, code),
            Some(E::NeedDeclared(NeedDeclared { need, zone: z, .. })) => {
                zone(self, z);
                self.needs.insert(need.clone());
            }
            Some(E::NeedReferred(NeedReferred {
                referral,
                zone: z,
                need,
                ..
            })) => {
                zone(self, z);
                self.needs.insert(need.clone());
                self.referrals.insert(referral.clone());
            }
            Some(E::ReferralAnswered(ReferralAnswered {
                referral, zone: z, ..
            })) => {
                zone(self, z);
                self.referrals.insert(referral.clone());
            }
            Some(E::SocialActivityReported(SocialActivityReported { zone: z, .. })) => {
                zone(self, z)
            }
            Some(E::ProposalSubmitted(ProposalSubmitted {
                proposal,
                zone: z,
                needs,
                ..
            })) => {
                zone(self, z);
                self.proposals.insert(proposal.clone());
                self.needs.extend(needs.iter().cloned());
            }
            Some(
                E::ProposalApproved(ProposalApproved {
                    proposal, zone: z, ..
                })
                | E::ProposalRejected(ProposalRejected {
                    proposal, zone: z, ..
                })
                | E::ProgressReported(ProgressReported {
                    proposal, zone: z, ..
                })
                | E::ProjectCompleted(ProjectCompleted {
                    proposal, zone: z, ..
                }),
            ) => {
                zone(self, z);
                self.proposals.insert(proposal.clone());
            }
            Some(
                E::ProgrammeDatesSet(_)
                | E::AgencyRegistered(_)
                | E::NgoApproved(_)
                | E::NgoMemberApproved(_)
                | E::NgoMemberRevoked(_)
                | E::SupervisionReportFiled(_),
            )
            | None => {}
        }
        match &published.actor {
            Some(Actor::NgoMember { ngo, .. }) => {
                self.ngos.insert(ngo.to_string());
            }
            Some(Actor::AgencyOfficer { agency, .. }) => {
                self.agencies.insert(agency.to_string());
            }
            _ => {}
        }
        match &published.event {
            Some(E::NeedReferred(NeedReferred { agency, .. })) => {
                self.agencies.insert(agency.to_string());
            }
            Some(E::SupervisionReportFiled(SupervisionReportFiled { ngo, .. })) => {
                self.ngos.insert(ngo.to_string());
            }
            _ => {}
        }
        // An event of a type this version does not know still goes on its zone's
        // timeline if its stream is a zone's.
        if let StreamId::Zone(z) = &published.stream {
            zone(self, z);
        }
    }
}

/// A need as far as applying needs it.
#[derive(Debug, Clone)]
pub(super) struct NeedRef {
    pub zone: String,
    pub title: String,
}

/// The facts already stored that a batch refers to; grows as the batch applies.
#[derive(Debug, Default)]
pub(super) struct Known {
    pub zones: HashSet<String>,
    pub needs: HashMap<String, NeedRef>,
    pub proposals: HashMap<String, ProposalRow>,
    pub referrals: HashMap<String, ReferralRow>,
    pub names: NameBook,
}

/// Records `row` under `id` in one of [`Known`]'s maps, unless something is there
/// already: then the event is refused for `taken` (a second event creating it).
pub(super) fn insert_new<T>(
    map: &mut HashMap<String, T>,
    id: &str,
    row: T,
    taken: impl FnOnce() -> Refused,
) -> Result<(), Refused> {
    match map.entry(id.to_owned()) {
        Entry::Occupied(_) => Err(taken()),
        Entry::Vacant(slot) => {
            slot.insert(row);
            Ok(())
        }
    }
}

/// What `applied` holds for a (stream, version).
pub(super) struct Applied {
    /// `None` for a row written before event ids were recorded.
    pub event_id: Option<String>,
    pub position: u64,
}

/// Keys as one-column rows of an `IN (VALUES ...)`.
fn one_column<'a>(keys: impl IntoIterator<Item = &'a String>) -> Vec<[Param<'a>; 1]> {
    keys.into_iter().map(|k| [Param::from(k)]).collect()
}

/// Which of `positions` are parked.
pub(super) async fn parked_positions(
    db: &mut impl Session,
    g: i64,
    positions: &[i64],
) -> Result<HashSet<u64>> {
    let keys: Vec<[Param<'_>; 1]> = positions.iter().map(|&p| [Param::from(p)]).collect();
    let rows: Vec<(i64,)> = db
        .fetch_in("SELECT position FROM parked", g, "position", &keys)
        .await?;
    rows.into_iter()
        .map(|(position,)| to_u64(position, "position"))
        .collect()
}

#[derive(sqlx::FromRow)]
struct AppliedRecord {
    stream_id: String,
    stream_version: i64,
    event_id: Option<String>,
    position: i64,
}

/// Which of `keys` were applied (or parked after decoding), with the event id and
/// position of what was.
pub(super) async fn applied_among(
    db: &mut impl Session,
    g: i64,
    keys: &[(&str, i64)],
) -> Result<HashMap<(String, u64), Applied>> {
    let keys: Vec<[Param<'_>; 2]> = keys
        .iter()
        .map(|&(stream, version)| [stream.into(), version.into()])
        .collect();
    let rows: Vec<AppliedRecord> = db
        .fetch_in(
            "SELECT stream_id, stream_version, event_id, position FROM applied",
            g,
            "stream_id, stream_version",
            &keys,
        )
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                (r.stream_id, to_u64(r.stream_version, "stream version")?),
                Applied {
                    event_id: r.event_id,
                    position: to_u64(r.position, "position")?,
                },
            ))
        })
        .collect()
}

/// The facts `wanted` names that are stored (a referral brings its need).
pub(super) async fn load_known(db: &mut impl Session, g: i64, mut wanted: Wanted) -> Result<Known> {
    let mut known = Known::default();
    if !wanted.referrals.is_empty() {
        let referrals: Vec<ReferralRow> =
            select_in(db, g, "referral_id", &one_column(&wanted.referrals)).await?;
        for referral in referrals {
            wanted.needs.insert(referral.need_id.clone());
            known
                .referrals
                .insert(referral.referral_id.clone(), referral);
        }
    }
    if !wanted.needs.is_empty() {
        let rows: Vec<(String, String, String)> = db
            .fetch_in(
                "SELECT need_id, zone, title FROM needs",
                g,
                "need_id",
                &one_column(&wanted.needs),
            )
            .await?;
        for (need_id, zone, title) in rows {
            known.needs.insert(need_id, NeedRef { zone, title });
        }
    }
    if !wanted.proposals.is_empty() {
        let proposals: Vec<ProposalRow> =
            select_in(db, g, "proposal_id", &one_column(&wanted.proposals)).await?;
        for proposal in proposals {
            known
                .proposals
                .insert(proposal.proposal_id.clone(), proposal);
        }
    }
    if !wanted.ngos.is_empty() {
        let keys = one_column(&wanted.ngos);
        let rows: Vec<(String, String, String)> = db
            .fetch_in("SELECT code, name_fa, name_en FROM ngos", g, "code", &keys)
            .await?;
        for (code, fa, en) in rows {
            known.names.ngos.insert(code, (fa, en));
        }
        // Each member's latest approval names it.
        let mut changes: Vec<(String, String, bool, String, i64)> = db
            .fetch_in(
                "SELECT ngo, member, approved, full_name, stream_version FROM member_changes",
                g,
                "ngo",
                &keys,
            )
            .await?;
        changes.sort_by_key(|c| c.4);
        for (ngo, member, approved, full_name, _) in changes {
            if approved {
                known.names.members.insert((ngo, member), full_name);
            }
        }
    }
    if !wanted.agencies.is_empty() {
        let rows: Vec<(String, String, String)> = db
            .fetch_in(
                "SELECT code, name_fa, name_en FROM agencies",
                g,
                "code",
                &one_column(&wanted.agencies),
            )
            .await?;
        for (code, fa, en) in rows {
            known.names.agencies.insert(code, (fa, en));
        }
    }
    if !wanted.zones.is_empty() {
        let rows: Vec<(String,)> = db
            .fetch_in(
                "SELECT code FROM zones",
                g,
                "code",
                &one_column(&wanted.zones),
            )
            .await?;
        known.zones.extend(rows.into_iter().map(|(code,)| code));
    }
    Ok(known)
}
