//! The size of the messages the NATS server takes: the relay reads it, the writer checks
//! events against it before recording them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_nats::connection::State;

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
