-- The timeline's principal and claimed time, SQLite flavour. Keep it equivalent to
-- ../postgres/0003_timeline_principal_and_claimed_time.sql.

-- Who was authenticated (the token's issuer and subject), empty for events recorded
-- without authentication; what vouched for the claimed time ('unvouched', 'tolerance',
-- 'attested', 'trusted-deployment'; empty when the event does not say); who attested
-- it (kind, NGO or agency, user, as actor_*), the attester's caller and its reason.
-- Rows written before this migration keep empty values until a rebuild.
ALTER TABLE timeline ADD COLUMN principal_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN principal_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN vouch TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN attester_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN attester_org TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN attester_user TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN attester_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN attester_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE timeline ADD COLUMN attestation_reason TEXT NOT NULL DEFAULT '';
