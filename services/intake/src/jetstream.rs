//! The JetStream side of the relay: the one stream Saman publishes to, the NATS
//! connection settings, and the headers every event message carries.
//!
//! The contract for downstream subscribers (stream, subjects, headers, payload) is
//! documented in `docs/events.md`; keep the two in step.
//!
//! Compatibility: the cluster may run nats-server 2.9 (Debian's 2.9.10), while
//! async-nats 0.51 targets 2.10+. Everything here stays within what 2.9 accepts: the
//! stream config never sets compression, subject transforms, metadata, first sequence,
//! message TTLs or other 2.10+ fields (async-nats leaves them out of the JSON while they
//! are unset), and the headers are plain strings.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::connection::State;
use async_nats::jetstream::{
    self,
    stream::{Config, DiscardPolicy, Info, RetentionPolicy, StorageType},
};

use crate::relay::RelayError;
use crate::store::StoredEvent;

/// Name of the JetStream stream that holds every Saman event.
pub const STREAM_NAME: &str = "SAMAN_EVENTS";
/// Common prefix of every event subject: `saman.events.v1.<kind>.<key>.<EventType>`.
pub const SUBJECT_PREFIX: &str = "saman.events.v1";
/// The subjects the stream captures.
pub const STREAM_SUBJECTS: &str = "saman.events.v1.>";

/// JetStream deduplication id: the event id (UUIDv7). A message published again with
/// the same id within the stream's duplicate window is acknowledged but not stored.
pub const HEADER_MSG_ID: &str = "Nats-Msg-Id";
/// The event id (UUIDv7), same value as `Nats-Msg-Id`; kept after the window passes.
pub const HEADER_EVENT_ID: &str = "Saman-Event-Id";
/// The event type, e.g. `NeedDeclared` (the case of `Envelope.body`).
pub const HEADER_EVENT_TYPE: &str = "Saman-Event-Type";
/// Schema version of the event type (starts at 1).
pub const HEADER_SCHEMA_VERSION: &str = "Saman-Schema-Version";
/// The stream (aggregate) id, e.g. `zone.zone-01`.
pub const HEADER_STREAM_ID: &str = "Saman-Stream-Id";
/// Version of the event within its stream: 1, 2, 3, ... without gaps.
pub const HEADER_STREAM_VERSION: &str = "Saman-Stream-Version";
/// The client-generated submission id that produced the event.
pub const HEADER_SUBMISSION_ID: &str = "Saman-Submission-Id";
/// Global position of the event in the intake event store (diagnostics; not gap-free).
pub const HEADER_POSITION: &str = "Saman-Position";
/// MIME type of the payload.
pub const HEADER_CONTENT_TYPE: &str = "Content-Type";
/// W3C trace context of the submission that produced the event (its intake span), when
/// it had one: a subscriber's work can join the submitter's trace.
pub const HEADER_TRACEPARENT: &str = "traceparent";

/// Value of `Content-Type`: a protobuf-encoded `saman.events.v1.Envelope`.
pub const CONTENT_TYPE_ENVELOPE: &str = "application/protobuf; proto=saman.events.v1.Envelope";

/// The JetStream stream the relay publishes to, created or updated at start-up by
/// [`ensure_stream`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// Stream name, `SAMAN_EVENTS`.
    pub name: String,
    /// Subjects captured, `["saman.events.v1.>"]`.
    pub subjects: Vec<String>,
    /// How long JetStream remembers a `Nats-Msg-Id` to drop a republished event.
    /// It must exceed the longest time between a publish and the removal of its outbox
    /// row (a crash in between republishes on restart), hence minutes, not seconds.
    pub duplicate_window: Duration,
    /// Replicas of each message: 1 on a single server, 3 on the production cluster.
    pub replicas: usize,
    /// Drop messages older than this; `None` keeps the whole history (the default:
    /// the projection rebuilds from the first event). Must exceed `duplicate_window`.
    pub max_age: Option<Duration>,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            name: STREAM_NAME.to_owned(),
            subjects: vec![STREAM_SUBJECTS.to_owned()],
            duplicate_window: Duration::from_secs(10 * 60),
            replicas: 1,
            max_age: None,
        }
    }
}

impl StreamSettings {
    /// The full stream config for a new stream: file storage, limits retention (events
    /// stay for every consumer, they are the history), discard old (only relevant if a
    /// limit is ever set), the subjects, the duplicate window and the replicas.
    pub fn to_config(&self) -> Config {
        Config {
            name: self.name.clone(),
            subjects: self.subjects.clone(),
            storage: StorageType::File,
            retention: RetentionPolicy::Limits,
            discard: DiscardPolicy::Old,
            duplicate_window: self.duplicate_window,
            num_replicas: self.replicas.max(1),
            max_age: self.max_age.unwrap_or(Duration::ZERO),
            description: Some("Saman events (saman.events.v1), see docs/events.md".to_owned()),
            ..Default::default()
        }
    }

    /// Applies these settings to the config of an existing stream, keeping whatever
    /// else the server holds (its normalised limits, placement, ...). Returns the names
    /// of the fields that changed; empty when the stream already matches.
    fn apply_to(&self, config: &mut Config) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut have = config.subjects.clone();
        let mut want = self.subjects.clone();
        have.sort();
        want.sort();
        if have != want {
            config.subjects = self.subjects.clone();
            changed.push("subjects");
        }
        if config.storage != StorageType::File {
            // The server refuses to change the storage of a stream; let it say so.
            config.storage = StorageType::File;
            changed.push("storage");
        }
        if config.retention != RetentionPolicy::Limits {
            config.retention = RetentionPolicy::Limits;
            changed.push("retention");
        }
        if config.duplicate_window != self.duplicate_window {
            config.duplicate_window = self.duplicate_window;
            changed.push("duplicate_window");
        }
        if config.num_replicas.max(1) != self.replicas.max(1) {
            config.num_replicas = self.replicas.max(1);
            changed.push("replicas");
        }
        let max_age = self.max_age.unwrap_or(Duration::ZERO);
        if config.max_age != max_age {
            config.max_age = max_age;
            changed.push("max_age");
        }
        changed
    }
}

/// Creates the stream if it does not exist, or updates it when its subjects, storage,
/// retention, duplicate window, replicas or max age differ from `settings`. Returns the
/// stream's info as the server reports it after the call.
///
/// Safe to call from every replica at start-up: creating an identical stream twice is
/// accepted by the server, and an update only happens when something differs.
pub async fn ensure_stream(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<Info, RelayError> {
    let wanted = settings.to_config();
    let stream_err = |action: &'static str| {
        let name = settings.name.clone();
        move |source| RelayError::Stream {
            stream: name,
            action,
            source,
        }
    };
    let stream = js
        .get_or_create_stream(wanted)
        .await
        .map_err(stream_err("create"))?;
    let info = stream.cached_info().clone();
    let mut config = info.config.clone();
    let changed = settings.apply_to(&mut config);
    if changed.is_empty() {
        tracing::debug!(stream = %settings.name, "JetStream stream is up to date");
        return Ok(info);
    }
    tracing::info!(stream = %settings.name, ?changed, "updating the JetStream stream");
    js.update_stream(&config)
        .await
        .map_err(stream_err("update"))
}

/// The headers of the JetStream message of one stored event (see `docs/events.md`).
pub fn event_headers(event: &StoredEvent) -> HeaderMap {
    let event_id = event.event_id.to_string();
    let mut headers = HeaderMap::new();
    headers.insert(HEADER_MSG_ID, event_id.as_str());
    headers.insert(HEADER_EVENT_ID, event_id);
    headers.insert(HEADER_EVENT_TYPE, event.event_type.as_str());
    headers.insert(HEADER_SCHEMA_VERSION, event.schema_version.to_string());
    headers.insert(HEADER_STREAM_ID, event.stream_id.as_str());
    headers.insert(HEADER_STREAM_VERSION, event.stream_version.to_string());
    headers.insert(HEADER_SUBMISSION_ID, event.submission_id.to_string());
    headers.insert(HEADER_POSITION, event.position.to_string());
    headers.insert(HEADER_CONTENT_TYPE, CONTENT_TYPE_ENVELOPE);
    if let Some(traceparent) = &event.traceparent {
        headers.insert(HEADER_TRACEPARENT, traceparent.as_str());
    }
    headers
}

/// The size of the messages the NATS server takes, as last seen: its `max_payload` (the
/// largest message a client may publish, headers included; 1 MiB unless configured), read
/// from the server's `INFO` each time the relay looks (every relay round and every lease
/// attempt, and once the stream is set up), so a reconnect to a server with another
/// limit is seen within a round.
///
/// The writer checks events against [`PublishLimit::max_event_bytes`] before recording
/// them: an event the server would refuse must not reach the outbox, where it would block
/// its stream (see `relay.rs`). Cheap to clone: the clones share the value.
#[derive(Debug, Clone)]
pub struct PublishLimit {
    max_payload: Arc<AtomicUsize>,
}

impl PublishLimit {
    /// nats-server's default `max_payload` (1 MiB), assumed until a server was seen.
    pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

    /// A limit at [`Self::DEFAULT_MAX_PAYLOAD`] until [`Self::observe`] sees a server.
    pub fn new() -> Self {
        Self::with_max_payload(Self::DEFAULT_MAX_PAYLOAD)
    }

    /// A limit with the given `max_payload` (tests, or a value known from elsewhere).
    pub fn with_max_payload(max_payload: usize) -> Self {
        Self {
            max_payload: Arc::new(AtomicUsize::new(max_payload)),
        }
    }

    /// The server's `max_payload` in bytes, as last seen.
    pub fn max_payload(&self) -> usize {
        self.max_payload.load(Ordering::Relaxed)
    }

    /// The largest encoded event (protobuf envelope) intake should record: half of the
    /// server's `max_payload`, well under it, leaving room for the message headers (about
    /// 500 bytes) and for a server whose limit is somewhat lower than the one seen.
    pub fn max_event_bytes(&self) -> usize {
        self.max_payload() / 2
    }

    /// Reads the `max_payload` of the server `client` is connected to, if it is connected
    /// (otherwise the last value stays); returns the value now held.
    pub fn observe(&self, client: &async_nats::Client) -> usize {
        if client.connection_state() == State::Connected
            && let Some(info) = client.try_server_info()
            && info.max_payload > 0
        {
            let previous = self.max_payload.swap(info.max_payload, Ordering::Relaxed);
            if previous != info.max_payload {
                tracing::info!(
                    max_payload = info.max_payload,
                    previous,
                    max_event_bytes = info.max_payload / 2,
                    "NATS server's max_payload"
                );
            }
            return info.max_payload;
        }
        self.max_payload()
    }
}

impl Default for PublishLimit {
    fn default() -> Self {
        Self::new()
    }
}

/// Connection options for the intake's NATS client.
///
/// `retry_on_initial_connect`: intake must start and accept submissions while NATS is
/// unreachable (they wait in the outbox), so the first connection is made in the
/// background instead of failing start-up; the client then reconnects forever
/// (`max_reconnects(None)`). A 10 s ping notices a dead server whose socket stays open.
pub fn connect_options(client_name: &str) -> async_nats::ConnectOptions {
    async_nats::ConnectOptions::new()
        .name(client_name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .ping_interval(Duration::from_secs(10))
}

/// Connects to `url` with [`connect_options`] and returns the client with a JetStream
/// context whose API requests and publish acks time out after `timeout`. Returns at
/// once even if NATS is down (the connection is made in the background).
pub async fn connect(
    url: &str,
    client_name: &str,
    timeout: Duration,
) -> Result<(async_nats::Client, jetstream::Context), RelayError> {
    let client = connect_options(client_name)
        .connect(url)
        .await
        .map_err(|e| RelayError::Connect(Box::new(e)))?;
    let js = jetstream::ContextBuilder::new()
        .timeout(timeout)
        .build(client.clone());
    Ok((client, js))
}
