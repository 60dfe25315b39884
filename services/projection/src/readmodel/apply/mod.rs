//! Applying a batch of messages to a generation, with its checkpoint, in one transaction.
//!
//! - this module: the batch's steps (redeliveries, decoding, duplicates and conflicts,
//!   applying in order, writing) and what happens when the database refuses a batch;
//! - [`lookup`]: what a batch refers to, loaded before it applies ([`Wanted`] ->
//!   [`Known`]), and what was applied or parked before;
//! - [`applier`]: turning events into facts, without SQL; the events of each aggregate
//!   are in [`programme`], [`zone`], [`ngo`], [`agency`] and [`proposal`].
//!
//! Applying a batch costs about three reads (checkpoint, dedupe, the facts it refers
//! to) plus one multi-row write per table it touches, whatever its size.

mod agency;
mod applier;
mod lookup;
mod ngo;
mod programme;
mod proposal;
mod zone;

use std::collections::HashSet;

use saman_contract::DecodeError;
use saman_domain::StreamId;

use super::error::{FailureKind, SqlError};
use super::facts::{ParkKind, safe_event_id, to_i64};
use super::generations;
use super::sql::{Session, Store};
use super::table::insert;
use super::{ApplyReport, Incoming, ReadModelError};

use applier::{Applier, Changes, Published};
use lookup::{Applied, Known, Wanted};

pub(super) use applier::{micros_to_timestamp, parked_row};

type Result<T, E = ReadModelError> = std::result::Result<T, E>;

/// See [`ReadModels::apply`](super::ReadModels::apply).
///
/// The batch goes in one transaction. If the database refuses it for good (a
/// [`FailureKind::Deterministic`] failure: text PostgreSQL cannot store, a value out of
/// range, ...), its messages are applied again one at a time, each in its own transaction
/// and in order, and a message that still fails that way is parked alone
/// ([`park_refused`]): one bad message never holds up the feed. A transient failure (the
/// connection, a timeout, a deadlock, ...) is returned, for the feed to retry the batch.
pub(super) async fn apply(
    store: &impl Store,
    generation: u64,
    batch: &[Incoming],
) -> Result<ApplyReport> {
    let err = match apply_together(store, generation, batch).await {
        Err(err) if blames_the_messages(&err) => err,
        other => return other,
    };
    if let [message] = batch {
        tracing::warn!(position = message.position, error = %err, "the read models' database refused an event; parking it");
        return park_refused(store, generation, message, &err).await;
    }
    tracing::warn!(
        events = batch.len(),
        error = %err,
        "the read models' database refused a batch; applying its events one at a time"
    );
    let mut report = ApplyReport::default();
    for message in batch {
        let one = match apply_together(store, generation, std::slice::from_ref(message)).await {
            Ok(one) => one,
            Err(err) if blames_the_messages(&err) => {
                tracing::warn!(position = message.position, error = %err, "the read models' database refused an event; parking it");
                park_refused(store, generation, message, &err).await?
            }
            Err(err) => return Err(err),
        };
        report.absorb(one);
    }
    Ok(report)
}

/// Parks `message`, which the database refused for good (`err`), alone in a transaction
/// that writes only what cannot fail the same way: its parked row (with text made safe,
/// see [`safe_text`](super::facts::safe_text)), its `applied` key if its envelope has a
/// valid stream id and version (so a copy is a duplicate and a read-your-writes wait
/// ends), and the checkpoint.
async fn park_refused(
    store: &impl Store,
    generation: u64,
    message: &Incoming,
    err: &ReadModelError,
) -> Result<ApplyReport> {
    let g = to_i64(generation, "generation")?;
    let position = to_i64(message.position, "position")?;
    let mut db = store.write().await?;
    let checkpoint = generations::checkpoint(&mut db, generation).await?;
    let (event_id, place) = match saman_contract::decode_published(&message.payload) {
        Ok(published) => (
            published.event_id,
            Some((published.stream, published.version)),
        ),
        Err(err) => (err.event_id, err.stream),
    };
    // A message that is not intake's keeps its own kind, and its place stays free.
    let (kind, place) = match &message.unverified {
        Some(why) => (ParkKind::from(why), None),
        None => (ParkKind::DbRefused, place),
    };
    let reason = format!(
        "the read models' database refused to store this event: {}",
        refusal(err)
    );
    let row = parked_row(message, kind, &event_id, &reason, now_us());
    let mut report = ApplyReport::default();
    let parked = applier::insert_parked(&mut db, g, &[&row]).await?;
    report.parked = usize::try_from(parked).unwrap_or(usize::MAX);
    if let Some((stream, version)) = place
        && let Ok(stored_version) = to_i64(version, "stream version")
    {
        let stream_id = stream.to_string();
        db.execute(
            "INSERT INTO applied (generation, stream_id, stream_version, position, event_id) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (generation, stream_id, stream_version) DO NOTHING"
                .into(),
            &[
                g.into(),
                stream_id.as_str().into(),
                stored_version.into(),
                position.into(),
                safe_event_id(&event_id).into(),
            ],
        )
        .await?;
        report.applied_versions.push((stream_id, version));
    }
    report.position = checkpoint.max(message.position);
    generations::move_checkpoint(&mut db, g, report.position).await?;
    db.commit().await?;
    Ok(report)
}

/// A message of the batch, decoded with the event contract.
enum Item<'a> {
    Redelivered,
    /// Not shown to be intake's by its signature: parked, and nothing else is recorded
    /// (not its (stream, version): intake's real event there still applies).
    Unverified(&'a Incoming, &'a saman_contract::Unverified),
    /// Not an envelope, or one without a valid stream id or version: parked, and nothing
    /// is recorded.
    Unreadable(&'a Incoming, DecodeError),
    /// At a (stream, version): an event, or why the rest of it cannot be decoded.
    Placed {
        message: &'a Incoming,
        stream: StreamId,
        version: u64,
        event_id: String,
        decoded: Result<Box<Published>, String>,
    },
}

impl<'a> Item<'a> {
    fn decode(message: &'a Incoming) -> Self {
        if let Some(why) = &message.unverified {
            return Item::Unverified(message, why);
        }
        match saman_contract::decode_published(&message.payload) {
            Ok(published) => Item::Placed {
                message,
                stream: published.stream.clone(),
                version: published.version,
                event_id: published.event_id.clone(),
                decoded: Ok(Box::new(published)),
            },
            Err(DecodeError {
                event_id,
                stream: Some((stream, version)),
                reason,
            }) => Item::Placed {
                message,
                stream,
                version,
                event_id,
                decoded: Err(reason),
            },
            Err(err) => Item::Unreadable(message, err),
        }
    }
}

/// The batch and its checkpoint in one transaction.
async fn apply_together(
    store: &impl Store,
    generation: u64,
    batch: &[Incoming],
) -> Result<ApplyReport> {
    let g = to_i64(generation, "generation")?;
    let mut db = store.write().await?;
    let checkpoint = generations::checkpoint(&mut db, generation).await?;
    let mut report = ApplyReport {
        position: checkpoint,
        ..ApplyReport::default()
    };
    if batch.is_empty() {
        db.commit().await?;
        return Ok(report);
    }

    // 1. Redeliveries. A message at or below the checkpoint was seen before: if it was
    //    parked, its position says so; otherwise its (stream, version) is among the
    //    applied ones (step 3). Recognising it exactly rather than by position alone
    //    means a message the feed somehow skipped is still applied, never lost.
    let old: Vec<i64> = batch
        .iter()
        .filter(|m| m.position <= checkpoint)
        .map(|m| to_i64(m.position, "position"))
        .collect::<Result<_>>()?;
    let parked_before = lookup::parked_positions(&mut db, g, &old).await?;

    // 2. Decode, with the event contract.
    let mut seen_positions = HashSet::new();
    let items: Vec<Item<'_>> = batch
        .iter()
        .map(|message| {
            if parked_before.contains(&message.position) || !seen_positions.insert(message.position)
            {
                Item::Redelivered
            } else {
                Item::decode(message)
            }
        })
        .collect();

    // 3. Duplicates and conflicts: (stream, version) already applied, earlier or earlier
    //    in this batch.
    let stream_ids: Vec<Option<String>> = items
        .iter()
        .map(|item| match item {
            Item::Placed { stream, .. } => Some(stream.to_string()),
            _ => None,
        })
        .collect();
    let keys: Vec<(&str, i64)> = items
        .iter()
        .zip(&stream_ids)
        .filter_map(|(item, stream_id)| match (item, stream_id) {
            (Item::Placed { version, .. }, Some(stream_id)) => Some(
                to_i64(*version, "stream version").map(|version| (stream_id.as_str(), version)),
            ),
            _ => None,
        })
        .collect::<Result<_>>()?;
    let mut done = lookup::applied_among(&mut db, g, &keys).await?;

    // 4. Load what the new events refer to.
    let mut wanted = Wanted::default();
    for (item, stream_id) in items.iter().zip(&stream_ids) {
        if let (
            Item::Placed {
                version,
                decoded: Ok(published),
                ..
            },
            Some(stream_id),
        ) = (item, stream_id)
            && !done.contains_key(&(stream_id.clone(), *version))
        {
            wanted.add(published);
        }
    }
    let known = lookup::load_known(&mut db, g, wanted).await?;

    // 5. Apply in order.
    let mut applier = Applier::new(known, now_us());
    for (item, stream_id) in items.iter().zip(stream_ids) {
        match item {
            Item::Redelivered => report.duplicates += 1,
            Item::Unreadable(message, err) => {
                applier.park(message, ParkKind::Unreadable, &err.event_id, &err.reason);
                report.parked += 1;
            }
            Item::Unverified(message, why) => {
                let (event_id, reason) = unverified(message, why);
                applier.park(message, ParkKind::from(*why), &event_id, &reason);
                report.parked += 1;
            }
            Item::Placed {
                message,
                stream,
                version,
                event_id: raw_event_id,
                decoded,
            } => {
                let key = (stream_id.unwrap_or_default(), *version);
                let event_id = safe_event_id(raw_event_id);
                match done.get(&key) {
                    // Another event at the same (stream, version): intake never writes
                    // two, so one of them was published by someone else. Neither is
                    // dropped silently: this one is parked, with both ids.
                    Some(Applied {
                        event_id: Some(applied_id),
                        position,
                    }) if *applied_id != event_id => {
                        let reason = format!(
                            "conflict: stream {stream} version {version} was already \
                             applied at position {position} as event {applied_id:?}; this \
                             message carries event {event_id:?}"
                        );
                        applier.park(message, ParkKind::Conflict, raw_event_id, &reason);
                        report.parked += 1;
                        report.conflicts += 1;
                    }
                    // The same event again (a copy published at another position), or
                    // one recorded before event ids were: a duplicate.
                    Some(_) => report.duplicates += 1,
                    None => {
                        let outcome = match decoded {
                            Ok(published) => applier
                                .apply(message.position, published)
                                .map_err(|reason| (ParkKind::Refused, reason)),
                            Err(reason) => Err((ParkKind::Unreadable, reason.clone())),
                        };
                        match outcome {
                            Ok(()) => report.applied += 1,
                            Err((kind, reason)) => {
                                applier.park(message, kind, raw_event_id, &reason);
                                report.parked += 1;
                            }
                        }
                        applier.record(stream, *version, raw_event_id, message.position);
                        done.insert(
                            key.clone(),
                            Applied {
                                event_id: Some(event_id),
                                position: message.position,
                            },
                        );
                    }
                }
                report.applied_versions.push(key);
            }
        }
    }

    // 6. Write, and move the checkpoint, in the same transaction.
    let changes = applier.changes;
    write(&mut db, g, &changes, &applier.known).await?;
    let position = batch
        .iter()
        .map(|m| m.position)
        .max()
        .unwrap_or(0)
        .max(checkpoint);
    generations::move_checkpoint(&mut db, g, position).await?;
    report.position = position;
    report.zones_changed = changes.zones_changed;
    if changes.all_zones {
        let codes: Vec<(String,)> = db
            .fetch_all(
                "SELECT code FROM zones WHERE generation = $1".into(),
                &[g.into()],
            )
            .await?;
        report
            .zones_changed
            .extend(codes.into_iter().map(|(code,)| code));
    }
    db.commit().await?;
    Ok(report)
}

/// The event id and the reason of a parked message that is not intake's: what it
/// claims to be, if its envelope says, beside why it is not believed.
fn unverified(message: &Incoming, why: &saman_contract::Unverified) -> (String, String) {
    let claims = match saman_contract::decode_published(&message.payload) {
        Ok(published) => Some((
            published.event_id,
            Some((published.stream, published.version)),
        )),
        Err(err) if !err.event_id.is_empty() || err.stream.is_some() => {
            Some((err.event_id, err.stream))
        }
        Err(_) => None,
    };
    match claims {
        Some((event_id, Some((stream, version)))) => {
            let reason = format!(
                "{why}; not applied (it claims to be event {event_id:?}, stream {stream} \
                 version {version})"
            );
            (event_id, reason)
        }
        Some((event_id, None)) => (event_id, format!("{why}; not applied")),
        None => (String::new(), format!("{why}; not applied")),
    }
}

/// Every row the batch changed, one multi-row statement per table it touches. New or
/// answered referrals and new, decided or completed proposals are written whole (their
/// rows in [`Known`] are up to date); the conflict rule of each table keeps what is
/// written again as it should be.
async fn write(db: &mut impl Session, g: i64, c: &Changes, known: &Known) -> Result<()> {
    insert(db, g, &c.programme).await?;
    insert(db, g, &c.zones).await?;
    insert(db, g, &c.goals).await?;
    insert(db, g, &c.needs).await?;
    let referrals = c.referrals.iter().filter_map(|id| known.referrals.get(id));
    insert(db, g, referrals).await?;
    insert(db, g, c.activities.values()).await?;
    insert(db, g, &c.timeline).await?;
    insert(db, g, c.ngos.values()).await?;
    insert(db, g, c.supervision.values()).await?;
    insert(db, g, &c.members).await?;
    insert(db, g, c.agencies.values()).await?;
    let proposals = c.proposals.iter().filter_map(|id| known.proposals.get(id));
    insert(db, g, proposals).await?;
    insert(db, g, &c.proposal_needs).await?;
    insert(db, g, &c.proposal_goals).await?;
    insert(db, g, &c.progress).await?;
    insert(db, g, &c.applied).await?;
    applier::insert_parked(db, g, &c.parked.iter().collect::<Vec<_>>()).await?;
    Ok(())
}

/// What the database said, without the layers of error context: "invalid byte sequence
/// for encoding \"UTF8\": 0x00 (SQLSTATE 22021)".
fn refusal(err: &ReadModelError) -> String {
    match err {
        ReadModelError::Sql(SqlError::Database(sqlx::Error::Database(db))) => match db.code() {
            Some(code) if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
                format!("{} (SQLite code {code})", db.message())
            }
            Some(code) => format!("{} (SQLSTATE {code})", db.message()),
            None => db.message().to_owned(),
        },
        ReadModelError::Sql(SqlError::Database(other)) => other.to_string(),
        other => other.to_string(),
    }
}

/// Whether a failed apply is the batch's doing: the database refused what the messages
/// carry, for good. Not a generation that does not exist, nor anything a retry may cure.
fn blames_the_messages(err: &ReadModelError) -> bool {
    err.kind() == FailureKind::Deterministic
        && !matches!(
            err,
            ReadModelError::NotFound { .. }
                | ReadModelError::Sql(SqlError::UnsupportedUrl(_) | SqlError::Folder { .. })
        )
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
