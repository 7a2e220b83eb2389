-- Analytics: analysis sessions (a named scope over streams, zones, runs and a time window), and the
-- materialised counts per class behind the calendar, time-series and class views.
CREATE TABLE analysis_sessions (
  id           UUID PRIMARY KEY,
  name         VARCHAR NOT NULL,
  description  VARCHAR NOT NULL,
  owner        VARCHAR,
  streams      JSON NOT NULL,
  runs         JSON NOT NULL,
  starts_at    TIMESTAMPTZ NOT NULL,
  ends_at      TIMESTAMPTZ,
  created_at   TIMESTAMPTZ NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL
);

-- One row per object per local hour: a track (its session and id), or for a detection without a
-- track (a photo, or a pipeline with no tracker) its minute (track = -1 - the epoch minute). zone ''
-- is the whole view (from detections); a named zone's rows come from its `enter` events. Kept
-- current as results are committed, in the same transaction.
CREATE TABLE analytics_records (
  hour         TIMESTAMP NOT NULL,
  stream       VARCHAR NOT NULL,
  zone         VARCHAR NOT NULL,
  label        VARCHAR NOT NULL,
  session_id   UUID NOT NULL,
  track        BIGINT NOT NULL,
  first_ts     TIMESTAMPTZ NOT NULL,
  last_ts      TIMESTAMPTZ NOT NULL,
  detections   BIGINT NOT NULL,
  PRIMARY KEY (stream, zone, label, session_id, track, hour)
);

-- Per local day × stream × zone × class: detections, distinct tracks, independent events, and when
-- the class was first and last seen that day. Recomputed from the records for each day they change.
CREATE TABLE analytics_daily (
  day          DATE NOT NULL,
  stream       VARCHAR NOT NULL,
  zone         VARCHAR NOT NULL,
  label        VARCHAR NOT NULL,
  detections   BIGINT NOT NULL,
  tracks       BIGINT NOT NULL,
  events       BIGINT NOT NULL,
  first_seen   TIMESTAMPTZ NOT NULL,
  last_seen    TIMESTAMPTZ NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX analytics_daily_day ON analytics_daily (day);

-- The days whose records changed since their daily rows were computed (written with the records).
CREATE TABLE analytics_dirty (
  stream  VARCHAR NOT NULL,
  day     DATE NOT NULL,
  PRIMARY KEY (stream, day)
);

-- What the tables were computed with (time zone, independence interval): a change rebuilds them.
CREATE TABLE analytics_meta (
  key    VARCHAR PRIMARY KEY,
  value  VARCHAR NOT NULL
);
