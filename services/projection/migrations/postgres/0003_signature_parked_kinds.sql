-- Parked kinds for messages intake did not sign, PostgreSQL flavour. Keep it equivalent
-- to ../sqlite/0003_signature_parked_kinds.sql.
--
-- 'unsigned' (no signature), 'unknown_key' (a key the projection does not hold),
-- 'malformed_signature' (signature headers that are not the contract's), 'bad_signature'
-- (a signature that does not verify).
ALTER TABLE parked DROP CONSTRAINT parked_kind_check;
ALTER TABLE parked ADD CONSTRAINT parked_kind_check
    CHECK (kind IN ('unreadable', 'refused', 'conflict', 'db_refused', 'unsigned',
                    'unknown_key', 'malformed_signature', 'bad_signature'));
