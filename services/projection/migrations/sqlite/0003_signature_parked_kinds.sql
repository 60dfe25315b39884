-- Parked kinds for messages intake did not sign, SQLite flavour. Keep it equivalent to
-- ../postgres/0003_signature_parked_kinds.sql.
--
-- 'unsigned' (no signature), 'unknown_key' (a key the projection does not hold),
-- 'malformed_signature' (signature headers that are not the contract's), 'bad_signature'
-- (a signature that does not verify). SQLite cannot change a CHECK constraint: the table
-- is made again with the wider one and its rows copied.
CREATE TABLE parked_new (
    generation    INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    subject       TEXT    NOT NULL,
    event_id      TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    payload       BLOB    NOT NULL,
    parked_at_us  INTEGER NOT NULL,
    kind          TEXT    NOT NULL DEFAULT 'refused'
        CHECK (kind IN ('unreadable', 'refused', 'conflict', 'db_refused', 'unsigned',
                        'unknown_key', 'malformed_signature', 'bad_signature')),
    PRIMARY KEY (generation, position)
) STRICT, WITHOUT ROWID;
INSERT INTO parked_new (generation, position, subject, event_id, reason, payload,
                        parked_at_us, kind)
    SELECT generation, position, subject, event_id, reason, payload, parked_at_us, kind
    FROM parked;
DROP TABLE parked;
ALTER TABLE parked_new RENAME TO parked;
