-- The photo library: each image has an owner (a user's id, or 'box' for what the box made itself:
-- event snapshots, run outputs, images registered before owners existed) and may be private (seen
-- only by its owner and admins). No DEFAULT on the new columns: DuckDB cannot replay an added
-- column's default from its WAL after a crash; every insert names both.
ALTER TABLE images ADD COLUMN owner VARCHAR;
ALTER TABLE images ADD COLUMN private BOOLEAN;
UPDATE images SET owner = 'box', private = false;
