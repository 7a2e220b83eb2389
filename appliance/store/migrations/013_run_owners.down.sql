-- Down: runs lose their owner, privacy and upload size (keys are no longer kept unique per owner);
-- analysis sessions lose their public mark.
-- drops column: runs.owner, runs.private, runs.upload_bytes, analysis_sessions.public
-- DuckDB cannot drop a column of a table that has an index: the indexes go first, then each table
-- is rebuilt without the columns, with its indexes again, in a second transaction (see 010).
DROP INDEX IF EXISTS runs_owner_key;
DROP INDEX IF EXISTS runs_created;
-- commit
DROP TABLE IF EXISTS runs_down;
CREATE TABLE runs_down (
  id               UUID PRIMARY KEY,
  created_at       TIMESTAMPTZ NOT NULL,
  started_at       TIMESTAMPTZ,
  finished_at      TIMESTAMPTZ,
  status           VARCHAR NOT NULL,
  pipeline         VARCHAR NOT NULL,
  pipeline_text    VARCHAR NOT NULL,
  pipeline_file    VARCHAR NOT NULL,
  revision         VARCHAR,
  spec             JSON NOT NULL,
  priority         INTEGER NOT NULL,
  label            VARCHAR,
  idempotency_key  VARCHAR,
  spec_hash        VARCHAR NOT NULL,
  parent_id        UUID,
  created_by       VARCHAR,
  total            INTEGER NOT NULL,
  error            VARCHAR
);
INSERT INTO runs_down SELECT id, created_at, started_at, finished_at, status, pipeline, pipeline_text, pipeline_file,
  revision, spec, priority, label, idempotency_key, spec_hash, parent_id, created_by, total, error FROM runs;
DROP TABLE runs;
ALTER TABLE runs_down RENAME TO runs;
CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at);
DROP TABLE IF EXISTS analysis_sessions_down;
CREATE TABLE analysis_sessions_down (
  id           UUID PRIMARY KEY,
  name         VARCHAR NOT NULL,
  description  VARCHAR NOT NULL,
  owner        VARCHAR,
  streams      JSON NOT NULL,
  runs         JSON NOT NULL,
  starts_at    TIMESTAMPTZ NOT NULL,
  ends_at      TIMESTAMPTZ,
  created_at   TIMESTAMPTZ NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL
);
INSERT INTO analysis_sessions_down SELECT id, name, description, owner, streams, runs, starts_at, ends_at, created_at,
  updated_at FROM analysis_sessions;
DROP TABLE analysis_sessions;
ALTER TABLE analysis_sessions_down RENAME TO analysis_sessions;
