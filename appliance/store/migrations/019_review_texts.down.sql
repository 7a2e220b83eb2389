-- Down: review items lose the text read on their objects (DuckDB drops a column only without an index on its table).
DROP INDEX IF EXISTS review_items_stream_start;
ALTER TABLE review_items DROP COLUMN texts;
CREATE INDEX review_items_stream_start ON review_items (stream, start_ts);
