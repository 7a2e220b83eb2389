-- Web push subscriptions (issue 32): one row per user and browser, keyed by the push service's
-- endpoint (a browser that subscribes again replaces its row). `prefs` holds the user's choices for
-- that browser (streams, labels, zones, severities, cooldown, quiet hours, snooze) as JSON. A failed
-- delivery counts up `failures` and sets `next_try_at` (backoff); a gone subscription (404/410) is
-- deleted.
CREATE TABLE IF NOT EXISTS push_subscriptions (
  id VARCHAR PRIMARY KEY,
  owner VARCHAR NOT NULL,
  endpoint VARCHAR NOT NULL UNIQUE,
  p256dh VARCHAR NOT NULL,
  auth VARCHAR NOT NULL,
  agent VARCHAR,
  prefs JSON NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  sent BIGINT NOT NULL DEFAULT 0,
  last_ok_at TIMESTAMPTZ,
  failures INTEGER NOT NULL DEFAULT 0,
  last_error VARCHAR,
  next_try_at TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS push_subscriptions_owner ON push_subscriptions (owner);
