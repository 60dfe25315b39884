//! What the feeds and the gRPC services share: the read models, which generation is
//! served, how far it has applied, the change notifications watchers wait on, and the
//! rebuild in progress.
//!
//! Promotion of a rebuilt generation happens under the same lock as every live batch:
//! once the rebuild's checkpoint has reached the live one, no live batch can slip in
//! between the check and the switch. After the switch, the live feed applies to the
//! new generation; messages it delivers that the rebuild already applied are at or
//! below the new generation's checkpoint and are skipped.
//!
//! A query reads one generation from start to end: it holds a [`Served`] guard while it
//! runs, and the rows of a generation no longer served are deleted only once every query
//! that began before the switch has finished.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use saman_runtime::telemetry;
use tokio::sync::{Mutex, RwLock, RwLockReadGuard, broadcast, watch};
use tracing::Instrument;

use crate::readmodel::{ApplyReport, Incoming, ReadModelError, ReadModels};

/// Zones whose read models changed in one commit; `all` after a promotion or a change
/// of the programme's dates.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub zones: BTreeSet<String>,
    pub all: bool,
}

impl Change {
    pub fn touches(&self, zone: &str) -> bool {
        self.all || self.zones.contains(zone)
    }
}

#[derive(Clone)]
pub struct State(Arc<Inner>);

struct Inner {
    models: ReadModels,
    served: AtomicU64,
    /// Held shared by each query for as long as it reads `served`, and exclusively by
    /// a promotion before it deletes the generation it replaced.
    readers: RwLock<()>,
    apply: Mutex<()>,
    position: watch::Sender<u64>,
    changes: broadcast::Sender<Arc<Change>>,
    /// The generation being rebuilt and the position it reached.
    rebuild: std::sync::Mutex<Option<(u64, u64)>>,
    feed_ready: AtomicBool,
}

/// The generation a query reads, held for it (see [`State::served`]).
pub struct Served<'a> {
    pub generation: u64,
    _guard: RwLockReadGuard<'a, ()>,
}

/// A read-your-writes wait that ran out.
#[derive(Debug, thiserror::Error)]
#[error("the projection has not applied what was asked within {0:?}")]
pub struct NotYet(pub Duration);

impl State {
    pub async fn open(models: ReadModels) -> Result<Self, ReadModelError> {
        let served = models.current_generation().await?;
        let position = models.position(served).await?;
        let (changes, _) = broadcast::channel(256);
        metrics::gauge!("saman_projection_generation").set(served as f64);
        metrics::gauge!("saman_projection_position").set(position as f64);
        // No rebuild yet in this process; the lag is known after the first batch.
        metrics::gauge!("saman_projection_rebuild_position").set(0.0);
        metrics::gauge!("saman_projection_pending_events").set(0.0);
        Ok(Self(Arc::new(Inner {
            models,
            served: AtomicU64::new(served),
            readers: RwLock::new(()),
            apply: Mutex::new(()),
            position: watch::Sender::new(position),
            changes,
            rebuild: std::sync::Mutex::new(None),
            feed_ready: AtomicBool::new(false),
        })))
    }

    pub fn models(&self) -> &ReadModels {
        &self.0.models
    }

    /// The generation queries read.
    pub fn generation(&self) -> u64 {
        self.0.served.load(Ordering::SeqCst)
    }

    /// The served generation, kept (its rows not deleted by a promotion) until the
    /// guard is dropped.
    pub async fn served(&self) -> Served<'_> {
        let guard = self.0.readers.read().await;
        Served {
            generation: self.generation(),
            _guard: guard,
        }
    }

    /// The last JetStream sequence the served generation applied.
    pub fn position(&self) -> u64 {
        *self.0.position.borrow()
    }

    /// The position applied, as it changes (the latest value, never a backlog).
    pub fn watch_position(&self) -> watch::Receiver<u64> {
        self.0.position.subscribe()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.0.changes.subscribe()
    }

    pub fn set_feed_ready(&self, ready: bool) {
        self.0.feed_ready.store(ready, Ordering::SeqCst);
    }

    pub fn feed_ready(&self) -> bool {
        self.0.feed_ready.load(Ordering::SeqCst)
    }

    /// The rebuild in progress: (generation, position reached).
    pub fn rebuild(&self) -> Option<(u64, u64)> {
        *self.0.rebuild.lock().expect("rebuild status lock")
    }

    /// Claims the rebuild slot for `generation`; false if a rebuild already runs.
    pub fn begin_rebuild(&self, generation: u64) -> bool {
        let mut rebuild = self.0.rebuild.lock().expect("rebuild status lock");
        if rebuild.is_some() {
            return false;
        }
        *rebuild = Some((generation, 0));
        true
    }

    pub fn end_rebuild(&self) {
        *self.0.rebuild.lock().expect("rebuild status lock") = None;
    }

    /// Applies a live batch to the served generation.
    pub async fn apply_live(&self, batch: &[Incoming]) -> Result<(), ReadModelError> {
        let _guard = self.0.apply.lock().await;
        let started = std::time::Instant::now();
        // One span per batch (one transaction), linked to the trace of every submission
        // whose event it applies.
        let span = tracing::info_span!("apply_batch", feed = "live", events = batch.len());
        for message in batch {
            if let Some(traceparent) = &message.traceparent {
                telemetry::add_link(&span, traceparent);
            }
        }
        let report = self
            .0
            .models
            .apply(self.generation(), batch)
            .instrument(span)
            .await?;
        record_batch("live", &report, started.elapsed());
        metrics::gauge!("saman_projection_position").set(report.position as f64);
        if report.parked > 0 {
            tracing::warn!(
                parked = report.parked,
                conflicts = report.conflicts,
                "events parked; see ProjectionAdmin.ListParked"
            );
        }
        self.0.position.send_replace(report.position);
        if !report.zones_changed.is_empty() {
            let _ = self.0.changes.send(Arc::new(Change {
                zones: report.zones_changed,
                all: false,
            }));
        }
        Ok(())
    }

    /// Applies a batch to the generation being rebuilt.
    pub async fn apply_rebuild(
        &self,
        generation: u64,
        batch: &[Incoming],
    ) -> Result<(), ReadModelError> {
        let started = std::time::Instant::now();
        let report = self.0.models.apply(generation, batch).await?;
        record_batch("rebuild", &report, started.elapsed());
        metrics::gauge!("saman_projection_rebuild_position").set(report.position as f64);
        if let Some(status) = self.0.rebuild.lock().expect("rebuild status lock").as_mut() {
            status.1 = report.position;
        }
        Ok(())
    }

    /// Promotes `generation` if it has caught up with the served one.
    pub async fn try_promote(&self, generation: u64) -> Result<bool, ReadModelError> {
        let _guard = self.0.apply.lock().await;
        let live = self.0.models.position(self.generation()).await?;
        let rebuilt = self.0.models.position(generation).await?;
        if rebuilt < live {
            return Ok(false);
        }
        let replaced = self.generation();
        self.0.models.promote(generation).await?;
        self.0.served.store(generation, Ordering::SeqCst);
        self.0.position.send_replace(rebuilt);
        // Queries that began before the switch may still be reading the replaced
        // generation: its rows go once they are done.
        let no_readers = self.0.readers.write().await;
        self.0.models.discard(replaced).await?;
        drop(no_readers);
        metrics::gauge!("saman_projection_generation").set(generation as f64);
        metrics::gauge!("saman_projection_position").set(rebuilt as f64);
        let _ = self.0.changes.send(Arc::new(Change {
            zones: BTreeSet::new(),
            all: true,
        }));
        tracing::info!(
            generation,
            position = rebuilt,
            "rebuilt read models promoted"
        );
        Ok(true)
    }

    /// Waits (at most `wait`) until the served generation has applied position
    /// `min_position` and every (stream, version) of `after`; returns the position.
    pub async fn wait_for(
        &self,
        min_position: u64,
        after: &[(String, u64)],
        wait: Duration,
    ) -> Result<u64, WaitError> {
        let mut positions = self.0.position.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Mark the current value seen before checking, so a change made while
            // checking wakes the wait below.
            let position = *positions.borrow_and_update();
            if position >= min_position && self.applied_all(after).await? {
                if after.is_empty() {
                    return Ok(position);
                }
                // A batch may have committed between reading `position` and finding the
                // writes applied (the channel is told after the commit): the checkpoint,
                // committed with that batch, names a position that covers them.
                let checkpoint = self.0.models.position(self.generation()).await?;
                return Ok(position.max(checkpoint));
            }
            if tokio::time::timeout_at(deadline, positions.changed())
                .await
                .is_err()
            {
                return Err(WaitError::NotYet(NotYet(wait)));
            }
        }
    }

    async fn applied_all(&self, after: &[(String, u64)]) -> Result<bool, ReadModelError> {
        let generation = self.generation();
        for (stream, version) in after {
            if !self
                .0
                .models
                .has_applied(generation, stream, *version)
                .await?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error(transparent)]
    NotYet(#[from] NotYet),
    #[error(transparent)]
    ReadModel(#[from] ReadModelError),
}

/// One applied batch in the metrics: events applied, skipped as duplicates, parked
/// (conflicts included), parked as conflicts, and how long the batch took, per feed
/// (`live` or `rebuild`).
fn record_batch(feed: &'static str, report: &ApplyReport, elapsed: Duration) {
    metrics::counter!("saman_projection_events_applied_total", "feed" => feed)
        .increment(report.applied as u64);
    metrics::counter!("saman_projection_events_duplicate_total", "feed" => feed)
        .increment(report.duplicates as u64);
    metrics::counter!("saman_projection_events_parked_total", "feed" => feed)
        .increment(report.parked as u64);
    metrics::counter!("saman_projection_events_conflict_total", "feed" => feed)
        .increment(report.conflicts as u64);
    metrics::histogram!("saman_projection_batch_duration_seconds", "feed" => feed)
        .record(elapsed.as_secs_f64());
}
