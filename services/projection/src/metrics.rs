//! Every metric the projection exports with its HELP text (docs/operations.md lists
//! them with their labels); the counters are present at 0 from the start, for both
//! feeds.

use saman_runtime::metrics::Described;

/// The label sets of a counter by feed.
const FEEDS: &[&[(&str, &str)]] = &[&[("feed", "live")], &[("feed", "rebuild")]];

pub const ALL: &[Described] = &[
    Described::counter_of(
        "saman_projection_requests_total",
        "queries and admin calls answered, by RPC and gRPC status",
        &[],
    ),
    Described::histogram(
        "saman_projection_request_duration_seconds",
        "time from a call's arrival to its answer (for a watch, how long it lasted), in seconds",
    ),
    Described::counter_of(
        "saman_projection_events_applied_total",
        "events applied to the read models, by feed",
        FEEDS,
    ),
    Described::counter_of(
        "saman_projection_events_duplicate_total",
        "messages skipped as already applied (redeliveries, copies), by feed",
        FEEDS,
    ),
    Described::counter_of(
        "saman_projection_events_parked_total",
        "events parked (conflicts included), by feed",
        FEEDS,
    ),
    Described::counter_of(
        "saman_projection_events_conflict_total",
        "messages parked as conflicts: another event id at a (stream, version) already applied",
        FEEDS,
    ),
    Described::histogram(
        "saman_projection_batch_duration_seconds",
        "time per applied batch (one transaction with its checkpoint), in seconds, by feed",
    ),
    Described::gauge(
        "saman_projection_position",
        "the JetStream sequence the served read models have applied",
    ),
    Described::gauge(
        "saman_projection_pending_events",
        "what the durable consumer still had to deliver after the last batch (the lag)",
    ),
    Described::gauge(
        "saman_projection_generation",
        "the generation of the read models served",
    ),
    Described::gauge(
        "saman_projection_rebuild_position",
        "how far the last rebuild got",
    ),
];
