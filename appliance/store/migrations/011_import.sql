-- A second, larger thumbnail for the preview pane (the grid keeps the 256 px one), and the sha256
-- of each file as it was uploaded (before strip_gps rewrote it), by which a bulk import knows what
-- an owner already has. NULL preview: an image registered before, whose preview is its original.
-- No DEFAULT (see 010): every insert names both.
ALTER TABLE images ADD COLUMN preview_key VARCHAR;
ALTER TABLE images ADD COLUMN sha256 VARCHAR;
-- Originals are content-addressed (<2>/<sha256>.<ext>): their address is the sha256 of what was stored.
UPDATE images SET sha256 = regexp_extract(storage_key, '([0-9a-f]{64})', 1);
