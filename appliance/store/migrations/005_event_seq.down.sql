-- Down: webhook cursors and event sequence numbers. The index on events is dropped and rebuilt
-- around the column change (DuckDB does not alter a table its index depends on).
DROP TABLE webhook_cursors;
DROP INDEX events_stream_ts;
ALTER TABLE events DROP COLUMN seq;
CREATE INDEX events_stream_ts ON events (stream, timestamp);
