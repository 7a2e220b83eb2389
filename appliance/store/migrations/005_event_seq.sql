-- Events get a sequence number, assigned in commit order by the writer, so subscribers can resume
-- after a given event (WebSocket `since`, webhook cursors) with no gap and no duplicate: an event is
-- published only after the batch holding it is committed, and its seq is higher than every event
-- committed before it. Existing rows are numbered in time order. No index: rows are appended in seq
-- order, so DuckDB's per-row-group min/max already prunes a `seq > n` scan (and an index cannot be
-- built in the transaction that numbers the old rows).
ALTER TABLE events ADD COLUMN seq BIGINT;
UPDATE events SET seq = r.n FROM (SELECT id, row_number() OVER (ORDER BY timestamp, id) AS n FROM events) r WHERE events.id = r.id;

-- Where each webhook is in the event sequence: the last seq it acknowledged (2xx) or gave up on.
CREATE TABLE webhook_cursors (
  name        VARCHAR PRIMARY KEY,
  last_seq    BIGINT NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL
);
