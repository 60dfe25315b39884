-- Saman intake event store, PostgreSQL flavour. Keep it equivalent to ../sqlite/0001_event_store.sql:
-- the store's SQL text is shared by both backends.
--
-- Instants are unix microseconds (UTC) in bigint, like on SQLite, so both backends store
-- and return exactly the same values.

-- Every event ever recorded. `position` is the global order of insertion. Identity values are
-- handed out before commit, so they can COMMIT out of order: readers must not treat the
-- highest position they saw as a watermark (the relay works from the outbox instead).
CREATE TABLE events (
    position        bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid    NOT NULL UNIQUE,
    stream_id       text    NOT NULL,
    stream_version  bigint  NOT NULL CHECK (stream_version >= 1),
    event_type      text    NOT NULL,
    schema_version  integer NOT NULL CHECK (schema_version >= 0),
    subject         text    NOT NULL,
    submission_id   uuid    NOT NULL,
    occurred_at_us  bigint  NOT NULL,
    recorded_at_us  bigint  NOT NULL,
    -- the encoded protobuf envelope, published verbatim
    payload         bytea   NOT NULL,
    UNIQUE (stream_id, stream_version)
);

-- The current version of every stream that has events: the optimistic-concurrency point.
-- A writer moves it with `UPDATE ... WHERE version = <expected>` and checks the row count; a
-- concurrent writer of the same stream blocks on the row lock, then matches 0 rows.
CREATE TABLE streams (
    stream_id  text    PRIMARY KEY,
    version    bigint  NOT NULL CHECK (version >= 1)
);

-- Idempotency: one row per accepted submission, with the reply that was sent.
-- No foreign key from events: these rows may be pruned one day without touching history.
CREATE TABLE submissions (
    submission_id   uuid    PRIMARY KEY,
    request_hash    bytea   NOT NULL CHECK (octet_length(request_hash) = 32),
    stream_id       text    NOT NULL,
    reply           bytea   NOT NULL,
    recorded_at_us  bigint  NOT NULL
);

-- Events committed but not yet published to JetStream. Written in the same transaction as the
-- events, deleted by the relay only after JetStream acknowledged them.
CREATE TABLE outbox (
    position  bigint  PRIMARY KEY REFERENCES events (position)
);
