//! The event contract of Saman in one place: what intake records and publishes, and
//! what every subscriber reads (`docs/events.md` is its description for people).
//!
//! - [`nats`]: the JetStream stream, the subject scheme and the headers of a message;
//! - [`encode`](mod@encode): a domain event and its metadata -> a
//!   `saman.events.v1.Envelope`, the bytes the event store keeps and JetStream carries;
//! - [`decode`](mod@decode): those bytes -> the domain event and its metadata
//!   ([`Recorded`]): [`decode`](decode()) for intake, which reads back only what it
//!   recorded, and [`decode_published`] for a subscriber, which meets whatever was
//!   published;
//! - [`signing`]: intake's signature on every event it publishes, and checking one.
//!
//! Decoding is strict where a value is a key or a date (stream ids, codes, ids intake
//! issued, days, instants) and lenient where a value was checked only when it was
//! accepted (texts, counts, budgets, the actor): those read back as they are, so a rule
//! made stricter later never makes a recorded event unreadable.
#![forbid(unsafe_code)]

pub mod decode;
pub mod encode;
pub mod nats;
pub mod signing;

pub use decode::{
    DecodeError, PublishedEvent, Recorded, approach_from_pb, decode, decode_published,
    priority_from_pb,
};
pub use encode::{
    EventMeta, actor_to_pb, approach_to_pb, attestation_to_pb, claimed_time_to_pb, encode,
    envelope, principal_to_pb, priority_to_pb, timestamp,
};
pub use nats::{
    CONTENT_TYPE_ENVELOPE, ENVELOPE_MESSAGE, EventHeaders, HEADER_CONTENT_TYPE, HEADER_EVENT_ID,
    HEADER_EVENT_TYPE, HEADER_KEY_ID, HEADER_MSG_ID, HEADER_POSITION, HEADER_SCHEMA_VERSION,
    HEADER_SIGNATURE, HEADER_STREAM_ID, HEADER_STREAM_VERSION, HEADER_SUBMISSION_ID,
    HEADER_TRACEPARENT, STREAM_NAME, STREAM_SUBJECTS, SUBJECT_PREFIX, subject,
};
pub use signing::{EventKeys, EventSigner, KeyError, Unverified};
