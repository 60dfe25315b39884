//! Every metric intake exports with its HELP text (docs/operations.md lists them with
//! their labels); the counters are present at 0 from the start.

use saman_runtime::metrics::Described;

pub const ALL: &[Described] = &[
    Described::counter_of(
        "saman_intake_submissions_total",
        "submissions answered, by RPC and gRPC status",
        &[],
    ),
    Described::histogram(
        "saman_intake_submission_duration_seconds",
        "time from a submission's arrival to its answer (parse, queue, decide, commit), in seconds",
    ),
    Described::histogram(
        "saman_intake_batch_size",
        "submissions per writer batch (group commit)",
    ),
    Described::histogram(
        "saman_intake_batch_duration_seconds",
        "time the writer took per batch, in seconds",
    ),
    Described::counter(
        "saman_intake_events_recorded_total",
        "events committed to the event store by this process",
    ),
    Described::counter(
        "saman_intake_events_published_total",
        "events acknowledged by JetStream, duplicates included",
    ),
    Described::counter(
        "saman_intake_events_published_duplicate_total",
        "acknowledgements JetStream flagged as duplicates (a republish after a crash or a lost ack)",
    ),
    Described::gauge(
        "saman_intake_outbox_events",
        "events committed but not yet acknowledged by JetStream",
    ),
    Described::gauge(
        "saman_intake_relay_healthy",
        "1 when the relay's last round published everything it read and no stream is blocked",
    ),
    Described::gauge(
        "saman_intake_relay_lease",
        "1 on the replica that holds the relay lease (publishes), 0 on the others",
    ),
    Described::counter(
        "saman_intake_relay_failed_rounds_total",
        "relay rounds that failed (NATS down, ack timeout, store error)",
    ),
    Described::counter(
        "saman_intake_relay_refused_events_total",
        "events the NATS client or JetStream refused, once each when it blocked its stream",
    ),
    Described::gauge(
        "saman_intake_relay_blocked_streams",
        "streams held back now by a refused event (it and their later events wait in the outbox)",
    ),
];
