-- The photo library: each image has an owner (a user's id, or 'box' for what the box made itself:
-- event snapshots, run outputs, images registered before owners existed) and may be private (seen
-- only by its owner and admins).
ALTER TABLE images ADD COLUMN owner VARCHAR DEFAULT 'box';
ALTER TABLE images ADD COLUMN private BOOLEAN DEFAULT false;
UPDATE images SET owner = 'box', private = false;
