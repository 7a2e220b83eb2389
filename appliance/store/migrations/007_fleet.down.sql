-- Down: the fleet revision each result was produced under.
DROP INDEX events_stream_ts;
DROP INDEX analysis_results_session_ts;
DROP INDEX embeddings_stream_ts;
ALTER TABLE events DROP COLUMN revision;
ALTER TABLE analysis_results DROP COLUMN revision;
ALTER TABLE detections DROP COLUMN revision;
ALTER TABLE embeddings DROP COLUMN revision;
CREATE INDEX events_stream_ts ON events (stream, timestamp);
CREATE INDEX analysis_results_session_ts ON analysis_results (session_id, timestamp);
CREATE INDEX embeddings_stream_ts ON embeddings (stream, timestamp);
