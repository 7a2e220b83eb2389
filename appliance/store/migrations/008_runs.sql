-- Pipeline runs on demand: a run (its spec, the pipeline text it was accepted with, its state) and its
-- items (one per input: a photo or a clip), each with its per-step state, attempts and output. The
-- queue is this table: a run accepted is a committed row, so a crash or restart never loses it, and
-- an item is marked succeeded only after its results are committed, so a resumed run does none twice.
CREATE TABLE runs (
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
CREATE INDEX runs_created ON runs (created_at);

-- One row per input. `session_id` is the item's result session (derived from the run id and the
-- index): the results its stages wrote carry it, so an attempt cut short is cleaned before the item
-- runs again. `object_key` is a registered image's stored file, resolved when the run is accepted.
CREATE TABLE run_items (
  run_id       UUID NOT NULL,
  idx          INTEGER NOT NULL,
  kind         VARCHAR NOT NULL,
  source       VARCHAR NOT NULL,
  name         VARCHAR,
  status       VARCHAR NOT NULL,
  attempts     INTEGER NOT NULL,
  session_id   UUID,
  error        VARCHAR,
  started_at   TIMESTAMPTZ,
  finished_at  TIMESTAMPTZ,
  steps        JSON NOT NULL,
  output       JSON,
  object_key   VARCHAR
);
CREATE INDEX run_items_run ON run_items (run_id, idx);

-- A run's log: bounded per run (runs.max_log_lines), scrubbed before it is written.
CREATE TABLE run_log (
  run_id   UUID NOT NULL,
  seq      BIGINT NOT NULL,
  logged_at TIMESTAMPTZ NOT NULL,
  level    VARCHAR NOT NULL,
  message  VARCHAR NOT NULL
);
CREATE INDEX run_log_run ON run_log (run_id, seq);
