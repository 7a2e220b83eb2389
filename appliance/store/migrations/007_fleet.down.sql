-- Down: the fleet revision each result was produced under.
-- drops column: events.revision, analysis_results.revision, detections.revision, embeddings.revision
-- DuckDB cannot drop a column of a table that has an index, nor drop and make an index of one name
-- in one transaction: the indexes go first; then the columns (events, which has a primary key, is
-- rebuilt without it) and the indexes again, in a second transaction. Each step can be run again.
DROP INDEX IF EXISTS events_stream_ts;
DROP INDEX IF EXISTS analysis_results_session_ts;
DROP INDEX IF EXISTS embeddings_stream_ts;
-- commit
DROP TABLE IF EXISTS events_down;
CREATE TABLE events_down (
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
  payload       JSON NOT NULL,
  seq           BIGINT
);
INSERT INTO events_down SELECT id, session_id, stream, timestamp, type, label, track_id, zone, line, direction, count,
  snapshot_key, image_id, payload, seq FROM events;
DROP TABLE events;
ALTER TABLE events_down RENAME TO events;
ALTER TABLE analysis_results DROP COLUMN IF EXISTS revision;
ALTER TABLE detections DROP COLUMN IF EXISTS revision;
ALTER TABLE embeddings DROP COLUMN IF EXISTS revision;
CREATE INDEX IF NOT EXISTS events_stream_ts ON events (stream, timestamp);
CREATE INDEX IF NOT EXISTS analysis_results_session_ts ON analysis_results (session_id, timestamp);
CREATE INDEX IF NOT EXISTS embeddings_stream_ts ON embeddings (stream, timestamp);
