//! A zone's timeline: its stream's events and the supervision reports naming it, one
//! sentence each in English and Persian, a page at a time.

use saman_domain::Day;
use saman_domain::actor::Principal;
use saman_domain::time::Attestation;
use saman_domain::values::{Text, ZoneCode};

use super::Result;
use super::zones::{exists, not_found};
use crate::readmodel::answers::{TimelineEntry, TimelinePage};
use crate::readmodel::apply::micros_to_timestamp;
use crate::readmodel::facts::{TimelineRow, to_i64};
use crate::readmodel::sentences::actor_of;
use crate::readmodel::sql::Store;
use crate::readmodel::table::select;

/// A principal from its columns; `None` when both are empty.
fn principal(issuer: &str, subject: &str) -> Option<Principal> {
    (!issuer.is_empty() || !subject.is_empty()).then(|| Principal {
        issuer: Text::stored(issuer),
        subject: Text::stored(subject),
    })
}

impl From<TimelineRow> for TimelineEntry {
    fn from(row: TimelineRow) -> Self {
        let attestation = actor_of(&row.attester()).map(|attester| Attestation {
            attester,
            principal: principal(&row.attester_issuer, &row.attester_subject),
            reason: Text::stored(&row.attestation_reason),
        });
        TimelineEntry {
            position: row.position,
            actor: actor_of(&row.actor()),
            principal: principal(&row.principal_issuer, &row.principal_subject),
            vouch: row.vouch,
            attestation,
            event_id: row.event_id,
            event_type: row.event_type,
            stream_version: row.stream_version,
            who: row.who,
            occurred_at: micros_to_timestamp(row.occurred_at_us),
            recorded_at: micros_to_timestamp(row.recorded_at_us),
            occurred_on: row.occurred_day,
            what_en: row.what_en,
            what_fa: row.what_fa,
        }
    }
}

/// See [`ReadModels::zone_timeline`](crate::readmodel::ReadModels::zone_timeline).
pub(in crate::readmodel) async fn zone_timeline(
    store: &impl Store,
    generation: u64,
    zone: &ZoneCode,
    as_of: Day,
    page_size: u32,
    after_position: u64,
) -> Result<TimelinePage> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.connect().await?;
    if !exists(&mut db, g, zone).await? {
        return Err(not_found(zone));
    }
    let page_size = page_size.max(1);
    let mut rows: Vec<TimelineRow> = select(
        &mut db,
        "WHERE generation = $1 AND zone = $2 AND occurred_day <= $3 AND position > $4 \
         ORDER BY position LIMIT $5",
        &[
            g.into(),
            zone.as_str().into(),
            as_of.iso().into(),
            to_i64(after_position, "position")?.into(),
            i64::from(page_size.saturating_add(1)).into(),
        ],
    )
    .await?;
    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let next = if more {
        rows.last().map(|r| r.position)
    } else {
        None
    };
    Ok(TimelinePage {
        entries: rows.into_iter().map(TimelineEntry::from).collect(),
        next,
    })
}
