//! The writer: the one task that decides commands and appends their events.
//!
//! Submissions queue on a channel; the writer takes whatever has queued (up to
//! `max_batch`) and handles it as one batch:
//! 1. retries are answered from the store (same submission id and content: the
//!    first reply; other content: ALREADY_EXISTS);
//! 2. the in-memory [`World`] is brought up to date for the streams the batch reads:
//!    one query for their versions, and only the events it has not seen are read
//!    (they exist only if another intake replica wrote them);
//! 3. each command is decided in order against the World, and its events are folded
//!    in at once, so later commands of the batch see them;
//! 4. the whole batch is appended in one transaction (group commit), and each caller
//!    gets its reply only after that transaction committed.
//!
//! How state is loaded: at start-up the writer folds the event history once into
//! the World (every aggregate is small); afterwards a command never re-reads its
//! stream. If the store refuses part of a batch (another replica won a race) or
//! fails, the World is rebuilt from the store before the next batch, so it never
//! holds an event that was not committed.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;
use saman_contract::{self as contract, EventMeta};
use saman_domain::{Command, Decided, StreamId, World};
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::error::IntakeError;
use crate::publish_limit::PublishLimit;
use crate::reply::{Recorded, RecordedEvent};
use crate::store::{Append, AppendOutcome, EventStore, NewEvent, StoreError};

/// How many events the start-up fold reads per query.
const FOLD_PAGE: usize = 5_000;

/// A queued submission.
struct Job {
    command: Command,
    request_hash: [u8; 32],
    /// The W3C `traceparent` of the submission's span, stored with its events.
    trace: Option<String>,
    reply: oneshot::Sender<Result<Recorded, IntakeError>>,
}

/// What the writer task takes from its queue.
enum Msg {
    Submit(Box<Job>),
    /// A copy of the in-memory state, for diagnosis and tests (see [`Writer::state`]).
    State(oneshot::Sender<World>),
}

/// The handle request handlers use; cheap to clone. When every handle is dropped,
/// the writer finishes the queued batch and stops.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Msg>,
}

#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// At most this many submissions per transaction.
    pub max_batch: usize,
    /// Submissions waiting for the writer; callers wait when it is full.
    pub queue: usize,
    /// The largest event that can be published: a command whose event is larger is
    /// refused, never recorded, so no event can hold its stream back in the outbox.
    pub publish_limit: PublishLimit,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            max_batch: 256,
            queue: 4096,
            publish_limit: PublishLimit::new(),
        }
    }
}

/// The hash that tells a retry from a different submission with the same id.
pub fn request_hash(rpc: &str, encoded_request: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(rpc.as_bytes());
    hasher.update([0]);
    hasher.update(encoded_request);
    hasher.finalize().into()
}

impl Writer {
    /// Folds the history into memory, then starts the writer task. `committed` is
    /// notified after each commit (the relay waits on it).
    pub async fn start(
        store: EventStore,
        committed: Arc<Notify>,
        config: WriterConfig,
    ) -> Result<(Writer, JoinHandle<()>), StoreError> {
        let world = fold_history(&store).await?;
        let (jobs, queue) = mpsc::channel(config.queue);
        let task = WriterTask {
            store,
            world,
            stale: false,
            committed,
            max_batch: config.max_batch.max(1),
            publish_limit: config.publish_limit,
        };
        let handle = tokio::spawn(task.run(queue));
        Ok((Writer { jobs }, handle))
    }

    /// Queues a command and waits until it is committed (or refused): what it
    /// recorded (or, for a retry, what the first try recorded).
    pub async fn submit(
        &self,
        command: Command,
        request_hash: [u8; 32],
        trace: Option<String>,
    ) -> Result<Recorded, IntakeError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            command,
            request_hash,
            trace,
            reply,
        };
        self.jobs
            .send(Msg::Submit(Box::new(job)))
            .await
            .map_err(|_| IntakeError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| IntakeError::Unavailable("the writer stopped before answering".into()))?
    }

    /// A copy of the state the writer decides on, as of the last batch: what a restart
    /// must fold back from the store (tests compare the two).
    pub async fn state(&self) -> Result<World, IntakeError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Msg::State(reply))
            .await
            .map_err(|_| IntakeError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| IntakeError::Unavailable("the writer stopped before answering".into()))
    }
}

/// The state folded from every event of the store: what the writer starts from.
pub async fn fold_history(store: &EventStore) -> Result<World, StoreError> {
    let mut world = World::new();
    let mut after = 0;
    loop {
        let page = store.read_all(after, FOLD_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        for stored in &page {
            fold(&mut world, &stored.payload)?;
        }
    }
    Ok(world)
}

fn fold(world: &mut World, payload: &[u8]) -> Result<(), StoreError> {
    let decoded = contract::decode(payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    world
        .apply(
            &decoded.stream,
            decoded.version,
            decoded.judged_at(),
            &decoded.event,
        )
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

struct WriterTask {
    store: EventStore,
    world: World,
    /// The World may hold events the store does not: rebuild before deciding.
    stale: bool,
    committed: Arc<Notify>,
    max_batch: usize,
    publish_limit: PublishLimit,
}

/// A decided job waiting for its commit.
struct Pending {
    job: Job,
    recorded: Recorded,
}

impl WriterTask {
    async fn run(mut self, mut queue: mpsc::Receiver<Msg>) {
        let mut carried: Vec<Job> = Vec::new();
        loop {
            let mut batch = std::mem::take(&mut carried);
            let mut asking = Vec::new();
            if batch.is_empty() {
                match queue.recv().await {
                    Some(Msg::Submit(job)) => batch.push(*job),
                    Some(Msg::State(reply)) => asking.push(reply),
                    None => break,
                }
            }
            while batch.len() < self.max_batch {
                match queue.try_recv() {
                    Ok(Msg::Submit(job)) => batch.push(*job),
                    Ok(Msg::State(reply)) => asking.push(reply),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                self.answer_state(asking).await;
                continue;
            }
            let size = batch.len();
            let started = std::time::Instant::now();
            carried = self.handle(batch).await;
            let elapsed = started.elapsed();
            metrics::histogram!("saman_intake_batch_size").record(size as f64);
            metrics::histogram!("saman_intake_batch_duration_seconds")
                .record(elapsed.as_secs_f64());
            tracing::debug!(size, ?elapsed, "batch handled");
            self.answer_state(asking).await;
        }
        tracing::info!("writer stopped: no more submissions");
    }

    /// Sends a copy of the World to each who asked; rebuilt first if it may hold
    /// events the store does not.
    async fn answer_state(&mut self, asking: Vec<oneshot::Sender<World>>) {
        if asking.is_empty() {
            return;
        }
        if self.stale {
            match fold_history(&self.store).await {
                Ok(world) => {
                    self.world = world;
                    self.stale = false;
                }
                // The askers see the writer as unavailable; the next batch retries.
                Err(_) => return,
            }
        }
        for reply in asking {
            let _ = reply.send(self.world.clone());
        }
    }

    /// Handles one batch; returns the jobs to try again in the next one.
    async fn handle(&mut self, batch: Vec<Job>) -> Vec<Job> {
        if self.stale {
            match fold_history(&self.store).await {
                Ok(world) => {
                    self.world = world;
                    self.stale = false;
                }
                Err(err) => return fail_all(batch, err),
            }
        }
        let (batch, carried) = split_repeated_ids(batch);
        let batch = match self.answer_retries(batch).await {
            Ok(batch) => batch,
            Err((batch, err)) => {
                let mut carried = carried;
                carried.extend(fail_all(batch, err));
                return carried;
            }
        };
        if batch.is_empty() {
            return carried;
        }
        if let Err(err) = self.catch_up(&batch).await {
            self.stale = true;
            let mut carried = carried;
            carried.extend(fail_all(batch, err));
            return carried;
        }

        let now = saman_domain::calendar::to_micros(Timestamp::now());
        let mut pending = Vec::with_capacity(batch.len());
        let mut appends = Vec::with_capacity(batch.len());
        for job in batch {
            match self.world.decide(&job.command, now) {
                Err(err) => {
                    let _ = job.reply.send(Err(err.into()));
                }
                Ok(decided) => match self.record(&job, decided, now) {
                    Ok((append, recorded)) => {
                        appends.push(append);
                        pending.push(Pending { job, recorded });
                    }
                    Err(err @ IntakeError::EventTooLarge { .. }) => {
                        // Refused before anything was folded in: the World is intact.
                        let _ = job.reply.send(Err(err));
                    }
                    Err(err) => {
                        self.stale = true;
                        let _ = job.reply.send(Err(err));
                    }
                },
            }
        }
        if appends.is_empty() {
            return carried;
        }

        let mut carried = carried;
        match self.store.append(&appends).await {
            Err(err) => {
                // The transaction may or may not have committed; the callers retry
                // with the same submission ids, which is safe either way.
                self.stale = true;
                for p in pending {
                    let _ = p.job.reply.send(Err(IntakeError::Store(err.to_string())));
                }
            }
            Ok(outcomes) => {
                for (p, outcome) in pending.into_iter().zip(outcomes) {
                    match outcome {
                        AppendOutcome::Appended { .. } => {
                            metrics::counter!("saman_intake_events_recorded_total")
                                .increment(p.recorded.events.len() as u64);
                            let _ = p.job.reply.send(Ok(p.recorded));
                        }
                        AppendOutcome::Duplicate(prior) => {
                            // Another replica recorded this submission meanwhile.
                            self.stale = true;
                            let answer =
                                answer_from_prior(&p.job, &prior.request_hash, &prior.reply);
                            let _ = p.job.reply.send(answer);
                        }
                        AppendOutcome::Conflict { .. } => {
                            // Another replica appended to the stream meanwhile:
                            // decide again on fresh state.
                            self.stale = true;
                            carried.push(p.job);
                        }
                    }
                }
                self.committed.notify_one();
            }
        }
        carried
    }

    /// Answers submissions already recorded; returns the others.
    async fn answer_retries(&self, batch: Vec<Job>) -> Result<Vec<Job>, (Vec<Job>, StoreError)> {
        let ids: Vec<Uuid> = batch.iter().map(|j| j.command.meta.submission.0).collect();
        let prior = match self.store.submissions(&ids).await {
            Ok(prior) => prior,
            Err(err) => return Err((batch, err)),
        };
        if prior.is_empty() {
            return Ok(batch);
        }
        let mut fresh = Vec::with_capacity(batch.len());
        for job in batch {
            match prior.get(&job.command.meta.submission.0) {
                Some(p) => {
                    let answer = answer_from_prior(&job, &p.request_hash, &p.reply);
                    let _ = job.reply.send(answer);
                }
                None => fresh.push(job),
            }
        }
        Ok(fresh)
    }

    /// Reads the events other replicas appended to the streams the batch reads.
    async fn catch_up(&mut self, batch: &[Job]) -> Result<(), StoreError> {
        let streams: HashSet<StreamId> = batch
            .iter()
            .flat_map(|j| j.command.body.streams_read(&j.command.meta.actor))
            .collect();
        let ids: Vec<String> = streams.iter().map(ToString::to_string).collect();
        let versions = self.store.stream_versions(&ids).await?;
        for stream in &streams {
            let known = self.world.version(stream);
            let stored = versions.get(&stream.to_string()).copied().unwrap_or(0);
            if stored > known {
                for event in self.store.read_stream(&stream.to_string(), known).await? {
                    fold(&mut self.world, &event.payload)?;
                }
            }
        }
        Ok(())
    }

    /// Turns decided events into an append, folds them into the World, and says what
    /// was recorded: what the caller (and every retry) is answered.
    fn record(
        &mut self,
        job: &Job,
        decided: Decided,
        now: Timestamp,
    ) -> Result<(Append, Recorded), IntakeError> {
        let meta = &job.command.meta;
        let stream_id = decided.stream.to_string();
        let mut events = Vec::with_capacity(decided.events.len());
        let mut recorded = Vec::with_capacity(decided.events.len());
        let mut version = decided.expected_version;
        for event in &decided.events {
            version += 1;
            let event_meta = EventMeta {
                event_id: Uuid::now_v7(),
                stream: decided.stream.clone(),
                stream_version: version,
                submission: meta.submission.0,
                actor: meta.actor.clone(),
                principal: meta.principal.clone(),
                occurred_at: meta.occurred_at,
                recorded_at: now,
                received_at: meta.received_at,
                vouch: meta.vouch.clone(),
            };
            let payload = contract::encode(&event_meta, event);
            // What is recorded must read back as itself, or a restart would fold another
            // state than the one decided on: checked on every event, before it is kept.
            match contract::decode(&payload) {
                Ok(back)
                    if back.event == *event
                        && back.occurred_at == meta.occurred_at
                        && back.judged_at() == meta.judged_at() => {}
                other => {
                    tracing::error!(?event, read_back = ?other.map(|d| d.event), "an event would not read back as itself");
                    return Err(IntakeError::Unreadable(event.event_type()));
                }
            }
            let limit = self.publish_limit.max_event_bytes();
            if payload.len() > limit {
                return Err(IntakeError::EventTooLarge {
                    bytes: payload.len(),
                    limit,
                });
            }
            let subject = contract::subject(&decided.stream, event.event_type());
            recorded.push(RecordedEvent {
                event_id: event_meta.event_id,
                event_type: event.event_type().to_owned(),
                version,
                subject: subject.clone(),
            });
            events.push(NewEvent {
                event_id: event_meta.event_id,
                event_type: event.event_type().to_owned(),
                schema_version: event.schema_version(),
                stream_version: version,
                subject,
                occurred_at_us: micros(meta.occurred_at),
                recorded_at_us: micros(now),
                payload,
                traceparent: job.trace.clone(),
            });
        }
        // Only now, with every event known to fit, does the World learn of them.
        for (event, version) in decided.events.iter().zip(decided.expected_version + 1..) {
            self.world
                .apply(&decided.stream, version, meta.judged_at(), event)
                .map_err(|e| IntakeError::Store(StoreError::Corrupt(e.to_string()).to_string()))?;
        }
        let recorded = Recorded {
            submission: meta.submission,
            stream: decided.stream,
            version,
            events: recorded,
            entity_id: decided.entity_id,
            late: decided.late,
        };
        let append = Append {
            submission_id: meta.submission.0,
            request_hash: job.request_hash,
            reply: recorded.encode(),
            stream_id,
            expected_version: decided.expected_version,
            events,
        };
        Ok((append, recorded))
    }
}

fn micros(ts: Timestamp) -> i64 {
    ts.as_microsecond()
}

/// The same submission id twice in one batch (a client retrying before the first
/// try was answered): the later ones wait for the next batch, where they are
/// answered as retries.
fn split_repeated_ids(batch: Vec<Job>) -> (Vec<Job>, Vec<Job>) {
    let mut seen = HashSet::with_capacity(batch.len());
    batch
        .into_iter()
        .partition(|job| seen.insert(job.command.meta.submission.0))
}

fn answer_from_prior(
    job: &Job,
    prior_hash: &[u8; 32],
    prior_reply: &[u8],
) -> Result<Recorded, IntakeError> {
    if *prior_hash != job.request_hash {
        return Err(IntakeError::SubmissionReused(
            job.command.meta.submission.0.to_string(),
        ));
    }
    Recorded::decode(prior_reply)
        .map_err(|e| IntakeError::Store(format!("stored reply cannot be decoded: {e}")))
}

/// Answers every job with the store's error; nothing is carried over.
fn fail_all(batch: Vec<Job>, err: StoreError) -> Vec<Job> {
    tracing::error!(error = %err, jobs = batch.len(), "batch failed");
    for job in batch {
        let _ = job.reply.send(Err(IntakeError::Store(err.to_string())));
    }
    Vec::new()
}
