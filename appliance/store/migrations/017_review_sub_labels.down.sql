-- Down: review items lose their sub-labels (DuckDB drops a column only without an index on its table).
DROP INDEX IF EXISTS review_items_stream_start;
ALTER TABLE review_items DROP COLUMN sub_labels;
CREATE INDEX review_items_stream_start ON review_items (stream, start_ts);
