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
//!   never skipped.
//! - **Exactly once on JetStream.** Each message carries `Nats-Msg-Id` = event id. A
//!   crash (or a lost ack) between the ack and the removal of the row republishes the
//!   event, and JetStream's duplicate window drops the copy; an ack flagged `duplicate`
//!   is a success. The window (10 min by default) must exceed the longest time between
//!   a publish and the row's removal, which is one batch plus a restart.
//! - **In order within a stream.** Publishes are pipelined (send many, then await the
//!   acks: about 20x faster than awaiting each), but at most ONE event of a given stream
//!   is in flight at any time. If the connection drops, an in-flight event k can be lost
//!   while k+1, still queued in the client, goes out after the reconnect, and JetStream
//!   would store k+1 before k. So a batch read from the outbox is grouped by stream
//!   (each stream's events sorted by stream version); the oldest event of every stream
//!   is sent at once, and a stream's next event is sent as soon as the ack of its
//!   previous one arrives (pipelined across streams, one at a time within a stream).
//!   When an event fails (no ack, ack timeout, refused), the rest of its stream is left
//!   out of the round (other streams go on); the unacknowledged events stay in the
//!   outbox, and the next round, after a backoff, starts again from the oldest event of
//!   each stream. Every round reads the outbox afresh, so it also sees rows committed
//!   out of position order.
//!   Positions and stream versions agree within a stream because the writer commits a
//!   stream's versions one after the other (optimistic concurrency), so the outbox
//!   never holds version v+1 of a stream visible before v; the relay still sorts each
//!   stream's events by version.
//!   An event whose ack timed out is sent again by a later round; all copies travel
//!   the one connection in order, so whichever copy JetStream stores precedes k+1.
//!   This holds even if two relays ran at once: k+1 is only sent after k was
//!   acknowledged (by someone) and duplicates are dropped.
//! - **NATS down.** A failed round backs off exponentially (capped at
//!   `retry_backoff_max`) and retries; intake keeps accepting and the outbox grows.
//!   One warning is logged when an outage starts and one info line when it ends. While
//!   the client is not connected no publish is attempted at all, so copies of events do
//!   not pile up in the client's queue.
//! - **One relay across replicas.** Only the holder of the store's relay lease
//!   publishes; the others try to take the lease every `lease_retry`. (Correctness does
//!   not depend on it, see above: it avoids duplicate work.)

use std::collections::{HashMap, VecDeque};
use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::connection::State;
use async_nats::jetstream::{
    self, context::PublishError, message::PublishMessage, publish::PublishAck,
};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::jetstream::event_headers;
use crate::store::{EventStore, RelayLease, StoreError, StoredEvent};

/// Errors of the relay and of the JetStream set-up.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The event store failed (reading the outbox, removing rows, the lease).
    #[error("event store: {0}")]
    Store(#[from] StoreError),
    /// The NATS client could not be created.
    #[error("cannot connect to NATS: {0}")]
    Connect(#[source] Box<async_nats::ConnectError>),
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
    /// Sending a publish, or its ack, failed (timeout, broken connection, no stream
    /// for the subject, rejected by the server).
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
}

impl RelayStats {
    /// Events acknowledged by JetStream since start (duplicates included: each is an
    /// outbox row that was cleared).
    pub fn published(&self) -> u64 {
        self.inner.published.load(Ordering::Relaxed)
    }
    /// Of [`Self::published`], the acks JetStream flagged as duplicates (republished
    /// after a crash or a lost ack, dropped by the duplicate window).
    pub fn duplicates(&self) -> u64 {
        self.inner.duplicates.load(Ordering::Relaxed)
    }
    /// Rounds that failed (NATS down, ack timeout, store error).
    pub fn failed_rounds(&self) -> u64 {
        self.inner.failed_rounds.load(Ordering::Relaxed)
    }
    /// Outbox rows waiting, as last seen by the relay.
    pub fn outbox_len(&self) -> u64 {
        self.inner.outbox_len.load(Ordering::Relaxed)
    }
    /// Whether this relay holds the relay lease (publishes).
    pub fn holds_lease(&self) -> bool {
        self.inner.holds_lease.load(Ordering::Relaxed)
    }
    /// Whether the last round published everything it read: false during a NATS
    /// outage, or while an event keeps failing (see the logs).
    pub fn healthy(&self) -> bool {
        self.inner.healthy.load(Ordering::Relaxed)
    }
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
}

/// How often a held lease is checked (see `acquire_lease`).
const LEASE_CHECK: Duration = Duration::from_secs(1);

struct HeldLease {
    lease: RelayLease,
    /// When the lease was last known to hold.
    checked: Instant,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default)]
struct Round {
    /// Outbox rows read.
    fetched: usize,
    /// Events acknowledged (and removed from the outbox).
    published: usize,
}

impl Relay {
    pub fn new(store: EventStore, js: jetstream::Context, cfg: RelayConfig) -> Self {
        let cfg = RelayConfig {
            batch_size: cfg.batch_size.max(1),
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
        }
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
        let mut backoff = Backoff::new(self.cfg.retry_backoff_max);
        // Start of the current outage (failed rounds in a row), to warn once per outage.
        let mut outage: Option<(Instant, u64)> = None;
        let mut waiting_for_lease = false;
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
                    if sleep_or_cancel(self.cfg.lease_retry, &shutdown).await {
                        break;
                    }
                    continue;
                }
                Err(e) => {
                    self.note_failure(&e, &mut outage);
                    if sleep_or_cancel(backoff.next(), &shutdown).await {
                        break;
                    }
                    continue;
                }
            }

            match self.round().await {
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
                        // The outbox may hold more: go again at once.
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
                    if sleep_or_cancel(backoff.next(), &shutdown).await {
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
            "relay stopped"
        );
        Ok(())
    }

    /// One pass: publishes what the outbox holds now (batch after batch, until a batch
    /// comes back smaller than `batch_size`) and returns how many events JetStream
    /// acknowledged. Takes the relay lease first if this relay does not hold it yet.
    ///
    /// On an error, the events acknowledged before it are removed from the outbox (and
    /// counted in [`RelayStats::published`]) and the others stay for the next pass.
    pub async fn publish_pending(&self) -> Result<usize, RelayError> {
        if !self.acquire_lease().await? {
            return Err(RelayError::LeaseHeldElsewhere);
        }
        let mut total = 0;
        loop {
            let round = self.round().await?;
            total += round.published;
            if round.fetched < self.cfg.batch_size {
                return Ok(total);
            }
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
                match self.round().await {
                    Ok(round) if round.fetched == 0 => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(e),
                }
            }
        };
        match tokio::time::timeout(self.cfg.shutdown_flush, flush).await {
            Ok(Ok(())) => tracing::info!("relay flushed the outbox"),
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

    /// One round: read a batch of the outbox, publish it (at most one event per
    /// stream in flight), remove what was acknowledged.
    async fn round(&self) -> Result<Round, RelayError> {
        // Publishing while disconnected would only queue copies of events in the client,
        // to go out after the reconnect; wait for the client to be connected instead.
        if self.js.client().connection_state() != State::Connected {
            return Err(RelayError::NatsUnavailable);
        }
        let batch = self.store.outbox_batch(self.cfg.batch_size).await?;
        let fetched = batch.len();
        if fetched == 0 {
            self.stats.inner.set_outbox_len(0);
            self.stats.inner.set_healthy(true);
            return Ok(Round::default());
        }

        let mut queues = group_by_stream(batch);
        let mut done: Vec<i64> = Vec::with_capacity(fetched);
        let mut duplicates = 0u64;
        let mut failure: Option<RelayError> = None;

        // Each stream's events go one after the other: its next event is sent as soon as
        // the previous one's ack arrives, while the other streams' publishes are in
        // flight too (pipelining across streams, never within one).
        let timeout = self.cfg.ack_timeout;
        let mut in_flight = FuturesUnordered::new();
        // Set when sending itself fails (the client cannot take messages): send no more.
        let mut send_failed = false;
        for (queue, events) in queues.iter_mut().enumerate() {
            if let Some(event) = events.pop_front() {
                match self.send(queue, event, timeout).await {
                    Ok(ack) => in_flight.push(ack),
                    Err(e) => {
                        failure.get_or_insert(e);
                        send_failed = true;
                        break;
                    }
                }
            }
        }
        // Await every ack of what was sent, even after a failure: what was acknowledged
        // leaves the outbox now rather than being republished.
        while let Some((meta, result)) = in_flight.next().await {
            let error = match result {
                Ok(Ok(ack)) => {
                    // A duplicate ack means JetStream already holds the event
                    // (republished after a crash or a lost ack): a success.
                    if ack.duplicate {
                        duplicates += 1;
                    }
                    done.push(meta.position);
                    if !send_failed && let Some(next) = queues[meta.queue].pop_front() {
                        match self.send(meta.queue, next, timeout).await {
                            Ok(ack) => in_flight.push(ack),
                            Err(e) => {
                                failure.get_or_insert(e);
                                send_failed = true;
                            }
                        }
                    }
                    continue;
                }
                Ok(Err(source)) => RelayError::Publish {
                    event_id: meta.event_id,
                    subject: meta.subject,
                    source,
                },
                Err(_elapsed) => RelayError::AckTimeout {
                    event_id: meta.event_id,
                    timeout,
                },
            };
            // The later events of this stream must not go out before this one: leave them
            // out of the round (they stay in the outbox). Other streams go on.
            queues[meta.queue].clear();
            failure.get_or_insert(error);
        }

        let published = done.len();
        if !done.is_empty() {
            // Only now, after the acks, do the rows leave the outbox. A crash before this
            // line republishes these events, and the duplicate window drops the copies.
            self.store.outbox_done(&done).await?;
            self.stats.inner.add_published(published as u64, duplicates);
        }
        if let Some(e) = failure {
            return Err(e);
        }
        self.stats.inner.set_healthy(true);
        if fetched < self.cfg.batch_size {
            // The batch held the whole outbox as of the read, and all of it is published.
            self.stats.inner.set_outbox_len(0);
        } else {
            self.refresh_outbox_len(false).await;
        }
        Ok(Round { fetched, published })
    }

    /// Sends one event; the returned future resolves to its ack (or times out).
    async fn send(
        &self,
        queue: usize,
        event: StoredEvent,
        timeout: Duration,
    ) -> Result<impl Future<Output = (Sent, AckResult)> + use<>, RelayError> {
        let meta = Sent {
            queue,
            position: event.position,
            event_id: event.event_id,
            subject: event.subject.clone(),
        };
        let message = PublishMessage::build()
            .headers(event_headers(&event))
            .payload(Bytes::from(event.payload));
        match self.js.send_publish(event.subject, message).await {
            Ok(ack) => Ok(async move {
                let result = tokio::time::timeout(timeout, ack.into_future()).await;
                (meta, result)
            }),
            Err(source) => Err(RelayError::Publish {
                event_id: meta.event_id,
                subject: meta.subject,
                source,
            }),
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
    /// Index of the event's stream queue in the round.
    queue: usize,
    position: i64,
    event_id: Uuid,
    subject: String,
}

/// Groups a batch by stream, each stream's events in stream-version order; streams in
/// the order of their oldest event in the batch.
fn group_by_stream(batch: Vec<StoredEvent>) -> Vec<VecDeque<StoredEvent>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut queues: Vec<Vec<StoredEvent>> = Vec::new();
    for event in batch {
        let i = *index.entry(event.stream_id.clone()).or_insert_with(|| {
            queues.push(Vec::new());
            queues.len() - 1
        });
        queues[i].push(event);
    }
    queues
        .into_iter()
        .map(|mut q| {
            q.sort_by_key(|e| e.stream_version);
            VecDeque::from(q)
        })
        .collect()
}

/// Sleeps for `d` unless `shutdown` is cancelled first; true when cancelled.
async fn sleep_or_cancel(d: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = shutdown.cancelled() => true,
    }
}

/// Exponential backoff from 100 ms, doubling, capped.
struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    const START: Duration = Duration::from_millis(100);

    fn new(max: Duration) -> Self {
        Self {
            next: Self::START.min(max),
            max,
        }
    }

    fn next(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    fn reset(&mut self) {
        self.next = Self::START.min(self.max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let mut b = Backoff::new(Duration::from_millis(500));
        let seq: Vec<_> = (0..5).map(|_| b.next().as_millis()).collect();
        assert_eq!(seq, [100, 200, 400, 500, 500]);
        b.reset();
        assert_eq!(b.next().as_millis(), 100);
    }
}
