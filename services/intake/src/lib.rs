//! The intake service: the write side of Saman.
//!
//! Layout:
//! - [`edge`]: the gRPC service; wire requests become domain commands here;
//! - [`writer`]: the one task that decides commands against the in-memory state and
//!   appends their events in batches (group commit);
//! - [`reply`]: what a submission recorded, and its one wire form (the gRPC reply,
//!   also kept for retries);
//! - [`store`]: the event store on sqlx (SQLite or PostgreSQL): events, stream
//!   versions, submissions (idempotency) and the outbox, with embedded migrations;
//! - [`relay`] and [`jetstream`]: the outbox published to NATS JetStream, events encoded
//!   and named by the event contract (`saman-contract`); [`publish_limit`]: the largest
//!   message the NATS server takes, read by the relay and checked by the writer;
//! - [`server`], [`config`]: wiring and flags (telemetry and signals: `saman-runtime`);
//! - [`error`]: the one error type, and the gRPC status of each error.
#![forbid(unsafe_code)]

pub mod config;
pub mod edge;
pub mod error;
pub mod jetstream;
pub mod metrics;
pub mod publish_limit;
pub mod relay;
pub mod reply;
pub mod server;
pub mod store;
pub mod writer;
