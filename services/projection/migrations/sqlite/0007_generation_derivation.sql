-- Which version of the projection's rules built each generation (sqlite flavour; keep it
-- equivalent to the other one). A generation built by an earlier derivation than the
-- running version's (`readmodel::DERIVATION`) lacks what later migrations added
-- columns for: the projection rebuilds it at start, serving it meanwhile
-- (docs/operations.md, "Upgrading"). Every generation before this migration is 1.
ALTER TABLE generations ADD COLUMN derivation INTEGER NOT NULL DEFAULT 1;
