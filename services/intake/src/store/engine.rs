//! The store's SQL, written once for both backends.
//!
//! SQLite (3.35+) and PostgreSQL agree on everything used here: `$N` placeholders (sqlx-sqlite
//! binds `$N` by number), multi-row `VALUES`, `ON CONFLICT ... DO NOTHING`, `RETURNING`,
//! `WITH ... UPDATE ... FROM`. The few differences live in [`Dialect`] (how a write transaction
//! begins, row counts, which errors are transient) and in the [`DbUuid`] encoding (text on
//! SQLite, `uuid` on PostgreSQL), so the statements below are the same text on both.
//!
//! Statements are few and large: SQLite pays a thread hand-off per statement and PostgreSQL a
//! round trip, so an append batch costs about nine statements whatever its size.

use std::collections::HashMap;

use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, QueryBuilder, Row, Type,
};
use uuid::Uuid;

use super::plan::{self, Decision};
use super::{Append, AppendOutcome, PriorSubmission, SqlError, StoreError, StoredEvent};

/// What differs between the backends beyond the shared SQL.
pub(super) trait Dialect: Database {
    /// The statement opening a write transaction; `None`: the driver's plain `BEGIN`.
    const BEGIN_WRITE: Option<&'static str>;
    /// Rows changed by an `INSERT`/`UPDATE`/`DELETE`.
    fn rows_affected(result: &Self::QueryResult) -> u64;
    /// Whether an error aborts the transaction for a reason a fresh attempt may not meet
    /// (PostgreSQL: serialization failure, deadlock).
    fn is_transient(error: &sqlx::Error) -> bool;
}

/// A UUID as the backend stores it: hyphenated text on SQLite, `uuid` on PostgreSQL (sqlx's own
/// `uuid` feature is not enabled in this workspace, and would store a blob on SQLite, unreadable
/// in the `sqlite3` shell). Encoding lives in `sqlite.rs` and `postgres.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct DbUuid(pub(super) Uuid);

/// Prepared statements each connection keeps. Multi-row statements have one text per row
/// count (1 .. `--max-batch`) and kind; sqlx's default of 100 made the writer prepare
/// them again batch after batch (on PostgreSQL a round trip each: +20% submissions/s in the
/// intake bench with this).
pub(super) const STATEMENT_CACHE: usize = 1024;

/// Most bind parameters in one statement: below SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 30_000;
/// Attempts of a batch whose transaction lost a race (see [`Engine::append`]) before giving up.
const MAX_ATTEMPTS: u32 = 16;

/// The columns of [`StoredEvent`], in the order [`event_from_row`] reads them, for `events e`.
macro_rules! event_columns {
    () => {
        "e.position, e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version, \
         e.subject, e.submission_id, e.occurred_at_us, e.recorded_at_us, e.payload, e.traceparent"
    };
}

/// The store over one backend's pool.
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
    for<'a> i32: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
    for<'a> String: Decode<'a, DB> + Type<DB>,
    for<'a> &'a str: Encode<'a, DB> + Type<DB>,
    for<'a> Option<&'a str>: Encode<'a, DB>,
    for<'a> Option<String>: Decode<'a, DB>,
    for<'a> Vec<u8>: Decode<'a, DB> + Type<DB>,
    for<'a> &'a [u8]: Encode<'a, DB> + Type<DB>,
    for<'a> DbUuid: Encode<'a, DB> + Decode<'a, DB> + Type<DB>,
{
    pub(super) fn new(pool: Pool<DB>) -> Self {
        Engine { pool }
    }

    pub(super) async fn stream_versions(
        &self,
        stream_ids: &[String],
    ) -> Result<HashMap<String, u64>, StoreError> {
        let ids: Vec<&str> = stream_ids.iter().map(String::as_str).collect();
        let mut conn = self.pool.acquire().await?;
        Self::load_versions(&mut conn, &ids).await
    }

    pub(super) async fn submissions(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, PriorSubmission>, StoreError> {
        let ids: Vec<DbUuid> = ids.iter().copied().map(DbUuid).collect();
        let mut conn = self.pool.acquire().await?;
        Self::load_submissions(&mut conn, &ids).await
    }

    pub(super) async fn read_stream(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        // Versions are stored as i64; anything past i64::MAX has nothing after it.
        let Ok(after_version) = i64::try_from(after_version) else {
            return Ok(Vec::new());
        };
        let query = sqlx::query::<DB>(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events e WHERE e.stream_id = $1 AND e.stream_version > $2 \
             ORDER BY e.stream_version"
        ));
        self.fetch_events(query.bind(stream_id).bind(after_version))
            .await
    }

    pub(super) async fn read_all(
        &self,
        after_position: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let query = sqlx::query::<DB>(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events e WHERE e.position > $1 ORDER BY e.position LIMIT $2"
        ));
        self.fetch_events(query.bind(after_position).bind(sql_limit(limit)))
            .await
    }

    // Why an outbox and no "published up to position N" watermark: PostgreSQL hands out
    // identity values before commit, so they can commit out of order: a reader may see
    // position 11 while position 10 is still in flight, and a watermark at 11 would skip 10
    // forever (Marten's high-water-mark problem). Instead every event gets an outbox row in its
    // own transaction, the relay reads whatever rows are there, oldest first, and deletes a row
    // only after JetStream acknowledged the event: nothing committed is ever skipped. Order
    // within a stream still holds: version v+1 can only be inserted once the transaction that
    // wrote version v committed (it waits on the `streams` row, see `append`), so v+1 got the
    // larger position, and any read that sees v+1 also sees v (or v was already published).
    // Within one batch, a stream's events are inserted in version order by one statement.
    pub(super) async fn outbox_batch(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let query = sqlx::query::<DB>(concat!(
            "SELECT ",
            event_columns!(),
            " FROM outbox o JOIN events e ON e.position = o.position \
             ORDER BY o.position LIMIT $1"
        ));
        self.fetch_events(query.bind(sql_limit(limit))).await
    }

    /// [`Self::outbox_batch`] without the rows of the streams in `skip` (the relay's blocked
    /// streams, a handful): their rows, however many, cannot crowd the others out of the
    /// batch.
    pub(super) async fn outbox_batch_skipping(
        &self,
        limit: usize,
        skip: &[String],
    ) -> Result<Vec<StoredEvent>, StoreError> {
        if skip.is_empty() {
            return self.outbox_batch(limit).await;
        }
        if limit == 0 {
            return Ok(Vec::new());
        }
        if skip.len() >= MAX_PARAMS {
            return Err(StoreError::Corrupt(format!(
                "outbox read skipping {} streams: more than {MAX_PARAMS}",
                skip.len()
            )));
        }
        let mut query = QueryBuilder::<DB>::new(concat!(
            "SELECT ",
            event_columns!(),
            " FROM outbox o JOIN events e ON e.position = o.position WHERE e.stream_id NOT IN ("
        ));
        let mut list = query.separated(", ");
        for id in skip {
            list.push_bind(id.as_str());
        }
        query.push(") ORDER BY o.position LIMIT ");
        query.push_bind(sql_limit(limit));
        self.fetch_events(query.build()).await
    }

    /// The events a query selecting [`event_columns!`] finds, in its order.
    async fn fetch_events(
        &self,
        query: sqlx::query::Query<'_, DB, DB::Arguments>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows = query.fetch_all(&mut *conn).await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The oldest outbox row of each of `streams` that has one (its lowest version: within a
    /// stream, positions follow versions), in position order.
    pub(super) async fn outbox_heads(
        &self,
        streams: &[String],
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut heads = Vec::new();
        if streams.is_empty() {
            return Ok(heads);
        }
        let mut conn = self.pool.acquire().await?;
        for chunk in streams.chunks(MAX_PARAMS) {
            let mut query = QueryBuilder::<DB>::new(concat!(
                "SELECT ",
                event_columns!(),
                " FROM events e WHERE e.position IN (SELECT MIN(o.position) FROM outbox o \
                 JOIN events h ON h.position = o.position WHERE h.stream_id IN ("
            ));
            let mut list = query.separated(", ");
            for id in chunk {
                list.push_bind(id.as_str());
            }
            query.push(") GROUP BY h.stream_id) ORDER BY e.position");
            for row in query.build().fetch_all(&mut *conn).await? {
                heads.push(event_from_row(&row)?);
            }
        }
        heads.sort_by_key(|e| e.position);
        Ok(heads)
    }

    pub(super) async fn outbox_done(&self, positions: &[i64]) -> Result<(), StoreError> {
        if positions.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        for chunk in positions.chunks(MAX_PARAMS) {
            let mut query = QueryBuilder::<DB>::new("DELETE FROM outbox WHERE position IN (");
            let mut list = query.separated(", ");
            for &position in chunk {
                list.push_bind(position);
            }
            query.push(")");
            query.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    pub(super) async fn outbox_len(&self) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let count: i64 = sqlx::query::<DB>("SELECT COUNT(*) FROM outbox")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        to_u64(count, "outbox count")
    }

    /// See [`EventStore::append`](super::EventStore::append).
    ///
    /// One transaction: read the recorded submissions and stream versions of the batch, decide
    /// every append ([`plan::plan`]), then write. The reads alone do not protect against a
    /// concurrent writer on PostgreSQL (READ COMMITTED: another transaction may commit right
    /// after them), so every write that depends on them is conditional and its row count is
    /// checked:
    /// - existing streams move with `UPDATE streams SET version = new WHERE version = old`: a
    ///   concurrent writer of the same stream holds the row lock until it commits, then our
    ///   update matches 0 rows;
    /// - new streams are created with `INSERT ... ON CONFLICT DO NOTHING`: 0 rows if another
    ///   transaction created the stream first;
    /// - submissions likewise, so a submission id raced by two processes is written once.
    ///
    /// A short count means the decisions were made on stale reads: the transaction rolls back
    /// and the whole batch is decided again on fresh reads, where the race winner's writes are
    /// visible (so the loser now gets `Conflict` or `Duplicate`). On SQLite the transaction
    /// starts with `BEGIN IMMEDIATE`, taking the write lock before the reads, so writers queue
    /// (busy timeout) instead of failing when a read transaction upgrades, and the checks
    /// always pass.
    pub(super) async fn append(&self, batch: &[Append]) -> Result<Vec<AppendOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        plan::validate(batch)?;

        let mut submission_ids: Vec<DbUuid> =
            batch.iter().map(|a| DbUuid(a.submission_id)).collect();
        submission_ids.sort_unstable_by_key(|id| id.0);
        submission_ids.dedup();
        let mut stream_ids: Vec<&str> = batch.iter().map(|a| a.stream_id.as_str()).collect();
        stream_ids.sort_unstable();
        stream_ids.dedup();

        let mut attempt = 1;
        loop {
            match self.try_append(batch, &submission_ids, &stream_ids).await {
                Ok(Some(outcomes)) => return Ok(outcomes),
                Ok(None) if attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, "append batch lost a race; deciding it again");
                }
                Err(StoreError::Sql(SqlError::Database(error)))
                    if attempt < MAX_ATTEMPTS && DB::is_transient(&error) =>
                {
                    tracing::debug!(attempt, %error, "append batch hit a transient error; retrying");
                }
                Ok(None) => {
                    return Err(StoreError::from(sqlx::Error::Protocol(format!(
                        "append batch lost the race to concurrent writers {MAX_ATTEMPTS} times"
                    ))));
                }
                Err(error) => return Err(error),
            }
            attempt += 1;
        }
    }

    /// One attempt of [`Self::append`]: `Ok(None)` if a conditional write found the state
    /// changed since the reads (nothing committed).
    async fn try_append(
        &self,
        batch: &[Append],
        submission_ids: &[DbUuid],
        stream_ids: &[&str],
    ) -> Result<Option<Vec<AppendOutcome>>, StoreError> {
        let mut tx = match DB::BEGIN_WRITE {
            Some(begin) => self.pool.begin_with(begin).await?,
            None => self.pool.begin().await?,
        };

        // Streams first, submissions second. On PostgreSQL each statement sees its own snapshot,
        // and a `Conflict` is decided on these reads alone (it writes nothing to check). Read in
        // this order, a `Conflict` is true at the moment of the streams read: versions only
        // grow, and a submission absent at the later read was absent then too. In the other
        // order, a racing replica that committed the same submission between the two reads
        // would make its retry a `Conflict` where it must be a `Duplicate`.
        let versions = Self::load_versions(&mut tx, stream_ids).await?;
        let prior = Self::load_submissions(&mut tx, submission_ids).await?;
        let plan = plan::plan(batch, &prior, &versions);

        // 1. Move the streams, in stream id order (see `Plan::bumps`).
        let bumps = plan
            .bumps
            .iter()
            .map(|bump| {
                let from = to_i64(bump.from, "stream version")?;
                Ok((
                    bump.stream_id.as_str(),
                    from,
                    to_i64(bump.to, "stream version")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let (moved, created): (Vec<_>, Vec<_>) = bumps.iter().partition(|(_, from, _)| *from > 0);
        for chunk in moved.chunks(MAX_PARAMS / 3) {
            let mut query = QueryBuilder::<DB>::new("WITH v (sid, old_version, new_version) AS (");
            query.push_values(chunk, |mut row, (stream_id, from, to)| {
                row.push_bind(*stream_id).push_bind(*from).push_bind(*to);
            });
            query.push(
                ") UPDATE streams SET version = v.new_version FROM v \
                 WHERE streams.stream_id = v.sid AND streams.version = v.old_version",
            );
            let done = query.build().execute(&mut *tx).await?;
            if DB::rows_affected(&done) != chunk.len() as u64 {
                tx.rollback().await?;
                return Ok(None);
            }
        }
        for chunk in created.chunks(MAX_PARAMS / 2) {
            let mut query = QueryBuilder::<DB>::new("INSERT INTO streams (stream_id, version) ");
            query.push_values(chunk, |mut row, (stream_id, _, to)| {
                row.push_bind(*stream_id).push_bind(*to);
            });
            query.push(" ON CONFLICT (stream_id) DO NOTHING");
            let done = query.build().execute(&mut *tx).await?;
            if DB::rows_affected(&done) != chunk.len() as u64 {
                tx.rollback().await?;
                return Ok(None);
            }
        }

        // 2. The submissions written by this batch.
        let appended: Vec<&Append> = batch
            .iter()
            .zip(&plan.decisions)
            .filter(|(_, decision)| **decision == Decision::Append)
            .map(|(append, _)| append)
            .collect();
        let recorded_at_us = now_us();
        for chunk in appended.chunks(MAX_PARAMS / 5) {
            let mut query = QueryBuilder::<DB>::new(
                "INSERT INTO submissions \
                 (submission_id, request_hash, stream_id, reply, recorded_at_us) ",
            );
            query.push_values(chunk, |mut row, append| {
                row.push_bind(DbUuid(append.submission_id))
                    .push_bind(&append.request_hash[..])
                    .push_bind(append.stream_id.as_str())
                    .push_bind(&append.reply[..])
                    .push_bind(recorded_at_us);
            });
            query.push(" ON CONFLICT (submission_id) DO NOTHING");
            let done = query.build().execute(&mut *tx).await?;
            if DB::rows_affected(&done) != chunk.len() as u64 {
                tx.rollback().await?;
                return Ok(None);
            }
        }

        // 3. Their events, in batch order (so in version order within each stream), then the
        //    outbox rows of the positions they got.
        let events: Vec<(&Append, &super::NewEvent)> = appended
            .iter()
            .flat_map(|append| append.events.iter().map(move |event| (*append, event)))
            .collect();
        let versions = events
            .iter()
            .map(|(_, event)| to_i64(event.stream_version, "stream version"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut positions: HashMap<(&str, u64), i64> = HashMap::with_capacity(events.len());
        let rows = MAX_PARAMS / 12;
        for (chunk, versions) in events.chunks(rows).zip(versions.chunks(rows)) {
            let mut query = QueryBuilder::<DB>::new(
                "INSERT INTO events (event_id, stream_id, stream_version, event_type, \
                 schema_version, subject, submission_id, occurred_at_us, recorded_at_us, payload, \
                 traceparent) ",
            );
            query.push_values(
                chunk.iter().zip(versions),
                |mut row, ((append, event), version)| {
                    row.push_bind(DbUuid(event.event_id))
                        .push_bind(append.stream_id.as_str())
                        .push_bind(*version)
                        .push_bind(event.event_type.as_str())
                        .push_bind(as_int_column(event.schema_version))
                        .push_bind(event.subject.as_str())
                        .push_bind(DbUuid(append.submission_id))
                        .push_bind(event.occurred_at_us)
                        .push_bind(event.recorded_at_us)
                        .push_bind(&event.payload[..])
                        .push_bind(event.traceparent.as_deref());
                },
            );
            query.push(" RETURNING position, stream_id, stream_version");
            // RETURNING order is unspecified (SQLite says so): match rows by stream version.
            let inserted: HashMap<(&str, u64), &str> = chunk
                .iter()
                .map(|(a, e)| {
                    (
                        (a.stream_id.as_str(), e.stream_version),
                        a.stream_id.as_str(),
                    )
                })
                .collect();
            for row in query.build().fetch_all(&mut *tx).await? {
                let position: i64 = row.try_get(0)?;
                let stream_id: String = row.try_get(1)?;
                let version = to_u64(row.try_get(2)?, "stream version")?;
                let Some(&stream) = inserted.get(&(stream_id.as_str(), version)) else {
                    return Err(StoreError::Corrupt(format!(
                        "insert returned an event it was not given: {stream_id} v{version}"
                    )));
                };
                positions.insert((stream, version), position);
            }
        }
        check_stream_order(&events, &positions)?;
        let mut outbox: Vec<i64> = positions.values().copied().collect();
        outbox.sort_unstable();
        for chunk in outbox.chunks(MAX_PARAMS) {
            let mut query = QueryBuilder::<DB>::new("INSERT INTO outbox (position) ");
            query.push_values(chunk, |mut row, &position| {
                row.push_bind(position);
            });
            query.build().execute(&mut *tx).await?;
        }

        tx.commit().await?;

        let outcomes = batch
            .iter()
            .zip(plan.decisions)
            .map(|(append, decision)| match decision {
                Decision::Append => AppendOutcome::Appended {
                    positions: append
                        .events
                        .iter()
                        .map(|e| positions[&(append.stream_id.as_str(), e.stream_version)])
                        .collect(),
                },
                Decision::Duplicate(prior) => AppendOutcome::Duplicate(prior),
                Decision::Conflict { actual_version } => AppendOutcome::Conflict { actual_version },
            })
            .collect();
        Ok(Some(outcomes))
    }

    async fn load_versions(
        conn: &mut DB::Connection,
        stream_ids: &[&str],
    ) -> Result<HashMap<String, u64>, StoreError> {
        let mut versions = HashMap::with_capacity(stream_ids.len());
        for chunk in stream_ids.chunks(MAX_PARAMS) {
            let mut query = QueryBuilder::<DB>::new(
                "SELECT stream_id, version FROM streams WHERE stream_id IN (",
            );
            let mut list = query.separated(", ");
            for &id in chunk {
                list.push_bind(id);
            }
            query.push(")");
            for row in query.build().fetch_all(&mut *conn).await? {
                let id: String = row.try_get(0)?;
                let version = to_u64(row.try_get(1)?, "stream version")?;
                versions.insert(id, version);
            }
        }
        Ok(versions)
    }

    async fn load_submissions(
        conn: &mut DB::Connection,
        ids: &[DbUuid],
    ) -> Result<HashMap<Uuid, PriorSubmission>, StoreError> {
        let mut prior = HashMap::new();
        for chunk in ids.chunks(MAX_PARAMS) {
            let mut query = QueryBuilder::<DB>::new(
                "SELECT submission_id, request_hash, reply FROM submissions \
                 WHERE submission_id IN (",
            );
            let mut list = query.separated(", ");
            for &id in chunk {
                list.push_bind(id);
            }
            query.push(")");
            for row in query.build().fetch_all(&mut *conn).await? {
                let DbUuid(id) = row.try_get(0)?;
                let hash: Vec<u8> = row.try_get(1)?;
                let request_hash = <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| {
                    StoreError::Corrupt(format!(
                        "submission {id}: request hash of {} bytes",
                        hash.len()
                    ))
                })?;
                let reply: Vec<u8> = row.try_get(2)?;
                prior.insert(
                    id,
                    PriorSubmission {
                        request_hash,
                        reply,
                    },
                );
            }
        }
        Ok(prior)
    }
}

/// Reads a row selected with [`event_columns!`].
fn event_from_row<R>(row: &R) -> Result<StoredEvent, StoreError>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'a> i64: Decode<'a, R::Database> + Type<R::Database>,
    for<'a> i32: Decode<'a, R::Database> + Type<R::Database>,
    for<'a> String: Decode<'a, R::Database> + Type<R::Database>,
    for<'a> Option<String>: Decode<'a, R::Database>,
    for<'a> Vec<u8>: Decode<'a, R::Database> + Type<R::Database>,
    for<'a> DbUuid: Decode<'a, R::Database> + Type<R::Database>,
{
    let position: i64 = row.try_get(0)?;
    let schema_version: i32 = row.try_get(5)?;
    Ok(StoredEvent {
        position,
        event_id: row.try_get::<DbUuid, _>(1)?.0,
        stream_id: row.try_get(2)?,
        stream_version: to_u64(row.try_get(3)?, "stream version")?,
        event_type: row.try_get(4)?,
        schema_version: u32::try_from(schema_version).map_err(|_| {
            StoreError::Corrupt(format!(
                "event at {position}: schema version {schema_version}"
            ))
        })?,
        subject: row.try_get(6)?,
        submission_id: row.try_get::<DbUuid, _>(7)?.0,
        occurred_at_us: row.try_get(8)?,
        recorded_at_us: row.try_get(9)?,
        payload: row.try_get(10)?,
        traceparent: row.try_get(11)?,
    })
}

/// The relay relies on a stream's events having increasing positions in version order (see
/// `outbox_batch`). Both engines number a multi-row `INSERT` in `VALUES` order, which keeps
/// this true; checking it costs nothing and turns a surprise into a refused batch rather than
/// events published out of order.
fn check_stream_order(
    events: &[(&Append, &super::NewEvent)],
    positions: &HashMap<(&str, u64), i64>,
) -> Result<(), StoreError> {
    let mut last: HashMap<&str, i64> = HashMap::new();
    for (append, event) in events {
        let stream = append.stream_id.as_str();
        let Some(&position) = positions.get(&(stream, event.stream_version)) else {
            return Err(StoreError::Corrupt(format!(
                "no position returned for {stream} v{}",
                event.stream_version
            )));
        };
        if let Some(previous) = last.insert(stream, position)
            && previous >= position
        {
            return Err(StoreError::Corrupt(format!(
                "{stream} v{} got position {position}, not after {previous}",
                event.stream_version
            )));
        }
    }
    Ok(())
}

/// A stored integer as the unsigned value it holds (negative: a corrupt row).
fn to_u64(value: i64, column: &str) -> Result<u64, StoreError> {
    Ok(saman_sql::to_u64(value, column)?)
}

/// An unsigned value as its BIGINT column holds it (past `i64::MAX`: a corrupt batch).
fn to_i64(value: u64, column: &str) -> Result<i64, StoreError> {
    Ok(saman_sql::to_i64(value, column)?)
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// A schema version as its INTEGER column holds it (a small number the code sets).
#[allow(clippy::cast_possible_wrap)]
fn as_int_column(version: u32) -> i32 {
    version as i32
}
