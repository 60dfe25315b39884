//! Reading back what intake wrote: the event store, and the JetStream stream (its
//! messages, their order, and the projection's durable consumer).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_nats::jetstream;
use prost::Message;
use saman_harness::{NatsServer, NatsUser};
use saman_intake::store::{EventStore, StoredEvent};
use saman_proto::events::v1 as events;

/// The JetStream stream intake publishes to (the event contract's default).
pub const STREAM: &str = saman_contract::STREAM_NAME;

/// Every event in the store, in position order.
pub async fn stored_events(database_url: &str) -> anyhow::Result<Vec<StoredEvent>> {
    let store = EventStore::open(database_url, 2).await?;
    let mut all = Vec::new();
    loop {
        let after = all.last().map(|e: &StoredEvent| e.position).unwrap_or(0);
        let page = store.read_all(after, 10_000).await?;
        if page.is_empty() {
            break;
        }
        all.extend(page);
    }
    store.close().await;
    Ok(all)
}

/// One message of the JetStream stream.
#[derive(Debug, Clone)]
pub struct Published {
    pub sequence: u64,
    pub subject: String,
    pub headers: HashMap<String, String>,
    pub envelope: events::Envelope,
}

/// A JetStream context on `nats` as its read-only `subscriber` user (what any downstream
/// consumer may see).
async fn reader(nats: &NatsServer) -> anyhow::Result<jetstream::Context> {
    Ok(jetstream::new(nats.connect(NatsUser::Subscriber).await?))
}

/// Waits until the stream holds at least `expected` messages; returns the stream and
/// its last sequence.
pub async fn wait_stream_count(
    nats: &NatsServer,
    expected: u64,
    timeout: Duration,
) -> anyhow::Result<(jetstream::stream::Stream, u64)> {
    let js = reader(nats).await?;
    let deadline = Instant::now() + timeout;
    let mut stream = loop {
        match js.get_stream(STREAM).await {
            Ok(stream) => break stream,
            Err(err) if Instant::now() > deadline => bail!("no stream {STREAM}: {err}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    loop {
        let info = stream.info().await?;
        let count = info.state.messages;
        if count >= expected {
            let last = info.state.last_sequence;
            return Ok((stream, last));
        }
        if Instant::now() > deadline {
            bail!("the stream holds {count} messages after {timeout:?}, expected {expected}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every message of the stream, in stream order, once at least `expected` are there
/// (waiting up to `timeout`).
pub async fn published(
    nats: &NatsServer,
    expected: u64,
    timeout: Duration,
) -> anyhow::Result<Vec<Published>> {
    let (stream, last) = wait_stream_count(nats, expected, timeout).await?;
    let mut messages = Vec::with_capacity(usize::try_from(last)?);
    for sequence in 1..=last {
        let raw = stream.get_raw_message(sequence).await?;
        let headers = raw
            .headers
            .iter()
            .map(|(name, values)| {
                let value = values
                    .first()
                    .map(|v| v.as_str().to_owned())
                    .unwrap_or_default();
                (name.to_string(), value)
            })
            .collect();
        messages.push(Published {
            sequence,
            subject: raw.subject.to_string(),
            headers,
            envelope: events::Envelope::decode(raw.payload)
                .with_context(|| format!("message {sequence} is not an Envelope"))?,
        });
    }
    Ok(messages)
}

/// The message of the event `event_id` on the stream, once it is there (waiting up to
/// 30 s).
pub async fn published_event(nats: &NatsServer, event_id: &str) -> anyhow::Result<Published> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let head = stream_head(nats).await?;
        let all = published(nats, head, Duration::from_secs(30)).await?;
        if let Some(m) = all.into_iter().find(|m| m.envelope.event_id == event_id) {
            return Ok(m);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "event {event_id} is not on the stream"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asserts that each event id appears once and that every stream's versions arrive
/// as 1, 2, 3 ... in stream order.
pub fn assert_exactly_once_in_order(messages: &[Published]) {
    let mut seen = HashSet::new();
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for m in messages {
        assert!(
            seen.insert(m.envelope.event_id.as_str()),
            "event {} published twice",
            m.envelope.event_id
        );
        let last = versions.entry(m.envelope.stream_id.as_str()).or_insert(0);
        assert_eq!(
            m.envelope.stream_version,
            *last + 1,
            "stream {} out of order at message {}",
            m.envelope.stream_id,
            m.sequence
        );
        *last = m.envelope.stream_version;
    }
}

/// The last sequence of the events stream (0 when it does not exist yet).
pub async fn stream_head(nats: &NatsServer) -> anyhow::Result<u64> {
    let js = reader(nats).await?;
    let Ok(mut stream) = js.get_stream(STREAM).await else {
        return Ok(0);
    };
    Ok(stream.info().await?.state.last_sequence)
}

/// Waits (at most `timeout`) until the durable consumer `consumer` has delivered
/// every message and had each acknowledged (nothing pending, nothing awaiting an
/// ack): whatever the projection behind it will ever apply, it has applied. Reads as
/// the `projection` user (a subscriber may not look at the projection's consumer).
pub async fn wait_consumer_drained(
    nats: &NatsServer,
    consumer: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    let js = jetstream::new(nats.connect(NatsUser::Projection).await?);
    let mut consumer: jetstream::consumer::PullConsumer = js
        .get_stream(STREAM)
        .await?
        .get_consumer(consumer)
        .await
        .map_err(|e| anyhow::anyhow!("the consumer {consumer}: {e}"))?;
    let deadline = Instant::now() + timeout;
    loop {
        let info = consumer.info().await?;
        if info.num_pending == 0 && info.num_ack_pending == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "the consumer {} still has {} messages pending and {} awaiting an ack after {timeout:?}",
                info.name,
                info.num_pending,
                info.num_ack_pending
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
