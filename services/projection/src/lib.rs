//! The projection service: the read side of Saman.
//!
//! Layout:
//! - [`consumer`]: the live feed (a durable JetStream pull consumer) and the rebuild
//!   feed (an ordered consumer from the first event);
//! - [`readmodel`]: the read models in SQL (SQLite or PostgreSQL): applying events with
//!   their checkpoint in one transaction, generations for rebuilds, parked events, and
//!   the queries (each "as of" a day, returning plain results);
//! - [`state`]: what the feeds and the services share: the served generation, its
//!   position, change notifications, the rebuild in progress;
//! - [`service`]: the gRPC services `Projection` (queries) and `ProjectionAdmin`;
//! - [`reply`]: the gRPC replies, built from the read models' plain results;
//! - [`web`]: the web page for people (plain HTML) beside gRPC;
//! - [`request`]: request values parsed with the domain's types, for both edges;
//! - [`error`]: the edges' error type, mapped once to a gRPC status and once to an
//!   HTTP response;
//! - [`server`], [`config`]: wiring and flags.
#![forbid(unsafe_code)]

pub mod config;
pub mod consumer;
pub mod error;
pub mod metrics;
pub mod readmodel;
pub mod reply;
pub mod request;
pub mod server;
pub mod service;
pub mod state;
pub mod web;
