//! The relay: publishes the outbox of the event store to NATS JetStream.
//!
//! The writer appends events and their outbox rows in one SQL transaction; the relay
//! reads the outbox, publishes each event to JetStream and removes its outbox row once
//! JetStream has acknowledged it. The guarantees, and why they hold:
//!
//! - **Every committed event is published.** An outbox row is removed only after the
//!   publish ack for its event, so an event leaves the outbox only once JetStream has
//!   stored it. The outbox is a set of rows, not a cursor over positions: a PostgreSQL
//!   `bigserial` value can commit after a larger one was already read (sequence gaps,
//!   Marten's "high water mark" problem); such a row is simply found by a later read,
//!   never skipped. (An event JetStream refuses stays in the outbox too, see below.)
//! - **Exactly once on JetStream.** Each message carries `Nats-Msg-Id` = event id. A
//!   crash (or a lost ack) between the ack and the removal of the row republishes the
//!   event, and JetStream's duplicate window drops the copy; an ack flagged `duplicate`
//!   is a success. The window (10 min by default) must exceed the longest time between
//!   a publish and the row's removal, which is one batch plus a restart.
//! - **In order within a stream.** Publishes are pipelined (send many, then await the
//!   acks: about 20x faster than awaiting each), but at most ONE event of a given stream
//!   is in flight at any time. If the connection drops, an in-flight event k can be lost
//!   while k+1, still queued in the client, goes out after the reconnect, and JetStream
//!   would store k+1 before k. So a batch read from the outbox is sent in position
//!   order, and an event whose stream still has one in flight waits for that ack;
//!   the events after it wait too, so that JetStream also keeps the order in which
//!   the events were recorded across streams (a subscriber sees a member approved
//!   before the need that member declared). Pipelining thus spans the events up to
//!   the next one of a stream already in flight.
//!   When an event fails, the rest of its stream is left out of the round (other
//!   streams go on) and stays in the outbox; what happens next depends on the failure
//!   (transport or refusal, below). Every round reads the outbox afresh, so it also
//!   sees rows committed out of position order.
//!   Positions and stream versions agree within a stream because the writer commits a
//!   stream's versions one after the other (optimistic concurrency), so the outbox
//!   never holds version v+1 of a stream visible before v, and sorting by position
//!   sorts each stream by version.
//!   An event whose ack timed out is sent again by a later round; all copies travel
//!   the one connection in order, so whichever copy JetStream stores precedes k+1.
//!   This holds even if two relays ran at once: k+1 is only sent after k was
//!   acknowledged (by someone) and duplicates are dropped.
//! - **NATS down (transport failures).** Not connected, no ack within `ack_timeout`, a
//!   broken connection, no responders or no stream for the subject (JetStream between
//!   leaders), a server-side error ack (5xx: storage failed, cluster unavailable): the
//!   round fails, backs off exponentially (capped at `retry_backoff_max`) and retries,
//!   starting again from the oldest event of each stream; intake keeps accepting and
//!   the outbox grows. One warning is logged when an outage starts and one info line
//!   when it ends. While the client is not connected no publish is attempted at all, so
//!   copies of events do not pile up in the client's queue.
//! - **A refused event holds back its own stream only.** A refusal is about the event
//!   and would repeat on every attempt: the client refuses a message larger than the
//!   server's `max_payload`, or JetStream answers the publish with an error about the
//!   message (a 4xx error ack other than 404/408, e.g. "message size exceeds maximum
//!   allowed" for the stream's `max_msg_size`). The event's stream is then *blocked*:
//!   the event stays in the outbox as the stream's head and the stream's later events
//!   wait behind it (never skipped, never reordered); the refusal is logged once, as a
//!   warning with the stream, event id, version, position, size and reason, and counted
//!   (`saman_intake_relay_refused_events_total`, `saman_intake_relay_blocked_streams`).
//!   The round itself succeeds: every other stream, in this round and the next ones, is
//!   published as usual, and no backoff applies to them. Outbox reads leave the blocked
//!   streams' rows out ([`EventStore::outbox_batch_skipping`]), so however many events
//!   pile up behind a blocked head they cannot fill the batch and starve other streams.
//!   The head of a blocked stream is sent again now and then, alone, after
//!   `refused_retry`, doubling up to `refused_retry_max` (30 s to 10 min by default), in
//!   case an operator raised the limit; when JetStream accepts it the stream is
//!   unblocked (logged) and drains in order. Blocked streams live in the relay's memory:
//!   a restarted relay meets the refusal again, and logs it again, on its first round.
//!   [`Relay::publish_pending`] retries every blocked head at once and reports a
//!   refusal as its error. [`RelayStats::healthy`] is false while a stream is blocked
//!   (the event needs an operator: a larger limit, see docs/operations.md), with
//!   `saman_intake_relay_blocked_streams` > 0 and no failed rounds telling it from an
//!   outage. The writer's size check ([`PublishLimit::max_event_bytes`], half the
//!   server's `max_payload`, which the relay reads every round) keeps such events out
//!   of the outbox in the first place.
//! - **One relay across replicas.** Only the holder of the store's relay lease
//!   publishes; the others try to take the lease every `lease_retry`. (Correctness does
//!   not depend on it, see above: it avoids duplicate work.)

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::connection::State;
use async_nats::jetstream::{
    self,
    context::{PublishError, PublishErrorKind},
    message::PublishMessage,
    publish::PublishAck,
};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use saman_runtime::backoff::Backoff;
use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::publish_limit::PublishLimit;
use crate::store::{EventStore, RelayLease, StoreError, StoredEvent};

/// Errors of the relay and of the JetStream set-up.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The event store failed (reading the outbox, removing rows, the lease).
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    /// The NATS client could not be created (the message names the setting to check).
    #[error("{0}")]
    Connect(#[source] Box<saman_runtime::nats::NatsError>),
    /// The NATS client is not connected (NATS down or unreachable); nothing was sent.
    #[error("NATS is not connected")]
    NatsUnavailable,
    /// Creating or updating the JetStream stream failed.
    #[error("JetStream stream {stream}: {action} failed: {source}")]
    Stream {
        stream: String,
        action: &'static str,
        #[source]
        source: jetstream::context::CreateStreamError,
    },
    /// Sending a publish, or its ack, failed: a transport failure (timeout, broken
    /// connection, no stream for the subject, a server-side error) or a refusal of this
    /// event ([`RelayError::is_refusal`]: larger than the server's `max_payload`, or an
    /// error ack about the message such as the stream's `max_msg_size`).
    #[error("publishing event {event_id} on {subject}: {source}")]
    Publish {
        event_id: Uuid,
        subject: String,
        #[source]
        source: PublishError,
    },
    /// No ack within `RelayConfig::ack_timeout`.
    #[error("no JetStream ack for event {event_id} within {timeout:?}")]
    AckTimeout { event_id: Uuid, timeout: Duration },
    /// Another relay (another intake replica) holds the relay lease.
    #[error("another relay holds the relay lease")]
    LeaseHeldElsewhere,
}

impl RelayError {
    /// Whether this is a refusal of the event itself (it would fail the same way on every
    /// attempt: its stream is blocked) rather than a transport failure (retried with
    /// backoff). See the module documentation.
    pub fn is_refusal(&self) -> bool {
        matches!(self, RelayError::Publish { source, .. } if is_refusal(source))
    }
}

/// Whether a publish error refuses the message itself (see the module documentation):
/// - the client refused it as larger than the server's `max_payload` (nothing was sent);
/// - JetStream answered with an error ack about the message: a 4xx code other than 404
///   (no stream: an election, or the stream is being recreated) and 408 (a timeout),
///   e.g. 400 "message size exceeds maximum allowed" (err_code 10054), the header
///   limit, or a failed expectation. 5xx answers (storage failed, cluster or JetStream
///   unavailable, insufficient resources) are about the server: transport failures.
fn is_refusal(error: &PublishError) -> bool {
    match error.kind() {
        PublishErrorKind::MaxPayloadExceeded
        | PublishErrorKind::WrongLastMessageId
        | PublishErrorKind::WrongLastSequence => true,
        PublishErrorKind::Other => std::error::Error::source(error)
            .and_then(|source| source.downcast_ref::<jetstream::Error>())
            .is_some_and(|ack| {
                let code = ack.code();
                (400..500).contains(&code) && code != 404 && code != 408
            }),
        PublishErrorKind::StreamNotFound
        | PublishErrorKind::TimedOut
        | PublishErrorKind::BrokenPipe
        | PublishErrorKind::MaxAckPending => false,
    }
}

/// The headers of the JetStream message of one stored event (the event contract's,
/// see `docs/events.md`), with its signature when there is a signer. The signature is
/// made over the stored payload at each publish: the bytes on the stream are the bytes
/// signed, and a key rotation applies to what is still in the outbox.
fn headers(
    event: &StoredEvent,
    signer: Option<&saman_contract::EventSigner>,
) -> async_nats::HeaderMap {
    let fields = saman_contract::EventHeaders {
        event_id: event.event_id,
        event_type: &event.event_type,
        schema_version: event.schema_version,
        stream_id: &event.stream_id,
        stream_version: event.stream_version,
        submission_id: event.submission_id,
        position: event.position,
        traceparent: event.traceparent.as_deref(),
    };
    let mut headers = async_nats::HeaderMap::new();
    for (name, value) in fields.to_pairs() {
        headers.insert(name, value);
    }
    for (name, value) in signer.map(|s| s.sign(&event.payload)).into_iter().flatten() {
        headers.insert(name, value);
    }
    headers
}

/// Tuning of the relay.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Outbox rows read per batch.
    pub batch_size: usize,
    /// How often an idle relay looks at the outbox when no writer wakes it.
    pub idle_poll: Duration,
    /// The longest pause between two attempts while NATS (or the store) fails.
    pub retry_backoff_max: Duration,
    /// How long to wait for a publish ack before treating the publish as failed (the
    /// event stays in the outbox and is republished; the duplicate window drops the
    /// copy if the first one did arrive).
    pub ack_timeout: Duration,
    /// How often a relay without the lease tries to take it.
    pub lease_retry: Duration,
    /// On shutdown, how long the last attempt to flush the outbox may take.
    pub shutdown_flush: Duration,
    /// How long after a refusal the head of a blocked stream is first sent again (in
    /// case the limit was raised); the pause doubles after each refusal.
    pub refused_retry: Duration,
    /// The longest pause between two attempts at the head of a blocked stream.
    pub refused_retry_max: Duration,
    /// Signs every event published (its payload, the bytes stored); `None` publishes
    /// them unsigned (`--insecure-unsigned-events`).
    pub signer: Option<saman_contract::EventSigner>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            batch_size: 500,
            idle_poll: Duration::from_millis(200),
            retry_backoff_max: Duration::from_secs(5),
            ack_timeout: Duration::from_secs(5),
            lease_retry: Duration::from_secs(3),
            shutdown_flush: Duration::from_secs(5),
            refused_retry: Duration::from_secs(30),
            refused_retry_max: Duration::from_secs(10 * 60),
            signer: None,
        }
    }
}

/// Counters of the relay for health and metrics; cheap to clone, shared with the relay.
#[derive(Debug, Clone, Default)]
pub struct RelayStats {
    inner: Arc<StatsInner>,
}

#[derive(Debug, Default)]
struct StatsInner {
    published: AtomicU64,
    duplicates: AtomicU64,
    failed_rounds: AtomicU64,
    refused_events: AtomicU64,
    blocked_streams: AtomicU64,
    outbox_len: AtomicU64,
    holds_lease: AtomicBool,
    healthy: AtomicBool,
}

/// The stats are also exported as Prometheus metrics (saman-runtime's `metrics`):
/// each change goes through one of these setters, which keep both in step.
impl StatsInner {
    fn set_outbox_len(&self, n: u64) {
        self.outbox_len.store(n, Ordering::Relaxed);
        metrics::gauge!("saman_intake_outbox_events").set(n as f64);
    }
    fn set_healthy(&self, healthy: bool) {
        self.healthy.store(healthy, Ordering::Relaxed);
        metrics::gauge!("saman_intake_relay_healthy").set(f64::from(u8::from(healthy)));
    }
    fn set_holds_lease(&self, held: bool) {
        self.holds_lease.store(held, Ordering::Relaxed);
        metrics::gauge!("saman_intake_relay_lease").set(f64::from(u8::from(held)));
    }
    fn add_published(&self, published: u64, duplicates: u64) {
        self.published.fetch_add(published, Ordering::Relaxed);
        self.duplicates.fetch_add(duplicates, Ordering::Relaxed);
        metrics::counter!("saman_intake_events_published_total").increment(published);
        metrics::counter!("saman_intake_events_published_duplicate_total").increment(duplicates);
    }
    fn add_failed_round(&self) {
        self.failed_rounds.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("saman_intake_relay_failed_rounds_total").increment(1);
    }
    fn add_refused_events(&self, n: u64) {
        self.refused_events.fetch_add(n, Ordering::Relaxed);
        metrics::counter!("saman_intake_relay_refused_events_total").increment(n);
    }
    fn set_blocked_streams(&self, n: u64) {
        self.blocked_streams.store(n, Ordering::Relaxed);
        metrics::gauge!("saman_intake_relay_blocked_streams").set(n as f64);
    }
}

/// Each reader of [`RelayStats`] loads its field alone (relaxed: no value is read
/// together with another).
macro_rules! readers {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        impl RelayStats {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> $ty {
                    self.inner.$name.load(Ordering::Relaxed)
                }
            )*
        }
    };
}

readers! {
    /// Events acknowledged by JetStream since start (duplicates included: each is an
    /// outbox row that was cleared).
    published: u64;
    /// Of [`Self::published`], the acks JetStream flagged as duplicates (republished
    /// after a crash or a lost ack, dropped by the duplicate window).
    duplicates: u64;
    /// Rounds that failed (NATS down, ack timeout, store error). A refused event does
    /// not fail its round.
    failed_rounds: u64;
    /// Events refused by the client or JetStream since start, each counted once when it
    /// blocked its stream (not again on every retry).
    refused_events: u64;
    /// Streams held back now by a refused head event.
    blocked_streams: u64;
    /// Outbox rows waiting, as last seen by the relay (blocked streams' rows included).
    outbox_len: u64;
    /// Whether this relay holds the relay lease (publishes).
    holds_lease: bool;
    /// Whether the last round published everything it read and no stream is blocked:
    /// false during a NATS outage, while an event keeps failing, or while a refused
    /// event holds back its stream ([`Self::blocked_streams`] > 0; the other streams
    /// are still published). See the logs.
    healthy: bool;
}

/// Publishes the outbox to JetStream. See the module documentation for the guarantees.
pub struct Relay {
    store: EventStore,
    js: jetstream::Context,
    cfg: RelayConfig,
    waker: Arc<Notify>,
    stats: RelayStats,
    lease: Mutex<Option<HeldLease>>,
    /// When `outbox_len` was last counted in the store (see `refresh_outbox_len`).
    last_count: std::sync::Mutex<Option<Instant>>,
    /// The server's `max_payload`, read every round (see [`PublishLimit`]).
    publish_limit: PublishLimit,
    /// Streams held back by a refused head event, by stream id.
    blocked: std::sync::Mutex<BTreeMap<String, Blocked>>,
}

/// How often a held lease is checked (see `acquire_lease`).
const LEASE_CHECK: Duration = Duration::from_secs(1);

struct HeldLease {
    lease: RelayLease,
    /// When the lease was last known to hold.
    checked: Instant,
}

/// A stream whose head event was refused.
#[derive(Debug)]
struct Blocked {
    /// The refused event (the stream's head when it was refused).
    event_id: Uuid,
    /// When the stream was blocked.
    since: Instant,
    /// Refusals of the head since (the first one excluded).
    retries: u64,
    /// The pause before the next attempt (the last of `pauses`).
    retry_in: Duration,
    /// Pauses from `refused_retry`, doubling up to `refused_retry_max`.
    pauses: Backoff,
    /// When the head is sent again.
    next_retry: Instant,
}

/// What one round did.
#[derive(Debug, Default)]
struct Round {
    /// Outbox rows read by the batch (the heads of blocked streams retried not counted).
    fetched: usize,
    /// Events acknowledged (and removed from the outbox), retried heads included.
    published: usize,
    /// Events refused in this round (their streams are blocked now).
    refusals: Vec<RelayError>,
}

/// What publishing a batch did.
#[derive(Default)]
struct Outcome {
    /// The events acknowledged.
    acked: Vec<Sent>,
    /// Of those, acks flagged duplicate.
    duplicates: u64,
    /// The events refused (the rest of each one's stream was left out).
    refused: Vec<(Sent, RelayError)>,
    /// The first transport failure, if any: the round fails.
    failure: Option<RelayError>,
}

impl Relay {
    pub fn new(store: EventStore, js: jetstream::Context, cfg: RelayConfig) -> Self {
        let cfg = RelayConfig {
            batch_size: cfg.batch_size.max(1),
            refused_retry_max: cfg.refused_retry_max.max(cfg.refused_retry),
            ..cfg
        };
        Self {
            store,
            js,
            cfg,
            waker: Arc::new(Notify::new()),
            stats: RelayStats::default(),
            lease: Mutex::new(None),
            last_count: std::sync::Mutex::new(None),
            publish_limit: PublishLimit::new(),
            blocked: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// Makes the relay keep `limit` up to date with the server's `max_payload` (instead of
    /// a limit of its own): pass the one the writer checks events against.
    pub fn with_publish_limit(mut self, limit: PublishLimit) -> Self {
        self.publish_limit = limit;
        self
    }

    /// The server's `max_payload` as this relay last saw it (shared with clones).
    pub fn publish_limit(&self) -> PublishLimit {
        self.publish_limit.clone()
    }

    /// A handle the writer calls after each commit (`notify_one()`) so the relay does
    /// not wait for the idle poll. `notify_one` keeps a permit when the relay is busy,
    /// so a wake-up is never lost (do not use `notify_waiters`, which would be).
    pub fn waker(&self) -> Arc<Notify> {
        self.waker.clone()
    }

    /// The relay's counters, for health and metrics.
    pub fn stats(&self) -> RelayStats {
        self.stats.clone()
    }

    /// Runs until `shutdown` is cancelled, then makes a last attempt, bounded by
    /// `RelayConfig::shutdown_flush`, to flush the outbox and returns. Events it could
    /// not publish stay in the outbox for the next start.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), RelayError> {
        let mut backoff = Backoff::new(RETRY_BACKOFF_START, self.cfg.retry_backoff_max);
        // Start of the current outage (failed rounds in a row), to warn once per outage.
        let mut outage: Option<(Instant, u64)> = None;
        let mut waiting_for_lease = false;
        // Export the refusal metrics at 0 from the start, so they can be alerted on.
        self.stats.inner.add_refused_events(0);
        self.stats
            .inner
            .set_blocked_streams(self.blocked_count() as u64);
        tracing::info!("relay started");

        while !shutdown.is_cancelled() {
            // Only the holder of the lease publishes.
            match self.acquire_lease().await {
                Ok(true) => {
                    if waiting_for_lease {
                        tracing::info!("relay lease taken: this replica publishes the outbox");
                        waiting_for_lease = false;
                    }
                }
                Ok(false) => {
                    if !waiting_for_lease {
                        tracing::info!(
                            retry = ?self.cfg.lease_retry,
                            "another replica holds the relay lease; standing by"
                        );
                        waiting_for_lease = true;
                    }
                    // A standby's writer checks events against the limit too.
                    self.publish_limit.observe(&self.js.client());
                    if sleep_or_cancel(self.cfg.lease_retry, &shutdown).await {
                        break;
                    }
                    continue;
                }
                Err(e) => {
                    self.note_failure(&e, &mut outage);
                    if sleep_or_cancel(backoff.next_pause(), &shutdown).await {
                        break;
                    }
                    continue;
                }
            }

            match self.round(false).await {
                Ok(round) => {
                    if let Some((since, failures)) = outage.take() {
                        tracing::info!(
                            after = ?since.elapsed(),
                            failed_attempts = failures,
                            outbox = self.stats.outbox_len(),
                            "relay publishing again; the outbox drains"
                        );
                    }
                    backoff.reset();
                    if round.fetched > 0 {
                        // The outbox may hold more: go again at once. (A refused event's
                        // stream is blocked now, and left out of the next read.)
                        continue;
                    }
                    tokio::select! {
                        _ = self.waker.notified() => {}
                        _ = tokio::time::sleep(self.cfg.idle_poll) => {}
                        _ = shutdown.cancelled() => break,
                    }
                }
                Err(e) => {
                    self.note_failure(&e, &mut outage);
                    self.refresh_outbox_len(false).await;
                    if sleep_or_cancel(backoff.next_pause(), &shutdown).await {
                        break;
                    }
                }
            }
        }

        self.final_flush().await;
        // Release the lease so another replica can take over at once.
        let held = self.lease.lock().await.take();
        if let Some(held) = held {
            held.lease.release().await;
        }
        self.stats.inner.set_holds_lease(false);
        tracing::info!(
            published = self.stats.published(),
            outbox = self.stats.outbox_len(),
            blocked_streams = self.stats.blocked_streams(),
            "relay stopped"
        );
        Ok(())
    }

    /// One pass: publishes what the outbox holds now (batch after batch, until a batch
    /// comes back smaller than `batch_size`) and returns how many events JetStream
    /// acknowledged. Takes the relay lease first if this relay does not hold it yet.
    /// The head of every blocked stream is sent again first, whatever its retry pause.
    ///
    /// On a transport failure, the events acknowledged before it are removed from the
    /// outbox (and counted in [`RelayStats::published`]) and the others stay for the
    /// next pass. When an event is refused, the pass still publishes every other
    /// stream, then returns the first refusal ([`RelayError::is_refusal`]) if its
    /// stream is still blocked.
    pub async fn publish_pending(&self) -> Result<usize, RelayError> {
        if !self.acquire_lease().await? {
            return Err(RelayError::LeaseHeldElsewhere);
        }
        let mut total = 0;
        let mut refusal = None;
        let mut retry_blocked = true;
        loop {
            let round = self.round(retry_blocked).await?;
            retry_blocked = false;
            total += round.published;
            if refusal.is_none() {
                refusal = round.refusals.into_iter().next();
            }
            if round.fetched < self.cfg.batch_size {
                break;
            }
        }
        match refusal {
            Some(refused) if self.blocked_count() > 0 => Err(refused),
            _ => Ok(total),
        }
    }

    /// Ensures this relay holds the lease; `Ok(false)` when another one holds it.
    ///
    /// A held lease is checked at most every `LEASE_CHECK` (on PostgreSQL it is an
    /// advisory lock that vanishes with its session; the check is a round trip): if it
    /// was lost, it is dropped and taken again if free.
    async fn acquire_lease(&self) -> Result<bool, RelayError> {
        let mut guard = self.lease.lock().await;
        if let Some(held) = guard.as_mut()
            && held.checked.elapsed() >= LEASE_CHECK
        {
            if held.lease.is_held().await {
                held.checked = Instant::now();
            } else {
                tracing::warn!("relay lease lost (database session broke); taking it again");
                *guard = None;
            }
        }
        if guard.is_none() {
            *guard = self.store.relay_lease().await?.map(|lease| HeldLease {
                lease,
                checked: Instant::now(),
            });
        }
        let held = guard.is_some();
        self.stats.inner.set_holds_lease(held);
        Ok(held)
    }

    fn note_failure(&self, err: &RelayError, outage: &mut Option<(Instant, u64)>) {
        self.stats.inner.add_failed_round();
        self.stats.inner.set_healthy(false);
        match outage {
            None => {
                tracing::warn!(
                    error = %err,
                    "relay cannot publish; events wait in the outbox and are retried \
                     with backoff (logged once per outage)"
                );
                *outage = Some((Instant::now(), 1));
            }
            Some((_, failures)) => {
                *failures += 1;
                tracing::debug!(error = %err, failures = *failures, "relay still failing");
            }
        }
    }

    /// Last bounded attempt to flush the outbox on shutdown.
    async fn final_flush(&self) {
        if self.lease.lock().await.is_none() {
            return;
        }
        let flush = async {
            loop {
                match self.round(false).await {
                    Ok(round) if round.fetched == 0 => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(e),
                }
            }
        };
        match tokio::time::timeout(self.cfg.shutdown_flush, flush).await {
            Ok(Ok(())) if self.blocked_count() == 0 => tracing::info!("relay flushed the outbox"),
            Ok(Ok(())) => {
                self.refresh_outbox_len(true).await;
                tracing::warn!(
                    blocked_streams = self.blocked_count(),
                    outbox = self.stats.outbox_len(),
                    "relay flushed the outbox but for its blocked streams (refused events); \
                     their events wait for the next start"
                );
            }
            Ok(Err(e)) => {
                self.refresh_outbox_len(true).await;
                tracing::warn!(
                    error = %e,
                    outbox = self.stats.outbox_len(),
                    "relay could not flush the outbox on shutdown; the events wait for the next start"
                );
            }
            Err(_) => {
                self.refresh_outbox_len(true).await;
                tracing::warn!(
                    within = ?self.cfg.shutdown_flush,
                    outbox = self.stats.outbox_len(),
                    "relay did not flush the outbox in time on shutdown; the events wait for the next start"
                );
            }
        }
    }

    /// One round: send the heads of the blocked streams due for a retry (all of them if
    /// `retry_blocked`), then read a batch of the outbox without the blocked streams and
    /// publish it (at most one event per stream in flight); remove what was acknowledged.
    /// A transport failure fails the round; a refusal blocks its stream only.
    async fn round(&self, retry_blocked: bool) -> Result<Round, RelayError> {
        // Publishing while disconnected would only queue copies of events in the client,
        // to go out after the reconnect; wait for the client to be connected instead.
        let client = self.js.client();
        if client.connection_state() != State::Connected {
            return Err(RelayError::NatsUnavailable);
        }
        self.publish_limit.observe(&client);
        let mut round = Round::default();

        // 1. The heads of blocked streams due for another attempt, each alone in its
        //    stream: if it is accepted now, the stream's later events go in the batch
        //    below, after it.
        let due = self.due_blocked(retry_blocked);
        if !due.is_empty() {
            let heads = self.store.outbox_heads(&due).await?;
            for stream in &due {
                if !heads.iter().any(|head| &head.stream_id == stream) {
                    // Nothing of it left in the outbox (another relay published it).
                    self.unblock(stream, None);
                }
            }
            let outcome = self.publish_in_order(heads).await;
            self.settle(outcome, &mut round).await?;
        }

        // 2. A batch of everything else, oldest first.
        let skip = self.blocked_ids();
        let batch = self
            .store
            .outbox_batch_skipping(self.cfg.batch_size, &skip)
            .await?;
        round.fetched = batch.len();
        if !batch.is_empty() {
            let outcome = self.publish_in_order(batch).await;
            self.settle(outcome, &mut round).await?;
        }

        let blocked = self.blocked_count();
        self.stats.inner.set_healthy(blocked == 0);
        if blocked == 0 && round.fetched < self.cfg.batch_size {
            // The batch held the whole outbox as of the read, and all of it is published.
            self.stats.inner.set_outbox_len(0);
        } else {
            self.refresh_outbox_len(false).await;
        }
        Ok(round)
    }

    /// Publishes `events` in position order, pipelined, with at most one event of a
    /// stream in flight: an event whose stream is still awaiting an ack waits for it, and
    /// so do the events after it (sending them first would reorder the streams against
    /// each other). A failed event drops the rest of its stream from the round (they stay
    /// in the outbox); a transport failure while sending also stops every further send
    /// (the client cannot take messages).
    async fn publish_in_order(&self, mut events: Vec<StoredEvent>) -> Outcome {
        events.sort_by_key(|event| event.position);
        let timeout = self.cfg.ack_timeout;
        let mut out = Outcome::default();
        let mut to_send = VecDeque::from(events);
        let mut in_flight = FuturesUnordered::new();
        // Streams with an event awaiting its ack, and streams left out of the round.
        let mut flying: HashSet<String> = HashSet::new();
        let mut dropped: HashSet<String> = HashSet::new();
        // Set when sending itself fails for transport reasons: send no more.
        let mut send_failed = false;
        loop {
            while !send_failed && let Some(next) = to_send.front() {
                if dropped.contains(&next.stream_id) {
                    to_send.pop_front();
                    continue;
                }
                if flying.contains(&next.stream_id) {
                    break;
                }
                let Some(event) = to_send.pop_front() else {
                    break;
                };
                flying.insert(event.stream_id.clone());
                match self.send(event, timeout).await {
                    Ok(ack) => in_flight.push(ack),
                    Err((meta, source)) => {
                        flying.remove(&meta.stream_id);
                        dropped.insert(meta.stream_id.clone());
                        let refused = is_refusal(&source);
                        let error = RelayError::Publish {
                            event_id: meta.event_id,
                            subject: meta.subject.clone(),
                            source,
                        };
                        if refused {
                            // This event only: the other streams go on.
                            out.refused.push((meta, error));
                        } else {
                            out.failure.get_or_insert(error);
                            send_failed = true;
                        }
                    }
                }
            }
            // Await every ack of what was sent, even after a failure: what was
            // acknowledged leaves the outbox now rather than being republished.
            let Some((meta, result)) = in_flight.next().await else {
                break;
            };
            flying.remove(&meta.stream_id);
            let error = match result {
                Ok(Ok(ack)) => {
                    // A duplicate ack means JetStream already holds the event
                    // (republished after a crash or a lost ack): a success.
                    if ack.duplicate {
                        out.duplicates += 1;
                    }
                    out.acked.push(meta);
                    continue;
                }
                Ok(Err(source)) => RelayError::Publish {
                    event_id: meta.event_id,
                    subject: meta.subject.clone(),
                    source,
                },
                Err(_elapsed) => RelayError::AckTimeout {
                    event_id: meta.event_id,
                    timeout,
                },
            };
            // The later events of this stream must not go out before this one: leave them
            // out of the round (they stay in the outbox). Other streams go on.
            dropped.insert(meta.stream_id.clone());
            if error.is_refusal() {
                out.refused.push((meta, error));
            } else {
                out.failure.get_or_insert(error);
            }
        }
        out
    }

    /// Records what [`Self::publish_in_order`] did: unblocks the streams whose head was
    /// accepted, blocks those whose event was refused, removes the acknowledged events
    /// from the outbox; the first transport failure is the round's error.
    async fn settle(&self, outcome: Outcome, round: &mut Round) -> Result<(), RelayError> {
        // Unblock first: a stream blocked before this round has no other event in it.
        for meta in &outcome.acked {
            self.unblock(&meta.stream_id, Some(meta));
        }
        for (meta, error) in outcome.refused {
            self.block(&meta, &error);
            round.refusals.push(error);
        }
        if !outcome.acked.is_empty() {
            // Only now, after the acks, do the rows leave the outbox. A crash before this
            // line republishes these events, and the duplicate window drops the copies.
            let done: Vec<i64> = outcome.acked.iter().map(|meta| meta.position).collect();
            self.store.outbox_done(&done).await?;
            self.stats
                .inner
                .add_published(done.len() as u64, outcome.duplicates);
            round.published += done.len();
        }
        match outcome.failure {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Blocks the stream of a refused event (or, when it already was, schedules the next
    /// attempt later). A new refusal is logged once and counted.
    fn block(&self, meta: &Sent, error: &RelayError) {
        let now = Instant::now();
        let mut blocked = self.blocked.lock().expect("relay blocked streams lock");
        match blocked.get_mut(&meta.stream_id) {
            Some(stream) if stream.event_id == meta.event_id => {
                stream.retries += 1;
                stream.retry_in = stream.pauses.next_pause();
                stream.next_retry = now + stream.retry_in;
                tracing::debug!(
                    stream = %meta.stream_id,
                    event_id = %meta.event_id,
                    retries = stream.retries,
                    next_retry_in = ?stream.retry_in,
                    error = %error,
                    "blocked stream's head refused again"
                );
            }
            _ => {
                let mut pauses = Backoff::new(self.cfg.refused_retry, self.cfg.refused_retry_max);
                let retry_in = pauses.next_pause();
                tracing::warn!(
                    stream = %meta.stream_id,
                    event_id = %meta.event_id,
                    stream_version = meta.stream_version,
                    position = meta.position,
                    payload_bytes = meta.payload_bytes,
                    max_payload = self.publish_limit.max_payload(),
                    error = %error,
                    retry_in = ?retry_in,
                    "JetStream refused an event: its stream is held back (the event and the \
                     stream's later ones wait in the outbox, in order); other streams go on. \
                     The event is sent again now and then, with a growing pause: raise the \
                     limit (NATS max_payload, the stream's max_msg_size) to let it through"
                );
                self.stats.inner.add_refused_events(1);
                blocked.insert(
                    meta.stream_id.clone(),
                    Blocked {
                        event_id: meta.event_id,
                        since: now,
                        retries: 0,
                        retry_in,
                        pauses,
                        next_retry: now + retry_in,
                    },
                );
            }
        }
        self.stats.inner.set_blocked_streams(blocked.len() as u64);
    }

    /// Unblocks `stream` if it is blocked: its head was accepted (`accepted`), or it has
    /// nothing left in the outbox (`None`).
    fn unblock(&self, stream: &str, accepted: Option<&Sent>) {
        let mut blocked = self.blocked.lock().expect("relay blocked streams lock");
        let Some(was) = blocked.remove(stream) else {
            return;
        };
        tracing::info!(
            stream,
            refused_event_id = %was.event_id,
            accepted_event_id = ?accepted.map(|meta| meta.event_id),
            retries = was.retries,
            blocked_for = ?was.since.elapsed(),
            "blocked stream publishes again"
        );
        self.stats.inner.set_blocked_streams(blocked.len() as u64);
    }

    /// The blocked streams whose head is due for another attempt (all if `all`).
    fn due_blocked(&self, all: bool) -> Vec<String> {
        let now = Instant::now();
        let blocked = self.blocked.lock().expect("relay blocked streams lock");
        blocked
            .iter()
            .filter(|(_, stream)| all || stream.next_retry <= now)
            .map(|(id, _)| id.clone())
            .collect()
    }

    fn blocked_ids(&self) -> Vec<String> {
        let blocked = self.blocked.lock().expect("relay blocked streams lock");
        blocked.keys().cloned().collect()
    }

    fn blocked_count(&self) -> usize {
        self.blocked
            .lock()
            .expect("relay blocked streams lock")
            .len()
    }

    /// Sends one event; the returned future resolves to its ack (or times out). A send
    /// that fails returns the event's [`Sent`] with the error.
    async fn send(
        &self,
        event: StoredEvent,
        timeout: Duration,
    ) -> Result<impl Future<Output = (Sent, AckResult)> + use<>, (Sent, PublishError)> {
        let meta = Sent {
            position: event.position,
            event_id: event.event_id,
            stream_id: event.stream_id.clone(),
            stream_version: event.stream_version,
            subject: event.subject.clone(),
            payload_bytes: event.payload.len(),
        };
        let message = PublishMessage::build()
            .headers(headers(&event, self.cfg.signer.as_ref()))
            .payload(Bytes::from(event.payload));
        match self.js.send_publish(event.subject, message).await {
            Ok(ack) => Ok(async move {
                let result = tokio::time::timeout(timeout, ack.into_future()).await;
                (meta, result)
            }),
            Err(source) => Err((meta, source)),
        }
    }

    /// Counts the outbox in the store, at most once a second unless `force`d (a count
    /// is a scan of the outbox, which is large during an outage).
    async fn refresh_outbox_len(&self, force: bool) {
        {
            let mut last = self.last_count.lock().expect("relay stats lock");
            if !force && last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return;
            }
            *last = Some(Instant::now());
        }
        match self.store.outbox_len().await {
            Ok(n) => self.stats.inner.set_outbox_len(n),
            Err(e) => tracing::debug!(error = %e, "relay could not count the outbox"),
        }
    }
}

/// The outcome of awaiting one publish ack: the ack, a publish error, or a timeout.
type AckResult = Result<Result<PublishAck, PublishError>, tokio::time::error::Elapsed>;

/// What the relay keeps of an event while its publish is in flight.
struct Sent {
    position: i64,
    event_id: Uuid,
    stream_id: String,
    stream_version: u64,
    subject: String,
    payload_bytes: usize,
}

/// Sleeps for `d` unless `shutdown` is cancelled first; true when cancelled.
async fn sleep_or_cancel(d: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = shutdown.cancelled() => true,
    }
}

/// The first pause after a failed round; it doubles up to `retry_backoff_max`.
const RETRY_BACKOFF_START: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let mut b = Backoff::new(RETRY_BACKOFF_START, Duration::from_millis(500));
        let seq: Vec<_> = (0..5).map(|_| b.next_pause().as_millis()).collect();
        assert_eq!(seq, [100, 200, 400, 500, 500]);
        b.reset();
        assert_eq!(b.next_pause().as_millis(), 100);
    }

    #[test]
    fn refusals_are_told_from_transport_failures() {
        let refused = [
            PublishErrorKind::MaxPayloadExceeded,
            PublishErrorKind::WrongLastMessageId,
            PublishErrorKind::WrongLastSequence,
        ];
        for kind in refused {
            assert!(is_refusal(&PublishError::new(kind)), "{kind:?}");
        }
        let transport = [
            PublishErrorKind::StreamNotFound,
            PublishErrorKind::TimedOut,
            PublishErrorKind::BrokenPipe,
            PublishErrorKind::MaxAckPending,
            // Without a JetStream error ack inside (e.g. a closed client channel).
            PublishErrorKind::Other,
        ];
        for kind in transport {
            assert!(!is_refusal(&PublishError::new(kind)), "{kind:?}");
        }
        let error = RelayError::Publish {
            event_id: Uuid::nil(),
            subject: "saman.events.v1.zone.zone-01.NeedDeclared".into(),
            source: PublishError::new(PublishErrorKind::MaxPayloadExceeded),
        };
        assert!(error.is_refusal());
        assert!(!RelayError::NatsUnavailable.is_refusal());
    }
}
