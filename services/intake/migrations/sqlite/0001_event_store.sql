-- Saman intake event store, SQLite flavour. Keep it equivalent to ../postgres/0001_event_store.sql:
-- the store's SQL text is shared by both backends.
--
-- UUIDs are stored as hyphenated lower-case text, instants as unix microseconds (UTC).
-- STRICT tables reject values of the wrong type instead of silently coercing them.

-- Every event ever recorded. `position` is the global order of insertion: AUTOINCREMENT so a
-- position is never reused, even if the newest rows were ever deleted.
CREATE TABLE events (
    position        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT    NOT NULL UNIQUE,
    stream_id       TEXT    NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version >= 1),
    event_type      TEXT    NOT NULL,
    schema_version  INTEGER NOT NULL CHECK (schema_version >= 0),
    subject         TEXT    NOT NULL,
    submission_id   TEXT    NOT NULL,
    occurred_at_us  INTEGER NOT NULL,
    recorded_at_us  INTEGER NOT NULL,
    -- the encoded protobuf envelope, published verbatim
    payload         BLOB    NOT NULL,
    UNIQUE (stream_id, stream_version)
) STRICT;

-- The current version of every stream that has events: the optimistic-concurrency point.
-- A writer moves it with `UPDATE ... WHERE version = <expected>` and checks the row count.
CREATE TABLE streams (
    stream_id  TEXT    PRIMARY KEY,
    version    INTEGER NOT NULL CHECK (version >= 1)
) STRICT, WITHOUT ROWID;

-- Idempotency: one row per accepted submission, with the reply that was sent.
-- No foreign key from events: these rows may be pruned one day without touching history.
CREATE TABLE submissions (
    submission_id   TEXT    PRIMARY KEY,
    request_hash    BLOB    NOT NULL CHECK (length(request_hash) = 32),
    stream_id       TEXT    NOT NULL,
    reply           BLOB    NOT NULL,
    recorded_at_us  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Events committed but not yet published to JetStream. Written in the same transaction as the
-- events, deleted by the relay only after JetStream acknowledged them.
CREATE TABLE outbox (
    position  INTEGER PRIMARY KEY REFERENCES events (position)
) STRICT;
