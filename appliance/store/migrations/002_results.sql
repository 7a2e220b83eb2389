-- Video analysis results. analysis_results keeps the envelope each analysed frame was published with
-- (JSON payload); detections is the same data typed, for analytics; events are the object events
-- with their snapshot. No primary keys on the two high-rate tables: they are append-only and a key
-- index would slow every batch.
CREATE TABLE analysis_results (
  id          UUID NOT NULL,
  session_id  UUID NOT NULL,
  stream      VARCHAR NOT NULL,
  seq         BIGINT NOT NULL,
  pts         DOUBLE,
  timestamp   TIMESTAMPTZ NOT NULL,
  event       VARCHAR NOT NULL,
  payload     JSON NOT NULL
);
CREATE INDEX analysis_results_session_ts ON analysis_results (session_id, timestamp);

CREATE TABLE detections (
  result_id   UUID NOT NULL,
  session_id  UUID NOT NULL,
  stream      VARCHAR NOT NULL,
  timestamp   TIMESTAMPTZ NOT NULL,
  label       VARCHAR NOT NULL,
  score       FLOAT NOT NULL,
  x1 FLOAT NOT NULL, y1 FLOAT NOT NULL, x2 FLOAT NOT NULL, y2 FLOAT NOT NULL,
  track_id    BIGINT
);

CREATE TABLE events (
  id            UUID PRIMARY KEY,
  session_id    UUID NOT NULL,
  stream        VARCHAR NOT NULL,
  timestamp     TIMESTAMPTZ NOT NULL,
  type          VARCHAR NOT NULL,
  label         VARCHAR NOT NULL,
  track_id      BIGINT,
  zone          VARCHAR,
  line          VARCHAR,
  direction     VARCHAR,
  count         INTEGER,
  snapshot_key  VARCHAR,
  image_id      UUID,
  payload       JSON NOT NULL
);
CREATE INDEX events_stream_ts ON events (stream, timestamp);
