-- Down: the index and the review items go; the segment files stay on disk (a newer binary indexes them again).
DROP TABLE IF EXISTS review_reads;
DROP TABLE IF EXISTS review_items;
DROP TABLE IF EXISTS recording_segments;
