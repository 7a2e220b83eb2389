-- The photo library: each image has an owner (a user's id, or 'box' for what the box made itself:
-- event snapshots, run outputs, images registered before owners existed) and may be private (seen
-- only by its owner and admins). No DEFAULT on the new columns: DuckDB cannot replay an added
-- column's default from its WAL after a crash; every insert names both.
ALTER TABLE images ADD COLUMN owner VARCHAR;
ALTER TABLE images ADD COLUMN private BOOLEAN;
UPDATE images SET owner = 'box', private = false;
-- The EXIF the library keeps (camera, lens, exposure, focal length, ISO, capture time with its
-- offset, orientation, location), as JSON; NULL for images registered before.
ALTER TABLE images ADD COLUMN exif JSON;

-- Deletes that must reach the bucket: an image deleted here has its objects deleted there too,
-- queued durably like uploads (an offline box deletes them when the bucket is back).
CREATE TABLE sync_deletes (
  remote_key       VARCHAR PRIMARY KEY,
  local_key        VARCHAR NOT NULL,
  requested_at     TIMESTAMPTZ NOT NULL,
  attempts         INTEGER NOT NULL,
  next_attempt_at  TIMESTAMPTZ,
  last_error       VARCHAR
);
