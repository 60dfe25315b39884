//! Feeding the read models from JetStream.
//!
//! The live feed is a durable pull consumer (explicit ack, bounded ack-pending,
//! back-off on redelivery). Messages are applied in batches: the read models apply a
//! batch and record its checkpoint in ONE transaction, and only then are the
//! messages acknowledged. A crash before the commit redelivers them; a crash after it
//! redelivers messages whose positions are at or below the checkpoint, which the read
//! models skip; a copy of an event published twice is skipped on (stream, version).
//! So every event counts exactly once.
//!
//! The checkpoint is also a promise that nothing below it is missing. JetStream does
//! not keep that order for us: messages a killed process received but never
//! acknowledged come back only after the ack wait, while newer ones arrive at once.
//! So before a batch is applied, any position between the checkpoint and the batch
//! that has not arrived is fetched from the stream by sequence and applied first
//! ([`fill_gaps`]); when the late originals arrive they are skipped as redeliveries.
//!
//! A rebuild feeds a new generation from an ordered consumer that starts at the first
//! event, while the live feed keeps the served generation current; once the rebuild
//! has caught up with the live feed it is promoted (see [`crate::state`]).
//!
//! Both feeds check every message's signature against the event keys as it arrives
//! ([`Incoming::unverified`]), the same way live, in a gap fill and in a rebuild: what
//! intake did not sign is parked by the read models, never applied.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, consumer::pull};
use futures::{FutureExt, StreamExt};
use saman_contract::{
    EventKeys, HEADER_KEY_ID, HEADER_SIGNATURE, HEADER_TRACEPARENT, STREAM_SUBJECTS, Unverified,
};
use saman_runtime::backoff::Backoff;
use tokio_util::sync::CancellationToken;

use crate::readmodel::Incoming;
use crate::state::State;

#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub stream: String,
    pub consumer: String,
    pub ack_wait: Duration,
    pub max_ack_pending: i64,
    pub batch: usize,
    /// The keys events must be signed with; `None`: not checked
    /// (`--insecure-unverified-events`).
    pub event_keys: Option<Arc<EventKeys>>,
}

impl FeedConfig {
    fn durable(&self) -> pull::Config {
        pull::Config {
            durable_name: Some(self.consumer.clone()),
            description: Some("Saman projection: read models".into()),
            deliver_policy: consumer::DeliverPolicy::All,
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: self.ack_wait,
            // Redeliveries wait longer each time; the last delay repeats.
            backoff: vec![self.ack_wait, self.ack_wait * 2, self.ack_wait * 4],
            // The server wants a limit above the back-off's length (-1 is refused with
            // a back-off on 2.9). Events that cannot be applied are parked, not left
            // unacknowledged, so only an outage of the read models' database leads to
            // redeliveries: 1000 of them at the longest delay is days.
            max_deliver: 1000,
            max_ack_pending: self.max_ack_pending,
            filter_subject: STREAM_SUBJECTS.into(),
            ..Default::default()
        }
    }
}

/// Waits until the stream exists, then feeds the served generation until `stop`.
/// Errors (NATS or database) are logged and retried with a back-off.
pub async fn run_live(
    js: jetstream::Context,
    config: FeedConfig,
    state: State,
    stop: CancellationToken,
) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    let mut warned = false;
    while !stop.is_cancelled() {
        match live_once(&js, &config, &state, &stop).await {
            Ok(()) => return,
            Err(err) => {
                if !warned {
                    tracing::warn!(error = %err, "the live feed stopped; retrying");
                    warned = true;
                } else {
                    tracing::debug!(error = %err, "the live feed stopped again; retrying");
                }
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff.next_pause()) => {}
        }
    }
}

async fn live_once(
    js: &jetstream::Context,
    config: &FeedConfig,
    state: &State,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let stream = js.get_stream(&config.stream).await?;
    let consumer: consumer::Consumer<pull::Config> = stream
        .get_or_create_consumer(&config.consumer, config.durable())
        .await?;
    state.set_feed_ready(true);
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(config.batch.min(1000))
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await?;
    loop {
        let first = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            next = messages.next() => next,
        };
        let Some(first) = first else {
            anyhow::bail!("the consumer's message stream ended");
        };
        let (incoming, batch) = drain(first?, &mut messages, config)?;
        // What the consumer still has to deliver after this batch: the projection's lag.
        if let Some(info) = batch.last().and_then(|m| m.info().ok()) {
            metrics::gauge!("saman_projection_pending_events").set(info.pending as f64);
        }
        let incoming = fill_gaps(&stream, state.position(), incoming, config).await?;
        state.apply_live(&incoming).await?;
        // Acknowledged only after the commit: see the module's comment.
        for message in &batch {
            message
                .ack()
                .await
                .map_err(|e| anyhow::anyhow!("ack: {e}"))?;
        }
    }
}

/// Feeds `generation` from the first event with an ordered consumer until it has
/// caught up with the live feed, then promotes it.
pub async fn run_rebuild(
    js: jetstream::Context,
    config: FeedConfig,
    state: State,
    generation: u64,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let stream = js.get_stream(&config.stream).await?;
    let ordered = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: STREAM_SUBJECTS.into(),
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await?;
    let mut messages = ordered.messages().await?;
    loop {
        // Caught up with what the live feed has applied: promote under the apply lock,
        // so no live batch lands in between.
        if state.try_promote(generation).await? {
            return Ok(());
        }
        let next = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            next = tokio::time::timeout(Duration::from_millis(200), messages.next()) => next,
        };
        let Ok(next) = next else {
            // Nothing new for a moment: check again whether the live feed is reached.
            continue;
        };
        let Some(first) = next else {
            anyhow::bail!("the rebuild's message stream ended");
        };
        let first = first.map_err(|e| anyhow::anyhow!("{e}"))?;
        let (incoming, _) = drain(first, &mut messages, &config)?;
        state.apply_rebuild(generation, &incoming).await?;
    }
}

/// The first message and whatever else has already arrived (up to `max`), without
/// waiting: one transaction per batch.
fn drain<S, E>(
    first: jetstream::Message,
    messages: &mut S,
    config: &FeedConfig,
) -> anyhow::Result<(Vec<Incoming>, Vec<jetstream::Message>)>
where
    S: futures::Stream<Item = Result<jetstream::Message, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut batch = vec![first];
    while batch.len() < config.batch {
        match messages.next().now_or_never() {
            Some(Some(message)) => batch.push(message.map_err(|e| anyhow::anyhow!("{e}"))?),
            _ => break,
        }
    }
    let incoming = batch
        .iter()
        .map(|m| {
            let position = m
                .info()
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .stream_sequence;
            Ok(incoming(
                config,
                position,
                m.subject.to_string(),
                m.payload.clone(),
                m.headers.as_ref(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((incoming, batch))
}

/// The batch in stream order, preceded by every position after `checkpoint` that has
/// not arrived, fetched from the stream (a position the stream no longer holds, e.g.
/// deleted, is left out: there is nothing to apply).
async fn fill_gaps(
    stream: &jetstream::stream::Stream,
    checkpoint: u64,
    mut batch: Vec<Incoming>,
    config: &FeedConfig,
) -> anyhow::Result<Vec<Incoming>> {
    batch.sort_by_key(|m| m.position);
    let mut filled = Vec::with_capacity(batch.len());
    // Positions below the stream's first one were removed from it (purged): skip them.
    let mut next = (checkpoint + 1).max(stream.cached_info().state.first_sequence);
    for message in batch {
        while next < message.position {
            match stream.get_raw_message(next).await {
                Ok(raw) => filled.push(incoming(
                    config,
                    next,
                    raw.subject.to_string(),
                    raw.payload,
                    Some(&raw.headers),
                )),
                Err(err)
                    if matches!(
                        err.kind(),
                        async_nats::jetstream::stream::LastRawMessageErrorKind::NoMessageFound
                    ) => {}
                Err(err) => anyhow::bail!("fetching position {next} from the stream: {err}"),
            }
            next += 1;
        }
        next = next.max(message.position + 1);
        filled.push(message);
    }
    Ok(filled)
}

/// A message as the read models take it, its signature checked.
fn incoming(
    config: &FeedConfig,
    position: u64,
    subject: String,
    payload: bytes::Bytes,
    headers: Option<&async_nats::HeaderMap>,
) -> Incoming {
    let header = |name: &str| headers.and_then(|h| h.get(name)).map(|v| v.as_str());
    Incoming {
        position,
        subject,
        traceparent: header(HEADER_TRACEPARENT).map(str::to_owned),
        unverified: verify(config.event_keys.as_deref(), &payload, header),
        payload,
    }
}

/// Why the message is not believed, if it is not (nothing is checked without keys).
fn verify<'h>(
    keys: Option<&EventKeys>,
    payload: &[u8],
    header: impl Fn(&str) -> Option<&'h str>,
) -> Option<Unverified> {
    keys?
        .verify(payload, header(HEADER_KEY_ID), header(HEADER_SIGNATURE))
        .err()
}
