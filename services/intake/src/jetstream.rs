//! The JetStream side of the relay: the settings of the one stream Saman publishes to
//! and the NATS connection settings.
//!
//! The contract for downstream subscribers (stream name, subjects, headers, payload) is
//! the `saman-contract` crate's, documented in `docs/events.md`.
//!
//! Compatibility: the cluster may run nats-server 2.9 (Debian's 2.9.10), while
//! async-nats 0.51 targets 2.10+. Everything here stays within what 2.9 accepts: the
//! stream config never sets compression, subject transforms, metadata, first sequence,
//! message TTLs or other 2.10+ fields (async-nats leaves them out of the JSON while they
//! are unset), and the headers are plain strings.

use std::time::Duration;

use async_nats::jetstream::{
    self,
    stream::{Config, DiscardPolicy, Info, RetentionPolicy, StorageType},
};
use saman_contract::{STREAM_NAME, STREAM_SUBJECTS};
use saman_runtime::flags::NatsFlags;

use crate::relay::RelayError;

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

/// Connects to the servers of `nats` (TLS and credentials as `saman_runtime::nats`
/// sets them up) with [`connect_options`] and returns the client with a JetStream
/// context whose API requests and publish acks time out after `timeout`. Returns at
/// once even if NATS is down (the connection is made in the background).
pub async fn connect(
    nats: &NatsFlags,
    client_name: &str,
    timeout: Duration,
) -> Result<(async_nats::Client, jetstream::Context), RelayError> {
    let client = saman_runtime::nats::connect(nats, connect_options(client_name))
        .await
        .map_err(|e| RelayError::Connect(Box::new(e)))?;
    let js = jetstream::ContextBuilder::new()
        .timeout(timeout)
        .build(client.clone());
    Ok((client, js))
}
