//! The parked messages of a generation: what could not be applied, and why.

use crate::readmodel::answers::ParkedEvent;

use super::Result;
use crate::readmodel::apply::micros_to_timestamp;
use crate::readmodel::facts::{ParkKind, to_i64, to_u64};
use crate::readmodel::sql::{Session, Store};

#[derive(sqlx::FromRow)]
struct ParkedRecord {
    position: i64,
    subject: String,
    event_id: String,
    reason: String,
    parked_at_us: i64,
    kind: String,
}

/// The parked messages of a generation, by position.
pub(in crate::readmodel) async fn parked(
    store: &impl Store,
    generation: u64,
) -> Result<Vec<ParkedEvent>> {
    let mut db = store.connect().await?;
    let records: Vec<ParkedRecord> = db
        .fetch_all(
            "SELECT position, subject, event_id, reason, parked_at_us, kind FROM parked \
             WHERE generation = $1 ORDER BY position"
                .into(),
            &[to_i64(generation, "generation")?.into()],
        )
        .await?;
    records
        .into_iter()
        .map(|r| {
            Ok(ParkedEvent {
                position: to_u64(r.position, "position")?,
                kind: ParkKind::parse(&r.kind)?,
                parked_at: micros_to_timestamp(r.parked_at_us),
                subject: r.subject,
                event_id: r.event_id,
                reason: r.reason,
            })
        })
        .collect()
}
