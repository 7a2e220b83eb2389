-- Embeddings computed by the embed stage: of whole frames (track_id NULL) or of tracked objects'
-- crops. A LIST, like images.embedding, so the model can change without a migration.
CREATE TABLE embeddings (
  session_id  UUID NOT NULL,
  stream      VARCHAR NOT NULL,
  timestamp   TIMESTAMPTZ NOT NULL,
  track_id    BIGINT,
  label       VARCHAR,
  model_id    VARCHAR NOT NULL,
  embedding   FLOAT[] NOT NULL
);
CREATE INDEX embeddings_stream_ts ON embeddings (stream, timestamp);
