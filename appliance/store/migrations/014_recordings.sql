-- Recordings and review items (issue 30). recording_segments indexes the MP4 segments kept under
-- <recordings>/<stream>/<date>/ (a segment is listed only once it is complete and probed, so the
-- index never names a broken file); review_items are the grouped activity of a stream, with who
-- has reviewed each in review_reads (reviewed is per user).
CREATE TABLE recording_segments (
  id          VARCHAR PRIMARY KEY,
  stream      VARCHAR NOT NULL,
  path        VARCHAR NOT NULL,
  start_ts    TIMESTAMPTZ NOT NULL,
  end_ts      TIMESTAMPTZ NOT NULL,
  bytes       BIGINT NOT NULL,
  codec       VARCHAR NOT NULL,
  width       INTEGER,
  height      INTEGER,
  keyframes   DOUBLE[] NOT NULL,
  revision    VARCHAR,
  indexed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX recording_segments_stream_start ON recording_segments (stream, start_ts);

CREATE TABLE review_items (
  id          UUID PRIMARY KEY,
  stream      VARCHAR NOT NULL,
  start_ts    TIMESTAMPTZ NOT NULL,
  end_ts      TIMESTAMPTZ,
  severity    VARCHAR NOT NULL,
  labels      VARCHAR[] NOT NULL,
  zones       VARCHAR[] NOT NULL,
  tracks      BIGINT[] NOT NULL,
  events      VARCHAR[] NOT NULL,
  thumb       UUID,
  keep        BOOLEAN NOT NULL DEFAULT false,
  -- The item's clip kept in the object store (content key) for upload to the bucket, once cut.
  clip_key    VARCHAR,
  updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX review_items_stream_start ON review_items (stream, start_ts);

CREATE TABLE review_reads (
  item_id     UUID NOT NULL,
  username    VARCHAR NOT NULL,
  read_at     TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (item_id, username)
);
