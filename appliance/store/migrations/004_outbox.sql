-- Durable MQTT outbox: messages that could not be published (broker away) wait here, in order,
-- across restarts. Bounded by the publisher's policy (per-frame messages dropped first, never events).
CREATE SEQUENCE outbox_seq START 1;
CREATE TABLE outbox (
  seq         BIGINT PRIMARY KEY DEFAULT nextval('outbox_seq'),
  topic       VARCHAR NOT NULL,
  payload     VARCHAR NOT NULL,
  qos         INTEGER NOT NULL,
  retain      BOOLEAN NOT NULL,
  kind        VARCHAR NOT NULL,
  bytes       INTEGER NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL
);
