//! The read models' SQL, written once for both backends.
//!
//! SQLite (3.35+) and PostgreSQL agree on everything used here: `$N` placeholders,
//! multi-row `VALUES`, `INSERT ... ON CONFLICT ... DO UPDATE SET x = excluded.x` (with a
//! `WHERE`), row values (`(a, b) IN (VALUES ...)`), `COALESCE`, `GROUP BY`. Booleans are
//! `boolean` on PostgreSQL and 0/1 integers on SQLite; both read and bind as `bool`, and
//! `WHERE is_current` means the same on both. The few differences (how transactions
//! begin, row locks) live in [`Dialect`].
//!
//! Statements are few and large: SQLite pays a thread hand-off per statement and
//! PostgreSQL a round trip. Applying a batch costs about three reads (checkpoint, dedupe,
//! the facts it refers to) plus one multi-row write per table it touches, whatever its size.

use std::collections::{HashMap, HashSet};

use saman_contract::DecodeError;
use saman_domain::{Day, StreamId};
use saman_proto::projection::v1 as pb;
use sqlx::query_builder::Separated;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool,
    QueryBuilder, Row, Type,
};

use super::apply::{self, Applier, Known, NeedRef, Published, Wanted};
use super::error::FailureKind;
use super::facts::{
    ActorCols, Answer, Decision, GoalRow, NeedRow, ParkKind, ParkedRow, PartyRow, ProgrammeRow,
    ProgressRow, ProposalNeedRow, ProposalRow, ReferralRow, Status, TimelineRow, ZoneRow,
    approach_str, parse_approach, parse_day, safe_event_id, to_i64, to_u32, to_u64,
    valid_stream_id,
};
use super::schema::{Kind, TABLES};
use super::{ApplyReport, Incoming, ReadModelError};

type Result<T, E = ReadModelError> = std::result::Result<T, E>;

/// What differs between the backends beyond the shared SQL.
pub(super) trait Dialect: Database {
    /// The statement opening a write transaction; `None`: the driver's plain `BEGIN`.
    const BEGIN_WRITE: Option<&'static str>;
    /// The statement opening a read transaction that sees one snapshot throughout.
    const BEGIN_READ: Option<&'static str>;
    /// Reads a generation's checkpoint (`$1`) and holds its row until commit, so two
    /// writers of one generation take turns.
    const CHECKPOINT_FOR_UPDATE: &'static str;
}

/// Most bind parameters in one statement: below SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 30_000;

/// What the zone queries read, for one zone or all of them, as of a day.
#[derive(Debug, Default)]
pub(super) struct Snapshot {
    pub programme: Option<ProgrammeRow>,
    pub zones: Vec<ZoneRow>,
    pub goals: Vec<GoalRow>,
    /// Declared on or before the day.
    pub needs: Vec<NeedRow>,
    /// Submitted on or before the day (decisions and completions as stored: judge them
    /// as of the day).
    pub proposals: Vec<ProposalRow>,
    pub proposal_needs: Vec<ProposalNeedRow>,
    /// Reports whose own `as_of` is on or before the day.
    pub progress: Vec<ProgressRow>,
    pub ngos: Vec<PartyRow>,
    pub agencies: Vec<PartyRow>,
}

/// Needs per NGO or proposals per agency, on time and late, as of a day.
#[derive(Debug, Default)]
pub(super) struct ComplianceFacts {
    pub programme: Option<ProgrammeRow>,
    pub ngos: Vec<PartyRow>,
    pub agencies: Vec<PartyRow>,
    /// (ngo, late, count)
    pub needs: Vec<(String, bool, u32)>,
    /// (agency, late, count)
    pub proposals: Vec<(String, bool, u32)>,
}

#[derive(Debug, Default)]
pub(super) struct CooperationFacts {
    pub agencies: Vec<PartyRow>,
    /// Referred on or before the day.
    pub referrals: Vec<ReferralRow>,
}

const ZONE_COLS: &str = "code, name_fa, name_en, registered_at_us, registered_day";
const GOAL_COLS: &str = "zone, code, ordinal, approach, title_fa, title_en, weight";
const NEED_COLS: &str = "need_id, zone, ngo, member, approach, title, households, late, \
     declared_at_us, declared_day, stream_version";
const REFERRAL_COLS: &str = "referral_id, zone, need_id, agency, ngo, member, referred_at_us, \
     referred_day, answered_at_us, answered_day, accepted";
const PROPOSAL_COLS: &str = "proposal_id, zone, agency, approach, title, budget_rials, \
     planned_start, planned_end, late, submitted_at_us, submitted_day, stream_version, status, \
     decided_day, decided_version, completed_on";
const PROGRAMME_COLS: &str =
    "needs_deadline, proposals_deadline, operational_start, goal_date, stream_version";

/// The read models over one backend's pool.
pub(super) struct Engine<DB: Database> {
    pub(super) pool: Pool<DB>,
}

impl<DB: Database> Clone for Engine<DB> {
    fn clone(&self) -> Self {
        Engine {
            pool: self.pool.clone(),
        }
    }
}

impl<DB> Engine<DB>
where
    DB: Dialect,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    usize: ColumnIndex<DB::Row>,
    for<'a> i64: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> bool: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<i64>: Encode<'a, DB>,
    for<'a> Option<bool>: Encode<'a, DB>,
    for<'a> Option<String>: Encode<'a, DB>,
    for<'a> Vec<u8>: Decode<'a, DB> + Type<DB>,
    for<'a> &'a [u8]: Encode<'a, DB> + Type<DB>,
{
    pub(super) fn new(pool: Pool<DB>) -> Self {
        Engine { pool }
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, DB>> {
        Ok(match DB::BEGIN_WRITE {
            Some(begin) => self.pool.begin_with(begin).await?,
            None => self.pool.begin().await?,
        })
    }

    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, DB>> {
        Ok(match DB::BEGIN_READ {
            Some(begin) => self.pool.begin_with(begin).await?,
            None => self.pool.begin().await?,
        })
    }

    // ---- generations -------------------------------------------------------------------

    /// Creates generation 1, current, if there is no generation yet.
    pub(super) async fn init(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query::<DB>(
            "INSERT INTO generations (generation, is_current, position) \
             SELECT 1, $1, 0 WHERE NOT EXISTS (SELECT 1 FROM generations) \
             ON CONFLICT (generation) DO NOTHING",
        )
        .bind(true)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub(super) async fn current_generation(&self) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query::<DB>("SELECT generation FROM generations WHERE is_current")
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| ReadModelError::NotFound {
                what: "current generation",
                id: String::new(),
            })?;
        to_u64(row.try_get(0)?, "generation")
    }

    pub(super) async fn position(&self, generation: u64) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query::<DB>("SELECT position FROM generations WHERE generation = $1")
            .bind(to_i64(generation, "generation")?)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| not_found_generation(generation))?;
        to_u64(row.try_get(0)?, "position")
    }

    pub(super) async fn start_generation(&self) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let max: i64 = sqlx::query::<DB>("SELECT COALESCE(MAX(generation), 0) FROM generations")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        for (table, _) in TABLES {
            let sql = format!(
                "DELETE FROM {table} WHERE generation IN \
                 (SELECT generation FROM generations WHERE NOT is_current)"
            );
            sqlx::query::<DB>(AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query::<DB>("DELETE FROM generations WHERE NOT is_current")
            .execute(&mut *tx)
            .await?;
        let generation = max + 1;
        sqlx::query::<DB>(
            "INSERT INTO generations (generation, is_current, position) VALUES ($1, $2, 0)",
        )
        .bind(generation)
        .bind(false)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        to_u64(generation, "generation")
    }

    pub(super) async fn promote(&self, generation: u64) -> Result<()> {
        let g = to_i64(generation, "generation")?;
        let mut tx = self.begin_write().await?;
        sqlx::query::<DB>(DB::CHECKPOINT_FOR_UPDATE)
            .bind(g)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| not_found_generation(generation))?;
        for (table, _) in TABLES {
            let sql = format!("DELETE FROM {table} WHERE generation <> $1");
            sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(g)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query::<DB>("DELETE FROM generations WHERE generation <> $1")
            .bind(g)
            .execute(&mut *tx)
            .await?;
        sqlx::query::<DB>("UPDATE generations SET is_current = $2 WHERE generation = $1")
            .bind(g)
            .bind(true)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn has_applied(
        &self,
        generation: u64,
        stream_id: &str,
        version: u64,
    ) -> Result<bool> {
        // What no stream can have was never applied (and a NUL character cannot even be
        // sent to PostgreSQL).
        let Ok(version) = to_i64(version, "stream version") else {
            return Ok(false);
        };
        if !valid_stream_id(stream_id) {
            return Ok(false);
        }
        let mut conn = self.pool.acquire().await?;
        let found = sqlx::query::<DB>(
            "SELECT 1 FROM applied \
             WHERE generation = $1 AND stream_id = $2 AND stream_version = $3",
        )
        .bind(to_i64(generation, "generation")?)
        .bind(stream_id)
        .bind(version)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(found.is_some())
    }

    pub(super) async fn parked(&self, generation: u64) -> Result<Vec<pb::ParkedEvent>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query::<DB>(
            "SELECT position, subject, event_id, reason, parked_at_us, kind FROM parked \
             WHERE generation = $1 ORDER BY position",
        )
        .bind(to_i64(generation, "generation")?)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|row| {
                let kind = match ParkKind::parse(&row.try_get::<String, _>(5)?)? {
                    ParkKind::Unreadable => pb::ParkedKind::Unreadable,
                    ParkKind::Refused => pb::ParkedKind::Refused,
                    ParkKind::Conflict => pb::ParkedKind::Conflict,
                    ParkKind::DbRefused => pb::ParkedKind::DbRefused,
                };
                Ok(pb::ParkedEvent {
                    position: to_u64(row.try_get(0)?, "position")?,
                    subject: row.try_get(1)?,
                    event_id: row.try_get(2)?,
                    reason: row.try_get(3)?,
                    parked_at: Some(apply::timestamp(row.try_get(4)?)),
                    kind: kind as i32,
                })
            })
            .collect()
    }

    pub(super) async fn dump(&self, generation: u64) -> Result<String> {
        let mut tx = self.begin_read().await?;
        let mut lines = Vec::new();
        for (table, columns) in TABLES {
            let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
            let sql = format!(
                "SELECT {} FROM {table} WHERE generation = $1",
                names.join(", ")
            );
            let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(to_i64(generation, "generation")?)
                .fetch_all(&mut *tx)
                .await?;
            for row in rows {
                let mut line = format!("{table}:");
                for (i, (name, kind)) in columns.iter().enumerate() {
                    let value = match kind {
                        Kind::Text => row
                            .try_get::<Option<String>, _>(i)?
                            .map(|s| format!("{s:?}")),
                        Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(|v| v.to_string()),
                        Kind::Bool => row.try_get::<Option<bool>, _>(i)?.map(|v| v.to_string()),
                        Kind::Blob => row.try_get::<Option<Vec<u8>>, _>(i)?.map(|bytes| {
                            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
                        }),
                    };
                    line.push_str(&format!(" {name}={}", value.as_deref().unwrap_or("NULL")));
                }
                lines.push(line);
            }
        }
        tx.rollback().await?;
        lines.sort();
        Ok(lines.iter().map(|line| format!("{line}\n")).collect())
    }

    // ---- apply -------------------------------------------------------------------------

    /// See [`ReadModels::apply`](super::ReadModels::apply).
    ///
    /// The batch goes in one transaction. If the database refuses it for good (a
    /// [`FailureKind::Deterministic`] failure: text PostgreSQL cannot store, a value out
    /// of range, ...), its messages are applied again one at a time, each in its own
    /// transaction and in order, and a message that still fails that way is parked
    /// alone ([`Self::park_refused`]): one bad message never holds up the feed. A
    /// transient failure (the connection, a timeout, a deadlock, ...) is returned, for
    /// the feed to retry the batch.
    pub(super) async fn apply(&self, generation: u64, batch: &[Incoming]) -> Result<ApplyReport> {
        let err = match self.apply_together(generation, batch).await {
            Err(err) if blames_the_messages(&err) => err,
            other => return other,
        };
        if let [message] = batch {
            tracing::warn!(position = message.position, error = %err, "the read models' database refused an event; parking it");
            return self.park_refused(generation, message, &err).await;
        }
        tracing::warn!(
            events = batch.len(),
            error = %err,
            "the read models' database refused a batch; applying its events one at a time"
        );
        let mut report = ApplyReport::default();
        for message in batch {
            let one = match self
                .apply_together(generation, std::slice::from_ref(message))
                .await
            {
                Ok(one) => one,
                Err(err) if blames_the_messages(&err) => {
                    tracing::warn!(position = message.position, error = %err, "the read models' database refused an event; parking it");
                    self.park_refused(generation, message, &err).await?
                }
                Err(err) => return Err(err),
            };
            report.absorb(one);
        }
        Ok(report)
    }

    /// Parks `message`, which the database refused for good (`err`), alone in a
    /// transaction that writes only what cannot fail the same way: its parked row (with
    /// text made safe, see [`safe_text`](super::facts::safe_text)), its `applied` key if
    /// its envelope has a valid stream id and version (so a copy is a duplicate and a
    /// read-your-writes wait ends), and the checkpoint.
    async fn park_refused(
        &self,
        generation: u64,
        message: &Incoming,
        err: &ReadModelError,
    ) -> Result<ApplyReport> {
        let g = to_i64(generation, "generation")?;
        let position = to_i64(message.position, "position")?;
        let mut tx = self.begin_write().await?;
        let checkpoint = self.checkpoint(&mut tx, generation).await?;
        let (event_id, place) = match saman_contract::decode_published(&message.payload) {
            Ok(published) => (
                published.event_id,
                Some((published.stream, published.version)),
            ),
            Err(err) => (err.event_id, err.stream),
        };
        let reason = format!(
            "the read models' database refused to store this event: {}",
            refusal(err)
        );
        let row = apply::parked_row(message, ParkKind::DbRefused, &event_id, &reason, now_us());
        let mut report = ApplyReport::default();
        let parked = Self::insert_parked(&mut tx, g, std::slice::from_ref(&row)).await?;
        report.parked = usize::try_from(parked).unwrap_or(usize::MAX);
        if let Some((stream, version)) = place
            && let Ok(stored_version) = to_i64(version, "stream version")
        {
            let stream_id = stream.to_string();
            sqlx::query::<DB>(
                "INSERT INTO applied (generation, stream_id, stream_version, position, event_id) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (generation, stream_id, stream_version) DO NOTHING",
            )
            .bind(g)
            .bind(stream_id.as_str())
            .bind(stored_version)
            .bind(position)
            .bind(safe_event_id(&event_id))
            .execute(&mut *tx)
            .await?;
            report.applied_versions.push((stream_id, version));
        }
        report.position = checkpoint.max(message.position);
        sqlx::query::<DB>("UPDATE generations SET position = $2 WHERE generation = $1")
            .bind(g)
            .bind(to_i64(report.position, "position")?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// The generation's checkpoint, its row held until commit.
    async fn checkpoint(&self, conn: &mut DB::Connection, generation: u64) -> Result<u64> {
        let checkpoint: i64 = sqlx::query::<DB>(DB::CHECKPOINT_FOR_UPDATE)
            .bind(to_i64(generation, "generation")?)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| not_found_generation(generation))?
            .try_get(0)?;
        to_u64(checkpoint, "position")
    }

    /// The batch and its checkpoint in one transaction.
    async fn apply_together(&self, generation: u64, batch: &[Incoming]) -> Result<ApplyReport> {
        let g = to_i64(generation, "generation")?;
        let mut tx = self.begin_write().await?;
        let checkpoint = self.checkpoint(&mut tx, generation).await?;
        let mut report = ApplyReport {
            position: checkpoint,
            ..ApplyReport::default()
        };
        if batch.is_empty() {
            tx.rollback().await?;
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
        let parked_before = self.parked_positions(&mut tx, g, &old).await?;

        // 2. Decode, with the event contract.
        enum Item<'a> {
            Redelivered,
            /// Not an envelope, or one without a valid stream id or version: parked, and
            /// nothing is recorded.
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
        let mut seen_positions = HashSet::new();
        let items: Vec<Item<'_>> = batch
            .iter()
            .map(|message| {
                if parked_before.contains(&message.position)
                    || !seen_positions.insert(message.position)
                {
                    return Item::Redelivered;
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
            })
            .collect();

        // 3. Duplicates and conflicts: (stream, version) already applied, earlier or
        //    earlier in this batch.
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
        let mut done = self.applied_among(&mut tx, g, &keys).await?;

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
        let known = self.load_known(&mut tx, g, wanted).await?;

        // 5. Apply in order.
        let mut applier = Applier::new(known, now_us());
        for (item, stream_id) in items.iter().zip(stream_ids) {
            match item {
                Item::Redelivered => report.duplicates += 1,
                Item::Unreadable(message, err) => {
                    applier.park(message, ParkKind::Unreadable, &err.event_id, &err.reason);
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
                        // Another event at the same (stream, version): intake never
                        // writes two, so one of them was published by someone else.
                        // Neither is dropped silently: this one is parked, with both ids.
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
        self.write(&mut tx, g, &changes, &applier.known).await?;
        let position = batch
            .iter()
            .map(|m| m.position)
            .max()
            .unwrap_or(0)
            .max(checkpoint);
        sqlx::query::<DB>("UPDATE generations SET position = $2 WHERE generation = $1")
            .bind(g)
            .bind(to_i64(position, "position")?)
            .execute(&mut *tx)
            .await?;
        report.position = position;
        report.zones_changed = changes.zones_changed;
        if changes.all_zones {
            let rows = sqlx::query::<DB>("SELECT code FROM zones WHERE generation = $1")
                .bind(g)
                .fetch_all(&mut *tx)
                .await?;
            for row in rows {
                report.zones_changed.insert(row.try_get(0)?);
            }
        }
        tx.commit().await?;
        Ok(report)
    }

    async fn parked_positions(
        &self,
        conn: &mut DB::Connection,
        g: i64,
        positions: &[i64],
    ) -> Result<HashSet<u64>> {
        let mut found = HashSet::new();
        for chunk in positions.chunks(MAX_PARAMS) {
            let mut query =
                QueryBuilder::<DB>::new("SELECT position FROM parked WHERE generation = ");
            query.push_bind(g).push(" AND position IN (");
            let mut list = query.separated(", ");
            for &p in chunk {
                list.push_bind(p);
            }
            query.push(")");
            for row in query.build().fetch_all(&mut *conn).await? {
                found.insert(to_u64(row.try_get(0)?, "position")?);
            }
        }
        Ok(found)
    }

    /// Which of `keys` were applied (or parked after decoding), with the event id and
    /// position of what was.
    async fn applied_among(
        &self,
        conn: &mut DB::Connection,
        g: i64,
        keys: &[(&str, i64)],
    ) -> Result<HashMap<(String, u64), Applied>> {
        let mut found = HashMap::new();
        for chunk in keys.chunks(MAX_PARAMS / 2) {
            let mut query = QueryBuilder::<DB>::new(
                "SELECT stream_id, stream_version, event_id, position FROM applied \
                 WHERE generation = ",
            );
            query
                .push_bind(g)
                .push(" AND (stream_id, stream_version) IN (");
            query.push_values(chunk, |mut row, (stream, version)| {
                row.push_bind(*stream).push_bind(*version);
            });
            query.push(")");
            for row in query.build().fetch_all(&mut *conn).await? {
                let stream: String = row.try_get(0)?;
                found.insert(
                    (stream, to_u64(row.try_get(1)?, "stream version")?),
                    Applied {
                        event_id: row.try_get(2)?,
                        position: to_u64(row.try_get(3)?, "position")?,
                    },
                );
            }
        }
        Ok(found)
    }

    /// Builds `SELECT <cols> FROM <table> WHERE generation = g AND <key> IN (keys)`.
    async fn select_in(
        conn: &mut DB::Connection,
        select: &str,
        g: i64,
        key: &str,
        keys: &[&str],
    ) -> Result<Vec<DB::Row>> {
        let mut rows = Vec::new();
        for chunk in keys.chunks(MAX_PARAMS) {
            let mut query = QueryBuilder::<DB>::new(select);
            query.push(" WHERE generation = ");
            query.push_bind(g);
            query.push(format_args!(" AND {key} IN ("));
            let mut list = query.separated(", ");
            for &k in chunk {
                list.push_bind(k);
            }
            query.push(")");
            rows.extend(query.build().fetch_all(&mut *conn).await?);
        }
        Ok(rows)
    }

    async fn load_known(
        &self,
        conn: &mut DB::Connection,
        g: i64,
        mut wanted: Wanted,
    ) -> Result<Known> {
        let mut known = Known::default();
        if !wanted.referrals.is_empty() {
            let keys: Vec<&str> = wanted.referrals.iter().map(String::as_str).collect();
            let select = format!("SELECT {REFERRAL_COLS} FROM referrals");
            for row in Self::select_in(conn, &select, g, "referral_id", &keys).await? {
                let referral = Self::referral(&row)?;
                wanted.needs.insert(referral.need_id.clone());
                known
                    .referrals
                    .insert(referral.referral_id.clone(), referral);
            }
        }
        if !wanted.needs.is_empty() {
            let keys: Vec<&str> = wanted.needs.iter().map(String::as_str).collect();
            for row in Self::select_in(
                conn,
                "SELECT need_id, zone, title FROM needs",
                g,
                "need_id",
                &keys,
            )
            .await?
            {
                known.needs.insert(
                    row.try_get(0)?,
                    NeedRef {
                        zone: row.try_get(1)?,
                        title: row.try_get(2)?,
                    },
                );
            }
        }
        if !wanted.proposals.is_empty() {
            let keys: Vec<&str> = wanted.proposals.iter().map(String::as_str).collect();
            let select = format!("SELECT {PROPOSAL_COLS} FROM proposals");
            for row in Self::select_in(conn, &select, g, "proposal_id", &keys).await? {
                let proposal = Self::proposal(&row)?;
                known
                    .proposals
                    .insert(proposal.proposal_id.clone(), proposal);
            }
        }
        if !wanted.zones.is_empty() {
            let keys: Vec<&str> = wanted.zones.iter().map(String::as_str).collect();
            for row in Self::select_in(conn, "SELECT code FROM zones", g, "code", &keys).await? {
                known.zones.insert(row.try_get(0)?);
            }
        }
        Ok(known)
    }

    /// One multi-row statement (per chunk) writing `rows`.
    async fn insert<T>(
        conn: &mut DB::Connection,
        head: &str,
        columns: usize,
        rows: &[T],
        tail: &str,
        mut bind: impl FnMut(&mut Separated<'_, DB, &'static str>, &T) -> Result<()>,
    ) -> Result<()> {
        for chunk in rows.chunks(MAX_PARAMS / columns) {
            let mut query = QueryBuilder::<DB>::new(head);
            query.push(" ");
            // A value that cannot be bound (out of range) fails the statement before it
            // is sent.
            let mut failed = None;
            query.push_values(chunk, |mut row, item| {
                if failed.is_none()
                    && let Err(err) = bind(&mut row, item)
                {
                    failed = Some(err);
                }
            });
            if let Some(err) = failed {
                return Err(err);
            }
            query.push(tail);
            query.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn write(
        &self,
        conn: &mut DB::Connection,
        g: i64,
        c: &apply::Changes,
        known: &Known,
    ) -> Result<()> {
        if let Some(p) = &c.programme {
            Self::insert(
                conn,
                "INSERT INTO programme (generation, needs_deadline, proposals_deadline, \
                 operational_start, goal_date, stream_version)",
                6,
                std::slice::from_ref(p),
                " ON CONFLICT (generation) DO UPDATE SET \
                 needs_deadline = excluded.needs_deadline, \
                 proposals_deadline = excluded.proposals_deadline, \
                 operational_start = excluded.operational_start, \
                 goal_date = excluded.goal_date, stream_version = excluded.stream_version \
                 WHERE programme.stream_version < excluded.stream_version",
                |b, p| {
                    b.push_bind(g)
                        .push_bind(p.needs_deadline.iso())
                        .push_bind(p.proposals_deadline.iso())
                        .push_bind(p.operational_start.iso())
                        .push_bind(p.goal_date.iso())
                        .push_bind(to_i64(p.stream_version, "stream version")?);
                    Ok(())
                },
            )
            .await?;
        }
        if !c.zones.is_empty() {
            Self::insert(
                conn,
                "INSERT INTO zones (generation, code, name_fa, name_en, registered_at_us, \
                 registered_day)",
                6,
                &c.zones,
                "",
                |b, z| {
                    b.push_bind(g)
                        .push_bind(z.code.as_str())
                        .push_bind(z.name_fa.as_str())
                        .push_bind(z.name_en.as_str())
                        .push_bind(z.registered_at_us)
                        .push_bind(z.registered_day.iso());
                    Ok(())
                },
            )
            .await?;
        }
        if !c.goals.is_empty() {
            Self::insert(
                conn,
                "INSERT INTO goals (generation, zone, code, ordinal, approach, title_fa, \
                 title_en, weight)",
                8,
                &c.goals,
                "",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.zone.as_str())
                        .push_bind(r.code.as_str())
                        .push_bind(i64::from(r.ordinal))
                        .push_bind(approach_str(r.approach))
                        .push_bind(r.title_fa.as_str())
                        .push_bind(r.title_en.as_str())
                        .push_bind(i64::from(r.weight));
                    Ok(())
                },
            )
            .await?;
        }
        if !c.ngos.is_empty() {
            let rows: Vec<_> = c.ngos.values().collect();
            Self::insert(
                conn,
                "INSERT INTO ngos (generation, code, name_fa, name_en, ministry_approval_ref, \
                 approved_day)",
                6,
                &rows,
                " ON CONFLICT (generation, code) DO UPDATE SET name_fa = excluded.name_fa, \
                 name_en = excluded.name_en, \
                 ministry_approval_ref = excluded.ministry_approval_ref, \
                 approved_day = excluded.approved_day",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.party.code.as_str())
                        .push_bind(r.party.name_fa.as_str())
                        .push_bind(r.party.name_en.as_str())
                        .push_bind(r.ministry_approval_ref.as_str())
                        .push_bind(r.party.since.iso());
                    Ok(())
                },
            )
            .await?;
        }
        if !c.agencies.is_empty() {
            let rows: Vec<_> = c.agencies.values().collect();
            Self::insert(
                conn,
                "INSERT INTO agencies (generation, code, name_fa, name_en, registered_day)",
                5,
                &rows,
                " ON CONFLICT (generation, code) DO UPDATE SET name_fa = excluded.name_fa, \
                 name_en = excluded.name_en, registered_day = excluded.registered_day",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.code.as_str())
                        .push_bind(r.name_fa.as_str())
                        .push_bind(r.name_en.as_str())
                        .push_bind(r.since.iso());
                    Ok(())
                },
            )
            .await?;
        }
        if !c.needs.is_empty() {
            Self::insert(
                conn,
                "INSERT INTO needs (generation, need_id, zone, ngo, member, approach, title, \
                 households, late, declared_at_us, declared_day, stream_version)",
                12,
                &c.needs,
                "",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.need_id.as_str())
                        .push_bind(r.zone.as_str())
                        .push_bind(r.ngo.as_str())
                        .push_bind(r.member.as_str())
                        .push_bind(approach_str(r.approach))
                        .push_bind(r.title.as_str())
                        .push_bind(i64::from(r.households))
                        .push_bind(r.late)
                        .push_bind(r.declared_at_us)
                        .push_bind(r.declared_day.iso())
                        .push_bind(to_i64(r.stream_version, "stream version")?);
                    Ok(())
                },
            )
            .await?;
        }
        if !c.referrals.is_empty() {
            let rows: Vec<&ReferralRow> = c
                .referrals
                .iter()
                .filter_map(|id| known.referrals.get(id))
                .collect();
            Self::insert(
                conn,
                "INSERT INTO referrals (generation, referral_id, zone, need_id, agency, ngo, \
                 member, referred_at_us, referred_day, answered_at_us, answered_day, accepted)",
                12,
                &rows,
                " ON CONFLICT (generation, referral_id) DO UPDATE SET \
                 answered_at_us = excluded.answered_at_us, \
                 answered_day = excluded.answered_day, accepted = excluded.accepted",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.referral_id.as_str())
                        .push_bind(r.zone.as_str())
                        .push_bind(r.need_id.as_str())
                        .push_bind(r.agency.as_str())
                        .push_bind(r.ngo.as_str())
                        .push_bind(r.member.as_str())
                        .push_bind(r.referred_at_us)
                        .push_bind(r.referred_day.iso())
                        .push_bind(r.answer.map(|a| a.at_us))
                        .push_bind(r.answer.map(|a| a.day.iso()))
                        .push_bind(r.answer.map(|a| a.accepted));
                    Ok(())
                },
            )
            .await?;
        }
        if !c.activities.is_empty() {
            let rows: Vec<_> = c.activities.values().collect();
            Self::insert(
                conn,
                "INSERT INTO activities (generation, activity_id, zone, ngo, member, title, \
                 participants, held_on, reported_day)",
                9,
                &rows,
                " ON CONFLICT (generation, activity_id) DO NOTHING",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.activity_id.as_str())
                        .push_bind(r.zone.as_str())
                        .push_bind(r.ngo.as_str())
                        .push_bind(r.member.as_str())
                        .push_bind(r.title.as_str())
                        .push_bind(i64::from(r.participants))
                        .push_bind(r.held_on.iso())
                        .push_bind(r.reported_day.iso());
                    Ok(())
                },
            )
            .await?;
        }
        if !c.proposals.is_empty() {
            let rows: Vec<&ProposalRow> = c
                .proposals
                .iter()
                .filter_map(|id| known.proposals.get(id))
                .collect();
            Self::insert(
                conn,
                "INSERT INTO proposals (generation, proposal_id, zone, agency, approach, title, \
                 budget_rials, planned_start, planned_end, late, submitted_at_us, submitted_day, \
                 stream_version, status, decided_day, decided_version, completed_on)",
                17,
                &rows,
                " ON CONFLICT (generation, proposal_id) DO UPDATE SET status = excluded.status, \
                 decided_day = excluded.decided_day, \
                 decided_version = excluded.decided_version, \
                 completed_on = excluded.completed_on",
                |b, r| {
                    let status = r.decision.map_or(Status::Pending, |d| d.status);
                    b.push_bind(g)
                        .push_bind(r.proposal_id.as_str())
                        .push_bind(r.zone.as_str())
                        .push_bind(r.agency.as_str())
                        .push_bind(approach_str(r.approach))
                        .push_bind(r.title.as_str())
                        .push_bind(to_i64(r.budget_rials, "budget")?)
                        .push_bind(r.planned_start.iso())
                        .push_bind(r.planned_end.iso())
                        .push_bind(r.late)
                        .push_bind(r.submitted_at_us)
                        .push_bind(r.submitted_day.iso())
                        .push_bind(to_i64(r.stream_version, "stream version")?)
                        .push_bind(status.as_str())
                        .push_bind(r.decision.map(|d| d.day.iso()))
                        .push_bind(
                            r.decision
                                .map(|d| to_i64(d.stream_version, "decided version"))
                                .transpose()?,
                        )
                        .push_bind(r.completed_on.map(|d| d.iso()));
                    Ok(())
                },
            )
            .await?;
        }
        if !c.proposal_needs.is_empty() {
            Self::insert(
                conn,
                "INSERT INTO proposal_needs (generation, proposal_id, need_id, zone)",
                4,
                &c.proposal_needs,
                " ON CONFLICT (generation, proposal_id, need_id) DO NOTHING",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.proposal_id.as_str())
                        .push_bind(r.need_id.as_str())
                        .push_bind(r.zone.as_str());
                    Ok(())
                },
            )
            .await?;
        }
        if !c.progress.is_empty() {
            Self::insert(
                conn,
                "INSERT INTO progress_reports (generation, proposal_id, stream_version, zone, \
                 percent, as_of, reported_day)",
                7,
                &c.progress,
                "",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.proposal_id.as_str())
                        .push_bind(to_i64(r.stream_version, "stream version")?)
                        .push_bind(r.zone.as_str())
                        .push_bind(i64::from(r.percent))
                        .push_bind(r.as_of.iso())
                        .push_bind(r.reported_day.iso());
                    Ok(())
                },
            )
            .await?;
        }
        if !c.supervision.is_empty() {
            let rows: Vec<_> = c.supervision.values().collect();
            Self::insert(
                conn,
                "INSERT INTO supervision_reports (generation, report_id, ngo, zone, rating, \
                 filed_day)",
                6,
                &rows,
                " ON CONFLICT (generation, report_id) DO NOTHING",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.report_id.as_str())
                        .push_bind(r.ngo.as_str())
                        .push_bind(r.zone.as_str())
                        .push_bind(i64::from(r.rating))
                        .push_bind(r.filed_day.iso());
                    Ok(())
                },
            )
            .await?;
        }
        if !c.timeline.is_empty() {
            Self::insert(
                conn,
                "INSERT INTO timeline (generation, zone, position, event_id, event_type, \
                 stream_version, actor_kind, actor_org, actor_user, who, occurred_at_us, \
                 recorded_at_us, occurred_day, what_en, what_fa)",
                15,
                &c.timeline,
                "",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.zone.as_str())
                        .push_bind(to_i64(r.position, "position")?)
                        .push_bind(r.event_id.as_str())
                        .push_bind(r.event_type.as_str())
                        .push_bind(to_i64(r.stream_version, "stream version")?)
                        .push_bind(r.actor.kind.as_str())
                        .push_bind(r.actor.org.as_str())
                        .push_bind(r.actor.user.as_str())
                        .push_bind(r.who.as_str())
                        .push_bind(r.occurred_at_us)
                        .push_bind(r.recorded_at_us)
                        .push_bind(r.occurred_day.iso())
                        .push_bind(r.what_en.as_str())
                        .push_bind(r.what_fa.as_str());
                    Ok(())
                },
            )
            .await?;
        }
        if !c.applied.is_empty() {
            Self::insert(
                conn,
                "INSERT INTO applied (generation, stream_id, stream_version, position, event_id)",
                5,
                &c.applied,
                "",
                |b, r| {
                    b.push_bind(g)
                        .push_bind(r.stream_id.as_str())
                        .push_bind(to_i64(r.stream_version, "stream version")?)
                        .push_bind(to_i64(r.position, "position")?)
                        .push_bind(r.event_id.as_str());
                    Ok(())
                },
            )
            .await?;
        }
        if !c.parked.is_empty() {
            Self::insert_parked(conn, g, &c.parked).await?;
        }
        Ok(())
    }

    /// Writes parked rows (a position parked before stays as it was); returns how many
    /// were new.
    async fn insert_parked(conn: &mut DB::Connection, g: i64, rows: &[ParkedRow]) -> Result<u64> {
        let mut inserted = 0;
        for chunk in rows.chunks(MAX_PARAMS / 8) {
            let mut failed = None;
            let mut query = QueryBuilder::<DB>::new(
                "INSERT INTO parked (generation, position, kind, subject, event_id, reason, \
                 payload, parked_at_us) ",
            );
            query.push_values(chunk, |mut b, r| match to_i64(r.position, "position") {
                Ok(position) => {
                    b.push_bind(g)
                        .push_bind(position)
                        .push_bind(r.kind.as_str())
                        .push_bind(r.subject.as_str())
                        .push_bind(r.event_id.as_str())
                        .push_bind(r.reason.as_str())
                        .push_bind(r.payload.as_slice())
                        .push_bind(r.parked_at_us);
                }
                Err(err) => failed = Some(err),
            });
            if let Some(err) = failed {
                return Err(err);
            }
            query.push(" ON CONFLICT (generation, position) DO NOTHING RETURNING position");
            inserted += query.build().fetch_all(&mut *conn).await?.len() as u64;
        }
        Ok(inserted)
    }

    // ---- queries -----------------------------------------------------------------------

    /// Whether the zone is registered in the generation (whatever the day).
    pub(super) async fn zone_exists(&self, generation: u64, zone: &str) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        let found = sqlx::query::<DB>("SELECT 1 FROM zones WHERE generation = $1 AND code = $2")
            .bind(to_i64(generation, "generation")?)
            .bind(zone)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(found.is_some())
    }

    /// The facts of one zone (`zone` non-empty) or all zones, as of `as_of`, from one
    /// snapshot.
    pub(super) async fn snapshot(
        &self,
        generation: u64,
        zone: &str,
        as_of: Day,
    ) -> Result<Snapshot> {
        let g = to_i64(generation, "generation")?;
        let day = as_of.iso();
        let mut tx = self.begin_read().await?;
        let mut s = Snapshot {
            programme: Self::programme(&mut tx, g).await?,
            ..Snapshot::default()
        };

        let rows = sqlx::query::<DB>(AssertSqlSafe(format!(
            "SELECT {ZONE_COLS} FROM zones WHERE generation = $1 AND ($2 = '' OR code = $2) \
             ORDER BY code"
        )))
        .bind(g)
        .bind(zone)
        .fetch_all(&mut *tx)
        .await?;
        s.zones = rows.iter().map(Self::zone).collect::<Result<_>>()?;

        let rows = sqlx::query::<DB>(AssertSqlSafe(format!(
            "SELECT {GOAL_COLS} FROM goals WHERE generation = $1 AND ($2 = '' OR zone = $2) \
             ORDER BY zone, ordinal"
        )))
        .bind(g)
        .bind(zone)
        .fetch_all(&mut *tx)
        .await?;
        s.goals = rows.iter().map(Self::goal).collect::<Result<_>>()?;

        let rows = sqlx::query::<DB>(AssertSqlSafe(format!(
            "SELECT {NEED_COLS} FROM needs WHERE generation = $1 AND ($3 = '' OR zone = $3) \
             AND declared_day <= $2 ORDER BY zone, stream_version"
        )))
        .bind(g)
        .bind(day.as_str())
        .bind(zone)
        .fetch_all(&mut *tx)
        .await?;
        s.needs = rows.iter().map(Self::need).collect::<Result<_>>()?;

        let rows = sqlx::query::<DB>(AssertSqlSafe(format!(
            "SELECT {PROPOSAL_COLS} FROM proposals WHERE generation = $1 \
             AND ($3 = '' OR zone = $3) AND submitted_day <= $2 ORDER BY zone, stream_version"
        )))
        .bind(g)
        .bind(day.as_str())
        .bind(zone)
        .fetch_all(&mut *tx)
        .await?;
        s.proposals = rows.iter().map(Self::proposal).collect::<Result<_>>()?;

        let rows = sqlx::query::<DB>(
            "SELECT proposal_id, need_id, zone FROM proposal_needs \
             WHERE generation = $1 AND ($2 = '' OR zone = $2)",
        )
        .bind(g)
        .bind(zone)
        .fetch_all(&mut *tx)
        .await?;
        s.proposal_needs = rows
            .iter()
            .map(|row| {
                Ok(ProposalNeedRow {
                    proposal_id: row.try_get(0)?,
                    need_id: row.try_get(1)?,
                    zone: row.try_get(2)?,
                })
            })
            .collect::<Result<_>>()?;

        let rows = sqlx::query::<DB>(
            "SELECT proposal_id, stream_version, zone, percent, as_of, reported_day \
             FROM progress_reports WHERE generation = $1 AND ($3 = '' OR zone = $3) \
             AND as_of <= $2",
        )
        .bind(g)
        .bind(day.as_str())
        .bind(zone)
        .fetch_all(&mut *tx)
        .await?;
        s.progress = rows
            .iter()
            .map(|row| {
                Ok(ProgressRow {
                    proposal_id: row.try_get(0)?,
                    stream_version: to_u64(row.try_get(1)?, "stream version")?,
                    zone: row.try_get(2)?,
                    percent: to_u32(row.try_get(3)?, "percent")?,
                    as_of: day_at(row, 4)?,
                    reported_day: day_at(row, 5)?,
                })
            })
            .collect::<Result<_>>()?;

        s.ngos = Self::parties(
            &mut tx,
            "SELECT code, name_fa, name_en, approved_day FROM ngos",
            g,
        )
        .await?;
        s.agencies = Self::parties(
            &mut tx,
            "SELECT code, name_fa, name_en, registered_day FROM agencies",
            g,
        )
        .await?;
        tx.rollback().await?;
        Ok(s)
    }

    pub(super) async fn compliance_facts(
        &self,
        generation: u64,
        as_of: Day,
    ) -> Result<ComplianceFacts> {
        let g = to_i64(generation, "generation")?;
        let day = as_of.iso();
        let mut tx = self.begin_read().await?;
        let mut f = ComplianceFacts {
            programme: Self::programme(&mut tx, g).await?,
            ngos: Self::parties(
                &mut tx,
                "SELECT code, name_fa, name_en, approved_day FROM ngos",
                g,
            )
            .await?,
            agencies: Self::parties(
                &mut tx,
                "SELECT code, name_fa, name_en, registered_day FROM agencies",
                g,
            )
            .await?,
            ..ComplianceFacts::default()
        };
        let counts = |rows: Vec<DB::Row>| -> Result<Vec<(String, bool, u32)>> {
            rows.iter()
                .map(|row| {
                    Ok((
                        row.try_get(0)?,
                        row.try_get(1)?,
                        to_u32(row.try_get(2)?, "count")?,
                    ))
                })
                .collect()
        };
        f.needs = counts(
            sqlx::query::<DB>(
                "SELECT ngo, late, COUNT(*) FROM needs \
                 WHERE generation = $1 AND declared_day <= $2 GROUP BY ngo, late",
            )
            .bind(g)
            .bind(day.as_str())
            .fetch_all(&mut *tx)
            .await?,
        )?;
        f.proposals = counts(
            sqlx::query::<DB>(
                "SELECT agency, late, COUNT(*) FROM proposals \
                 WHERE generation = $1 AND submitted_day <= $2 GROUP BY agency, late",
            )
            .bind(g)
            .bind(day.as_str())
            .fetch_all(&mut *tx)
            .await?,
        )?;
        tx.rollback().await?;
        Ok(f)
    }

    pub(super) async fn cooperation_facts(
        &self,
        generation: u64,
        as_of: Day,
    ) -> Result<CooperationFacts> {
        let g = to_i64(generation, "generation")?;
        let mut tx = self.begin_read().await?;
        let agencies = Self::parties(
            &mut tx,
            "SELECT code, name_fa, name_en, registered_day FROM agencies",
            g,
        )
        .await?;
        let rows = sqlx::query::<DB>(AssertSqlSafe(format!(
            "SELECT {REFERRAL_COLS} FROM referrals WHERE generation = $1 AND referred_day <= $2 \
             ORDER BY agency, referred_at_us, referral_id"
        )))
        .bind(g)
        .bind(as_of.iso())
        .fetch_all(&mut *tx)
        .await?;
        let referrals = rows.iter().map(Self::referral).collect::<Result<_>>()?;
        tx.rollback().await?;
        Ok(CooperationFacts {
            agencies,
            referrals,
        })
    }

    /// Timeline entries of a zone after `after_position`, on or before `as_of`, oldest
    /// first, at most `limit`.
    pub(super) async fn timeline(
        &self,
        generation: u64,
        zone: &str,
        as_of: Day,
        after_position: u64,
        limit: u32,
    ) -> Result<Vec<TimelineRow>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query::<DB>(
            "SELECT zone, position, event_id, event_type, stream_version, actor_kind, actor_org, \
             actor_user, who, occurred_at_us, recorded_at_us, occurred_day, what_en, what_fa \
             FROM timeline WHERE generation = $1 AND zone = $2 AND occurred_day <= $3 \
             AND position > $4 ORDER BY position LIMIT $5",
        )
        .bind(to_i64(generation, "generation")?)
        .bind(zone)
        .bind(as_of.iso())
        .bind(to_i64(after_position, "position")?)
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(TimelineRow {
                    zone: row.try_get(0)?,
                    position: to_u64(row.try_get(1)?, "position")?,
                    event_id: row.try_get(2)?,
                    event_type: row.try_get(3)?,
                    stream_version: to_u64(row.try_get(4)?, "stream version")?,
                    actor: ActorCols {
                        kind: row.try_get(5)?,
                        org: row.try_get(6)?,
                        user: row.try_get(7)?,
                    },
                    who: row.try_get(8)?,
                    occurred_at_us: row.try_get(9)?,
                    recorded_at_us: row.try_get(10)?,
                    occurred_day: day_at(row, 11)?,
                    what_en: row.try_get(12)?,
                    what_fa: row.try_get(13)?,
                })
            })
            .collect()
    }

    // ---- rows --------------------------------------------------------------------------

    async fn programme(conn: &mut DB::Connection, g: i64) -> Result<Option<ProgrammeRow>> {
        let row = sqlx::query::<DB>(AssertSqlSafe(format!(
            "SELECT {PROGRAMME_COLS} FROM programme WHERE generation = $1"
        )))
        .bind(g)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|row| {
            Ok(ProgrammeRow {
                needs_deadline: day_at(&row, 0)?,
                proposals_deadline: day_at(&row, 1)?,
                operational_start: day_at(&row, 2)?,
                goal_date: day_at(&row, 3)?,
                stream_version: to_u64(row.try_get(4)?, "stream version")?,
            })
        })
        .transpose()
    }

    async fn parties(
        conn: &mut DB::Connection,
        select: &'static str,
        g: i64,
    ) -> Result<Vec<PartyRow>> {
        let mut query = QueryBuilder::<DB>::new(select);
        query
            .push(" WHERE generation = ")
            .push_bind(g)
            .push(" ORDER BY code");
        let rows = query.build().fetch_all(&mut *conn).await?;
        rows.iter()
            .map(|row| {
                Ok(PartyRow {
                    code: row.try_get(0)?,
                    name_fa: row.try_get(1)?,
                    name_en: row.try_get(2)?,
                    since: day_at(row, 3)?,
                })
            })
            .collect()
    }

    fn zone(row: &DB::Row) -> Result<ZoneRow> {
        Ok(ZoneRow {
            code: row.try_get(0)?,
            name_fa: row.try_get(1)?,
            name_en: row.try_get(2)?,
            registered_at_us: row.try_get(3)?,
            registered_day: day_at(row, 4)?,
        })
    }

    fn goal(row: &DB::Row) -> Result<GoalRow> {
        Ok(GoalRow {
            zone: row.try_get(0)?,
            code: row.try_get(1)?,
            ordinal: to_u32(row.try_get(2)?, "ordinal")?,
            approach: parse_approach(&row.try_get::<String, _>(3)?)?,
            title_fa: row.try_get(4)?,
            title_en: row.try_get(5)?,
            weight: to_u32(row.try_get(6)?, "weight")?,
        })
    }

    fn need(row: &DB::Row) -> Result<NeedRow> {
        Ok(NeedRow {
            need_id: row.try_get(0)?,
            zone: row.try_get(1)?,
            ngo: row.try_get(2)?,
            member: row.try_get(3)?,
            approach: parse_approach(&row.try_get::<String, _>(4)?)?,
            title: row.try_get(5)?,
            households: to_u32(row.try_get(6)?, "households")?,
            late: row.try_get(7)?,
            declared_at_us: row.try_get(8)?,
            declared_day: day_at(row, 9)?,
            stream_version: to_u64(row.try_get(10)?, "stream version")?,
        })
    }

    fn referral(row: &DB::Row) -> Result<ReferralRow> {
        let answered_at: Option<i64> = row.try_get(8)?;
        let answered_day: Option<String> = row.try_get(9)?;
        let accepted: Option<bool> = row.try_get(10)?;
        let answer = match (answered_at, answered_day, accepted) {
            (Some(at_us), Some(day), Some(accepted)) => Some(Answer {
                at_us,
                day: parse_day(&day)?,
                accepted,
            }),
            _ => None,
        };
        Ok(ReferralRow {
            referral_id: row.try_get(0)?,
            zone: row.try_get(1)?,
            need_id: row.try_get(2)?,
            agency: row.try_get(3)?,
            ngo: row.try_get(4)?,
            member: row.try_get(5)?,
            referred_at_us: row.try_get(6)?,
            referred_day: day_at(row, 7)?,
            answer,
        })
    }

    fn proposal(row: &DB::Row) -> Result<ProposalRow> {
        let status = Status::parse(&row.try_get::<String, _>(12)?)?;
        let decided_day: Option<String> = row.try_get(13)?;
        let decided_version: Option<i64> = row.try_get(14)?;
        let decision = match (status, decided_day, decided_version) {
            (Status::Pending, _, _) => None,
            (status, Some(day), Some(version)) => Some(Decision {
                status,
                day: parse_day(&day)?,
                stream_version: to_u64(version, "decided version")?,
            }),
            (status, _, _) => {
                return Err(ReadModelError::Corrupt(format!(
                    "proposal {:?} is {} without a decision day",
                    row.try_get::<String, _>(0)?,
                    status.as_str()
                )));
            }
        };
        let completed_on: Option<String> = row.try_get(15)?;
        Ok(ProposalRow {
            proposal_id: row.try_get(0)?,
            zone: row.try_get(1)?,
            agency: row.try_get(2)?,
            approach: parse_approach(&row.try_get::<String, _>(3)?)?,
            title: row.try_get(4)?,
            budget_rials: to_u64(row.try_get(5)?, "budget")?,
            planned_start: day_at(row, 6)?,
            planned_end: day_at(row, 7)?,
            late: row.try_get(8)?,
            submitted_at_us: row.try_get(9)?,
            submitted_day: day_at(row, 10)?,
            stream_version: to_u64(row.try_get(11)?, "stream version")?,
            decision,
            completed_on: completed_on.as_deref().map(parse_day).transpose()?,
        })
    }
}

fn day_at<R>(row: &R, index: usize) -> Result<Day>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'a> String: Decode<'a, R::Database> + Type<R::Database>,
{
    parse_day(&row.try_get::<String, _>(index)?)
}

/// What `applied` holds for a (stream, version).
struct Applied {
    /// `None` for a row written before event ids were recorded.
    event_id: Option<String>,
    position: u64,
}

/// What the database said, without the layers of error context: "invalid byte sequence
/// for encoding \"UTF8\": 0x00 (SQLSTATE 22021)".
fn refusal(err: &ReadModelError) -> String {
    match err {
        ReadModelError::Database(sqlx::Error::Database(db)) => match db.code() {
            Some(code) if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() => {
                format!("{} (SQLite code {code})", db.message())
            }
            Some(code) => format!("{} (SQLSTATE {code})", db.message()),
            None => db.message().to_owned(),
        },
        ReadModelError::Database(other) => other.to_string(),
        other => other.to_string(),
    }
}

/// Whether a failed apply is the batch's doing: the database refused what the messages
/// carry, for good. Not a generation that does not exist, nor anything a retry may cure.
fn blames_the_messages(err: &ReadModelError) -> bool {
    err.kind() == FailureKind::Deterministic
        && !matches!(
            err,
            ReadModelError::NotFound { .. } | ReadModelError::UnsupportedUrl(_)
        )
}

fn not_found_generation(generation: u64) -> ReadModelError {
    ReadModelError::NotFound {
        what: "generation",
        id: generation.to_string(),
    }
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
