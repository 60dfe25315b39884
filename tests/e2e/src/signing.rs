//! Signed events for the tests: one event signing key per test process (like its token
//! issuer), which every intake the toolkit starts signs with and every projection it
//! starts trusts, in-process and as binaries; and publishing on the events subjects as
//! someone other than intake, signed as intake would or not.

use std::sync::OnceLock;

use async_nats::jetstream::publish::PublishAck;
use saman_harness::{NatsServer, NatsUser, TestEventKeys};

/// The event signing key of this test process.
pub fn event_keys() -> &'static TestEventKeys {
    static KEYS: OnceLock<TestEventKeys> = OnceLock::new();
    KEYS.get_or_init(|| TestEventKeys::generate().expect("an event signing key for the tests"))
}

/// The headers that sign `payload` with the test process's key, as intake signs its
/// events.
pub fn signed(payload: &[u8]) -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    for (name, value) in event_keys().signature_headers(payload) {
        headers.insert(name, value);
    }
    headers
}

/// Publishes `payload` with `headers` on `subject` of `nats`, from a connection of its
/// own as the unrestricted test user (the only one besides intake that NATS lets
/// publish on the events subjects), as someone other than intake would (no
/// `Nats-Msg-Id` unless `headers` has one): what a test puts on the events stream
/// itself goes through here. Returns JetStream's ack.
pub async fn publish_directly(
    nats: &NatsServer,
    subject: String,
    headers: async_nats::HeaderMap,
    payload: Vec<u8>,
) -> anyhow::Result<PublishAck> {
    let client = nats.connect(NatsUser::Admin).await?;
    let js = async_nats::jetstream::new(client);
    let ack = js
        .publish_with_headers(subject, headers, payload.into())
        .await?;
    Ok(ack.await?)
}
