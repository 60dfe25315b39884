//! The intake service: the write side of Saman.
//!
//! Layout:
//! - [`edge`]: the gRPC service; wire requests become domain commands here;
//! - [`writer`]: the one task that decides commands against the in-memory state and
//!   appends their events in batches (group commit);
//! - [`store`]: the event store on sqlx (SQLite or PostgreSQL): events, stream
//!   versions, submissions (idempotency) and the outbox, with embedded migrations;
//! - [`codec`]: domain events <-> `saman.events.v1.Envelope` bytes;
//! - [`relay`] and [`jetstream`]: the outbox published to NATS JetStream;
//! - [`server`], [`config`]: wiring and flags (telemetry and signals: `saman-runtime`);
//! - [`error`]: the one error type, and the gRPC status of each error.
#![forbid(unsafe_code)]

pub mod codec;
pub mod config;
pub mod edge;
pub mod error;
pub mod jetstream;
pub mod relay;
pub mod server;
pub mod store;
pub mod writer;
