-- The fleet revision (commit SHA) a result was produced under: each pipeline session runs with the
-- config of one revision, and every row it writes carries it, so a fleet-wide query can compare a
-- change's effect (NULL: the box ran its local config, not a fleet revision). Registered images are
-- not stamped: an upload is the client's, not a revision's; a snapshot's image links to its event.
ALTER TABLE events ADD COLUMN revision VARCHAR;
ALTER TABLE analysis_results ADD COLUMN revision VARCHAR;
ALTER TABLE detections ADD COLUMN revision VARCHAR;
ALTER TABLE embeddings ADD COLUMN revision VARCHAR;
