-- Runs carry their owner and privacy, as the photos they are made from do: `owner` is the user who
-- submitted the run ('box' for a key with no user or a box without auth), `private` is set when any
-- input was a private photo or the spec asked for it, `upload_bytes` is what its uploads hold on
-- disk (charged to the owner's quota). An idempotency key is unique per owner, kept by the database:
-- older duplicate keys (from before the index) keep only their first run's. An analysis session is
-- shown to anonymous callers (analytics.public) only when marked public.
-- DuckDB cannot change the rows of a table altered in the same transaction: the columns are added
-- and committed first; each step can be run again.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner VARCHAR DEFAULT 'box';
ALTER TABLE runs ADD COLUMN IF NOT EXISTS private BOOLEAN DEFAULT false;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS upload_bytes BIGINT DEFAULT 0;
ALTER TABLE analysis_sessions ADD COLUMN IF NOT EXISTS public BOOLEAN DEFAULT false;
-- commit
UPDATE runs SET idempotency_key = NULL WHERE id IN (
  SELECT id FROM (
    SELECT id, row_number() OVER (PARTITION BY idempotency_key ORDER BY created_at, id) AS n
    FROM runs WHERE idempotency_key IS NOT NULL
  ) WHERE n > 1
);
-- commit
CREATE UNIQUE INDEX IF NOT EXISTS runs_owner_key ON runs (owner, idempotency_key);
