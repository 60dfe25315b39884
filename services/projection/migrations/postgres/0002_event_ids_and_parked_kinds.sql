-- Conflicts and kinds of parked messages, PostgreSQL flavour. Keep it equivalent to
-- ../sqlite/0002_event_ids_and_parked_kinds.sql.

-- The event id applied at each (stream, version), as stored (a NUL character becomes
-- U+FFFD, at most 64 characters): a message with the same (stream, version) and the same
-- event id is a copy (a duplicate, skipped), with another event id a conflict (parked).
-- NULL for rows written before this migration: such a (stream, version) is a duplicate,
-- as it was.
ALTER TABLE applied ADD COLUMN event_id text;

-- Why a message was parked: 'unreadable' (not an envelope, or one without a valid stream
-- id or version), 'refused' (an event the read models cannot apply), 'conflict' (another
-- event id at an applied (stream, version)), 'db_refused' (the database refused to store
-- it, for good).
ALTER TABLE parked ADD COLUMN kind text NOT NULL DEFAULT 'refused'
    CHECK (kind IN ('unreadable', 'refused', 'conflict', 'db_refused'));
UPDATE parked SET kind = 'unreadable'
    WHERE reason LIKE 'cannot decode a saman.events.v1.Envelope%'
       OR reason LIKE 'the envelope has no stream id or version%';
