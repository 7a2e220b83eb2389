-- The S3 sync outbox: one row per stored object (content-addressed, so an object shared by two
-- images is uploaded once), written in the transaction that records the image. A row is pending
-- until uploaded_at is set; the local copy may only be evicted after that (local_deleted_at).
CREATE TABLE sync_objects (
  local_key        VARCHAR PRIMARY KEY,
  remote_key       VARCHAR NOT NULL,
  sha256           VARCHAR NOT NULL,
  size             BIGINT NOT NULL,
  content_type     VARCHAR NOT NULL,
  -- 0 event snapshot, 1 registered image, 2 thumbnail, 3 bulk frame: lower goes first.
  priority         INTEGER NOT NULL,
  meta             VARCHAR NOT NULL,
  created_at       TIMESTAMPTZ NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TIMESTAMPTZ,
  last_error       VARCHAR,
  uploaded_at      TIMESTAMPTZ,
  local_deleted_at TIMESTAMPTZ
);

-- How far each table has been exported to the bucket as Parquet (events by seq, the others by time).
CREATE TABLE sync_exports (
  name        VARCHAR PRIMARY KEY,
  watermark   DOUBLE NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);
