//! The event store of the intake service: events, stream versions, submissions (idempotency)
//! and the outbox, in one SQL database, SQLite (the embedded default: one file) or PostgreSQL
//! (production, several intake replicas). Both behave the same: one SQL text serves both
//! wherever the dialects agree (see `engine.rs`), and the same behaviour tests run on both.
//!
//! What it guarantees:
//! - an append's submission row, events, outbox rows and stream version move in one
//!   transaction: all of them or nothing;
//! - optimistic concurrency per stream: an append expecting the wrong version is a
//!   [`AppendOutcome::Conflict`], and of two racing writers (even in two processes) at most one
//!   wins, because the stream row is moved by a conditional `UPDATE ... WHERE version = $expected`
//!   whose row count is checked;
//! - idempotency: a submission id that is already recorded is an [`AppendOutcome::Duplicate`]
//!   carrying the first request's hash and reply, and nothing is written;
//! - every committed event stays in the outbox until the relay says it was published.
//!
//! Migrations are embedded in the binary and run by [`EventStore::open`].

mod engine;
mod error;
mod plan;
mod postgres;
mod sqlite;

use std::collections::HashMap;

use saman_sql::{OnBackend, PoolConfig, dispatch, migrations};
use sqlx::{Postgres, Sqlite};

pub use error::{SqlError, StoreError};

use engine::Engine;

/// The SQL engine behind an [`EventStore`].
pub use saman_sql::Backend;

/// One submission's worth of events for one stream, with what idempotency needs.
#[derive(Debug, Clone)]
pub struct Append {
    pub submission_id: uuid::Uuid,
    /// SHA-256 of the canonical request: a retry with other content has another hash.
    pub request_hash: [u8; 32],
    /// The encoded gRPC reply, returned verbatim on retry.
    pub reply: Vec<u8>,
    pub stream_id: String,
    /// The stream's version before this append (0 = a new stream).
    pub expected_version: u64,
    /// Stream versions `expected_version + 1`, `+ 2`, ... in order. May be empty: the submission
    /// is then recorded (for idempotency) and the stream does not move.
    pub events: Vec<NewEvent>,
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_id: uuid::Uuid,
    pub event_type: String,
    pub schema_version: u32,
    pub stream_version: u64,
    /// The NATS subject the relay publishes it to.
    pub subject: String,
    pub occurred_at_us: i64,
    pub recorded_at_us: i64,
    /// The encoded protobuf envelope, published verbatim.
    pub payload: Vec<u8>,
    /// W3C trace context of the submission that recorded it: the relay sends it as the
    /// message's `traceparent` header.
    pub traceparent: Option<String>,
}

/// What was recorded for a submission id: compare `request_hash` to tell a retry (same hash:
/// answer `reply` again) from a reuse of the id with other content (ALREADY_EXISTS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorSubmission {
    pub request_hash: [u8; 32],
    pub reply: Vec<u8>,
}

/// What became of one [`Append`] of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Written; the positions of its events, in order.
    Appended { positions: Vec<i64> },
    /// The submission id was already recorded (earlier, or earlier in the same batch); nothing
    /// was written for this append.
    Duplicate(PriorSubmission),
    /// The stream is at `actual_version`, not at the expected version; nothing was written.
    Conflict { actual_version: u64 },
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Global insertion order. On PostgreSQL positions can commit out of order: never use the
    /// highest position seen as "everything before it is visible".
    pub position: i64,
    pub event_id: uuid::Uuid,
    pub stream_id: String,
    pub stream_version: u64,
    pub event_type: String,
    pub schema_version: u32,
    pub subject: String,
    pub submission_id: uuid::Uuid,
    pub occurred_at_us: i64,
    pub recorded_at_us: i64,
    pub payload: Vec<u8>,
    pub traceparent: Option<String>,
}

/// The event store. Cheap to clone: the connection pool inside is shared.
#[derive(Clone, Debug)]
pub struct EventStore {
    inner: Inner,
}

type Inner = OnBackend<Engine<Sqlite>, Engine<Postgres>>;

impl EventStore {
    /// Opens the store and runs the embedded migrations before returning.
    ///
    /// - `sqlite://path?mode=rwc` (or `sqlite:path`): the file is created if missing; WAL,
    ///   `synchronous=FULL` (an acknowledged append survives power loss), a busy timeout, and
    ///   foreign keys on.
    /// - `postgres://...` / `postgresql://...`.
    ///
    /// `max_connections` bounds the pool. On SQLite writers serialize anyway (one write lock);
    /// more connections only help concurrent readers.
    pub async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let config = PoolConfig {
            application_name: "saman-intake",
            max_connections,
            statement_cache: Some(engine::STATEMENT_CACHE),
        };
        let pools = saman_sql::open(url, &config, &migrations!()).await?;
        Ok(EventStore {
            inner: pools.map(Engine::new, Engine::new),
        })
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend()
    }

    /// Current versions of the given streams; a stream with no events is absent (= version 0).
    ///
    /// This is how a writer checks that its cached aggregate state is still current without
    /// reading the stream: if the version matches its cache, the cache is good.
    pub async fn stream_versions(
        &self,
        stream_ids: &[String],
    ) -> Result<HashMap<String, u64>, StoreError> {
        dispatch!(&self.inner, e => e.stream_versions(stream_ids).await)
    }

    /// The events of a stream with version > `after_version`, in version order.
    pub async fn read_stream(
        &self,
        stream_id: &str,
        after_version: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        dispatch!(&self.inner, e => e.read_stream(stream_id, after_version).await)
    }

    /// Prior submissions among these ids.
    pub async fn submissions(
        &self,
        ids: &[uuid::Uuid],
    ) -> Result<HashMap<uuid::Uuid, PriorSubmission>, StoreError> {
        dispatch!(&self.inner, e => e.submissions(ids).await)
    }

    /// Group commit: every append of the batch in ONE transaction, each with its own outcome
    /// (one per append, in batch order):
    /// - [`AppendOutcome::Duplicate`]: its submission id is already recorded; nothing written;
    /// - [`AppendOutcome::Conflict`]: the stream's version is not `expected_version`; nothing
    ///   written;
    /// - [`AppendOutcome::Appended`]: submission row, events, outbox rows and the stream's new
    ///   version written.
    ///
    /// Later appends see earlier ones: two appends to one stream chain their versions, and a
    /// repeated submission id is a duplicate of the first. A batch whose events do not carry
    /// the versions following their append's `expected_version` is refused whole with
    /// [`StoreError::Corrupt`] before anything is written.
    pub async fn append(&self, batch: &[Append]) -> Result<Vec<AppendOutcome>, StoreError> {
        dispatch!(&self.inner, e => e.append(batch).await)
    }

    /// Outbox rows (joined with their events), oldest position first, at most `limit`.
    pub async fn outbox_batch(&self, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        dispatch!(&self.inner, e => e.outbox_batch(limit).await)
    }

    /// Like [`Self::outbox_batch`], leaving out the rows of the streams in `skip` (the relay's
    /// blocked streams: however many rows a blocked stream piles up, they never fill the batch
    /// and starve the other streams). `skip` is meant to be short (a handful of streams).
    pub async fn outbox_batch_skipping(
        &self,
        limit: usize,
        skip: &[String],
    ) -> Result<Vec<StoredEvent>, StoreError> {
        dispatch!(&self.inner, e => e.outbox_batch_skipping(limit, skip).await)
    }

    /// The oldest outbox row (joined with its event) of each of `streams`, i.e. the next event
    /// of that stream to publish; streams with nothing in the outbox are absent. In position
    /// order.
    pub async fn outbox_heads(&self, streams: &[String]) -> Result<Vec<StoredEvent>, StoreError> {
        dispatch!(&self.inner, e => e.outbox_heads(streams).await)
    }

    /// Removes published events from the outbox. Unknown positions are ignored, so a repeat
    /// after a crash is harmless.
    pub async fn outbox_done(&self, positions: &[i64]) -> Result<(), StoreError> {
        dispatch!(&self.inner, e => e.outbox_done(positions).await)
    }

    /// How many committed events wait to be published.
    pub async fn outbox_len(&self) -> Result<u64, StoreError> {
        dispatch!(&self.inner, e => e.outbox_len().await)
    }

    /// Every event with position > `after_position`, in position order, at most `limit`
    /// (tests, rebuilds). On PostgreSQL an event with a smaller position may still be
    /// committing: paging by position is only exhaustive once writers are quiet.
    pub async fn read_all(
        &self,
        after_position: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        dispatch!(&self.inner, e => e.read_all(after_position, limit).await)
    }

    /// The right to run the relay: only one relay across intake replicas publishes at a time.
    ///
    /// PostgreSQL: a session-level `pg_try_advisory_lock` on a dedicated connection outside the
    /// pool; `None` while another session holds it. SQLite: always `Some` (one file, one host:
    /// nothing to arbitrate). Dropping the lease releases it (its connection closes).
    pub async fn relay_lease(&self) -> Result<Option<RelayLease>, StoreError> {
        match &self.inner {
            OnBackend::Sqlite(_) => Ok(Some(RelayLease { conn: None })),
            OnBackend::Postgres(e) => postgres::relay_lease(&e.pool).await,
        }
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        dispatch!(&self.inner, e => e.pool.close().await)
    }
}

/// Held by the one relay allowed to publish. See [`EventStore::relay_lease`].
pub struct RelayLease {
    /// PostgreSQL: the session holding the advisory lock. SQLite: none.
    conn: Option<sqlx::PgConnection>,
}

impl std::fmt::Debug for RelayLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayLease")
            .field("postgres", &self.conn.is_some())
            .finish()
    }
}

impl RelayLease {
    /// Whether the lease still holds. A session-level advisory lock lives as long as its
    /// session: if the connection broke (database restart, network), the lock is gone and
    /// another replica may have taken it, so a relay checks this between batches and stops
    /// publishing when it is `false`.
    pub async fn is_held(&mut self) -> bool {
        match &mut self.conn {
            None => true,
            Some(conn) => postgres::lease_alive(conn).await,
        }
    }

    /// Releases the lease now (unlock, then close the session). Dropping it also releases it,
    /// as soon as the server notices the closed connection.
    pub async fn release(self) {
        if let Some(conn) = self.conn {
            postgres::release_lease(conn).await;
        }
    }
}
