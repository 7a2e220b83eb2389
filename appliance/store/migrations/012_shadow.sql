-- The results of shadow pipelines (a candidate pipeline run beside a stream's live one on a share
-- of its frames): kept apart from the live tables and never published, each row naming its stream,
-- the shadow pipeline and the fleet revision it came from.
CREATE TABLE shadow_detections (
  session_id  VARCHAR NOT NULL,
  stream      VARCHAR NOT NULL,
  pipeline    VARCHAR NOT NULL,
  timestamp   TIMESTAMPTZ NOT NULL,
  seq         BIGINT,
  label       VARCHAR NOT NULL,
  score       FLOAT NOT NULL,
  x1          FLOAT NOT NULL,
  y1          FLOAT NOT NULL,
  x2          FLOAT NOT NULL,
  y2          FLOAT NOT NULL,
  track_id    BIGINT,
  revision    VARCHAR
);
CREATE INDEX shadow_detections_ts ON shadow_detections (stream, timestamp);
CREATE TABLE shadow_events (
  id          VARCHAR NOT NULL,
  session_id  VARCHAR NOT NULL,
  stream      VARCHAR NOT NULL,
  pipeline    VARCHAR NOT NULL,
  timestamp   TIMESTAMPTZ NOT NULL,
  type        VARCHAR NOT NULL,
  label       VARCHAR,
  track_id    BIGINT,
  payload     VARCHAR NOT NULL,
  revision    VARCHAR
);
CREATE INDEX shadow_events_ts ON shadow_events (stream, timestamp);
